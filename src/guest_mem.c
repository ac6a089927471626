// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * guest_mem.c - map the front-end's memory regions and translate addresses.
 *
 * The front-end (QEMU, virtio-user) hands us fds plus a description of each
 * region. Every number in that description is hostile: a region must lie
 * inside its file (else touching it raises SIGBUS), must not wrap, and must
 * not overlap another region in either address space (else one GPA would
 * have two meanings). Translations check the whole range, not just its
 * start, with arithmetic that cannot overflow.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "guest_mem.h"
#include "log.h"

/**
 * range_wraps() - does [start, start + size) run past the top of 2^64?
 * @start: first byte
 * @size:  length in bytes, non-zero
 *
 * Return: true if the last byte would not be representable.
 */
static bool range_wraps(uint64_t start, uint64_t size)
{
	return size - 1 > UINT64_MAX - start;
}

/* Do [a, a+alen) and [b, b+blen) (both non-empty, non-wrapping) meet? */
static bool ranges_overlap(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
	return a <= b + (blen - 1) && b <= a + (alen - 1);
}

/**
 * map_align() - the alignment mmap needs for offsets in this file
 * @st: the file's stat
 *
 * hugetlbfs wants offsets aligned to its huge page size, which it reports
 * as st_blksize; other file systems need only the base page. Aligning down
 * further than needed is harmless (we just map a little more of the file).
 *
 * Return: a power of two, at least the page size.
 */
static uint64_t map_align(const struct stat *st)
{
	uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE);
	uint64_t blk = (uint64_t)st->st_blksize;

	if (blk > page && !(blk & (blk - 1)))
		return blk;
	return page;
}

/**
 * map_fd_range() - map [offset, offset + size) of a file, shared and writable
 * @fd:     the file; not closed, not kept
 * @offset: first byte of the range in the file
 * @size:   bytes
 * @what:   "region" or "log", for the log line
 * @map_base: out: what mmap returned
 * @map_len:  out: how much was mapped
 * @start:  out: host address of the byte at @offset
 *
 * The range is checked against the file size first: mapping past the end of
 * the file succeeds but the first access there raises SIGBUS.
 *
 * Return: 0, or -EINVAL for a range that is empty, wraps or passes EOF (or a
 * file that is not a regular file), or the negated errno of fstat/mmap.
 */
static int map_fd_range(int fd, uint64_t offset, uint64_t size, const char *what,
			void **map_base, size_t *map_len, uint8_t **start)
{
	uint64_t align, map_off, delta;
	struct stat st;
	void *p;

	if (size == 0 || range_wraps(offset, size)) {
		log_warn("guest memory: %s offset %#llx size %#llx is empty or wraps", what,
			 (unsigned long long)offset, (unsigned long long)size);
		return -EINVAL;
	}
	if (fstat(fd, &st) < 0) {
		int err = -errno;

		log_warn("guest memory: %s fd: fstat: %s", what, strerror(errno));
		return err;
	}
	/* Device files have no meaningful size to check against. */
	if (!S_ISREG(st.st_mode) || st.st_size < 0 || offset + size > (uint64_t)st.st_size) {
		log_warn("guest memory: %s offset %#llx size %#llx is past the end of its file (%lld bytes)",
			 what, (unsigned long long)offset, (unsigned long long)size,
			 (long long)st.st_size);
		return -EINVAL;
	}
	align = map_align(&st);
	map_off = offset & ~(align - 1);
	delta = offset - map_off;
	/* Cannot overflow: delta + size <= offset + size <= st_size. */
	p = mmap(NULL, (size_t)(size + delta), PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		 (off_t)map_off);
	if (p == MAP_FAILED) {
		int err = -errno;

		log_warn("guest memory: mmap %s (%#llx bytes at %#llx): %s", what,
			 (unsigned long long)(size + delta), (unsigned long long)map_off,
			 strerror(errno));
		return err;
	}
	/* Guest RAM has no place in our core dumps (size, and privacy). */
	(void)madvise(p, (size_t)(size + delta), MADV_DONTDUMP);
	*map_base = p;
	*map_len = (size_t)(size + delta);
	*start = (uint8_t *)p + delta;
	return 0;
}

/**
 * guest_mem_init() - start with no regions and no log
 * @mem: the table
 */
void guest_mem_init(struct guest_mem *mem)
{
	mem->nregions = 0;
	memset(&mem->log, 0, sizeof(mem->log));
	mem->log_kick_fd = -1;
}

/**
 * region_desc_check() - refuse a description that is malformed or overlaps
 * @mem: the current table
 * @d:   the candidate
 *
 * Return: 0, -ENOSPC when the table is full, -EINVAL otherwise.
 */
static int region_desc_check(const struct guest_mem *mem, const struct guest_region_desc *d)
{
	unsigned int i;

	if (mem->nregions >= GUEST_MEM_MAX_REGIONS) {
		log_warn("guest memory: more than %u regions", GUEST_MEM_MAX_REGIONS);
		return -ENOSPC;
	}
	if (d->size == 0 || range_wraps(d->gpa, d->size) || range_wraps(d->uva, d->size)) {
		log_warn("guest memory: region gpa %#llx uva %#llx size %#llx is empty or wraps",
			 (unsigned long long)d->gpa, (unsigned long long)d->uva,
			 (unsigned long long)d->size);
		return -EINVAL;
	}
	for (i = 0; i < mem->nregions; i++) {
		const struct guest_region *r = &mem->regions[i];

		if (ranges_overlap(d->gpa, d->size, r->gpa, r->size) ||
		    ranges_overlap(d->uva, d->size, r->uva, r->size)) {
			log_warn("guest memory: region gpa %#llx uva %#llx size %#llx overlaps region %u",
				 (unsigned long long)d->gpa, (unsigned long long)d->uva,
				 (unsigned long long)d->size, i);
			return -EINVAL;
		}
	}
	return 0;
}

/* REM_MEM_REG's match rule: gpa, size and uva (mmap_offset may differ). */
static bool region_matches(const struct guest_region *r, const struct guest_region_desc *d)
{
	return r->gpa == d->gpa && r->size == d->size && r->uva == d->uva;
}

/**
 * find_same() - a mapped region identical to @d
 *
 * QEMU keeps one vhost device per queue pair, and each sends ADD_MEM_REG
 * (and later REM_MEM_REG) for the same regions over the one connection: an
 * identical region is counted, not mapped twice nor refused as an overlap.
 *
 * Return: the region, or NULL.
 */
static struct guest_region *find_same(struct guest_mem *mem, const struct guest_region_desc *d)
{
	for (unsigned int i = 0; i < mem->nregions; i++)
		if (region_matches(&mem->regions[i], d) &&
		    mem->regions[i].mmap_offset == d->mmap_offset)
			return &mem->regions[i];
	return NULL;
}

/**
 * guest_mem_add() - map one region and insert it, keeping the table sorted
 * @mem: the table
 * @d:   the region as the front-end described it
 * @fd:  the region's file; the caller keeps ownership and closes it
 *
 * Return: 0; -EINVAL for an empty, wrapping, overlapping or past-EOF region;
 * -ENOSPC when GUEST_MEM_MAX_REGIONS are already mapped; or mmap's error.
 * Each refusal is logged here, once.
 */
int guest_mem_add(struct guest_mem *mem, const struct guest_region_desc *d, int fd)
{
	struct guest_region r, *same = find_same(mem, d);
	unsigned int pos;
	int ret;

	if (same) {
		same->refs++;
		log_debug("guest memory: region gpa %#llx already mapped (%u references)",
			  (unsigned long long)d->gpa, same->refs);
		return 0;
	}
	ret = region_desc_check(mem, d);
	if (ret)
		return ret;
	r.gpa = d->gpa;
	r.size = d->size;
	r.uva = d->uva;
	r.mmap_offset = d->mmap_offset;
	r.refs = 1;
	ret = map_fd_range(fd, d->mmap_offset, d->size, "region", &r.map_base, &r.map_len,
			   &r.host);
	if (ret)
		return ret;
	r.fd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	if (r.fd < 0) {
		ret = -errno;
		log_warn("guest memory: cannot keep the region's fd: %s", strerror(errno));
		munmap(r.map_base, r.map_len);
		return ret;
	}

	for (pos = 0; pos < mem->nregions && mem->regions[pos].gpa < r.gpa; pos++)
		;
	memmove(&mem->regions[pos + 1], &mem->regions[pos],
		(mem->nregions - pos) * sizeof(mem->regions[0]));
	mem->regions[pos] = r;
	mem->nregions++;
	log_debug("guest memory: region gpa %#llx-%#llx uva %#llx mapped at %p",
		  (unsigned long long)r.gpa, (unsigned long long)(r.gpa + r.size - 1),
		  (unsigned long long)r.uva, (void *)r.host);
	return 0;
}

/**
 * guest_mem_remove() - unmap the region matching @d (REM_MEM_REG)
 * @mem: the table
 * @d:   matched on gpa, size and uva (mmap_offset may differ, as in QEMU)
 *
 * Return: 0, or -ENOENT when no region matches.
 */
int guest_mem_remove(struct guest_mem *mem, const struct guest_region_desc *d)
{
	unsigned int i;

	for (i = 0; i < mem->nregions; i++) {
		struct guest_region *r = &mem->regions[i];

		if (!region_matches(r, d))
			continue;
		if (--r->refs > 0)
			return 0;
		munmap(r->map_base, r->map_len);
		close(r->fd);
		memmove(r, r + 1, (mem->nregions - i - 1) * sizeof(*r));
		mem->nregions--;
		return 0;
	}
	log_warn("guest memory: no region gpa %#llx uva %#llx size %#llx to remove",
		 (unsigned long long)d->gpa, (unsigned long long)d->uva,
		 (unsigned long long)d->size);
	return -ENOENT;
}

/**
 * guest_mem_clear() - unmap every region; the dirty log stays
 * @mem: the table
 */
void guest_mem_clear(struct guest_mem *mem)
{
	unsigned int i;

	for (i = 0; i < mem->nregions; i++) {
		munmap(mem->regions[i].map_base, mem->regions[i].map_len);
		close(mem->regions[i].fd);
	}
	mem->nregions = 0;
}

/**
 * find_gpa() - the region holding @gpa
 * @mem: the table, sorted by gpa
 * @gpa: a guest-physical address
 *
 * Return: the region, or NULL if @gpa is in no region.
 */
static inline const struct guest_region *find_gpa(const struct guest_mem *mem, uint64_t gpa)
{
	unsigned int lo = 0, hi = mem->nregions;

	/* Find the last region starting at or below gpa. */
	while (lo < hi) {
		unsigned int mid = lo + (hi - lo) / 2;

		if (mem->regions[mid].gpa <= gpa)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0)
		return NULL;
	if (gpa - mem->regions[lo - 1].gpa >= mem->regions[lo - 1].size)
		return NULL;
	return &mem->regions[lo - 1];
}

/**
 * guest_mem_gpa_to_host() - translate a GPA range lying in one region
 * @mem: the table
 * @gpa: first byte
 * @len: bytes (0 checks only that @gpa is mapped)
 *
 * Return: the host address, or NULL unless all of [gpa, gpa+len) is in one
 * region.
 */
void *guest_mem_gpa_to_host(const struct guest_mem *mem, uint64_t gpa, uint64_t len)
{
	const struct guest_region *r = find_gpa(mem, gpa);
	uint64_t off;

	if (!r)
		return NULL;
	off = gpa - r->gpa;
	if (len > r->size - off)
		return NULL;
	return r->host + off;
}

/**
 * guest_mem_uva_to_host() - translate a front-end virtual range (ring
 * addresses in SET_VRING_ADDR) lying in one region
 * @mem: the table
 * @uva: first byte
 * @len: bytes
 *
 * A linear scan: this runs when rings are set up, not per packet.
 *
 * Return: the host address, or NULL unless the range is in one region.
 */
void *guest_mem_uva_to_host(const struct guest_mem *mem, uint64_t uva, uint64_t len)
{
	unsigned int i;

	for (i = 0; i < mem->nregions; i++) {
		const struct guest_region *r = &mem->regions[i];
		uint64_t off = uva - r->uva;

		/* uva below r->uva wraps off to a huge value and fails here. */
		if (off < r->size)
			return len <= r->size - off ? r->host + off : NULL;
	}
	return NULL;
}

/**
 * walk_gpa() - split [gpa, gpa+len) at region boundaries
 * @mem:     the table
 * @gpa:     first byte
 * @len:     bytes
 * @iov:     where to store the pieces, or NULL to only check
 * @max_iov: capacity of @iov (ignored when @iov is NULL)
 *
 * Return: number of pieces, -EFAULT if any byte is unmapped or the range
 * wraps, -E2BIG if it needs more than @max_iov pieces.
 */
static int walk_gpa(const struct guest_mem *mem, uint64_t gpa, uint64_t len,
		    struct iovec *iov, unsigned int max_iov)
{
	unsigned int n = 0;

	if (len && range_wraps(gpa, len))
		return -EFAULT;
	while (len) {
		const struct guest_region *r = find_gpa(mem, gpa);
		uint64_t off, chunk;

		if (!r)
			return -EFAULT;
		off = gpa - r->gpa;
		chunk = r->size - off < len ? r->size - off : len;
		if (iov) {
			if (n >= max_iov)
				return -E2BIG;
			iov[n].iov_base = r->host + off;
			iov[n].iov_len = (size_t)chunk;
		}
		if (n == INT32_MAX)
			return -E2BIG;
		n++;
		gpa += chunk;
		len -= chunk;
	}
	return (int)n;
}

/**
 * guest_mem_gpa_to_iov() - translate a GPA range that may cross regions
 * @mem:     the table
 * @gpa:     first byte
 * @len:     bytes (0 yields no iovec)
 * @iov:     output
 * @max_iov: capacity of @iov
 *
 * Return: the number of iovecs filled; -EFAULT if any byte is unmapped or the
 * range wraps; -E2BIG if it needs more than @max_iov iovecs.
 */
int guest_mem_gpa_to_iov(const struct guest_mem *mem, uint64_t gpa, uint64_t len,
			 struct iovec *iov, unsigned int max_iov)
{
	const struct guest_region *r;
	uint64_t off;

	/* Fast path, nearly every buffer: the whole range in one region. */
	r = len ? find_gpa(mem, gpa) : NULL;
	if (r && max_iov) {
		off = gpa - r->gpa;
		if (len <= r->size - off) {
			iov[0].iov_base = r->host + off;
			iov[0].iov_len = (size_t)len;
			return 1;
		}
	}
	return walk_gpa(mem, gpa, len, iov, max_iov);
}

/**
 * guest_mem_gpa_check() - is all of [gpa, gpa+len) mapped (in any regions)?
 * @mem: the table
 * @gpa: first byte
 * @len: bytes
 *
 * Return: 0, or -EFAULT.
 */
int guest_mem_gpa_check(const struct guest_mem *mem, uint64_t gpa, uint64_t len)
{
	int n = walk_gpa(mem, gpa, len, NULL, 0);

	return n < 0 ? n : 0;
}

/**
 * guest_mem_host_to_gpa() - reverse translation, for the dirty log
 * @mem:  the table
 * @host: an address inside one of our mappings
 * @len:  bytes that must lie in the same region
 * @gpa:  out: the guest-physical address of @host
 *
 * A linear scan; used only while the front-end migrates.
 *
 * Return: 0, or -EFAULT.
 */
int guest_mem_host_to_gpa(const struct guest_mem *mem, const void *host, uint64_t len,
			  uint64_t *gpa)
{
	uintptr_t h = (uintptr_t)host;
	unsigned int i;

	for (i = 0; i < mem->nregions; i++) {
		const struct guest_region *r = &mem->regions[i];
		uint64_t off = (uint64_t)(h - (uintptr_t)r->host);

		if (off < r->size && len <= r->size - off) {
			*gpa = r->gpa + off;
			return 0;
		}
	}
	return -EFAULT;
}

/**
 * guest_mem_log_set() - map the dirty log (SET_LOG_BASE), replacing any old one
 * @mem:    the table
 * @fd:     the log's file; the caller keeps ownership and closes it
 * @size:   bitmap bytes (mmap_size)
 * @offset: where the bitmap starts in the file (mmap_offset)
 *
 * Checked like a region: non-empty, no wrap, inside the file.
 *
 * Return: 0, -EINVAL, or mmap's error; on error the old log stays.
 */
int guest_mem_log_set(struct guest_mem *mem, int fd, uint64_t size, uint64_t offset)
{
	struct guest_log l;
	int ret;

	ret = map_fd_range(fd, offset, size, "log", &l.map_base, &l.map_len, &l.bits);
	if (ret)
		return ret;
	l.size = size;
	guest_mem_log_clear(mem);
	mem->log = l;
	return 0;
}

/**
 * guest_mem_log_clear() - unmap the dirty log, if any
 * @mem: the table
 */
void guest_mem_log_clear(struct guest_mem *mem)
{
	if (mem->log.bits)
		munmap(mem->log.map_base, mem->log.map_len);
	memset(&mem->log, 0, sizeof(mem->log));
}

/**
 * guest_mem_log_set_kick() - the eventfd to kick when the log changes
 * @mem: the table
 * @fd:  SET_LOG_FD's eventfd (non-blocking; the caller keeps ownership and
 *	 calls this again with -1 before closing it), or -1
 */
void guest_mem_log_set_kick(struct guest_mem *mem, int fd)
{
	mem->log_kick_fd = fd;
}

/**
 * log_kick() - tell the front-end that the log gained dirty pages
 * @mem: the table
 *
 * The spec leaves the "when" open. We kick only when a bit turns from clean
 * to dirty: the front-end learns of every new dirty page, and a page written
 * over and over between two of its syncs costs one eventfd write, not one
 * per packet. A full counter (EAGAIN) already means "look at the log".
 */
static void log_kick(const struct guest_mem *mem)
{
	uint64_t one = 1;

	if (mem->log_kick_fd >= 0 && write(mem->log_kick_fd, &one, sizeof(one)) < 0 &&
	    errno != EAGAIN)
		log_debug("dirty log: kick fd: %s", strerror(errno));
}

/**
 * guest_mem_log_write() - mark the pages of [gpa, gpa+len) dirty
 * @mem: the table
 * @gpa: first byte written
 * @len: bytes written
 *
 * Does nothing without a log. Pages beyond the bitmap are not recorded: the
 * front-end sized the log for its memory, so such a GPA is not RAM it
 * migrates. Call after the data is written.
 */
void guest_mem_log_write(const struct guest_mem *mem, uint64_t gpa, uint64_t len)
{
	uint64_t page, last;
	bool fresh = false;

	if (!mem->log.bits || len == 0)
		return;
	page = gpa / GUEST_MEM_LOG_PAGE;
	last = range_wraps(gpa, len) ? UINT64_MAX / GUEST_MEM_LOG_PAGE
				     : (gpa + len - 1) / GUEST_MEM_LOG_PAGE;
	for (; page <= last && page / 8 < mem->log.size; page++) {
		uint8_t bit = (uint8_t)(1u << (page % 8));

		/*
		 * Release: the data written to this page becomes visible to the
		 * front-end no later than the dirty bit that tells it to copy
		 * the page. Atomic because the front-end clears bits meanwhile.
		 */
		if (!(__atomic_fetch_or(&mem->log.bits[page / 8], bit, __ATOMIC_RELEASE) & bit))
			fresh = true;
	}
	if (fresh)
		log_kick(mem);
}

/**
 * guest_mem_log_host_write() - guest_mem_log_write() for a host range
 * @mem:  the table
 * @host: first byte written, inside one region (as every iovec we hand out)
 * @len:  bytes written
 */
void guest_mem_log_host_write(const struct guest_mem *mem, const void *host, uint64_t len)
{
	uint64_t gpa;

	if (!mem->log.bits || len == 0)
		return;
	if (guest_mem_host_to_gpa(mem, host, len, &gpa) == 0)
		guest_mem_log_write(mem, gpa, len);
}
