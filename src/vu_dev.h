/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vu_dev.h - the vhost-user device: negotiated features, guest memory and
 * the life cycle of each ring, as the front-end's messages drive them.
 *
 * One vu_dev lives as long as the daemon; a front-end connection binds to it
 * and vu_dev_reset() tears everything the connection set up down again. The
 * wire format is vhost_user.c's business: it decodes each message and calls
 * the matching vu_dev_*() function here, which validates the values and
 * applies them.
 *
 * Ring life cycle (vhost-user spec, "Ring states"): a ring starts stopped
 * and disabled; it starts on the first kick (its kick eventfd becomes
 * readable) once its size, addresses and memory are known; GET_VRING_BASE
 * stops it. SET_VRING_ENABLE flips enabled independently. Without
 * VHOST_USER_F_PROTOCOL_FEATURES, SET_FEATURES enables every ring.
 *
 * The datapath plugs in through struct vu_dev_ops; with no ops registered
 * the device still negotiates, maps memory and starts/stops rings.
 */
#ifndef VURING_VU_DEV_H
#define VURING_VU_DEV_H

#include <stdbool.h>
#include <stdint.h>

#include <event2/event.h>
#include <linux/vhost_types.h>

#include "guest_mem.h"
#include "vhost_user_proto.h"
#include "virtq.h"

struct conf;
struct device_state_xfer;
struct vu_dev;

/* conf->queue_pairs is at most 64; each pair is an RX and a TX ring. */
#define VU_MAX_QUEUE_PAIRS 64
#define VU_MAX_RINGS (2 * VU_MAX_QUEUE_PAIRS)

/* NET_SET_MTU bounds: IPv4's minimum datagram to the largest IP packet. */
#define VU_MTU_MIN 68
#define VU_MTU_MAX 65535

/* Returned by vu_dev_*() for a request refused without harm (NACK it). */
#define VU_REFUSED 1

enum vu_ring_fd {
	VU_RING_KICK,
	VU_RING_CALL,
	VU_RING_ERR,
};

/**
 * struct vu_ring - one virtqueue as the front-end configured it
 * @dev:	the device it belongs to
 * @vq:		the ring engine; valid (running) while @started
 * @num:	size (SET_VRING_NUM), 0 until set
 * @base:	next avail index to use when the ring starts (SET_VRING_BASE,
 *		or where the last stop left it)
 * @addr:	SET_VRING_ADDR as received (front-end virtual addresses)
 * @addr_set:	@addr holds something
 * @desc, @avail, @used: host addresses of the three areas, valid while
 *		@started (translated and bounds-checked at start)
 * @kick_fd, @call_fd, @err_fd: eventfds, -1 when unset
 * @kick_ev:	watches @kick_fd
 * @kicked:	a kick arrived since the ring was last stopped
 * @started:	running (see the file comment)
 * @enabled:	SET_VRING_ENABLE state
 * @kicks:	kicks seen, for the debug log
 */
struct vu_ring {
	struct vu_dev *dev;
	struct virtq vq;
	uint32_t num;
	uint16_t base;
	struct vhost_vring_addr addr;
	bool addr_set;
	void *desc, *avail, *used;
	int kick_fd, call_fd, err_fd;
	struct event *kick_ev;
	bool kicked;
	bool started;
	bool enabled;
	uint64_t kicks;
};

/**
 * struct vu_dev_ops - how the datapath follows the device
 * @ring_start:	 ring @idx just started (vq initialised); return 0 or a
 *		 negative errno (the device then breaks)
 * @ring_stop:	 ring @idx is stopping: return only once no I/O touches its
 *		 buffers any more, with every completed chain pushed and
 *		 flushed. Called before GET_VRING_BASE answers, before memory
 *		 is unmapped, on reset and on disconnect.
 * @ring_kick:	 the guest kicked started ring @idx (the eventfd is drained)
 * @ring_enable: SET_VRING_ENABLE (or SET_FEATURES without protocol features)
 * @features_changed: SET_FEATURES changed the acked bits
 * @mem_changed: the memory table is about to change; started rings have
 *		 already been stopped through @ring_stop and restart after
 * @send_rarp:	 SEND_RARP: announce @mac on the host side
 *
 * Every member may be NULL. @arg is vu_dev_set_ops()' argument.
 */
struct vu_dev_ops {
	int (*ring_start)(struct vu_dev *dev, unsigned int idx, void *arg);
	void (*ring_stop)(struct vu_dev *dev, unsigned int idx, void *arg);
	void (*ring_kick)(struct vu_dev *dev, unsigned int idx, void *arg);
	void (*ring_enable)(struct vu_dev *dev, unsigned int idx, bool on, void *arg);
	void (*features_changed)(struct vu_dev *dev, void *arg);
	void (*mem_changed)(struct vu_dev *dev, void *arg);
	void (*send_rarp)(struct vu_dev *dev, const uint8_t mac[6], void *arg);
};

/* Counters over the daemon's life (all connections). */
struct vu_counters {
	uint64_t connections;	/* front-ends served */
	uint64_t refused;	/* connections turned away: one was active */
	uint64_t messages;	/* requests handled */
	uint64_t nacks;		/* requests answered with a failure */
	uint64_t broken;	/* times a device was marked broken */
};

/**
 * struct vu_dev - everything one front-end set up
 * @features:	acked virtio features (SET_FEATURES)
 * @protocol_features: acked protocol features
 * @features_offered, @protocol_offered: what we answer to GET_*
 * @nrings:	rings the front-end may use (2 * queue pairs)
 * @status:	SET_STATUS value (virtio device status byte)
 * @mtu:	NET_SET_MTU, 0 if none
 * @rarp_mac:	SEND_RARP's MAC, @rarp_pending until the datapath sends it
 * @broken:	the front-end broke a rule; the connection is being closed
 * @connected:	a front-end connection drives the device (vhost_user.c)
 */
struct vu_dev {
	struct event_base *base;
	const struct conf *conf;
	uint64_t features_offered;
	uint64_t protocol_offered;
	uint64_t features;
	uint64_t protocol_features;
	bool features_set;
	bool owner;
	unsigned int nrings;
	struct vu_ring rings[VU_MAX_RINGS];
	struct guest_mem mem;
	int log_call_fd;	/* SET_LOG_FD */
	uint8_t status;
	uint16_t mtu;
	uint8_t rarp_mac[6];
	bool rarp_pending;
	bool broken;
	bool connected;
	struct vu_counters stats;

	struct device_state_xfer *dstate;	/* DEVICE_STATE transfer (device_state.c) */

	const struct vu_dev_ops *ops;
	void *ops_arg;
	void (*on_broken)(void *arg);	/* set by the connection */
	void *on_broken_arg;
	/* Told after each message and ring start: the fd store keeps a copy. */
	void (*on_change)(struct vu_dev *dev, void *arg);
	void *on_change_arg;
};

int vu_dev_new(struct event_base *base, const struct conf *conf, struct vu_dev **out);
void vu_dev_free(struct vu_dev *dev);
void vu_dev_set_ops(struct vu_dev *dev, const struct vu_dev_ops *ops, void *arg);
void vu_dev_reset(struct vu_dev *dev);
int vu_dev_fail(struct vu_dev *dev, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void vu_dev_changed(struct vu_dev *dev);
bool vu_dev_has_feature(const struct vu_dev *dev, unsigned int bit);
bool vu_dev_has_protocol_feature(const struct vu_dev *dev, unsigned int bit);

/* Message handlers' entry points: 0, VU_REFUSED, or a negative errno after
 * vu_dev_fail() has logged why and marked the device broken. */
int vu_dev_set_features(struct vu_dev *dev, uint64_t features);
int vu_dev_set_protocol_features(struct vu_dev *dev, uint64_t features);
int vu_dev_set_owner(struct vu_dev *dev);
int vu_dev_reset_owner(struct vu_dev *dev);
int vu_dev_reset_device(struct vu_dev *dev);
int vu_dev_set_mem_table(struct vu_dev *dev, const struct vhost_user_mem_region *regions,
			 unsigned int n, const int *fds);
int vu_dev_add_mem_reg(struct vu_dev *dev, const struct vhost_user_mem_region *r, int fd);
int vu_dev_rem_mem_reg(struct vu_dev *dev, const struct vhost_user_mem_region *r);
int vu_dev_set_log_base(struct vu_dev *dev, const struct vhost_user_log *log, int fd);
int vu_dev_set_log_fd(struct vu_dev *dev, int fd);
int vu_dev_set_vring_num(struct vu_dev *dev, unsigned int idx, unsigned int num);
int vu_dev_set_vring_addr(struct vu_dev *dev, const struct vhost_vring_addr *addr);
int vu_dev_set_vring_base(struct vu_dev *dev, unsigned int idx, unsigned int base);
int vu_dev_get_vring_base(struct vu_dev *dev, unsigned int idx, uint32_t *base);
int vu_dev_set_vring_fd(struct vu_dev *dev, enum vu_ring_fd which, unsigned int idx, int fd);
int vu_dev_set_vring_enable(struct vu_dev *dev, unsigned int idx, unsigned int enable);
int vu_dev_set_mtu(struct vu_dev *dev, uint64_t mtu);
int vu_dev_send_rarp(struct vu_dev *dev, const uint8_t mac[6]);
int vu_dev_set_status(struct vu_dev *dev, uint64_t status);

#endif
