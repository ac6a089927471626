/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * net_hdr.h - the virtio-net header in front of every frame: reading it out
 * of a guest chain and checking it against the frame before the kernel
 * sees it.
 */
#ifndef VURING_NET_HDR_H
#define VURING_NET_HDR_H

#include <stdint.h>
#include <sys/uio.h>
#include <linux/virtio_net.h>

/* Shortest frame worth handing to the TAP: an Ethernet header. */
#define NET_MIN_FRAME 14

enum net_hdr_verdict {
	NET_HDR_OK = 0,
	NET_HDR_RUNT,		/* chain shorter than header + Ethernet header */
	NET_HDR_BAD_CSUM,	/* csum_start/csum_offset outside the frame */
	NET_HDR_BAD_GSO,	/* GSO type not negotiated, or sizes inconsistent */
	NET_HDR_BAD_FLAGS,	/* flag bits we do not know */
};

const char *net_hdr_verdict_name(enum net_hdr_verdict v);

size_t net_iov_copy_out(void *dst, size_t len, const struct iovec *iov, unsigned int iovcnt);
size_t net_iov_copy_in(const struct iovec *iov, unsigned int iovcnt, size_t skip,
		       const void *src, size_t len);

enum net_hdr_verdict net_hdr_check_tx(const struct virtio_net_hdr *h, uint32_t frame_len,
				      uint64_t features);

#endif
