/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * unix_listen.h - create a listening unix stream socket on a path we own:
 * replace a stale socket file, refuse a live one or any other file, set
 * its mode and group. Shared by the vhost-user listener and the control
 * socket.
 */
#ifndef VURING_UNIX_LISTEN_H
#define VURING_UNIX_LISTEN_H

/**
 * struct unix_listen_opts - how the socket file is created
 * @mode:    permission bits of the socket file
 * @group:   group to give it to, or NULL to leave it alone
 * @backlog: listen() backlog
 */
struct unix_listen_opts {
	unsigned int mode;
	const char *group;
	int backlog;
};

int unix_listen(const char *path, const struct unix_listen_opts *opts, int *fdp);

#endif
