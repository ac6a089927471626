/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ctl.h - the control socket: statistics, status and live settings for
 * vuringctl (or anyone with a unix socket client), served by the event loop.
 *
 * Protocol: a client sends one request per line and gets one JSON document
 * followed by a newline per request, on the same connection, in order.
 * Requests:
 *   stats                  counters: device, io_uring, each queue
 *   status                 connection, features, memory, rings, back-end
 *   set log-level LEVEL    error, warn, info or debug
 *   help                   the list of requests
 * Every answer has "ok": true, or "ok": false with an "error" text.
 */
#ifndef VURING_CTL_H
#define VURING_CTL_H

struct conf;
struct ctl;
struct event_base;
struct net_dev;
struct vu_dev;

/**
 * struct ctl_sources - what the control socket reports on and changes
 * @conf: settings; control_path says where to listen, and "set log-level"
 *	  updates log_level so that SIGHUP compares against the live value
 * @vdev: the vhost-user device
 * @net:  the datapath, or NULL when vuring runs without an interface
 *
 * All three must outlive the control socket.
 */
struct ctl_sources {
	struct conf *conf;
	struct vu_dev *vdev;
	struct net_dev *net;
};

int ctl_new(struct event_base *base, const struct ctl_sources *src, struct ctl **out);
void ctl_free(struct ctl *c);

#endif
