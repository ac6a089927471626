// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vu_features.c - the feature bits vuring offers to a front-end.
 */
#include "config.h"

#include <linux/vhost_types.h>
#include <linux/virtio_config.h>
#include <linux/virtio_net.h>
#include <linux/virtio_ring.h>

#include "conf.h"
#include "vhost_user_proto.h"
#include "vu_features.h"

#define BIT(n) (1ull << (n))

/**
 * offload_features() - the checksum/segmentation bits the settings allow
 * @conf: settings
 *
 * Both directions at once: the TAP passes the virtio-net header through
 * (IFF_VNET_HDR), so what the guest may send (HOST_*) and what it accepts
 * (GUEST_*) ride on the same kernel support. Virtio makes segmentation
 * depend on checksum offload and ECN on segmentation, so a setting whose
 * prerequisite is off adds nothing.
 *
 * Return: VIRTIO_NET_F_* bits.
 */
static uint64_t offload_features(const struct conf *conf)
{
	uint64_t f = 0;

	if (!conf->offload_csum)
		return 0;
	f |= BIT(VIRTIO_NET_F_CSUM) | BIT(VIRTIO_NET_F_GUEST_CSUM);
	if (conf->offload_tso) {
		f |= BIT(VIRTIO_NET_F_HOST_TSO4) | BIT(VIRTIO_NET_F_HOST_TSO6) |
		     BIT(VIRTIO_NET_F_GUEST_TSO4) | BIT(VIRTIO_NET_F_GUEST_TSO6);
		if (conf->offload_ecn)
			f |= BIT(VIRTIO_NET_F_HOST_ECN) | BIT(VIRTIO_NET_F_GUEST_ECN);
	}
	if (conf->offload_ufo)
		f |= BIT(VIRTIO_NET_F_HOST_UFO) | BIT(VIRTIO_NET_F_GUEST_UFO);
	return f;
}

/**
 * vu_features_offered() - GET_FEATURES' answer
 * @conf: settings
 *
 * Control queue, link status, MAC and announce are not here: QEMU serves
 * those itself for vhost-user net. MQ is always offered (the queue count
 * travels in GET_QUEUE_NUM); VHOST_F_LOG_ALL because we keep the dirty log.
 *
 * Return: the virtio feature bits.
 */
uint64_t vu_features_offered(const struct conf *conf)
{
	uint64_t f = BIT(VIRTIO_F_VERSION_1) | BIT(VIRTIO_NET_F_MQ) |
		     BIT(VHOST_USER_F_PROTOCOL_FEATURES) | BIT(VHOST_F_LOG_ALL);

	if (conf->mrg_rxbuf)
		f |= BIT(VIRTIO_NET_F_MRG_RXBUF);
	if (conf->event_idx)
		f |= BIT(VIRTIO_RING_F_EVENT_IDX);
	if (conf->indirect_desc)
		f |= BIT(VIRTIO_RING_F_INDIRECT_DESC);
	if (conf->mtu)
		f |= BIT(VIRTIO_NET_F_MTU);
	return f | offload_features(conf);
}

/**
 * vu_protocol_features_offered() - GET_PROTOCOL_FEATURES' answer
 * @conf: settings (unused today: every protocol feature we have is cheap)
 *
 * Return: the VHOST_USER_PROTOCOL_F_* bits.
 */
uint64_t vu_protocol_features_offered(const struct conf *conf)
{
	(void)conf;
	return BIT(VHOST_USER_PROTOCOL_F_MQ) | BIT(VHOST_USER_PROTOCOL_F_LOG_SHMFD) |
	       BIT(VHOST_USER_PROTOCOL_F_RARP) | BIT(VHOST_USER_PROTOCOL_F_REPLY_ACK) |
	       BIT(VHOST_USER_PROTOCOL_F_NET_MTU) |
	       BIT(VHOST_USER_PROTOCOL_F_CONFIGURE_MEM_SLOTS) |
	       BIT(VHOST_USER_PROTOCOL_F_STATUS) | BIT(VHOST_USER_PROTOCOL_F_RESET_DEVICE) |
	       BIT(VHOST_USER_PROTOCOL_F_DEVICE_STATE);
}
