// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * backend_xdp.c - the AF_XDP back-end: AF_XDP sockets bound to the queue of
 * an existing network interface that matches each queue pair, behind the
 * same ops as the TAP back-end. Setting them up is xdp_socket.c's, the XDP
 * program in front of them xdp_prog.c's; this file moves the frames.
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

#include <errno.h>
#include <net/if.h>
#include <poll.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <liburing.h>
#include <linux/bpf.h>
#include <xdp/xsk.h>

#include "backend.h"
#include "container_of.h"
#include "log.h"
#include "net_hdr.h"
#include "xdp_prog.h"
#include "xdp_socket.h"

/*
 * Backoff of a kick that moved nothing (the driver's queue is full, the
 * link is down) or of TX frames still in the kernel's hands: 50 us is about
 * what a NIC needs to free a few descriptors at line rate; 100 ms caps the
 * wake-ups of a stuck queue at 10 a second.
 */
#define XDP_BACKOFF_MIN_NS 50000ULL
#define XDP_BACKOFF_MAX_NS 100000000ULL

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
	struct xdp_socket s;		/* sockets, UMEM and rings */
	int rx_slot, tx_slot;		/* the sockets' fixed-file slots, or -1 */

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
	uint64_t kicks, sleeps, tx_full;	/* for the log at close */
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
	return container_of(be, struct xdp_backend, be);
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
	uint64_t first = q->s.rx_end;
	__u32 idx, n, i;

	n = xsk_ring_cons__peek(&q->s.comp, x->tx_frames, &idx);
	for (i = 0; i < n; i++) {
		uint64_t addr = *xsk_ring_cons__comp_addr(&q->s.comp, idx + i);

		addr &= ~(uint64_t)(x->frame_size - 1);
		/* The kernel returns what we gave it; check rather than trust. */
		if (addr >= first && addr < q->s.area_len && q->nfree < x->tx_frames)
			q->free_tx[q->nfree++] = addr;
	}
	if (n)
		xsk_ring_cons__release(&q->s.comp, n);
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
	return *q->s.tx.producer - __atomic_load_n(q->s.tx.consumer, __ATOMIC_ACQUIRE);
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
	q->sleeps++;
	uring_submit(q->x->u);
}

/**
 * tx_push() - get the kernel to take the descriptors on the TX ring
 *
 * Kicks when descriptors wait and the kernel needs it (copy mode always
 * does; a zero-copy driver says so with need_wakeup), unless a kick or a
 * backoff is under way, whose completion looks again. Frames the kernel
 * holds while a poll(POLLOUT) waits come back without a kick (a NIC's TX
 * completion, a running zero-copy driver): look again after the backoff.
 */
static void tx_push(struct xdp_queue *q)
{
	struct io_uring_sqe *sqe;

	if (q->kicking || q->sleeping)
		return;
	if (!tx_queued(q) || (q->s.zerocopy && !xsk_ring_prod__needs_wakeup(&q->s.tx))) {
		if (q->waiters)
			tx_sleep(q);
		return;
	}
	if (uring_sqe_get(q->x->u, &q->kick_op, &sqe) < 0) {
		tx_sleep(q);
		return;
	}
	io_uring_prep_sendmsg(sqe, q->tx_slot, &q->kick_msg, MSG_DONTWAIT);
	sqe->flags |= IOSQE_FIXED_FILE;
	q->kick_cons = __atomic_load_n(q->s.tx.consumer, __ATOMIC_ACQUIRE);
	q->kicking = true;
	q->kicks++;
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
			log_info("%s queue %u: transmitting again", ifname, q->s.queue);
		q->kick_err = 0;
		return;
	}
	if (res == q->kick_err)
		return;
	q->kick_err = res;
	if (res == -ENETDOWN)
		log_warn("%s is down: frames for queue %u wait until it is up", ifname, q->s.queue);
	else if (res == -ENXIO)
		log_error("%s queue %u: the AF_XDP socket lost its interface (deleted?)",
			  ifname, q->s.queue);
	else
		log_warn("%s queue %u: transmit kick: %s", ifname, q->s.queue, strerror(-res));
}

/**
 * kick_done() - the TX kick completed: repeat it, back off, or rest
 */
static void kick_done(struct uring_op *op, int res, uint32_t flags)
{
	struct xdp_queue *q = container_of(op, struct xdp_queue, kick_op);
	bool progress = __atomic_load_n(q->s.tx.consumer, __ATOMIC_ACQUIRE) != q->kick_cons;

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
	struct xdp_queue *q = container_of(op, struct xdp_queue, timer_op);

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
	if (!q->nfree || xsk_ring_prod__reserve(&q->s.tx, 1, &idx) != 1) {
		q->tx_full++;
		return -EAGAIN;
	}
	addr = q->free_tx[--q->nfree];
	d = xsk_ring_prod__tx_desc(&q->s.tx, idx);
	d->addr = addr;
	d->len = (__u32)iov_gather((char *)q->s.area + addr, x->frame_size, iov, iovcnt,
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
		xsk_ring_prod__submit(&q->s.tx, q->tx_pending);
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

	if (xsk_ring_cons__peek(&q->s.rx, 1, &idx) != 1)
		return -EAGAIN;
	d = xsk_ring_cons__rx_desc(&q->s.rx, idx);
	base = d->addr & ~(uint64_t)(x->frame_size - 1);
	q->rx_taken++;
	if (base >= (uint64_t)x->rx_frames * x->frame_size ||
	    d->addr - base + d->len > x->frame_size) {
		res = -EIO;
	} else if (iov_total(iov, iovcnt, x->frame_size) < x->vnet_hdr_len + (size_t)d->len) {
		res = -EMSGSIZE;
	} else {
		net_iov_copy_in(iov, iovcnt, 0, &zero_hdr, x->vnet_hdr_len);
		net_iov_copy_in(iov, iovcnt, x->vnet_hdr_len, (char *)q->s.area + d->addr, d->len);
		res = (int)(x->vnet_hdr_len + d->len);
	}
	/* The fill ring holds every RX frame: there is always room. */
	if (base < (uint64_t)x->rx_frames * x->frame_size &&
	    xsk_ring_prod__reserve(&q->s.fill, 1, &fidx) == 1)
		*xsk_ring_prod__fill_addr(&q->s.fill, fidx) = base;
	else
		log_warn("%s queue %u: lost an RX frame (bad descriptor)", x->ifname, q->s.queue);
	return res;
}

/**
 * rx_return() - release the RX descriptors read and refill the fill ring
 */
static void rx_return(struct xdp_queue *q)
{
	if (!q->rx_taken)
		return;
	xsk_ring_cons__release(&q->s.rx, q->rx_taken);
	xsk_ring_prod__submit(&q->s.fill, q->rx_taken);
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
	if (xsk_cons_nb_avail(&q->s.rx, 1))
		return done_push(q, op, XDP_DONE_POLL, POLLIN, NULL, 0);
	return uring_prep_poll(to_xdp(be)->u, op, q->rx_slot, events);
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
	return qp < be->queue_pairs ? to_xdp(be)->q[qp].s.rx_fd : -1;
}

/* ------------------------------------------------------------ open, close */

/**
 * queue_close() - close one queue pair: its ring slots, sockets and UMEM
 */
static void queue_close(struct xdp_queue *q)
{
	struct uring *u = q->x->u;

	uring_group_cancel(u, &q->group);
	if (q->s.tx_fd >= 0)
		log_info("%s queue %u (AF_XDP): %llu transmit kicks, %llu backoffs, "
			 "%llu times out of TX frames", q->x->ifname, q->s.queue,
			 (unsigned long long)q->kicks, (unsigned long long)q->sleeps,
			 (unsigned long long)q->tx_full);
	if (q->rx_slot >= 0)
		uring_file_remove(u, q->rx_slot);
	if (q->tx_slot >= 0)
		uring_file_remove(u, q->tx_slot);
	xdp_socket_close(&q->s);
	free(q->free_tx);
	free(q->done);
}

/**
 * queue_slot() - register @fd with the ring
 * Return: the slot, or a negative errno (logged).
 */
static int queue_slot(const struct xdp_queue *q, int fd)
{
	int slot = uring_file_add(q->x->u, fd);

	if (slot < 0)
		log_error("%s queue %u: cannot register a socket with io_uring: %s",
			  q->x->ifname, q->s.queue, strerror(-slot));
	return slot;
}

/**
 * queue_open() - one queue pair: sockets, TX frames, XSKMAP entry, ring slots
 * Return: 0 or a negative errno (logged).
 */
static int queue_open(struct xdp_queue *q, const struct conf *conf)
{
	struct xdp_backend *x = q->x;
	struct xdp_socket_cfg cfg = {
		.ifname = x->ifname,
		.queue = conf->xdp_queue + q->qp,
		.frame_size = x->frame_size,
		.rx_frames = x->rx_frames,
		.tx_frames = x->tx_frames,
		.mode = conf->xdp_mode,
	};
	int r;

	q->done_cap = XDP_DONE_PER_BATCH * conf->batch_size + XDP_DONE_SLACK;
	q->done = calloc(q->done_cap, sizeof(*q->done));
	q->free_tx = calloc(x->tx_frames, sizeof(*q->free_tx));
	if (!q->done || !q->free_tx) {
		log_error("xdp back-end: out of memory");
		return -ENOMEM;
	}
	r = xdp_socket_open(&q->s, &cfg);
	if (r < 0)
		return r;
	for (q->nfree = 0; q->nfree < x->tx_frames; q->nfree++)
		q->free_tx[q->nfree] = q->s.rx_end + (uint64_t)q->nfree * x->frame_size;
	r = xdp_prog_add_socket(x->prog, q->s.queue, q->s.rx_fd);
	if (r < 0)
		return r;
	q->rx_slot = queue_slot(q, q->s.rx_fd);
	if (q->rx_slot < 0)
		return q->rx_slot;
	q->tx_slot = queue_slot(q, q->s.tx_fd);
	return q->tx_slot < 0 ? q->tx_slot : 0;
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
		x->q[i].s.queue = conf->xdp_queue + i;
		x->q[i].s.rx_fd = x->q[i].s.tx_fd = -1;
		x->q[i].rx_slot = x->q[i].tx_slot = -1;
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
	r = xdp_check_interface(conf, x->ifindex);
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
		 x->q[0].s.zerocopy ? "zero-copy" : "copy mode", conf->xdp_umem_frames,
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
