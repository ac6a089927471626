// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * fuzz_virtq.c - libFuzzer target for the split virtqueue.
 *
 * The input is a hostile guest: a small header (ring size, features, queue
 * direction, iovec cap, start index), a script of device operations, and an
 * image of guest memory holding the rings, indirect tables and buffers. The
 * memory is a memfd mapped through guest_mem as five regions (two adjacent,
 * a gap, two tiny ones with unaligned file offsets), so translations split
 * and fall into holes. Invariants that must hold whatever the input:
 *   - every iovec handed out lies inside one mapped region;
 *   - lengths add up, no element exceeds its iovec cap;
 *   - an operation failing with -EIO means the ring is broken, and a broken
 *     ring stays broken.
 * ASan/UBSan catch the rest.
 *
 *   input = hdr[8] | script[hdr.nops] | memory image (to file offset 0)
 */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "guest_mem.h"
#include "log.h"
#include "virtq.h"

#define FILE_SIZE	0x6000
#define LOG_SIZE	64	/* bitmap bytes: covers 2 MiB of GPA */
#define BATCH		32
#define IOVCAP		64

static const struct guest_region_desc layout[] = {
	{ .gpa = 0x0000, .size = 0x2000, .uva = 0x100000, .mmap_offset = 0x0000 },
	{ .gpa = 0x2000, .size = 0x2000, .uva = 0x200000, .mmap_offset = 0x2000 },
	/* gap 0x4000..0x6000 */
	{ .gpa = 0x6000, .size = 0x1000, .uva = 0x300000, .mmap_offset = 0x4000 },
	{ .gpa = 0x7000, .size = 0x0010, .uva = 0x400000, .mmap_offset = 0x5800 },
	{ .gpa = 0x7010, .size = 0x07f0, .uva = 0x500000, .mmap_offset = 0x5010 },
};

static struct guest_mem mem;
static uint8_t *drv;	/* the "guest's" view of the whole file */

/* The engine's log lines would drown the fuzzer's output: drop them. */
void vlog(enum log_level level, const char *fmt, ...)
{
}

enum log_level log_get_level(void)
{
	return VLOG_ERROR;
}

static void die(const char *what)
{
	perror(what);
	abort();
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	int fd = memfd_create("fuzz-guest", MFD_CLOEXEC);
	int lfd = memfd_create("fuzz-log", MFD_CLOEXEC);
	unsigned int i;

	if (fd < 0 || lfd < 0 || ftruncate(fd, FILE_SIZE) || ftruncate(lfd, LOG_SIZE))
		die("memfd");
	drv = mmap(NULL, FILE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (drv == MAP_FAILED)
		die("mmap");
	guest_mem_init(&mem);
	for (i = 0; i < sizeof(layout) / sizeof(layout[0]); i++)
		if (guest_mem_add(&mem, &layout[i], fd))
			die("guest_mem_add");
	if (guest_mem_log_set(&mem, lfd, LOG_SIZE, 0))
		die("guest_mem_log_set");
	close(fd);
	close(lfd);
	return 0;
}

struct hdr {
	uint8_t num_log2;	/* ring size 1 << (n % 9): 1..256 */
	uint8_t flags;		/* bit 0 EVENT_IDX, 1 INDIRECT, 2 LOG, 3-4 dir */
	uint8_t iov_cap;	/* per element: 1 + n % IOVCAP */
	uint8_t nops;		/* script length */
	uint16_t last_avail;
	uint16_t pad;
};

/* Does every iovec of @e lie inside one region, and do the lengths add up? */
static void check_elem(const struct virtq_elem *e)
{
	uint64_t out = 0, in = 0;
	unsigned int i, j;

	if (e->out_num + e->in_num > e->iov_cap)
		abort();
	for (i = 0; i < e->out_num + e->in_num; i++) {
		const uint8_t *b = e->iov[i].iov_base;
		size_t len = e->iov[i].iov_len;
		bool inside = false;

		for (j = 0; j < mem.nregions; j++) {
			const struct guest_region *r = &mem.regions[j];

			if (b >= r->host && len <= r->size && (uint64_t)(b - r->host) <= r->size - len)
				inside = true;
		}
		if (!inside)
			abort();
		if (i < e->out_num)
			out += len;
		else
			in += len;
	}
	if (out != e->out_len || in != e->in_len)
		abort();
}

/* Read every readable byte and write every writable byte, as I/O would. */
static uint32_t touch(const struct virtq_elem *e, uint8_t fill)
{
	volatile uint8_t sink = 0;
	unsigned int i;
	size_t k;

	for (i = 0; i < e->out_num; i++)
		for (k = 0; k < e->iov[i].iov_len; k += 64)
			sink ^= ((uint8_t *)e->iov[i].iov_base)[k];
	for (; i < e->out_num + e->in_num; i++)
		memset(e->iov[i].iov_base, fill, e->iov[i].iov_len);
	(void)sink;
	return e->in_len;
}

struct run {
	struct virtq vq;
	struct iovec iovs[BATCH][IOVCAP];
	struct virtq_elem pool[BATCH];
	struct virtq_elem tmp[BATCH];
	struct virtq_elem *held[BATCH];	/* popped, not pushed, in pop order */
	unsigned int nheld;
	unsigned int iov_cap;
};

static void check_ret(const struct run *s, int ret)
{
	/* -EIO exactly when broken (or stopped, which we never are here). */
	if ((ret == -EIO) != (virtq_broken(&s->vq) != NULL))
		abort();
}

static void op_pop(struct run *s, unsigned int n)
{
	struct virtq_elem *batch[BATCH];
	unsigned int i, k = 0;
	int ret;

	struct virtq_elem *tmp = s->tmp;

	/* Pick free pool entries; pop into a contiguous scratch array. */
	for (i = 0; i < BATCH && k < n && s->nheld + k < BATCH; i++) {
		bool used = false;
		unsigned int j;

		for (j = 0; j < s->nheld; j++)
			used |= s->held[j] == &s->pool[i];
		if (!used) {
			batch[k] = &s->pool[i];
			tmp[k].iov = s->iovs[i];
			tmp[k].iov_cap = s->iov_cap;
			k++;
		}
	}
	ret = virtq_pop_batch(&s->vq, tmp, k);
	check_ret(s, ret);
	for (i = 0; ret > 0 && i < (unsigned int)ret; i++) {
		check_elem(&tmp[i]);
		*batch[i] = tmp[i];
		s->held[s->nheld++] = batch[i];
	}
}

static void op_push(struct run *s, unsigned int pick, uint8_t fill)
{
	unsigned int variant = fill % 3;
	struct virtq_elem *e;
	uint32_t len;
	int ret;

	if (!s->nheld)
		return;
	pick %= s->nheld;
	e = s->held[pick];
	len = touch(e, fill);
	/* Vary the length: full, half, or one byte too many (must be refused). */
	if (variant == 1)
		len /= 2;
	else if (variant == 2 && len < UINT32_MAX)
		len += 1;
	else
		variant = 0;
	ret = virtq_push(&s->vq, e, len);
	check_ret(s, ret);
	if (variant == 2) {
		if (ret == 0)
			abort();	/* accepted a length past the buffer */
		if (ret == -EINVAL)
			ret = virtq_push(&s->vq, e, e->in_len);
		check_ret(s, ret);
	}
	if (ret == -EINVAL)
		abort();	/* a held chain must be pushable */
	if (ret == 0) {
		memmove(&s->held[pick], &s->held[pick + 1],
			(s->nheld - pick - 1) * sizeof(s->held[0]));
		s->nheld--;
	}
}

/* How many of the most recently popped chains are still unpushed? */
static unsigned int unpushed_tail(const struct run *s)
{
	uint16_t next = s->vq.last_avail_idx;
	unsigned int k = 0;

	/* held[] is in pop order; pushes may have taken entries from anywhere. */
	while (k < s->nheld && s->held[s->nheld - 1 - k]->seq == (uint16_t)(next - 1 - k))
		k++;
	return k;
}

static void op_unpop(struct run *s, unsigned int n)
{
	unsigned int tail = unpushed_tail(s);
	int ret;

	n %= s->nheld + 2;
	ret = virtq_unpop(&s->vq, n);
	check_ret(s, ret);
	if (ret == -EIO)
		return;
	/* Exactly the unpushed tail may be given back. */
	if ((ret == 0) != (n <= tail))
		abort();
	if (ret == 0)
		s->nheld -= n;
}

static void run_script(struct run *s, const uint8_t *ops, size_t nops, size_t image_len)
{
	size_t i;

	for (i = 0; i < nops; i++) {
		uint8_t op = ops[i], arg = op >> 3;

		switch (op & 7) {
		case 0:
			op_pop(s, arg % 8 + 1);
			break;
		case 1:
			op_push(s, arg, (uint8_t)(i + op));
			break;
		case 2:
			check_ret(s, virtq_flush(&s->vq));
			break;
		case 3:
			op_unpop(s, arg);
			break;
		case 4:
			if (arg & 1)
				(void)virtq_has_avail(&s->vq);
			else
				(void)virtq_should_notify(&s->vq);
			break;
		case 5:
			virtq_disable_notify(&s->vq);
			break;
		case 6:
			(void)virtq_enable_notify(&s->vq);
			break;
		case 7:
			/* The guest scribbles: next two script bytes are offset and value. */
			if (i + 2 < nops && image_len) {
				drv[(ops[i + 1] * 31u + arg) % FILE_SIZE] = ops[i + 2];
				i += 2;
			}
			break;
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct run s;
	struct virtq_config cfg = { .layout = VIRTQ_SPLIT, .name = "fuzz" };
	size_t image_len, nops;
	uint64_t avail_gpa, used_gpa;
	struct hdr h;
	const char *was_broken;
	unsigned int i;

	if (size < sizeof(h))
		return 0;
	memcpy(&h, data, sizeof(h));
	data += sizeof(h);
	size -= sizeof(h);
	nops = h.nops < size ? h.nops : size;
	image_len = size - nops < FILE_SIZE ? size - nops : FILE_SIZE;
	memset(drv, 0, FILE_SIZE);
	memcpy(drv, data + nops, image_len);

	cfg.num = 1u << (h.num_log2 % 9);
	avail_gpa = 16ull * cfg.num;
	used_gpa = (avail_gpa + 6 + 2ull * cfg.num + 3) & ~3ull;
	cfg.desc = guest_mem_gpa_to_host(&mem, 0, 16ull * cfg.num);
	cfg.avail = guest_mem_gpa_to_host(&mem, avail_gpa, 6 + 2ull * cfg.num);
	cfg.used = guest_mem_gpa_to_host(&mem, used_gpa, 6 + 8ull * cfg.num);
	cfg.used_gpa = used_gpa;
	cfg.last_avail_idx = h.last_avail;
	cfg.flags = (h.flags & 1 ? VIRTQ_F_EVENT_IDX : 0) | (h.flags & 2 ? VIRTQ_F_INDIRECT : 0) |
		    (h.flags & 4 ? VIRTQ_F_LOG | VIRTQ_F_LOG_USED : 0);
	cfg.dir = (enum virtq_dir)((h.flags >> 3) % 3);

	memset(&s.vq, 0, sizeof(s.vq));
	s.nheld = 0;
	s.iov_cap = 1 + h.iov_cap % IOVCAP;
	for (i = 0; i < BATCH; i++) {
		s.pool[i].iov = s.iovs[i];
		s.pool[i].iov_cap = s.iov_cap;
	}
	if (virtq_init(&s.vq, &mem, &cfg))
		abort();	/* the rings are always inside region 0 */
	run_script(&s, data, nops, image_len);

	/* Drain: complete everything held, publish, then stop. */
	while (s.nheld && !virtq_broken(&s.vq))
		op_push(&s, 0, 0);
	was_broken = virtq_broken(&s.vq);
	check_ret(&s, virtq_flush(&s.vq));
	if (!was_broken && virtq_inflight_count(&s.vq))
		abort();	/* everything was pushed, so everything is published */
	virtq_stop(&s.vq);
	return 0;
}
