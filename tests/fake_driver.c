// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * fake_driver.c - the guest side of the virtqueue tests; see fake_driver.h.
 *
 * The driver mirrors what Linux's virtio_ring does for a split ring:
 * descriptors from a free list, a release store of avail->idx, a full fence
 * before deciding whether to kick, and an acquire load of used->idx.
 */
#include "config.h"

#include <endian.h>
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fake_driver.h"

static const struct {
	uint64_t gpa, size, off;
} layout[] = {
	{ FG_R0, FG_RSIZE, 0 },
	{ FG_R1, FG_RSIZE, FG_RSIZE },
	{ FG_R2, FG_R2SIZE, 2 * FG_RSIZE },
};

/* Front-end virtual addresses: anything distinct from the GPAs will do. */
#define FG_UVA_BASE 0x7f0000000000ull

/**
 * fake_guest_init() - create the memfd and map it for both sides
 * @g: the guest
 *
 * Return: 0 or a negative errno.
 */
int fake_guest_init(struct fake_guest *g)
{
	unsigned int i;
	int ret;

	memset(g, 0, sizeof(*g));
	g->fd = memfd_create("fake-guest", MFD_CLOEXEC);
	if (g->fd < 0)
		return -errno;
	if (ftruncate(g->fd, FG_FILE_SIZE) < 0)
		goto err_errno;
	g->drv = mmap(NULL, FG_FILE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, g->fd, 0);
	if (g->drv == MAP_FAILED)
		goto err_errno;
	guest_mem_init(&g->mem);
	for (i = 0; i < sizeof(layout) / sizeof(layout[0]); i++) {
		struct guest_region_desc d = {
			.gpa = layout[i].gpa,
			.size = layout[i].size,
			.uva = FG_UVA_BASE + layout[i].gpa,
			.mmap_offset = layout[i].off,
		};

		ret = guest_mem_add(&g->mem, &d, g->fd);
		if (ret) {
			fake_guest_fini(g);
			return ret;
		}
	}
	g->next_alloc = FG_R2;
	return 0;
err_errno:
	ret = -errno;
	close(g->fd);
	return ret;
}

/**
 * fake_guest_fini() - unmap and close everything
 * @g: the guest
 */
void fake_guest_fini(struct fake_guest *g)
{
	guest_mem_clear(&g->mem);
	guest_mem_log_clear(&g->mem);
	munmap(g->drv, FG_FILE_SIZE);
	close(g->fd);
}

/**
 * fake_gpa() - the driver's pointer to a GPA
 * @g:   the guest
 * @gpa: must be in one of the regions
 *
 * Return: the pointer, or NULL for an address in no region.
 */
void *fake_gpa(struct fake_guest *g, uint64_t gpa)
{
	unsigned int i;

	for (i = 0; i < sizeof(layout) / sizeof(layout[0]); i++)
		if (gpa >= layout[i].gpa && gpa - layout[i].gpa < layout[i].size)
			return g->drv + layout[i].off + (gpa - layout[i].gpa);
	return NULL;
}

/**
 * fake_alloc() - carve guest memory out of region 2
 * @g:     the guest
 * @size:  bytes
 * @align: power of two
 *
 * Return: the GPA (zeroed memory), or 0 when region 2 is exhausted.
 */
uint64_t fake_alloc(struct fake_guest *g, uint64_t size, uint64_t align)
{
	uint64_t gpa = (g->next_alloc + align - 1) & ~(align - 1);

	if (gpa + size > FG_R2 + FG_R2SIZE)
		return 0;
	g->next_alloc = gpa + size;
	memset(fake_gpa(g, gpa), 0, size);
	return gpa;
}

/**
 * fake_ring_init() - lay out a split ring in region 2 and reset the driver
 * @r:         the ring
 * @g:         the guest
 * @num:       ring size
 * @event_idx: VIRTIO_RING_F_EVENT_IDX negotiated
 * @start_idx: initial avail and used index (to test 16-bit wrap-around)
 */
void fake_ring_init(struct fake_ring *r, struct fake_guest *g, unsigned int num, bool event_idx,
		    uint16_t start_idx)
{
	unsigned int i;

	memset(r, 0, sizeof(*r));
	r->g = g;
	r->num = num;
	r->event_idx = event_idx;
	r->desc_gpa = fake_alloc(g, 16ull * num, 16);
	r->avail_gpa = fake_alloc(g, 6 + 2ull * num, 2);
	r->used_gpa = fake_alloc(g, 6 + 8ull * num, 4);
	r->vr.num = num;
	r->vr.desc = fake_gpa(g, r->desc_gpa);
	r->vr.avail = fake_gpa(g, r->avail_gpa);
	r->vr.used = fake_gpa(g, r->used_gpa);
	for (i = 0; i < num; i++)
		r->vr.desc[i].next = htole16((uint16_t)(i + 1));
	r->free_head = 0;
	r->num_free = num;
	r->avail_idx = start_idx;
	r->kicked_at = start_idx;
	r->last_used = start_idx;
	r->vr.avail->idx = htole16(start_idx);
	r->vr.used->idx = htole16(start_idx);
}

/**
 * fake_ring_config() - the virtq_config a back-end would build for @r
 * @r:   the ring
 * @cfg: out (flags set from event_idx plus INDIRECT; dir ANY)
 */
void fake_ring_config(const struct fake_ring *r, struct virtq_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->layout = VIRTQ_SPLIT;
	cfg->num = r->num;
	cfg->desc = guest_mem_gpa_to_host(&r->g->mem, r->desc_gpa, 16ull * r->num);
	cfg->avail = guest_mem_gpa_to_host(&r->g->mem, r->avail_gpa, 6 + 2ull * r->num);
	cfg->used = guest_mem_gpa_to_host(&r->g->mem, r->used_gpa, 6 + 8ull * r->num);
	cfg->used_gpa = r->used_gpa;
	cfg->last_avail_idx = r->avail_idx;
	cfg->flags = VIRTQ_F_INDIRECT | (r->event_idx ? VIRTQ_F_EVENT_IDX : 0);
	cfg->dir = VIRTQ_DIR_ANY;
	cfg->name = "test";
}

/**
 * fake_set_desc() - fill one descriptor
 * @d:     the descriptor
 * @gpa:   buffer address
 * @len:   buffer length
 * @flags: VRING_DESC_F_*
 * @next:  next index
 */
void fake_set_desc(struct vring_desc *d, uint64_t gpa, uint32_t len, uint16_t flags,
		   uint16_t next)
{
	d->addr = htole64(gpa);
	d->len = htole32(len);
	d->flags = htole16(flags);
	d->next = htole16(next);
}

/**
 * fake_desc() - the driver's pointer to descriptor @i of a table
 * @r:         the ring
 * @table_gpa: 0 for the ring's own table, else an indirect table's GPA
 * @i:         index
 *
 * Return: the descriptor (NULL if @table_gpa is unmapped).
 */
struct vring_desc *fake_desc(struct fake_ring *r, uint64_t table_gpa, unsigned int i)
{
	if (!table_gpa)
		return &r->vr.desc[i];
	return fake_gpa(r->g, table_gpa + 16ull * i);
}

/**
 * fake_put_avail() - put @head in the next avail slot (not yet published)
 * @r:    the ring
 * @head: any value (tests use out-of-range ones too)
 */
void fake_put_avail(struct fake_ring *r, uint16_t head)
{
	r->vr.avail->ring[r->avail_idx % r->num] = htole16(head);
	r->avail_idx++;
}

/**
 * fake_add() - add a chain of direct descriptors from the free list
 * @r:    the ring
 * @bufs: buffers, readable ones first
 * @n:    how many
 *
 * Return: the head index, or -ENOSPC.
 */
int fake_add(struct fake_ring *r, const struct fake_buf *bufs, unsigned int n)
{
	uint16_t head = r->free_head, idx = head;
	unsigned int i;

	if (n == 0 || n > r->num_free)
		return -ENOSPC;
	for (i = 0; i < n; i++) {
		struct vring_desc *d = &r->vr.desc[idx];
		uint16_t next = le16toh(d->next);
		uint16_t flags = (bufs[i].writable ? VRING_DESC_F_WRITE : 0) |
				 (i + 1 < n ? VRING_DESC_F_NEXT : 0);

		fake_set_desc(d, bufs[i].gpa, bufs[i].len, flags, next);
		if (i + 1 < n)
			idx = next;
		else
			r->free_head = next;
	}
	r->num_free -= n;
	fake_put_avail(r, head);
	return head;
}

/**
 * fake_add_indirect() - add a chain as one indirect descriptor
 * @r:         the ring
 * @table_gpa: where to write the table (16 * @n bytes)
 * @bufs:      buffers
 * @n:         how many
 *
 * Return: the head index, or -ENOSPC.
 */
int fake_add_indirect(struct fake_ring *r, uint64_t table_gpa, const struct fake_buf *bufs,
		      unsigned int n)
{
	uint16_t head = r->free_head;
	struct vring_desc *d = &r->vr.desc[head];
	unsigned int i;

	if (r->num_free == 0)
		return -ENOSPC;
	for (i = 0; i < n; i++)
		fake_set_desc(fake_desc(r, table_gpa, i), bufs[i].gpa, bufs[i].len,
			      (bufs[i].writable ? VRING_DESC_F_WRITE : 0) |
			      (i + 1 < n ? VRING_DESC_F_NEXT : 0),
			      (uint16_t)(i + 1));
	r->free_head = le16toh(d->next);
	fake_set_desc(d, table_gpa, 16 * n, VRING_DESC_F_INDIRECT, r->free_head);
	r->num_free--;
	fake_put_avail(r, head);
	return head;
}

/**
 * fake_publish() - make everything added visible: avail->idx, release
 * @r: the ring
 */
void fake_publish(struct fake_ring *r)
{
	/* Release: descriptors and avail entries before the index. */
	__atomic_store_n(&r->vr.avail->idx, htole16(r->avail_idx), __ATOMIC_RELEASE);
}

/**
 * fake_kick_needed() - the driver's decision after publishing
 * @r: the ring
 *
 * Return: true if the driver would kick now.
 */
bool fake_kick_needed(struct fake_ring *r)
{
	uint16_t old = r->kicked_at, new = r->avail_idx;

	/* Full fence: avail->idx store before reading the device's hints. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	r->kicked_at = new;
	if (r->event_idx) {
		uint16_t ev = le16toh(__atomic_load_n((uint16_t *)&r->vr.used->ring[r->num],
						      __ATOMIC_RELAXED));

		return vring_need_event(ev, new, old);
	}
	return !(le16toh(__atomic_load_n(&r->vr.used->flags, __ATOMIC_RELAXED)) &
		 VRING_USED_F_NO_NOTIFY);
}

/**
 * fake_get_used() - take the next used entry and free its descriptors
 * @r:   the ring
 * @id:  out: head id
 * @len: out: bytes written
 *
 * Return: 1 if there was one, 0 if none, -EINVAL for an id the driver
 * cannot free (the device misbehaved).
 */
int fake_get_used(struct fake_ring *r, uint32_t *id, uint32_t *len)
{
	struct vring_used_elem *u;
	uint16_t idx, i;

	/* Acquire: used entries are read after the index that covers them. */
	if (le16toh(__atomic_load_n(&r->vr.used->idx, __ATOMIC_ACQUIRE)) == r->last_used)
		return 0;
	u = &r->vr.used->ring[r->last_used % r->num];
	*id = le32toh(u->id);
	*len = le32toh(u->len);
	r->last_used++;
	if (*id >= r->num)
		return -EINVAL;
	/* Give the chain's descriptors back to the free list. */
	idx = (uint16_t)*id;
	for (i = 1; le16toh(r->vr.desc[idx].flags) & VRING_DESC_F_NEXT; i++)
		idx = le16toh(r->vr.desc[idx].next);
	r->vr.desc[idx].next = htole16(r->free_head);
	r->free_head = (uint16_t)*id;
	r->num_free += i;
	return 1;
}
