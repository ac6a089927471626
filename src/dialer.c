// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * dialer.c - connect to the front-end's socket, redialing with backoff.
 *
 * The first attempt is immediate. Each failure doubles the delay, starting
 * at conf->reconnect_ms and capped at conf->reconnect_max_ms; a success
 * resets it, so a front-end that restarts is found again quickly. Only the
 * first failure of a series is logged at warning level, to keep a long
 * absence from flooding the journal.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "conf.h"
#include "dialer.h"
#include "log.h"

struct dialer {
	struct event_base *base;
	struct event *timer;
	struct sockaddr_un addr;
	unsigned int delay_ms;		/* wait before the next attempt */
	unsigned int min_ms, max_ms;
	unsigned int failures;		/* in the current series */
	dialer_connect_cb cb;
	void *arg;
};

/**
 * dial_once() - one connection attempt
 * @d: dialer
 *
 * Unix stream connect() completes or fails at once (EAGAIN when the
 * front-end's backlog is full, which is just another reason to retry).
 *
 * Return: a connected, non-blocking socket, or a negative errno.
 */
static int dial_once(const struct dialer *d)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	int r;

	if (fd < 0)
		return -errno;
	if (connect(fd, (const struct sockaddr *)&d->addr, sizeof(d->addr)) < 0) {
		r = -errno;
		close(fd);
		return r;
	}
	return fd;
}

static void dialer_schedule(struct dialer *d)
{
	struct timeval tv = {
		.tv_sec = d->delay_ms / 1000,
		.tv_usec = (d->delay_ms % 1000) * 1000,
	};

	event_add(d->timer, &tv);
}

/* Double the delay up to the cap, without overflowing. */
static void dialer_backoff(struct dialer *d)
{
	if (d->delay_ms >= d->max_ms / 2)
		d->delay_ms = d->max_ms;
	else
		d->delay_ms *= 2;
}

static void dialer_on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct dialer *d = arg;
	int conn;

	(void)fd;
	(void)what;
	conn = dial_once(d);
	if (conn >= 0) {
		log_info("connected to the front-end at %s", d->addr.sun_path);
		d->failures = 0;
		d->delay_ms = d->min_ms;
		d->cb(conn, d->arg);
		return;
	}
	if (d->failures++ == 0)
		log_warn("cannot connect to the front-end at %s: %s; retrying", d->addr.sun_path,
			 strerror(-conn));
	else
		log_debug("connect %s: %s; next try in %u ms", d->addr.sun_path, strerror(-conn),
			  d->delay_ms);
	dialer_schedule(d);
	dialer_backoff(d);
}

/**
 * dialer_new() - prepare to dial conf->socket_path
 * @base: event loop
 * @conf: socket_path, reconnect_ms, reconnect_max_ms
 * @cb: receives each connection
 * @arg: for @cb
 * @out: the dialer
 *
 * Return: 0 or a negative errno (logged).
 */
int dialer_new(struct event_base *base, const struct conf *conf, dialer_connect_cb cb,
	       void *arg, struct dialer **out)
{
	struct dialer *d;

	if (!conf->socket_path) {
		log_error("client mode needs a socket path to dial");
		return -EINVAL;
	}
	if (strlen(conf->socket_path) >= sizeof(d->addr.sun_path)) {
		log_error("socket path too long: %s", conf->socket_path);
		return -ENAMETOOLONG;
	}
	d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	d->base = base;
	d->addr.sun_family = AF_UNIX;
	strcpy(d->addr.sun_path, conf->socket_path);
	d->min_ms = conf->reconnect_ms ? conf->reconnect_ms : 1;
	d->max_ms = conf->reconnect_max_ms > d->min_ms ? conf->reconnect_max_ms : d->min_ms;
	d->delay_ms = d->min_ms;
	d->cb = cb;
	d->arg = arg;
	d->timer = evtimer_new(base, dialer_on_timer, d);
	if (!d->timer) {
		free(d);
		return -ENOMEM;
	}
	*out = d;
	return 0;
}

/**
 * dialer_start() - dial now (from the loop), then keep trying until connected
 * @d: dialer
 *
 * Call once at start-up and again whenever the connection it made is gone.
 */
void dialer_start(struct dialer *d)
{
	struct timeval now = { 0, 0 };

	log_info("dialing the front-end at %s", d->addr.sun_path);
	event_add(d->timer, &now);
}

/**
 * dialer_free() - stop dialing
 * @d: dialer, may be NULL
 */
void dialer_free(struct dialer *d)
{
	if (!d)
		return;
	event_free(d->timer);
	free(d);
}
