// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * net_rx.c - host -> guest: frames are read from the back-end into bounce
 * buffers through io_uring, then copied into the guest's RX chains (several
 * chains per frame with MRG_RXBUF, num_buffers set in the header).
 *
 * Why bounce buffers rather than reads straight into guest chains: with
 * mergeable buffers the number of chains a frame needs is only known once
 * it has arrived, a frame read into one chain could not spill into the next;
 * and the kernel never holds a pointer into guest memory, so stopping a
 * ring can never race with a write into memory the front-end took back.
 * The cost is one memcpy per frame, which the batching pays for (measured
 * in bench/; see docs/performance.md).
 *
 * The TAP fd is non-blocking, so a READV on an empty queue completes at
 * once with -EAGAIN instead of parking in the kernel. The engine therefore
 * arms one POLLIN, and when it fires posts a batch of reads with one
 * submission; when the guest has posted no buffers it stops reading
 * altogether (the kernel queues, then drops) until the guest kicks.
 */
#include "config.h"

#include <endian.h>
#include <errno.h>
#include <poll.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <linux/virtio_config.h>

#include "container_of.h"
#include "log.h"
#include "net.h"
#include "net_hdr.h"
#include "probes.h"

/* The largest frame a TAP hands over (a 64 KiB GSO super-frame) + header. */
#define NET_RX_BUF_SIZE (65536 + sizeof(struct virtio_net_hdr_mrg_rxbuf))

/*
 * Chains one frame may fill with MRG_RXBUF: 64 KiB in buffers as small as
 * 256 bytes. Linux posts 1.5 KiB to 4 KiB buffers, so this is headroom.
 */
#define NET_RX_MAX_CHAINS 256

/*
 * iovecs per RX chain: a guest without mergeable buffers posts one chain of
 * up to MAX_SKB_FRAGS + 2 pages per frame ("big packets"), and a page that
 * crosses a memory region boundary takes two: twice that, rounded up.
 */
#define NET_RX_CHAIN_IOV 64

/* Offset of num_buffers in struct virtio_net_hdr_mrg_rxbuf. */
#define NET_RX_NUM_BUFFERS_OFF offsetof(struct virtio_net_hdr_mrg_rxbuf, num_buffers)

struct net_rx_buf {
	struct uring_op op;
	struct net_queue *q;
	struct net_rx_buf *next;
	uint8_t *data;
	uint32_t len;
	struct iovec iov;
};

static struct net_rx_buf *buf_of(struct uring_op *op)
{
	return container_of(op, struct net_rx_buf, op);
}

static void rx_buf_free(struct net_queue *q, struct net_rx_buf *b)
{
	b->next = q->free_bufs;
	q->free_bufs = b;
}

/**
 * rx_read_done() - one READV finished: queue the frame for the guest
 */
static void rx_read_done(struct uring_op *op, int res, uint32_t flags)
{
	struct net_rx_buf *b = buf_of(op);
	struct net_queue *q = b->q;

	(void)flags;
	q->rx_reading--;
	net_queue_io_done(q, res);
	VURING_PROBE(completion, q->index, res);
	if (res <= 0) {
		if (res < 0 && res != -EAGAIN && res != -ECANCELED)
			log_debug("%s: back-end read: %s", q->vq->name, strerror(-res));
		rx_buf_free(q, b);
	} else {
		b->len = (uint32_t)res;
		b->next = NULL;
		*q->filled_tail = b;
		q->filled_tail = &b->next;
	}
	if (res != -ECANCELED)
		net_queue_schedule(q);
}

/**
 * rx_post_reads() - post a read into every free bounce buffer
 * Return: reads posted.
 */
static unsigned int rx_post_reads(struct net_queue *q)
{
	unsigned int n = 0;

	while (q->free_bufs) {
		struct net_rx_buf *b = q->free_bufs;

		uring_op_init(&b->op, &q->group, rx_read_done);
		b->iov.iov_base = b->data;
		b->iov.iov_len = NET_RX_BUF_SIZE;
		if (backend_rx(q->dev->be, q->qp, &b->op, &b->iov, 1) < 0)
			break;
		q->free_bufs = b->next;
		q->rx_reading++;
		n++;
	}
	q->stats.uring_ops += n;
	if (n) {
		VURING_PROBE(batch_submit, q->index, n);
		backend_flush(q->dev->be);
	}
	return n;
}

/**
 * rx_readable() - POLLIN fired: read a batch
 */
static void rx_readable(struct uring_op *op, int res, uint32_t flags)
{
	struct net_queue *q = container_of(op, struct net_queue, poll_op);

	(void)flags;
	q->polling = false;
	net_queue_io_done(q, res);
	if (res == -ECANCELED)
		return;
	rx_post_reads(q);
}

/* What rx_take_chains() found (or a negative errno). */
enum rx_take {
	RX_SHORT = 0,		/* the guest has not posted enough; nothing held */
	RX_HELD = 1,		/* the chains hold the frame */
	RX_TOO_BIG = 2,		/* more than a frame may take; nothing held */
};

/**
 * rx_take_chains() - pop the chains one frame needs, writing nothing yet
 * @q: RX queue
 * @len: the frame's length, header included
 * @n: out: chains popped
 *
 * Guest buffers are written only once all of a frame's chains are held, so
 * a frame that has to wait for more buffers leaves no unlogged write behind
 * in chains that go back to the ring (during a migration such a write would
 * make the two copies of guest memory differ).
 *
 * Return: an enum rx_take, or -EIO when the ring broke.
 */
static int rx_take_chains(struct net_queue *q, uint32_t len, unsigned int *n)
{
	bool mrg = q->dev->features & (1ULL << VIRTIO_NET_F_MRG_RXBUF);
	uint64_t room = 0;
	int r = RX_HELD;

	*n = 0;
	while (room < len) {
		struct virtq_elem *e = &q->rx_elems[*n];

		if (*n == NET_RX_MAX_CHAINS || (*n == 1 && !mrg)) {
			r = RX_TOO_BIG;
			break;
		}
		e->iov = q->rx_iov + (size_t)*n * NET_RX_CHAIN_IOV;
		e->iov_cap = NET_RX_CHAIN_IOV;
		r = virtq_pop(q->vq, e);	/* 1: one more held, 0: RX_SHORT, or -EIO */
		if (r <= 0)
			break;
		(*n)++;
		VURING_PROBE(chain_pop, q->index, e->id);
		room += e->in_len;
	}
	if (r == RX_HELD)
		return RX_HELD;
	if (r < 0 || virtq_unpop(q->vq, *n) < 0)
		return -EIO;
	*n = 0;
	return r;
}

/**
 * rx_to_guest() - copy one frame (header included) into the guest's chains
 * @q: RX queue
 * @b: the frame
 *
 * Return: 1 when the frame was delivered or dropped, 0 when the guest has
 * not posted enough buffers (nothing consumed), -EIO when the ring broke.
 */
static int rx_to_guest(struct net_queue *q, const struct net_rx_buf *b)
{
	unsigned int hdr_len = q->dev->vnet_hdr_len, n, i;
	uint32_t off = 0;
	uint16_t num_buffers;
	int r = rx_take_chains(q, b->len, &n);

	if (r == RX_TOO_BIG) {
		/* The guest keeps its buffers; the frame goes. */
		q->stats.drops[NET_DROP_TOO_BIG]++;
		return 1;
	}
	if (r != RX_HELD)
		return r;
	for (i = 0; i < n; i++) {
		struct virtq_elem *e = &q->rx_elems[i];
		uint32_t take = e->in_len < b->len - off ? e->in_len : b->len - off;

		net_iov_copy_in(e->iov, e->in_num, 0, b->data + off, take);
		if (i == 0 && hdr_len == sizeof(struct virtio_net_hdr_mrg_rxbuf)) {
			num_buffers = htole16((uint16_t)n);
			net_iov_copy_in(e->iov, e->in_num, NET_RX_NUM_BUFFERS_OFF, &num_buffers,
					sizeof(num_buffers));
		}
		/* virtq_push() logs the bytes written when the front-end migrates. */
		if (virtq_push(q->vq, e, take) < 0)
			return -EIO;
		off += take;
	}
	q->stats.packets++;
	q->stats.bytes += b->len - hdr_len;
	return 1;
}

/**
 * rx_deliver() - hand the frames read so far to the guest, in order
 * Return: 0, or -EIO when the ring broke.
 */
static int rx_deliver(struct net_queue *q)
{
	q->rx_starved = false;
	while (q->filled_head) {
		struct net_rx_buf *b = q->filled_head;
		int r = rx_to_guest(q, b);

		if (r < 0)
			return r;
		if (r == 0) {
			/* Out of guest buffers: ask for a kick, then look once more. */
			if (!virtq_enable_notify(q->vq)) {
				q->rx_starved = true;
				return 0;
			}
			virtq_disable_notify(q->vq);
			continue;
		}
		q->filled_head = b->next;
		if (!q->filled_head)
			q->filled_tail = &q->filled_head;
		rx_buf_free(q, b);
	}
	return 0;
}

/**
 * net_rx_run() - the RX engine's one step
 *
 * Delivers what was read, publishes it with one flush (and at most one
 * call), then reads more unless the guest is out of buffers, the ring is
 * disabled, or reads are already in flight.
 */
void net_rx_run(struct net_queue *q)
{
	if (!q->started || virtq_broken(q->vq))
		return;
	if (q->enabled && rx_deliver(q) < 0) {
		net_queue_notify(q);
		net_queue_broken(q);
		return;
	}
	net_queue_notify(q);
	if (!q->enabled || q->rx_starved || q->rx_reading || q->polling || !q->free_bufs)
		return;
	uring_op_init(&q->poll_op, &q->group, rx_readable);
	if (backend_poll(q->dev->be, q->qp, &q->poll_op, POLLIN) == 0) {
		q->polling = true;
		q->stats.uring_ops++;
		backend_flush(q->dev->be);
	}
}

/**
 * net_rx_init() - allocate the queue's bounce buffers and chain arrays
 * Return: 0 or -ENOMEM.
 */
int net_rx_init(struct net_queue *q)
{
	unsigned int n = q->dev->conf->batch_size;

	q->bufs = calloc(n, sizeof(*q->bufs));
	q->buf_mem = malloc((size_t)n * NET_RX_BUF_SIZE);
	q->rx_elems = calloc(NET_RX_MAX_CHAINS, sizeof(*q->rx_elems));
	q->rx_iov = calloc((size_t)NET_RX_MAX_CHAINS * NET_RX_CHAIN_IOV, sizeof(*q->rx_iov));
	if (!q->bufs || !q->buf_mem || !q->rx_elems || !q->rx_iov) {
		net_rx_free(q);
		return -ENOMEM;
	}
	q->free_bufs = NULL;
	for (unsigned int i = 0; i < n; i++) {
		q->bufs[i].q = q;
		q->bufs[i].data = q->buf_mem + (size_t)i * NET_RX_BUF_SIZE;
		rx_buf_free(q, &q->bufs[i]);
	}
	q->filled_head = NULL;
	q->filled_tail = &q->filled_head;
	q->rx_reading = 0;
	q->rx_starved = false;
	q->polling = false;
	return 0;
}

/**
 * net_rx_free() - release the RX state; frames read but not delivered are
 * counted as dropped
 */
void net_rx_free(struct net_queue *q)
{
	for (struct net_rx_buf *b = q->filled_head; b; b = b->next)
		q->stats.drops[NET_DROP_STOPPED]++;
	free(q->bufs);
	free(q->buf_mem);
	free(q->rx_elems);
	free(q->rx_iov);
	q->bufs = NULL;
	q->buf_mem = NULL;
	q->rx_elems = NULL;
	q->rx_iov = NULL;
	q->free_bufs = NULL;
	q->filled_head = NULL;
	q->filled_tail = &q->filled_head;
}
