// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * unix_listen.c - a listening unix socket on a path of our own: stale files
 * replaced, live ones and non-sockets left alone, mode and group applied
 * before anyone can connect.
 */
#include "config.h"

#include <errno.h>
#include <grp.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "log.h"
#include "unix_listen.h"

/**
 * fill_addr() - build a sockaddr_un for @path
 * Return: 0, or -ENAMETOOLONG.
 */
static int fill_addr(struct sockaddr_un *sa, const char *path)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa->sun_path))
		return -ENAMETOOLONG;
	strcpy(sa->sun_path, path);
	return 0;
}

/**
 * clear_stale() - remove a socket file nobody listens on any more
 * @sa: its address
 *
 * A connect() that is refused means the previous owner died: the file is
 * stale and may go. A connect() that succeeds means a live process serves it,
 * and stealing its socket would cut a running VM off: refuse. Any other
 * answer (a full backlog says EAGAIN, a foreign file says EACCES) proves
 * nothing, so the file stays. The probe is non-blocking: a live owner with a
 * full backlog must not stall our start.
 *
 * Return: 0 when the path is free now, -EADDRINUSE when it is live, or
 * another negative errno.
 */
static int clear_stale(const struct sockaddr_un *sa)
{
	struct stat st;
	int fd, r;

	if (lstat(sa->sun_path, &st) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISSOCK(st.st_mode))
		return -EEXIST;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	r = connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) < 0 ? -errno : 0;
	close(fd);
	if (r == 0 || r == -EAGAIN)
		return -EADDRINUSE;
	if (r != -ECONNREFUSED)
		return r;
	if (unlink(sa->sun_path) < 0 && errno != ENOENT)
		return -errno;
	log_info("removed stale socket %s", sa->sun_path);
	return 0;
}

/**
 * prepare_path() - make @path free for bind(), or say why it is not
 * @sa: address filled in for @path
 * @path: socket file
 *
 * Return: 0 or a negative errno (already logged).
 */
static int prepare_path(struct sockaddr_un *sa, const char *path)
{
	int r = fill_addr(sa, path);

	if (r < 0) {
		log_error("socket path too long: %s", path);
		return r;
	}
	r = clear_stale(sa);
	if (r == -EADDRINUSE)
		log_error("%s: a live process is listening there; not taking it over", path);
	else if (r == -EEXIST)
		log_error("%s: exists and is not a socket; not replacing it", path);
	else if (r < 0)
		log_error("%s: cannot reuse path: %s", path, strerror(-r));
	return r;
}

/**
 * apply_perms() - give the socket file its mode and group
 * Return: 0 or a negative errno (already logged).
 */
static int apply_perms(const char *path, const struct unix_listen_opts *o)
{
	struct group *g;
	int r;

	if (chmod(path, o->mode) < 0) {
		r = -errno;
		log_error("%s: cannot set socket-mode %04o: %s", path, o->mode, strerror(-r));
		return r;
	}
	if (!o->group)
		return 0;
	errno = 0;
	g = getgrnam(o->group);
	if (!g) {
		r = errno ? -errno : -ENOENT;
		log_error("%s: socket-group %s: %s", path, o->group,
			  errno ? strerror(errno) : "no such group");
		return r;
	}
	if (chown(path, (uid_t)-1, g->gr_gid) < 0) {
		r = -errno;
		log_error("%s: cannot give the socket to group %s: %s", path, o->group,
			  strerror(-r));
		return r;
	}
	return 0;
}

/**
 * unix_listen() - create, bind and listen on a unix stream socket at @path
 * @path: socket file; a stale one is replaced
 * @opts: mode, group, backlog
 * @fdp: the listening socket (non-blocking, close-on-exec) on success
 *
 * The caller owns the file afterwards and unlinks it when done.
 *
 * Return: 0 or a negative errno (already logged).
 */
int unix_listen(const char *path, const struct unix_listen_opts *opts, int *fdp)
{
	struct sockaddr_un sa;
	int fd, r;

	r = prepare_path(&sa, path);
	if (r < 0)
		return r;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		r = -errno;
		log_error("socket: %s", strerror(-r));
		return r;
	}
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		r = -errno;
		log_error("bind %s: %s", path, strerror(-r));
		goto err_close;
	}
	r = apply_perms(path, opts);
	if (r < 0)
		goto err_unlink;
	if (listen(fd, opts->backlog) < 0) {
		r = -errno;
		log_error("listen %s: %s", path, strerror(-r));
		goto err_unlink;
	}
	*fdp = fd;
	return 0;

err_unlink:
	unlink(path);
err_close:
	close(fd);
	return r;
}
