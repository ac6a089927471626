/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * xdp_prog.h - the XDP program that steers an interface's frames into the
 * AF_XDP back-end's sockets: libxdp's default AF_XDP program, attached by
 * vuring through a BPF link ([xdp] program = load), or a program someone
 * else attached whose XSKMAP vuring adds its sockets to (program = existing).
 *
 * Both redirect a frame received on interface queue Q to the socket stored
 * at key Q of the program's XSKMAP, and pass it to the host's stack when
 * there is none.
 */
#ifndef VURING_XDP_PROG_H
#define VURING_XDP_PROG_H

#include "conf.h"

struct xdp_prog;

int xdp_prog_open(const struct conf *conf, int ifindex, unsigned int queues,
		  struct xdp_prog **ret);
int xdp_prog_add_socket(struct xdp_prog *p, unsigned int queue, int xsk_fd);
const char *xdp_prog_describe(const struct xdp_prog *p);
void xdp_prog_close(struct xdp_prog *p);
void xdp_prog_log_libs(void);

#endif
