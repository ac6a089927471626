/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * listener.h - the vhost-user socket in server mode: a listening unix socket
 * (our own, inherited through --fd, or from systemd socket activation) whose
 * accepted connections are handed to a callback.
 */
#ifndef VURING_LISTENER_H
#define VURING_LISTENER_H

#include <stdbool.h>

#include <event2/event.h>

struct conf;
struct listener;

/* Called with each accepted connection; the callee owns @fd. */
typedef void (*listener_accept_cb)(int fd, void *arg);

int listener_new(struct event_base *base, const struct conf *conf,
		 listener_accept_cb cb, void *arg, struct listener **out);
bool listener_is_listening(const struct listener *l);
void listener_free(struct listener *l);

#endif
