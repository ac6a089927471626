// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * net_tx.c - guest -> host: chains popped from a TX ring are written to the
 * back-end straight from guest memory (the chain's virtio-net header is the
 * TAP's vnet header), one WRITEV per frame, one submission per batch.
 *
 * A frame the back-end refuses for now (EAGAIN/ENOBUFS) keeps its chain: it
 * is parked, a POLLOUT is armed, and it is written again when the back-end
 * has room. Used entries are published in ring order whatever order the
 * writes complete in (virtq_flush publishes only the completed prefix).
 */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "container_of.h"
#include "log.h"
#include "net.h"
#include "net_hdr.h"
#include "probes.h"

/*
 * iovecs per TX chain: a Linux guest uses at most MAX_SKB_FRAGS (17) + 2
 * descriptors per frame; the rest is headroom for buffers that cross guest
 * memory regions. A longer chain breaks the ring rather than being cut.
 */
#define NET_TX_MAX_IOV 64

struct net_tx_slot {
	struct uring_op op;
	struct net_queue *q;
	struct net_tx_slot *next;	/* free list or retry list */
	struct virtq_elem elem;
	struct iovec iov[NET_TX_MAX_IOV];
};

static struct net_tx_slot *slot_of(struct uring_op *op)
{
	return container_of(op, struct net_tx_slot, op);
}

static void tx_slot_release(struct net_queue *q, struct net_tx_slot *s)
{
	s->next = q->free_slots;
	q->free_slots = s;
}

/**
 * tx_complete() - one WRITEV finished
 *
 * -ECANCELED (the ring is stopping) leaves the chain unpublished: the
 * front-end replays it from the avail index GET_VRING_BASE reports.
 */
static void tx_complete(struct uring_op *op, int res, uint32_t flags)
{
	struct net_tx_slot *s = slot_of(op);
	struct net_queue *q = s->q;

	(void)flags;
	q->tx_inflight--;
	net_queue_io_done(q, res);
	VURING_PROBE(completion, q->index, res);
	if (res == -EAGAIN || res == -ENOBUFS) {
		q->stats.retries++;
		s->next = NULL;
		*q->retry_tail = s;
		q->retry_tail = &s->next;
		net_queue_schedule(q);
		return;
	}
	if (res == -ECANCELED) {
		tx_slot_release(q, s);
		return;
	}
	if (res < 0) {
		q->stats.drops[NET_DROP_BACKEND]++;
		log_debug("%s: back-end write: %s", q->vq->name, strerror(-res));
	} else {
		q->stats.packets++;
		q->stats.bytes += (uint64_t)res - q->dev->vnet_hdr_len;
	}
	if (virtq_push(q->vq, &s->elem, 0) < 0)
		net_queue_broken(q);
	tx_slot_release(q, s);
	net_queue_schedule(q);
}

/**
 * tx_drop() - consume a chain without sending it
 */
static void tx_drop(struct net_queue *q, struct net_tx_slot *s, enum net_drop why)
{
	q->stats.drops[why]++;
	if (virtq_push(q->vq, &s->elem, 0) < 0)
		net_queue_broken(q);
	tx_slot_release(q, s);
}

/**
 * tx_send() - check one popped chain's header and post its write
 * Return: 1 if posted, 0 if the chain was consumed without a write.
 */
static int tx_send(struct net_queue *q, struct net_tx_slot *s)
{
	struct net_dev *dev = q->dev;
	struct virtio_net_hdr_mrg_rxbuf hdr;
	enum net_hdr_verdict v = NET_HDR_RUNT;
	int r;

	if (!q->enabled) {
		tx_drop(q, s, NET_DROP_DISABLED);
		return 0;
	}
	if (s->elem.out_len >= dev->vnet_hdr_len) {
		net_iov_copy_out(&hdr, dev->vnet_hdr_len, s->elem.iov, s->elem.out_num);
		v = net_hdr_check_tx(&hdr.hdr, s->elem.out_len - dev->vnet_hdr_len,
				     dev->features);
	}
	if (v != NET_HDR_OK) {
		if (!q->stats.drops[NET_DROP_BAD_HDR])
			log_warn("%s: dropping frame with bad virtio-net header (%s); "
				 "further drops are only counted", q->vq->name,
				 net_hdr_verdict_name(v));
		tx_drop(q, s, NET_DROP_BAD_HDR);
		return 0;
	}
	uring_op_init(&s->op, &q->group, tx_complete);
	r = backend_tx(dev->be, q->qp, &s->op, s->elem.iov, s->elem.out_num);
	if (r < 0) {
		log_debug("%s: cannot post write: %s", q->vq->name, strerror(-r));
		tx_drop(q, s, NET_DROP_BACKEND);
		return 0;
	}
	q->tx_inflight++;
	q->stats.uring_ops++;
	return 1;
}

/**
 * tx_resend() - post again the writes the back-end refused
 * Return: how many were posted.
 */
static unsigned int tx_resend(struct net_queue *q)
{
	struct net_tx_slot *s = q->retry_head;
	unsigned int n = 0;

	q->retry_head = NULL;
	q->retry_tail = &q->retry_head;
	while (s) {
		struct net_tx_slot *next = s->next;

		n += (unsigned int)tx_send(q, s);
		s = next;
	}
	return n;
}

/**
 * tx_writable() - POLLOUT: the back-end has room again, resend what it refused
 */
static void tx_writable(struct uring_op *op, int res, uint32_t flags)
{
	struct net_queue *q = container_of(op, struct net_queue, poll_op);

	(void)flags;
	q->polling = false;
	net_queue_io_done(q, res);
	if (res == -ECANCELED)
		return;
	if (tx_resend(q))
		backend_flush(q->dev->be);
	net_queue_schedule(q);
}

/**
 * tx_pop_and_send() - pop up to a budget of chains and post their writes
 * Return: chains popped, or -EIO when the ring broke.
 */
static int tx_pop_and_send(struct net_queue *q, unsigned int *posted)
{
	unsigned int budget = q->dev->conf->budget, n = 0;

	while (n < budget && q->free_slots) {
		struct net_tx_slot *s = q->free_slots;
		int r;

		s->elem.iov = s->iov;
		s->elem.iov_cap = NET_TX_MAX_IOV;
		r = virtq_pop(q->vq, &s->elem);
		if (r <= 0)
			return r < 0 ? r : (int)n;
		q->free_slots = s->next;
		n++;
		VURING_PROBE(chain_pop, q->index, s->elem.id);
		*posted += (unsigned int)tx_send(q, s);
	}
	return (int)n;
}

/**
 * net_tx_run() - the TX engine's one step: publish, then move the next batch
 *
 * Runs on a kick and as deferred work after completions. It publishes what
 * completed, then either waits (writes in flight, or the back-end full) or
 * pops and posts up to a budget of chains with one submission. With the
 * ring empty it re-enables kicks and re-checks (vhost-net's race: a chain
 * added between our last look and the enable would otherwise wait forever).
 */
void net_tx_run(struct net_queue *q)
{
	unsigned int posted = 0;
	int n;

	net_queue_notify(q);
	if (!q->started || virtq_broken(q->vq) || q->tx_inflight)
		return;
	if (q->retry_head) {
		/* The back-end is full: wait for POLLOUT, keep the chains. */
		if (!q->polling) {
			uring_op_init(&q->poll_op, &q->group, tx_writable);
			if (backend_poll(q->dev->be, q->qp, &q->poll_op, POLLOUT) == 0) {
				q->polling = true;
				q->stats.uring_ops++;
				backend_flush(q->dev->be);
			}
		}
		return;
	}
	virtq_disable_notify(q->vq);
	n = tx_pop_and_send(q, &posted);
	if (n < 0) {
		net_queue_broken(q);
		return;
	}
	if (posted) {
		VURING_PROBE(batch_submit, q->index, posted);
		backend_flush(q->dev->be);
	}
	if (n > 0) {
		net_queue_schedule(q);
		return;
	}
	if (virtq_enable_notify(q->vq)) {
		virtq_disable_notify(q->vq);
		net_queue_schedule(q);
	}
}

/**
 * net_tx_init() - allocate the queue's write slots (batch_size of them)
 * Return: 0 or -ENOMEM.
 */
int net_tx_init(struct net_queue *q)
{
	unsigned int n = q->dev->conf->batch_size;

	q->slots = calloc(n, sizeof(*q->slots));
	if (!q->slots)
		return -ENOMEM;
	q->free_slots = NULL;
	for (unsigned int i = 0; i < n; i++) {
		q->slots[i].q = q;
		tx_slot_release(q, &q->slots[i]);
	}
	q->retry_head = NULL;
	q->retry_tail = &q->retry_head;
	q->tx_inflight = 0;
	q->polling = false;
	return 0;
}

void net_tx_free(struct net_queue *q)
{
	free(q->slots);
	q->slots = NULL;
	q->free_slots = NULL;
	q->retry_head = NULL;
	q->retry_tail = &q->retry_head;
}
