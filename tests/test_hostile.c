// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test_hostile.c - a malicious guest and a broken front-end against a
 * running vuring that moves real frames through a TAP.
 *
 * The daemon runs hardened ([security] user = nobody, seccomp, restricted
 * io_uring) in a network namespace of the test's own, on a TAP it creates
 * with two queue pairs. Every case starts from a fresh front-end whose
 * rings run, does one hostile thing, and then checks:
 *  - the outcome: the front-end was dropped with a log line naming the
 *    violation, or (for what only costs a frame) the same connection still
 *    moves frames both ways;
 *  - the daemon is alive, and a fresh front-end completes a handshake and
 *    moves a frame out of every TX ring and one into the guest;
 *  - the daemon holds exactly its baseline fds, and its RSS stays within
 *    RSS_SLACK_KB of the baseline.
 * Cases: hostile descriptor chains on the TX and RX rings (loops, indexes
 * out of range, buffers and tables outside guest memory, huge lengths,
 * indirect tables of every wrong shape, wrong directions), bad virtio-net
 * headers, kick storms, ring sizes that are not powers of two with and
 * without REPLY_ACK, dirty logs smaller than announced, memory tables past
 * the end of their files or overlapping, a disconnect after every message
 * of the handshake and in the middle of traffic.
 *
 * Before the plan line, a machine-readable summary:
 *   # SUMMARY {"suite":"hostile","cases":N,"failed":F,...}
 *
 * Needs root (network namespace, TAP); VURING_TEST_QUICK=1 skips it.
 */
#include "config.h"

#include <errno.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/vhost_types.h>
#include <linux/virtio_net.h>
#include <linux/virtio_ring.h>

#include "net_helpers.h"
#include "tap.h"
#include "vu_frontend.h"
#include "vuf_traffic.h"

#define IFNAME		"vuhost0"
#define NRINGS		4		/* two queue pairs */
#define TX		1		/* the TX ring hostile chains go to */
#define RX		0
/* How long the daemon may take to drop a front-end, or to move a frame. */
#define CLOSE_MS	5000
#define TRAFFIC_MS	3000
/* Sessions with traffic before the baseline is taken: allocator caches,
 * ASan's quarantine and the kernel's socket buffers settle. */
#define WARMUP		5
/* RSS growth tolerated over the baseline (allocator granularity); a leak
 * per case (dozens of cases) shows up above it. */
#define RSS_SLACK_KB	2048
/* Ring size vu_frontend sets up. */
#define NUM		VUF_RING_NUM
/* The test frame behind its header, in the scratch area. */
#define FRAME_LEN	64u
#define HDR_LEN		sizeof(struct virtio_net_hdr_mrg_rxbuf)
#define SCRATCH		VUFT_SCRATCH_OFF
#define BUF		(SCRATCH)		/* a good frame: header + 64 bytes */
#define TBL		(SCRATCH + 0x10000)	/* an indirect table */
#define TBL2		(SCRATCH + 0x20000)	/* another one */

static struct vuf_daemon daemon_;
static struct vuft tap_;
static int fds_baseline = -1;
static long rss_baseline = -1, rss_max;
static unsigned int n_cases, n_failed;

/* What a case must lead to. */
enum expect {
	DROPPED,	/* the front-end is dropped, the log says why */
	SURVIVES,	/* the same connection still moves frames */
	RECOVERS,	/* either way; only the recovery counts */
};

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---------------------------------------------------------------- sessions */

/**
 * session_open() - a fresh front-end with every ring running
 * @f: the connection
 * @o: handshake options (NULL: all rings, REPLY_ACK)
 *
 * Return: 0 or a negative errno (diagnosed).
 */
static int session_open(struct vuf *f, const struct vuf_opts *o)
{
	static const struct vuf_opts full = { .nrings = NRINGS };
	off_t from = vuf_log_size(&daemon_);
	int r = vuf_connect(f, daemon_.sock);

	if (!r)
		r = vuf_handshake(f, o ? o : &full);
	if (!r && f->nrings)
		r = vuf_wait_log(&daemon_, from, "ring 3 (tx1) started", TRAFFIC_MS);
	if (r < 0)
		diag("session: %s", vuf_error);
	vuft_session(&tap_, f);
	return r;
}

/* Frames both ways on a connection whose rings run. */
static bool traffic_ok(struct vuf *f)
{
	int r = vuft_both_ways(&tap_, f, TRAFFIC_MS);

	if (r < 0)
		diag("traffic: %s", strerror(-r));
	return r == 0;
}

/* A fresh front-end: handshake, a frame out of every TX ring and one in. */
static bool fresh_traffic_ok(void)
{
	struct vuf f;
	bool good = session_open(&f, NULL) == 0 && traffic_ok(&f) && vuf_teardown(&f) == 0;

	vuf_close(&f);
	return good;
}

/**
 * recovered() - the checks after every case
 * @name: the case
 * @outcome: whether the case's own expectation held
 */
static void recovered(const char *name, bool outcome)
{
	bool alive = vuf_daemon_alive(&daemon_);
	bool fresh = alive && fresh_traffic_ok();
	int fds = vuf_daemon_fd_count(&daemon_);
	long rss = vuf_daemon_rss_kb(&daemon_);
	bool good = outcome;

	good &= ok(alive, "%s: daemon alive", name);
	good &= ok(fresh, "%s: a fresh front-end moves frames both ways", name);
	good &= is_int(fds, fds_baseline, "%s: %d fds, the baseline", name, fds_baseline);
	good &= ok(rss > 0 && rss <= rss_baseline + RSS_SLACK_KB, "%s: RSS %ld kB (baseline %ld)",
		   name, rss, rss_baseline);
	if (rss > rss_max)
		rss_max = rss;
	n_cases++;
	if (!good)
		n_failed++;
}

/**
 * outcome() - did the case end as @e says?
 * @f: the connection the case used (closed here)
 * @from: log offset before the case
 * @e: expectation
 * @why: log text of the violation (DROPPED)
 */
static bool outcome(struct vuf *f, const char *name, off_t from, enum expect e, const char *why)
{
	bool good = true;

	switch (e) {
	case DROPPED:
		good &= ok(vuf_peer_closed(f, CLOSE_MS), "%s: front-end dropped", name);
		good &= ok(vuf_wait_log(&daemon_, from, why, CLOSE_MS) == 0, "%s: log says \"%s\"",
			   name, why);
		break;
	case SURVIVES:
		good &= ok(traffic_ok(f) && vuf_teardown(f) == 0,
			   "%s: the same front-end still moves frames", name);
		break;
	case RECOVERS:
		break;
	}
	vuf_close(f);
	return good;
}

/* ---------------------------------------------------------------- chains */

/* Write descriptor @i of @ring. */
static void desc(struct vuf *f, unsigned int ring, unsigned int i, uint64_t gpa, uint32_t len,
		 uint16_t flags, uint16_t next)
{
	vuft_desc(f, ring)[i] = (struct vring_desc){ gpa, len, flags, next };
}

/* A descriptor at @off (guest memory offset) in a table there. */
static void tdesc(struct vuf *f, uint64_t off, unsigned int i, uint64_t gpa, uint32_t len,
		  uint16_t flags, uint16_t next)
{
	((struct vring_desc *)(f->mem + off))[i] = (struct vring_desc){ gpa, len, flags, next };
}

/* A good frame (zero header, broadcast, test ethertype) at BUF. */
static uint64_t good_frame(struct vuf *f)
{
	memset(f->mem + BUF, 0, HDR_LEN + FRAME_LEN);
	memset(f->mem + BUF + HDR_LEN, 0xff, 6);
	f->mem[BUF + HDR_LEN + 12] = VUFT_ETHERTYPE >> 8;
	f->mem[BUF + HDR_LEN + 13] = VUFT_ETHERTYPE & 0xff;
	return vuft_gpa(BUF);
}

#define FULL (HDR_LEN + FRAME_LEN)
#define OUT_OF_MEMORY 0x1000ull		/* below VUF_GPA_BASE: no region */

static void tx_self_loop(struct vuf *f)
{
	desc(f, TX, 0, good_frame(f), FULL, VRING_DESC_F_NEXT, 0);
	vuft_publish(f, TX, 0);
}

/* Zero-length descriptors add no iovec: only the hop count stops them. */
static void tx_empty_loop(struct vuf *f)
{
	desc(f, TX, 0, good_frame(f), FULL, VRING_DESC_F_NEXT, 1);
	desc(f, TX, 1, good_frame(f), 0, VRING_DESC_F_NEXT, 2);
	desc(f, TX, 2, good_frame(f), 0, VRING_DESC_F_NEXT, 1);
	vuft_publish(f, TX, 0);
}

static void tx_two_loop(struct vuf *f)
{
	desc(f, TX, 0, good_frame(f), 40, VRING_DESC_F_NEXT, 1);
	desc(f, TX, 1, good_frame(f) + 40, 36, VRING_DESC_F_NEXT, 0);
	vuft_publish(f, TX, 0);
}

static void tx_next_out(struct vuf *f)
{
	desc(f, TX, 0, good_frame(f), FULL, VRING_DESC_F_NEXT, NUM);
	vuft_publish(f, TX, 0);
}

static void tx_next_ffff(struct vuf *f)
{
	desc(f, TX, 5, good_frame(f), FULL, VRING_DESC_F_NEXT, 0xffff);
	vuft_publish(f, TX, 5);
}

static void tx_head_out(struct vuf *f)
{
	vuft_publish(f, TX, NUM);
}

static void tx_head_ffff(struct vuf *f)
{
	vuft_publish(f, TX, 0xffff);
}

static void tx_buf_below(struct vuf *f)
{
	desc(f, TX, 0, OUT_OF_MEMORY, FULL, 0, 0);
	vuft_publish(f, TX, 0);
}

static void tx_buf_past_end(struct vuf *f)
{
	desc(f, TX, 0, vuft_gpa(VUF_MEM_SIZE - 16), FULL, 0, 0);
	vuft_publish(f, TX, 0);
}

static void tx_huge_len(struct vuf *f)
{
	desc(f, TX, 0, good_frame(f), 0xffffffffu, 0, 0);
	vuft_publish(f, TX, 0);
}

static void tx_gpa_wraps(struct vuf *f)
{
	desc(f, TX, 0, 0xffffffffffffff00ull, 0x200, 0, 0);
	vuft_publish(f, TX, 0);
}

/* 65 two-byte buffers: more than a TX chain may have. */
static void tx_many_bufs(struct vuf *f)
{
	uint64_t gpa = good_frame(f);

	for (unsigned int i = 0; i < 65; i++)
		desc(f, TX, i, gpa + 2 * i, 2, i < 64 ? VRING_DESC_F_NEXT : 0, (uint16_t)(i + 1));
	vuft_publish(f, TX, 0);
}

static void tx_writable(struct vuf *f)
{
	desc(f, TX, 0, good_frame(f), FULL, VRING_DESC_F_WRITE, 0);
	vuft_publish(f, TX, 0);
}

static void tx_empty(struct vuf *f)
{
	desc(f, TX, 0, good_frame(f), 0, 0, 0);
	vuft_publish(f, TX, 0);
}

static void tx_ind_nested(struct vuf *f)
{
	tdesc(f, TBL, 0, good_frame(f), FULL, VRING_DESC_F_NEXT, 1);
	tdesc(f, TBL, 1, vuft_gpa(TBL2), 16, VRING_DESC_F_INDIRECT, 0);
	tdesc(f, TBL2, 0, good_frame(f), FULL, 0, 0);
	desc(f, TX, 0, vuft_gpa(TBL), 32, VRING_DESC_F_INDIRECT, 0);
	vuft_publish(f, TX, 0);
}

static void tx_ind_next(struct vuf *f)
{
	tdesc(f, TBL, 0, good_frame(f), FULL, 0, 0);
	desc(f, TX, 0, vuft_gpa(TBL), 16, VRING_DESC_F_INDIRECT | VRING_DESC_F_NEXT, 1);
	desc(f, TX, 1, good_frame(f), FULL, 0, 0);
	vuft_publish(f, TX, 0);
}

static void tx_ind_len(struct vuf *f, uint32_t len)
{
	tdesc(f, TBL, 0, good_frame(f), FULL, 0, 0);
	desc(f, TX, 0, vuft_gpa(TBL), len, VRING_DESC_F_INDIRECT, 0);
	vuft_publish(f, TX, 0);
}

static void tx_ind_zero(struct vuf *f)
{
	tx_ind_len(f, 0);
}

static void tx_ind_odd(struct vuf *f)
{
	tx_ind_len(f, 24);
}

static void tx_ind_big(struct vuf *f)
{
	tx_ind_len(f, (NUM + 1) * 16);
}

static void tx_ind_outside(struct vuf *f)
{
	desc(f, TX, 0, OUT_OF_MEMORY, 32, VRING_DESC_F_INDIRECT, 0);
	vuft_publish(f, TX, 0);
}

static void tx_ind_past_end(struct vuf *f)
{
	desc(f, TX, 0, vuft_gpa(VUF_MEM_SIZE - 16), 64, VRING_DESC_F_INDIRECT, 0);
	vuft_publish(f, TX, 0);
}

static void tx_ind_loop(struct vuf *f)
{
	tdesc(f, TBL, 0, good_frame(f), 40, VRING_DESC_F_NEXT, 1);
	tdesc(f, TBL, 1, good_frame(f) + 40, 36, VRING_DESC_F_NEXT, 0);
	desc(f, TX, 0, vuft_gpa(TBL), 32, VRING_DESC_F_INDIRECT, 0);
	vuft_publish(f, TX, 0);
}

static void tx_ind_next_out(struct vuf *f)
{
	tdesc(f, TBL, 0, good_frame(f), FULL, VRING_DESC_F_NEXT, 5);
	tdesc(f, TBL, 1, good_frame(f), FULL, 0, 0);
	desc(f, TX, 0, vuft_gpa(TBL), 32, VRING_DESC_F_INDIRECT, 0);
	vuft_publish(f, TX, 0);
}

static void tx_ind_after_head(struct vuf *f)
{
	tdesc(f, TBL, 0, good_frame(f), FULL, 0, 0);
	desc(f, TX, 0, good_frame(f), 12, VRING_DESC_F_NEXT, 1);
	desc(f, TX, 1, vuft_gpa(TBL), 16, VRING_DESC_F_INDIRECT, 0);
	vuft_publish(f, TX, 0);
}

static void tx_avail_jump(struct vuf *f)
{
	struct vring_avail *avail = vuft_avail(f, TX);

	__atomic_store_n(&avail->idx, (uint16_t)(avail->idx + NUM + 1), __ATOMIC_RELEASE);
	vuf_kick(f, TX);
}

/* An RX chain is only read when a frame arrives for it: send one. */
static void rx_with_frame(struct vuf *f, uint16_t head)
{
	vuft_publish(f, RX, head);
	vuft_publish(f, RX + 2, head);	/* the kernel may pick either queue */
	nh_sleep_ms(20);
	vuft_inject(&tap_);
}

static void rx_readable(struct vuf *f)
{
	desc(f, RX, 0, vuft_gpa(BUF), 2048, 0, 0);
	desc(f, RX + 2, 0, vuft_gpa(BUF), 2048, 0, 0);
	rx_with_frame(f, 0);
}

static void rx_head_out(struct vuf *f)
{
	rx_with_frame(f, NUM + 7);
}

static void rx_buf_outside(struct vuf *f)
{
	desc(f, RX, 0, OUT_OF_MEMORY, 2048, VRING_DESC_F_WRITE, 0);
	desc(f, RX + 2, 0, OUT_OF_MEMORY, 2048, VRING_DESC_F_WRITE, 0);
	rx_with_frame(f, 0);
}

static void rx_loop(struct vuf *f)
{
	for (unsigned int r = RX; r <= RX + 2; r += 2) {
		desc(f, r, 0, vuft_gpa(BUF), 8, VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 1);
		desc(f, r, 1, vuft_gpa(BUF) + 8, 8, VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 0);
	}
	rx_with_frame(f, 0);
}

/* ------------------------------------------------ what only costs a frame */

/* A frame whose virtio-net header asks for what was not negotiated. */
static void tx_bad_hdr(struct vuf *f, uint8_t flags, uint8_t gso, uint16_t gso_size)
{
	struct virtio_net_hdr *h = (struct virtio_net_hdr *)(f->mem + BUF);
	uint64_t gpa = good_frame(f);

	h->flags = flags;
	h->gso_type = gso;
	h->gso_size = gso_size;
	h->hdr_len = 54;
	h->csum_start = 34;
	h->csum_offset = 16;
	desc(f, TX, 0, gpa, FULL, 0, 0);
	vuft_publish(f, TX, 0);
	nh_sleep_ms(100);
	/* The chain comes back used although nothing was sent. */
	tap_.used_seen[TX]++;
}

static void tx_hdr_gso(struct vuf *f)
{
	tx_bad_hdr(f, 0, VIRTIO_NET_HDR_GSO_TCPV4, 1400);
}

static void tx_hdr_csum(struct vuf *f)
{
	tx_bad_hdr(f, VIRTIO_NET_HDR_F_NEEDS_CSUM, 0, 0);
}

static void tx_hdr_flags(struct vuf *f)
{
	tx_bad_hdr(f, VIRTIO_NET_HDR_F_DATA_VALID, 0, 0);
}

static void tx_runt(struct vuf *f)
{
	desc(f, TX, 0, good_frame(f), HDR_LEN, 0, 0);
	vuft_publish(f, TX, 0);
	nh_sleep_ms(100);
	tap_.used_seen[TX]++;
}

/* A frame the TAP itself refuses: 100000 bytes, past any MTU or GSO size. */
static void tx_oversized(struct vuf *f)
{
	desc(f, TX, 0, good_frame(f), 100000, 0, 0);
	vuft_publish(f, TX, 0);
	nh_sleep_ms(100);
	tap_.used_seen[TX]++;
}

static void kick_storm(struct vuf *f)
{
	for (unsigned int i = 0; i < 10000; i++)
		vuf_kick(f, i % NRINGS);
	nh_sleep_ms(100);
}

static const struct chain_case {
	const char *name;
	void (*run)(struct vuf *f);
	enum expect e;
	const char *why;
} chain_cases[] = {
	/* A loop of non-empty buffers runs out of iovecs (64 a chain) first. */
	{ "TX descriptor that loops to itself", tx_self_loop, DROPPED, "needs more than 64 iovecs" },
	{ "TX chain looping over two descriptors", tx_two_loop, DROPPED, "needs more than 64 iovecs" },
	{ "TX loop of empty descriptors", tx_empty_loop, DROPPED, "more than 256 descriptors (a loop?)" },
	{ "TX next index = ring size", tx_next_out, DROPPED, "next 256 out of a table of 256" },
	{ "TX next index 0xffff", tx_next_ffff, DROPPED, "next 65535 out of a table of 256" },
	{ "TX head = ring size", tx_head_out, DROPPED, "head 256 out of a ring of 256" },
	{ "TX head 0xffff", tx_head_ffff, DROPPED, "head 65535 out of a ring of 256" },
	{ "TX buffer outside guest memory", tx_buf_below, DROPPED, "not in guest memory" },
	{ "TX buffer across the end of memory", tx_buf_past_end, DROPPED, "not in guest memory" },
	{ "TX buffer of 4 GiB - 1", tx_huge_len, DROPPED, "not in guest memory" },
	{ "TX buffer address wraps", tx_gpa_wraps, DROPPED, "not in guest memory" },
	{ "TX chain of 65 buffers", tx_many_bufs, DROPPED, "needs more than" },
	{ "TX device-writable buffer", tx_writable, DROPPED, "device-writable buffer on a device-read queue" },
	{ "TX empty chain", tx_empty, DROPPED, "empty chain" },
	{ "TX nested indirect table", tx_ind_nested, DROPPED, "nested indirect" },
	{ "TX indirect descriptor with NEXT", tx_ind_next, DROPPED, "indirect descriptor has NEXT set" },
	{ "TX indirect table of 0 bytes", tx_ind_zero, DROPPED, "indirect table of 0 bytes" },
	{ "TX indirect table of 24 bytes", tx_ind_odd, DROPPED, "indirect table of 24 bytes" },
	{ "TX indirect table larger than the ring", tx_ind_big, DROPPED, "indirect table of 4112 bytes" },
	{ "TX indirect table outside memory", tx_ind_outside, DROPPED, "not in guest memory" },
	{ "TX indirect table across the end of memory", tx_ind_past_end, DROPPED, "not in guest memory" },
	{ "TX loop inside an indirect table", tx_ind_loop, DROPPED, "more than 2 descriptors (a loop?)" },
	{ "TX next out of an indirect table", tx_ind_next_out, DROPPED, "next 5 out of a table of 2" },
	{ "TX indirect descriptor after the head", tx_ind_after_head, DROPPED, "indirect descriptor after the head" },
	{ "TX avail index 257 ahead", tx_avail_jump, DROPPED, "ahead of the oldest unused chain" },
	{ "RX device-readable buffer", rx_readable, DROPPED, "device-readable buffer on a device-write queue" },
	{ "RX head out of the ring", rx_head_out, DROPPED, "out of a ring of 256" },
	{ "RX buffer outside guest memory", rx_buf_outside, DROPPED, "not in guest memory" },
	{ "RX chain that loops", rx_loop, DROPPED, "needs more than 64 iovecs" },
	{ "TX header: GSO not negotiated", tx_hdr_gso, SURVIVES, NULL },
	{ "TX header: NEEDS_CSUM not negotiated", tx_hdr_csum, SURVIVES, NULL },
	{ "TX header: DATA_VALID flag", tx_hdr_flags, SURVIVES, NULL },
	{ "TX runt (header only)", tx_runt, SURVIVES, NULL },
	{ "TX frame of 100000 bytes", tx_oversized, SURVIVES, NULL },
	{ "10000 kicks on empty rings", kick_storm, SURVIVES, NULL },
};

static void test_chains(void)
{
	for (size_t i = 0; i < sizeof(chain_cases) / sizeof(chain_cases[0]); i++) {
		const struct chain_case *c = &chain_cases[i];
		off_t from = vuf_log_size(&daemon_);
		struct vuf f;
		bool good;

		if (session_open(&f, NULL) < 0) {
			vuf_close(&f);
			recovered(c->name, ok(0, "%s: set up", c->name));
			continue;
		}
		c->run(&f);
		good = outcome(&f, c->name, from, c->e, c->why);
		recovered(c->name, good);
	}
}

/* ---------------------------------------------------------------- control plane */

/* A connection with memory but no rings, with or without REPLY_ACK. */
static int session_mem(struct vuf *f, bool reply_ack)
{
	struct vuf_opts o = { .nrings = 0, .no_reply_ack = !reply_ack };

	return session_open(f, &o);
}

/* SET_VRING_NUM @num on ring 0, asking for a reply when REPLY_ACK is on. */
static void ring_size_case(unsigned int num, bool reply_ack)
{
	struct vhost_vring_state s = { 0, num };
	off_t from = vuf_log_size(&daemon_);
	char name[96], why[64];
	struct vuf f;
	bool good;

	snprintf(name, sizeof(name), "ring size %u, %s REPLY_ACK", num,
		 reply_ack ? "with" : "without");
	snprintf(why, sizeof(why), "size %u is not a power of two", num);
	if (session_mem(&f, reply_ack) < 0) {
		vuf_close(&f);
		recovered(name, ok(0, "%s: set up", name));
		return;
	}
	vuf_send(&f, VHOST_USER_SET_VRING_NUM,
		 VHOST_USER_VERSION | (reply_ack ? VHOST_USER_NEED_REPLY_MASK : 0), &s, sizeof(s),
		 NULL, 0);
	good = outcome(&f, name, from, DROPPED, why);
	recovered(name, good);
}

static void test_ring_sizes(void)
{
	static const unsigned int sizes[] = { 3, 100, 255, 257, 1000, 32767, 65535 };

	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		ring_size_case(sizes[i], true);
		ring_size_case(sizes[i], false);
	}
}

/**
 * log_case() - SET_LOG_BASE announcing @size bytes of a @file_size-byte memfd
 * @expect: DROPPED if the daemon must refuse it
 *
 * Then the log is used: LOG_ALL on, and frames both ways (which dirty guest
 * memory), so a log the daemon accepted must be big enough for its writes.
 */
static void log_case(const char *name, uint64_t size, uint64_t offset, off_t file_size,
		     bool reply_ack, enum expect e)
{
	struct vhost_user_log l = { size, offset };
	off_t from = vuf_log_size(&daemon_);
	int fd = memfd_create("vuf-log", MFD_CLOEXEC);
	struct vuf f;
	bool good;

	if (fd < 0 || ftruncate(fd, file_size) < 0 || session_open(&f, reply_ack ? NULL :
			&(struct vuf_opts){ .nrings = NRINGS, .no_reply_ack = true }) < 0) {
		if (fd >= 0)
			close(fd);
		recovered(name, ok(0, "%s: set up", name));
		return;
	}
	vuf_send(&f, VHOST_USER_SET_LOG_BASE, VHOST_USER_VERSION, &l, sizeof(l), &fd, 1);
	close(fd);
	if (e == DROPPED) {
		good = outcome(&f, name, from, DROPPED, "SET_LOG_BASE");
	} else {
		struct vhost_user_hdr h;
		uint64_t v = 0;

		/* SET_LOG_BASE always replies; then log everything. */
		good = ok(vuf_recv(&f, &h, &v, sizeof(v)) == 0, "%s: SET_LOG_BASE answered", name);
		vuf_set_u64(&f, VHOST_USER_SET_FEATURES,
			    f.features & ((1ull << VIRTIO_F_VERSION_1) | (1ull << VHOST_F_LOG_ALL) |
					  (1ull << VIRTIO_NET_F_MRG_RXBUF) |
					  (1ull << VIRTIO_RING_F_EVENT_IDX) |
					  (1ull << VIRTIO_RING_F_INDIRECT_DESC) |
					  (1ull << VIRTIO_NET_F_MQ) |
					  (1ull << VHOST_USER_F_PROTOCOL_FEATURES)));
		traffic_ok(&f);
		good &= outcome(&f, name, from, e, NULL);
	}
	recovered(name, good);
}

static void test_logs(void)
{
	/* 4 MiB of guest memory needs 4 MiB / 4 KiB / 8 = 128 bytes of log. */
	log_case("log of 1 MiB in a 4 KiB file", 1 << 20, 0, 4096, true, DROPPED);
	log_case("log of 1 MiB in a 4 KiB file, no REPLY_ACK", 1 << 20, 0, 4096, false, DROPPED);
	log_case("log offset past the end of its file", 4096, 8192, 4096, true, DROPPED);
	log_case("log size + offset wraps", UINT64_MAX - 100, 4096, 8192, true, DROPPED);
	log_case("log of 0 bytes", 0, 0, 4096, true, DROPPED);
	log_case("log of 64 bytes for 4 MiB of memory, then traffic", 64, 0, 4096, true, RECOVERS);
	log_case("log of 4096 bytes, then traffic", 4096, 0, 4096, true, SURVIVES);
}

/* A second region that breaks a rule, sent while frames flow. */
static void region_case(const char *name, uint64_t gpa, uint64_t size, uint64_t offset,
			int64_t uva_delta, const char *why)
{
	struct vhost_user_mem_reg m = { 0 };
	off_t from = vuf_log_size(&daemon_);
	struct vuf f;
	bool good;

	if (session_open(&f, NULL) < 0 || !traffic_ok(&f)) {
		vuf_close(&f);
		recovered(name, ok(0, "%s: set up", name));
		return;
	}
	vuf_region(&f, &m.region);
	m.region.guest_phys_addr = gpa;
	m.region.memory_size = size;
	m.region.mmap_offset = offset;
	m.region.userspace_addr += (uint64_t)uva_delta;
	vuf_send(&f, VHOST_USER_ADD_MEM_REG, VHOST_USER_VERSION | VHOST_USER_NEED_REPLY_MASK, &m,
		 sizeof(m), &f.mem_fd, 1);
	good = outcome(&f, name, from, DROPPED, why);
	recovered(name, good);
}

static void test_regions(void)
{
	const uint64_t far = 0x100000000ull;

	region_case("region past the end of its file (rings running)", far, 2 * VUF_MEM_SIZE, 0,
		    VUF_MEM_SIZE, "past the end of its file");
	region_case("region offset past the end of its file", far, 4096, VUF_MEM_SIZE,
		    VUF_MEM_SIZE, "past the end of its file");
	region_case("region overlapping guest memory", VUF_GPA_BASE + 4096, 4096, 0,
		    VUF_MEM_SIZE, "overlaps");
	region_case("region overlapping front-end addresses", far, 4096, 0, 4096, "overlaps");
}

/* ---------------------------------------------------------------- disconnects */

/* The messages of a handshake, QEMU's order, one at a time. */
enum hs_step {
	HS_GET_FEATURES, HS_GET_PROTOCOL, HS_SET_PROTOCOL, HS_GET_QUEUE_NUM, HS_SET_OWNER,
	HS_SET_FEATURES, HS_MEM_TABLE, HS_RING0, HS_RING1, HS_RING2, HS_RING3, HS_KICKS,
	HS_TRAFFIC, HS_GET_BASE0, HS_STEPS,
};

static const char *const hs_names[HS_STEPS] = {
	"GET_FEATURES", "GET_PROTOCOL_FEATURES", "SET_PROTOCOL_FEATURES", "GET_QUEUE_NUM",
	"SET_OWNER", "SET_FEATURES", "SET_MEM_TABLE", "ring 0 set up", "ring 1 set up",
	"ring 2 set up", "ring 3 set up", "the first kicks", "a frame each way",
	"GET_VRING_BASE of ring 0",
};

/* Do handshake step @s on @f. Return: 0 or a negative errno. */
static int hs_do(struct vuf *f, enum hs_step s)
{
	uint64_t v, proto = (1ull << VHOST_USER_PROTOCOL_F_MQ) |
			    (1ull << VHOST_USER_PROTOCOL_F_REPLY_ACK);
	uint32_t base;

	switch (s) {
	case HS_GET_FEATURES:
		return vuf_get_u64(f, VHOST_USER_GET_FEATURES, &f->features);
	case HS_GET_PROTOCOL:
		return vuf_get_u64(f, VHOST_USER_GET_PROTOCOL_FEATURES, &f->protocol);
	case HS_SET_PROTOCOL:
		f->acked_protocol = f->protocol & proto;
		return vuf_send(f, VHOST_USER_SET_PROTOCOL_FEATURES, VHOST_USER_VERSION,
				&f->acked_protocol, sizeof(v), NULL, 0);
	case HS_GET_QUEUE_NUM:
		f->reply_ack = true;
		return vuf_get_u64(f, VHOST_USER_GET_QUEUE_NUM, &v);
	case HS_SET_OWNER:
		return vuf_request(f, VHOST_USER_SET_OWNER, NULL, 0, NULL, 0);
	case HS_SET_FEATURES:
		return vuf_set_u64(f, VHOST_USER_SET_FEATURES,
				   f->features & ((1ull << VIRTIO_F_VERSION_1) |
						  (1ull << VIRTIO_NET_F_MRG_RXBUF) |
						  (1ull << VIRTIO_NET_F_MQ) |
						  (1ull << VHOST_USER_F_PROTOCOL_FEATURES)));
	case HS_MEM_TABLE:
		return vuf_mem_init(f) ?: vuf_set_mem_table(f);
	case HS_RING0: case HS_RING1: case HS_RING2: case HS_RING3:
		f->nrings = s - HS_RING0 + 1;
		return vuf_setup_ring(f, s - HS_RING0, 0);
	case HS_KICKS:
		for (unsigned int i = 0; i < NRINGS; i++)
			vuf_kick(f, i);
		vuft_session(&tap_, f);
		return 0;
	case HS_TRAFFIC:
		nh_sleep_ms(20);
		return vuft_both_ways(&tap_, f, TRAFFIC_MS);
	case HS_GET_BASE0:
		return vuf_get_vring_base(f, 0, &base);
	case HS_STEPS:
		break;
	}
	return -EINVAL;
}

static void test_handshake_disconnects(void)
{
	for (enum hs_step last = HS_GET_FEATURES; last < HS_STEPS; last++) {
		off_t from = vuf_log_size(&daemon_);
		char name[96];
		struct vuf f;
		int r = vuf_connect(&f, daemon_.sock);
		bool good;

		snprintf(name, sizeof(name), "hang-up after %s", hs_names[last]);
		for (enum hs_step s = HS_GET_FEATURES; !r && s <= last; s++)
			r = hs_do(&f, s);
		good = ok(r == 0, "%s: the steps up to it work (%s)", name, r ? vuf_error : "ok");
		/* Abrupt: no shutdown handshake, the socket just goes. */
		close(f.fd);
		f.fd = -1;
		vuf_close(&f);
		good &= ok(vuf_wait_log(&daemon_, from, "front-end connection closed", CLOSE_MS) == 0,
			   "%s: noticed", name);
		recovered(name, good);
	}
}

/* The flooder: frames into the TAP, as fast as the kernel takes them. */
static pid_t flood_start(void)
{
	pid_t pid = fork();

	if (pid == 0)
		for (;;)
			if (vuft_inject(&tap_) < 0)
				nh_sleep_ms(1);
	return pid;
}

static void flood_stop(pid_t pid)
{
	if (pid > 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
}

/* Keep every RX ring stocked and TX busy for @ms, as a guest under load. */
static void busy(struct vuf *f, int ms)
{
	long end = now_ms() + ms;

	while (now_ms() < end) {
		vuft_tx(&tap_, f, TX, 50);
		vuft_rx(&tap_, f, 1);
	}
}

static void midtraffic_case(const char *name, int variant)
{
	off_t from = vuf_log_size(&daemon_);
	pid_t flooder;
	uint32_t base;
	struct vuf f;
	bool good;

	/* Before the connection: the flooder must not hold a copy of its fd. */
	flooder = flood_start();
	if (session_open(&f, NULL) < 0) {
		flood_stop(flooder);
		vuf_close(&f);
		recovered(name, ok(0, "%s: set up", name));
		return;
	}
	busy(&f, 300);
	if (variant == 1)
		vuf_get_vring_base(&f, 0, &base);	/* one RX ring stopped, the rest run */
	if (variant == 2) {
		struct vhost_user_mem_reg m = { 0 };

		/* The memory goes from under running rings, then the front-end. */
		vuf_region(&f, &m.region);
		vuf_send(&f, VHOST_USER_REM_MEM_REG, VHOST_USER_VERSION, &m, sizeof(m), NULL, 0);
	}
	close(f.fd);
	f.fd = -1;
	vuf_close(&f);
	good = ok(vuf_wait_log(&daemon_, from, "front-end connection closed", CLOSE_MS) == 0,
		  "%s: noticed", name);
	flood_stop(flooder);
	recovered(name, good);
}

static void test_midtraffic_disconnects(void)
{
	midtraffic_case("hang-up under a flood, all rings busy", 0);
	midtraffic_case("hang-up under a flood after one ring stopped", 1);
	midtraffic_case("hang-up under a flood right after REM_MEM_REG", 2);
}

/* ---------------------------------------------------------------- main */

static void summary(int fds_end, long rss_end, int exit_status)
{
	printf("# SUMMARY {\"suite\":\"hostile\",\"cases\":%u,\"failed\":%u,"
	       "\"fds_baseline\":%d,\"fds_end\":%d,\"rss_kb_baseline\":%ld,\"rss_kb_max\":%ld,"
	       "\"rss_kb_end\":%ld,\"daemon_exit\":%d}\n",
	       n_cases, n_failed, fds_baseline, fds_end, rss_baseline, rss_max, rss_end,
	       exit_status);
}

int main(void)
{
	char ini[256];
	int status, r, fds_end;
	long rss_end;

	if (!getenv("VURING"))
		skip_all("VURING (the daemon to test) is not set");
	if (getenv("VURING_TEST_QUICK"))
		skip_all("quick mode (VURING_TEST_QUICK): the hostile suite takes minutes");
	r = vuft_netns_enter();
	if (r < 0)
		skip_all("needs root and a network namespace of its own");
	snprintf(ini, sizeof(ini),
		 "[backend]\ninterface = %s\ncreate = yes\nqueue-pairs = %d\n"
		 "[security]\n%s%s\nseccomp = yes\nuring-restrict = yes\n",
		 IFNAME, NRINGS / 2, getpwnam("nobody") ? "user = " : "",
		 getpwnam("nobody") ? "nobody" : "");
	if (vuf_daemon_start(&daemon_, ini) < 0 || vuft_open(&tap_, IFNAME, VUF_TIMEOUT_MS) < 0) {
		diag("%s", vuf_error);
		vuf_daemon_cleanup(&daemon_);
		skip_all("the daemon did not start on a TAP");
	}
	ok(vuf_wait_log(&daemon_, 0, "least privilege:", VUF_TIMEOUT_MS) == 0,
	   "the daemon runs hardened (%s)", getpwnam("nobody") ? "user nobody" : "no user nobody");
	for (int i = 0; i < WARMUP; i++)
		if (!ok(fresh_traffic_ok(), "warm-up session %d moves frames both ways", i))
			break;
	fds_baseline = vuf_daemon_fd_count(&daemon_);
	rss_baseline = rss_max = vuf_daemon_rss_kb(&daemon_);
	diag("baseline: %d fds, %ld kB RSS", fds_baseline, rss_baseline);

	test_chains();
	test_ring_sizes();
	test_logs();
	test_regions();
	test_handshake_disconnects();
	test_midtraffic_disconnects();

	ok(!vuf_log_contains(&daemon_, 0, "AddressSanitizer") &&
		   !vuf_log_contains(&daemon_, 0, "runtime error"),
	   "no sanitizer report in the daemon's log");
	fds_end = vuf_daemon_fd_count(&daemon_);
	rss_end = vuf_daemon_rss_kb(&daemon_);
	vuft_close(&tap_);
	status = vuf_daemon_stop(&daemon_);
	is_int(status, 0, "the daemon exits cleanly on SIGTERM (no leaks reported)");
	summary(fds_end, rss_end, status);
	if (status != 0 || n_failed)
		diag("set VURING_KEEP_LOGS=1 to keep %s", daemon_.log);
	vuf_daemon_cleanup(&daemon_);
	return done_testing();
}
