// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * virtq_split.c - the split virtqueue (virtio 1.x section 2.7), device side.
 *
 * The guest driver writes the descriptor table and the avail ring while we
 * read them, so every value is read once into a local and validated before
 * use; nothing read from the ring is trusted twice. The checks take the
 * strictest of the anchor back-ends (see research notes, section 2.4):
 *   head < num; next < table length; at most table-length descriptors per
 *   chain (a loop is caught); indirect only when negotiated, only at the
 *   head, without NEXT, never nested, its table non-empty, a multiple of 16
 *   bytes and at most num entries, inside guest memory; every buffer inside
 *   guest memory (split across regions, capped); total length < 2^32;
 *   readable buffers never after writable ones; the queue direction rule;
 *   avail->idx never more than num ahead of what we have not yet published.
 *
 * Publication is in pop order even when completions are not: a per-ring
 * in-flight table indexed by pop sequence holds completed chains until every
 * older one is done. QEMU's reconnect recovery sets last_avail = used->idx,
 * so anything after a gap in the used ring would be processed twice.
 */
#include "config.h"

#include <endian.h>
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "virtq.h"

enum inflight_state {
	INFLIGHT_FREE = 0,
	INFLIGHT_POPPED,	/* handed to the caller */
	INFLIGHT_DONE,		/* pushed, waiting for older chains */
};

/*
 * After copying a descriptor out of guest memory: forbid the compiler from
 * re-reading the shared copy instead of using our local one (a double fetch
 * would let the guest change a value between check and use).
 */
#define compiler_barrier() __asm__ __volatile__("" ::: "memory")

/* State of one chain walk. */
struct chain_walk {
	const struct vring_desc *table;	/* host address, or NULL: read via table_gpa */
	uint64_t table_gpa;		/* indirect table not contiguous in our mappings */
	uint32_t tlen;			/* entries in the current table */
	bool indirect;			/* walking an indirect table */
	bool seen_writable;		/* a device-writable buffer came already */
	bool seen_readable;
	uint64_t total;			/* bytes so far */
	unsigned int iov_cap;
};

static __attribute__((format(printf, 2, 3))) int vq_break(struct virtq *vq, const char *fmt, ...)
{
	va_list ap;

	if (vq->broken)
		return -EIO;
	va_start(ap, fmt);
	vsnprintf(vq->reason, sizeof(vq->reason), fmt, ap);
	va_end(ap);
	vq->broken = true;
	log_error("virtq %s: broken: %s", vq->name, vq->reason);
	return -EIO;
}

static inline uint16_t *used_event_ptr(const struct virtq *vq)
{
	return &vq->vr.avail->ring[vq->vr.num];
}

static inline uint16_t *avail_event_ptr(const struct virtq *vq)
{
	return (uint16_t *)&vq->vr.used->ring[vq->vr.num];
}

/* Dirty-log a write we made into the used ring, at @off bytes from its start. */
static inline void log_used(const struct virtq *vq, size_t off, size_t len)
{
	if (vq->flags & VIRTQ_F_LOG_USED)
		guest_mem_log_write(vq->mem, vq->used_gpa + off, len);
}

static inline bool usable(const struct virtq *vq)
{
	return vq->running && !vq->broken;
}

/**
 * virtq_init() - start a split ring on areas the caller translated
 * @vq:  the ring; zeroed or stopped
 * @mem: guest memory the descriptors point into; must outlive the ring
 * @cfg: sizes, addresses, features
 *
 * Return: 0, -EINVAL for a bad @cfg, -ENOMEM.
 */
int virtq_init(struct virtq *vq, struct guest_mem *mem, const struct virtq_config *cfg)
{
	struct virtq_inflight *inflight;
	unsigned int num = cfg->num;

	if (cfg->layout != VIRTQ_SPLIT || num == 0 || num > VIRTQ_MAX_SIZE || (num & (num - 1)))
		return -EINVAL;
	/* Spec 2.7: alignment 16/2/4; our atomic accesses need it too. */
	if (!cfg->desc || !cfg->avail || !cfg->used || (uintptr_t)cfg->desc % 16 ||
	    (uintptr_t)cfg->avail % 2 || (uintptr_t)cfg->used % 4)
		return -EINVAL;
	inflight = calloc(num, sizeof(*inflight));
	if (!inflight)
		return -ENOMEM;

	memset(vq, 0, sizeof(*vq));
	vq->vr.num = num;
	vq->vr.desc = cfg->desc;
	vq->vr.avail = cfg->avail;
	vq->vr.used = cfg->used;
	vq->mask = (uint16_t)(num - 1);
	vq->last_avail_idx = cfg->last_avail_idx;
	vq->avail_shadow = cfg->last_avail_idx;
	vq->pub_seq = cfg->last_avail_idx;
	vq->used_idx = le16toh(__atomic_load_n(&vq->vr.used->idx, __ATOMIC_RELAXED));
	vq->flags = cfg->flags;
	vq->dir = cfg->dir;
	vq->layout = cfg->layout;
	vq->inflight = inflight;
	vq->mem = mem;
	vq->used_gpa = cfg->used_gpa;
	snprintf(vq->name, sizeof(vq->name), "%s", cfg->name ? cfg->name : "?");
	vq->running = true;
	/* Start with guest kicks wanted, as the spec's initial state has it. */
	vq->notify_enabled = false;
	virtq_enable_notify(vq);
	log_debug("virtq %s: started, size %u, last_avail %u, used %u, flags %#x", vq->name,
		  num, vq->last_avail_idx, vq->used_idx, vq->flags);
	return 0;
}

/**
 * virtq_stop() - stop the ring and free its in-flight table
 * @vq: the ring
 *
 * Return: the avail index of the oldest chain not published in the used
 * ring, which is what GET_VRING_BASE reports.
 */
uint16_t virtq_stop(struct virtq *vq)
{
	free(vq->inflight);
	vq->inflight = NULL;
	vq->running = false;
	return vq->pub_seq;
}

/**
 * virtq_set_log() - switch dirty logging of our writes on or off
 * @vq:        the ring
 * @log_flags: VIRTQ_F_LOG (buffer writes) and/or VIRTQ_F_LOG_USED (used ring)
 * @used_gpa:  guest-physical address of the used ring (log_guest_addr)
 *
 * The spec keeps the two apart: buffer writes follow VHOST_F_LOG_ALL, used
 * ring writes the ring's own VHOST_VRING_F_LOG flag.
 */
void virtq_set_log(struct virtq *vq, uint32_t log_flags, uint64_t used_gpa)
{
	const uint32_t mask = VIRTQ_F_LOG | VIRTQ_F_LOG_USED;

	vq->used_gpa = used_gpa;
	vq->flags = (vq->flags & ~mask) | (log_flags & mask);
}

/**
 * avail_refresh() - read avail->idx and check it
 * @vq: the ring
 *
 * A driver can have at most num chains outstanding (each holds at least one
 * descriptor), and it gets them back only when we publish them; so avail->idx
 * may run at most num ahead of the oldest chain we have not published. That
 * also guarantees a free in-flight slot for every chain we pop.
 *
 * Return: 0, or -EIO (broken).
 */
static int avail_refresh(struct virtq *vq)
{
	uint16_t idx, ahead;

	/*
	 * Acquire: pairs with the driver's write barrier between filling the
	 * ring entries and descriptors and publishing avail->idx; everything
	 * we read for entries below idx is at least that new.
	 */
	idx = le16toh(__atomic_load_n(&vq->vr.avail->idx, __ATOMIC_ACQUIRE));
	ahead = (uint16_t)(idx - vq->pub_seq);
	if (ahead > vq->vr.num)
		return vq_break(vq, "avail index %u is %u ahead of the oldest unused chain %u (ring size %u)",
				idx, ahead, vq->pub_seq, vq->vr.num);
	/* Unpopped chains are still behind idx; it must not move back over them. */
	if ((uint16_t)(vq->last_avail_idx - vq->pub_seq) > ahead)
		return vq_break(vq, "avail index %u moved back behind popped chain %u", idx,
				(uint16_t)(vq->last_avail_idx - 1));
	vq->avail_shadow = idx;
	return 0;
}

/**
 * read_desc() - copy descriptor @idx of the current table
 * @vq:  the ring
 * @w:   the walk (table already checked to lie in guest memory)
 * @idx: entry, < w->tlen
 * @d:   out: the copy, in guest byte order
 *
 * Return: 0, or -EIO.
 */
static int read_desc(struct virtq *vq, const struct chain_walk *w, uint32_t idx,
		     struct vring_desc *d)
{
	struct iovec iov[sizeof(*d)];
	size_t got = 0;
	int i, n;

	if (w->table) {
		memcpy(d, &w->table[idx], sizeof(*d));
		compiler_barrier();
		return 0;
	}
	/* Table straddles regions: a descriptor may too (1-byte regions worst). */
	n = guest_mem_gpa_to_iov(vq->mem, w->table_gpa + (uint64_t)idx * sizeof(*d), sizeof(*d),
				 iov, sizeof(*d));
	if (n < 0)
		return vq_break(vq, "indirect descriptor %u not in guest memory", idx);
	for (i = 0; i < n; i++) {
		memcpy((uint8_t *)d + got, iov[i].iov_base, iov[i].iov_len);
		got += iov[i].iov_len;
	}
	compiler_barrier();
	return 0;
}

/**
 * enter_indirect() - switch the walk to the table an indirect descriptor names
 * @vq:   the ring
 * @w:    the walk
 * @d:    the indirect descriptor (local copy)
 * @head: chain head, for messages
 * @first: whether @d is the chain's first descriptor
 *
 * Return: 0, or -EIO.
 */
static int enter_indirect(struct virtq *vq, struct chain_walk *w, const struct vring_desc *d,
			  uint16_t head, bool first)
{
	uint16_t flags = le16toh(d->flags);
	uint32_t len = le32toh(d->len);
	uint64_t addr = le64toh(d->addr);

	if (!(vq->flags & VIRTQ_F_INDIRECT))
		return vq_break(vq, "chain %u: indirect descriptor, INDIRECT_DESC not negotiated", head);
	if (w->indirect)
		return vq_break(vq, "chain %u: nested indirect descriptor", head);
	if (flags & VRING_DESC_F_NEXT)
		return vq_break(vq, "chain %u: indirect descriptor has NEXT set", head);
	/* QEMU, the reference device, follows indirect tables only at the head. */
	if (!first)
		return vq_break(vq, "chain %u: indirect descriptor after the head", head);
	if (len == 0 || len % sizeof(struct vring_desc) ||
	    len / sizeof(struct vring_desc) > vq->vr.num)
		return vq_break(vq, "chain %u: indirect table of %u bytes (ring size %u)", head, len,
				vq->vr.num);
	w->table = guest_mem_gpa_to_host(vq->mem, addr, len);
	if (!w->table && guest_mem_gpa_check(vq->mem, addr, len))
		return vq_break(vq, "chain %u: indirect table %#llx+%u not in guest memory", head,
				(unsigned long long)addr, len);
	w->table_gpa = addr;
	w->tlen = len / sizeof(struct vring_desc);
	w->indirect = true;
	return 0;
}

/**
 * add_buffer() - validate one buffer descriptor and append its iovecs
 * @vq:   the ring
 * @w:    the walk
 * @e:    the element being filled
 * @d:    the descriptor (local copy)
 * @head: chain head, for messages
 *
 * Return: 0, or -EIO.
 */
static int add_buffer(struct virtq *vq, struct chain_walk *w, struct virtq_elem *e,
		      const struct vring_desc *d, uint16_t head)
{
	bool writable = le16toh(d->flags) & VRING_DESC_F_WRITE;
	uint32_t len = le32toh(d->len);
	uint64_t addr = le64toh(d->addr);
	unsigned int used = e->out_num + e->in_num;
	int n;

	if (!writable && w->seen_writable)
		return vq_break(vq, "chain %u: readable descriptor after a writable one", head);
	w->seen_writable |= writable;
	w->seen_readable |= !writable;
	w->total += len;
	if (w->total > UINT32_MAX)
		return vq_break(vq, "chain %u: total length of 4 GiB or more", head);
	n = guest_mem_gpa_to_iov(vq->mem, addr, len, e->iov + used, w->iov_cap - used);
	if (n == -E2BIG)
		return vq_break(vq, "chain %u: needs more than %u iovecs", head, w->iov_cap);
	if (n < 0)
		return vq_break(vq, "chain %u: buffer %#llx+%u not in guest memory", head,
				(unsigned long long)addr, len);
	if (writable) {
		e->in_num += (unsigned int)n;
		e->in_len += len;
	} else {
		e->out_num += (unsigned int)n;
		e->out_len += len;
	}
	return 0;
}

/**
 * check_dir() - the queue's direction rule for a complete chain
 * @vq:   the ring
 * @w:    the finished walk
 * @head: chain head
 *
 * Return: 0, or -EIO.
 */
static int check_dir(struct virtq *vq, const struct chain_walk *w, uint16_t head)
{
	switch (vq->dir) {
	case VIRTQ_DIR_OUT:
		if (w->seen_writable)
			return vq_break(vq, "chain %u: device-writable buffer on a device-read queue",
					head);
		break;
	case VIRTQ_DIR_IN:
		if (w->seen_readable)
			return vq_break(vq, "chain %u: device-readable buffer on a device-write queue",
					head);
		break;
	case VIRTQ_DIR_ANY:
		return 0;
	}
	if (w->total == 0)
		return vq_break(vq, "chain %u: empty chain on a one-way queue", head);
	return 0;
}

/**
 * walk_chain() - follow the chain at @head, filling @e
 * @vq:   the ring
 * @head: validated head index (< num)
 * @e:    the element; iov and iov_cap set by the caller
 *
 * Return: 0, or -EIO.
 */
static int walk_chain(struct virtq *vq, uint16_t head, struct virtq_elem *e)
{
	struct chain_walk w = {
		.table = vq->vr.desc,
		.tlen = vq->vr.num,
		.iov_cap = e->iov_cap < VIRTQ_MAX_IOV ? e->iov_cap : VIRTQ_MAX_IOV,
	};
	uint32_t idx = head, seen = 0;
	struct vring_desc d;
	uint16_t flags;
	int ret;

	e->ndescs = 0;
	for (;;) {
		/* TTL: a chain can't hold more descriptors than its table. */
		if (++seen > w.tlen)
			return vq_break(vq, "chain %u: more than %u descriptors (a loop?)", head,
					w.tlen);
		ret = read_desc(vq, &w, idx, &d);
		if (ret)
			return ret;
		flags = le16toh(d.flags);
		if (!w.indirect)
			e->ndescs++;
		if (flags & VRING_DESC_F_INDIRECT) {
			ret = enter_indirect(vq, &w, &d, head, seen == 1);
			if (ret)
				return ret;
			idx = 0;
			seen = 0;
			continue;
		}
		ret = add_buffer(vq, &w, e, &d, head);
		if (ret)
			return ret;
		if (!(flags & VRING_DESC_F_NEXT))
			break;
		idx = le16toh(d.next);
		if (idx >= w.tlen)
			return vq_break(vq, "chain %u: next %u out of a table of %u", head, idx,
					w.tlen);
	}
	return check_dir(vq, &w, head);
}

/**
 * pop_one() - pop the chain at last_avail_idx (which is below avail_shadow)
 * @vq: the ring
 * @e:  where to put it
 *
 * Return: 0, or -EIO.
 */
static int pop_one(struct virtq *vq, struct virtq_elem *e)
{
	uint16_t seq = vq->last_avail_idx;
	struct virtq_inflight *slot;
	uint16_t head;
	int ret;

	/* Ordered after the avail->idx acquire in avail_refresh(). */
	head = le16toh(__atomic_load_n(&vq->vr.avail->ring[seq & vq->mask], __ATOMIC_RELAXED));
	if (head >= vq->vr.num)
		return vq_break(vq, "avail[%u]: head %u out of a ring of %u", seq, head, vq->vr.num);
	e->out_num = e->in_num = 0;
	e->out_len = e->in_len = 0;
	ret = walk_chain(vq, head, e);
	if (ret)
		return ret;
	e->id = head;
	e->seq = seq;
	slot = &vq->inflight[seq & vq->mask];
	slot->id = head;
	slot->len = 0;
	slot->state = INFLIGHT_POPPED;
	vq->last_avail_idx = seq + 1;
	return 0;
}

/* With EVENT_IDX and kicks wanted: kick us when avail->idx passes @idx. */
static void write_avail_event(struct virtq *vq, uint16_t idx)
{
	__atomic_store_n(avail_event_ptr(vq), htole16(idx), __ATOMIC_RELAXED);
	log_used(vq, offsetof(struct vring_used, ring) + vq->vr.num * sizeof(struct vring_used_elem),
		 sizeof(uint16_t));
}

/**
 * virtq_pop_batch() - pop up to @n chains, reading avail->idx at most once
 * @vq:    the ring
 * @elems: caller's elements, each with iov and iov_cap set
 * @n:     how many to pop at most
 *
 * Return: chains popped (0 if none available), or -EIO when broken.
 */
int virtq_pop_batch(struct virtq *vq, struct virtq_elem *elems, unsigned int n)
{
	unsigned int i = 0;

	if (!usable(vq))
		return -EIO;
	if ((uint16_t)(vq->avail_shadow - vq->last_avail_idx) < n && avail_refresh(vq))
		return -EIO;
	while (i < n && vq->last_avail_idx != vq->avail_shadow) {
		if (pop_one(vq, &elems[i]))
			return -EIO;
		i++;
	}
	/*
	 * Kicks wanted: ask for one when the driver adds past what we took
	 * (libvhost-user does the same; when the caller disabled kicks, the
	 * old avail_event keeps the driver quiet, as in vhost).
	 */
	if (i && vq->notify_enabled && (vq->flags & VIRTQ_F_EVENT_IDX))
		write_avail_event(vq, vq->last_avail_idx);
	return (int)i;
}

/**
 * virtq_pop() - pop one chain
 * @vq:   the ring
 * @elem: the element, iov and iov_cap set
 *
 * Return: 1, 0 when the ring is empty, or -EIO.
 */
int virtq_pop(struct virtq *vq, struct virtq_elem *elem)
{
	return virtq_pop_batch(vq, elem, 1);
}

/**
 * virtq_unpop() - give back the last @n popped chains (backpressure)
 * @vq: the ring
 * @n:  how many; none of them pushed yet
 *
 * The next pop reads them from the ring again (and validates them again).
 *
 * Return: 0, -EINVAL if fewer than @n unpushed chains are at the tail, -EIO.
 */
int virtq_unpop(struct virtq *vq, unsigned int n)
{
	unsigned int i;

	if (!usable(vq))
		return -EIO;
	if (n > (uint16_t)(vq->last_avail_idx - vq->pub_seq))
		return -EINVAL;
	for (i = 1; i <= n; i++)
		if (vq->inflight[(uint16_t)(vq->last_avail_idx - i) & vq->mask].state !=
		    INFLIGHT_POPPED)
			return -EINVAL;
	for (i = 1; i <= n; i++)
		vq->inflight[(uint16_t)(vq->last_avail_idx - i) & vq->mask].state = INFLIGHT_FREE;
	vq->last_avail_idx -= (uint16_t)n;
	return 0;
}

/* Dirty-log the first @len bytes of @e's writable part. */
static void log_written(const struct virtq *vq, const struct virtq_elem *e, uint32_t len)
{
	const struct iovec *iov = e->iov + e->out_num;
	unsigned int i;

	for (i = 0; i < e->in_num && len; i++) {
		size_t chunk = iov[i].iov_len < len ? iov[i].iov_len : len;

		guest_mem_log_host_write(vq->mem, iov[i].iov_base, chunk);
		len -= (uint32_t)chunk;
	}
}

/**
 * virtq_push() - record that a popped chain is done
 * @vq:   the ring
 * @elem: the element as popped
 * @len:  bytes written into its writable part
 *
 * Any order; publication waits for virtq_flush() and for older chains.
 *
 * Return: 0; -EINVAL for an element not in flight or @len > in_len; -EIO.
 */
int virtq_push(struct virtq *vq, const struct virtq_elem *elem, uint32_t len)
{
	struct virtq_inflight *slot;

	if (!usable(vq))
		return -EIO;
	if ((uint16_t)(elem->seq - vq->pub_seq) >= (uint16_t)(vq->last_avail_idx - vq->pub_seq))
		return -EINVAL;
	slot = &vq->inflight[elem->seq & vq->mask];
	if (slot->state != INFLIGHT_POPPED || slot->id != elem->id || len > elem->in_len)
		return -EINVAL;
	slot->len = len;
	slot->state = INFLIGHT_DONE;
	if (vq->flags & VIRTQ_F_LOG)
		log_written(vq, elem, len);
	return 0;
}

/**
 * virtq_flush() - publish the completed prefix of the in-flight chains
 * @vq: the ring
 *
 * Return: used entries published (0 if the oldest chain is not done), or
 * -EIO.
 */
int virtq_flush(struct virtq *vq)
{
	struct vring_used_elem *ring = vq->vr.used->ring;
	int n = 0;

	if (!usable(vq))
		return -EIO;
	while (vq->pub_seq != vq->last_avail_idx) {
		struct virtq_inflight *slot = &vq->inflight[vq->pub_seq & vq->mask];
		uint16_t pos = vq->used_idx & vq->mask;

		if (slot->state != INFLIGHT_DONE)
			break;
		/* Plain stores; the release on used->idx below publishes them. */
		__atomic_store_n(&ring[pos].id, htole32(slot->id), __ATOMIC_RELAXED);
		__atomic_store_n(&ring[pos].len, htole32(slot->len), __ATOMIC_RELAXED);
		log_used(vq, offsetof(struct vring_used, ring) + pos * sizeof(*ring), sizeof(*ring));
		slot->state = INFLIGHT_FREE;
		vq->pub_seq++;
		vq->used_idx++;
		n++;
	}
	if (!n)
		return 0;
	/*
	 * Release: the used entries above, and the guest buffers written
	 * before each push, are visible before the new index. Pairs with the
	 * driver's read barrier after it reads used->idx.
	 */
	__atomic_store_n(&vq->vr.used->idx, htole16(vq->used_idx), __ATOMIC_RELEASE);
	log_used(vq, offsetof(struct vring_used, idx), sizeof(uint16_t));
	/* Saturate: past 2^16 the last signalled index means nothing anyway. */
	vq->unsignalled += (uint32_t)n;
	if (vq->unsignalled > 0x10000)
		vq->unsignalled = 0x10000;
	return n;
}

/**
 * virtq_should_notify() - does the guest want an interrupt for what we
 * published since the last call?
 * @vq: the ring
 *
 * Return: true if the caller should write the call eventfd.
 */
bool virtq_should_notify(struct virtq *vq)
{
	uint16_t old, event;
	bool valid;

	if (!usable(vq) || !vq->unsignalled)
		return false;
	/*
	 * Full fence: our used->idx store must be visible before we read
	 * the driver's flags / used_event. The driver mirrors this (writes
	 * used_event, fence, reads used->idx), so one of us sees the other.
	 */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	valid = vq->signalled_valid && vq->unsignalled < 0x10000;
	old = vq->signalled_used;
	vq->signalled_used = vq->used_idx;
	vq->signalled_valid = true;
	vq->unsignalled = 0;
	if (!(vq->flags & VIRTQ_F_EVENT_IDX))
		return !(le16toh(__atomic_load_n(&vq->vr.avail->flags, __ATOMIC_RELAXED)) &
			 VRING_AVAIL_F_NO_INTERRUPT);
	if (!valid)
		return true;
	event = le16toh(__atomic_load_n(used_event_ptr(vq), __ATOMIC_RELAXED));
	return vring_need_event(event, vq->used_idx, old);
}

/**
 * virtq_disable_notify() - ask the driver not to kick while we drain
 * @vq: the ring
 */
void virtq_disable_notify(struct virtq *vq)
{
	if (!usable(vq) || !vq->notify_enabled)
		return;
	vq->notify_enabled = false;
	/*
	 * With EVENT_IDX there is nothing to write: avail_event stays where
	 * it was, so the driver, having kicked once past it, stays quiet.
	 */
	if (vq->flags & VIRTQ_F_EVENT_IDX)
		return;
	vq->used_flags |= VRING_USED_F_NO_NOTIFY;
	/* A hint; no ordering needed (a stray kick is harmless). */
	__atomic_store_n(&vq->vr.used->flags, htole16(vq->used_flags), __ATOMIC_RELAXED);
	log_used(vq, offsetof(struct vring_used, flags), sizeof(uint16_t));
}

/**
 * virtq_enable_notify() - ask for kicks again, then re-check the ring
 * @vq: the ring
 *
 * The kick is asked for at the newest chain seen, not the next one to pop:
 * a caller short of chains (a frame needing more RX buffers than are
 * there) has given some back with virtq_unpop() and needs the driver to
 * kick for the next one it adds. With EVENT_IDX, avail_event at the next
 * one to pop would already be behind the driver's index, and no kick would
 * come. For a caller that popped everything the two are the same.
 *
 * Return: true if chains arrived since the newest one seen (the driver may
 * not kick for them); the caller must then disable and keep draining.
 * Chains seen before and given back do not count: they were not enough.
 */
bool virtq_enable_notify(struct virtq *vq)
{
	uint16_t seen;

	if (!usable(vq))
		return false;
	seen = vq->avail_shadow;
	vq->notify_enabled = true;
	if (vq->flags & VIRTQ_F_EVENT_IDX) {
		write_avail_event(vq, seen);
	} else {
		vq->used_flags &= (uint16_t)~VRING_USED_F_NO_NOTIFY;
		__atomic_store_n(&vq->vr.used->flags, htole16(vq->used_flags), __ATOMIC_RELAXED);
		log_used(vq, offsetof(struct vring_used, flags), sizeof(uint16_t));
	}
	/*
	 * Full fence: the store above must be visible before we re-read
	 * avail->idx. The driver stores avail->idx, fences, then reads our
	 * flags / avail_event: either it sees kicks wanted and kicks, or we
	 * see its new index here. Without this a kick can be lost.
	 */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (avail_refresh(vq))
		return false;
	return vq->avail_shadow != seen;
}

/**
 * virtq_has_avail() - are there chains we have not popped?
 * @vq: the ring
 *
 * Return: true if so (reads avail->idx only when our copy says none).
 */
bool virtq_has_avail(struct virtq *vq)
{
	if (!usable(vq))
		return false;
	if (vq->avail_shadow != vq->last_avail_idx)
		return true;
	if (avail_refresh(vq))
		return false;
	return vq->avail_shadow != vq->last_avail_idx;
}

/**
 * virtq_broken() - why the ring broke
 * @vq: the ring
 *
 * Return: NULL while healthy, else a one-line reason.
 */
const char *virtq_broken(const struct virtq *vq)
{
	return vq->broken ? vq->reason : NULL;
}

/**
 * virtq_inflight_count() - chains popped and not yet published
 * @vq: the ring
 *
 * Return: the count.
 */
uint16_t virtq_inflight_count(const struct virtq *vq)
{
	return (uint16_t)(vq->last_avail_idx - vq->pub_seq);
}
