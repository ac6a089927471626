/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vhost_user.h - one front-end connection: vhost-user framing (header,
 * payload, SCM_RIGHTS fds) and dispatch of each request to its handler.
 *
 * The connection drives a long-lived struct vu_dev. When the front-end goes
 * away or breaks the protocol, the connection resets the device, closes
 * its socket, frees itself and then calls the closed callback, so the
 * owner can accept (or dial) the next front-end.
 */
#ifndef VURING_VHOST_USER_H
#define VURING_VHOST_USER_H

#include <event2/event.h>

struct vu_conn;
struct vu_dev;

/* Called after the connection freed itself; @arg as given to vu_conn_new(). */
typedef void (*vu_conn_closed_cb)(void *arg);

int vu_conn_new(struct event_base *base, int fd, struct vu_dev *dev,
		vu_conn_closed_cb closed, void *arg, struct vu_conn **out);
void vu_conn_free(struct vu_conn *conn);
const char *vu_request_name(unsigned int request);

#endif
