// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vuf_traffic.c - frames through a running vuring and a real TAP (see
 * vuf_traffic.h).
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_packet.h>
#include <linux/virtio_net.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "net_helpers.h"
#include "vuf_traffic.h"

/* Buffer areas (offsets into guest memory); see vuf_traffic.h. */
#define RX_OFF		(1u << 20)
#define RX_PER_RING	(256u << 10)	/* 128 buffers of 2 KiB per RX ring */
#define TX_OFF		(3u << 20)
#define TX_PER_RING	(64u << 10)	/* 32 buffers of 2 KiB per TX ring */
#define BUF_SIZE	2048u
/* RX buffers posted per RX ring and vuft_rx() call: room for the kernel's
 * own frames ahead of ours. */
#define RX_POST		8u
/* Size of a test frame: the Ethernet minimum, header included. */
#define FRAME_LEN	64u
#define HDR_LEN		sizeof(struct virtio_net_hdr_mrg_rxbuf)
/* Where the marker sits in a frame: right after the Ethernet header. */
#define MARK_OFF	14u
#define POLL_MS		1

static const uint8_t frame_src[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x01 };

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/**
 * vuft_netns_enter() - move the test into a network namespace of its own
 *
 * IPv6 is off in it, so the kernel sends no router solicitations or DAD
 * probes through the TAP to compete with the test's frames.
 *
 * Return: 0 or a negative errno (then the test should skip).
 */
int vuft_netns_enter(void)
{
	if (geteuid() != 0)
		return -EPERM;
	return nh_enter_netns(false, NULL);
}

/**
 * vuft_open() - wait for the TAP, bring it up, watch it
 * @t: filled in
 * @ifname: the TAP the daemon serves
 * @timeout_ms: how long the daemon may take to create it
 *
 * Return: 0 or a negative errno.
 */
int vuft_open(struct vuft *t, const char *ifname, int timeout_ms)
{
	struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL) };
	long deadline = now_ms() + timeout_ms;
	int r;

	memset(t, 0, sizeof(*t));
	t->pkt = -1;
	t->marker = 0x5eed0000u;
	snprintf(t->ifname, sizeof(t->ifname), "%s", ifname);
	while (!(sll.sll_ifindex = (int)if_nametoindex(ifname))) {
		if (now_ms() > deadline)
			return -ENODEV;
		nh_sleep_ms(10);
	}
	r = nh_link_up(ifname);
	if (r < 0)
		return r;
	t->pkt = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, htons(ETH_P_ALL));
	if (t->pkt < 0)
		return -errno;
	if (bind(t->pkt, (struct sockaddr *)&sll, sizeof(sll)) < 0) {
		r = -errno;
		close(t->pkt);
		t->pkt = -1;
		return r;
	}
	return 0;
}

void vuft_close(struct vuft *t)
{
	if (t->pkt >= 0)
		close(t->pkt);
	t->pkt = -1;
}

/* ---------------------------------------------------------------- rings */

struct vring_desc *vuft_desc(const struct vuf *f, unsigned int ring)
{
	return (struct vring_desc *)(uintptr_t)vuf_ring_uva(f, ring, VUF_DESC);
}

struct vring_avail *vuft_avail(const struct vuf *f, unsigned int ring)
{
	return (struct vring_avail *)(uintptr_t)vuf_ring_uva(f, ring, VUF_AVAIL);
}

struct vring_used *vuft_used(const struct vuf *f, unsigned int ring)
{
	return (struct vring_used *)(uintptr_t)vuf_ring_uva(f, ring, VUF_USED);
}

/* Guest-physical address of @offset into the helper's guest memory. */
uint64_t vuft_gpa(uint64_t offset)
{
	return VUF_GPA_BASE + offset;
}

/**
 * vuft_publish() - make chain @head available on @ring and kick
 *
 * The descriptors are written before the avail index moves (release), as a
 * driver does. Kicking every time is allowed whatever EVENT_IDX says.
 */
void vuft_publish(struct vuf *f, unsigned int ring, uint16_t head)
{
	struct vring_avail *avail = vuft_avail(f, ring);
	uint16_t idx = __atomic_load_n(&avail->idx, __ATOMIC_RELAXED);

	avail->ring[idx % VUF_RING_NUM] = head;
	__atomic_store_n(&avail->idx, (uint16_t)(idx + 1), __ATOMIC_RELEASE);
	vuf_kick(f, ring);
}

/**
 * vuft_session() - start tracking the rings of a fresh handshake
 *
 * vuf_handshake() leaves every ring empty with avail = used = base.
 */
void vuft_session(struct vuft *t, const struct vuf *f)
{
	for (unsigned int i = 0; i < VUF_MAX_RINGS; i++)
		t->used_seen[i] = i < f->nrings ? vuft_used(f, i)->idx : 0;
}

/* ---------------------------------------------------------------- frames */

static void frame_fill(uint8_t *frame, uint32_t marker)
{
	memset(frame, 0, FRAME_LEN);
	memset(frame, 0xff, 6);
	memcpy(frame + 6, frame_src, 6);
	frame[12] = VUFT_ETHERTYPE >> 8;
	frame[13] = VUFT_ETHERTYPE & 0xff;
	memcpy(frame + MARK_OFF, &marker, sizeof(marker));
}

static bool frame_has(const uint8_t *frame, size_t len, uint32_t marker)
{
	return len >= MARK_OFF + sizeof(marker) && frame[12] == VUFT_ETHERTYPE >> 8 &&
	       frame[13] == (VUFT_ETHERTYPE & 0xff) &&
	       !memcmp(frame + MARK_OFF, &marker, sizeof(marker));
}

/* Has a frame with @marker come out of the TAP? Reads what is queued. */
static bool tap_saw(struct vuft *t, uint32_t marker)
{
	uint8_t buf[2048];
	ssize_t n;

	while ((n = recv(t->pkt, buf, sizeof(buf), MSG_DONTWAIT)) > 0)
		if (frame_has(buf, (size_t)n, marker))
			return true;
	return false;
}

/**
 * vuft_tx() - one frame from the guest out of the TAP
 * @t: the TAP side
 * @f: a connection whose rings run
 * @ring: a TX ring (odd index)
 * @timeout_ms: how long to wait
 *
 * Return: 0 when the frame came out of the TAP and its chain came back
 * used; -ETIMEDOUT, or -EIO for a used entry that is not ours.
 */
int vuft_tx(struct vuft *t, struct vuf *f, unsigned int ring, int timeout_ms)
{
	struct vring_avail *avail = vuft_avail(f, ring);
	struct vring_used *used = vuft_used(f, ring);
	uint16_t head = avail->idx % (TX_PER_RING / BUF_SIZE);
	uint64_t off = TX_OFF + (uint64_t)(ring / 2) * TX_PER_RING + (uint64_t)head * BUF_SIZE;
	uint32_t marker = t->marker++;
	long deadline = now_ms() + timeout_ms;
	bool seen = false, back = false;

	if (ring >= f->nrings || !(ring & 1) || ring / 2 * TX_PER_RING >= (512u << 10))
		return -EINVAL;
	memset(f->mem + off, 0, HDR_LEN);
	frame_fill(f->mem + off + HDR_LEN, marker);
	vuft_desc(f, ring)[head] = (struct vring_desc){
		.addr = vuft_gpa(off), .len = HDR_LEN + FRAME_LEN, .flags = 0, .next = 0,
	};
	tap_saw(t, 0);		/* drop whatever queued up before */
	vuft_publish(f, ring, head);
	do {
		seen = seen || tap_saw(t, marker);
		while (!back && t->used_seen[ring] != __atomic_load_n(&used->idx, __ATOMIC_ACQUIRE)) {
			if (used->ring[t->used_seen[ring] % VUF_RING_NUM].id != head)
				return -EIO;
			t->used_seen[ring]++;
			back = true;
		}
		if (seen && back)
			return 0;
		nh_sleep_ms(POLL_MS);
	} while (now_ms() < deadline);
	return -ETIMEDOUT;
}

/*
 * Top RX ring @ring up to RX_POST posted 2 KiB buffers. Never more: the
 * ring must not hold more entries than it has slots.
 */
static void rx_post(struct vuft *t, struct vuf *f, unsigned int ring)
{
	struct vring_avail *avail = vuft_avail(f, ring);
	uint16_t posted = (uint16_t)(avail->idx - t->used_seen[ring]);
	unsigned int n = posted < RX_POST ? RX_POST - posted : 0;

	for (unsigned int i = 0; i < n; i++) {
		uint16_t head = (uint16_t)((avail->idx + i) % (RX_PER_RING / BUF_SIZE));
		uint64_t off = RX_OFF + (uint64_t)(ring / 2) * RX_PER_RING +
			       (uint64_t)head * BUF_SIZE;

		vuft_desc(f, ring)[head] = (struct vring_desc){
			.addr = vuft_gpa(off), .len = BUF_SIZE, .flags = VRING_DESC_F_WRITE,
		};
		avail->ring[(avail->idx + i) % VUF_RING_NUM] = head;
	}
	__atomic_store_n(&avail->idx, (uint16_t)(avail->idx + n), __ATOMIC_RELEASE);
	vuf_kick(f, ring);
}

/* Did a used entry of RX ring @ring bring a frame with @marker? */
static bool rx_got(struct vuft *t, struct vuf *f, unsigned int ring, uint32_t marker)
{
	struct vring_used *used = vuft_used(f, ring);
	bool got = false;

	while (t->used_seen[ring] != __atomic_load_n(&used->idx, __ATOMIC_ACQUIRE)) {
		struct vring_used_elem e = used->ring[t->used_seen[ring]++ % VUF_RING_NUM];
		uint64_t off = RX_OFF + (uint64_t)(ring / 2) * RX_PER_RING +
			       (uint64_t)(e.id % (RX_PER_RING / BUF_SIZE)) * BUF_SIZE;

		if (e.len > HDR_LEN && e.len <= BUF_SIZE &&
		    frame_has(f->mem + off + HDR_LEN, e.len - HDR_LEN, marker))
			got = true;
	}
	return got;
}

/**
 * vuft_inject() - send one test frame into the TAP, towards the guest
 * Return: 0 or a negative errno.
 */
int vuft_inject(struct vuft *t)
{
	uint8_t frame[FRAME_LEN];

	frame_fill(frame, t->marker++);
	return send(t->pkt, frame, sizeof(frame), 0) == (ssize_t)sizeof(frame) ? 0 : -errno;
}

/**
 * vuft_rx() - one frame into the TAP, into a guest RX buffer
 * @t: the TAP side
 * @f: a connection whose rings run
 * @timeout_ms: how long to wait
 *
 * Buffers are posted on every RX ring of @f: the kernel chooses the queue.
 *
 * Return: 0 when the frame arrived in the guest, or -ETIMEDOUT.
 */
int vuft_rx(struct vuft *t, struct vuf *f, int timeout_ms)
{
	long deadline = now_ms() + timeout_ms;
	uint8_t frame[FRAME_LEN];
	uint32_t marker = t->marker++;
	unsigned int ring;

	for (ring = 0; ring < f->nrings && ring / 2 * RX_PER_RING < (2u << 20); ring += 2)
		rx_post(t, f, ring);
	frame_fill(frame, marker);
	if (send(t->pkt, frame, sizeof(frame), 0) != (ssize_t)sizeof(frame))
		return -errno;
	do {
		for (ring = 0; ring < f->nrings; ring += 2) {
			if (rx_got(t, f, ring, marker))
				return 0;
			/* Frames queued before ours (a flood) eat buffers: keep
			 * posting until ours is through. */
			rx_post(t, f, ring);
		}
		nh_sleep_ms(POLL_MS);
	} while (now_ms() < deadline);
	return -ETIMEDOUT;
}

/**
 * vuft_both_ways() - a frame out on every TX ring, and one frame in
 * Return: 0, or the first failure.
 */
int vuft_both_ways(struct vuft *t, struct vuf *f, int timeout_ms)
{
	int r = 0;

	for (unsigned int ring = 1; !r && ring < f->nrings; ring += 2)
		r = vuft_tx(t, f, ring, timeout_ms);
	return r ? r : vuft_rx(t, f, timeout_ms);
}
