/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * virtq.h - the virtqueue engine (split ring today; packed can sit beside it).
 *
 * Callers (the vhost-user ring life cycle, the net device) use only this
 * interface. The ring areas are given as host pointers the caller already
 * translated and bounds-checked against guest memory (split ring: desc
 * 16*num bytes, avail 6+2*num, used 6+8*num; the trailing event fields are
 * included in those sizes).
 *
 * Life of a chain:
 *   virtq_pop_batch()  -> elements with iovecs straight into guest memory
 *   ... I/O, possibly completing out of order ...
 *   virtq_push(elem, len)     any order
 *   virtq_flush()             publishes the completed prefix, in ring order
 *   virtq_should_notify()     should the caller write the call eventfd?
 * or, when a chain cannot be processed now, virtq_unpop() gives it back.
 *
 * Everything read from the ring is hostile. A violation marks the virtq
 * broken: one log line, virtq_broken() returns the reason, and every later
 * operation returns -EIO (or does nothing) without touching guest memory.
 *
 * Single-threaded: one virtq is used from one thread (the event loop).
 * The guest driver runs concurrently; ordering against it is explicit.
 */
#ifndef VURING_VIRTQ_H
#define VURING_VIRTQ_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>
#include <linux/virtio_ring.h>

#include "guest_mem.h"

/* Largest ring the spec allows for split rings. */
#define VIRTQ_MAX_SIZE 32768

/*
 * Hard ceiling on iovecs per chain: UIO_MAXIOV, the most one readv/writev
 * (or io_uring READV/WRITEV) accepts. Callers size elem->iov_cap at or below.
 */
#define VIRTQ_MAX_IOV 1024

/* Length of the reason string kept when a virtq breaks. */
#define VIRTQ_REASON_LEN 128

/* virtq_config.flags */
#define VIRTQ_F_EVENT_IDX	(1u << 0)	/* VIRTIO_RING_F_EVENT_IDX negotiated */
#define VIRTQ_F_INDIRECT	(1u << 1)	/* VIRTIO_RING_F_INDIRECT_DESC negotiated */
#define VIRTQ_F_LOG		(1u << 2)	/* log buffer writes (VHOST_F_LOG_ALL, migration) */
#define VIRTQ_F_LOG_USED	(1u << 3)	/* log used-ring writes (VHOST_VRING_F_LOG) */

/* Which way buffers of this queue go; checked on every chain. */
enum virtq_dir {
	VIRTQ_DIR_ANY = 0,	/* readable then writable parts, either may be empty */
	VIRTQ_DIR_OUT,		/* device only reads (net TX): no writable part, >=1 readable byte */
	VIRTQ_DIR_IN,		/* device only writes (net RX): no readable part, >=1 writable byte */
};

enum virtq_layout {
	VIRTQ_SPLIT = 0,	/* virtio 1.x section 2.7 */
	/* VIRTQ_PACKED later, behind the same functions */
};

/**
 * struct virtq_config - what virtq_init() needs, all from the front-end
 * @layout:	  VIRTQ_SPLIT (the only one so far)
 * @num:	  ring size: power of two, 1..VIRTQ_MAX_SIZE
 * @desc:	  host address of the descriptor table (16-byte aligned)
 * @avail:	  host address of the driver area / avail ring (2-byte aligned)
 * @used:	  host address of the device area / used ring (4-byte aligned)
 * @used_gpa:	  guest-physical address of the used ring, for dirty logging
 *		  (SET_VRING_ADDR log_guest_addr); ignored without VIRTQ_F_LOG_USED
 * @last_avail_idx: where to start popping (SET_VRING_BASE)
 * @flags:	  VIRTQ_F_*
 * @dir:	  direction rule for every chain
 * @name:	  short name for log lines ("rx0", "tx3"); copied
 */
struct virtq_config {
	enum virtq_layout layout;
	unsigned int num;
	void *desc;
	void *avail;
	void *used;
	uint64_t used_gpa;
	uint16_t last_avail_idx;
	uint32_t flags;
	enum virtq_dir dir;
	const char *name;
};

/**
 * struct virtq_elem - one popped chain; the caller owns the storage
 * @iov:	caller's array, filled with @out_num readable iovecs followed by
 *		@in_num writable ones (readable never follow writable)
 * @iov_cap:	entries @iov can hold (<= VIRTQ_MAX_IOV); a chain needing more
 *		breaks the virtq, so size it for the longest legitimate chain
 *		times two (a buffer crossing a region boundary takes two)
 * @out_num:	readable (driver -> device) iovecs, at @iov
 * @in_num:	writable (device -> driver) iovecs, at @iov + @out_num
 * @out_len:	total readable bytes
 * @in_len:	total writable bytes
 * @id:		head descriptor index (split) / buffer id (packed)
 * @ndescs:	descriptors the chain took in the ring (1 for an indirect one)
 * @seq:	pop sequence (the avail index it came from); the in-flight key
 */
struct virtq_elem {
	struct iovec *iov;
	unsigned int iov_cap;
	unsigned int out_num;
	unsigned int in_num;
	uint32_t out_len;
	uint32_t in_len;
	uint16_t id;
	uint16_t ndescs;
	uint16_t seq;
};

/* Private: one popped chain waiting to be published (see virtq_split.c). */
struct virtq_inflight {
	uint32_t len;
	uint16_t id;
	uint16_t state;
};

/*
 * struct virtq - one ring. Embed it anywhere; all fields are private to
 * virtq_*.c. virtq_init() allocates the in-flight table (num entries) once;
 * virtq_stop() frees it. Nothing is allocated per chain.
 */
struct virtq {
	struct vring vr;		/* num, desc, avail, used */
	uint16_t mask;			/* num - 1 */
	uint16_t last_avail_idx;	/* next avail slot to pop */
	uint16_t avail_shadow;		/* last avail->idx we read */
	uint16_t pub_seq;		/* oldest popped, unpublished chain */
	uint16_t used_idx;		/* our copy of used->idx */
	uint16_t used_flags;		/* our copy of used->flags */
	uint16_t signalled_used;	/* used_idx at the last notify decision */
	bool signalled_valid;		/* signalled_used means something */
	bool notify_enabled;		/* guest kicks wanted */
	bool running;			/* between init and stop */
	bool broken;
	uint32_t flags;			/* VIRTQ_F_* */
	uint32_t unsignalled;		/* used entries published since last decision */
	enum virtq_dir dir;
	enum virtq_layout layout;
	struct virtq_inflight *inflight;	/* num entries, by seq & mask */
	struct guest_mem *mem;
	uint64_t used_gpa;
	char name[16];
	char reason[VIRTQ_REASON_LEN];
};

/*
 * Life cycle (vhost-user): virtq_init() when the ring starts (first kick);
 * returns 0, or -EINVAL for a bad config (size not a power of two, misaligned
 * areas, unknown layout), -ENOMEM. It reads used->idx from the ring and
 * enables guest kicks (which reads avail->idx: if that is already absurd the
 * ring starts broken, and the first pop returns -EIO). virtq_stop() (GET_VRING_BASE, reset, disconnect) frees
 * the in-flight table and returns the avail index to report: the oldest chain
 * not yet published, so chains popped but never flushed are replayed by the
 * front-end. Wait for in-flight I/O, push and flush before stopping.
 * virtq_stop() on a never-initialised (zeroed) or stopped virtq returns 0.
 */
int virtq_init(struct virtq *vq, struct guest_mem *mem, const struct virtq_config *cfg);
uint16_t virtq_stop(struct virtq *vq);
/*
 * Switch dirty logging at run time: @log_flags is any of VIRTQ_F_LOG (buffer
 * writes, VHOST_F_LOG_ALL) and VIRTQ_F_LOG_USED (used-ring writes, the ring's
 * VHOST_VRING_F_LOG); the other flags stay as they are.
 */
void virtq_set_log(struct virtq *vq, uint32_t log_flags, uint64_t used_gpa);

/*
 * Popping: each returns the number of chains popped (0 when the ring is
 * empty), or -EIO when the virtq is (or just became) broken. A batch reads
 * avail->idx at most once. The caller sets iov/iov_cap in each element first.
 */
int virtq_pop_batch(struct virtq *vq, struct virtq_elem *elems, unsigned int n);
int virtq_pop(struct virtq *vq, struct virtq_elem *elem);
/* Give back the last @n popped chains (not yet pushed): 0, -EINVAL, -EIO. */
int virtq_unpop(struct virtq *vq, unsigned int n);
/*
 * Completion: virtq_push() records that @elem is done with @len bytes written
 * into its writable part (len <= in_len), in any order; -EINVAL for a caller
 * bug, -EIO when broken. virtq_flush() publishes the completed prefix in pop
 * order with one used->idx store; returns how many it published, or -EIO.
 */
int virtq_push(struct virtq *vq, const struct virtq_elem *elem, uint32_t len);
int virtq_flush(struct virtq *vq);

/*
 * Notifications. virtq_should_notify(): after a flush, true when the guest
 * wants an interrupt for what was published since the last decision
 * (VRING_AVAIL_F_NO_INTERRUPT, or used_event with EVENT_IDX).
 * virtq_disable_notify() asks the guest not to kick; virtq_enable_notify()
 * asks it to kick again and returns true if chains arrived meanwhile (then
 * the caller must disable again and keep draining: the vhost-net re-check).
 * A caller that stops popping while chains remain (budget) must come back
 * without waiting for a kick.
 */
bool virtq_should_notify(struct virtq *vq);
void virtq_disable_notify(struct virtq *vq);
bool virtq_enable_notify(struct virtq *vq);
/* True if the guest made chains available that we have not popped. */
bool virtq_has_avail(struct virtq *vq);

/* NULL while healthy; the reason once broken. */
const char *virtq_broken(const struct virtq *vq);
/* Chains popped and not yet published. */
uint16_t virtq_inflight_count(const struct virtq *vq);

#endif
