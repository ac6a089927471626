// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vhost_user.c - framing and dispatch of vhost-user messages.
 *
 * A message is a 12-byte header, then exactly header.size payload bytes,
 * with any fds as SCM_RIGHTS ancillary data (vhost-user spec, "Message
 * Specification"). The socket is non-blocking, so a message may arrive in
 * pieces: it is assembled in the connection and dispatched once complete.
 *
 * Each request has one entry in a table indexed by its number, declaring
 * the payload size it takes, how many fds it carries and whether it sends
 * a reply of its own. The dispatcher enforces the declaration before the
 * handler runs, so handlers see only well-formed messages. REPLY_ACK: a
 * request with need_reply set and no reply of its own gets a u64 status.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "device_state.h"
#include "guest_mem.h"
#include "log.h"
#include "probes.h"
#include "vhost_user.h"
#include "vhost_user_proto.h"
#include "vu_dev.h"

/*
 * Messages handled per wake-up before yielding to the loop, so a front-end
 * flooding the socket cannot starve the rings.
 */
#define VU_CONN_MSG_BUDGET 64

/* Flag bits a request may carry: the version and need_reply. */
#define VU_REQUEST_FLAGS (VHOST_USER_VERSION_MASK | VHOST_USER_NEED_REPLY_MASK)

/* Status values of a REPLY_ACK reply. */
#define VU_ACK_OK	0
#define VU_ACK_FAIL	1

/* How many fds a request carries. */
enum vu_fds {
	VU_FDS_NONE,		/* none */
	VU_FDS_ONE,		/* exactly one */
	VU_FDS_RING,		/* one, or none with VHOST_USER_VRING_NOFD_MASK */
	VU_FDS_MEM_TABLE,	/* one per region */
	VU_FDS_STRAY_OK,	/* none, but one is tolerated and closed (REM_MEM_REG) */
};

/* The message being received or handled. */
struct vu_msg {
	struct vhost_user_hdr hdr;
	union vhost_user_payload payload;
	int fds[VHOST_USER_MAX_FDS];
	unsigned int nfds;
	bool fds_overflow;	/* more fds than any message may carry */
	uint32_t got;		/* header + payload bytes received so far */
	union {
		uint64_t u64;
		struct vhost_vring_state state;
	} reply;
	uint32_t reply_size;
};

struct vu_conn {
	struct event_base *base;
	int fd;
	struct event *ev;
	struct event *close_ev;	/* deferred close when the datapath breaks the device */
	struct vu_dev *dev;
	vu_conn_closed_cb closed;
	void *arg;
	uint64_t messages;
	struct vu_msg msg;
};

/**
 * struct vu_handler - one request's declaration
 * @fn:		the handler: 0, VU_REFUSED, or a negative errno after
 *		vu_dev_fail()
 * @min_size, @max_size: payload bytes accepted
 * @fds:	fds the request carries
 * @replies:	@fn fills msg->reply; the reply goes out whatever need_reply says
 */
struct vu_handler {
	int (*fn)(struct vu_dev *dev, struct vu_msg *m);
	uint32_t min_size;
	uint32_t max_size;
	enum vu_fds fds;
	bool replies;
};

static const char *const request_names[] = {
	[VHOST_USER_NONE] = "NONE",
	[VHOST_USER_GET_FEATURES] = "GET_FEATURES",
	[VHOST_USER_SET_FEATURES] = "SET_FEATURES",
	[VHOST_USER_SET_OWNER] = "SET_OWNER",
	[VHOST_USER_RESET_OWNER] = "RESET_OWNER",
	[VHOST_USER_SET_MEM_TABLE] = "SET_MEM_TABLE",
	[VHOST_USER_SET_LOG_BASE] = "SET_LOG_BASE",
	[VHOST_USER_SET_LOG_FD] = "SET_LOG_FD",
	[VHOST_USER_SET_VRING_NUM] = "SET_VRING_NUM",
	[VHOST_USER_SET_VRING_ADDR] = "SET_VRING_ADDR",
	[VHOST_USER_SET_VRING_BASE] = "SET_VRING_BASE",
	[VHOST_USER_GET_VRING_BASE] = "GET_VRING_BASE",
	[VHOST_USER_SET_VRING_KICK] = "SET_VRING_KICK",
	[VHOST_USER_SET_VRING_CALL] = "SET_VRING_CALL",
	[VHOST_USER_SET_VRING_ERR] = "SET_VRING_ERR",
	[VHOST_USER_GET_PROTOCOL_FEATURES] = "GET_PROTOCOL_FEATURES",
	[VHOST_USER_SET_PROTOCOL_FEATURES] = "SET_PROTOCOL_FEATURES",
	[VHOST_USER_GET_QUEUE_NUM] = "GET_QUEUE_NUM",
	[VHOST_USER_SET_VRING_ENABLE] = "SET_VRING_ENABLE",
	[VHOST_USER_SEND_RARP] = "SEND_RARP",
	[VHOST_USER_NET_SET_MTU] = "NET_SET_MTU",
	[VHOST_USER_SET_BACKEND_REQ_FD] = "SET_BACKEND_REQ_FD",
	[VHOST_USER_IOTLB_MSG] = "IOTLB_MSG",
	[VHOST_USER_SET_VRING_ENDIAN] = "SET_VRING_ENDIAN",
	[VHOST_USER_GET_CONFIG] = "GET_CONFIG",
	[VHOST_USER_SET_CONFIG] = "SET_CONFIG",
	[VHOST_USER_CREATE_CRYPTO_SESSION] = "CREATE_CRYPTO_SESSION",
	[VHOST_USER_CLOSE_CRYPTO_SESSION] = "CLOSE_CRYPTO_SESSION",
	[VHOST_USER_POSTCOPY_ADVISE] = "POSTCOPY_ADVISE",
	[VHOST_USER_POSTCOPY_LISTEN] = "POSTCOPY_LISTEN",
	[VHOST_USER_POSTCOPY_END] = "POSTCOPY_END",
	[VHOST_USER_GET_INFLIGHT_FD] = "GET_INFLIGHT_FD",
	[VHOST_USER_SET_INFLIGHT_FD] = "SET_INFLIGHT_FD",
	[VHOST_USER_GPU_SET_SOCKET] = "GPU_SET_SOCKET",
	[VHOST_USER_RESET_DEVICE] = "RESET_DEVICE",
	[VHOST_USER_VRING_KICK] = "VRING_KICK",
	[VHOST_USER_GET_MAX_MEM_SLOTS] = "GET_MAX_MEM_SLOTS",
	[VHOST_USER_ADD_MEM_REG] = "ADD_MEM_REG",
	[VHOST_USER_REM_MEM_REG] = "REM_MEM_REG",
	[VHOST_USER_SET_STATUS] = "SET_STATUS",
	[VHOST_USER_GET_STATUS] = "GET_STATUS",
	[VHOST_USER_GET_SHARED_OBJECT] = "GET_SHARED_OBJECT",
	[VHOST_USER_SET_DEVICE_STATE_FD] = "SET_DEVICE_STATE_FD",
	[VHOST_USER_CHECK_DEVICE_STATE] = "CHECK_DEVICE_STATE",
};

/**
 * vu_request_name() - a request number's name, for log lines
 * @request: request number
 *
 * Return: the name without the VHOST_USER_ prefix, or "unknown".
 */
const char *vu_request_name(unsigned int request)
{
	if (request < VHOST_USER_REQUEST_MAX && request_names[request])
		return request_names[request];
	return "unknown";
}

static void reply_u64(struct vu_msg *m, uint64_t v)
{
	m->reply.u64 = v;
	m->reply_size = sizeof(m->reply.u64);
}

/* Take ownership of the message's first fd (the callee now owns it). */
static int take_fd(struct vu_msg *m)
{
	int fd;

	if (!m->nfds)
		return -1;
	fd = m->fds[0];
	m->fds[0] = -1;
	return fd;
}

/* ---------------------------------------------------------------- handlers */

static int h_get_features(struct vu_dev *dev, struct vu_msg *m)
{
	reply_u64(m, dev->features_offered);
	return 0;
}

static int h_set_features(struct vu_dev *dev, struct vu_msg *m)
{
	return vu_dev_set_features(dev, m->payload.u64);
}

static int h_set_owner(struct vu_dev *dev, struct vu_msg *m)
{
	return vu_dev_set_owner(dev);
}

static int h_reset_owner(struct vu_dev *dev, struct vu_msg *m)
{
	return vu_dev_reset_owner(dev);
}

static int h_set_mem_table(struct vu_dev *dev, struct vu_msg *m)
{
	const struct vhost_user_memory *mem = &m->payload.memory;

	/* The fd count already matched nregions, which is at most 8. */
	if (m->hdr.size != VHOST_USER_MEM_TABLE_SIZE(mem->nregions))
		return vu_dev_fail(dev, "SET_MEM_TABLE: payload of %u bytes for %u regions (want %u)",
				   m->hdr.size, mem->nregions,
				   VHOST_USER_MEM_TABLE_SIZE(mem->nregions));
	return vu_dev_set_mem_table(dev, mem->regions, mem->nregions, m->fds);
}

static int h_set_log_base(struct vu_dev *dev, struct vu_msg *m)
{
	int r = vu_dev_set_log_base(dev, &m->payload.log, m->fds[0]);

	/* With LOG_SHMFD the spec makes this reply mandatory. */
	reply_u64(m, VU_ACK_OK);
	return r;
}

static int h_set_log_fd(struct vu_dev *dev, struct vu_msg *m)
{
	return vu_dev_set_log_fd(dev, take_fd(m));
}

static int h_set_vring_num(struct vu_dev *dev, struct vu_msg *m)
{
	return vu_dev_set_vring_num(dev, m->payload.state.index, m->payload.state.num);
}

static int h_set_vring_addr(struct vu_dev *dev, struct vu_msg *m)
{
	return vu_dev_set_vring_addr(dev, &m->payload.addr);
}

static int h_set_vring_base(struct vu_dev *dev, struct vu_msg *m)
{
	return vu_dev_set_vring_base(dev, m->payload.state.index, m->payload.state.num);
}

static int h_get_vring_base(struct vu_dev *dev, struct vu_msg *m)
{
	uint32_t base;
	int r = vu_dev_get_vring_base(dev, m->payload.state.index, &base);

	if (r < 0)
		return r;
	m->reply.state.index = m->payload.state.index;
	m->reply.state.num = base;
	m->reply_size = sizeof(m->reply.state);
	return 0;
}

/**
 * ring_fd_msg() - SET_VRING_KICK/CALL/ERR: index, no-fd flag, fd
 * @dev: device
 * @m: message; its fd (if any) is handed to the device
 * @which: kick, call or err
 *
 * Return: as vu_dev_set_vring_fd().
 */
static int ring_fd_msg(struct vu_dev *dev, struct vu_msg *m, enum vu_ring_fd which)
{
	uint64_t v = m->payload.u64;
	int fd = take_fd(m);

	if (v & ~(uint64_t)(VHOST_USER_VRING_IDX_MASK | VHOST_USER_VRING_NOFD_MASK)) {
		if (fd >= 0)
			close(fd);
		return vu_dev_fail(dev, "%s: unknown bits in %#llx", vu_request_name(m->hdr.request),
				   (unsigned long long)v);
	}
	return vu_dev_set_vring_fd(dev, which, (unsigned int)(v & VHOST_USER_VRING_IDX_MASK), fd);
}

static int h_set_vring_kick(struct vu_dev *dev, struct vu_msg *m)
{
	return ring_fd_msg(dev, m, VU_RING_KICK);
}

static int h_set_vring_call(struct vu_dev *dev, struct vu_msg *m)
{
	return ring_fd_msg(dev, m, VU_RING_CALL);
}

static int h_set_vring_err(struct vu_dev *dev, struct vu_msg *m)
{
	return ring_fd_msg(dev, m, VU_RING_ERR);
}

static int h_get_protocol_features(struct vu_dev *dev, struct vu_msg *m)
{
	reply_u64(m, dev->protocol_offered);
	return 0;
}

static int h_set_protocol_features(struct vu_dev *dev, struct vu_msg *m)
{
	return vu_dev_set_protocol_features(dev, m->payload.u64);
}

static int h_get_queue_num(struct vu_dev *dev, struct vu_msg *m)
{
	/* Queue pairs, which is what QEMU and virtio-user compare with. */
	reply_u64(m, dev->nrings / 2);
	return 0;
}

static int h_set_vring_enable(struct vu_dev *dev, struct vu_msg *m)
{
	return vu_dev_set_vring_enable(dev, m->payload.state.index, m->payload.state.num);
}

static int h_send_rarp(struct vu_dev *dev, struct vu_msg *m)
{
	/* The MAC is the payload's first six bytes. */
	return vu_dev_send_rarp(dev, m->payload.bytes);
}

static int h_net_set_mtu(struct vu_dev *dev, struct vu_msg *m)
{
	return vu_dev_set_mtu(dev, m->payload.u64);
}

static int h_reset_device(struct vu_dev *dev, struct vu_msg *m)
{
	return vu_dev_reset_device(dev);
}

static int h_get_max_mem_slots(struct vu_dev *dev, struct vu_msg *m)
{
	reply_u64(m, GUEST_MEM_MAX_REGIONS);
	return 0;
}

static int h_add_mem_reg(struct vu_dev *dev, struct vu_msg *m)
{
	return vu_dev_add_mem_reg(dev, &m->payload.mem_reg.region, m->fds[0]);
}

static int h_rem_mem_reg(struct vu_dev *dev, struct vu_msg *m)
{
	return vu_dev_rem_mem_reg(dev, &m->payload.mem_reg.region);
}

static int h_set_status(struct vu_dev *dev, struct vu_msg *m)
{
	return vu_dev_set_status(dev, m->payload.u64);
}

static int h_get_status(struct vu_dev *dev, struct vu_msg *m)
{
	reply_u64(m, dev->status);
	return 0;
}

static int h_set_device_state_fd(struct vu_dev *dev, struct vu_msg *m)
{
	const struct vhost_user_device_state *s = &m->payload.device_state;

	reply_u64(m, device_state_set_fd(dev, s->direction, s->phase, take_fd(m)));
	return 0;
}

static int h_check_device_state(struct vu_dev *dev, struct vu_msg *m)
{
	reply_u64(m, device_state_check(dev));
	return 0;
}

#define U64	sizeof(uint64_t), sizeof(uint64_t)
#define STATE	sizeof(struct vhost_vring_state), sizeof(struct vhost_vring_state)
#define NONE	0, 0

static const struct vu_handler handlers[VHOST_USER_REQUEST_MAX] = {
	[VHOST_USER_GET_FEATURES] = { h_get_features, NONE, VU_FDS_NONE, true },
	[VHOST_USER_SET_FEATURES] = { h_set_features, U64, VU_FDS_NONE, false },
	[VHOST_USER_SET_OWNER] = { h_set_owner, NONE, VU_FDS_NONE, false },
	[VHOST_USER_RESET_OWNER] = { h_reset_owner, NONE, VU_FDS_NONE, false },
	[VHOST_USER_SET_MEM_TABLE] = { h_set_mem_table, VHOST_USER_MEM_TABLE_SIZE(0),
				       sizeof(struct vhost_user_memory), VU_FDS_MEM_TABLE, false },
	[VHOST_USER_SET_LOG_BASE] = { h_set_log_base, sizeof(struct vhost_user_log),
				      sizeof(struct vhost_user_log), VU_FDS_ONE, true },
	[VHOST_USER_SET_LOG_FD] = { h_set_log_fd, NONE, VU_FDS_ONE, false },
	[VHOST_USER_SET_VRING_NUM] = { h_set_vring_num, STATE, VU_FDS_NONE, false },
	[VHOST_USER_SET_VRING_ADDR] = { h_set_vring_addr, sizeof(struct vhost_vring_addr),
					sizeof(struct vhost_vring_addr), VU_FDS_NONE, false },
	[VHOST_USER_SET_VRING_BASE] = { h_set_vring_base, STATE, VU_FDS_NONE, false },
	[VHOST_USER_GET_VRING_BASE] = { h_get_vring_base, STATE, VU_FDS_NONE, true },
	[VHOST_USER_SET_VRING_KICK] = { h_set_vring_kick, U64, VU_FDS_RING, false },
	[VHOST_USER_SET_VRING_CALL] = { h_set_vring_call, U64, VU_FDS_RING, false },
	[VHOST_USER_SET_VRING_ERR] = { h_set_vring_err, U64, VU_FDS_RING, false },
	[VHOST_USER_GET_PROTOCOL_FEATURES] = { h_get_protocol_features, NONE, VU_FDS_NONE, true },
	[VHOST_USER_SET_PROTOCOL_FEATURES] = { h_set_protocol_features, U64, VU_FDS_NONE, false },
	[VHOST_USER_GET_QUEUE_NUM] = { h_get_queue_num, NONE, VU_FDS_NONE, true },
	[VHOST_USER_SET_VRING_ENABLE] = { h_set_vring_enable, STATE, VU_FDS_NONE, false },
	[VHOST_USER_SEND_RARP] = { h_send_rarp, U64, VU_FDS_NONE, false },
	[VHOST_USER_NET_SET_MTU] = { h_net_set_mtu, U64, VU_FDS_NONE, false },
	[VHOST_USER_RESET_DEVICE] = { h_reset_device, NONE, VU_FDS_NONE, false },
	[VHOST_USER_GET_MAX_MEM_SLOTS] = { h_get_max_mem_slots, NONE, VU_FDS_NONE, true },
	[VHOST_USER_ADD_MEM_REG] = { h_add_mem_reg, sizeof(struct vhost_user_mem_reg),
				     sizeof(struct vhost_user_mem_reg), VU_FDS_ONE, false },
	[VHOST_USER_REM_MEM_REG] = { h_rem_mem_reg, sizeof(struct vhost_user_mem_reg),
				     sizeof(struct vhost_user_mem_reg), VU_FDS_STRAY_OK, false },
	[VHOST_USER_SET_STATUS] = { h_set_status, U64, VU_FDS_NONE, false },
	[VHOST_USER_GET_STATUS] = { h_get_status, NONE, VU_FDS_NONE, true },
	[VHOST_USER_SET_DEVICE_STATE_FD] = { h_set_device_state_fd, U64, VU_FDS_ONE, true },
	[VHOST_USER_CHECK_DEVICE_STATE] = { h_check_device_state, NONE, VU_FDS_NONE, true },
};

#undef U64
#undef STATE
#undef NONE

static const struct vu_handler *handler_for(uint32_t request)
{
	if (request >= VHOST_USER_REQUEST_MAX || !handlers[request].fn)
		return NULL;
	return &handlers[request];
}

/* ---------------------------------------------------------------- framing */

/* Close the fds no handler took (strays, and memory fds once mapped). */
static void msg_close_fds(struct vu_msg *m)
{
	unsigned int i;

	for (i = 0; i < m->nfds; i++)
		if (m->fds[i] >= 0)
			close(m->fds[i]);
	m->nfds = 0;
}

static void msg_reset(struct vu_msg *m)
{
	msg_close_fds(m);
	m->fds_overflow = false;
	m->got = 0;
	m->reply_size = 0;
}

/**
 * msg_collect_fds() - keep the SCM_RIGHTS fds that came with some bytes
 * @m: message being received
 * @mh: recvmsg's result
 *
 * Fds beyond VHOST_USER_MAX_FDS are closed at once and the message is
 * marked, to be rejected once complete (the kernel already dropped any that
 * did not fit the control buffer: MSG_CTRUNC).
 */
static void msg_collect_fds(struct vu_msg *m, struct msghdr *mh)
{
	struct cmsghdr *c;

	if (mh->msg_flags & MSG_CTRUNC)
		m->fds_overflow = true;
	for (c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c)) {
		size_t i, n;

		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (i = 0; i < n; i++) {
			int fd;

			memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(fd));
			if (m->nfds < VHOST_USER_MAX_FDS) {
				m->fds[m->nfds++] = fd;
			} else {
				close(fd);
				m->fds_overflow = true;
			}
		}
	}
}

/**
 * conn_recv() - receive the next piece of the current message
 * @c: connection
 *
 * Reads at most up to the end of the current message (header first, then
 * exactly hdr.size bytes), so the next message's fds stay queued for it.
 *
 * Return: bytes read, 0 at end of file, or a negative errno.
 */
static ssize_t conn_recv(struct vu_conn *c)
{
	struct vu_msg *m = &c->msg;
	union {
		char buf[CMSG_SPACE(sizeof(int) * VHOST_USER_MAX_FDS)];
		struct cmsghdr align;
	} ctl;
	struct iovec iov;
	struct msghdr mh = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = ctl.buf,
		.msg_controllen = sizeof(ctl.buf),
	};
	ssize_t n;

	if (m->got < VHOST_USER_HDR_SIZE) {
		iov.iov_base = (char *)&m->hdr + m->got;
		iov.iov_len = VHOST_USER_HDR_SIZE - m->got;
	} else {
		iov.iov_base = m->payload.bytes + (m->got - VHOST_USER_HDR_SIZE);
		iov.iov_len = VHOST_USER_HDR_SIZE + m->hdr.size - m->got;
	}
	do {
		n = recvmsg(c->fd, &mh, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	msg_collect_fds(m, &mh);
	return n;
}

/**
 * check_header() - validate a header as soon as it is complete
 * @c: connection
 *
 * Rejecting an oversized or mis-sized payload here means we never read it.
 *
 * Return: 0 or -EPROTO.
 */
static int check_header(struct vu_conn *c)
{
	const struct vhost_user_hdr *h = &c->msg.hdr;
	const struct vu_handler *hd = handler_for(h->request);
	const char *name = vu_request_name(h->request);

	if ((h->flags & VHOST_USER_VERSION_MASK) != VHOST_USER_VERSION)
		return vu_dev_fail(c->dev, "%s (%u): protocol version %u, we speak %u", name,
				   h->request, h->flags & VHOST_USER_VERSION_MASK,
				   VHOST_USER_VERSION);
	if (h->flags & ~VU_REQUEST_FLAGS)
		return vu_dev_fail(c->dev, "%s (%u): unexpected flags %#x", name, h->request,
				   h->flags);
	if (!hd) {
		if (h->size > VHOST_USER_PAYLOAD_MAX)
			return vu_dev_fail(c->dev, "request %u: payload of %u bytes exceeds %u",
					   h->request, h->size, VHOST_USER_PAYLOAD_MAX);
		return 0;
	}
	if (h->size < hd->min_size || h->size > hd->max_size)
		return vu_dev_fail(c->dev, "%s: payload of %u bytes (want %u..%u)", name, h->size,
				   hd->min_size, hd->max_size);
	return 0;
}

/**
 * conn_read_message() - read until the current message is complete
 * @c: connection
 *
 * Return: 1 when a message is complete, 0 when the socket has no more data
 * for now, or a negative errno when the connection must close (the reason
 * already logged).
 */
static int conn_read_message(struct vu_conn *c)
{
	struct vu_msg *m = &c->msg;
	ssize_t n;
	int r;

	for (;;) {
		n = conn_recv(c);
		if (n == -EAGAIN)
			return 0;
		if (n < 0) {
			log_warn("front-end socket: %s", strerror((int)-n));
			return (int)n;
		}
		if (n == 0) {
			if (m->got)
				log_warn("front-end hung up in the middle of a message (%u bytes in)",
					 m->got);
			return -ECONNRESET;
		}
		m->got += (uint32_t)n;
		if (m->got == VHOST_USER_HDR_SIZE) {
			r = check_header(c);
			if (r < 0)
				return r;
		}
		if (m->got >= VHOST_USER_HDR_SIZE && m->got == VHOST_USER_HDR_SIZE + m->hdr.size)
			return 1;
	}
}

/**
 * conn_send() - send a reply to the current request
 * @c: connection
 * @payload: reply payload
 * @size: its bytes
 *
 * Replies are a few bytes and the front-end waits for them, so a short or
 * blocked write means the front-end is not reading: give up on it.
 *
 * Return: 0 or -EIO.
 */
static int conn_send(struct vu_conn *c, const void *payload, uint32_t size)
{
	struct vhost_user_hdr h = {
		.request = c->msg.hdr.request,
		.flags = VHOST_USER_VERSION | VHOST_USER_REPLY_MASK,
		.size = size,
	};
	struct iovec iov[2] = {
		{ .iov_base = &h, .iov_len = sizeof(h) },
		{ .iov_base = (void *)payload, .iov_len = size },
	};
	struct msghdr mh = { .msg_iov = iov, .msg_iovlen = 2 };
	ssize_t n;

	do {
		n = sendmsg(c->fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
	} while (n < 0 && errno == EINTR);
	if (n != (ssize_t)(sizeof(h) + size)) {
		log_warn("cannot send the %s reply: %s", vu_request_name(h.request),
			 n < 0 ? strerror(errno) : "short write");
		return -EIO;
	}
	return 0;
}

static int conn_send_ack(struct vu_conn *c, uint64_t status)
{
	if (status != VU_ACK_OK)
		c->dev->stats.nacks++;
	return conn_send(c, &status, sizeof(status));
}

/**
 * expected_fds() - how many fds the request must carry
 * @hd: its handler
 * @m: the message (payload complete and of an accepted size)
 * @stray_ok: set when one extra fd is tolerated (and closed)
 *
 * Return: the count.
 */
static unsigned int expected_fds(const struct vu_handler *hd, const struct vu_msg *m,
				 bool *stray_ok)
{
	*stray_ok = false;
	switch (hd->fds) {
	case VU_FDS_ONE:
		return 1;
	case VU_FDS_RING:
		return (m->payload.u64 & VHOST_USER_VRING_NOFD_MASK) ? 0 : 1;
	case VU_FDS_MEM_TABLE:
		return m->payload.memory.nregions;
	case VU_FDS_STRAY_OK:
		*stray_ok = true;
		return 0;
	case VU_FDS_NONE:
		break;
	}
	return 0;
}

/**
 * check_fds() - the request carries exactly the fds it should
 * @c: connection
 * @hd: its handler
 *
 * Strays are closed by msg_reset() after the message is rejected, so a
 * front-end cannot exhaust our fd table (CVE-2022-0669 in DPDK).
 *
 * Return: 0 or -EPROTO.
 */
static int check_fds(struct vu_conn *c, const struct vu_handler *hd)
{
	struct vu_msg *m = &c->msg;
	const char *name = vu_request_name(m->hdr.request);
	bool stray_ok;
	unsigned int want;

	if (m->fds_overflow)
		return vu_dev_fail(c->dev, "%s: more than %u fds", name, VHOST_USER_MAX_FDS);
	if (hd->fds == VU_FDS_MEM_TABLE &&
	    (m->payload.memory.nregions == 0 ||
	     m->payload.memory.nregions > VHOST_USER_MEM_TABLE_REGIONS))
		return vu_dev_fail(c->dev, "SET_MEM_TABLE with %u regions (1..%u allowed)",
				   m->payload.memory.nregions, VHOST_USER_MEM_TABLE_REGIONS);
	want = expected_fds(hd, m, &stray_ok);
	if (m->nfds == want || (stray_ok && m->nfds == want + 1))
		return 0;
	return vu_dev_fail(c->dev, "%s: carries %u fds, expected %u", name, m->nfds, want);
}

/**
 * conn_unsupported() - a request we do not implement
 * @c: connection
 *
 * If the front-end asked for a reply it learns of the failure and may carry
 * on; otherwise it would wrongly believe the request took effect, so the
 * connection closes.
 *
 * Return: 0 or a negative errno.
 */
static int conn_unsupported(struct vu_conn *c)
{
	const struct vhost_user_hdr *h = &c->msg.hdr;

	if (!(h->flags & VHOST_USER_NEED_REPLY_MASK))
		return vu_dev_fail(c->dev, "unsupported request %u (%s) without need_reply",
				   h->request, vu_request_name(h->request));
	log_warn("unsupported request %u (%s): NACK", h->request, vu_request_name(h->request));
	return conn_send_ack(c, VU_ACK_FAIL);
}

/**
 * conn_dispatch() - check the complete message and run its handler
 * @c: connection
 *
 * Return: 0, or a negative errno when the connection must close.
 */
static int conn_dispatch(struct vu_conn *c)
{
	struct vu_msg *m = &c->msg;
	const struct vu_handler *hd = handler_for(m->hdr.request);
	bool need_reply = m->hdr.flags & VHOST_USER_NEED_REPLY_MASK;
	int r;

	c->messages++;
	c->dev->stats.messages++;
	log_debug("<- %s (%u) size %u fds %u%s", vu_request_name(m->hdr.request), m->hdr.request,
		  m->hdr.size, m->nfds, need_reply ? " need_reply" : "");
	if (!hd) {
		msg_close_fds(m);
		return conn_unsupported(c);
	}
	r = check_fds(c, hd);
	if (r < 0)
		return r;
	r = hd->fn(c->dev, m);
	/* Before answering: once acked, the front-end may count our fds. */
	msg_close_fds(m);
	if (r < 0)
		return r;
	/* Also before answering: what the front-end was told is kept. */
	vu_dev_changed(c->dev);
	if (hd->replies)
		return conn_send(c, &m->reply, m->reply_size);
	if (need_reply)
		return conn_send_ack(c, r == 0 ? VU_ACK_OK : VU_ACK_FAIL);
	if (r == VU_REFUSED)
		return vu_dev_fail(c->dev, "%s refused, and the front-end asked for no reply",
				   vu_request_name(m->hdr.request));
	return 0;
}

/* ---------------------------------------------------------------- life cycle */

static void conn_close(struct vu_conn *c)
{
	vu_conn_closed_cb closed = c->closed;
	void *arg = c->arg;

	vu_conn_free(c);
	if (closed)
		closed(arg);
}

static void conn_on_readable(evutil_socket_t fd, short what, void *arg)
{
	struct vu_conn *c = arg;
	unsigned int budget;
	int r;

	(void)fd;
	(void)what;
	for (budget = VU_CONN_MSG_BUDGET; budget; budget--) {
		r = conn_read_message(c);
		if (r == 0)
			return;
		if (r > 0) {
			r = conn_dispatch(c);
			msg_reset(&c->msg);
		}
		if (r < 0 || c->dev->broken) {
			conn_close(c);
			return;
		}
	}
}

/* The datapath broke the device outside any message: close from the loop. */
static void conn_on_broken(void *arg)
{
	struct vu_conn *c = arg;

	event_active(c->close_ev, EV_TIMEOUT, 0);
}

static void conn_on_close_ev(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	conn_close(arg);
}

/**
 * vu_conn_new() - serve a connected front-end
 * @base: event loop
 * @fd: connected unix stream socket (non-blocking); taken in every case
 * @dev: the device the front-end will drive; must be idle (reset)
 * @closed: called once the connection has gone (may be NULL)
 * @arg: for @closed
 * @out: the connection
 *
 * Return: 0 or -ENOMEM.
 */
int vu_conn_new(struct event_base *base, int fd, struct vu_dev *dev,
		vu_conn_closed_cb closed, void *arg, struct vu_conn **out)
{
	struct vu_conn *c = calloc(1, sizeof(*c));

	if (!c) {
		close(fd);
		return -ENOMEM;
	}
	c->base = base;
	c->fd = fd;
	c->dev = dev;
	c->closed = closed;
	c->arg = arg;
	c->ev = event_new(base, fd, EV_READ | EV_PERSIST, conn_on_readable, c);
	c->close_ev = event_new(base, -1, 0, conn_on_close_ev, c);
	if (!c->ev || !c->close_ev || event_add(c->ev, NULL) < 0) {
		if (c->ev)
			event_free(c->ev);
		if (c->close_ev)
			event_free(c->close_ev);
		close(fd);
		free(c);
		return -ENOMEM;
	}
	dev->on_broken = conn_on_broken;
	dev->on_broken_arg = c;
	dev->stats.connections++;
	dev->connected = true;
	VURING_PROBE(connect, dev->stats.connections);
	log_info("front-end connected");
	*out = c;
	return 0;
}

/**
 * vu_conn_free() - drop the connection and everything the front-end set up
 * @conn: connection, may be NULL
 *
 * The closed callback is not called (the caller is the owner already).
 */
void vu_conn_free(struct vu_conn *conn)
{
	if (!conn)
		return;
	event_free(conn->ev);
	event_free(conn->close_ev);
	msg_reset(&conn->msg);
	conn->dev->on_broken = NULL;
	conn->dev->on_broken_arg = NULL;
	vu_dev_reset(conn->dev);
	conn->dev->connected = false;
	VURING_PROBE(disconnect, conn->messages);
	/* Logged before the socket closes: the front-end's EOF means "all done". */
	log_info("front-end connection closed after %llu messages",
		 (unsigned long long)conn->messages);
	close(conn->fd);
	free(conn);
}
