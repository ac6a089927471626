// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * listener.c - the vhost-user socket in server mode.
 *
 * The socket comes from, in order of preference: --fd, systemd socket
 * activation, or our own bind() on socket_path. Only in the last case do we
 * own the file and remove it on exit.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "conf.h"
#include "listener.h"
#include "log.h"
#include "notify.h"
#include "unix_listen.h"

/* Pending connections the kernel may queue; we serve one at a time anyway. */
#define LISTEN_BACKLOG 4

struct listener {
	struct event *ev;
	int fd;
	char *owned_path;	/* socket file we created, removed on free */
	listener_accept_cb cb;
	void *arg;
};

static void listener_on_readable(evutil_socket_t fd, short what, void *arg)
{
	struct listener *l = arg;
	int conn;

	(void)what;
	conn = accept4(fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (conn < 0) {
		if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
			log_warn("accept on vhost-user socket: %s", strerror(errno));
		return;
	}
	l->cb(conn, l->arg);
}

/**
 * listener_bind() - create, bind and listen on conf->socket_path
 * @conf: settings (path, socket-mode, socket-group)
 * @fdp: the listening socket on success
 *
 * Return: 0 or a negative errno (already logged).
 */
static int listener_bind(const struct conf *conf, int *fdp)
{
	const struct unix_listen_opts opts = {
		.mode = conf->socket_perm,
		.group = conf->socket_group,
		.backlog = LISTEN_BACKLOG,
	};

	return unix_listen(conf->socket_path, &opts, fdp);
}

/**
 * listener_check_inherited() - make sure an inherited fd is a unix stream socket
 * @fd: the fd
 * @listening: set to whether it is listening (else it is connected)
 *
 * Return: 0 or a negative errno.
 */
static int listener_check_inherited(int fd, int *listening)
{
	int type = 0, acc = 0;
	socklen_t len = sizeof(type);

	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) < 0)
		return -errno;
	if (type != SOCK_STREAM)
		return -ENOTSOCK;
	len = sizeof(acc);
	if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &acc, &len) < 0)
		return -errno;
	*listening = acc;
	return 0;
}

/**
 * listener_new() - start serving the vhost-user socket
 * @base: event loop
 * @conf: settings (socket_path, listen_fd, permissions)
 * @cb: receives each accepted connection
 * @arg: passed to @cb
 * @out: the new listener
 *
 * An inherited fd that is already connected (QEMU's --fd convention allows
 * both) is handed to @cb at once, and there is nothing to listen on.
 *
 * Return: 0 or a negative errno (already logged).
 */
int listener_new(struct event_base *base, const struct conf *conf,
		 listener_accept_cb cb, void *arg, struct listener **out)
{
	struct listener *l;
	int fd = conf->listen_fd, listening = 1, r;

	l = calloc(1, sizeof(*l));
	if (!l)
		return -ENOMEM;
	l->cb = cb;
	l->arg = arg;
	l->fd = -1;

	if (fd < 0)
		fd = notify_listen_fd();
	if (fd >= 0) {
		r = listener_check_inherited(fd, &listening);
		if (r < 0) {
			log_error("fd %d is not a unix stream socket: %s", fd, strerror(-r));
			goto err_free;
		}
		evutil_make_socket_nonblocking(fd);
		evutil_make_socket_closeonexec(fd);
	} else if (!conf->socket_path) {
		log_error("no vhost-user socket: give --socket-path, --fd, or [vhost-user] path");
		r = -EINVAL;
		goto err_free;
	} else {
		r = listener_bind(conf, &fd);
		if (r < 0)
			goto err_free;
		l->owned_path = strdup(conf->socket_path);
		if (!l->owned_path) {
			log_error("out of memory");
			unlink(conf->socket_path);
			close(fd);
			r = -ENOMEM;
			goto err_free;
		}
	}

	if (!listening) {
		log_info("inherited fd %d is a connected vhost-user socket", fd);
		*out = l;
		cb(fd, arg);
		return 0;
	}
	l->fd = fd;
	l->ev = event_new(base, fd, EV_READ | EV_PERSIST, listener_on_readable, l);
	if (!l->ev || event_add(l->ev, NULL) < 0) {
		r = -ENOMEM;
		goto err_close;
	}
	log_info("listening for a vhost-user front-end on %s",
		 l->owned_path ? l->owned_path : "an inherited socket");
	*out = l;
	return 0;

err_close:
	if (l->ev)
		event_free(l->ev);
	if (l->owned_path)
		unlink(l->owned_path);
	close(fd);
	free(l->owned_path);
err_free:
	free(l);
	return r;
}

/**
 * listener_is_listening() - does it accept front-ends, or did it only hand
 * over one inherited, already connected socket?
 * @l: listener, may be NULL
 *
 * Return: true if front-ends can still connect through it.
 */
bool listener_is_listening(const struct listener *l)
{
	return l && l->fd >= 0;
}

/**
 * listener_free() - stop listening; remove the socket file if we created it
 * @l: listener, may be NULL
 */
void listener_free(struct listener *l)
{
	if (!l)
		return;
	if (l->ev)
		event_free(l->ev);
	if (l->fd >= 0)
		close(l->fd);
	if (l->owned_path) {
		unlink(l->owned_path);
		free(l->owned_path);
	}
	free(l);
}
