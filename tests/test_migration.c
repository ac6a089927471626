// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test_migration.c - what a migrating front-end relies on, end to end through
 * the real daemon and a real TAP (in a network namespace of its own):
 *
 *   - dirty logging: with VHOST_F_LOG_ALL and the rings' VHOST_VRING_F_LOG
 *     switched on while the rings run (as QEMU does when migration starts),
 *     exactly the pages vuring writes are marked: the RX buffers it filled
 *     (num_buffers header included, a frame spanning two buffers too) and
 *     the used rings; not the TX buffers it only reads, not the buffers it
 *     left alone. SET_LOG_FD's eventfd is kicked. Switched off again, no
 *     page is marked and the eventfd stays quiet while frames keep flowing.
 *   - SEND_RARP: vuring broadcasts a RARP for the MAC on the TAP.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_packet.h>
#include <linux/virtio_config.h>
#include <linux/virtio_net.h>
#include <linux/virtio_ring.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "net_helpers.h"
#include "tap.h"
#include "vu_frontend.h"

#define IFNAME "vumig0"
/* RX buffers: each in a page of its own, with a clean page between two. */
#define NBUFS 16
#define BUF_SIZE 1024
#define BUF_STRIDE 8192
#define BUF_OFFSET (2u << 20)
/* The TX frame the "guest" sends. */
#define TX_OFFSET (3u << 20)
#define LOG_PAGE 4096
/* Log bytes covering all guest memory (GPA 0 to the end of the region). */
#define LOG_SIZE ((VUF_GPA_BASE + VUF_MEM_SIZE) / LOG_PAGE / 8)
/* Frames sent while logging is on: small ones, and one needing 2 buffers. */
#define SMALL_FRAMES 3
#define BIG_FRAME 1500
#define WAIT_MS 5000

static struct vuf f = { .fd = -1 };
static uint8_t *logbits;
static uint16_t rx_posted;	/* avail index of ring 0 */

/* Stop the whole test: a step everything after it needs has failed. */
static __attribute__((noreturn, format(printf, 1, 2))) void bail_out(const char *fmt, ...)
{
	va_list ap;

	printf("Bail out! ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	exit(1);
}

static uint64_t gpa_of(const void *p)
{
	return VUF_GPA_BASE + (uint64_t)((const uint8_t *)p - f.mem);
}

static bool page_dirty(uint64_t gpa)
{
	uint64_t page = gpa / LOG_PAGE;

	return __atomic_load_n(&logbits[page / 8], __ATOMIC_ACQUIRE) & (1u << (page % 8));
}

static unsigned int dirty_count(void)
{
	unsigned int n = 0;

	for (uint64_t gpa = 0; gpa < VUF_GPA_BASE + VUF_MEM_SIZE; gpa += LOG_PAGE)
		n += page_dirty(gpa);
	return n;
}

static int send_frame(int pfd, size_t len)
{
	unsigned char frame[BIG_FRAME];

	memset(frame, 0xff, 6);
	memcpy(frame + 6, "\x02\x00\x00\x00\x00\x07", 6);
	frame[12] = 0x88;
	frame[13] = 0xb5;
	memset(frame + 14, 0x5a, len - 14);
	return send(pfd, frame, len, 0) == (ssize_t)len ? 0 : -1;
}

static struct vring_used *used_of(unsigned int ring)
{
	return (void *)(uintptr_t)vuf_ring_uva(&f, ring, VUF_USED);
}

/* Wait until ring's used->idx reaches @want. */
static bool wait_used(unsigned int ring, uint16_t want)
{
	for (int t = 0; t < WAIT_MS; t++) {
		if (__atomic_load_n(&used_of(ring)->idx, __ATOMIC_ACQUIRE) == want)
			return true;
		nh_sleep_ms(1);
	}
	return false;
}

static void post_rx_buffers(unsigned int n)
{
	struct vring_desc *desc = (void *)(uintptr_t)vuf_ring_uva(&f, 0, VUF_DESC);
	struct vring_avail *avail = (void *)(uintptr_t)vuf_ring_uva(&f, 0, VUF_AVAIL);

	for (unsigned int i = 0; i < n; i++) {
		unsigned int d = rx_posted % NBUFS;

		desc[d].addr = VUF_GPA_BASE + BUF_OFFSET + (uint64_t)d * BUF_STRIDE;
		desc[d].len = BUF_SIZE;
		desc[d].flags = VRING_DESC_F_WRITE;
		desc[d].next = 0;
		avail->ring[rx_posted % VUF_RING_NUM] = (uint16_t)d;
		rx_posted++;
	}
	__atomic_store_n(&avail->idx, rx_posted, __ATOMIC_RELEASE);
	vuf_kick(&f, 0);
}

/* One readable chain on TX ring 1: a zero virtio-net header and a frame. */
static void send_tx_frame(uint16_t *avail_idx)
{
	struct vring_desc *desc = (void *)(uintptr_t)vuf_ring_uva(&f, 1, VUF_DESC);
	struct vring_avail *avail = (void *)(uintptr_t)vuf_ring_uva(&f, 1, VUF_AVAIL);
	uint8_t *buf = f.mem + TX_OFFSET;
	size_t hdr = sizeof(struct virtio_net_hdr_mrg_rxbuf), len = 60;

	memset(buf, 0, hdr);
	memset(buf + hdr, 0xff, 6);
	memcpy(buf + hdr + 6, "\x02\x00\x00\x00\x00\x08", 6);
	buf[hdr + 12] = 0x88;
	buf[hdr + 13] = 0xb5;
	memset(buf + hdr + 14, 0x11, len - 14);
	desc[0].addr = gpa_of(buf);
	desc[0].len = (uint32_t)(hdr + len);
	desc[0].flags = 0;
	avail->ring[*avail_idx % VUF_RING_NUM] = 0;
	(*avail_idx)++;
	__atomic_store_n(&avail->idx, *avail_idx, __ATOMIC_RELEASE);
	vuf_kick(&f, 1);
}

/* SET_VRING_ADDR as QEMU sends it when logging flips: same areas, log address. */
static int set_ring_log(unsigned int ring, bool on)
{
	struct vhost_vring_addr a = {
		.index = ring,
		.flags = on ? 1u << VHOST_VRING_F_LOG : 0,
		.desc_user_addr = vuf_ring_uva(&f, ring, VUF_DESC),
		.used_user_addr = vuf_ring_uva(&f, ring, VUF_USED),
		.avail_user_addr = vuf_ring_uva(&f, ring, VUF_AVAIL),
		.log_guest_addr = gpa_of(used_of(ring)),
	};

	return vuf_request(&f, VHOST_USER_SET_VRING_ADDR, &a, sizeof(a), NULL, 0);
}

static uint64_t acked_features(bool log)
{
	uint64_t want = (1ull << VIRTIO_F_VERSION_1) | (1ull << VIRTIO_NET_F_MRG_RXBUF) |
			(1ull << VIRTIO_RING_F_EVENT_IDX) | (1ull << VIRTIO_NET_F_MQ) |
			(1ull << VHOST_USER_F_PROTOCOL_FEATURES);

	if (log)
		want |= 1ull << VHOST_F_LOG_ALL;
	return f.features & want;
}

/* QEMU's order: the log, LOG_ALL, then every ring's LOG flag (or the reverse). */
static int set_logging(bool on)
{
	int r = vuf_set_u64(&f, VHOST_USER_SET_FEATURES, acked_features(on));

	for (unsigned int ring = 0; !r && ring < 2; ring++)
		r = set_ring_log(ring, on);
	return r;
}

/*
 * The pages that must be dirty after ring 0 published used entries
 * [from, to): every byte written into those buffers, ring 0's used ring,
 * and ring 1's when it consumed a frame (@tx). Checks that exactly these
 * are marked.
 */
static void check_exact(uint16_t from, uint16_t to, bool tx, const char *what)
{
	static bool want[(VUF_GPA_BASE + VUF_MEM_SIZE) / LOG_PAGE];
	struct vring_used *u = used_of(0);
	struct vring_desc *desc = (void *)(uintptr_t)vuf_ring_uva(&f, 0, VUF_DESC);
	unsigned int extra = 0, missing = 0;

	memset(want, 0, sizeof(want));
	for (uint16_t i = from; i != to; i++) {
		const struct vring_used_elem *e = &u->ring[i % VUF_RING_NUM];
		uint64_t a = desc[e->id % VUF_RING_NUM].addr;

		for (uint64_t g = a; g < a + e->len; g += LOG_PAGE)
			want[g / LOG_PAGE] = true;
		if (e->len)
			want[(a + e->len - 1) / LOG_PAGE] = true;
	}
	want[gpa_of(used_of(0)) / LOG_PAGE] = true;
	want[gpa_of(used_of(1)) / LOG_PAGE] = tx;
	for (uint64_t p = 0; p < sizeof(want); p++) {
		if (page_dirty(p * LOG_PAGE) && !want[p])
			extra++;
		if (!page_dirty(p * LOG_PAGE) && want[p])
			missing++;
	}
	ok(extra == 0 && missing == 0, "%s: exactly the written pages are dirty (%u extra, %u missing)",
	   what, extra, missing);
}

/*
 * With logging on, a frame that needs two buffers while the guest has posted
 * one: the one buffer must be neither written nor marked (a write into a chain
 * that goes back to the ring would go unlogged) until a second one arrives.
 * (Asking for a kick writes avail_event in the used ring, which is logged.)
 */
static void test_short_of_buffers(int pfd, uint16_t rx_used)
{
	uint8_t *last;
	bool untouched = true;
	bool dirty;
	uint16_t idx;

	for (uint16_t left = (uint16_t)(rx_posted - rx_used); left > 1; left--)
		send_frame(pfd, 100);
	rx_used = (uint16_t)(rx_posted - 1);
	ok(wait_used(0, rx_used), "RX ring used up to its last buffer");
	last = f.mem + BUF_OFFSET + (size_t)(rx_used % NBUFS) * BUF_STRIDE;
	memset(last, 0xee, BUF_SIZE);
	memset(logbits, 0, LOG_SIZE);
	send_frame(pfd, BIG_FRAME);
	nh_sleep_ms(300);
	for (unsigned int i = 0; i < BUF_SIZE; i++)
		untouched = untouched && last[i] == 0xee;
	idx = __atomic_load_n(&used_of(0)->idx, __ATOMIC_ACQUIRE);
	dirty = page_dirty(gpa_of(last));
	ok(idx == rx_used && untouched && !dirty,
	   "a frame needing two buffers leaves the one posted buffer alone (used %u of %u, %s, %s)",
	   idx, rx_used, untouched ? "unwritten" : "written", dirty ? "dirty" : "clean");
	post_rx_buffers(1);
	ok(wait_used(0, (uint16_t)(rx_used + 2)) && last[0] != 0xee && page_dirty(gpa_of(last)),
	   "once a second buffer is posted the frame fills both, logged");
}

static void test_dirty_log(int pfd)
{
	struct vhost_user_log l = { .mmap_size = LOG_SIZE, .mmap_offset = 0 };
	int log_fd = memfd_create("vuf-log", MFD_CLOEXEC);
	int efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	uint16_t rx_used = 0, tx_avail = 0, start;
	struct vring_used *u0 = used_of(0);
	uint64_t kicks = 0;
	uint32_t big_len;

	if (log_fd < 0 || efd < 0 || ftruncate(log_fd, LOG_SIZE) < 0)
		bail_out("log memfd/eventfd: %s", strerror(errno));
	logbits = mmap(NULL, LOG_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, log_fd, 0);
	if (logbits == MAP_FAILED)
		bail_out("mmap log: %s", strerror(errno));

	/* Before logging: frames flow, the log stays empty. */
	post_rx_buffers(NBUFS);
	ok(send_frame(pfd, 100) == 0 && wait_used(0, ++rx_used),
	   "a frame reaches the guest before logging starts");
	ok(vuf_request(&f, VHOST_USER_SET_LOG_BASE, &l, sizeof(l), &log_fd, 1) == 0 &&
		   vuf_request(&f, VHOST_USER_SET_LOG_FD, NULL, 0, &efd, 1) == 0,
	   "SET_LOG_BASE and SET_LOG_FD while the rings run (%s)", vuf_error);
	ok(dirty_count() == 0, "nothing is logged without LOG_ALL");

	ok(set_logging(true) == 0, "LOG_ALL and VHOST_VRING_F_LOG switched on at run time (%s)",
	   vuf_error);
	memset(logbits, 0, LOG_SIZE);	/* QEMU's first sync reads and clears */
	start = __atomic_load_n(&u0->idx, __ATOMIC_ACQUIRE);
	for (int i = 0; i < SMALL_FRAMES; i++)
		send_frame(pfd, 100 + i);
	rx_used += SMALL_FRAMES;
	ok(wait_used(0, rx_used), "%d frames delivered while logging", SMALL_FRAMES);
	rx_used += 2;
	ok(send_frame(pfd, BIG_FRAME) == 0 && wait_used(0, rx_used),
	   "a %d-byte frame spans two guest buffers (MRG_RXBUF)", BIG_FRAME);
	big_len = u0->ring[(uint16_t)(rx_used - 2) % VUF_RING_NUM].len;
	ok(big_len == BUF_SIZE, "first buffer of the big frame is full (%u bytes)", big_len);
	send_tx_frame(&tx_avail);
	ok(wait_used(1, tx_avail), "a TX frame is consumed while logging");
	check_exact(start, rx_used, true, "logging on");
	ok(!page_dirty(VUF_GPA_BASE + TX_OFFSET), "the TX buffer (only read) is not dirty");
	ok(!page_dirty(VUF_GPA_BASE + BUF_OFFSET + (uint64_t)(rx_used % NBUFS + 1) * BUF_STRIDE),
	   "an RX buffer vuring did not fill is not dirty");
	if (read(efd, &kicks, sizeof(kicks)) != sizeof(kicks))
		kicks = 0;
	ok(kicks > 0, "SET_LOG_FD's eventfd was kicked (%llu)", (unsigned long long)kicks);

	/* Off again: frames keep flowing, nothing is marked, no kick. */
	ok(set_logging(false) == 0, "logging switched off at run time (%s)", vuf_error);
	memset(logbits, 0, LOG_SIZE);
	post_rx_buffers(SMALL_FRAMES + 2);
	for (int i = 0; i < SMALL_FRAMES; i++)
		send_frame(pfd, 100);
	rx_used += SMALL_FRAMES;
	send_tx_frame(&tx_avail);
	ok(wait_used(0, rx_used) && wait_used(1, tx_avail), "frames flow with logging off");
	ok(dirty_count() == 0, "no page is marked once logging is off (%u)", dirty_count());
	ok(read(efd, &kicks, sizeof(kicks)) < 0 && errno == EAGAIN,
	   "and the log eventfd stays quiet");

	/* On again (a second migration attempt), then off with the rings stopped. */
	ok(set_logging(true) == 0, "logging back on");
	memset(logbits, 0, LOG_SIZE);
	start = rx_used;
	send_frame(pfd, 100);
	ok(wait_used(0, ++rx_used), "a frame is delivered");
	check_exact(start, rx_used, false, "logging on again");
	test_short_of_buffers(pfd, rx_used);
	munmap(logbits, LOG_SIZE);
	close(log_fd);
	close(efd);
}

/* Wait for a RARP frame on the TAP; check it announces @mac. */
static void test_rarp(int pfd)
{
	static const uint8_t mac[8] = { 0x52, 0x54, 0x00, 0xab, 0xcd, 0xef };
	unsigned char fr[2048];
	bool seen = false;
	ssize_t n = 0;

	ok(vuf_request(&f, VHOST_USER_SEND_RARP, mac, sizeof(mac), NULL, 0) == 0,
	   "SEND_RARP accepted");
	for (int t = 0; t < 50 && !seen; t++) {
		struct pollfd p = { .fd = pfd, .events = POLLIN };

		if (poll(&p, 1, 100) <= 0)
			continue;
		n = recv(pfd, fr, sizeof(fr), MSG_DONTWAIT);
		seen = n >= 42 && fr[12] == 0x80 && fr[13] == 0x35;
	}
	ok(seen, "a RARP frame comes out of the TAP");
	ok(seen && n == 60 && !memcmp(fr, "\xff\xff\xff\xff\xff\xff", 6) && !memcmp(fr + 6, mac, 6),
	   "broadcast, from the guest's MAC, padded to 60 bytes (%zd)", n);
	ok(seen && fr[14] == 0 && fr[15] == 1 && fr[16] == 0x08 && fr[17] == 0 && fr[18] == 6 &&
		   fr[19] == 4 && fr[20] == 0 && fr[21] == 3 && !memcmp(fr + 22, mac, 6) &&
		   !memcmp(fr + 32, mac, 6),
	   "RFC 903 request-reverse for that MAC (sender and target hardware address)");
}

int main(void)
{
	static const char ini[] = "[backend]\ninterface = " IFNAME "\ncreate = yes\n";
	struct vuf_opts opts = { .nrings = 2 };
	struct vuf_daemon d;
	int pfd;

	if (geteuid() != 0)
		skip_all("needs root (network namespace, TAP)");
	if (!getenv("VURING"))
		skip_all("VURING not set");
	if (unshare(CLONE_NEWNET) < 0)
		skip_all("cannot create a network namespace");
	nh_quiet_ipv6();

	ok(vuf_daemon_start(&d, ini) == 0, "vuring starts on a TAP it creates (%s)", vuf_error);
	ok(vuf_connect(&f, d.sock) == 0 && vuf_handshake(&f, &opts) == 0,
	   "handshake with one queue pair (%s)", vuf_error);
	if (!(f.features & (1ull << VHOST_F_LOG_ALL)) ||
	    !(f.features & (1ull << VIRTIO_NET_F_MRG_RXBUF)))
		bail_out("vuring offers no LOG_ALL or no MRG_RXBUF");
	ok(nh_link_up(IFNAME) == 0, "TAP is up");
	pfd = nh_packet_socket(IFNAME, false);
	ok(pfd >= 0, "raw socket on the TAP");
	if (pfd < 0)
		bail_out("no raw socket");
	test_dirty_log(pfd);
	test_rarp(pfd);
	close(pfd);
	ok(vuf_teardown(&f) == 0, "rings stop (GET_VRING_BASE)");
	vuf_close(&f);
	is_int(vuf_daemon_stop(&d), 0, "vuring exits cleanly");
	ok(!vuf_log_contains(&d, 0, "error:"), "no error in vuring's log");
	vuf_daemon_cleanup(&d);
	return done_testing();
}
