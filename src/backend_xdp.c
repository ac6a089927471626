// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * backend_xdp.c - the AF_XDP back-end: one AF_XDP socket per queue pair,
 * bound to the matching queue of an existing network interface, behind the
 * same ops as the TAP back-end.
 *
 * Each queue pair has a UMEM that vuring allocates. Its first half are RX
 * frames, which circulate between the fill ring (handed to the kernel), the
 * RX ring (a frame arrived) and back; its second half are TX frames, free in
 * vuring's hands until a guest frame is copied into one and put on the TX
 * ring, then given back by the completion ring. Both rings of a kind are as
 * large as their half of the UMEM, so reserving a slot never fails.
 *
 * Frames are copied both ways, so the kernel never holds guest memory and a
 * ring stop has nothing to wait for:
 *  - tx() copies the frame, without the guest's virtio-net header, into a
 *    free TX frame and writes its descriptor; the op completes at the next
 *    flush() with the bytes taken from the guest. With every TX frame in the
 *    kernel's hands it completes with -EAGAIN, and poll(POLLOUT) completes
 *    once the completion ring gave frames back.
 *  - rx() queues the op; flush() takes the next frame off the RX ring and
 *    writes a zeroed virtio-net header and the frame into the op's buffer
 *    (header + frame, as a TAP read does), then returns the UMEM frame to the
 *    fill ring. With no frame the op completes with -EAGAIN, as a read of a
 *    non-blocking TAP does, and poll(POLLIN) waits for one.
 * No offloads: an AF_XDP frame carries no checksum or segmentation request,
 * so offloads() reports none and the device withdraws them from its offer
 * (vu_net_attach); the zeroed header tells the guest to check checksums.
 *
 * Wake-ups go through io_uring like the TAP's, so the socket reaches the
 * libevent loop through the ring's eventfd: poll(POLLIN) is a POLL_ADD on the
 * socket (arming it also wakes a zero-copy driver that asked to be woken,
 * need_wakeup); the TX kick (in copy mode the kick is what transmits) is a
 * SENDMSG with MSG_DONTWAIT. A kick that leaves descriptors on the TX ring is
 * repeated at once while the kernel takes some, otherwise after a TIMEOUT
 * that doubles up to XDP_BACKOFF_MAX_NS. Nothing runs while nothing moves.
 *
 * Ops that complete without a trip to the kernel are queued per queue pair
 * and completed by flush(), never from inside tx()/rx()/poll(): callers post
 * a batch and then flush, as they do with io_uring.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <net/if.h>
#include <poll.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <liburing.h>
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/if_xdp.h>
#include <xdp/xsk.h>

#include "backend.h"
#include "log.h"
#include "net_hdr.h"
#include "xdp_prog.h"

/* UAPI name newer than Debian 12's linux-libc-dev (6.1); value from 6.17. */
#ifndef XDP_MAX_TX_SKB_BUDGET
#define XDP_MAX_TX_SKB_BUDGET 9
#endif

/* A frame on the wire may carry one VLAN tag on top of the MTU. */
#define XDP_VLAN_HLEN 4

/*
 * Backoff of a kick that moved nothing (the driver's queue is full, the
 * link is down) or of TX frames still in the kernel's hands: 50 us is about
 * what a NIC needs to free a few descriptors at line rate; 100 ms caps the
 * wake-ups of a stuck queue at 10 a second.
 */
#define XDP_BACKOFF_MIN_NS 50000ULL
#define XDP_BACKOFF_MAX_NS 100000000ULL

/*
 * The kernel frees a closed AF_XDP socket's hold on its queue in deferred
 * work, so a queue a previous vuring just let go of (a restart) can refuse
 * a bind with EBUSY for a moment: retry for up to a second before saying
 * someone else has it.
 */
#define XDP_BIND_RETRIES 20
#define XDP_BIND_RETRY_US 50000

/*
 * Ops one queue pair may have waiting for flush(): the datapath posts at
 * most a batch of writes, a batch of reads and a poll per direction between
 * two flushes; the rest is headroom.
 */
#define XDP_DONE_PER_BATCH 4
#define XDP_DONE_SLACK 16

enum xdp_done_kind {
	XDP_DONE_TX,		/* res: bytes taken, or why not */
	XDP_DONE_POLL,		/* res: the ready mask */
	XDP_DONE_RX,		/* a frame goes into iov when flush() runs */
};

struct xdp_done {
	struct uring_op *op;		/* NULL once cancelled */
	enum xdp_done_kind kind;
	int res;
	const struct iovec *iov;	/* XDP_DONE_RX */
	unsigned int iovcnt;
};

struct xdp_backend;

struct xdp_queue {
	struct xdp_backend *x;
	unsigned int qp;
	unsigned int ifq;		/* the interface queue */
	int fd;
	int slot;			/* fixed-file slot, or -1 */
	bool zerocopy;
	void *area;			/* the UMEM */
	size_t area_len;
	struct xsk_umem *umem;
	struct xsk_socket *xsk;
	struct xsk_ring_prod fill, tx;
	struct xsk_ring_cons comp, rx;

	uint64_t *free_tx;		/* TX frames in our hands */
	unsigned int nfree;
	unsigned int tx_pending;	/* descriptors written, not yet submitted */
	unsigned int rx_taken;		/* RX descriptors read, not yet released */

	struct xdp_done *done;		/* ring of done_cap entries */
	unsigned int done_cap, done_head, done_count;
	struct uring_op *waiters;	/* poll(POLLOUT) ops waiting for a frame */

	struct uring_group group;	/* the kick and the timer */
	struct uring_op kick_op, timer_op;
	bool kicking, sleeping;
	uint32_t kick_cons;		/* TX consumer index when the kick went out */
	struct msghdr kick_msg;		/* empty: a kick carries no data */
	struct __kernel_timespec sleep_ts;
	uint64_t backoff_ns;		/* 0: the last kick made progress */
	int kick_err;			/* last kick error reported, 0 = none */
};

struct xdp_backend {
	struct backend be;
	struct uring *u;
	const char *ifname;		/* the configuration's, which outlives us */
	int ifindex;
	unsigned int vnet_hdr_len;
	unsigned int frame_size;
	unsigned int rx_frames, tx_frames;	/* per queue pair */
	unsigned int dispatching;	/* flush() is completing ops */
	struct xdp_prog *prog;
	struct xdp_queue q[];
};

static struct xdp_backend *to_xdp(const struct backend *be)
{
	return (struct xdp_backend *)((const char *)be - offsetof(struct xdp_backend, be));
}

/* ------------------------------------------------------------ completions */

/**
 * done_push() - queue @op's completion for the next flush()
 * Return: 0, or -ENOBUFS when the queue pair's completion ring is full.
 */
static int done_push(struct xdp_queue *q, struct uring_op *op, enum xdp_done_kind kind,
		     int res, const struct iovec *iov, unsigned int iovcnt)
{
	struct xdp_done *d;

	if (q->done_count == q->done_cap)
		return -ENOBUFS;
	d = &q->done[(q->done_head + q->done_count++) % q->done_cap];
	d->op = op;
	d->kind = kind;
	d->res = res;
	d->iov = iov;
	d->iovcnt = iovcnt;
	op->inflight = true;
	return 0;
}

/**
 * op_finish() - run @op's callback with @res
 */
static void op_finish(struct uring_op *op, int res)
{
	op->inflight = false;
	op->complete(op, res, 0);
}

/**
 * complete_soon() - complete @op now, or from the flush() that is running
 *
 * Inside flush()'s completion loop a direct call would nest callbacks; the
 * loop picks the op up instead.
 */
static void complete_soon(struct xdp_queue *q, struct uring_op *op, enum xdp_done_kind kind,
			  int res)
{
	if (!q->x->dispatching || done_push(q, op, kind, res, NULL, 0) < 0)
		op_finish(op, res);
}

/**
 * post_check() - may @op be posted on queue pair @qp?
 * Return: the queue, or NULL with *@err set.
 */
static struct xdp_queue *post_check(struct backend *be, unsigned int qp, struct uring_op *op,
				    int *err)
{
	struct xdp_backend *x = to_xdp(be);

	*err = -EINVAL;
	if (qp >= be->queue_pairs)
		return NULL;
	*err = -ESHUTDOWN;
	if (op->group->stopping)
		return NULL;
	*err = -EBUSY;
	if (op->inflight)
		return NULL;
	*err = -ENOBUFS;
	if (x->q[qp].done_count == x->q[qp].done_cap)
		return NULL;
	return &x->q[qp];
}

/* ------------------------------------------------------------ TX */

/**
 * tx_reap() - take back the TX frames the kernel is done with
 */
static void tx_reap(struct xdp_queue *q)
{
	const struct xdp_backend *x = q->x;
	uint64_t first = (uint64_t)x->rx_frames * x->frame_size;
	__u32 idx, n, i;

	n = xsk_ring_cons__peek(&q->comp, x->tx_frames, &idx);
	for (i = 0; i < n; i++) {
		uint64_t addr = *xsk_ring_cons__comp_addr(&q->comp, idx + i);

		addr &= ~(uint64_t)(x->frame_size - 1);
		/* The kernel returns what we gave it; check rather than trust. */
		if (addr >= first && addr < q->area_len && q->nfree < x->tx_frames)
			q->free_tx[q->nfree++] = addr;
	}
	if (n)
		xsk_ring_cons__release(&q->comp, n);
}

/**
 * tx_wake_waiters() - complete poll(POLLOUT)s now that frames are free
 */
static void tx_wake_waiters(struct xdp_queue *q)
{
	while (q->waiters && q->nfree) {
		struct uring_op *op = q->waiters;

		q->waiters = op->next;
		op->next = NULL;
		complete_soon(q, op, XDP_DONE_POLL, POLLOUT);
	}
}

/* Descriptors on the TX ring the kernel has not taken yet. */
static uint32_t tx_queued(const struct xdp_queue *q)
{
	return *q->tx.producer - __atomic_load_n(q->tx.consumer, __ATOMIC_ACQUIRE);
}

/**
 * tx_sleep() - try again after the backoff, which doubles each time
 */
static void tx_sleep(struct xdp_queue *q)
{
	struct io_uring_sqe *sqe;

	if (q->sleeping)
		return;
	q->backoff_ns = q->backoff_ns ? q->backoff_ns * 2 : XDP_BACKOFF_MIN_NS;
	if (q->backoff_ns > XDP_BACKOFF_MAX_NS)
		q->backoff_ns = XDP_BACKOFF_MAX_NS;
	if (uring_sqe_get(q->x->u, &q->timer_op, &sqe) < 0)
		return;
	q->sleep_ts.tv_sec = (long long)(q->backoff_ns / 1000000000ULL);
	q->sleep_ts.tv_nsec = (long long)(q->backoff_ns % 1000000000ULL);
	io_uring_prep_timeout(sqe, &q->sleep_ts, 0, 0);
	/* No file; a restricted ring wants the flag on every SQE anyway. */
	sqe->flags |= IOSQE_FIXED_FILE;
	q->sleeping = true;
	uring_submit(q->x->u);
}

/**
 * tx_push() - get the kernel to take the descriptors on the TX ring
 *
 * Kicks when the kernel asks for it (always in copy mode) and no kick or
 * backoff is under way, whose completion will look again. Frames held by the
 * kernel while a poll(POLLOUT) waits come back without a kick (a NIC's TX
 * completion): look again after the backoff.
 */
static void tx_push(struct xdp_queue *q)
{
	struct io_uring_sqe *sqe;

	if (q->kicking || q->sleeping)
		return;
	if (!tx_queued(q)) {
		if (q->waiters)
			tx_sleep(q);
		return;
	}
	if (!xsk_ring_prod__needs_wakeup(&q->tx))
		return;
	if (uring_sqe_get(q->x->u, &q->kick_op, &sqe) < 0) {
		tx_sleep(q);
		return;
	}
	io_uring_prep_sendmsg(sqe, q->slot, &q->kick_msg, MSG_DONTWAIT);
	sqe->flags |= IOSQE_FIXED_FILE;
	q->kick_cons = __atomic_load_n(q->tx.consumer, __ATOMIC_ACQUIRE);
	q->kicking = true;
}

/**
 * kick_report() - say once that kicks fail, and once that they work again
 */
static void kick_report(struct xdp_queue *q, int res)
{
	const char *ifname = q->x->ifname;

	if (res >= 0 || res == -EAGAIN || res == -EBUSY) {
		/* EAGAIN: more than one batch queued; EBUSY: the driver dropped one. */
		if (q->kick_err)
			log_info("%s queue %u: transmitting again", ifname, q->ifq);
		q->kick_err = 0;
		return;
	}
	if (res == q->kick_err)
		return;
	q->kick_err = res;
	if (res == -ENETDOWN)
		log_warn("%s is down: frames for queue %u wait until it is up", ifname, q->ifq);
	else if (res == -ENXIO)
		log_error("%s queue %u: the AF_XDP socket lost its interface (deleted?)",
			  ifname, q->ifq);
	else
		log_warn("%s queue %u: transmit kick: %s", ifname, q->ifq, strerror(-res));
}

/**
 * kick_done() - the TX kick completed: repeat it, back off, or rest
 */
static void kick_done(struct uring_op *op, int res, uint32_t flags)
{
	struct xdp_queue *q = (struct xdp_queue *)((char *)op - offsetof(struct xdp_queue, kick_op));
	bool progress = __atomic_load_n(q->tx.consumer, __ATOMIC_ACQUIRE) != q->kick_cons;

	(void)flags;
	q->kicking = false;
	if (res == -ECANCELED)
		return;
	kick_report(q, res);
	if (progress)
		q->backoff_ns = 0;
	tx_reap(q);
	/* Decide before waking waiters, whose new frames come with a flush. */
	if (res != -ENXIO) {	/* ENXIO: nothing will ever take them */
		if (tx_queued(q) && !progress)
			tx_sleep(q);
		else
			tx_push(q);
	}
	tx_wake_waiters(q);
	uring_submit(q->x->u);
}

/**
 * timer_done() - the backoff ran out: look at the rings again
 */
static void timer_done(struct uring_op *op, int res, uint32_t flags)
{
	struct xdp_queue *q = (struct xdp_queue *)((char *)op - offsetof(struct xdp_queue, timer_op));

	(void)flags;
	q->sleeping = false;
	if (res == -ECANCELED)
		return;
	tx_reap(q);
	if (q->nfree)
		q->backoff_ns = 0;
	tx_wake_waiters(q);
	tx_push(q);
	uring_submit(q->x->u);
}

/**
 * iov_gather() - copy @iov, less its first @skip bytes, to @dst
 * Return: bytes copied (at most @cap).
 */
static size_t iov_gather(void *dst, size_t cap, const struct iovec *iov, unsigned int iovcnt,
			 size_t skip)
{
	size_t done = 0;

	for (unsigned int i = 0; i < iovcnt && done < cap; i++) {
		size_t len = iov[i].iov_len, n;

		if (skip >= len) {
			skip -= len;
			continue;
		}
		n = len - skip < cap - done ? len - skip : cap - done;
		memcpy((char *)dst + done, (const char *)iov[i].iov_base + skip, n);
		done += n;
		skip = 0;
	}
	return done;
}

/**
 * iov_total() - bytes in @iov, or @limit + 1 if there are more than @limit
 *
 * The lengths come from the guest: summing them could overflow.
 */
static size_t iov_total(const struct iovec *iov, unsigned int iovcnt, size_t limit)
{
	size_t total = 0;

	for (unsigned int i = 0; i < iovcnt; i++) {
		if (iov[i].iov_len > limit - total)
			return limit + 1;
		total += iov[i].iov_len;
	}
	return total;
}

/**
 * tx_frame() - copy one guest frame into a TX frame and describe it
 * Return: the bytes taken from @iov (header included), or a negative errno:
 * -EAGAIN with no TX frame free, -EMSGSIZE for a frame larger than a UMEM
 * frame, -EINVAL for one shorter than an Ethernet header.
 */
static int tx_frame(struct xdp_queue *q, const struct iovec *iov, unsigned int iovcnt)
{
	const struct xdp_backend *x = q->x;
	size_t total = iov_total(iov, iovcnt, (size_t)x->vnet_hdr_len + x->frame_size);
	struct xdp_desc *d;
	uint64_t addr;
	__u32 idx;

	if (total < x->vnet_hdr_len + NET_MIN_FRAME)
		return -EINVAL;
	if (total > x->vnet_hdr_len + x->frame_size)
		return -EMSGSIZE;
	if (!q->nfree)
		tx_reap(q);
	if (!q->nfree || xsk_ring_prod__reserve(&q->tx, 1, &idx) != 1)
		return -EAGAIN;
	addr = q->free_tx[--q->nfree];
	d = xsk_ring_prod__tx_desc(&q->tx, idx);
	d->addr = addr;
	d->len = (__u32)iov_gather((char *)q->area + addr, x->frame_size, iov, iovcnt,
				   x->vnet_hdr_len);
	d->options = 0;
	q->tx_pending++;
	return (int)total;
}

/**
 * xdp_tx() - post one frame (header included) for transmission
 *
 * The frame is copied at once; the op completes at the next flush().
 *
 * Return: 0 if posted, -EINVAL for a bad queue pair, -ESHUTDOWN while its
 * group is being cancelled, -ENOBUFS with too many ops waiting for flush().
 */
static int xdp_tx(struct backend *be, unsigned int qp, struct uring_op *op,
		  const struct iovec *iov, unsigned int iovcnt)
{
	int r;
	struct xdp_queue *q = post_check(be, qp, op, &r);

	if (!q)
		return r;
	return done_push(q, op, XDP_DONE_TX, tx_frame(q, iov, iovcnt), NULL, 0);
}

/**
 * tx_submit() - hand the descriptors written since the last flush to the
 * kernel, take back what it is done with, kick
 */
static void tx_submit(struct xdp_queue *q)
{
	if (q->tx_pending) {
		xsk_ring_prod__submit(&q->tx, q->tx_pending);
		q->tx_pending = 0;
	}
	tx_reap(q);
	tx_wake_waiters(q);
	tx_push(q);
}

/* ------------------------------------------------------------ RX */

/**
 * rx_frame() - move the next received frame into @iov, behind a zeroed
 * virtio-net header, and give its UMEM frame back to the fill ring
 * Return: header + frame bytes, -EAGAIN with no frame, -EMSGSIZE if it does
 * not fit @iov (dropped), -EIO for a descriptor outside the UMEM (dropped).
 */
static int rx_frame(struct xdp_queue *q, const struct iovec *iov, unsigned int iovcnt)
{
	static const struct virtio_net_hdr_mrg_rxbuf zero_hdr;
	const struct xdp_backend *x = q->x;
	const struct xdp_desc *d;
	uint64_t base;
	__u32 idx, fidx;
	int res;

	if (xsk_ring_cons__peek(&q->rx, 1, &idx) != 1)
		return -EAGAIN;
	d = xsk_ring_cons__rx_desc(&q->rx, idx);
	base = d->addr & ~(uint64_t)(x->frame_size - 1);
	q->rx_taken++;
	if (base >= (uint64_t)x->rx_frames * x->frame_size ||
	    d->addr - base + d->len > x->frame_size) {
		res = -EIO;
	} else if (iov_total(iov, iovcnt, x->frame_size) < x->vnet_hdr_len + (size_t)d->len) {
		res = -EMSGSIZE;
	} else {
		net_iov_copy_in(iov, iovcnt, 0, &zero_hdr, x->vnet_hdr_len);
		net_iov_copy_in(iov, iovcnt, x->vnet_hdr_len, (char *)q->area + d->addr, d->len);
		res = (int)(x->vnet_hdr_len + d->len);
	}
	/* The fill ring holds every RX frame: there is always room. */
	if (base < (uint64_t)x->rx_frames * x->frame_size &&
	    xsk_ring_prod__reserve(&q->fill, 1, &fidx) == 1)
		*xsk_ring_prod__fill_addr(&q->fill, fidx) = base;
	else
		log_warn("%s queue %u: lost an RX frame (bad descriptor)", x->ifname, q->ifq);
	return res;
}

/**
 * rx_return() - release the RX descriptors read and refill the fill ring
 */
static void rx_return(struct xdp_queue *q)
{
	if (!q->rx_taken)
		return;
	xsk_ring_cons__release(&q->rx, q->rx_taken);
	xsk_ring_prod__submit(&q->fill, q->rx_taken);
	q->rx_taken = 0;
}

/**
 * xdp_rx() - post one receive buffer; flush() fills it or completes it with
 * -EAGAIN
 * Return: as xdp_tx().
 */
static int xdp_rx(struct backend *be, unsigned int qp, struct uring_op *op,
		  const struct iovec *iov, unsigned int iovcnt)
{
	int r;
	struct xdp_queue *q = post_check(be, qp, op, &r);

	if (!q)
		return r;
	if (!iovcnt || iovcnt > BACKEND_MAX_IOV)
		return -EINVAL;
	return done_push(q, op, XDP_DONE_RX, 0, iov, iovcnt);
}

/**
 * xdp_poll() - complete @op once queue pair @qp is ready for @events
 *
 * POLLIN: at the next flush() if a frame is waiting, else a POLL_ADD on the
 * socket, which completes @op itself. POLLOUT: at the next flush() if a TX
 * frame is free, else once the kernel gave one back.
 *
 * Return: as xdp_tx().
 */
static int xdp_poll(struct backend *be, unsigned int qp, struct uring_op *op,
		    unsigned int events)
{
	int r;
	struct xdp_queue *q = post_check(be, qp, op, &r);

	if (!q)
		return r;
	if (events & POLLOUT) {
		tx_reap(q);
		if (q->nfree)
			return done_push(q, op, XDP_DONE_POLL, POLLOUT, NULL, 0);
		op->inflight = true;
		op->next = q->waiters;
		q->waiters = op;
		tx_push(q);
		return 0;
	}
	if (xsk_cons_nb_avail(&q->rx, 1))
		return done_push(q, op, XDP_DONE_POLL, POLLIN, NULL, 0);
	return uring_prep_poll(to_xdp(be)->u, op, q->slot, events);
}

/* ------------------------------------------------------------ flush, cancel */

/**
 * done_run() - complete queue pair @q's queued ops, oldest first
 *
 * Callbacks may post (and flush) more; those are completed by this loop too.
 */
static void done_run(struct xdp_queue *q)
{
	while (q->done_count) {
		struct xdp_done d = q->done[q->done_head];

		q->done_head = (q->done_head + 1) % q->done_cap;
		q->done_count--;
		if (!d.op)
			continue;
		if (d.kind == XDP_DONE_RX)
			d.res = rx_frame(q, d.iov, d.iovcnt);
		op_finish(d.op, d.res);
	}
	rx_return(q);
}

/**
 * xdp_flush() - hand the kernel what was posted, then complete what is done
 * Return: 0.
 */
static int xdp_flush(struct backend *be)
{
	struct xdp_backend *x = to_xdp(be);
	unsigned int i;

	for (i = 0; i < be->queue_pairs; i++)
		tx_submit(&x->q[i]);
	uring_submit(x->u);
	if (x->dispatching)
		return 0;
	x->dispatching++;
	for (i = 0; i < be->queue_pairs; i++)
		done_run(&x->q[i]);
	x->dispatching--;
	return 0;
}

/**
 * cancel_queued() - complete @q's queued ops and waiters of group @g
 *
 * Frames already copied for sending report what they took (they will go
 * out); reads and polls report -ECANCELED.
 */
static void cancel_queued(struct xdp_queue *q, const struct uring_group *g)
{
	struct uring_op **pp = &q->waiters;

	for (unsigned int i = 0; i < q->done_count; i++) {
		struct xdp_done *d = &q->done[(q->done_head + i) % q->done_cap];
		struct uring_op *op = d->op;

		if (!op || op->group != g)
			continue;
		d->op = NULL;
		op_finish(op, d->kind == XDP_DONE_TX ? d->res : -ECANCELED);
	}
	while (*pp) {
		struct uring_op *op = *pp;

		if (op->group != g) {
			pp = &op->next;
			continue;
		}
		*pp = op->next;
		op->next = NULL;
		op_finish(op, -ECANCELED);
	}
}

/**
 * xdp_cancel() - complete every op of @g and cancel its POLL_ADDs
 * Return: 0, or a negative errno from the ring.
 */
static int xdp_cancel(struct backend *be, struct uring_group *g)
{
	struct xdp_backend *x = to_xdp(be);
	bool was = g->stopping;

	g->stopping = true;
	for (unsigned int i = 0; i < be->queue_pairs; i++)
		cancel_queued(&x->q[i], g);
	g->stopping = was;
	return uring_group_cancel(x->u, g);
}

/* ------------------------------------------------------------ settings */

static uint64_t xdp_offloads(const struct backend *be)
{
	(void)be;
	return 0;
}

/**
 * xdp_set_vnet_hdr_len() - size of the header in front of every frame
 * Return: 0, or -EINVAL for a size virtio-net does not use.
 */
static int xdp_set_vnet_hdr_len(struct backend *be, unsigned int len)
{
	if (len != sizeof(struct virtio_net_hdr) && len != sizeof(struct virtio_net_hdr_mrg_rxbuf))
		return -EINVAL;
	to_xdp(be)->vnet_hdr_len = len;
	return 0;
}

/* No offload is ever negotiated (offloads() is 0): nothing to apply. */
static int xdp_set_offloads(struct backend *be, uint64_t features)
{
	(void)be;
	(void)features;
	return 0;
}

/*
 * A socket stays bound to its queue while its rings are disabled: the
 * interface's queues are the NIC's, steered by its RSS, and a queue the guest
 * does not serve would hand its frames to the host's stack instead, which
 * the guest would not get either.
 */
static int xdp_queue_enable(struct backend *be, unsigned int qp, bool enable)
{
	(void)enable;
	return qp < be->queue_pairs ? 0 : -EINVAL;
}

static int xdp_queue_fd(const struct backend *be, unsigned int qp)
{
	return qp < be->queue_pairs ? to_xdp(be)->q[qp].fd : -1;
}

/* ------------------------------------------------------------ open, close */

/**
 * queue_log_stats() - the kernel's drop counters of one socket
 */
static void queue_log_stats(const struct xdp_queue *q)
{
	struct xdp_statistics st;
	socklen_t len = sizeof(st);

	if (getsockopt(q->fd, SOL_XDP, XDP_STATISTICS, &st, &len) < 0)
		return;
	log_info("%s queue %u (AF_XDP): rx dropped %llu, rx ring full %llu, "
		 "fill ring empty %llu, invalid descriptors rx %llu tx %llu",
		 q->x->ifname, q->ifq, (unsigned long long)st.rx_dropped,
		 (unsigned long long)st.rx_ring_full,
		 (unsigned long long)st.rx_fill_ring_empty_descs,
		 (unsigned long long)st.rx_invalid_descs, (unsigned long long)st.tx_invalid_descs);
}

/**
 * queue_close() - close one queue pair's socket and free its UMEM
 *
 * Only munmap, close and getsockopt: safe once privileges are dropped. The
 * kernel takes the socket out of the XSKMAP as it closes.
 */
static void queue_close(struct xdp_queue *q)
{
	struct uring *u = q->x->u;

	uring_group_cancel(u, &q->group);
	if (q->slot >= 0)
		uring_file_remove(u, q->slot);
	if (q->xsk) {
		queue_log_stats(q);
		xsk_socket__delete(q->xsk);
	}
	if (q->umem)
		xsk_umem__delete(q->umem);
	if (q->area && q->area != MAP_FAILED)
		munmap(q->area, q->area_len);
	free(q->free_tx);
	free(q->done);
}

/**
 * explain_socket_error() - log why the socket of one queue failed, in the
 * admin's terms
 */
static void explain_socket_error(const struct xdp_queue *q, const char *what, int err)
{
	const struct xdp_backend *x = q->x;
	const char *ifname = x->ifname;

	switch (err) {
	case EPERM:
	case EACCES:
		log_error("%s: creating AF_XDP sockets needs CAP_NET_RAW (or root)", ifname);
		break;
	case EAFNOSUPPORT:
		log_error("this kernel has no AF_XDP sockets (CONFIG_XDP_SOCKETS)");
		break;
	case ENOBUFS:
	case ENOMEM:
		log_error("%s queue %u: cannot %s: %s (the UMEM is %zu MiB: raise RLIMIT_MEMLOCK, "
			  "LimitMEMLOCK= in a unit, or lower [xdp] umem-frames/frame-size)",
			  ifname, q->ifq, what, strerror(err), q->area_len >> 20);
		break;
	case EBUSY:
		log_error("%s queue %u already has an AF_XDP socket (another vuring, or another "
			  "AF_XDP program): pick other queues with [xdp] queue", ifname, q->ifq);
		break;
	case EOPNOTSUPP:
		log_error("%s queue %u: the driver cannot do zero-copy AF_XDP: "
			  "set [xdp] mode = auto or copy", ifname, q->ifq);
		break;
	case EINVAL:
		log_error("%s queue %u: cannot %s: %s (is the queue out of range?)", ifname,
			  q->ifq, what, strerror(err));
		break;
	default:
		log_error("%s queue %u: cannot %s: %s", ifname, q->ifq, what, strerror(err));
	}
}

/**
 * queue_umem() - allocate and register one queue pair's UMEM
 * Return: 0 or a negative errno (logged).
 */
static int queue_umem(struct xdp_queue *q)
{
	const struct xdp_backend *x = q->x;
	struct xsk_umem_config cfg = {
		.fill_size = x->rx_frames,
		.comp_size = x->tx_frames,
		.frame_size = x->frame_size,
		.frame_headroom = 0,
		.flags = 0,
	};
	int r;

	q->area_len = (size_t)(x->rx_frames + x->tx_frames) * x->frame_size;
	q->area = mmap(NULL, q->area_len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (q->area == MAP_FAILED) {
		q->area = NULL;
		r = -errno;
		explain_socket_error(q, "allocate the UMEM", -r);
		return r;
	}
	r = xsk_umem__create(&q->umem, q->area, q->area_len, &q->fill, &q->comp, &cfg);
	if (r < 0) {
		q->umem = NULL;
		explain_socket_error(q, "register the UMEM", -r);
	}
	return r;
}

/* Bind flags for [xdp] mode; with neither flag the kernel tries zero-copy first. */
static __u16 bind_flags(enum conf_xdp_mode mode)
{
	switch (mode) {
	case CONF_XDP_ZEROCOPY:
		return XDP_USE_NEED_WAKEUP | XDP_ZEROCOPY;
	case CONF_XDP_COPY:
		return XDP_USE_NEED_WAKEUP | XDP_COPY;
	default:
		return XDP_USE_NEED_WAKEUP;
	}
}

/**
 * queue_socket() - create the AF_XDP socket bound to interface queue @q->ifq
 * Return: 0 or a negative errno (logged).
 */
static int queue_socket(struct xdp_queue *q, enum conf_xdp_mode mode)
{
	const struct xdp_backend *x = q->x;
	struct xsk_socket_config cfg = {
		.rx_size = x->rx_frames,
		.tx_size = x->tx_frames,
		/* xdp_prog.c, not libxdp, manages the program. */
		.libxdp_flags = XSK_LIBXDP_FLAGS__INHIBIT_PROG_LOAD,
		.xdp_flags = 0,
		.bind_flags = bind_flags(mode),
	};
	struct xdp_options opts;
	socklen_t len = sizeof(opts);
	unsigned int budget = x->tx_frames;
	int r;

	for (int tries = 0;; tries++) {
		r = xsk_socket__create(&q->xsk, x->ifname, q->ifq, q->umem, &q->rx, &q->tx, &cfg);
		if (r != -EBUSY || tries == XDP_BIND_RETRIES)
			break;
		usleep(XDP_BIND_RETRY_US);
	}
	if (r < 0) {
		q->xsk = NULL;
		explain_socket_error(q, "bind an AF_XDP socket", -r);
		return r;
	}
	q->fd = xsk_socket__fd(q->xsk);
	if (getsockopt(q->fd, SOL_XDP, XDP_OPTIONS, &opts, &len) == 0)
		q->zerocopy = opts.flags & XDP_OPTIONS_ZEROCOPY;
	/* Copy mode sends 32 frames per kick unless told more (6.17+). */
	if (!q->zerocopy &&
	    setsockopt(q->fd, SOL_XDP, XDP_MAX_TX_SKB_BUDGET, &budget, sizeof(budget)) < 0)
		log_debug("%s queue %u: XDP_MAX_TX_SKB_BUDGET: %s (32 frames per kick)",
			  x->ifname, q->ifq, strerror(errno));
	return 0;
}

/**
 * queue_frames() - hand every RX frame to the fill ring, keep the TX frames
 * Return: 0 or -ENOMEM.
 */
static int queue_frames(struct xdp_queue *q)
{
	const struct xdp_backend *x = q->x;
	__u32 idx, i;

	q->free_tx = calloc(x->tx_frames, sizeof(*q->free_tx));
	if (!q->free_tx)
		return -ENOMEM;
	for (i = 0; i < x->tx_frames; i++)
		q->free_tx[i] = (uint64_t)(x->rx_frames + i) * x->frame_size;
	q->nfree = x->tx_frames;
	if (xsk_ring_prod__reserve(&q->fill, x->rx_frames, &idx) != x->rx_frames)
		return -ENOMEM;
	for (i = 0; i < x->rx_frames; i++)
		*xsk_ring_prod__fill_addr(&q->fill, idx + i) = (uint64_t)i * x->frame_size;
	xsk_ring_prod__submit(&q->fill, x->rx_frames);
	return 0;
}

/**
 * queue_open() - one queue pair: UMEM, socket, frames, XSKMAP entry, ring slot
 * Return: 0 or a negative errno (logged).
 */
static int queue_open(struct xdp_queue *q, const struct conf *conf)
{
	struct xdp_backend *x = q->x;
	int r;

	q->done_cap = XDP_DONE_PER_BATCH * conf->batch_size + XDP_DONE_SLACK;
	q->done = calloc(q->done_cap, sizeof(*q->done));
	if (!q->done)
		return -ENOMEM;
	r = queue_umem(q);
	if (r == 0)
		r = queue_socket(q, conf->xdp_mode);
	if (r == 0) {
		r = queue_frames(q);
		if (r < 0)
			log_error("%s queue %u: out of memory", x->ifname, q->ifq);
	}
	if (r == 0)
		r = xdp_prog_add_socket(x->prog, q->ifq, q->fd);
	if (r < 0)
		return r;
	q->slot = uring_file_add(x->u, q->fd);
	if (q->slot < 0) {
		log_error("%s queue %u: cannot register the socket with io_uring: %s",
			  x->ifname, q->ifq, strerror(-q->slot));
		return q->slot;
	}
	return 0;
}

/**
 * sysfs_queues() - count @dir's "PREFIX-N" entries (/sys/class/net/IF/queues)
 */
static unsigned int sysfs_queues(DIR *dir, const char *prefix)
{
	size_t plen = strlen(prefix);
	unsigned int n = 0;
	struct dirent *e;

	rewinddir(dir);
	while ((e = readdir(dir)))
		if (!strncmp(e->d_name, prefix, plen))
			n++;
	return n;
}

/**
 * check_queues() - is every interface queue we bind to there?
 *
 * An AF_XDP socket binds to a queue that exists for both receiving and
 * sending. sysfs lists them; it is only trusted when it shows our namespace's
 * interface (same ifindex), else bind() is left to refuse.
 *
 * Return: 0, or -ERANGE (logged).
 */
static int check_queues(const struct xdp_backend *x, const struct conf *conf)
{
	unsigned int need = conf->xdp_queue + x->be.queue_pairs, rxq, txq, have;
	char path[96];
	FILE *f;
	DIR *dir;
	int idx = -1;

	snprintf(path, sizeof(path), "/sys/class/net/%s/ifindex", x->ifname);
	f = fopen(path, "re");
	if (!f)
		return 0;
	if (fscanf(f, "%d", &idx) != 1)
		idx = -1;
	fclose(f);
	snprintf(path, sizeof(path), "/sys/class/net/%s/queues", x->ifname);
	if (idx != x->ifindex || !(dir = opendir(path)))
		return 0;
	rxq = sysfs_queues(dir, "rx-");
	txq = sysfs_queues(dir, "tx-");
	closedir(dir);
	have = rxq < txq ? rxq : txq;
	if (need <= have)
		return 0;
	log_error("%s has %u queue(s) usable by AF_XDP (rx %u, tx %u): [xdp] queue = %u with "
		  "queue-pairs = %u needs queues %u..%u (more queues: ethtool -L %s combined N; "
		  "veth: ip link add ... numrxqueues N numtxqueues N)", x->ifname, have, rxq, txq,
		  conf->xdp_queue, x->be.queue_pairs, conf->xdp_queue, need - 1, x->ifname);
	return -ERANGE;
}

/**
 * check_mtu() - do the interface's frames fit a UMEM frame?
 *
 * The kernel keeps XDP_PACKET_HEADROOM at the start of every received frame.
 *
 * Return: 0, or -EMSGSIZE (logged).
 */
static int check_mtu(const struct xdp_backend *x, const struct conf *conf)
{
	unsigned int room = x->frame_size - XDP_PACKET_HEADROOM - ETH_HLEN - XDP_VLAN_HLEN;
	struct ifreq ifr;
	int s, r;

	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", x->ifname);
	s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return 0;
	r = ioctl(s, SIOCGIFMTU, &ifr);
	close(s);
	if (r < 0)
		return 0;
	if ((unsigned int)ifr.ifr_mtu > room) {
		log_error("%s: MTU %d is too large for [xdp] frame-size = %u (at most MTU %u): "
			  "raise frame-size or lower the MTU", x->ifname, ifr.ifr_mtu,
			  x->frame_size, room);
		return -EMSGSIZE;
	}
	if (conf->mtu && conf->mtu > room) {
		log_error("[backend] mtu = %u is too large for [xdp] frame-size = %u (at most %u)",
			  conf->mtu, x->frame_size, room);
		return -EMSGSIZE;
	}
	if (conf->mtu && conf->mtu != (unsigned int)ifr.ifr_mtu)
		log_warn("[backend] mtu = %u is offered to the guest, but %s has MTU %d: the xdp "
			 "back-end leaves the interface's MTU alone", conf->mtu, x->ifname,
			 ifr.ifr_mtu);
	return 0;
}

/**
 * xdp_alloc() - a struct xdp_backend with every queue closed
 * Return: it, or NULL (logged).
 */
static struct xdp_backend *xdp_alloc(const struct conf *conf, struct uring *u)
{
	unsigned int n = conf->queue_pairs;
	struct xdp_backend *x;

	if (!conf->ifname || !conf->ifname[0] || strlen(conf->ifname) >= IFNAMSIZ ||
	    n < 1 || conf->xdp_umem_frames < 2 || conf->xdp_frame_size <= XDP_PACKET_HEADROOM) {
		log_error("xdp back-end: bad settings (interface, queue-pairs, umem-frames or frame-size)");
		return NULL;
	}
	x = calloc(1, sizeof(*x) + n * sizeof(x->q[0]));
	if (!x) {
		log_error("xdp back-end: out of memory");
		return NULL;
	}
	x->be.ops = &backend_xdp_ops;
	x->be.queue_pairs = n;
	x->u = u;
	x->ifname = conf->ifname;
	x->vnet_hdr_len = sizeof(struct virtio_net_hdr_mrg_rxbuf);
	x->frame_size = conf->xdp_frame_size;
	x->rx_frames = conf->xdp_umem_frames / 2;
	x->tx_frames = conf->xdp_umem_frames / 2;
	for (unsigned int i = 0; i < n; i++) {
		x->q[i].x = x;
		x->q[i].qp = i;
		x->q[i].ifq = conf->xdp_queue + i;
		x->q[i].fd = -1;
		x->q[i].slot = -1;
		uring_group_init(&x->q[i].group);
		uring_op_init(&x->q[i].kick_op, &x->q[i].group, kick_done);
		uring_op_init(&x->q[i].timer_op, &x->q[i].group, timer_done);
	}
	return x;
}

static void xdp_close(struct backend *be)
{
	struct xdp_backend *x = to_xdp(be);

	for (unsigned int i = 0; i < be->queue_pairs; i++)
		queue_close(&x->q[i]);
	xdp_prog_close(x->prog);
	free(x);
}

/**
 * xdp_open() - AF_XDP sockets on the interface queues @conf names
 *
 * Return: 0 with *@ret set, or a negative errno after a message saying why.
 */
static int xdp_open(const struct conf *conf, struct uring *u, struct backend **ret)
{
	struct xdp_backend *x = xdp_alloc(conf, u);
	unsigned int i;
	int r;

	if (!x)
		return -EINVAL;
	x->ifindex = (int)if_nametoindex(x->ifname);
	if (!x->ifindex) {
		log_error("interface %s does not exist (in this network namespace): the xdp "
			  "back-end attaches to an existing interface", x->ifname);
		r = -ENODEV;
		goto fail;
	}
	r = check_queues(x, conf);
	if (r == 0)
		r = check_mtu(x, conf);
	if (r < 0)
		goto fail;
	xdp_prog_log_libs();
	r = xdp_prog_open(conf, x->ifindex, conf->xdp_queue + x->be.queue_pairs, &x->prog);
	for (i = 0; r == 0 && i < x->be.queue_pairs; i++)
		r = queue_open(&x->q[i], conf);
	if (r < 0)
		goto fail;
	log_info("AF_XDP on %s: queue(s) %u..%u, %s, UMEM %u x %u B per queue pair; program: %s",
		 x->ifname, conf->xdp_queue, conf->xdp_queue + x->be.queue_pairs - 1,
		 x->q[0].zerocopy ? "zero-copy" : "copy mode", conf->xdp_umem_frames,
		 x->frame_size, xdp_prog_describe(x->prog));
	*ret = &x->be;
	return 0;
fail:
	xdp_close(&x->be);
	return r;
}

const struct backend_ops backend_xdp_ops = {
	.name = "xdp",
	.open = xdp_open,
	.close = xdp_close,
	.offloads = xdp_offloads,
	.set_vnet_hdr_len = xdp_set_vnet_hdr_len,
	.set_offloads = xdp_set_offloads,
	.queue_enable = xdp_queue_enable,
	.tx = xdp_tx,
	.rx = xdp_rx,
	.poll = xdp_poll,
	.flush = xdp_flush,
	.cancel = xdp_cancel,
	.queue_fd = xdp_queue_fd,
};
