// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test_ring_stop.c - stopping an RX ring while frames pour in: after
 * GET_VRING_BASE has answered, vuring must never write the ring's buffers or
 * its used ring again (the front-end owns them from that moment on).
 *
 * Runs in a network namespace of its own (unshare), where vuring creates
 * its TAP; a child process floods the TAP with frames through AF_PACKET
 * while the test front-end keeps the guest's RX ring full, then stops it.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <linux/virtio_ring.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "net_helpers.h"
#include "tap.h"
#include "vu_frontend.h"

#define IFNAME "vurs0"
/* RX buffers the guest posts, 2 KiB each, past the rings in guest memory. */
#define NBUFS 128
#define BUF_SIZE 2048
#define BUF_OFFSET (2u << 20)
/* How long we watch guest memory for late writes after the stop. */
#define QUIET_MS 500

/* The flooder: broadcast frames onto IFNAME until killed. */
static void __attribute__((noreturn)) flood(void)
{
	struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL) };
	unsigned char frame[128];
	int fd = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL));

	sll.sll_ifindex = (int)if_nametoindex(IFNAME);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sll, sizeof(sll)) < 0)
		_exit(1);
	memset(frame, 0xff, 6);
	memcpy(frame + 6, "\x02\x00\x00\x00\x00\x02", 6);
	frame[12] = 0x88;
	frame[13] = 0xb5;
	memset(frame + 14, 0xab, sizeof(frame) - 14);
	for (;;)
		if (send(fd, frame, sizeof(frame), 0) < 0)
			nh_sleep_ms(1);
}

/*
 * Recycle for @ms: every buffer vuring hands back goes straight back on the
 * avail ring, as a guest driver does, so RX stays busy up to the stop.
 * Return: frames received meanwhile.
 */
static unsigned int recycle(struct vuf *f, int ms)
{
	struct vring_avail *avail = (void *)(uintptr_t)vuf_ring_uva(f, 0, VUF_AVAIL);
	struct vring_used *used = (void *)(uintptr_t)vuf_ring_uva(f, 0, VUF_USED);
	uint16_t seen = 0, next = NBUFS;
	unsigned int frames = 0;

	for (int t = 0; t < ms; t++) {
		uint16_t idx = __atomic_load_n(&used->idx, __ATOMIC_ACQUIRE);

		for (; seen != idx; seen++, frames++)
			avail->ring[next++ % VUF_RING_NUM] =
				(uint16_t)used->ring[seen % VUF_RING_NUM].id;
		__atomic_store_n(&avail->idx, next, __ATOMIC_RELEASE);
		vuf_kick(f, 0);
		nh_sleep_ms(1);
	}
	return frames;
}

/* Post every buffer on RX ring 0 and kick. */
static void post_rx_buffers(struct vuf *f)
{
	struct vring_desc *desc = (void *)(uintptr_t)vuf_ring_uva(f, 0, VUF_DESC);
	struct vring_avail *avail = (void *)(uintptr_t)vuf_ring_uva(f, 0, VUF_AVAIL);

	for (unsigned int i = 0; i < NBUFS; i++) {
		desc[i].addr = VUF_GPA_BASE + BUF_OFFSET + (uint64_t)i * BUF_SIZE;
		desc[i].len = BUF_SIZE;
		desc[i].flags = VRING_DESC_F_WRITE;
		desc[i].next = 0;
		avail->ring[i] = (uint16_t)i;
	}
	__atomic_store_n(&avail->idx, NBUFS, __ATOMIC_RELEASE);
	vuf_kick(f, 0);
}

int main(void)
{
	static const char ini[] = "[backend]\ninterface = " IFNAME "\ncreate = yes\n";
	struct vuf_opts opts = { .nrings = 2 };
	struct vuf_daemon d;
	struct vuf f = { .fd = -1 };
	struct vring_used *used;
	uint8_t *snap = NULL;
	uint16_t used_before, used_idx = 0;
	uint32_t base = 0;
	pid_t flooder = -1;
	int i;

	if (geteuid() != 0)
		skip_all("needs root (network namespace, TAP)");
	if (!getenv("VURING"))
		skip_all("VURING not set");
	if (unshare(CLONE_NEWNET) < 0)
		skip_all("cannot create a network namespace");
	plan(7);

	ok(vuf_daemon_start(&d, ini) == 0, "vuring starts on a TAP it creates (%s)", vuf_error);
	ok(vuf_connect(&f, d.sock) == 0 && vuf_handshake(&f, &opts) == 0,
	   "handshake with one queue pair (%s)", vuf_error);
	ok(nh_link_up(IFNAME) == 0, "TAP is up");

	used = (void *)(uintptr_t)vuf_ring_uva(&f, 0, VUF_USED);
	memset(f.mem + BUF_OFFSET, 0x5a, (size_t)NBUFS * BUF_SIZE);
	post_rx_buffers(&f);
	flooder = fork();
	if (flooder == 0)
		flood();

	/* Wait until frames land in guest buffers: the RX path is busy. */
	for (i = 0; i < 500; i++) {
		used_idx = __atomic_load_n(&used->idx, __ATOMIC_ACQUIRE);
		if (used_idx > 0)
			break;
		nh_sleep_ms(10);
	}
	ok(used_idx > 0 && recycle(&f, 300) > NBUFS,
	   "frames keep arriving in recycled RX buffers (first used idx %u)", used_idx);

	ok(vuf_get_vring_base(&f, 0, &base) == 0, "GET_VRING_BASE answers while frames pour in (%s)",
	   vuf_error);
	used_before = __atomic_load_n(&used->idx, __ATOMIC_ACQUIRE);
	snap = malloc((size_t)NBUFS * BUF_SIZE);
	if (snap)
		memcpy(snap, f.mem + BUF_OFFSET, (size_t)NBUFS * BUF_SIZE);
	nh_sleep_ms(QUIET_MS);
	ok(snap && __atomic_load_n(&used->idx, __ATOMIC_ACQUIRE) == used_before &&
		   !memcmp(snap, f.mem + BUF_OFFSET, (size_t)NBUFS * BUF_SIZE),
	   "no buffer or used entry written in %d ms after the reply (used idx %u, base %u)",
	   QUIET_MS, used_before, base);

	kill(flooder, SIGKILL);
	waitpid(flooder, NULL, 0);
	vuf_close(&f);
	is_int(vuf_daemon_stop(&d), 0, "vuring exits cleanly");
	vuf_daemon_cleanup(&d);
	free(snap);
	return done_testing();
}
