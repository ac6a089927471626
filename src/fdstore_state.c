// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * fdstore_state.c - the session record in a memfd, written in two slots.
 *
 * The memfd is mapped once; a write is two memcpys into the mapping and
 * costs no system call, which matters because it happens after every
 * vhost-user message, with the seccomp filter in place. A reader takes the
 * newest slot whose header and checksum are intact.
 */
#include "config.h"

#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fdstore_state.h"
#include "log.h"

/* "VURSTATE" as a little-endian number: a slot written by us. */
#define FDS_MAGIC 0x4554415453525556ull

/* One slot: the header, then the record, rounded up to whole pages. */
#define FDS_PAGE 4096u
#define FDS_SLOT_SIZE \
	((sizeof(struct fds_hdr) + sizeof(struct fds_state) + FDS_PAGE - 1) / FDS_PAGE * FDS_PAGE)
#define FDS_FILE_SIZE (2 * FDS_SLOT_SIZE)

struct fds_hdr {
	uint64_t magic;
	uint32_t version;
	uint32_t size;		/* sizeof(struct fds_state) */
	uint64_t seq;		/* higher is newer; 0 never written */
	uint64_t sum;		/* fds_sum() of the record */
};

/* FNV-1a, 64 bits: catches a torn write, which is all it has to do. */
static uint64_t fds_sum(const void *p, size_t n)
{
	const uint8_t *b = p;
	uint64_t h = 0xcbf29ce484222325ull;

	while (n--) {
		h ^= *b++;
		h *= 0x100000001b3ull;
	}
	return h;
}

static struct fds_hdr *slot_hdr(const struct fds_file *f, unsigned int slot)
{
	return (struct fds_hdr *)(f->map + (size_t)slot * FDS_SLOT_SIZE);
}

static struct fds_state *slot_state(const struct fds_file *f, unsigned int slot)
{
	return (struct fds_state *)(f->map + (size_t)slot * FDS_SLOT_SIZE + sizeof(struct fds_hdr));
}

/**
 * fds_file_map() - map @fd, which must be at least FDS_FILE_SIZE long
 * Return: 0 or a negative errno.
 */
static int fds_file_map(struct fds_file *f, int fd)
{
	struct stat st;
	void *p;

	if (fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode) || (uint64_t)st.st_size < FDS_FILE_SIZE)
		return -EINVAL;
	p = mmap(NULL, FDS_FILE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		return -errno;
	f->fd = fd;
	f->map = p;
	f->seq = 0;
	return 0;
}

/**
 * fds_file_create() - a new, empty record file (both slots unwritten)
 * @f: filled in
 *
 * Return: 0 or a negative errno.
 */
int fds_file_create(struct fds_file *f)
{
	int fd = memfd_create("vuring-state", MFD_CLOEXEC), r;

	if (fd < 0)
		return -errno;
	if (ftruncate(fd, FDS_FILE_SIZE) < 0) {
		r = -errno;
		goto fail;
	}
	r = fds_file_map(f, fd);
	if (r == 0)
		return 0;
fail:
	close(fd);
	return r;
}

/**
 * fds_file_open() - use a record file the previous process left
 * @f: filled in
 * @fd: the file; taken in every case
 *
 * Return: 0, or -EINVAL if it is not one of ours (too small, not a file).
 */
int fds_file_open(struct fds_file *f, int fd)
{
	int r = fds_file_map(f, fd);

	if (r < 0)
		close(fd);
	return r;
}

/* A slot written completely by this version of vuring? */
static bool slot_valid(const struct fds_file *f, unsigned int slot)
{
	const struct fds_hdr *h = slot_hdr(f, slot);

	return h->magic == FDS_MAGIC && h->version == FDS_STATE_VERSION &&
	       h->size == sizeof(struct fds_state) && h->seq &&
	       h->sum == fds_sum(slot_state(f, slot), sizeof(struct fds_state));
}

/**
 * fds_file_read() - the newest intact record
 * @f: the file
 * @st: filled in
 *
 * Counts are checked against our limits, so the caller may index with
 * them; everything else is replayed through the same checks the front-end's
 * messages pass.
 *
 * Return: 0, or -ENOENT when no slot holds an intact record of ours.
 */
int fds_file_read(struct fds_file *f, struct fds_state *st)
{
	int best = -1;

	for (unsigned int i = 0; i < 2; i++)
		if (slot_valid(f, i) &&
		    (best < 0 || slot_hdr(f, i)->seq > slot_hdr(f, (unsigned int)best)->seq))
			best = (int)i;
	if (best < 0)
		return -ENOENT;
	memcpy(st, slot_state(f, (unsigned int)best), sizeof(*st));
	if (st->nrings > VU_MAX_RINGS || st->nregions > GUEST_MEM_MAX_REGIONS)
		return -ENOENT;
	f->seq = slot_hdr(f, (unsigned int)best)->seq;
	return 0;
}

/**
 * fds_file_write() - store @st as the newest record
 * @f: the file
 * @st: the record
 *
 * The older slot is overwritten: record first, header last, so a slot is
 * only ever valid with a complete record (the checksum covers a header
 * written before a record that was then cut short).
 */
void fds_file_write(struct fds_file *f, const struct fds_state *st)
{
	unsigned int slot = (unsigned int)((f->seq + 1) & 1);
	struct fds_hdr *h = slot_hdr(f, slot);

	h->magic = 0;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	memcpy(slot_state(f, slot), st, sizeof(*st));
	h->version = FDS_STATE_VERSION;
	h->size = sizeof(*st);
	h->seq = f->seq + 1;
	h->sum = fds_sum(st, sizeof(*st));
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	h->magic = FDS_MAGIC;
	f->seq++;
}

/**
 * fds_file_close() - unmap and close (the store keeps its own copy)
 * @f: the file; fd -1 or mapped
 */
void fds_file_close(struct fds_file *f)
{
	if (f->map)
		munmap(f->map, FDS_FILE_SIZE);
	if (f->fd >= 0)
		close(f->fd);
	f->map = NULL;
	f->fd = -1;
}
