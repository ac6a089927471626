// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * net_hdr.c - the virtio-net header: copying across iovecs, and the checks
 * that a guest's header describes its own frame.
 *
 * The kernel's tun driver validates the header again when it builds the skb
 * (virtio_net_hdr_to_skb); checking here as well means a lying guest gets a
 * counted, logged drop in vuring rather than whatever the kernel makes of it,
 * and it guards back-ends that have no such validation (AF_XDP).
 */
#include "config.h"

#include <string.h>

#include "backend.h"
#include "net_hdr.h"

static const char *const verdict_names[] = {
	[NET_HDR_OK] = "ok",
	[NET_HDR_RUNT] = "runt",
	[NET_HDR_BAD_CSUM] = "bad-csum",
	[NET_HDR_BAD_GSO] = "bad-gso",
	[NET_HDR_BAD_FLAGS] = "bad-flags",
};

const char *net_hdr_verdict_name(enum net_hdr_verdict v)
{
	if ((unsigned int)v >= sizeof(verdict_names) / sizeof(verdict_names[0]))
		return "?";
	return verdict_names[v];
}

/**
 * net_iov_copy_out() - copy the first @len bytes described by @iov into @dst
 * Return: bytes copied (less than @len if the iovecs are shorter).
 */
size_t net_iov_copy_out(void *dst, size_t len, const struct iovec *iov, unsigned int iovcnt)
{
	size_t done = 0;

	for (unsigned int i = 0; i < iovcnt && done < len; i++) {
		size_t n = iov[i].iov_len < len - done ? iov[i].iov_len : len - done;

		memcpy((uint8_t *)dst + done, iov[i].iov_base, n);
		done += n;
	}
	return done;
}

/**
 * net_iov_copy_in() - copy @len bytes from @src into @iov, after skipping
 * the first @skip bytes of the iovecs
 * Return: bytes copied (less than @len if the iovecs are shorter).
 */
size_t net_iov_copy_in(const struct iovec *iov, unsigned int iovcnt, size_t skip,
		       const void *src, size_t len)
{
	size_t done = 0;

	for (unsigned int i = 0; i < iovcnt && done < len; i++) {
		size_t n;

		if (skip >= iov[i].iov_len) {
			skip -= iov[i].iov_len;
			continue;
		}
		n = iov[i].iov_len - skip;
		if (n > len - done)
			n = len - done;
		memcpy((uint8_t *)iov[i].iov_base + skip, (const uint8_t *)src + done, n);
		done += n;
		skip = 0;
	}
	return done;
}

/**
 * net_hdr_gso_allowed() - was this GSO type negotiated by the guest?
 * @gso_type: header gso_type without the ECN bit
 * @ecn: whether the ECN bit was set
 * @features: negotiated virtio features
 */
static int net_hdr_gso_allowed(uint8_t gso_type, int ecn, uint64_t features)
{
	if (ecn && !(features & BACKEND_F(VIRTIO_NET_F_HOST_ECN)))
		return 0;
	switch (gso_type) {
	case VIRTIO_NET_HDR_GSO_TCPV4:
		return !!(features & BACKEND_F(VIRTIO_NET_F_HOST_TSO4));
	case VIRTIO_NET_HDR_GSO_TCPV6:
		return !!(features & BACKEND_F(VIRTIO_NET_F_HOST_TSO6));
	case VIRTIO_NET_HDR_GSO_UDP:
		return !!(features & BACKEND_F(VIRTIO_NET_F_HOST_UFO));
	default:
		return 0;
	}
}

/**
 * net_hdr_check_tx() - check a guest's TX header against its frame
 * @h: the header, already copied out of guest memory
 * @frame_len: bytes after the header
 * @features: negotiated virtio features
 *
 * The rules (virtio 1.x §5.1.6.2): a partial checksum is written at
 * csum_start + csum_offset, two bytes that must lie inside the frame; a GSO
 * frame needs its type negotiated, a non-zero gso_size, and a hdr_len no
 * longer than the frame; the CSUM feature gates NEEDS_CSUM; no other flag
 * may be set.
 *
 * Return: NET_HDR_OK, or why the frame must be dropped.
 */
enum net_hdr_verdict net_hdr_check_tx(const struct virtio_net_hdr *h, uint32_t frame_len,
				      uint64_t features)
{
	uint8_t gso = h->gso_type & (uint8_t)~VIRTIO_NET_HDR_GSO_ECN;

	if (frame_len < NET_MIN_FRAME)
		return NET_HDR_RUNT;
	/* §5.1.6.2.1: the driver MUST NOT set DATA_VALID or RSC_INFO on TX. */
	if (h->flags & ~VIRTIO_NET_HDR_F_NEEDS_CSUM)
		return NET_HDR_BAD_FLAGS;
	if (h->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) {
		if (!(features & BACKEND_F(VIRTIO_NET_F_CSUM)))
			return NET_HDR_BAD_CSUM;
		if ((uint32_t)h->csum_start + h->csum_offset + 2 > frame_len)
			return NET_HDR_BAD_CSUM;
	}
	if (gso != VIRTIO_NET_HDR_GSO_NONE) {
		if (!net_hdr_gso_allowed(gso, !!(h->gso_type & VIRTIO_NET_HDR_GSO_ECN), features))
			return NET_HDR_BAD_GSO;
		if (!h->gso_size || h->hdr_len > frame_len)
			return NET_HDR_BAD_GSO;
	}
	return NET_HDR_OK;
}
