/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vuf_traffic.h - frames through a running vuring and a real TAP, for tests
 * built on the test front-end (vu_frontend.h).
 *
 * The test enters a network namespace of its own (vuft_netns_enter) before
 * it starts the daemon, which then creates (or finds) its TAP there. The
 * helper watches the TAP with an AF_PACKET socket:
 *  - guest -> TAP: a frame put on a TX ring must come out of the TAP, and
 *    its chain must come back in the used ring;
 *  - TAP -> guest: a frame sent into the TAP must land in a buffer posted
 *    on one of the RX rings (the kernel picks the queue).
 * Frames carry the local experimental ethertype and a per-frame marker, so
 * the kernel's own traffic is told apart.
 *
 * Guest memory use (VUF_MEM_SIZE = 4 MiB): rings below 1 MiB (vu_frontend),
 * RX buffers in [1 MiB, 3 MiB), TX buffers in [3 MiB, 3.5 MiB), and
 * [3.5 MiB, 4 MiB) left to tests for hostile descriptor tables and buffers
 * (VUFT_SCRATCH).
 */
#ifndef VURING_TESTS_VUF_TRAFFIC_H
#define VURING_TESTS_VUF_TRAFFIC_H

#include <stdint.h>
#include <linux/virtio_ring.h>

#include "vu_frontend.h"

/* Scratch area of guest memory for the test's own descriptors and buffers. */
#define VUFT_SCRATCH_OFF	(VUF_MEM_SIZE - (512u << 10))
#define VUFT_SCRATCH_SIZE	(512u << 10)

/* Ethertype of test frames (IEEE 802 local experimental). */
#define VUFT_ETHERTYPE		0x88b5

/* The TAP side, and where each ring of the current session stands. */
struct vuft {
	char ifname[16];
	int pkt;			/* AF_PACKET socket bound to the TAP */
	uint32_t marker;		/* next frame's marker */
	uint16_t used_seen[VUF_MAX_RINGS];
};

int vuft_netns_enter(void);
int vuft_open(struct vuft *t, const char *ifname, int timeout_ms);
void vuft_close(struct vuft *t);

/* A fresh handshake was made on @f: take its rings' indexes as they are. */
void vuft_session(struct vuft *t, const struct vuf *f);

/* Guest -> TAP on TX ring @ring (odd); TAP -> guest on any RX ring of @f. */
int vuft_tx(struct vuft *t, struct vuf *f, unsigned int ring, int timeout_ms);
int vuft_rx(struct vuft *t, struct vuf *f, int timeout_ms);
int vuft_both_ways(struct vuft *t, struct vuf *f, int timeout_ms);
/* One frame into the TAP, without waiting for it anywhere. */
int vuft_inject(struct vuft *t);

/* Raw ring access, for tests that build their own (hostile) chains. */
struct vring_desc *vuft_desc(const struct vuf *f, unsigned int ring);
struct vring_avail *vuft_avail(const struct vuf *f, unsigned int ring);
struct vring_used *vuft_used(const struct vuf *f, unsigned int ring);
uint64_t vuft_gpa(uint64_t offset);
void vuft_publish(struct vuf *f, unsigned int ring, uint16_t head);

#endif
