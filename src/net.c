// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * net.c - the virtio-net device: its queues' life cycle, kicks, deferred
 * work and guest notifications. The engines are in net_tx.c and net_rx.c.
 *
 * Every queue has a "work" event that is only ever activated by hand.
 * Completions and kicks never publish
 * used entries themselves; they schedule the work event, which runs after
 * the current callback (after the whole batch of io_uring completions) and
 * flushes once, notifies once, then continues the engine. That is what
 * makes it one used-index store and at most one call per batch, and what
 * bounds each queue's share of a loop iteration (fairness).
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <linux/virtio_config.h>
#include <linux/virtio_net.h>

#include "log.h"
#include "net.h"
#include "probes.h"

static const char *const drop_names[NET_DROP_MAX] = {
	[NET_DROP_BAD_HDR] = "bad-header",
	[NET_DROP_BACKEND] = "backend-error",
	[NET_DROP_DISABLED] = "ring-disabled",
	[NET_DROP_TOO_BIG] = "too-big",
	[NET_DROP_STOPPED] = "ring-stopped",
};

const char *net_drop_name(enum net_drop d)
{
	return (unsigned int)d < NET_DROP_MAX ? drop_names[d] : "?";
}

/**
 * net_queue_call() - write the call eventfd now
 */
static void net_queue_call(struct net_queue *q)
{
	static const uint64_t one = 1;
	unsigned int covered = q->uncalled;

	if (q->call_pending && q->coalesce_ev)
		evtimer_del(q->coalesce_ev);
	q->call_pending = false;
	q->uncalled = 0;
	if (*q->call_fd < 0)
		return;
	VURING_PROBE(call, q->index, covered);
	if (write(*q->call_fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		log_warn("queue %u: call eventfd: %s", q->index, strerror(errno));
	q->stats.calls++;
}

static void net_on_coalesce_timer(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	net_queue_call(arg);
}

/**
 * net_queue_notify() - flush used entries and call the guest if it wants it
 * @q: queue
 *
 * With [datapath] coalesce-usecs set, a call the guest asked for is held
 * back up to that long (or until coalesce-frames entries are published), so
 * a steady stream costs the guest fewer interrupts; by default it is
 * written at once, one per batch.
 */
void net_queue_notify(struct net_queue *q)
{
	const struct conf *conf = q->dev->conf;
	int n = virtq_flush(q->vq);

	if (n < 0) {
		net_queue_broken(q);
		return;
	}
	if (n > 0) {
		VURING_PROBE(used_publish, q->index, n);
		q->stats.batches++;
		q->stats.batched += (uint64_t)n;
		q->uncalled += (unsigned int)n;
	}
	if (!q->call_pending && !virtq_should_notify(q->vq))
		return;
	if (!conf->coalesce_usecs ||
	    (conf->coalesce_frames && q->uncalled >= conf->coalesce_frames)) {
		net_queue_call(q);
		return;
	}
	if (!q->call_pending) {
		struct timeval tv = {
			.tv_sec = conf->coalesce_usecs / 1000000,
			.tv_usec = conf->coalesce_usecs % 1000000,
		};

		q->call_pending = true;
		evtimer_add(q->coalesce_ev, &tv);
	}
}

/**
 * net_queue_schedule() - run the queue's work after the current callback
 * @q: queue
 */
void net_queue_schedule(struct net_queue *q)
{
	if (q->work_ev && q->started)
		event_active(q->work_ev, EV_TIMEOUT, 0);
}

/**
 * net_queue_broken() - the guest broke the ring: stop serving it
 *
 * The virtq already logged why and refuses every further operation. The
 * queue stops scheduling itself and the owner is told, once: it breaks the
 * whole device and drops the front-end (later, from the event loop, so
 * nothing is torn down under the caller's feet).
 */
void net_queue_broken(struct net_queue *q)
{
	struct net_dev *dev = q->dev;

	if (q->work_ev)
		event_del(q->work_ev);
	if (dev->on_broken && q->vq)
		dev->on_broken(q->index, virtq_broken(q->vq) ? virtq_broken(q->vq) : "?",
			       dev->on_broken_arg);
}

void net_dev_set_broken_cb(struct net_dev *dev, net_broken_fn *fn, void *arg)
{
	dev->on_broken = fn;
	dev->on_broken_arg = arg;
}

/**
 * net_queue_io_done() - count one completion of the queue's io_uring I/O
 * @q: queue
 * @res: the completion's result
 *
 * "Later" (EAGAIN, ENOBUFS) and cancellations are part of normal operation;
 * any other negative result counts as an error. (The frame engines fire the
 * "completion" probe themselves: polls are not frames.)
 */
void net_queue_io_done(struct net_queue *q, int res)
{
	q->stats.uring_cqes++;
	if (res < 0 && res != -EAGAIN && res != -ENOBUFS && res != -ECANCELED)
		q->stats.uring_errors++;
}

static void net_queue_run(struct net_queue *q)
{
	if (virtq_broken(q->vq)) {
		net_queue_broken(q);
		return;
	}
	if (q->tx)
		net_tx_run(q);
	else
		net_rx_run(q);
}

static void net_on_work(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	net_queue_run(arg);
}

static struct net_queue *net_queue_get(struct net_dev *dev, unsigned int index)
{
	return index < dev->nqueues ? &dev->queues[index] : NULL;
}

const struct net_queue *net_dev_queue(const struct net_dev *dev, unsigned int index)
{
	return index < dev->nqueues ? &dev->queues[index] : NULL;
}

/**
 * net_queue_start() - a ring started (its first kick): begin serving it
 * @dev: device
 * @index: virtqueue index (even RX, odd TX)
 * @vq: the running ring (owned by the caller, valid until net_queue_stop())
 * @call_fd: where the ring's call eventfd is kept (-1 = none); read at each
 *	notification, so a SET_VRING_CALL while running takes effect at once
 *
 * Return: 0, -EINVAL for a bad index, -ENOMEM.
 */
int net_queue_start(struct net_dev *dev, unsigned int index, struct virtq *vq,
		    const int *call_fd)
{
	struct net_queue *q = net_queue_get(dev, index);
	int r;

	if (!q)
		return -EINVAL;
	if (q->started)
		net_queue_stop(dev, index);
	q->vq = vq;
	q->call_fd = call_fd;
	r = q->tx ? net_tx_init(q) : net_rx_init(q);
	if (r < 0)
		return r;
	q->work_ev = event_new(dev->base, -1, 0, net_on_work, q);
	q->coalesce_ev = evtimer_new(dev->base, net_on_coalesce_timer, q);
	q->call_pending = false;
	q->uncalled = 0;
	if (!q->work_ev || !q->coalesce_ev) {
		if (q->work_ev)
			event_free(q->work_ev);
		if (q->coalesce_ev)
			event_free(q->coalesce_ev);
		q->work_ev = q->coalesce_ev = NULL;
		if (q->tx)
			net_tx_free(q);
		else
			net_rx_free(q);
		return -ENOMEM;
	}
	q->started = true;
	/* The kick that started the ring may be all the guest sends. */
	net_queue_schedule(q);
	return 0;
}

/**
 * net_queue_kick() - the guest kicked a started ring
 */
void net_queue_kick(struct net_dev *dev, unsigned int index)
{
	struct net_queue *q = net_queue_get(dev, index);

	if (!q || !q->started)
		return;
	q->stats.kicks++;
	net_queue_run(q);
}

/**
 * net_queue_log_stats() - one line of a queue's counters (since start-up)
 */
static void net_queue_log_stats(const struct net_queue *q)
{
	const struct net_stats *st = &q->stats;
	uint64_t drops = 0;

	for (unsigned int i = 0; i < NET_DROP_MAX; i++)
		drops += st->drops[i];
	log_info("queue %u (%s%u): %llu packets, %llu bytes, %llu kicks, %llu calls, "
		 "%llu batches (avg %.1f), %llu drops",
		 q->index, q->tx ? "tx" : "rx", q->qp, (unsigned long long)st->packets,
		 (unsigned long long)st->bytes, (unsigned long long)st->kicks,
		 (unsigned long long)st->calls, (unsigned long long)st->batches,
		 st->batches ? (double)st->batched / (double)st->batches : 0.0,
		 (unsigned long long)drops);
}

/**
 * net_queue_stop() - stop serving a ring before it is handed back
 * @dev: device
 * @index: virtqueue index
 *
 * Cancels every in-flight operation of the queue and waits for each to
 * complete, so no I/O touches guest memory after this returns, then
 * publishes what completed. Chains whose I/O was cancelled stay unpublished
 * and the front-end replays them from the avail index virtq_stop() reports.
 */
void net_queue_stop(struct net_dev *dev, unsigned int index)
{
	struct net_queue *q = net_queue_get(dev, index);

	if (!q || !q->started)
		return;
	q->started = false;
	event_free(q->work_ev);
	q->work_ev = NULL;
	backend_cancel(dev->be, &q->group);
	if (!virtq_broken(q->vq))
		virtq_flush(q->vq);
	/* A held-back call goes out now: the guest may be waiting on it. */
	if (q->call_pending)
		net_queue_call(q);
	event_free(q->coalesce_ev);
	q->coalesce_ev = NULL;
	if (q->tx)
		net_tx_free(q);
	else
		net_rx_free(q);
	q->vq = NULL;
	net_queue_log_stats(q);
}

/**
 * net_queue_set_enabled() - SET_VRING_ENABLE for a queue
 *
 * The TAP queue of a pair stays attached while either of its rings is
 * enabled, so a guest using fewer queue pairs than offered (ethtool -L)
 * leaves the kernel steering only to the queues it serves.
 */
void net_queue_set_enabled(struct net_dev *dev, unsigned int index, bool enabled)
{
	struct net_queue *q = net_queue_get(dev, index);
	struct net_queue *pair;
	int r;

	if (!q)
		return;
	q->enabled = enabled;
	pair = &dev->queues[index ^ 1];
	r = backend_queue_enable(dev->be, q->qp, enabled || pair->enabled);
	if (r < 0)
		log_warn("queue pair %u: cannot %s the back-end queue: %s", q->qp,
			 enabled ? "attach" : "detach", strerror(-r));
	if (q->started)
		net_queue_schedule(q);
}

/**
 * net_dev_set_features() - apply the front-end's negotiated features
 * Return: 0 or a negative errno from the back-end.
 */
int net_dev_set_features(struct net_dev *dev, uint64_t features)
{
	unsigned int hdr_len = sizeof(struct virtio_net_hdr);
	int r;

	if (features & ((1ULL << VIRTIO_F_VERSION_1) | (1ULL << VIRTIO_NET_F_MRG_RXBUF)))
		hdr_len = sizeof(struct virtio_net_hdr_mrg_rxbuf);
	r = backend_set_vnet_hdr_len(dev->be, hdr_len);
	if (r < 0)
		return r;
	r = backend_set_offloads(dev->be, features);
	if (r < 0)
		return r;
	dev->features = features;
	dev->vnet_hdr_len = hdr_len;
	return 0;
}

uint64_t net_dev_offloads(const struct net_dev *dev)
{
	return backend_offloads(dev->be);
}

unsigned int net_dev_queue_pairs(const struct net_dev *dev)
{
	return dev->nqueues / 2;
}

struct uring *net_dev_uring(struct net_dev *dev)
{
	return dev->uring;
}

/**
 * net_dev_stop_all() - stop every started queue (disconnect, reset)
 */
void net_dev_stop_all(struct net_dev *dev)
{
	for (unsigned int i = 0; i < dev->nqueues; i++)
		net_queue_stop(dev, i);
}

/**
 * net_dev_new() - open the io_uring and the back-end, set up the queues
 * @base: event loop
 * @conf: settings (kept by reference: must outlive the device)
 * @out: the device
 *
 * Return: 0 or a negative errno (already logged).
 */
int net_dev_new(struct event_base *base, const struct conf *conf, struct net_dev **out)
{
	struct net_dev *dev = calloc(1, sizeof(*dev));
	int r = -ENOMEM;

	if (!dev)
		return -ENOMEM;
	dev->base = base;
	dev->conf = conf;
	dev->vnet_hdr_len = sizeof(struct virtio_net_hdr_mrg_rxbuf);
	dev->nqueues = 2 * conf->queue_pairs;
	dev->queues = calloc(dev->nqueues, sizeof(*dev->queues));
	if (!dev->queues)
		goto err;
	r = uring_new_flags(base, conf->uring_entries,
			    conf->uring_restrict ? 0 : URING_UNRESTRICTED, &dev->uring);
	if (r < 0)
		goto err;
	r = backend_open(conf, dev->uring, &dev->be);
	if (r < 0)
		goto err;
	for (unsigned int i = 0; i < dev->nqueues; i++) {
		struct net_queue *q = &dev->queues[i];

		q->dev = dev;
		q->index = i;
		q->qp = i / 2;
		q->tx = i & 1;
		uring_group_init(&q->group);
	}
	*out = dev;
	return 0;
err:
	net_dev_free(dev);
	return r;
}

void net_dev_free(struct net_dev *dev)
{
	if (!dev)
		return;
	if (dev->queues)
		net_dev_stop_all(dev);
	backend_close(dev->be);
	uring_free(dev->uring);
	free(dev->queues);
	free(dev);
}
