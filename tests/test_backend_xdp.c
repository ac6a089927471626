// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test_backend_xdp.c - the AF_XDP back-end against a veth pair (two queues
 * per end) inside a network namespace this test creates for itself: the
 * errors an administrator meets (interface missing, queue out of range,
 * zero-copy the driver cannot do, another XDP program in the way, too little
 * privilege, too little locked memory), frames written through tx() seen on
 * the peer without their virtio-net header, frames sent from the peer read
 * through poll() and rx() behind a zeroed header on the queue pair of their
 * interface queue, a down link that holds every TX frame (-EAGAIN, then
 * POLLOUT once the link is back), cancel, no wake-ups when idle, the
 * program gone after close, and program = existing on a program someone
 * else attached, which stays.
 *
 * Needs root (namespaces, XDP, AF_XDP); skips when the kernel has no AF_XDP
 * or refuses XDP programs. The namespace dies with the process.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/if_link.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <xdp/libxdp.h>

#include "backend.h"
#include "backend_io.h"
#include "log.h"
#include "net_helpers.h"
#include "tap.h"
#include "uring.h"

#define TEST_TIMEOUT_S 60
#define IFNAME "xv0"
#define PEER "xp0"
#define NQ 2
#define FRAME_LEN 96
#define HDR_LEN ((int)sizeof(struct virtio_net_hdr_mrg_rxbuf))
/* How long to wait for something that should happen (ms, in 5 ms steps). */
#define WAIT_MS 3000
/* The smallest UMEM: 32 RX and 32 TX frames per queue pair. */
#define SMALL_UMEM 64

/* Run a shell command quietly; true if it exits 0. */
static int sh(const char *cmd)
{
	char line[512];

	snprintf(line, sizeof(line), "%s >/dev/null 2>&1", cmd);
	return system(line) == 0;
}

static void enter_namespace(void)
{
	const char *what;

	if (geteuid() != 0)
		skip_all("needs root for network namespaces, XDP and AF_XDP");
	if (nh_enter_netns(true, &what) < 0) {
		diag("cannot %s", what);
		skip_all("no network/mount namespace of our own");
	}
	if (!sh("ip link add " IFNAME " numtxqueues 2 numrxqueues 2 type veth peer name " PEER
		" numtxqueues 2 numrxqueues 2") ||
	    !sh("ip link set " IFNAME " up") || !sh("ip link set " PEER " up"))
		skip_all("cannot create a veth pair (ip from iproute2)");
}

static void conf_for(struct conf *c)
{
	memset(c, 0, sizeof(*c));
	c->backend = CONF_BACKEND_XDP;
	c->ifname = (char *)IFNAME;
	c->queue_pairs = NQ;
	c->batch_size = 64;
	c->uring_entries = 256;
	c->xdp_mode = CONF_XDP_AUTO;
	c->xdp_umem_frames = SMALL_UMEM;
	c->xdp_frame_size = 2048;
	c->xdp_program = CONF_XDP_LOAD;
}

/* ------------------------------------------------------------ helpers */

static char logbuf[8192];

/*
 * backend_open() with its log captured in logbuf: the messages are part of
 * what is tested.
 */
static int open_logged(const struct conf *c, struct uring *u, struct backend **be)
{
	int saved = dup(2), tmp = fileno(tmpfile()), r;
	ssize_t n;

	fflush(stderr);
	dup2(tmp, 2);
	log_set_level(VLOG_INFO);
	r = backend_open(c, u, be);
	log_set_level(VLOG_ERROR);
	dup2(saved, 2);
	close(saved);
	n = pread(tmp, logbuf, sizeof(logbuf) - 1, 0);
	logbuf[n > 0 ? n : 0] = '\0';
	close(tmp);
	return r;
}

static int has_log(const char *text)
{
	int found = strstr(logbuf, text) != NULL;

	if (!found)
		diag("log: %s", logbuf);
	return found;
}

static __u32 prog_id(void)
{
	__u32 id = 0;

	bpf_xdp_query_id((int)if_nametoindex(IFNAME), 0, &id);
	return id;
}

/*
 * A packet socket that sends on the TX queue of the sending CPU: without a
 * qdisc in the way AF_PACKET picks that queue (packet_pick_tx_queue), and
 * veth delivers to the peer's receive queue of the same number.
 */
static int packet_socket_per_cpu(const char *ifname)
{
	int fd = nh_packet_socket(ifname, true), one = 1;

	if (fd >= 0 && setsockopt(fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof(one)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Send on @fd (packet_socket_per_cpu) from CPU @cpu, so on queue @cpu. */
static int send_on_cpu(int fd, const unsigned char *f, int len, int cpu)
{
	cpu_set_t set, old;
	int r;

	sched_getaffinity(0, sizeof(old), &old);
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set) < 0)
		return -1;
	r = (int)send(fd, f, (size_t)len, 0);
	sched_setaffinity(0, sizeof(old), &old);
	return r;
}

/* Dispatch completions until @io is done or WAIT_MS pass. */
static void wait_done(struct uring *u, struct io *io)
{
	for (int t = 0; t < WAIT_MS / 5 && !io->done; t++) {
		uring_reap(u);
		if (!io->done)
			poll(NULL, 0, 5);
	}
}

/* Drop every capability in @keep's complement (bits of CAP_*). */
static int caps_keep(uint64_t keep)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[2];

	memset(d, 0, sizeof(d));
	if (syscall(SYS_capget, &h, d) < 0)
		return -1;
	for (int i = 0; i < 2; i++) {
		d[i].effective &= (uint32_t)(keep >> (32 * i));
		d[i].permitted &= (uint32_t)(keep >> (32 * i));
		d[i].inheritable = 0;
	}
	return (int)syscall(SYS_capset, &h, d);
}

#define CAP(c) (1ULL << (c))

/*
 * Open in a child that runs with capabilities @keep and RLIMIT_MEMLOCK
 * @memlock (0: unchanged); the child's log goes to logbuf.
 * Return: what backend_open() returned there.
 */
static int open_restricted(const struct conf *c, uint64_t keep, rlim_t memlock)
{
	int pfd[2], status = 0;
	ssize_t n;
	pid_t pid;

	if (pipe(pfd) < 0)
		return -EPIPE;
	pid = fork();
	if (pid == 0) {
		struct backend *be = NULL;
		struct uring *u = NULL;
		struct rlimit rl = { memlock, memlock };
		int r;

		close(pfd[0]);
		if (uring_new(NULL, 64, &u) < 0 || (memlock && setrlimit(RLIMIT_MEMLOCK, &rl) < 0) ||
		    caps_keep(keep) < 0)
			_exit(100);
		r = open_logged(c, u, &be);
		if (write(pfd[1], logbuf, strlen(logbuf)) < 0)
			_exit(101);
		_exit(r < 0 ? -r : 0);
	}
	close(pfd[1]);
	n = read(pfd[0], logbuf, sizeof(logbuf) - 1);
	logbuf[n > 0 ? n : 0] = '\0';
	close(pfd[0]);
	waitpid(pid, &status, 0);
	return WIFEXITED(status) ? -WEXITSTATUS(status) : -EINTR;
}

/* ------------------------------------------------------------ errors */

static void test_open_errors(struct uring *u)
{
	struct backend *be = NULL;
	struct conf c;

	conf_for(&c);
	c.ifname = (char *)"nosuch0";
	is_int(open_logged(&c, u, &be), -ENODEV, "a missing interface: -ENODEV");
	ok(has_log("interface nosuch0 does not exist"), "... saying so");

	conf_for(&c);
	c.xdp_queue = 1;
	is_int(open_logged(&c, u, &be), -ERANGE, "queues 1..2 of a 2-queue veth: -ERANGE");
	ok(has_log("has 2 queue(s) usable by AF_XDP") && has_log("needs queues 1..2"),
	   "... naming what it has and what was asked");

	conf_for(&c);
	c.xdp_mode = CONF_XDP_ZEROCOPY;
	is_int(open_logged(&c, u, &be), -EOPNOTSUPP, "zero-copy on veth: -EOPNOTSUPP");
	ok(has_log("cannot do zero-copy"), "... the driver cannot do zero-copy");
	is_int(prog_id(), 0, "... and the program attached meanwhile is gone again");

	conf_for(&c);
	c.xdp_frame_size = 2048;
	sh("ip link set " IFNAME " mtu 2000");
	is_int(open_logged(&c, u, &be), -EMSGSIZE, "MTU 2000 with 2048-byte frames: -EMSGSIZE");
	ok(has_log("MTU 2000 is too large for [xdp] frame-size = 2048"), "... saying which");
	sh("ip link set " IFNAME " mtu 1500");

	conf_for(&c);
	c.xdp_program = CONF_XDP_EXISTING;
	is_int(open_logged(&c, u, &be), -ENOENT, "program = existing without a program: -ENOENT");
	ok(has_log("has no XDP program"), "... saying so");

	conf_for(&c);
	is_int(open_restricted(&c, 0, 0), -EPERM, "without capabilities: -EPERM");
	ok(has_log("needs CAP_BPF and CAP_NET_ADMIN"), "... naming the capabilities");

	conf_for(&c);
	c.xdp_umem_frames = 4096;
	c.xdp_frame_size = 4096;
	is_int(open_restricted(&c, ~CAP(CAP_IPC_LOCK), 1 << 20), -ENOBUFS,
	       "a 16 MiB UMEM with 1 MiB of RLIMIT_MEMLOCK: -ENOBUFS");
	ok(has_log("RLIMIT_MEMLOCK"), "... pointing at the limit");
	is_int(prog_id(), 0, "no program left behind by the failed opens");
}

/* ------------------------------------------------------------ traffic */

static void test_open(struct backend *be)
{
	ok(prog_id() != 0, "an XDP program is attached to " IFNAME " (id %u)", prog_id());
	is_int(backend_offloads(be), 0, "no offloads: the device withdraws them");
	ok(backend_queue_fd(be, 0) >= 0 && backend_queue_fd(be, 1) >= 0 &&
	   backend_queue_fd(be, 0) != backend_queue_fd(be, 1), "one AF_XDP socket per queue pair");
	is_int(backend_set_vnet_hdr_len(be, 11), -EINVAL, "header size 11 refused");
	is_int(backend_set_vnet_hdr_len(be, HDR_LEN), 0, "header size 12");
	is_int(backend_set_offloads(be, BACKEND_F(VIRTIO_NET_F_GUEST_CSUM)), 0,
	       "set_offloads accepts (and ignores) features");
	is_int(backend_queue_enable(be, 1, false), 0, "queue pair 1 disabled");
	is_int(backend_queue_enable(be, 1, true), 0, "and enabled");
	is_int(backend_queue_enable(be, NQ, true), -EINVAL, "queue pair out of range refused");
}

static void test_tx(struct uring *u, struct backend *be)
{
	static unsigned char frame[FRAME_LEN], got[4096];
	struct virtio_net_hdr_mrg_rxbuf hdr;
	struct uring_group g;
	static struct io io;
	int ps = nh_packet_socket(PEER, true);

	uring_group_init(&g);
	memset(&hdr, 0, sizeof(hdr));
	for (unsigned int qp = 0; qp < NQ; qp++) {
		nh_make_frame(frame, FRAME_LEN, (unsigned char)(0x10 + qp));
		io_init(&io, &g, 0);
		/* Header and frame in two iovecs, as a guest chain may be. */
		io.iov[0].iov_base = &hdr;
		io.iov[0].iov_len = HDR_LEN;
		io.iov[1].iov_base = frame;
		io.iov[1].iov_len = FRAME_LEN;
		is_int(backend_tx(be, qp, &io.op, io.iov, 2), 0, "tx posted on queue pair %u", qp);
		is_int(io.done, 0, "... completing only at flush");
		backend_flush(be);
		is_int(io.res, HDR_LEN + FRAME_LEN, "... with header + frame bytes taken");
		is_int(nh_recv_frame(ps, got, sizeof(got), WAIT_MS), FRAME_LEN,
		       "the peer got a %d-byte frame from queue pair %u", FRAME_LEN, qp);
		ok(!memcmp(got, frame, FRAME_LEN), "... the frame without the virtio-net header");
	}
	io_init(&io, &g, 0);
	io.iov[0].iov_base = &hdr;
	io.iov[0].iov_len = HDR_LEN + 4;
	backend_tx(be, 0, &io.op, io.iov, 1);
	backend_flush(be);
	is_int(io.res, -EINVAL, "a frame shorter than an Ethernet header: -EINVAL");
	io_init(&io, &g, 0);
	io.iov[0].iov_base = io.buf;
	io.iov[0].iov_len = sizeof(io.buf);
	backend_tx(be, 0, &io.op, io.iov, 1);
	backend_flush(be);
	is_int(io.res, -EMSGSIZE, "a frame larger than a UMEM frame: -EMSGSIZE");
	(void)u;
	close(ps);
}

static void test_rx(struct uring *u, struct backend *be)
{
	static unsigned char frame[FRAME_LEN];
	static struct io io, poll_io;
	struct uring_group g;
	int ps = packet_socket_per_cpu(PEER), good, ncpu = (int)sysconf(_SC_NPROCESSORS_ONLN);

	uring_group_init(&g);
	io_init(&io, &g, 0);
	backend_rx(be, 0, &io.op, io.iov, 1);
	backend_flush(be);
	is_int(io.res, -EAGAIN, "rx with nothing received: -EAGAIN, like a non-blocking TAP");
	for (int qp = 0; qp < NQ; qp++) {
		if (qp >= ncpu) {
			ok(1, "# SKIP queue pair %d needs a CPU %d to send from", qp, qp);
			continue;
		}
		io_init(&poll_io, &g, 0);
		is_int(backend_poll(be, (unsigned int)qp, &poll_io.op, POLLIN), 0,
		       "poll(POLLIN) on queue pair %d", qp);
		backend_flush(be);
		is_int(poll_io.done, 0, "... pending while nothing came");
		nh_make_frame(frame, FRAME_LEN, (unsigned char)(0x30 + qp));
		ok(send_on_cpu(ps, frame, FRAME_LEN, qp) == FRAME_LEN,
		   "the peer sent a frame on its queue %d", qp);
		wait_done(u, &poll_io);
		ok(poll_io.done && (poll_io.res & POLLIN), "... POLLIN on queue pair %d", qp);
		io_init(&io, &g, 0);
		memset(io.buf, 0xee, sizeof(io.buf));
		backend_rx(be, (unsigned int)qp, &io.op, io.iov, 1);
		backend_flush(be);
		is_int(io.res, HDR_LEN + FRAME_LEN, "rx: header + frame bytes");
		good = 1;
		for (int i = 0; i < HDR_LEN; i++)
			good &= io.buf[i] == 0;
		ok(good, "... behind a zeroed virtio-net header");
		ok(!memcmp(io.buf + HDR_LEN, frame, FRAME_LEN), "... the frame as sent");
	}
	/* More frames than RX frames: the fill ring must be topped up. */
	good = 0;
	for (int i = 0; i < 3 * SMALL_UMEM; i++) {
		nh_make_frame(frame, FRAME_LEN, (unsigned char)i);
		if (send_on_cpu(ps, frame, FRAME_LEN, 0) != FRAME_LEN)
			break;
		for (int t = 0; t < 100; t++) {
			io_init(&io, &g, 0);
			backend_rx(be, 0, &io.op, io.iov, 1);
			backend_flush(be);
			if (io.res != -EAGAIN)
				break;
			poll(NULL, 0, 1);
		}
		good += io.res == HDR_LEN + FRAME_LEN && io.buf[HDR_LEN + 11] == (unsigned char)i;
	}
	is_int(good, 3 * SMALL_UMEM, "%d frames through %d RX frames, one at a time",
	       3 * SMALL_UMEM, SMALL_UMEM / 2);
	close(ps);
}

/* The link goes down with frames queued: they wait, tx() says -EAGAIN once
 * every TX frame is taken, POLLOUT comes when the link is back. */
static void test_tx_backpressure(struct uring *u, struct backend *be)
{
	static unsigned char frame[FRAME_LEN], got[4096];
	static struct io io[SMALL_UMEM / 2 + 1], pollout;
	struct virtio_net_hdr_mrg_rxbuf hdr;
	struct uring_group g;
	int ps = nh_packet_socket(PEER, true), taken = 0, arrived = 0, n = SMALL_UMEM / 2;

	uring_group_init(&g);
	memset(&hdr, 0, sizeof(hdr));
	sh("ip link set " IFNAME " down");
	for (int i = 0; i <= n; i++) {
		nh_make_frame(frame, FRAME_LEN, (unsigned char)(0x80 + i));
		io_init(&io[i], &g, 0);
		memcpy(io[i].buf, &hdr, HDR_LEN);
		memcpy(io[i].buf + HDR_LEN, frame, FRAME_LEN);
		io[i].iov[0].iov_len = HDR_LEN + FRAME_LEN;
		backend_tx(be, 0, &io[i].op, io[i].iov, 1);
		backend_flush(be);
		taken += io[i].res == HDR_LEN + FRAME_LEN;
	}
	is_int(taken, n, "link down: all %d TX frames taken", n);
	is_int(io[n].res, -EAGAIN, "the next frame: -EAGAIN");
	io_init(&pollout, &g, 0);
	backend_poll(be, 0, &pollout.op, POLLOUT);
	backend_flush(be);
	for (int t = 0; t < 40; t++) {
		uring_reap(u);
		poll(NULL, 0, 5);
	}
	is_int(pollout.done, 0, "poll(POLLOUT) waits while the link is down");
	sh("ip link set " IFNAME " up");
	wait_done(u, &pollout);
	ok(pollout.done && pollout.res == POLLOUT, "POLLOUT once the link is up again");
	while (nh_recv_frame(ps, got, sizeof(got), WAIT_MS) == FRAME_LEN && arrived < n)
		arrived++;
	is_int(arrived, n, "the %d frames that waited arrived at the peer", n);
	close(ps);
}

static void test_cancel(struct uring *u, struct backend *be)
{
	static struct io rd, pin;
	struct uring_group g;
	uint64_t cqes;

	uring_group_init(&g);
	io_init(&rd, &g, 0);
	io_init(&pin, &g, 0);
	backend_rx(be, 1, &rd.op, rd.iov, 1);
	backend_poll(be, 1, &pin.op, POLLIN);
	is_int(backend_cancel(be, &g), 0, "cancel a queued read and a poll in the kernel");
	ok(rd.done == 1 && rd.res == -ECANCELED, "the read: -ECANCELED");
	ok(pin.done == 1 && pin.res == -ECANCELED, "the poll: -ECANCELED");
	is_int(g.inflight, 0, "nothing of the group left in flight");

	cqes = uring_get_stats(u)->cqes;
	for (int t = 0; t < 60; t++) {
		uring_reap(u);
		poll(NULL, 0, 5);
	}
	is_int(uring_get_stats(u)->cqes - cqes, 0, "idle: no completion in 300 ms (no polling)");
}

/* ------------------------------------------------------------ existing */

/* Someone else's program: libxdp's AF_XDP program, attached with netlink. */
static struct xdp_program *attach_foreign(void)
{
	struct xdp_program *p = xdp_program__find_file("xsk_def_xdp_prog.o", NULL, NULL);
	struct bpf_object *obj;
	struct bpf_program *bp;

	if (libxdp_get_error(p))
		return NULL;
	obj = xdp_program__bpf_obj(p);
	bp = bpf_object__find_program_by_name(obj, "xsk_def_prog");
	if (!bp || bpf_object__load(obj) < 0 ||
	    bpf_xdp_attach((int)if_nametoindex(IFNAME), bpf_program__fd(bp), 0, NULL) < 0) {
		xdp_program__close(p);
		return NULL;
	}
	return p;
}

/* Send a frame from the peer on queue 0; true if rx() on queue pair 0 gets it. */
static int peer_frame_arrives(struct backend *be, unsigned char tag)
{
	static unsigned char frame[FRAME_LEN];
	int ps = packet_socket_per_cpu(PEER);
	static struct io io;
	struct uring_group g;

	uring_group_init(&g);
	nh_make_frame(frame, FRAME_LEN, tag);
	send_on_cpu(ps, frame, FRAME_LEN, 0);
	close(ps);
	for (int t = 0; t < WAIT_MS / 5; t++) {
		io_init(&io, &g, 0);
		backend_rx(be, 0, &io.op, io.iov, 1);
		backend_flush(be);
		if (io.res != -EAGAIN)
			break;
		poll(NULL, 0, 5);
	}
	return io.res == HDR_LEN + FRAME_LEN && !memcmp(io.buf + HDR_LEN, frame, FRAME_LEN);
}

static void test_existing(struct uring *u)
{
	struct xdp_program *foreign = attach_foreign();
	struct backend *be = NULL;
	struct conf c;
	__u32 id;

	ok(foreign != NULL, "someone else attached libxdp's AF_XDP program");
	id = prog_id();
	conf_for(&c);
	is_int(open_logged(&c, u, &be), -EBUSY, "program = load with it there: -EBUSY");
	ok(has_log("already has an XDP program (xsk_def_prog"), "... naming it");
	is_int(prog_id(), id, "... and leaving it alone");

	c.xdp_program = CONF_XDP_EXISTING;
	is_int(open_logged(&c, u, &be), 0, "program = existing uses its XSKMAP");
	ok(has_log("attached by someone else"), "... and says whose it is");
	if (be) {
		ok(peer_frame_arrives(be, 0x77), "a frame from the peer arrives through it");
		backend_close(be);
	}
	is_int(prog_id(), id, "closing leaves someone else's program attached");
	bpf_xdp_detach((int)if_nametoindex(IFNAME), 0, NULL);
	xdp_program__close(foreign);
}

/*
 * libxdp's dispatcher running xdp-filter's allow-all program and the AF_XDP
 * program one after the other: vuring shares the interface with another XDP
 * user. The dispatcher keeps its programs in bpffs (a private one here).
 */
static void test_dispatcher(struct uring *u)
{
	const char *files[] = { "xdpfilt_alw_all.o", "xsk_def_xdp_prog.o" };
	struct xdp_program *progs[2] = { NULL, NULL };
	struct xdp_multiprog *mp;
	struct backend *be = NULL;
	int ifindex = (int)if_nametoindex(IFNAME), n, r = -ENOENT;
	struct conf c;

	if (mount("bpf", "/sys/fs/bpf", "bpf", 0, "mode=0700") < 0) {
		ok(1, "# SKIP no bpffs for libxdp's dispatcher: %s", strerror(errno));
		return;
	}
	for (int i = 0; i < 2; i++) {
		progs[i] = xdp_program__find_file(files[i], NULL, NULL);
		if (libxdp_get_error(progs[i]))
			progs[i] = NULL;
	}
	if (progs[0] && progs[1])
		r = xdp_program__attach_multi(progs, 2, ifindex, XDP_MODE_UNSPEC, 0);
	if (r == -EOPNOTSUPP) {
		/* libxdp's compatibility check loads an freplace program. */
		ok(1, "# SKIP this kernel refuses libxdp's dispatcher (freplace programs)");
		goto out;
	}
	is_int(r, 0, "libxdp's dispatcher runs xdp-filter and the AF_XDP program");
	mp = xdp_multiprog__get_from_ifindex(ifindex);
	n = mp && !libxdp_get_error(mp) ? xdp_multiprog__program_count(mp) : -1;
	is_int(n, 2, "... two programs behind the dispatcher");
	conf_for(&c);
	c.xdp_program = CONF_XDP_EXISTING;
	is_int(open_logged(&c, u, &be), 0, "program = existing finds the XSKMAP behind it");
	if (be) {
		ok(peer_frame_arrives(be, 0x99), "a frame passes xdp-filter and reaches vuring");
		backend_close(be);
	}
	xdp_multiprog__close(mp);
	mp = xdp_multiprog__get_from_ifindex(ifindex);
	n = mp && !libxdp_get_error(mp) ? xdp_multiprog__program_count(mp) : -1;
	is_int(n, 2, "closing leaves the dispatcher and both programs");
	if (mp && !libxdp_get_error(mp))
		xdp_multiprog__detach(mp);
	xdp_multiprog__close(mp);
out:
	for (int i = 0; i < 2; i++)
		xdp_program__close(progs[i]);
	umount("/sys/fs/bpf");
}

int main(void)
{
	struct uring *u = NULL;
	struct backend *be = NULL;
	struct conf c;
	int r;

	alarm(TEST_TIMEOUT_S);
	log_set_level(VLOG_ERROR);
	enter_namespace();
	if (!sh("grep -q '^XDP ' /proc/net/protocols"))
		skip_all("this kernel has no AF_XDP sockets (CONFIG_XDP_SOCKETS)");
	r = uring_new(NULL, 256, &u);
	if (r < 0)
		skip_all("io_uring unavailable");
	test_open_errors(u);
	conf_for(&c);
	r = open_logged(&c, u, &be);
	is_int(r, 0, "AF_XDP on %s, %d queue pairs", IFNAME, NQ);
	if (r < 0) {
		diag("log: %s", logbuf);
		uring_free(u);
		return done_testing();
	}
	ok(has_log("copy mode"), "veth: copy mode, and the log says so");
	test_open(be);
	test_tx(u, be);
	test_rx(u, be);
	test_tx_backpressure(u, be);
	test_cancel(u, be);
	backend_close(be);
	is_int(prog_id(), 0, "closing the back-end detached its program");
	test_existing(u);
	test_dispatcher(u);
	uring_free(u);
	return done_testing();
}
