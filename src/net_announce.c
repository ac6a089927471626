// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * net_announce.c - the RARP announcement behind SEND_RARP.
 *
 * After a migration the guest's MAC sits behind another switch port (here:
 * another TAP). A guest that negotiated VIRTIO_NET_F_GUEST_ANNOUNCE sends
 * its own gratuitous ARPs; for one that did not, QEMU asks the back-end
 * (SEND_RARP) to broadcast a frame with the guest's MAC as source, so that
 * bridges and switches learn the new port at once. The frame is a RARP
 * "request reverse" as RFC 903 defines it, like the kernel's and QEMU's own
 * announcements: any frame would teach a learning bridge, but RARP is what
 * monitoring tools and upstream switches expect.
 *
 * The frame is written synchronously with write(2): it happens once or a
 * few times per migration, is 60 bytes long, and a TAP write never blocks
 * on a non-blocking fd, so it needs none of the datapath's machinery.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <linux/if_arp.h>
#include <linux/if_ether.h>
#include <linux/virtio_net.h>

#include "log.h"
#include "net.h"
#include "net_announce.h"

/* IPv4 addresses in the ARP body: RARP reuses ARP's layout (RFC 903). */
#define ARP_PLEN_IPV4 4

/**
 * build_rarp() - an Ethernet RARP request-reverse frame for @mac
 * @frame: ETH_ZLEN bytes (the frame is padded to the Ethernet minimum)
 * @mac:   the guest's MAC: Ethernet source, sender and target hardware address
 *
 * Protocol addresses stay 0.0.0.0: the frame only says "this MAC is here".
 */
static void build_rarp(uint8_t frame[ETH_ZLEN], const uint8_t mac[ETH_ALEN])
{
	struct ethhdr eth;
	struct arphdr arp = {
		.ar_hrd = htons(ARPHRD_ETHER),
		.ar_pro = htons(ETH_P_IP),
		.ar_hln = ETH_ALEN,
		.ar_pln = ARP_PLEN_IPV4,
		.ar_op = htons(ARPOP_RREQUEST),
	};
	uint8_t *body = frame + sizeof(eth) + sizeof(arp);

	memset(frame, 0, ETH_ZLEN);
	memset(eth.h_dest, 0xff, ETH_ALEN);		/* broadcast */
	memcpy(eth.h_source, mac, ETH_ALEN);
	eth.h_proto = htons(ETH_P_RARP);
	memcpy(frame, &eth, sizeof(eth));
	memcpy(frame + sizeof(eth), &arp, sizeof(arp));
	/* sender hardware, sender protocol, target hardware, target protocol */
	memcpy(body, mac, ETH_ALEN);
	memcpy(body + ETH_ALEN + ARP_PLEN_IPV4, mac, ETH_ALEN);
}

/**
 * write_frame() - write header + frame into the TAP through queue pair 0
 * @dev:   device
 * @buf:   the virtio-net header (zeroes) followed by the frame
 * @len:   bytes
 *
 * A multiqueue TAP refuses writes on a detached queue (EBADFD), and QEMU
 * may announce while the guest's rings are disabled (a paused destination,
 * or between SET_VRING_ENABLE 0 and 1): then the queue is attached for this
 * one write and detached again, so the guest's queue layout is unchanged.
 *
 * Return: 0 or a negative errno.
 */
static int write_frame(struct net_dev *dev, const uint8_t *buf, size_t len)
{
	int fd = backend_queue_fd(dev->be, 0);
	ssize_t n;
	int r, err;

	if (fd < 0)
		return -ENODEV;
	n = write(fd, buf, len);
	err = n < 0 ? -errno : 0;
	if (err == -EBADFD) {
		r = backend_queue_enable(dev->be, 0, true);
		if (r < 0)
			return r;
		n = write(fd, buf, len);
		err = n < 0 ? -errno : 0;
		backend_queue_enable(dev->be, 0, false);
	}
	if (err)
		return err;
	return n == (ssize_t)len ? 0 : -EIO;
}

/**
 * net_announce_rarp() - broadcast a RARP for @mac on the host side
 * @dev: device
 * @mac: the guest's MAC (SEND_RARP's payload)
 *
 * The virtio-net header in front is all zeroes: no checksum or GSO work.
 *
 * Return: 0, or a negative errno (logged here).
 */
int net_announce_rarp(struct net_dev *dev, const uint8_t mac[6])
{
	uint8_t buf[sizeof(struct virtio_net_hdr_mrg_rxbuf) + ETH_ZLEN];
	unsigned int hdr = dev->vnet_hdr_len;
	int r;

	if (hdr > sizeof(struct virtio_net_hdr_mrg_rxbuf))
		return -EINVAL;
	memset(buf, 0, hdr);
	build_rarp(buf + hdr, mac);
	r = write_frame(dev, buf, hdr + ETH_ZLEN);
	if (r < 0)
		log_warn("cannot announce %02x:%02x:%02x:%02x:%02x:%02x (RARP): %s", mac[0],
			 mac[1], mac[2], mac[3], mac[4], mac[5], strerror(-r));
	else
		log_info("announced %02x:%02x:%02x:%02x:%02x:%02x on the host side (RARP)",
			 mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
	return r;
}
