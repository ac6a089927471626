/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * backend.h - the seam between the virtio-net device and the host side.
 *
 * A back-end (TAP through io_uring today, AF_XDP later) is an ops table in
 * the shape of bhyve's net_backends, made asynchronous and batch-oriented:
 * the device posts many frames (tx) or buffers (rx), one flush() submits
 * them all, and each completes through its struct uring_op callback with
 * the bytes moved or a negative errno. A back-end that does not use
 * io_uring completes the same ops itself, so the device never knows which
 * mechanism moves its frames.
 *
 * Frames carry the virtio-net header in front (vnet_hdr_len bytes, the
 * length the device negotiated). Queue pair numbers run from 0 to
 * queue_pairs - 1. Memory referenced by a posted iovec (guest memory) must
 * stay mapped until the op completes; cancel() is how a ring stop
 * guarantees that.
 *
 * Offload capabilities are expressed as VIRTIO_NET_F_* feature bits, so the
 * device can intersect them with the configuration and the front-end's
 * features directly.
 */
#ifndef VURING_BACKEND_H
#define VURING_BACKEND_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#include <linux/virtio_net.h>

#include "conf.h"
#include "uring.h"

/* UAPI names newer than Debian 12's linux-libc-dev (6.1); values from 6.2. */
#ifndef VIRTIO_NET_F_GUEST_USO4
#define VIRTIO_NET_F_GUEST_USO4 54	/* guest handles USO in (IPv4) */
#define VIRTIO_NET_F_GUEST_USO6 55	/* guest handles USO in (IPv6) */
#define VIRTIO_NET_F_HOST_USO 56	/* device handles USO from guest */
#endif

#define BACKEND_F(bit) (1ULL << (bit))

/* Every offload bit a back-end may report; anything else is not its business. */
#define BACKEND_OFFLOAD_MASK                                                     \
	(BACKEND_F(VIRTIO_NET_F_CSUM) | BACKEND_F(VIRTIO_NET_F_GUEST_CSUM) |     \
	 BACKEND_F(VIRTIO_NET_F_GUEST_TSO4) | BACKEND_F(VIRTIO_NET_F_GUEST_TSO6) | \
	 BACKEND_F(VIRTIO_NET_F_GUEST_ECN) | BACKEND_F(VIRTIO_NET_F_GUEST_UFO) |   \
	 BACKEND_F(VIRTIO_NET_F_HOST_TSO4) | BACKEND_F(VIRTIO_NET_F_HOST_TSO6) |   \
	 BACKEND_F(VIRTIO_NET_F_HOST_ECN) | BACKEND_F(VIRTIO_NET_F_HOST_UFO) |     \
	 BACKEND_F(VIRTIO_NET_F_GUEST_USO4) | BACKEND_F(VIRTIO_NET_F_GUEST_USO6) | \
	 BACKEND_F(VIRTIO_NET_F_HOST_USO))

/* Largest iovec a frame or buffer may use (the kernel's UIO_MAXIOV). */
#define BACKEND_MAX_IOV 1024

struct backend;

struct backend_ops {
	const char *name;

	/*
	 * Open the host side named by @conf (ifname, queue_pairs, mtu, ...),
	 * all queues enabled, offloads off, vnet header 12 bytes. Logs why
	 * on failure. Return: 0 or a negative errno.
	 */
	int (*open)(const struct conf *conf, struct uring *u, struct backend **ret);

	/* Release everything. The caller has cancelled its in-flight ops. */
	void (*close)(struct backend *be);

	/* Offloads the host side can honour, as VIRTIO_NET_F_* bits. */
	uint64_t (*offloads)(const struct backend *be);

	/*
	 * Size of the virtio-net header in front of every frame: 10, or 12
	 * with VERSION_1 or MRG_RXBUF. Return: 0 or a negative errno.
	 */
	int (*set_vnet_hdr_len)(struct backend *be, unsigned int len);

	/*
	 * Apply the front-end's negotiated features: the GUEST_* offloads
	 * decide which GSO/partial-checksum frames the host may hand us.
	 * Return: 0 or a negative errno.
	 */
	int (*set_offloads)(struct backend *be, uint64_t features);

	/*
	 * Attach or detach queue pair @qp. Cancel the queue's reads before
	 * disabling it. Idempotent. Return: 0 or a negative errno.
	 */
	int (*queue_enable)(struct backend *be, unsigned int qp, bool enable);

	/*
	 * Post one frame (header + packet in @iov) for transmission. @op
	 * completes with the bytes written or a negative errno; -EAGAIN and
	 * -ENOBUFS mean "try again after poll(POLLOUT)". Return: 0 if posted.
	 */
	int (*tx)(struct backend *be, unsigned int qp, struct uring_op *op,
		  const struct iovec *iov, unsigned int iovcnt);

	/*
	 * Post one receive buffer. @op completes with the frame length
	 * (header included) once a frame landed in @iov. Return: 0 if posted.
	 */
	int (*rx)(struct backend *be, unsigned int qp, struct uring_op *op,
		  const struct iovec *iov, unsigned int iovcnt);

	/* Complete @op once queue @qp is ready for @events (POLLIN/POLLOUT). */
	int (*poll)(struct backend *be, unsigned int qp, struct uring_op *op,
		    unsigned int events);

	/* Submit everything posted so far; reap what completed at once. */
	int (*flush)(struct backend *be);

	/* Cancel every in-flight op of @g and wait for their completions. */
	int (*cancel)(struct backend *be, struct uring_group *g);

	/* The OS fd behind queue pair @qp (diagnostics, tests), or -1. */
	int (*queue_fd)(const struct backend *be, unsigned int qp);
};

struct backend {
	const struct backend_ops *ops;
	unsigned int queue_pairs;
};

extern const struct backend_ops backend_tap_ops;
extern const struct backend_ops backend_xdp_ops;	/* only with HAVE_XDP */

int backend_open(const struct conf *conf, struct uring *u, struct backend **ret);

/* Thin wrappers, so callers read be_tx(be, ...) rather than be->ops->tx(be, ...). */
static inline void backend_close(struct backend *be)
{
	if (be)
		be->ops->close(be);
}

static inline uint64_t backend_offloads(const struct backend *be)
{
	return be->ops->offloads(be);
}

static inline int backend_set_vnet_hdr_len(struct backend *be, unsigned int len)
{
	return be->ops->set_vnet_hdr_len(be, len);
}

static inline int backend_set_offloads(struct backend *be, uint64_t features)
{
	return be->ops->set_offloads(be, features);
}

static inline int backend_queue_enable(struct backend *be, unsigned int qp, bool enable)
{
	return be->ops->queue_enable(be, qp, enable);
}

static inline int backend_tx(struct backend *be, unsigned int qp, struct uring_op *op,
			     const struct iovec *iov, unsigned int iovcnt)
{
	return be->ops->tx(be, qp, op, iov, iovcnt);
}

static inline int backend_rx(struct backend *be, unsigned int qp, struct uring_op *op,
			     const struct iovec *iov, unsigned int iovcnt)
{
	return be->ops->rx(be, qp, op, iov, iovcnt);
}

static inline int backend_poll(struct backend *be, unsigned int qp, struct uring_op *op,
			       unsigned int events)
{
	return be->ops->poll(be, qp, op, events);
}

static inline int backend_flush(struct backend *be)
{
	return be->ops->flush(be);
}

static inline int backend_cancel(struct backend *be, struct uring_group *g)
{
	return be->ops->cancel(be, g);
}

static inline int backend_queue_fd(const struct backend *be, unsigned int qp)
{
	return be->ops->queue_fd(be, qp);
}

#endif
