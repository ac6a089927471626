// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * fuzz_vhost_msg.c - libFuzzer target for the vhost-user message decoder
 * and everything behind it (handlers, device, memory table, ring life
 * cycle), driven exactly as the daemon drives it: bytes and SCM_RIGHTS fds
 * on a unix socket, the connection's callbacks run by a libevent loop.
 *
 * The input is a hostile front-end, as a list of chunks; each is sent with
 * one sendmsg():
 *
 *   chunk = ctl[1] | len[2, little endian] | bytes[len]
 *   ctl bits 0-3: fds to attach (more than the protocol's 8 on purpose)
 *   ctl bits 4-5: their kind: eventfd, memfd of MEM_SIZE, pipe, short memfd
 *   ctl bit 7:    afterwards, signal every eventfd sent so far (kicks)
 *
 * Whatever the input, the target must not crash, leak (LSan checks at
 * exit; fds are checked here), or keep running after the front-end hung up.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/event.h>

#include "conf.h"
#include "log.h"
#include "vhost_user.h"
#include "vu_dev.h"

#define MEM_SIZE	0x10000		/* guest memory behind a memfd fd */
#define SHORT_SIZE	0x1000		/* a memfd too small for most regions */
#define MAX_FDS		12		/* per chunk: beyond the protocol's 8 */
#define MAX_KEPT	64		/* eventfds kept to kick later */
#define MAX_ROUNDS	100000		/* event loop passes per chunk, at most */
#define MIN_ROUNDS	2		/* passes even when nothing seems queued */

enum fd_kind { FD_EVENT, FD_MEM, FD_PIPE, FD_SHORT };

static struct event_base *base;
static struct conf conf;
static struct vu_conn *conn;
static int kept[MAX_KEPT];
static unsigned int nkept;

/* The daemon's log lines would drown the fuzzer's output: drop them. */
void vlog(enum log_level level, const char *fmt, ...)
{
}

enum log_level log_get_level(void)
{
	return VLOG_ERROR;
}

static void die(const char *what)
{
	fprintf(stderr, "fuzz_vhost_msg: %s: %s\n", what, strerror(errno));
	abort();
}

static void on_closed(void *arg)
{
	(void)arg;
	conn = NULL;
}

static int make_memfd(size_t size)
{
	int fd = memfd_create("fuzz-guest", MFD_CLOEXEC);

	if (fd < 0 || ftruncate(fd, (off_t)size) < 0)
		die("memfd");
	return fd;
}

/**
 * make_fd() - one fd of @kind to send; *@extra is a second one to close
 * after sending (the pipe's other end), or -1
 */
static int make_fd(enum fd_kind kind, int *extra)
{
	int p[2], fd;

	*extra = -1;
	switch (kind) {
	case FD_EVENT:
		fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (fd < 0)
			die("eventfd");
		if (nkept < MAX_KEPT) {
			kept[nkept++] = fd;
			*extra = -2;	/* kept: do not close yet */
		}
		return fd;
	case FD_MEM:
		return make_memfd(MEM_SIZE);
	case FD_PIPE:
		if (pipe2(p, O_CLOEXEC) < 0)
			die("pipe");
		*extra = p[1];
		return p[0];
	case FD_SHORT:
		return make_memfd(SHORT_SIZE);
	}
	return -1;
}

/* Send @len bytes with fds as @ctl says; close our copies afterwards. */
static void send_chunk(int sock, uint8_t ctl, const uint8_t *data, size_t len)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * MAX_FDS)];
		struct cmsghdr align;
	} c;
	struct iovec iov = { .iov_base = (void *)data, .iov_len = len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	unsigned int n = ctl & 0xf, i;
	int fds[MAX_FDS], extra[MAX_FDS];

	if (n > MAX_FDS)
		n = MAX_FDS;
	for (i = 0; i < n; i++)
		fds[i] = make_fd((enum fd_kind)((ctl >> 4) & 3), &extra[i]);
	if (n) {
		struct cmsghdr *h;

		memset(&c, 0, sizeof(c));
		mh.msg_control = c.buf;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * n);
		h = CMSG_FIRSTHDR(&mh);
		h->cmsg_level = SOL_SOCKET;
		h->cmsg_type = SCM_RIGHTS;
		h->cmsg_len = CMSG_LEN(sizeof(int) * n);
		memcpy(CMSG_DATA(h), fds, sizeof(int) * n);
	}
	/* Fds need at least one byte to ride on. */
	if (len || n)
		(void)sendmsg(sock, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
	for (i = 0; i < n; i++) {
		if (extra[i] != -2)
			close(fds[i]);
		if (extra[i] >= 0)
			close(extra[i]);
	}
}

static void kick_all(void)
{
	uint64_t one = 1;
	unsigned int i;

	for (i = 0; i < nkept; i++)
		(void)!write(kept[i], &one, sizeof(one));
}

/**
 * run_loop() - let the connection handle everything queued; drop its replies
 * @peer: our end (replies are read and dropped), or -1
 * @daemon_fd: the connection's end, to see whether bytes are still queued;
 *	       only looked at while the connection is alive
 */
static void run_loop(int peer, int daemon_fd)
{
	char buf[4096];
	unsigned int i;
	int queued;

	for (i = 0; i < MAX_ROUNDS && conn; i++) {
		event_base_loop(base, EVLOOP_NONBLOCK);
		while (peer >= 0 && recv(peer, buf, sizeof(buf), MSG_DONTWAIT) > 0)
			;
		if (!conn)
			break;
		if (i + 1 >= MIN_ROUNDS && ioctl(daemon_fd, FIONREAD, &queued) == 0 && queued == 0)
			break;
	}
}

static int count_fds(void)
{
	int n = 0, fd;

	for (fd = 0; fd < 1024; fd++)
		if (fcntl(fd, F_GETFD) >= 0)
			n++;
	return n;
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	base = event_base_new();
	if (!base)
		die("event_base_new");
	memset(&conf, 0, sizeof(conf));
	conf.queue_pairs = 2;
	conf.mtu = 1500;
	conf.offload_csum = conf.offload_tso = conf.offload_ecn = true;
	conf.mrg_rxbuf = conf.event_idx = conf.indirect_desc = true;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vu_dev *dev;
	int sv[2], before = count_fds();
	unsigned int i;

	if (vu_dev_new(base, &conf, &dev) < 0)
		die("vu_dev_new");
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) < 0)
		die("socketpair");
	if (vu_conn_new(base, sv[0], dev, on_closed, NULL, &conn) < 0)
		die("vu_conn_new");
	while (size >= 3 && conn) {
		uint8_t ctl = data[0];
		size_t len = (size_t)data[1] | (size_t)data[2] << 8;

		data += 3;
		size -= 3;
		if (len > size)
			len = size;
		send_chunk(sv[1], ctl, data, len);
		data += len;
		size -= len;
		if (ctl & 0x80)
			kick_all();
		run_loop(sv[1], sv[0]);
	}
	/* Hang up: the connection must notice and tear everything down. */
	close(sv[1]);
	run_loop(-1, sv[0]);
	if (conn) {
		fprintf(stderr, "fuzz_vhost_msg: the connection outlived its front-end\n");
		abort();
	}
	vu_dev_free(dev);
	for (i = 0; i < nkept; i++)
		close(kept[i]);
	nkept = 0;
	if (count_fds() != before) {
		fprintf(stderr, "fuzz_vhost_msg: fd leak: %d open, %d before\n", count_fds(), before);
		abort();
	}
	return 0;
}
