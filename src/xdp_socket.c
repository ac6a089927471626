// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * xdp_socket.c - one queue pair's AF_XDP sockets and UMEM: allocate,
 * register, bind, hand the RX frames to the fill ring; close and report the
 * kernel's drop counters; and check beforehand that the interface has the
 * queues and an MTU the UMEM frames can hold. See xdp_socket.h.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/if_xdp.h>

#include "log.h"
#include "xdp_socket.h"

/* UAPI name newer than Debian 12's linux-libc-dev (6.1); value from 6.17. */
#ifndef XDP_MAX_TX_SKB_BUDGET
#define XDP_MAX_TX_SKB_BUDGET 9
#endif

/* A frame on the wire may carry one VLAN tag on top of the MTU. */
#define XDP_VLAN_HLEN 4

/*
 * The kernel frees a closed AF_XDP socket's hold on its queue in deferred
 * work, so a queue a previous vuring just let go of (a restart) can refuse
 * a bind with EBUSY for a moment: retry for up to a second before saying
 * someone else has it.
 */
#define XDP_BIND_RETRIES 20
#define XDP_BIND_RETRY_US 50000

/**
 * explain() - log why setting up one queue failed, in the admin's terms
 * @s: the queue's sockets
 * @what: what failed ("bind an AF_XDP socket")
 * @err: positive errno
 */
static void explain(const struct xdp_socket *s, const char *what, int err)
{
	switch (err) {
	case EPERM:
	case EACCES:
		log_error("%s: creating AF_XDP sockets needs CAP_NET_RAW (or root)", s->ifname);
		break;
	case EAFNOSUPPORT:
		log_error("this kernel has no AF_XDP sockets (CONFIG_XDP_SOCKETS)");
		break;
	case ENOBUFS:
	case ENOMEM:
		log_error("%s queue %u: cannot %s: %s (the UMEM is %zu MiB: raise RLIMIT_MEMLOCK, "
			  "LimitMEMLOCK= in a unit, or lower [xdp] umem-frames/frame-size)",
			  s->ifname, s->queue, what, strerror(err), s->area_len >> 20);
		break;
	case EBUSY:
		log_error("%s queue %u already has an AF_XDP socket (another vuring, or another "
			  "AF_XDP program): pick other queues with [xdp] queue", s->ifname, s->queue);
		break;
	case EOPNOTSUPP:
		log_error("%s queue %u: the driver cannot do zero-copy AF_XDP: "
			  "set [xdp] mode = auto or copy", s->ifname, s->queue);
		break;
	case EINVAL:
		log_error("%s queue %u: cannot %s: %s (is the queue out of range?)", s->ifname,
			  s->queue, what, strerror(err));
		break;
	default:
		log_error("%s queue %u: cannot %s: %s", s->ifname, s->queue, what, strerror(err));
	}
}

/**
 * umem_open() - allocate and register the UMEM
 * Return: 0 or a negative errno (logged).
 */
static int umem_open(struct xdp_socket *s, const struct xdp_socket_cfg *cfg)
{
	struct xsk_umem_config ucfg = {
		.fill_size = cfg->rx_frames,
		.comp_size = cfg->tx_frames,
		.frame_size = cfg->frame_size,
		.frame_headroom = 0,
		.flags = 0,
	};
	int r;

	s->area_len = (size_t)(cfg->rx_frames + cfg->tx_frames) * cfg->frame_size;
	s->area = mmap(NULL, s->area_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		       -1, 0);
	if (s->area == MAP_FAILED) {
		s->area = NULL;
		r = -errno;
		explain(s, "allocate the UMEM", -r);
		return r;
	}
	r = xsk_umem__create(&s->umem, s->area, s->area_len, &s->fill, &s->comp, &ucfg);
	if (r < 0) {
		s->umem = NULL;
		explain(s, "register the UMEM", -r);
	}
	return r;
}

/* Bind flags for [xdp] mode; with neither flag the kernel tries zero-copy first. */
static __u16 bind_flags(enum conf_xdp_mode mode)
{
	switch (mode) {
	case CONF_XDP_ZEROCOPY:
		return XDP_USE_NEED_WAKEUP | XDP_ZEROCOPY;
	case CONF_XDP_COPY:
		return XDP_USE_NEED_WAKEUP | XDP_COPY;
	default:
		return XDP_USE_NEED_WAKEUP;
	}
}

/**
 * rx_socket_open() - the socket that owns the UMEM and receives
 *
 * Its bind settles zero-copy or copy for the queue; the send socket shares
 * whatever it got.
 *
 * Return: 0 or a negative errno (logged).
 */
static int rx_socket_open(struct xdp_socket *s, const struct xdp_socket_cfg *cfg)
{
	struct xsk_socket_config scfg = {
		.rx_size = cfg->rx_frames,
		/* xdp_prog.c, not libxdp, manages the program. */
		.libxdp_flags = XSK_LIBXDP_FLAGS__INHIBIT_PROG_LOAD,
		.bind_flags = bind_flags(cfg->mode),
	};
	struct xdp_options opts;
	socklen_t len = sizeof(opts);
	int r;

	for (int tries = 0;; tries++) {
		r = xsk_socket__create(&s->rx_xsk, s->ifname, s->queue, s->umem, &s->rx, NULL,
				       &scfg);
		if (r != -EBUSY || tries == XDP_BIND_RETRIES)
			break;
		usleep(XDP_BIND_RETRY_US);
	}
	if (r < 0) {
		s->rx_xsk = NULL;
		explain(s, "bind an AF_XDP socket", -r);
		return r;
	}
	s->rx_fd = xsk_socket__fd(s->rx_xsk);
	if (getsockopt(s->rx_fd, SOL_XDP, XDP_OPTIONS, &opts, &len) == 0)
		s->zerocopy = opts.flags & XDP_OPTIONS_ZEROCOPY;
	return 0;
}

/**
 * tx_socket_open() - the socket that sends, on the receive socket's UMEM
 * Return: 0 or a negative errno (logged).
 */
static int tx_socket_open(struct xdp_socket *s, const struct xdp_socket_cfg *cfg)
{
	struct xsk_socket_config scfg = {
		.tx_size = cfg->tx_frames,
		.libxdp_flags = XSK_LIBXDP_FLAGS__INHIBIT_PROG_LOAD,
	};
	unsigned int budget = cfg->tx_frames;
	int r;

	r = xsk_socket__create_shared(&s->tx_xsk, s->ifname, s->queue, s->umem, NULL, &s->tx,
				      &s->fill, &s->comp, &scfg);
	if (r < 0) {
		s->tx_xsk = NULL;
		explain(s, "bind a second AF_XDP socket to the UMEM", -r);
		return r;
	}
	s->tx_fd = xsk_socket__fd(s->tx_xsk);
	/* Copy mode sends 32 frames per kick unless told more (6.17+). */
	if (!s->zerocopy &&
	    setsockopt(s->tx_fd, SOL_XDP, XDP_MAX_TX_SKB_BUDGET, &budget, sizeof(budget)) < 0)
		log_debug("%s queue %u: XDP_MAX_TX_SKB_BUDGET: %s (32 frames per kick)",
			  s->ifname, s->queue, strerror(errno));
	return 0;
}

/**
 * fill_all() - hand every RX frame to the kernel
 *
 * The fill ring is as large as the RX frames: it takes them all.
 */
static void fill_all(struct xdp_socket *s, unsigned int rx_frames)
{
	__u32 idx, i;

	if (xsk_ring_prod__reserve(&s->fill, rx_frames, &idx) != rx_frames)
		return;
	for (i = 0; i < rx_frames; i++)
		*xsk_ring_prod__fill_addr(&s->fill, idx + i) = (uint64_t)i * s->frame_size;
	xsk_ring_prod__submit(&s->fill, rx_frames);
}

/**
 * xdp_socket_open() - UMEM and both sockets of one queue pair
 * @s: zeroed, or closed
 * @cfg: interface, queue, sizes, mode
 *
 * On failure @s still needs xdp_socket_close().
 *
 * Return: 0 or a negative errno (logged).
 */
int xdp_socket_open(struct xdp_socket *s, const struct xdp_socket_cfg *cfg)
{
	int r;

	s->ifname = cfg->ifname;
	s->queue = cfg->queue;
	s->frame_size = cfg->frame_size;
	s->rx_fd = s->tx_fd = -1;
	s->rx_end = (uint64_t)cfg->rx_frames * cfg->frame_size;
	r = umem_open(s, cfg);
	if (r == 0)
		r = rx_socket_open(s, cfg);
	if (r == 0)
		r = tx_socket_open(s, cfg);
	if (r == 0)
		fill_all(s, cfg->rx_frames);
	return r;
}

/**
 * log_stats() - the kernel's drop counters of the queue's sockets
 */
static void log_stats(const struct xdp_socket *s)
{
	struct xdp_statistics rx, tx;
	socklen_t len = sizeof(rx);

	memset(&tx, 0, sizeof(tx));
	if (getsockopt(s->rx_fd, SOL_XDP, XDP_STATISTICS, &rx, &len) < 0)
		return;
	len = sizeof(tx);
	if (s->tx_fd >= 0)
		getsockopt(s->tx_fd, SOL_XDP, XDP_STATISTICS, &tx, &len);
	log_info("%s queue %u (AF_XDP): rx dropped %llu, rx ring full %llu, "
		 "fill ring empty %llu, invalid descriptors rx %llu tx %llu",
		 s->ifname, s->queue, (unsigned long long)rx.rx_dropped,
		 (unsigned long long)rx.rx_ring_full,
		 (unsigned long long)rx.rx_fill_ring_empty_descs,
		 (unsigned long long)rx.rx_invalid_descs, (unsigned long long)tx.tx_invalid_descs);
}

/**
 * xdp_socket_close() - close the sockets and free the UMEM
 *
 * Only getsockopt, munmap and close: safe once privileges are dropped. The
 * kernel takes the receive socket out of the XSKMAP as it closes.
 */
void xdp_socket_close(struct xdp_socket *s)
{
	if (s->rx_xsk)
		log_stats(s);
	if (s->tx_xsk)
		xsk_socket__delete(s->tx_xsk);
	if (s->rx_xsk)
		xsk_socket__delete(s->rx_xsk);
	if (s->umem)
		xsk_umem__delete(s->umem);
	if (s->area)
		munmap(s->area, s->area_len);
	s->tx_xsk = s->rx_xsk = NULL;
	s->umem = NULL;
	s->area = NULL;
	s->rx_fd = s->tx_fd = -1;
}

/**
 * sysfs_queues() - count @dir's "PREFIX-N" entries (/sys/class/net/IF/queues)
 */
static unsigned int sysfs_queues(DIR *dir, const char *prefix)
{
	size_t plen = strlen(prefix);
	unsigned int n = 0;
	struct dirent *e;

	rewinddir(dir);
	while ((e = readdir(dir)))
		if (!strncmp(e->d_name, prefix, plen))
			n++;
	return n;
}

/**
 * check_queues() - is every interface queue we bind to there?
 *
 * An AF_XDP socket binds to a queue that exists for both receiving and
 * sending. sysfs lists them; it is only trusted when it shows our namespace's
 * interface (same ifindex), else bind() is left to refuse.
 *
 * Return: 0, or -ERANGE (logged).
 */
static int check_queues(const struct conf *conf, int ifindex)
{
	unsigned int need = conf->xdp_queue + conf->queue_pairs, rxq, txq, have;
	char path[96];
	FILE *f;
	DIR *dir;
	int idx = -1;

	snprintf(path, sizeof(path), "/sys/class/net/%s/ifindex", conf->ifname);
	f = fopen(path, "re");
	if (!f)
		return 0;
	if (fscanf(f, "%d", &idx) != 1)
		idx = -1;
	fclose(f);
	snprintf(path, sizeof(path), "/sys/class/net/%s/queues", conf->ifname);
	if (idx != ifindex || !(dir = opendir(path)))
		return 0;
	rxq = sysfs_queues(dir, "rx-");
	txq = sysfs_queues(dir, "tx-");
	closedir(dir);
	have = rxq < txq ? rxq : txq;
	if (need <= have)
		return 0;
	log_error("%s has %u queue(s) usable by AF_XDP (rx %u, tx %u): [xdp] queue = %u with "
		  "queue-pairs = %u needs queues %u..%u (more queues: ethtool -L %s combined N; "
		  "veth: ip link add ... numrxqueues N numtxqueues N)", conf->ifname, have, rxq,
		  txq, conf->xdp_queue, conf->queue_pairs, conf->xdp_queue, need - 1,
		  conf->ifname);
	return -ERANGE;
}

/**
 * check_mtu() - do the interface's frames fit a UMEM frame?
 *
 * The kernel keeps XDP_PACKET_HEADROOM at the start of every received frame.
 * [backend] mtu is what the guest is told; the interface's is the admin's.
 *
 * Return: 0, or -EMSGSIZE (logged).
 */
static int check_mtu(const struct conf *conf)
{
	unsigned int room = conf->xdp_frame_size - XDP_PACKET_HEADROOM - ETH_HLEN - XDP_VLAN_HLEN;
	struct ifreq ifr;
	int s, r;

	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", conf->ifname);
	s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return 0;
	r = ioctl(s, SIOCGIFMTU, &ifr);
	close(s);
	if (r < 0)
		return 0;
	if ((unsigned int)ifr.ifr_mtu > room) {
		log_error("%s: MTU %d is too large for [xdp] frame-size = %u (at most MTU %u): "
			  "raise frame-size or lower the MTU", conf->ifname, ifr.ifr_mtu,
			  conf->xdp_frame_size, room);
		return -EMSGSIZE;
	}
	if (conf->mtu && conf->mtu > room) {
		log_error("[backend] mtu = %u is too large for [xdp] frame-size = %u (at most %u)",
			  conf->mtu, conf->xdp_frame_size, room);
		return -EMSGSIZE;
	}
	if (conf->mtu && conf->mtu != (unsigned int)ifr.ifr_mtu)
		log_warn("[backend] mtu = %u is offered to the guest, but %s has MTU %d: the xdp "
			 "back-end leaves the interface's MTU alone", conf->mtu, conf->ifname,
			 ifr.ifr_mtu);
	return 0;
}

/**
 * xdp_check_interface() - the interface has the queues and MTU we need
 * @conf: [backend] interface, queue-pairs, mtu; [xdp] queue, frame-size
 * @ifindex: the interface's index in this namespace
 *
 * Return: 0, or a negative errno (logged).
 */
int xdp_check_interface(const struct conf *conf, int ifindex)
{
	int r = check_queues(conf, ifindex);

	return r < 0 ? r : check_mtu(conf);
}
