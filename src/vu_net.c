// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vu_net.c - connects the vhost-user device's ring events to the virtio-net
 * datapath: vu_dev.c knows the protocol and owns the rings, net.c moves
 * frames; this file is the only place that knows both.
 */
#include "config.h"

#include <string.h>

#include "log.h"
#include "net.h"
#include "net_announce.h"
#include "vu_dev.h"
#include "vu_net.h"

static int vu_net_ring_start(struct vu_dev *vd, unsigned int idx, void *arg)
{
	struct net_dev *nd = arg;
	struct vu_ring *ring = &vd->rings[idx];
	int r = net_queue_start(nd, idx, &ring->vq, &ring->call_fd);

	if (r < 0)
		return r;
	net_queue_set_enabled(nd, idx, ring->enabled);
	return 0;
}

static void vu_net_ring_stop(struct vu_dev *vd, unsigned int idx, void *arg)
{
	(void)vd;
	net_queue_stop(arg, idx);
}

static void vu_net_ring_kick(struct vu_dev *vd, unsigned int idx, void *arg)
{
	(void)vd;
	net_queue_kick(arg, idx);
}

static void vu_net_ring_enable(struct vu_dev *vd, unsigned int idx, bool on, void *arg)
{
	(void)vd;
	net_queue_set_enabled(arg, idx, on);
}

static void vu_net_features_changed(struct vu_dev *vd, void *arg)
{
	int r = net_dev_set_features(arg, vd->features);

	if (r < 0)
		log_warn("cannot apply negotiated features 0x%llx to the back-end: %s",
			 (unsigned long long)vd->features, strerror(-r));
}

/* The guest broke a ring: the whole device is broken (issue: one log line,
 * connection closed, daemon waits for the next front-end). */
static void vu_net_ring_broken(unsigned int idx, const char *reason, void *arg)
{
	vu_dev_fail(arg, "ring %u: %s", idx, reason);
}

/* SEND_RARP: announce the guest's MAC on the host side; QEMU repeats it. */
static void vu_net_send_rarp(struct vu_dev *vd, const uint8_t mac[6], void *arg)
{
	if (net_announce_rarp(arg, mac) == 0)
		vd->rarp_pending = false;
}

static const struct vu_dev_ops vu_net_ops = {
	.ring_start = vu_net_ring_start,
	.ring_stop = vu_net_ring_stop,
	.ring_kick = vu_net_ring_kick,
	.ring_enable = vu_net_ring_enable,
	.features_changed = vu_net_features_changed,
	.send_rarp = vu_net_send_rarp,
};

/**
 * vu_net_attach() - let @nd serve the rings of @vd
 *
 * Offloads the configuration asks for but the back-end cannot honour are
 * withdrawn from the offer. That keeps the offer stable across restarts as
 * QEMU requires: it depends only on the configuration and the kernel.
 */
void vu_net_attach(struct vu_dev *vd, struct net_dev *nd)
{
	uint64_t missing = BACKEND_OFFLOAD_MASK & ~net_dev_offloads(nd);

	if (vd->features_offered & missing)
		log_warn("the back-end cannot do offloads 0x%llx: not offered",
			 (unsigned long long)(vd->features_offered & missing));
	vd->features_offered &= ~missing;
	vu_dev_set_ops(vd, &vu_net_ops, nd);
	net_dev_set_broken_cb(nd, vu_net_ring_broken, vd);
}
