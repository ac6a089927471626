/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * dialer.h - the vhost-user socket in client mode: connect to a front-end
 * that listens (QEMU server=on, libvirt mode='server'), and redial with
 * capped exponential backoff while it is missing or after it went away.
 */
#ifndef VURING_DIALER_H
#define VURING_DIALER_H

#include <event2/event.h>

struct conf;
struct dialer;

/* Called with each established connection; the callee owns @fd. */
typedef void (*dialer_connect_cb)(int fd, void *arg);

int dialer_new(struct event_base *base, const struct conf *conf, dialer_connect_cb cb,
	       void *arg, struct dialer **out);
void dialer_start(struct dialer *d);
void dialer_free(struct dialer *d);

#endif
