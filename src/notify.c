// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * notify.c - service manager notifications (sd_notify) and socket activation.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#ifdef HAVE_SYSTEMD
#include <systemd/sd-daemon.h>
#endif

#include "fdstore.h"
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
 * The fds the fd store hands back come the same way, under names of their
 * own (fdstore.c takes those); they are not counted here.
 *
 * Return: the fd, or -1 when not socket-activated (or built without
 * libsystemd). More than one passed socket is refused: vuring serves exactly
 * one vhost-user socket.
 */
int notify_listen_fd(void)
{
	int fd = -1;
#ifdef HAVE_SYSTEMD
	char **names = NULL;
	int n = sd_listen_fds_with_names(0, &names), found = 0;

	for (int i = 0; i < n; i++) {
		if (fdstore_is_ours(names ? names[i] : NULL))
			continue;
		fd = SD_LISTEN_FDS_START + i;
		found++;
	}
	for (int i = 0; names && names[i]; i++)
		free(names[i]);
	free(names);
	if (found > 1) {
		log_warn("systemd passed %d sockets, expected 1: ignoring them", found);
		fd = -1;
	}
#endif
	return fd;
}
