/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * net.h - the virtio-net device: queue pairs between virtqueues and a
 * back-end (TAP), the TX and RX engines, notifications and counters.
 *
 * Virtqueue 2n is queue pair n's RX (host -> guest), 2n+1 its TX. The
 * vhost-user layer owns the connection, the memory table, the eventfds and
 * the virtq itself (vu_dev.c); it calls net_queue_start() once a ring has
 * started (first kick), net_queue_kick() on every later kick, and
 * net_queue_stop() before the front-end takes the ring back.
 */
#ifndef VURING_NET_H
#define VURING_NET_H

#include <stdbool.h>
#include <stdint.h>

#include "backend.h"
#include "uring.h"
#include "virtq.h"

struct event;
struct event_base;
struct net_dev;

/* Why frames were dropped, counted per queue. */
enum net_drop {
	NET_DROP_BAD_HDR,	/* TX: the guest's header lies about the frame */
	NET_DROP_BACKEND,	/* TX: the back-end refused the frame */
	NET_DROP_DISABLED,	/* TX on a disabled ring: discarded as the spec says */
	NET_DROP_TOO_BIG,	/* RX: frame larger than the guest's buffers */
	NET_DROP_STOPPED,	/* RX: frame read but the ring stopped first */
	NET_DROP_MAX,
};

const char *net_drop_name(enum net_drop d);

/* Counters of one virtqueue; touched only by the loop thread, no locks. */
struct net_stats {
	uint64_t packets;
	uint64_t bytes;
	uint64_t kicks;		/* kick eventfd wakeups */
	uint64_t calls;		/* call eventfd writes */
	uint64_t batches;	/* used-ring flushes that published something */
	uint64_t batched;	/* chains published by those flushes */
	uint64_t retries;	/* TX: back-end said "later" (EAGAIN/ENOBUFS) */
	uint64_t uring_ops;	/* I/O requests posted: writes, reads, polls */
	uint64_t uring_cqes;	/* their completions */
	uint64_t uring_errors;	/* completions failing other than "later"/cancel */
	uint64_t drops[NET_DROP_MAX];
};

struct net_tx_slot;
struct net_rx_buf;

struct net_queue {
	struct net_dev *dev;
	unsigned int index;		/* virtqueue index */
	unsigned int qp;		/* queue pair */
	bool tx;
	bool started;
	bool enabled;
	struct virtq *vq;		/* owned by the vhost-user layer */
	const int *call_fd;		/* its call eventfd slot (-1 = none) */
	struct event *work_ev;		/* deferred: flush, notify, continue */
	struct event *coalesce_ev;	/* [datapath] coalesce-usecs timer */
	bool call_pending;		/* a call is being held back */
	unsigned int uncalled;		/* entries published since the last call */
	struct uring_group group;	/* everything this queue has in flight */
	struct net_stats stats;

	/* TX */
	struct net_tx_slot *slots;	/* batch_size slots */
	struct net_tx_slot *free_slots;
	struct net_tx_slot *retry_head;	/* refused for now, resent on POLLOUT */
	struct net_tx_slot **retry_tail;
	unsigned int tx_inflight;

	/* RX */
	struct net_rx_buf *bufs;	/* batch_size bounce buffers */
	uint8_t *buf_mem;
	struct net_rx_buf *free_bufs;
	struct net_rx_buf *filled_head;	/* read, not yet copied to the guest */
	struct net_rx_buf **filled_tail;
	struct virtq_elem *rx_elems;	/* chains one frame may take */
	struct iovec *rx_iov;
	unsigned int rx_reading;	/* reads in flight */
	bool rx_starved;		/* waiting for the guest to post buffers */

	struct uring_op poll_op;	/* TX: POLLOUT; RX: POLLIN */
	bool polling;
};

int net_dev_new(struct event_base *base, const struct conf *conf, struct net_dev **out);
void net_dev_free(struct net_dev *dev);
uint64_t net_dev_offloads(const struct net_dev *dev);
unsigned int net_dev_queue_pairs(const struct net_dev *dev);
int net_dev_set_features(struct net_dev *dev, uint64_t features);
int net_queue_start(struct net_dev *dev, unsigned int index, struct virtq *vq,
		    const int *call_fd);
void net_queue_kick(struct net_dev *dev, unsigned int index);
void net_queue_stop(struct net_dev *dev, unsigned int index);
void net_queue_set_enabled(struct net_dev *dev, unsigned int index, bool enabled);
void net_dev_stop_all(struct net_dev *dev);
const struct net_queue *net_dev_queue(const struct net_dev *dev, unsigned int index);
struct uring *net_dev_uring(struct net_dev *dev);

/* Told once when the guest breaks a ring (reason from the virtq). */
typedef void net_broken_fn(unsigned int index, const char *reason, void *arg);
void net_dev_set_broken_cb(struct net_dev *dev, net_broken_fn *fn, void *arg);

/* Shared by net.c, net_tx.c and net_rx.c. */
struct net_dev {
	struct event_base *base;
	const struct conf *conf;
	struct uring *uring;
	struct backend *be;
	uint64_t features;		/* negotiated */
	unsigned int vnet_hdr_len;	/* 10 or 12 */
	unsigned int nqueues;		/* 2 * queue pairs */
	struct net_queue *queues;
	net_broken_fn *on_broken;
	void *on_broken_arg;
};

void net_queue_notify(struct net_queue *q);
void net_queue_schedule(struct net_queue *q);
void net_queue_broken(struct net_queue *q);
void net_queue_io_done(struct net_queue *q, int res);

int net_tx_init(struct net_queue *q);
void net_tx_free(struct net_queue *q);
void net_tx_run(struct net_queue *q);

int net_rx_init(struct net_queue *q);
void net_rx_free(struct net_queue *q);
void net_rx_run(struct net_queue *q);

#endif
