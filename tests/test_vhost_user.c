// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test_vhost_user.c - the control plane against a running vuring, through
 * a real unix socket: a full handshake, every message we implement, and
 * malformed variants of each. After every malformed case the daemon must
 * have dropped the offender (with a log line saying why), still be alive,
 * hold no more fds than before, and serve a fresh front-end.
 *
 * As root the daemon also gets a TAP, in a network namespace of the test's
 * own (tests/vuf_traffic.c): the fresh front-end after every case must then
 * move a frame out of every TX ring and one into the guest, and the
 * daemon's RSS must stay within RSS_SLACK_KB of its baseline. The run ends
 * with a machine-readable '# SUMMARY {json}' line.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/vhost_types.h>
#include <linux/virtio_config.h>
#include <linux/virtio_net.h>

#include "tap.h"
#include "vu_frontend.h"
#include "vuf_traffic.h"

/* Settings for the daemon under test: four queue pairs, an MTU. */
static const char test_ini[] =
	"[backend]\n"
	"queue-pairs = 4\n"
	"mtu = 1500\n";
/* ... and with a TAP to move frames through (as root). */
#define TRAFFIC_IFNAME "vuvu0"
static const char traffic_ini[] =
	"[backend]\n"
	"queue-pairs = 4\n"
	"mtu = 1500\n"
	"interface = " TRAFFIC_IFNAME "\n"
	"create = yes\n";
/* RSS growth tolerated over the baseline (allocator granularity, ASan's
 * capped quarantine); a leak per case shows up above it. */
#define RSS_SLACK_KB 2048
/* How long a frame may take through the daemon. */
#define TRAFFIC_MS 3000

#define NRINGS 8
/* How long the daemon may take to drop a misbehaving front-end. */
#define CLOSE_TIMEOUT_MS 5000

static struct vuf_daemon daemon_;
static int baseline_fds = -1;
static long baseline_rss = -1, max_rss;
/* Frames go through a TAP after every case (root only). */
static bool traffic;
static struct vuft tap_;
/* Recovery checks (alive, fresh session, fds, RSS) and how many failed. */
static unsigned int recoveries, recoveries_failed;
/* Front-ends the daemon dropped for breaking a rule (not for hanging up). */
static unsigned int violations;
/* Requests this test expects a NACK for. */
#define EXPECTED_NACKS 4

static const struct vuf_opts full = { .nrings = NRINGS };

#define BIT(n) (1ull << (n))

/* ---------------------------------------------------------------- helpers */

static int connect_fresh(struct vuf *f)
{
	int r = vuf_connect(f, daemon_.sock);

	if (r < 0)
		diag("connect: %s", vuf_error);
	return r;
}

static int connect_handshake(struct vuf *f, const struct vuf_opts *o)
{
	int r = connect_fresh(f);

	if (!r)
		r = vuf_handshake(f, o);
	if (r < 0)
		diag("handshake: %s", vuf_error);
	return r;
}

/*
 * A fresh front-end completes a whole session: handshake, frames out of
 * every TX ring and one in (with a TAP), teardown.
 */
static bool fresh_session_ok(void)
{
	struct vuf f;
	int r = connect_handshake(&f, &full);

	if (!r && traffic) {
		vuft_session(&tap_, &f);
		r = vuft_both_ways(&tap_, &f, TRAFFIC_MS);
		if (r < 0)
			diag("fresh session: traffic: %s", strerror(-r));
	}
	if (!r)
		r = vuf_teardown(&f);
	if (r < 0)
		diag("fresh session: %s", vuf_error);
	vuf_close(&f);
	return r == 0;
}

/* The daemon's RSS is within RSS_SLACK_KB of its baseline. */
static bool rss_ok(const char *name)
{
	long rss = vuf_daemon_rss_kb(&daemon_);

	if (rss > max_rss)
		max_rss = rss;
	return ok(rss > 0 && rss <= baseline_rss + RSS_SLACK_KB, "%s: RSS %ld kB (baseline %ld)",
		  name, rss, baseline_rss);
}

static int fd_count(void)
{
	return vuf_daemon_fd_count(&daemon_);
}

/**
 * expect_dropped() - the daemon closed @f, logged @why, and recovered
 * @f: the misbehaving connection (closed here)
 * @from: log offset before the bad message
 * @name: case name
 * @why: text the daemon's log must contain
 */
static void expect_dropped(struct vuf *f, off_t from, const char *name, const char *why)
{
	int fds;

	bool good = true;

	if (!strstr(why, "in the middle of a message"))
		violations++;
	good &= ok(vuf_peer_closed(f, CLOSE_TIMEOUT_MS), "%s: connection dropped", name);
	vuf_close(f);
	good &= ok(vuf_wait_log(&daemon_, from, why, CLOSE_TIMEOUT_MS) == 0, "%s: log says \"%s\"",
		   name, why);
	good &= ok(vuf_daemon_alive(&daemon_) && fresh_session_ok(), "%s: a fresh front-end is served%s",
		   name, traffic ? " and moves frames both ways" : "");
	fds = fd_count();
	if (!is_int(fds, baseline_fds, "%s: no fd left behind", name)) {
		diag("daemon has %d fds, baseline %d", fds, baseline_fds);
		good = false;
	}
	if (traffic)
		good &= rss_ok(name);
	recoveries++;
	if (!good)
		recoveries_failed++;
}

/* Send one message, no reply expected. */
static void send_msg(struct vuf *f, uint32_t req, uint32_t flags, const void *p, uint32_t size,
		     const int *fds, unsigned int nfds)
{
	if (vuf_send(f, req, flags, p, size, fds, nfds) < 0)
		diag("send: %s", vuf_error);
}

/* A connection with features, protocol features and memory (no rings). */
static int connect_with_mem(struct vuf *f)
{
	struct vuf_opts o = { .nrings = 0 };

	return connect_handshake(f, &o);
}

static int make_eventfd(void)
{
	return eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
}

/* ---------------------------------------------------------------- good paths */

static void test_handshake(void)
{
	struct vuf_opts o = { .nrings = NRINGS, .base = 5 };
	off_t from = vuf_log_size(&daemon_);
	uint32_t base = 0;
	unsigned int i;
	struct vuf f;
	bool bases_ok = true;

	ok(connect_handshake(&f, &o) == 0, "full handshake, %d rings, REPLY_ACK on every message",
	   NRINGS);
	ok(vuf_wait_log(&daemon_, from, "ring 0 (rx0) started", VUF_TIMEOUT_MS) == 0 &&
		   vuf_wait_log(&daemon_, from, "ring 7 (tx3) started", VUF_TIMEOUT_MS) == 0,
	   "rings start on their first kick");
	ok(vuf_log_contains(&daemon_, from, "ring 3 (tx1) call"),
	   "debug log shows per-ring state");
	for (i = 0; i < NRINGS; i++) {
		if (vuf_get_vring_base(&f, i, &base) < 0 || base != 5) {
			diag("ring %u: GET_VRING_BASE %u (%s)", i, base, vuf_error);
			bases_ok = false;
		}
	}
	ok(bases_ok, "GET_VRING_BASE stops each ring and returns its base");
	ok(vuf_wait_log(&daemon_, from, "ring 7 (tx3) stopped", VUF_TIMEOUT_MS) == 0,
	   "GET_VRING_BASE stopped the ring");
	vuf_close(&f);
	/* A few whole sessions first: allocator caches and socket buffers settle. */
	for (i = 0; i < 3; i++)
		ok(fresh_session_ok(), "warm-up session %u%s", i, traffic ? " moves frames both ways" : "");
	baseline_fds = fd_count();
	ok(baseline_fds > 0, "daemon fd count readable (%d)", baseline_fds);
	baseline_rss = max_rss = vuf_daemon_rss_kb(&daemon_);
}

static void test_queries(struct vuf *f)
{
	uint64_t v = 0;
	int r;
	const uint64_t proto = BIT(VHOST_USER_PROTOCOL_F_MQ) | BIT(VHOST_USER_PROTOCOL_F_LOG_SHMFD) |
			       BIT(VHOST_USER_PROTOCOL_F_RARP) |
			       BIT(VHOST_USER_PROTOCOL_F_REPLY_ACK) |
			       BIT(VHOST_USER_PROTOCOL_F_NET_MTU) |
			       BIT(VHOST_USER_PROTOCOL_F_CONFIGURE_MEM_SLOTS) |
			       BIT(VHOST_USER_PROTOCOL_F_STATUS) |
			       BIT(VHOST_USER_PROTOCOL_F_RESET_DEVICE) |
			       BIT(VHOST_USER_PROTOCOL_F_DEVICE_STATE);
	const uint64_t must = BIT(VIRTIO_F_VERSION_1) | BIT(VHOST_USER_F_PROTOCOL_FEATURES) |
			      BIT(VHOST_F_LOG_ALL) | BIT(VIRTIO_NET_F_MQ) | BIT(VIRTIO_NET_F_MTU);

	/* Each query runs before ok(): its value is also printed. */
	r = vuf_get_u64(f, VHOST_USER_GET_FEATURES, &v);
	ok(r == 0 && (v & must) == must,
	   "GET_FEATURES offers VERSION_1, PROTOCOL_FEATURES, LOG_ALL, MQ, MTU (%#llx)",
	   (unsigned long long)v);
	ok(r == 0 && !(v & BIT(VIRTIO_NET_F_CTRL_VQ)) && !(v & BIT(VIRTIO_NET_F_STATUS)),
	   "GET_FEATURES leaves QEMU-only bits alone");
	r = vuf_get_u64(f, VHOST_USER_GET_PROTOCOL_FEATURES, &v);
	ok(r == 0 && v == proto, "GET_PROTOCOL_FEATURES offers exactly the documented set (%#llx)",
	   (unsigned long long)v);
	r = vuf_get_u64(f, VHOST_USER_GET_QUEUE_NUM, &v);
	ok(r == 0 && v == NRINGS / 2, "GET_QUEUE_NUM is the configured queue pairs (%llu)",
	   (unsigned long long)v);
	r = vuf_get_u64(f, VHOST_USER_GET_MAX_MEM_SLOTS, &v);
	ok(r == 0 && v == 509, "GET_MAX_MEM_SLOTS is 509 (%llu)", (unsigned long long)v);
	ok(vuf_set_u64(f, VHOST_USER_SET_STATUS, 0x7) == 0 &&
		   vuf_get_u64(f, VHOST_USER_GET_STATUS, &v) == 0 && v == 0x7,
	   "SET_STATUS / GET_STATUS round trip");
}

static void test_ring_fds(struct vuf *f)
{
	int efd = make_eventfd();

	ok(vuf_set_ring_fd(f, VHOST_USER_SET_VRING_ERR, 1, efd) == 0, "SET_VRING_ERR with an eventfd");
	ok(vuf_set_ring_fd(f, VHOST_USER_SET_VRING_ERR, 1, -1) == 0, "SET_VRING_ERR without fd");
	ok(vuf_set_ring_fd(f, VHOST_USER_SET_VRING_CALL, 2, -1) == 0, "SET_VRING_CALL without fd");
	ok(vuf_set_ring_fd(f, VHOST_USER_SET_VRING_CALL, 2, f->call[2]) == 0,
	   "SET_VRING_CALL replaces the fd");
	ok(vuf_set_state(f, VHOST_USER_SET_VRING_ENABLE, 3, 0) == 0 &&
		   vuf_set_state(f, VHOST_USER_SET_VRING_ENABLE, 3, 1) == 0,
	   "SET_VRING_ENABLE off and on");
	ok(vuf_set_vring_addr(f, 0, vuf_ring_uva(f, 0, VUF_DESC), vuf_ring_uva(f, 0, VUF_AVAIL),
			      vuf_ring_uva(f, 0, VUF_USED), 1u << VHOST_VRING_F_LOG) == 0,
	   "SET_VRING_ADDR may turn logging on for a running ring");
	close(efd);
}

static void test_net_msgs(struct vuf *f, off_t from)
{
	uint64_t feats = f->features & (BIT(VIRTIO_F_VERSION_1) | BIT(VIRTIO_NET_F_MTU) |
					BIT(VHOST_USER_F_PROTOCOL_FEATURES) | BIT(VHOST_F_LOG_ALL));
	uint8_t rarp[8] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };

	ok(vuf_set_u64(f, VHOST_USER_SET_FEATURES, feats) == 0,
	   "SET_FEATURES with MTU and LOG_ALL while rings run");
	ok(vuf_set_u64(f, VHOST_USER_NET_SET_MTU, 1500) == 0, "NET_SET_MTU 1500 accepted");
	ok(vuf_set_u64(f, VHOST_USER_NET_SET_MTU, 9000) == -EPROTO,
	   "NET_SET_MTU above the configured MTU is NACKed");
	ok(vuf_set_u64(f, VHOST_USER_NET_SET_MTU, 10) == -EPROTO, "NET_SET_MTU 10 is NACKed");
	ok(vuf_request(f, VHOST_USER_SEND_RARP, rarp, sizeof(rarp), NULL, 0) == 0 &&
		   vuf_wait_log(&daemon_, from, "SEND_RARP for 52:54:00:12:34:56", VUF_TIMEOUT_MS) == 0,
	   "SEND_RARP stores the MAC");
}

static void test_log_msgs(struct vuf *f)
{
	int log_fd = memfd_create("vuf-log", MFD_CLOEXEC);
	struct vhost_user_log l = { .mmap_size = 4096, .mmap_offset = 0 };
	int efd = make_eventfd();

	if (ftruncate(log_fd, 4096) < 0)
		diag("ftruncate: %s", strerror(errno));
	ok(vuf_request(f, VHOST_USER_SET_LOG_BASE, &l, sizeof(l), &log_fd, 1) == 0,
	   "SET_LOG_BASE maps the log and replies");
	ok(vuf_request(f, VHOST_USER_SET_LOG_FD, NULL, 0, &efd, 1) == 0, "SET_LOG_FD");
	close(log_fd);
	close(efd);
}

static void test_mem_regs(struct vuf *f)
{
	int fd = memfd_create("vuf-extra", MFD_CLOEXEC);
	struct vhost_user_mem_reg m = { 0 };
	int before;

	if (ftruncate(fd, 65536) < 0)
		diag("ftruncate: %s", strerror(errno));
	m.region.guest_phys_addr = 0x40000000;
	m.region.memory_size = 65536;
	m.region.userspace_addr = (uintptr_t)f->mem + VUF_MEM_SIZE;
	ok(vuf_request(f, VHOST_USER_ADD_MEM_REG, &m, sizeof(m), &fd, 1) == 0,
	   "ADD_MEM_REG while rings run");
	ok(vuf_request(f, VHOST_USER_REM_MEM_REG, &m, sizeof(m), NULL, 0) == 0,
	   "REM_MEM_REG removes it (rings restart)");
	ok(vuf_request(f, VHOST_USER_ADD_MEM_REG, &m, sizeof(m), &fd, 1) == 0, "ADD_MEM_REG again");
	before = fd_count();
	/* The region's own fd (guest_mem keeps one for the fd store) goes too. */
	ok(vuf_request(f, VHOST_USER_REM_MEM_REG, &m, sizeof(m), &fd, 1) == 0 &&
		   fd_count() == before - 1,
	   "REM_MEM_REG with a stray fd: accepted, the fd closed");
	ok(vuf_set_mem_table(f) == 0, "SET_MEM_TABLE replaces the table while rings run");
	close(fd);
}

static void test_unknown_nack(struct vuf *f)
{
	uint64_t v = 0;
	struct vhost_user_config cfg = { .size = 4 };

	ok(vuf_request(f, 99, NULL, 0, NULL, 0) == -EPROTO, "unknown request 99 is NACKed");
	ok(vuf_request(f, VHOST_USER_GET_CONFIG, &cfg, 12 + 4, NULL, 0) == -EPROTO,
	   "GET_CONFIG (CONFIG not offered) is NACKed");
	ok(vuf_get_u64(f, VHOST_USER_GET_FEATURES, &v) == 0, "the connection goes on after NACKs");
}

static void test_every_message(void)
{
	off_t from = vuf_log_size(&daemon_);
	uint32_t base = 1;
	unsigned int i;
	bool all = true;
	struct vuf f;

	if (connect_handshake(&f, &full) < 0) {
		ok(0, "handshake for the message tour");
		return;
	}
	vuf_wait_log(&daemon_, from, "ring 7 (tx3) started", VUF_TIMEOUT_MS);
	test_queries(&f);
	test_ring_fds(&f);
	test_net_msgs(&f, from);
	test_log_msgs(&f);
	test_mem_regs(&f);
	test_unknown_nack(&f);
	ok(vuf_request(&f, VHOST_USER_SET_OWNER, NULL, 0, NULL, 0) == 0, "SET_OWNER again is harmless");
	ok(vuf_request(&f, VHOST_USER_RESET_OWNER, NULL, 0, NULL, 0) == 0,
	   "RESET_OWNER disables the rings");
	from = vuf_log_size(&daemon_);
	ok(vuf_request(&f, VHOST_USER_RESET_DEVICE, NULL, 0, NULL, 0) == 0 &&
		   vuf_wait_log(&daemon_, from, "ring 0 (rx0) stopped", VUF_TIMEOUT_MS) == 0,
	   "RESET_DEVICE stops the rings");
	for (i = 0; i < NRINGS; i++)
		if (vuf_setup_ring(&f, i, 0) < 0 || vuf_kick(&f, i) < 0)
			all = false;
	ok(all && vuf_wait_log(&daemon_, from, "ring 7 (tx3) started", VUF_TIMEOUT_MS) == 0,
	   "after RESET_DEVICE the rings can be set up and started again");
	ok(vuf_get_vring_base(&f, 7, &base) == 0 && base == 0, "GET_VRING_BASE after the restart");
	vuf_close(&f);
	is_int(fd_count(), baseline_fds, "no fd left behind by the message tour");
}

static void test_variants(void)
{
	struct vuf_opts no_proto = { .nrings = 2, .no_protocol = true };
	struct vuf_opts no_ack = { .nrings = 2, .no_reply_ack = true };
	struct vuf_opts add_reg = { .nrings = NRINGS, .add_mem_reg = true };
	off_t from = vuf_log_size(&daemon_);
	struct vuf f;

	ok(connect_handshake(&f, &no_proto) == 0 && vuf_teardown(&f) == 0,
	   "handshake without protocol features");
	vuf_close(&f);
	ok(vuf_log_contains(&daemon_, from, "ring 1 (tx0) enabled"),
	   "without protocol features SET_FEATURES enables the rings");
	ok(connect_handshake(&f, &no_ack) == 0 && vuf_teardown(&f) == 0,
	   "handshake without REPLY_ACK");
	vuf_close(&f);
	ok(connect_handshake(&f, &add_reg) == 0 && vuf_teardown(&f) == 0,
	   "handshake with ADD_MEM_REG instead of SET_MEM_TABLE");
	vuf_close(&f);
}

/* QEMU adds (and removes) each region once per queue pair. */
static void test_duplicate_regions(void)
{
	struct vuf_opts o = { .nrings = NRINGS, .add_mem_reg = true };
	struct vhost_user_mem_reg m = { 0 };
	off_t from = vuf_log_size(&daemon_);
	struct vuf f;

	if (connect_handshake(&f, &o) < 0) {
		ok(0, "handshake with ADD_MEM_REG");
		return;
	}
	vuf_wait_log(&daemon_, from, "ring 7 (tx3) started", VUF_TIMEOUT_MS);
	vuf_region(&f, &m.region);
	ok(vuf_request(&f, VHOST_USER_ADD_MEM_REG, &m, sizeof(m), &f.mem_fd, 1) == 0,
	   "the same region added twice (QEMU: once per queue pair)");
	from = vuf_log_size(&daemon_);
	ok(vuf_request(&f, VHOST_USER_REM_MEM_REG, &m, sizeof(m), NULL, 0) == 0 &&
		   !vuf_log_contains(&daemon_, from, "stopped"),
	   "removing one of the two leaves the rings running");
	ok(vuf_request(&f, VHOST_USER_REM_MEM_REG, &m, sizeof(m), NULL, 0) == 0 &&
		   vuf_wait_log(&daemon_, from, "ring 7 (tx3) stopped", VUF_TIMEOUT_MS) == 0,
	   "removing the last one stops them before unmapping");
	vuf_close(&f);
}

static void test_second_frontend(void)
{
	off_t from = vuf_log_size(&daemon_);
	struct vuf a, b;
	uint64_t v;

	if (connect_handshake(&a, &full) < 0) {
		ok(0, "first front-end");
		return;
	}
	ok(connect_fresh(&b) == 0 && vuf_peer_closed(&b, CLOSE_TIMEOUT_MS),
	   "a second front-end is turned away");
	vuf_close(&b);
	ok(vuf_log_contains(&daemon_, from, "refusing another front-end"),
	   "the refusal is logged");
	ok(vuf_get_u64(&a, VHOST_USER_GET_FEATURES, &v) == 0 && vuf_teardown(&a) == 0,
	   "the first front-end is undisturbed");
	vuf_close(&a);
	is_int(fd_count(), baseline_fds, "no fd left behind by the refusal");
}

/* ---------------------------------------------------------------- framing */

static void test_framing(void)
{
	static const struct {
		const char *name;
		uint32_t request, flags, size;
		const char *why;
	} cases[] = {
		{ "oversized size", VHOST_USER_GET_FEATURES, 1, 0x7fffffff, "payload of 2147483647 bytes" },
		{ "unknown request, huge size", 1000, 1 | VHOST_USER_NEED_REPLY_MASK, 65536, "exceeds" },
		{ "SET_FEATURES with 4 bytes", VHOST_USER_SET_FEATURES, 1, 4, "SET_FEATURES: payload of 4 bytes" },
		{ "GET_FEATURES with payload", VHOST_USER_GET_FEATURES, 1, 8, "GET_FEATURES: payload of 8 bytes" },
		{ "version 0", VHOST_USER_GET_FEATURES, 0, 0, "protocol version 0" },
		{ "version 2", VHOST_USER_GET_FEATURES, 2, 0, "protocol version 2" },
		{ "reply flag on a request", VHOST_USER_GET_FEATURES, 1 | VHOST_USER_REPLY_MASK, 0, "unexpected flags" },
		{ "unknown flag bit", VHOST_USER_GET_FEATURES, 1 | 0x100, 0, "unexpected flags" },
		{ "unknown request without need_reply", 99, 1, 0, "unsupported request 99" },
		{ "request 0", 0, 1, 0, "unsupported request 0" },
		{ "SET_BACKEND_REQ_FD (not offered)", VHOST_USER_SET_BACKEND_REQ_FD, 1, 0, "unsupported request 21" },
	};
	unsigned int i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint8_t buf[VHOST_USER_HDR_SIZE + 64] = { 0 };
		struct vhost_user_hdr h = { cases[i].request, cases[i].flags, cases[i].size };
		off_t from = vuf_log_size(&daemon_);
		struct vuf f;

		if (connect_fresh(&f) < 0)
			continue;
		/* Small payloads go whole; for huge ones the header alone must do. */
		memcpy(buf, &h, sizeof(h));
		vuf_send_raw(&f, buf, sizeof(h) + (h.size <= 64 ? h.size : 0), NULL, 0);
		expect_dropped(&f, from, cases[i].name, cases[i].why);
	}
}

static void test_truncated(void)
{
	struct vhost_user_hdr h = { VHOST_USER_SET_FEATURES, VHOST_USER_VERSION, 8 };
	uint8_t buf[sizeof(h) + 4];
	off_t from = vuf_log_size(&daemon_);
	struct vuf f;

	if (connect_fresh(&f) == 0) {
		vuf_send_raw(&f, &h, 5, NULL, 0);
		shutdown(f.fd, SHUT_WR);
		expect_dropped(&f, from, "truncated header", "in the middle of a message (5 bytes in)");
	}
	from = vuf_log_size(&daemon_);
	memcpy(buf, &h, sizeof(h));
	memset(buf + sizeof(h), 0, 4);
	if (connect_fresh(&f) == 0) {
		vuf_send_raw(&f, buf, sizeof(buf), NULL, 0);
		shutdown(f.fd, SHUT_WR);
		expect_dropped(&f, from, "truncated payload", "in the middle of a message (16 bytes in)");
	}
}

static void test_garbage(void)
{
	unsigned int seed;

	for (seed = 1; seed <= 8; seed++) {
		uint8_t buf[256];
		off_t from = vuf_log_size(&daemon_);
		unsigned int i;
		char name[64];
		struct vuf f;

		srand(seed);
		for (i = 0; i < sizeof(buf); i++)
			buf[i] = (uint8_t)rand();
		snprintf(name, sizeof(name), "garbage, seed %u", seed);
		if (connect_fresh(&f) < 0)
			continue;
		vuf_send_raw(&f, buf, sizeof(buf), NULL, 0);
		shutdown(f.fd, SHUT_WR);
		/* Random bytes break the protocol long before the 256th byte. */
		expect_dropped(&f, from, name, "device broken");
	}
}

/* ---------------------------------------------------------------- fds */

static void test_fd_counts(void)
{
	int e[10], i;
	uint64_t v;
	struct vhost_user_memory mem = { .nregions = 2 };
	struct vhost_user_mem_reg reg = { 0 };
	struct vuf f;
	off_t from;

	for (i = 0; i < 10; i++)
		e[i] = make_eventfd();

	from = vuf_log_size(&daemon_);
	if (connect_fresh(&f) == 0) {
		v = 0;
		send_msg(&f, VHOST_USER_SET_FEATURES, 1, &v, 8, e, 1);
		expect_dropped(&f, from, "stray fd on SET_FEATURES", "SET_FEATURES: carries 1 fds, expected 0");
	}
	from = vuf_log_size(&daemon_);
	if (connect_fresh(&f) == 0) {
		v = 0;
		send_msg(&f, VHOST_USER_SET_VRING_KICK, 1, &v, 8, NULL, 0);
		expect_dropped(&f, from, "SET_VRING_KICK without fd", "SET_VRING_KICK: carries 0 fds, expected 1");
	}
	from = vuf_log_size(&daemon_);
	if (connect_fresh(&f) == 0) {
		v = 0;
		send_msg(&f, VHOST_USER_SET_VRING_KICK, 1, &v, 8, e, 2);
		expect_dropped(&f, from, "SET_VRING_KICK with 2 fds", "SET_VRING_KICK: carries 2 fds, expected 1");
	}
	from = vuf_log_size(&daemon_);
	if (connect_fresh(&f) == 0) {
		v = VHOST_USER_VRING_NOFD_MASK;
		send_msg(&f, VHOST_USER_SET_VRING_CALL, 1, &v, 8, e, 1);
		expect_dropped(&f, from, "SET_VRING_CALL no-fd flag with an fd", "SET_VRING_CALL: carries 1 fds, expected 0");
	}
	from = vuf_log_size(&daemon_);
	if (connect_with_mem(&f) == 0) {
		vuf_region(&f, &mem.regions[0]);
		send_msg(&f, VHOST_USER_SET_MEM_TABLE, 1, &mem, VHOST_USER_MEM_TABLE_SIZE(2), &f.mem_fd, 1);
		expect_dropped(&f, from, "SET_MEM_TABLE: 2 regions, 1 fd", "SET_MEM_TABLE: carries 1 fds, expected 2");
	}
	from = vuf_log_size(&daemon_);
	if (connect_fresh(&f) == 0) {
		mem.nregions = 8;
		send_msg(&f, VHOST_USER_SET_MEM_TABLE, 1, &mem, VHOST_USER_MEM_TABLE_SIZE(8), e, 10);
		expect_dropped(&f, from, "10 fds in one message", "more than 8 fds");
	}
	from = vuf_log_size(&daemon_);
	if (connect_fresh(&f) == 0) {
		send_msg(&f, VHOST_USER_ADD_MEM_REG, 1, &reg, sizeof(reg), NULL, 0);
		expect_dropped(&f, from, "ADD_MEM_REG without fd", "ADD_MEM_REG: carries 0 fds, expected 1");
	}
	from = vuf_log_size(&daemon_);
	if (connect_fresh(&f) == 0) {
		struct vhost_user_log l = { 4096, 0 };

		send_msg(&f, VHOST_USER_SET_LOG_BASE, 1, &l, sizeof(l), NULL, 0);
		expect_dropped(&f, from, "SET_LOG_BASE without fd", "SET_LOG_BASE: carries 0 fds, expected 1");
	}
	for (i = 0; i < 10; i++)
		close(e[i]);
}

/* ---------------------------------------------------------------- memory */

/* Bad tables: each case edits a table of two good, disjoint regions. */
enum table_case {
	TC_ZERO, TC_NINE, TC_OVERLAP_GPA, TC_OVERLAP_UVA, TC_PAST_EOF, TC_OFFSET_PAST_EOF,
	TC_OFFSET_WRAPS, TC_EMPTY, TC_GPA_WRAPS, TC_MAX,
};

static const struct {
	const char *name;
	const char *why;
} table_cases[TC_MAX] = {
	[TC_ZERO] = { "zero regions", "SET_MEM_TABLE with 0 regions" },
	[TC_NINE] = { "nine regions", "SET_MEM_TABLE with 9 regions" },
	[TC_OVERLAP_GPA] = { "overlapping GPA", "overlaps" },
	[TC_OVERLAP_UVA] = { "overlapping UVA", "overlaps" },
	[TC_PAST_EOF] = { "region past end of file", "past the end of its file" },
	[TC_OFFSET_PAST_EOF] = { "mmap offset past end of file", "past the end of its file" },
	[TC_OFFSET_WRAPS] = { "mmap offset wraps", "empty or wraps" },
	[TC_EMPTY] = { "empty region", "empty or wraps" },
	[TC_GPA_WRAPS] = { "GPA range wraps", "empty or wraps" },
};

static unsigned int make_table(const struct vuf *f, enum table_case c,
			       struct vhost_user_mem_region r[2])
{
	/* Region 0: the helper's memory. Region 1: its first half, elsewhere. */
	vuf_region(f, &r[0]);
	r[1] = r[0];
	r[1].memory_size = VUF_MEM_SIZE / 2;
	r[1].guest_phys_addr = 0x80000000ull;
	r[1].userspace_addr = r[0].userspace_addr + VUF_MEM_SIZE;
	switch (c) {
	case TC_ZERO:
		return 0;
	case TC_NINE:
		return 9;
	case TC_OVERLAP_GPA:
		r[1].guest_phys_addr = r[0].guest_phys_addr + VUF_MEM_SIZE - 4096;
		break;
	case TC_OVERLAP_UVA:
		r[1].userspace_addr = r[0].userspace_addr + 8192;
		break;
	case TC_PAST_EOF:
		r[1].memory_size = VUF_MEM_SIZE * 2;
		break;
	case TC_OFFSET_PAST_EOF:
		r[1].mmap_offset = VUF_MEM_SIZE;
		r[1].memory_size = 4096;
		break;
	case TC_OFFSET_WRAPS:
		r[1].mmap_offset = UINT64_MAX - 4095;
		r[1].memory_size = 8192;
		break;
	case TC_EMPTY:
		r[1].memory_size = 0;
		break;
	case TC_GPA_WRAPS:
		r[1].guest_phys_addr = UINT64_MAX - 4095;
		break;
	case TC_MAX:
		break;
	}
	return 2;
}

/* Send a SET_MEM_TABLE claiming @n regions (payload and fds capped at 8). */
static void send_table(struct vuf *f, const struct vhost_user_mem_region r[2], uint32_t n)
{
	struct vhost_user_memory mem = { .nregions = n };
	int fds[VHOST_USER_MEM_TABLE_REGIONS];
	uint32_t i, sent = n < VHOST_USER_MEM_TABLE_REGIONS ? n : VHOST_USER_MEM_TABLE_REGIONS;

	for (i = 0; i < sent; i++) {
		mem.regions[i] = r[i < 2 ? i : 1];
		fds[i] = f->mem_fd;
	}
	send_msg(f, VHOST_USER_SET_MEM_TABLE, VHOST_USER_VERSION, &mem,
		 VHOST_USER_MEM_TABLE_SIZE(sent), fds, sent);
}

static void test_mem_tables(void)
{
	struct vhost_user_mem_region r[2];
	enum table_case c;
	off_t from;
	struct vuf f;

	for (c = 0; c < TC_MAX; c++) {
		from = vuf_log_size(&daemon_);
		if (connect_with_mem(&f) < 0)
			continue;
		send_table(&f, r, make_table(&f, c, r));
		expect_dropped(&f, from, table_cases[c].name, table_cases[c].why);
	}
	/* Payload size that disagrees with nregions. */
	from = vuf_log_size(&daemon_);
	if (connect_with_mem(&f) == 0) {
		struct vhost_user_memory mem = { .nregions = 1 };

		vuf_region(&f, &mem.regions[0]);
		send_msg(&f, VHOST_USER_SET_MEM_TABLE, 1, &mem, VHOST_USER_MEM_TABLE_SIZE(2),
			 &f.mem_fd, 1);
		expect_dropped(&f, from, "size disagrees with nregions", "payload of 72 bytes for 1 regions");
	}
	/* REM_MEM_REG of a region that is not there. */
	from = vuf_log_size(&daemon_);
	if (connect_with_mem(&f) == 0) {
		struct vhost_user_mem_reg m = { 0 };

		vuf_region(&f, &m.region);
		m.region.guest_phys_addr += 4096;
		send_msg(&f, VHOST_USER_REM_MEM_REG, 1, &m, sizeof(m), NULL, 0);
		expect_dropped(&f, from, "REM_MEM_REG of an unknown region", "REM_MEM_REG: no region");
	}
	/* The dirty log past the end of its file. */
	from = vuf_log_size(&daemon_);
	if (connect_with_mem(&f) == 0) {
		struct vhost_user_log l = { VUF_MEM_SIZE, 4096 };

		send_msg(&f, VHOST_USER_SET_LOG_BASE, 1, &l, sizeof(l), &f.mem_fd, 1);
		expect_dropped(&f, from, "SET_LOG_BASE past end of file", "SET_LOG_BASE: log of");
	}
}

/* More regions than GET_MAX_MEM_SLOTS through ADD_MEM_REG: the 510th fails. */
static void test_too_many_regions(void)
{
	const unsigned int slots = 509;
	off_t from = vuf_log_size(&daemon_);
	struct vhost_user_mem_reg m = { 0 };
	int fd = memfd_create("vuf-slots", MFD_CLOEXEC);
	unsigned int i, added = 0;
	struct vuf f;

	if (fd < 0 || ftruncate(fd, (off_t)(slots + 1) * 4096) < 0 || connect_with_mem(&f) < 0) {
		ok(0, "setting up 510 regions");
		if (fd >= 0)
			close(fd);
		return;
	}
	/* The helper's own region is slot 1. */
	for (i = 0; i < slots - 1; i++) {
		m.region.guest_phys_addr = 0x100000000ull + (uint64_t)i * 0x10000;
		m.region.memory_size = 4096;
		m.region.userspace_addr = 0x600000000000ull + (uint64_t)i * 0x10000;
		m.region.mmap_offset = (uint64_t)i * 4096;
		if (vuf_request(&f, VHOST_USER_ADD_MEM_REG, &m, sizeof(m), &fd, 1) == 0)
			added++;
	}
	is_int(added, slots - 1, "ADD_MEM_REG up to 509 regions");
	m.region.guest_phys_addr = 0x100000000ull + (uint64_t)i * 0x10000;
	m.region.userspace_addr = 0x600000000000ull + (uint64_t)i * 0x10000;
	m.region.mmap_offset = (uint64_t)i * 4096;
	send_msg(&f, VHOST_USER_ADD_MEM_REG, 1, &m, sizeof(m), &fd, 1);
	close(fd);
	expect_dropped(&f, from, "510th region", "more than 509 regions");
}

/* ---------------------------------------------------------------- rings */

/* Send one ring message with a payload that breaks a rule. */
struct ring_case {
	const char *name;
	uint32_t request;
	union {
		uint64_t u64;
		struct vhost_vring_state state;
		struct vhost_vring_addr addr;
	} p;
	uint32_t size;
	int fd_kind;		/* 0 none, 1 eventfd, 2 pipe, 3 memfd, 4 socket */
	const char *why;
};

static int make_fd(int kind, int *extra)
{
	int p[2], s[2];

	*extra = -1;
	switch (kind) {
	case 1:
		return make_eventfd();
	case 2:
		if (pipe2(p, O_CLOEXEC) < 0)
			return -1;
		*extra = p[1];
		return p[0];
	case 3:
		return memfd_create("vuf-notevent", MFD_CLOEXEC);
	case 4:
		if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, s) < 0)
			return -1;
		*extra = s[1];
		return s[0];
	}
	return -1;
}

static void run_ring_case(const struct ring_case *c, bool with_rings)
{
	off_t from = vuf_log_size(&daemon_);
	int fd, extra;
	struct vuf f;
	int r = with_rings ? connect_handshake(&f, &full) : connect_with_mem(&f);

	if (r < 0) {
		ok(0, "%s: setup", c->name);
		return;
	}
	if (with_rings)
		vuf_wait_log(&daemon_, from, "ring 7 (tx3) started", VUF_TIMEOUT_MS);
	fd = make_fd(c->fd_kind, &extra);
	send_msg(&f, c->request, VHOST_USER_VERSION, &c->p, c->size, &fd, fd >= 0 ? 1 : 0);
	if (fd >= 0)
		close(fd);
	if (extra >= 0)
		close(extra);
	expect_dropped(&f, from, c->name, c->why);
}

#define STATE(i, n) { .state = { .index = (i), .num = (n) } }
#define U64(v) { .u64 = (v) }
#define SZ_STATE sizeof(struct vhost_vring_state)

static void test_ring_messages(void)
{
	static const struct ring_case idx_cases[] = {
		{ "SET_VRING_NUM ring 8", VHOST_USER_SET_VRING_NUM, STATE(8, 256), SZ_STATE, 0, "SET_VRING_NUM: ring index 8 out of range" },
		{ "SET_VRING_BASE ring 200", VHOST_USER_SET_VRING_BASE, STATE(200, 0), SZ_STATE, 0, "SET_VRING_BASE: ring index 200 out of range" },
		{ "GET_VRING_BASE ring 8", VHOST_USER_GET_VRING_BASE, STATE(8, 0), SZ_STATE, 0, "GET_VRING_BASE: ring index 8 out of range" },
		{ "SET_VRING_ENABLE ring 255", VHOST_USER_SET_VRING_ENABLE, STATE(255, 1), SZ_STATE, 0, "SET_VRING_ENABLE: ring index 255 out of range" },
		{ "SET_VRING_NUM ring 2^32-1", VHOST_USER_SET_VRING_NUM, STATE(0xffffffff, 256), SZ_STATE, 0, "out of range" },
		{ "SET_VRING_KICK ring 9", VHOST_USER_SET_VRING_KICK, U64(9), 8, 1, "SET_VRING_KICK: ring index 9 out of range" },
		{ "SET_VRING_CALL ring 8", VHOST_USER_SET_VRING_CALL, U64(8), 8, 1, "SET_VRING_CALL: ring index 8 out of range" },
		{ "SET_VRING_ERR ring 100", VHOST_USER_SET_VRING_ERR, U64(100), 8, 1, "SET_VRING_ERR: ring index 100 out of range" },
		{ "SET_VRING_KICK unknown bits", VHOST_USER_SET_VRING_KICK, U64(1 | (1 << 9)), 8, 1, "unknown bits" },
		{ "SET_VRING_NUM 0", VHOST_USER_SET_VRING_NUM, STATE(0, 0), SZ_STATE, 0, "size 0 is not a power of two" },
		{ "SET_VRING_NUM 3", VHOST_USER_SET_VRING_NUM, STATE(0, 3), SZ_STATE, 0, "size 3 is not a power of two" },
		{ "SET_VRING_NUM 65536", VHOST_USER_SET_VRING_NUM, STATE(1, 65536), SZ_STATE, 0, "size 65536 is not a power of two" },
		{ "SET_VRING_BASE 0x10000", VHOST_USER_SET_VRING_BASE, STATE(0, 0x10000), SZ_STATE, 0, "does not fit a split ring" },
		{ "SET_VRING_ENABLE 2", VHOST_USER_SET_VRING_ENABLE, STATE(0, 2), SZ_STATE, 0, "neither 0 nor 1" },
		{ "SET_VRING_KICK pipe", VHOST_USER_SET_VRING_KICK, U64(0), 8, 2, "SET_VRING_KICK: fd is not an eventfd" },
		{ "SET_VRING_KICK memfd", VHOST_USER_SET_VRING_KICK, U64(0), 8, 3, "SET_VRING_KICK: fd is not an eventfd" },
		{ "SET_VRING_CALL socket", VHOST_USER_SET_VRING_CALL, U64(1), 8, 4, "SET_VRING_CALL: fd is not an eventfd" },
		{ "SET_VRING_ERR pipe", VHOST_USER_SET_VRING_ERR, U64(1), 8, 2, "SET_VRING_ERR: fd is not an eventfd" },
		{ "SET_LOG_FD memfd", VHOST_USER_SET_LOG_FD, U64(0), 0, 3, "SET_LOG_FD: fd is not an eventfd" },
		{ "SET_VRING_KICK no fd (polling)", VHOST_USER_SET_VRING_KICK, U64(VHOST_USER_VRING_NOFD_MASK), 8, 0, "no kick fd (polling) is not supported" },
		{ "SET_FEATURES unoffered bit", VHOST_USER_SET_FEATURES, U64(1ull << 40), 8, 0, "which we never offered" },
		{ "SET_PROTOCOL_FEATURES BACKEND_REQ", VHOST_USER_SET_PROTOCOL_FEATURES, U64(1ull << VHOST_USER_PROTOCOL_F_BACKEND_REQ), 8, 0, "which we never offered" },
		{ "SET_STATUS 0x100", VHOST_USER_SET_STATUS, U64(0x100), 8, 0, "does not fit the status byte" },
	};
	static const struct ring_case running_cases[] = {
		{ "SET_VRING_NUM on a running ring", VHOST_USER_SET_VRING_NUM, STATE(0, 128), SZ_STATE, 0, "SET_VRING_NUM: ring 0 is running" },
		{ "SET_VRING_BASE on a running ring", VHOST_USER_SET_VRING_BASE, STATE(1, 0), SZ_STATE, 0, "SET_VRING_BASE: ring 1 is running" },
	};
	unsigned int i;

	for (i = 0; i < sizeof(idx_cases) / sizeof(idx_cases[0]); i++)
		run_ring_case(&idx_cases[i], false);
	for (i = 0; i < sizeof(running_cases) / sizeof(running_cases[0]); i++)
		run_ring_case(&running_cases[i], true);
}

/* SET_VRING_ADDR with addresses that break a rule, on ring 0 of size 256. */
static void test_ring_addresses(void)
{
	struct {
		const char *name;
		int64_t desc, avail, used;	/* offsets from the good addresses */
		uint32_t flags;
		bool absolute_desc;
		const char *why;
	} cases[] = {
		{ "desc outside memory", 0, 0, 0, 0, true, "descriptor area at" },
		{ "desc misaligned", 8, 0, 0, 0, false, "misaligned ring address" },
		{ "avail misaligned", 0, 1, 0, 0, false, "misaligned ring address" },
		{ "used misaligned", 0, 0, 2, 0, false, "misaligned ring address" },
		{ "used runs past the region", 0, 0, (int64_t)VUF_MEM_SIZE - 1024 - 2 * 16 * VUF_RING_NUM, 0, false, "used area at" },
		{ "avail before the region", 0, -(int64_t)(16 * VUF_RING_NUM) - 4096, 0, 0, false, "avail area at" },
		{ "unknown flags", 0, 0, 0, 2, false, "unknown flags" },
	};
	unsigned int i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		off_t from = vuf_log_size(&daemon_);
		struct vhost_vring_addr a = { 0 };
		struct vhost_vring_state s = { 0, VUF_RING_NUM };
		struct vuf f;

		if (connect_with_mem(&f) < 0)
			continue;
		send_msg(&f, VHOST_USER_SET_VRING_NUM, 1, &s, sizeof(s), NULL, 0);
		a.flags = cases[i].flags;
		a.desc_user_addr = cases[i].absolute_desc ? 0x1000 :
			vuf_ring_uva(&f, 0, VUF_DESC) + (uint64_t)cases[i].desc;
		a.avail_user_addr = vuf_ring_uva(&f, 0, VUF_AVAIL) + (uint64_t)cases[i].avail;
		a.used_user_addr = vuf_ring_uva(&f, 0, VUF_USED) + (uint64_t)cases[i].used;
		send_msg(&f, VHOST_USER_SET_VRING_ADDR, 1, &a, sizeof(a), NULL, 0);
		expect_dropped(&f, from, cases[i].name, cases[i].why);
	}
}

/* Addresses that only become checkable later: bad ring, then memory, then kick. */
static void test_deferred_checks(void)
{
	off_t from = vuf_log_size(&daemon_);
	struct vhost_vring_state s = { 0, VUF_RING_NUM };
	uint64_t v;
	struct vuf f;

	if (connect_fresh(&f) < 0 || vuf_mem_init(&f) < 0)
		return;
	f.kick[0] = make_eventfd();
	send_msg(&f, VHOST_USER_SET_VRING_NUM, 1, &s, sizeof(s), NULL, 0);
	vuf_set_vring_addr(&f, 0, 0x1000, 0x2000, 0x3000, 0);
	vuf_set_ring_fd(&f, VHOST_USER_SET_VRING_KICK, 0, f.kick[0]);
	vuf_kick(&f, 0);
	/* A round trip, so the kick has been seen before the memory arrives. */
	vuf_get_u64(&f, VHOST_USER_GET_FEATURES, &v);
	vuf_wait_log(&daemon_, from, "ring 0: first kick", VUF_TIMEOUT_MS);
	vuf_set_mem_table(&f);
	expect_dropped(&f, from, "ring outside memory, found at start", "descriptor area at 0x1000");

	/* A running ring moved by SET_VRING_ADDR. */
	from = vuf_log_size(&daemon_);
	if (connect_handshake(&f, &full) < 0)
		return;
	vuf_wait_log(&daemon_, from, "ring 7 (tx3) started", VUF_TIMEOUT_MS);
	vuf_set_vring_addr(&f, 0, vuf_ring_uva(&f, 1, VUF_DESC), vuf_ring_uva(&f, 1, VUF_AVAIL),
			   vuf_ring_uva(&f, 1, VUF_USED), 0);
	expect_dropped(&f, from, "running ring moved", "moved while running");

	/* Memory under running rings removed and put back: they wait, then restart. */
	from = vuf_log_size(&daemon_);
	if (connect_handshake(&f, &full) < 0)
		return;
	vuf_wait_log(&daemon_, from, "ring 7 (tx3) started", VUF_TIMEOUT_MS);
	{
		struct vhost_user_mem_reg m = { 0 };
		uint32_t base = 1;

		vuf_region(&f, &m.region);
		ok(vuf_request(&f, VHOST_USER_REM_MEM_REG, &m, sizeof(m), NULL, 0) == 0,
		   "REM_MEM_REG of the rings' memory stops them");
		from = vuf_log_size(&daemon_);
		ok(vuf_request(&f, VHOST_USER_ADD_MEM_REG, &m, sizeof(m), &f.mem_fd, 1) == 0 &&
			   vuf_wait_log(&daemon_, from, "ring 7 (tx3) started", VUF_TIMEOUT_MS) == 0,
		   "ADD_MEM_REG brings it back and the rings restart");
		ok(vuf_get_vring_base(&f, 7, &base) == 0 && base == 0,
		   "GET_VRING_BASE after the restart");
		vuf_close(&f);
	}

	/* ... but memory that no longer holds them breaks the device. */
	from = vuf_log_size(&daemon_);
	if (connect_handshake(&f, &full) < 0)
		return;
	vuf_wait_log(&daemon_, from, "ring 7 (tx3) started", VUF_TIMEOUT_MS);
	{
		struct vhost_user_mem_reg m = { 0 };

		vuf_region(&f, &m.region);
		send_msg(&f, VHOST_USER_REM_MEM_REG, 1, &m, sizeof(m), NULL, 0);
		m.region.memory_size = 4096;
		send_msg(&f, VHOST_USER_ADD_MEM_REG, 1, &m, sizeof(m), &f.mem_fd, 1);
	}
	expect_dropped(&f, from, "rings' memory replaced by too little", "is not inside guest memory");
}

static void test_refusals_without_reply(void)
{
	struct vuf_opts o = { .nrings = 0, .no_reply_ack = true };
	off_t from = vuf_log_size(&daemon_);
	uint64_t mtu = 10;
	struct vuf f;

	if (connect_handshake(&f, &o) < 0)
		return;
	send_msg(&f, VHOST_USER_NET_SET_MTU, 1, &mtu, sizeof(mtu), NULL, 0);
	expect_dropped(&f, from, "NET_SET_MTU refused, no REPLY_ACK",
		       "NET_SET_MTU refused, and the front-end asked for no reply");
}

/* Front-ends that vanish at any point leave nothing behind. */
static void test_abrupt_disconnects(void)
{
	static const unsigned int stages[] = { 0, 1, 2, 3 };
	unsigned int i;

	for (i = 0; i < sizeof(stages) / sizeof(stages[0]); i++) {
		off_t from = vuf_log_size(&daemon_);
		struct vuf_opts o = { .nrings = stages[i] == 3 ? NRINGS : 0 };
		struct vuf f;
		int fds;

		if (connect_fresh(&f) < 0)
			continue;
		if (stages[i] >= 2)
			vuf_handshake(&f, &o);
		else if (stages[i] == 1)
			send_msg(&f, VHOST_USER_GET_FEATURES, 1, NULL, 0, NULL, 0);
		if (stages[i] == 3)
			vuf_wait_log(&daemon_, from, "ring 7 (tx3) started", VUF_TIMEOUT_MS);
		close(f.fd);
		f.fd = -1;
		vuf_close(&f);
		ok(vuf_wait_log(&daemon_, from, "front-end connection closed", CLOSE_TIMEOUT_MS) == 0,
		   "abrupt disconnect at stage %u noticed", stages[i]);
		fds = fd_count();
		is_int(fds, baseline_fds, "abrupt disconnect at stage %u: no fd left behind",
		       stages[i]);
		ok(fresh_session_ok(), "abrupt disconnect at stage %u: next front-end served",
		   stages[i]);
		if (traffic)
			rss_ok("abrupt disconnect");
	}
}

/* The counters the daemon logs on exit add up to what this test did. */
static void check_counters(void)
{
	unsigned long long served = 0, refused = 0, msgs = 0, nacks = 0, broken = 0;
	FILE *f = fopen(daemon_.log, "r");
	char line[512];
	const char *p;
	int n = 0;

	while (f && fgets(line, sizeof(line), f))
		if ((p = strstr(line, "vhost-user: ")))
			n = sscanf(p, "vhost-user: %llu front-ends served, %llu turned away, %llu messages, %llu NACKs, %llu broken",
				   &served, &refused, &msgs, &nacks, &broken);
	if (f)
		fclose(f);
	ok(n == 5, "counters logged on exit");
	diag("%llu front-ends, %llu turned away, %llu messages, %llu NACKs, %llu broken", served,
	     refused, msgs, nacks, broken);
	is_int(refused, 1, "counted: the one front-end turned away");
	is_int(nacks, EXPECTED_NACKS, "counted: every NACK");
	is_int(broken, violations, "counted: every violation");
	ok(served > broken && msgs > served, "counted: front-ends and messages");
}

/* One line for machines: what the recovery checks found. */
static void summary(int fds_end, long rss_end, int exit_status)
{
	printf("# SUMMARY {\"suite\":\"vhost_user\",\"traffic\":%s,\"cases\":%u,"
	       "\"failed\":%u,\"violations\":%u,\"fds_baseline\":%d,\"fds_end\":%d,"
	       "\"rss_kb_baseline\":%ld,\"rss_kb_max\":%ld,\"rss_kb_end\":%ld,"
	       "\"daemon_exit\":%d,\"tap_failed\":%d}\n",
	       traffic ? "true" : "false", recoveries, recoveries_failed, violations, baseline_fds,
	       fds_end, baseline_rss, max_rss, rss_end, exit_status, tap_failed);
}

int main(void)
{
	int status, fds_end;
	long rss_end;

	if (!getenv("VURING"))
		skip_all("VURING (the daemon to test) is not set");
	/* As root: a network namespace of our own, and a TAP in it. */
	traffic = vuft_netns_enter() == 0;
	if (!traffic)
		diag("not root (or no network namespace): control plane only, no frames");
	if (vuf_daemon_start(&daemon_, traffic ? traffic_ini : test_ini) < 0) {
		diag("%s", vuf_error);
		vuf_daemon_cleanup(&daemon_);
		ok(0, "daemon starts");
		return done_testing();
	}
	ok(1, "daemon starts");
	if (traffic && vuft_open(&tap_, TRAFFIC_IFNAME, VUF_TIMEOUT_MS) < 0) {
		ok(0, "the daemon's TAP %s appears", TRAFFIC_IFNAME);
		traffic = false;
	}
	test_handshake();
	test_every_message();
	test_variants();
	test_duplicate_regions();
	test_second_frontend();
	test_framing();
	test_truncated();
	test_garbage();
	test_fd_counts();
	test_mem_tables();
	test_too_many_regions();
	test_ring_messages();
	test_ring_addresses();
	test_deferred_checks();
	test_refusals_without_reply();
	test_abrupt_disconnects();
	ok(vuf_log_contains(&daemon_, 0, "device broken"), "violations are logged as such");
	fds_end = fd_count();
	rss_end = vuf_daemon_rss_kb(&daemon_);
	if (traffic)
		vuft_close(&tap_);
	status = vuf_daemon_stop(&daemon_);
	is_int(status, 0, "daemon exits cleanly on SIGTERM (no leaks reported)");
	if (status != 0)
		diag("log kept: set VURING_KEEP_LOGS=1 to keep %s", daemon_.log);
	check_counters();
	summary(fds_end, rss_end, status);
	vuf_daemon_cleanup(&daemon_);
	return done_testing();
}
