// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test_backend_tap.c - the TAP back-end against real TAP devices, inside a
 * network (and mount) namespace this test creates for itself: open errors,
 * multiqueue open, vnet header size, offloads, frames written through
 * io_uring WRITEV seen by an AF_PACKET socket, frames injected with
 * AF_PACKET read through io_uring READV with their vnet header, GSO frames
 * accepted and bad headers refused, queue detach/attach, and cancel-and-wait
 * of reads on a TAP that gets no traffic.
 *
 * Needs root (CAP_NET_ADMIN, CAP_SYS_ADMIN for the namespaces) and
 * /dev/net/tun; skips otherwise. The namespaces die with the process, so
 * there is nothing to clean up.
 */
#include "config.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/ethtool.h>
#include <linux/if_packet.h>
#include <linux/if_tun.h>
#include <linux/sockios.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <unistd.h>

#include "backend.h"
#include "backend_io.h"
#include "log.h"
#include "net_helpers.h"
#include "tap.h"
#include "uring.h"

#define TEST_TIMEOUT_S 30
#define IFNAME "vutap0"
#define NQ 4
#define FRAME_LEN 96
#define HDR_LEN ((int)sizeof(struct virtio_net_hdr_mrg_rxbuf))
/* How long to wait for a frame that should come (ms, in 10 ms steps). */
#define WAIT_MS 2000

static void enter_namespace(void)
{
	const char *what;

	if (geteuid() != 0)
		skip_all("needs root for network namespaces and TAP devices");
	if (access("/dev/net/tun", R_OK | W_OK) < 0)
		skip_all("no usable /dev/net/tun");
	if (nh_enter_netns(true, &what) < 0) {
		diag("cannot %s", what);
		skip_all("no network/mount namespace of our own");
	}
}

static void conf_for(struct conf *c, unsigned int qp, bool create)
{
	memset(c, 0, sizeof(*c));
	c->backend = CONF_BACKEND_TAP;
	c->ifname = (char *)IFNAME;
	c->create_tap = create;
	c->queue_pairs = qp;
	c->uring_entries = 256;
}

/* A number from /sys/class/net/IFNAME/@file, or -1. */
static long sysfs_long(const char *file)
{
	char path[256], buf[64];
	long v = -1;
	int fd, n;

	snprintf(path, sizeof(path), "/sys/class/net/" IFNAME "/%s", file);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = (int)read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n > 0) {
		buf[n] = 0;
		v = strtol(buf, NULL, 0);
	}
	return v;
}

static int count_tx_queues(void)
{
	DIR *d = opendir("/sys/class/net/" IFNAME "/queues");
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		n += !strncmp(e->d_name, "tx-", 3);
	closedir(d);
	return n;
}

static int ethtool_get(int cmd)
{
	struct ethtool_value ev = { .cmd = (uint32_t)cmd };
	struct ifreq ifr;
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), r;

	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, IFNAME);
	ifr.ifr_data = (void *)&ev;
	r = ioctl(s, SIOCETHTOOL, &ifr);
	close(s);
	return r < 0 ? -1 : (int)ev.data;
}

static void wait_done(struct uring *u, struct io *io, int n)
{
	for (int t = 0; t < WAIT_MS / 10; t++) {
		for (int i = 0; i < n; i++)
			if (io[i].done)
				return;
		uring_reap(u);
		poll(NULL, 0, 10);
	}
}

static void test_open_errors(struct uring *u)
{
	struct backend *be = NULL;
	struct conf c;
	struct ifreq ifr;
	int fd;

	conf_for(&c, 1, false);
	is_int(backend_open(&c, u, &be), -ENODEV, "a missing TAP without create_tap: -ENODEV");

	/* A single-queue TAP held by someone else. */
	fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, IFNAME);
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
	ok(fd >= 0 && ioctl(fd, TUNSETIFF, &ifr) == 0, "a single-queue TAP exists");
	conf_for(&c, NQ, false);
	is_int(backend_open(&c, u, &be), -EINVAL, "asking it for %d queues: -EINVAL", NQ);
	conf_for(&c, 1, false);
	is_int(backend_open(&c, u, &be), -EBUSY, "its only queue is taken: -EBUSY");
	close(fd);
	c.ifname = (char *)"a-name-much-too-long-for-linux";
	is_int(backend_open(&c, u, &be), -EINVAL, "an overlong name: -EINVAL");
}

static void test_open(struct backend *be)
{
	long flags = sysfs_long("tun_flags");
	int len = 0;

	ok(flags > 0 && (flags & IFF_MULTI_QUEUE) && (flags & IFF_VNET_HDR) &&
	   (flags & IFF_NO_PI) && (flags & IFF_TAP),
	   "TAP created with IFF_TAP|IFF_NO_PI|IFF_VNET_HDR|IFF_MULTI_QUEUE (%#lx)", flags);
	is_int(count_tx_queues(), NQ, "%d queues attached", NQ);
	is_int(sysfs_long("mtu"), 1400, "MTU set from the config");
	ok(sysfs_long("flags") & IFF_UP, "the created TAP is up");
	ok(ioctl(backend_queue_fd(be, 0), TUNGETVNETHDRSZ, &len) == 0 && len == 12,
	   "vnet header size 12 by default");
	is_int(backend_set_vnet_hdr_len(be, 10), 0, "header size 10 accepted");
	ok(ioctl(backend_queue_fd(be, 3), TUNGETVNETHDRSZ, &len) == 0 && len == 10,
	   "and applied to the device");
	is_int(backend_set_vnet_hdr_len(be, 11), -EINVAL, "header size 11 refused");
	is_int(backend_set_vnet_hdr_len(be, HDR_LEN), 0, "back to 12");
}

static void test_offloads(struct backend *be)
{
	uint64_t off = backend_offloads(be);
	uint64_t want = BACKEND_F(VIRTIO_NET_F_GUEST_CSUM) | BACKEND_F(VIRTIO_NET_F_GUEST_TSO4) |
			BACKEND_F(VIRTIO_NET_F_GUEST_TSO6) | BACKEND_F(VIRTIO_NET_F_CSUM) |
			BACKEND_F(VIRTIO_NET_F_HOST_TSO4) | BACKEND_F(VIRTIO_NET_F_HOST_TSO6);

	ok((off & want) == want, "the TAP accepts csum and TSO both ways (%#llx)",
	   (unsigned long long)off);
	ok(!(off & ~BACKEND_OFFLOAD_MASK), "and reports nothing but offload bits");
	is_int(ethtool_get(ETHTOOL_GTSO), 0, "TSO off before negotiation");
	is_int(backend_set_offloads(be, BACKEND_F(VIRTIO_NET_F_GUEST_CSUM) |
					BACKEND_F(VIRTIO_NET_F_GUEST_TSO4)), 0,
	       "GUEST_CSUM|GUEST_TSO4 applied");
	is_int(ethtool_get(ETHTOOL_GTSO), 1, "the TAP now does TSO");
	is_int(ethtool_get(ETHTOOL_GTXCSUM), 1, "and checksum offload");
	is_int(backend_set_offloads(be, BACKEND_F(VIRTIO_NET_F_GUEST_TSO4)), 0,
	       "GUEST_TSO4 without GUEST_CSUM");
	is_int(ethtool_get(ETHTOOL_GTSO), 0, "turns everything off, as the spec says");
}

static void test_tx(struct uring *u, struct backend *be)
{
	static unsigned char frame[FRAME_LEN], got[4096];
	struct virtio_net_hdr_mrg_rxbuf hdr;
	struct uring_group g;
	struct iovec iov[2];
	struct io io[NQ];
	long rx0 = sysfs_long("statistics/rx_packets");
	int ps = nh_packet_socket(IFNAME, true), q, seen = 0, n;

	ok(ps >= 0, "AF_PACKET socket on the TAP");
	uring_group_init(&g);
	memset(&hdr, 0, sizeof(hdr));
	iov[0] = (struct iovec){ &hdr, sizeof(hdr) };
	iov[1] = (struct iovec){ frame, sizeof(frame) };
	for (q = 0; q < NQ; q++) {
		nh_make_frame(frame, FRAME_LEN, (unsigned char)q);
		io_init(&io[q], &g, (unsigned int)q);
		backend_tx(be, (unsigned int)q, &io[q].op, iov, 2);
		/* the kernel copies the iovec at submit, the frame at write */
		backend_flush(be);
		n = nh_recv_frame(ps, got, sizeof(got), WAIT_MS);
		seen += n == FRAME_LEN && !memcmp(got, frame, FRAME_LEN);
	}
	is_int(io[0].res + io[1].res + io[2].res + io[3].res, NQ * (HDR_LEN + FRAME_LEN),
	       "4 writev completions, one per queue, each header + frame bytes");
	is_int(seen, NQ, "AF_PACKET saw the 4 frames, byte for byte, without the header");
	is_int(sysfs_long("statistics/rx_packets") - rx0, NQ,
	       "the TAP counted 4 frames in");
	close(ps);
}

/* A TCPv4 super-frame with a GSO header: the TAP must take it whole. */
static int write_gso(struct uring *u, struct backend *be, uint16_t gso_size)
{
	static unsigned char f[14 + 20 + 20 + 2800];
	struct virtio_net_hdr_mrg_rxbuf hdr;
	struct uring_group g;
	struct iovec iov[2];
	struct io io;
	uint16_t tot = htons(sizeof(f) - 14);

	memset(f, 0, sizeof(f));
	nh_make_frame(f, 14, 9);
	f[12] = 0x08;
	f[13] = 0x00;		/* IPv4 */
	f[14] = 0x45;
	memcpy(f + 16, &tot, 2);
	f[22] = 64;		/* TTL */
	f[23] = 6;		/* TCP */
	memcpy(f + 26, (unsigned char[]){ 10, 0, 0, 1, 10, 0, 0, 2 }, 8);
	f[14 + 20 + 12] = 5 << 4;	/* TCP data offset */
	memset(&hdr, 0, sizeof(hdr));
	hdr.hdr.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
	hdr.hdr.gso_type = VIRTIO_NET_HDR_GSO_TCPV4;
	hdr.hdr.gso_size = gso_size;
	hdr.hdr.hdr_len = 14 + 20 + 20;
	hdr.hdr.csum_start = 14 + 20;
	hdr.hdr.csum_offset = 16;
	iov[0] = (struct iovec){ &hdr, sizeof(hdr) };
	iov[1] = (struct iovec){ f, sizeof(f) };
	uring_group_init(&g);
	io_init(&io, &g, 0);
	backend_tx(be, 0, &io.op, iov, 2);
	backend_flush(be);
	return io.done ? io.res : -ETIME;
}

static void test_gso(struct uring *u, struct backend *be)
{
	is_int(write_gso(u, be, 1400), HDR_LEN + 2854, "a 2800-byte TSO frame is written whole");
	is_int(write_gso(u, be, 0), -EINVAL, "a TSO header with gso_size 0 is refused");
}

static void test_rx(struct uring *u, struct backend *be)
{
	static unsigned char frame[FRAME_LEN];
	static struct io io[NQ];
	struct uring_group g;
	int ps = nh_packet_socket(IFNAME, true), q, posted = 0, got = -1, good;

	uring_group_init(&g);
	for (q = 0; q < NQ; q++) {
		io_init(&io[q], &g, (unsigned int)q);
		memset(io[q].buf, 0xee, sizeof(io[q].buf));
		posted += backend_rx(be, (unsigned int)q, &io[q].op, io[q].iov, 1) == 0;
	}
	backend_flush(be);
	is_int(posted, NQ, "a readv posted on each of the %d queues", NQ);
	is_int(io[0].done + io[1].done + io[2].done + io[3].done, 0, "no frame yet, all pending");
	nh_make_frame(frame, FRAME_LEN, 0x42);
	ok(send(ps, frame, FRAME_LEN, 0) == FRAME_LEN, "injected a frame with AF_PACKET");
	wait_done(u, io, NQ);
	for (q = 0; q < NQ; q++)
		if (io[q].done)
			got = q;
	ok(got >= 0, "one queue's readv completed (queue %d)", got);
	if (got < 0)
		got = 0;
	is_int(io[got].res, HDR_LEN + FRAME_LEN, "with header + frame bytes");
	good = 1;
	for (q = 0; q < (int)sizeof(struct virtio_net_hdr); q++)
		good &= io[got].buf[q] == 0;
	ok(good, "a plain virtio_net_hdr in front (no GSO, no csum flags)");
	ok(!memcmp(io[got].buf + HDR_LEN, frame, FRAME_LEN), "followed by the frame");
	is_int(g.inflight, NQ - 1, "the other reads are still pending");
	is_int(backend_cancel(be, &g), 0, "cancel the reads on a silent TAP");
	is_int(g.inflight, 0, "cancel returned only when all reads were done");
	close(ps);
}

static void test_queue_enable(struct uring *u, struct backend *be)
{
	static unsigned char frame[FRAME_LEN];
	static struct io io[NQ];
	struct uring_group g;
	int ps = nh_packet_socket(IFNAME, true), q, i, on_q0 = 0, refused = 0;

	uring_group_init(&g);
	for (q = 1; q < NQ; q++)
		refused += backend_queue_enable(be, (unsigned int)q, false) == 0;
	is_int(refused, NQ - 1, "queues 1-3 detached");
	is_int(count_tx_queues(), 1, "the TAP has one queue left");
	io_init(&io[1], &g, 1);
	is_int(backend_rx(be, 1, &io[1].op, io[1].iov, 1), -ENOTCONN,
	       "posting on a detached queue: -ENOTCONN");
	for (i = 0; i < 8; i++) {
		io_init(&io[0], &g, 0);
		backend_rx(be, 0, &io[0].op, io[0].iov, 1);
		backend_flush(be);
		nh_make_frame(frame, FRAME_LEN, (unsigned char)(0x50 + i));
		if (send(ps, frame, FRAME_LEN, 0) != FRAME_LEN)
			break;
		wait_done(u, io, 1);
		on_q0 += io[0].res == HDR_LEN + FRAME_LEN;
	}
	is_int(on_q0, 8, "8 frames with different flows all arrived on queue 0");
	is_int(backend_set_offloads(be, 0), 0, "settings still apply with queues detached");
	for (q = 1; q < NQ; q++)
		backend_queue_enable(be, (unsigned int)q, true);
	is_int(count_tx_queues(), NQ, "re-attached: %d queues again", NQ);
	is_int(backend_queue_enable(be, 1, true), 0, "attaching twice is harmless");
	is_int(backend_queue_enable(be, NQ, true), -EINVAL, "queue pair out of range refused");
	close(ps);
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
	r = uring_new(NULL, 256, &u);
	if (r < 0)
		skip_all("io_uring unavailable");
	plan(48);
	test_open_errors(u);
	conf_for(&c, NQ, true);
	c.mtu = 1400;
	r = backend_open(&c, u, &be);
	is_int(r, 0, "TAP %s created with %d queues", IFNAME, NQ);
	if (r < 0) {
		uring_free(u);
		return done_testing();
	}
	test_open(be);
	test_offloads(be);
	test_tx(u, be);
	test_gso(u, be);
	test_rx(u, be);
	test_queue_enable(u, be);
	backend_close(be);
	ok(if_nametoindex(IFNAME) == 0, "closing the back-end removed the TAP it created");
	uring_free(u);
	return done_testing();
}
