/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vu_frontend.h - a small vhost-user front-end for tests: it starts the real
 * daemon, connects over a real unix socket, and speaks the protocol as QEMU
 * does (or deliberately does not).
 *
 * Guest memory is a memfd mapped in the test process; front-end virtual
 * addresses (UVAs) are the test's own pointers, guest-physical addresses
 * start at VUF_GPA_BASE. Ring i lives in its own VUF_RING_STRIDE slice.
 */
#ifndef VURING_TESTS_VU_FRONTEND_H
#define VURING_TESTS_VU_FRONTEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "vhost_user_proto.h"

/* Guest memory the helper maps: room for VUF_MAX_RINGS rings of 256 entries. */
#define VUF_MEM_SIZE		(4u << 20)
#define VUF_GPA_BASE		0x100000ull
#define VUF_MAX_RINGS		16
#define VUF_RING_STRIDE		(64u << 10)
#define VUF_RING_NUM		256

/* How long to wait for the daemon to answer (it may run under ASan). */
#define VUF_TIMEOUT_MS		10000

/* A running vuring under test. */
struct vuf_daemon {
	pid_t pid;
	char dir[256];		/* temporary directory holding socket, log, ini */
	char sock[300];
	char log[300];
};

/* One front-end connection. */
struct vuf {
	int fd;
	uint64_t features;	/* offered by the back-end (GET_FEATURES) */
	uint64_t protocol;	/* offered protocol features */
	uint64_t acked_protocol;
	bool reply_ack;		/* REPLY_ACK negotiated: set need_reply everywhere */
	/* guest memory */
	int mem_fd;
	uint8_t *mem;
	/* rings */
	unsigned int nrings;
	int kick[VUF_MAX_RINGS];
	int call[VUF_MAX_RINGS];
};

/* Options of vuf_handshake(). */
struct vuf_opts {
	unsigned int nrings;	/* rings to set up and start (even, <= VUF_MAX_RINGS) */
	bool no_protocol;	/* do not ack VHOST_USER_F_PROTOCOL_FEATURES */
	bool no_reply_ack;	/* do not ack REPLY_ACK */
	bool add_mem_reg;	/* ADD_MEM_REG instead of SET_MEM_TABLE */
	uint16_t base;		/* SET_VRING_BASE value */
};

/* Why the last helper call failed (for diag()). */
extern char vuf_error[256];

/* Daemon control. */
int vuf_daemon_start(struct vuf_daemon *d, const char *ini);
int vuf_daemon_start_fd(struct vuf_daemon *d, const char *ini, int pass_fd);
int vuf_daemon_wait(struct vuf_daemon *d, int timeout_ms);
int vuf_daemon_stop(struct vuf_daemon *d);
bool vuf_daemon_alive(const struct vuf_daemon *d);
int vuf_daemon_fd_count(const struct vuf_daemon *d);
long vuf_daemon_rss_kb(const struct vuf_daemon *d);
off_t vuf_log_size(const struct vuf_daemon *d);
bool vuf_log_contains(const struct vuf_daemon *d, off_t from, const char *needle);
int vuf_wait_log(const struct vuf_daemon *d, off_t from, const char *needle, int timeout_ms);
void vuf_daemon_cleanup(struct vuf_daemon *d);

/* Connection. */
int vuf_connect(struct vuf *f, const char *path);
void vuf_adopt(struct vuf *f, int fd);
int vuf_listen(const char *path);
int vuf_accept(struct vuf *f, int listen_fd, int timeout_ms);
void vuf_close(struct vuf *f);
bool vuf_peer_closed(struct vuf *f, int timeout_ms);
int vuf_send_raw(struct vuf *f, const void *buf, size_t len, const int *fds, unsigned int nfds);
int vuf_send(struct vuf *f, uint32_t request, uint32_t flags, const void *payload,
	     uint32_t size, const int *fds, unsigned int nfds);
int vuf_recv(struct vuf *f, struct vhost_user_hdr *hdr, void *payload, size_t cap);

/* Requests. Each returns 0 or a negative errno; -EPROTO for a NACK. */
int vuf_get_u64(struct vuf *f, uint32_t request, uint64_t *out);
int vuf_request(struct vuf *f, uint32_t request, const void *payload, uint32_t size,
		const int *fds, unsigned int nfds);
int vuf_set_u64(struct vuf *f, uint32_t request, uint64_t v);
int vuf_set_state(struct vuf *f, uint32_t request, unsigned int index, unsigned int num);
int vuf_get_vring_base(struct vuf *f, unsigned int index, uint32_t *base);
int vuf_set_ring_fd(struct vuf *f, uint32_t request, unsigned int index, int fd);
int vuf_set_vring_addr(struct vuf *f, unsigned int index, uint64_t desc, uint64_t avail,
		       uint64_t used, uint32_t flags);

/* Guest memory and rings. */
int vuf_mem_init(struct vuf *f);
void vuf_region(const struct vuf *f, struct vhost_user_mem_region *r);
int vuf_set_mem_table(struct vuf *f);
uint64_t vuf_ring_uva(const struct vuf *f, unsigned int ring, unsigned int part);
int vuf_setup_ring(struct vuf *f, unsigned int ring, uint16_t base);
int vuf_kick(struct vuf *f, unsigned int ring);

/* QEMU's sequence: features, protocol, owner, memory, every ring, kicks. */
int vuf_handshake(struct vuf *f, const struct vuf_opts *opts);
int vuf_teardown(struct vuf *f);

/* Ring areas for vuf_ring_uva(). */
enum { VUF_DESC, VUF_AVAIL, VUF_USED };

#endif
