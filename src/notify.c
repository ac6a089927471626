// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * notify.c - service manager notifications (sd_notify) and socket activation.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>

#ifdef HAVE_SYSTEMD
#include <systemd/sd-daemon.h>
#endif

#include "log.h"
#include "notify.h"

#ifdef HAVE_SYSTEMD
static void notify_send(const char *msg)
{
	int r = sd_notify(0, msg);

	if (r < 0)
		log_debug("sd_notify(%s): %d", msg, r);
}
#else
static void notify_send(const char *msg)
{
	(void)msg;
}
#endif

void notify_ready(void)
{
	notify_send("READY=1");
}

void notify_stopping(void)
{
	notify_send("STOPPING=1");
}

void notify_reloading(void)
{
	notify_send("RELOADING=1");
}

/**
 * notify_status() - publish a one-line STATUS= for `systemctl status`
 * @fmt: printf format of the status text
 */
void notify_status(const char *fmt, ...)
{
	char buf[256];
	va_list ap;
	int n;

	n = snprintf(buf, sizeof(buf), "STATUS=");
	va_start(ap, fmt);
	vsnprintf(buf + n, sizeof(buf) - (size_t)n, fmt, ap);
	va_end(ap);
	notify_send(buf);
}

/**
 * notify_listen_fd() - the socket systemd passed us through socket activation
 *
 * Return: the fd, or -1 when not socket-activated (or built without
 * libsystemd). More than one passed socket is refused: vuring serves exactly
 * one vhost-user socket.
 */
int notify_listen_fd(void)
{
#ifdef HAVE_SYSTEMD
	int n = sd_listen_fds(1);

	if (n == 1)
		return SD_LISTEN_FDS_START;
	if (n > 1)
		log_warn("systemd passed %d sockets, expected 1: ignoring them", n);
#endif
	return -1;
}
