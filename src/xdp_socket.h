/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * xdp_socket.h - one queue pair's AF_XDP sockets and UMEM, and what they
 * need of the interface (the AF_XDP back-end's set-up and teardown; moving
 * frames is backend_xdp.c's).
 *
 * A queue pair has two sockets bound to the same interface queue and
 * sharing one UMEM (XDP_SHARED_UMEM): one receives, one sends. Apart, the
 * receive socket's wait queue sees no transmit completions: each sent frame
 * wakes the waiters of the socket that sent it, and the receive socket
 * always has one (the POLL_ADD waiting for frames).
 *
 * The UMEM's first rx_frames frames receive (all of them handed to the fill
 * ring at open), the next tx_frames send.
 */
#ifndef VURING_XDP_SOCKET_H
#define VURING_XDP_SOCKET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <xdp/xsk.h>

#include "conf.h"

struct xdp_socket_cfg {
	const char *ifname;
	unsigned int queue;		/* interface queue */
	unsigned int frame_size;	/* a power of two */
	unsigned int rx_frames;		/* powers of two */
	unsigned int tx_frames;
	enum conf_xdp_mode mode;
};

struct xdp_socket {
	const char *ifname;		/* the configuration's */
	unsigned int queue;
	unsigned int frame_size;
	void *area;			/* the UMEM */
	size_t area_len;
	uint64_t rx_end;		/* RX frames below, TX frames from here */
	struct xsk_umem *umem;
	struct xsk_socket *rx_xsk, *tx_xsk;
	int rx_fd, tx_fd;
	bool zerocopy;
	struct xsk_ring_prod fill, tx;
	struct xsk_ring_cons comp, rx;
};

int xdp_socket_open(struct xdp_socket *s, const struct xdp_socket_cfg *cfg);
void xdp_socket_close(struct xdp_socket *s);
int xdp_check_interface(const struct conf *conf, int ifindex);

#endif
