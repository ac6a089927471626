// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vu_frontend.c - a vhost-user front-end for tests (see vu_frontend.h).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/virtio_config.h>
#include <linux/virtio_net.h>
#include <linux/virtio_ring.h>

#include "vu_frontend.h"

/* The most fds a test sends in one message: more than the protocol allows. */
#define VUF_MAX_SEND_FDS 16

/* Poll interval while waiting for the daemon. */
#define VUF_POLL_MS 10

/* Why the last helper call failed, for the test's diagnostics. */
char vuf_error[256];

static int fail(int err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(vuf_error, sizeof(vuf_error), fmt, ap);
	va_end(ap);
	return err;
}

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* ---------------------------------------------------------------- daemon */

/**
 * daemon_exec() - the child: log to the file, exec vuring
 * @d: daemon paths
 * @ini: configuration file path or NULL
 * @pass_fd: a socket to hand over as --fd 3 instead of a path, or -1
 *
 * ASan's quarantine keeps freed memory resident to catch use-after-free;
 * capping it keeps the daemon's RSS meaningful for the leak tests.
 */
static void __attribute__((noreturn)) daemon_exec(const struct vuf_daemon *d, const char *ini,
						 int pass_fd)
{
	const char *vuring = getenv("VURING");
	const char *asan = getenv("ASAN_OPTIONS");
	char opts[512];
	int fd = open(d->log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);

	if (fd < 0)
		_exit(126);
	dup2(fd, STDERR_FILENO);
	dup2(fd, STDOUT_FILENO);
	snprintf(opts, sizeof(opts), "%s%squarantine_size_mb=2", asan ? asan : "",
		 asan && *asan ? ":" : "");
	setenv("ASAN_OPTIONS", opts, 1);
	if (pass_fd >= 0) {
		/* The inherited socket is fd 3, as a service manager would pass it. */
		if (pass_fd == 3 ? fcntl(3, F_SETFD, 0) < 0 : dup2(pass_fd, 3) < 0)
			_exit(126);
		execl(vuring, vuring, "--fd", "3", "--log-level", "debug", (char *)NULL);
	} else if (ini)
		execl(vuring, vuring, "--socket-path", d->sock, "--log-level", "debug",
		      "--config", ini, (char *)NULL);
	else
		execl(vuring, vuring, "--socket-path", d->sock, "--log-level", "debug",
		      (char *)NULL);
	_exit(127);
}

/* Wait until the daemon listens (server mode) or dials (client mode). */
static int wait_started(const struct vuf_daemon *d)
{
	long deadline = now_ms() + VUF_TIMEOUT_MS;

	do {
		if (vuf_log_contains(d, 0, "listening for a vhost-user front-end") ||
		    vuf_log_contains(d, 0, "dialing the front-end") ||
		    vuf_log_contains(d, 0, "is a connected vhost-user socket"))
			return 0;
		if (!vuf_daemon_alive(d))
			return -ECHILD;
		sleep_ms(VUF_POLL_MS);
	} while (now_ms() < deadline);
	return -ETIMEDOUT;
}

/**
 * vuf_daemon_start() - run $VURING on a socket in a fresh temporary directory
 * @d: filled in
 * @ini: contents of a configuration file to pass with --config, or NULL
 *
 * Returns once the daemon listens (or, in client mode, dials).
 *
 * Return: 0 or a negative errno (vuf_error says why).
 */
int vuf_daemon_start(struct vuf_daemon *d, const char *ini)
{
	return vuf_daemon_start_fd(d, ini, -1);
}

/**
 * vuf_daemon_start_fd() - vuf_daemon_start(), optionally with an inherited socket
 * @d: filled in
 * @ini: as for vuf_daemon_start() (ignored with @pass_fd)
 * @pass_fd: socket (listening or connected) to pass as --fd 3, or -1
 *
 * Return: 0 or a negative errno (vuf_error says why).
 */
int vuf_daemon_start_fd(struct vuf_daemon *d, const char *ini, int pass_fd)
{
	const char *vuring = getenv("VURING");
	const char *tmp = getenv("TMPDIR");
	char ini_path[320];
	int r;

	memset(d, 0, sizeof(*d));
	d->pid = -1;
	if (!vuring)
		return fail(-ENOENT, "VURING is not set");
	snprintf(d->dir, sizeof(d->dir), "%s/vuring-test.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(d->dir))
		return fail(-errno, "mkdtemp: %s", strerror(errno));
	snprintf(d->sock, sizeof(d->sock), "%s/vu.sock", d->dir);
	snprintf(d->log, sizeof(d->log), "%s/vuring.log", d->dir);
	snprintf(ini_path, sizeof(ini_path), "%s/vuring.ini", d->dir);
	if (ini) {
		FILE *f = fopen(ini_path, "w");

		if (!f || fputs(ini, f) < 0 || fclose(f) != 0)
			return fail(-EIO, "cannot write %s", ini_path);
	}
	d->pid = fork();
	if (d->pid < 0)
		return fail(-errno, "fork: %s", strerror(errno));
	if (d->pid == 0)
		daemon_exec(d, ini ? ini_path : NULL, pass_fd);
	r = wait_started(d);
	if (r < 0)
		return fail(r, "the daemon did not come up (see %s)", d->log);
	return 0;
}

/**
 * vuf_daemon_wait() - wait for the daemon to exit on its own
 * @d: daemon
 * @timeout_ms: how long
 *
 * Return: its exit status, or -1 if it died of a signal or is still running.
 */
int vuf_daemon_wait(struct vuf_daemon *d, int timeout_ms)
{
	long deadline = now_ms() + timeout_ms;
	int status;

	while (d->pid > 0 && now_ms() < deadline) {
		if (waitpid(d->pid, &status, WNOHANG) == d->pid) {
			d->pid = -1;
			return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
		}
		sleep_ms(VUF_POLL_MS);
	}
	return -1;
}

/**
 * vuf_daemon_stop() - SIGTERM, and wait for a clean exit
 * @d: daemon
 *
 * Return: the exit status (0 is clean; ASan reports leaks through it), or
 * -1 if it died of a signal or had to be killed.
 */
int vuf_daemon_stop(struct vuf_daemon *d)
{
	long deadline = now_ms() + VUF_TIMEOUT_MS;
	int status;

	if (d->pid <= 0)
		return -1;
	kill(d->pid, SIGTERM);
	while (waitpid(d->pid, &status, WNOHANG) == 0) {
		if (now_ms() > deadline) {
			kill(d->pid, SIGKILL);
			waitpid(d->pid, &status, 0);
			d->pid = -1;
			return -1;
		}
		sleep_ms(VUF_POLL_MS);
	}
	d->pid = -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

bool vuf_daemon_alive(const struct vuf_daemon *d)
{
	int status;

	return d->pid > 0 && waitpid(d->pid, &status, WNOHANG) == 0;
}

/**
 * vuf_daemon_fd_count() - open fds of the daemon, from /proc
 * Return: the count, or -1.
 */
int vuf_daemon_fd_count(const struct vuf_daemon *d)
{
	char path[64];
	struct dirent *e;
	DIR *dir;
	int n = 0;

	snprintf(path, sizeof(path), "/proc/%d/fd", (int)d->pid);
	dir = opendir(path);
	if (!dir)
		return -1;
	while ((e = readdir(dir)))
		if (e->d_name[0] != '.')
			n++;
	closedir(dir);
	return n;
}

/**
 * vuf_daemon_rss_kb() - resident set size of the daemon, from /proc
 * Return: kB, or -1.
 */
long vuf_daemon_rss_kb(const struct vuf_daemon *d)
{
	char path[64], line[256];
	long kb = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)d->pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmRSS: %ld kB", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

off_t vuf_log_size(const struct vuf_daemon *d)
{
	struct stat st;

	return stat(d->log, &st) < 0 ? 0 : st.st_size;
}

/**
 * vuf_log_contains() - does the log, from byte @from on, contain @needle?
 * @d: daemon
 * @from: offset (vuf_log_size() before the step under test)
 * @needle: text
 *
 * Return: true if found.
 */
bool vuf_log_contains(const struct vuf_daemon *d, off_t from, const char *needle)
{
	off_t size = vuf_log_size(d);
	bool found = false;
	char *buf;
	FILE *f;

	if (size <= from)
		return false;
	buf = malloc((size_t)(size - from) + 1);
	f = fopen(d->log, "r");
	if (buf && f && fseeko(f, from, SEEK_SET) == 0) {
		size_t n = fread(buf, 1, (size_t)(size - from), f);

		buf[n] = '\0';
		found = strstr(buf, needle) != NULL;
	}
	if (f)
		fclose(f);
	free(buf);
	return found;
}

/**
 * vuf_wait_log() - wait until the log shows @needle
 * Return: 0, or -ETIMEDOUT.
 */
int vuf_wait_log(const struct vuf_daemon *d, off_t from, const char *needle, int timeout_ms)
{
	long deadline = now_ms() + timeout_ms;

	do {
		if (vuf_log_contains(d, from, needle))
			return 0;
		sleep_ms(VUF_POLL_MS);
	} while (now_ms() < deadline);
	return -ETIMEDOUT;
}

/**
 * vuf_daemon_cleanup() - kill a daemon left running, remove the directory
 * @d: daemon
 *
 * The log is kept when the environment has VURING_KEEP_LOGS set.
 */
void vuf_daemon_cleanup(struct vuf_daemon *d)
{
	if (d->pid > 0) {
		kill(d->pid, SIGKILL);
		waitpid(d->pid, NULL, 0);
		d->pid = -1;
	}
	if (!d->dir[0] || getenv("VURING_KEEP_LOGS"))
		return;
	unlink(d->sock);
	unlink(d->log);
	{
		char ini[320];

		snprintf(ini, sizeof(ini), "%s/vuring.ini", d->dir);
		unlink(ini);
	}
	rmdir(d->dir);
}

/* ---------------------------------------------------------------- socket */

static void vuf_init(struct vuf *f)
{
	unsigned int i;

	memset(f, 0, sizeof(*f));
	f->fd = -1;
	f->mem_fd = -1;
	for (i = 0; i < VUF_MAX_RINGS; i++)
		f->kick[i] = f->call[i] = -1;
}

/**
 * vuf_adopt() - use an already connected socket (e.g. one end of a socketpair)
 * @f: connection, initialised here
 * @fd: the socket; @f owns it from now on
 */
void vuf_adopt(struct vuf *f, int fd)
{
	struct timeval tv = { VUF_TIMEOUT_MS / 1000, 0 };

	vuf_init(f);
	f->fd = fd;
	setsockopt(f->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(f->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

/**
 * vuf_connect() - connect to the daemon's socket
 * @f: connection, initialised here
 * @path: socket path
 *
 * Return: 0 or a negative errno.
 */
int vuf_connect(struct vuf *f, const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct timeval tv = { VUF_TIMEOUT_MS / 1000, 0 };

	vuf_init(f);
	if (strlen(path) >= sizeof(sa.sun_path))
		return fail(-ENAMETOOLONG, "socket path too long");
	strcpy(sa.sun_path, path);
	f->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (f->fd < 0)
		return fail(-errno, "socket: %s", strerror(errno));
	setsockopt(f->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(f->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(f->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int err = -errno;

		close(f->fd);
		f->fd = -1;
		return fail(err, "connect %s: %s", path, strerror(-err));
	}
	return 0;
}

/**
 * vuf_listen() - listen on @path, as a front-end in server mode does
 * Return: the listening socket, or a negative errno.
 */
int vuf_listen(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd, err;

	if (strlen(path) >= sizeof(sa.sun_path))
		return fail(-ENAMETOOLONG, "socket path too long");
	strcpy(sa.sun_path, path);
	unlink(path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return fail(-errno, "socket: %s", strerror(errno));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 4) < 0) {
		err = -errno;
		close(fd);
		return fail(err, "bind/listen %s: %s", path, strerror(-err));
	}
	return fd;
}

/**
 * vuf_accept() - wait for the daemon to dial in (client mode)
 * @f: connection, initialised here
 * @listen_fd: from vuf_listen()
 * @timeout_ms: how long to wait
 *
 * Return: 0, -ETIMEDOUT, or another negative errno.
 */
int vuf_accept(struct vuf *f, int listen_fd, int timeout_ms)
{
	struct pollfd p = { .fd = listen_fd, .events = POLLIN };
	struct timeval tv = { VUF_TIMEOUT_MS / 1000, 0 };

	vuf_init(f);
	if (poll(&p, 1, timeout_ms) <= 0)
		return fail(-ETIMEDOUT, "the daemon did not dial in");
	f->fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
	if (f->fd < 0)
		return fail(-errno, "accept: %s", strerror(errno));
	setsockopt(f->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(f->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	return 0;
}

/**
 * vuf_peer_closed() - does the daemon close the connection within @timeout_ms?
 * @f: connection
 * @timeout_ms: how long to wait
 *
 * Whatever the daemon still sends meanwhile is read and dropped.
 *
 * Return: true on end of file (or reset).
 */
bool vuf_peer_closed(struct vuf *f, int timeout_ms)
{
	long deadline = now_ms() + timeout_ms;
	char buf[256];

	for (;;) {
		struct pollfd p = { .fd = f->fd, .events = POLLIN };
		long left = deadline - now_ms();
		ssize_t n;

		if (left < 0 || poll(&p, 1, (int)left) <= 0)
			return false;
		n = recv(f->fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n == 0 || (n < 0 && errno == ECONNRESET))
			return true;
		if (n < 0 && errno != EAGAIN && errno != EINTR)
			return false;
	}
}

/**
 * vuf_close() - hang up and wait until the daemon has noticed
 * @f: connection
 *
 * Shutting down our sending side first and waiting for the daemon to close
 * its end means the daemon has finished its teardown when this returns,
 * so the next connection is not turned away as "another front-end".
 */
void vuf_close(struct vuf *f)
{
	unsigned int i;

	if (f->fd >= 0) {
		shutdown(f->fd, SHUT_WR);
		vuf_peer_closed(f, VUF_TIMEOUT_MS);
		close(f->fd);
	}
	for (i = 0; i < VUF_MAX_RINGS; i++) {
		if (f->kick[i] >= 0)
			close(f->kick[i]);
		if (f->call[i] >= 0)
			close(f->call[i]);
	}
	if (f->mem)
		munmap(f->mem, VUF_MEM_SIZE);
	if (f->mem_fd >= 0)
		close(f->mem_fd);
	vuf_init(f);
}

/**
 * vuf_send_raw() - send bytes, with fds attached to them
 * Return: 0 or a negative errno.
 */
int vuf_send_raw(struct vuf *f, const void *buf, size_t len, const int *fds, unsigned int nfds)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * VUF_MAX_SEND_FDS)];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	ssize_t n;

	if (nfds > VUF_MAX_SEND_FDS)
		return fail(-EINVAL, "too many fds");
	if (nfds) {
		struct cmsghdr *c;

		memset(&ctl, 0, sizeof(ctl));
		mh.msg_control = ctl.buf;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * nfds);
	}
	n = sendmsg(f->fd, &mh, MSG_NOSIGNAL);
	if (n < 0)
		return fail(-errno, "sendmsg: %s", strerror(errno));
	if ((size_t)n != len)
		return fail(-EIO, "short sendmsg");
	return 0;
}

/**
 * vuf_send() - send one message: header, payload, fds
 * Return: 0 or a negative errno.
 */
int vuf_send(struct vuf *f, uint32_t request, uint32_t flags, const void *payload,
	     uint32_t size, const int *fds, unsigned int nfds)
{
	uint8_t buf[VHOST_USER_HDR_SIZE + VHOST_USER_PAYLOAD_MAX];
	struct vhost_user_hdr h = { .request = request, .flags = flags, .size = size };

	if (size > VHOST_USER_PAYLOAD_MAX)
		return fail(-EINVAL, "payload too large for vuf_send");
	memcpy(buf, &h, sizeof(h));
	if (size)
		memcpy(buf + sizeof(h), payload, size);
	return vuf_send_raw(f, buf, sizeof(h) + size, fds, nfds);
}

static int recv_all(struct vuf *f, void *buf, size_t len)
{
	size_t got = 0;

	while (got < len) {
		ssize_t n = recv(f->fd, (char *)buf + got, len - got, 0);

		if (n == 0)
			return fail(-ECONNRESET, "the daemon closed the connection");
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return fail(-errno, "recv: %s", strerror(errno));
		got += (size_t)n;
	}
	return 0;
}

/**
 * vuf_recv() - receive one reply
 * @f: connection
 * @hdr: its header
 * @payload: room for the payload
 * @cap: bytes at @payload
 *
 * Return: 0, or a negative errno (-EMSGSIZE for a payload over @cap).
 */
int vuf_recv(struct vuf *f, struct vhost_user_hdr *hdr, void *payload, size_t cap)
{
	int r = recv_all(f, hdr, sizeof(*hdr));

	if (r < 0)
		return r;
	if (hdr->size > cap)
		return fail(-EMSGSIZE, "reply payload of %u bytes", hdr->size);
	return recv_all(f, payload, hdr->size);
}

/* Receive the reply to @request and check its header. */
static int recv_reply(struct vuf *f, uint32_t request, void *payload, uint32_t size)
{
	struct vhost_user_hdr h;
	int r = vuf_recv(f, &h, payload, size);

	if (r < 0)
		return r;
	if (h.request != request)
		return fail(-EPROTO, "reply to %u carries request %u", request, h.request);
	if (h.flags != (VHOST_USER_VERSION | VHOST_USER_REPLY_MASK))
		return fail(-EPROTO, "reply to %u has flags %#x", request, h.flags);
	if (h.size != size)
		return fail(-EPROTO, "reply to %u has %u bytes, want %u", request, h.size, size);
	return 0;
}

/**
 * vuf_get_u64() - a request without payload whose reply is a u64
 * Return: 0 or a negative errno.
 */
int vuf_get_u64(struct vuf *f, uint32_t request, uint64_t *out)
{
	int r = vuf_send(f, request, VHOST_USER_VERSION, NULL, 0, NULL, 0);

	return r < 0 ? r : recv_reply(f, request, out, sizeof(*out));
}

/**
 * vuf_request() - a request without a reply of its own
 *
 * With REPLY_ACK negotiated it asks for (and checks) the ack.
 *
 * Return: 0, -EPROTO for a NACK, or another negative errno.
 */
int vuf_request(struct vuf *f, uint32_t request, const void *payload, uint32_t size,
		const int *fds, unsigned int nfds)
{
	uint32_t flags = VHOST_USER_VERSION | (f->reply_ack ? VHOST_USER_NEED_REPLY_MASK : 0);
	uint64_t status;
	int r = vuf_send(f, request, flags, payload, size, fds, nfds);

	if (r < 0 || !f->reply_ack)
		return r;
	r = recv_reply(f, request, &status, sizeof(status));
	if (r < 0)
		return r;
	return status ? fail(-EPROTO, "request %u NACKed (%llu)", request,
			     (unsigned long long)status) : 0;
}

int vuf_set_u64(struct vuf *f, uint32_t request, uint64_t v)
{
	return vuf_request(f, request, &v, sizeof(v), NULL, 0);
}

int vuf_set_state(struct vuf *f, uint32_t request, unsigned int index, unsigned int num)
{
	struct vhost_vring_state s = { .index = index, .num = num };

	return vuf_request(f, request, &s, sizeof(s), NULL, 0);
}

/**
 * vuf_get_vring_base() - GET_VRING_BASE
 * Return: 0 or a negative errno.
 */
int vuf_get_vring_base(struct vuf *f, unsigned int index, uint32_t *base)
{
	struct vhost_vring_state s = { .index = index };
	int r = vuf_send(f, VHOST_USER_GET_VRING_BASE, VHOST_USER_VERSION, &s, sizeof(s), NULL, 0);

	if (r < 0)
		return r;
	r = recv_reply(f, VHOST_USER_GET_VRING_BASE, &s, sizeof(s));
	if (r < 0)
		return r;
	if (s.index != index)
		return fail(-EPROTO, "GET_VRING_BASE reply for ring %u, asked %u", s.index, index);
	*base = s.num;
	return 0;
}

/**
 * vuf_set_ring_fd() - SET_VRING_KICK/CALL/ERR with @fd, or "no fd" if @fd < 0
 * Return: as vuf_request().
 */
int vuf_set_ring_fd(struct vuf *f, uint32_t request, unsigned int index, int fd)
{
	uint64_t v = index | (fd < 0 ? VHOST_USER_VRING_NOFD_MASK : 0);

	return vuf_request(f, request, &v, sizeof(v), &fd, fd < 0 ? 0 : 1);
}

int vuf_set_vring_addr(struct vuf *f, unsigned int index, uint64_t desc, uint64_t avail,
		       uint64_t used, uint32_t flags)
{
	struct vhost_vring_addr a = {
		.index = index,
		.flags = flags,
		.desc_user_addr = desc,
		.used_user_addr = used,
		.avail_user_addr = avail,
		.log_guest_addr = 0,
	};

	return vuf_request(f, VHOST_USER_SET_VRING_ADDR, &a, sizeof(a), NULL, 0);
}

/* ---------------------------------------------------------------- memory, rings */

/**
 * vuf_mem_init() - create and map the guest memory (a memfd)
 * Return: 0 or a negative errno.
 */
int vuf_mem_init(struct vuf *f)
{
	void *p;

	f->mem_fd = memfd_create("vuf-guest", MFD_CLOEXEC);
	if (f->mem_fd < 0)
		return fail(-errno, "memfd_create: %s", strerror(errno));
	if (ftruncate(f->mem_fd, VUF_MEM_SIZE) < 0)
		return fail(-errno, "ftruncate: %s", strerror(errno));
	p = mmap(NULL, VUF_MEM_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, f->mem_fd, 0);
	if (p == MAP_FAILED)
		return fail(-errno, "mmap: %s", strerror(errno));
	f->mem = p;
	return 0;
}

/* The one region covering all of the guest memory. */
void vuf_region(const struct vuf *f, struct vhost_user_mem_region *r)
{
	r->guest_phys_addr = VUF_GPA_BASE;
	r->memory_size = VUF_MEM_SIZE;
	r->userspace_addr = (uintptr_t)f->mem;
	r->mmap_offset = 0;
}

int vuf_set_mem_table(struct vuf *f)
{
	struct vhost_user_memory m = { .nregions = 1 };

	vuf_region(f, &m.regions[0]);
	return vuf_request(f, VHOST_USER_SET_MEM_TABLE, &m, VHOST_USER_MEM_TABLE_SIZE(1),
			   &f->mem_fd, 1);
}

static int add_mem_reg(struct vuf *f)
{
	struct vhost_user_mem_reg m = { 0 };

	vuf_region(f, &m.region);
	return vuf_request(f, VHOST_USER_ADD_MEM_REG, &m, sizeof(m), &f->mem_fd, 1);
}

/**
 * vuf_ring_uva() - front-end address of one of a ring's areas
 * @f: connection with memory
 * @ring: ring index
 * @part: VUF_DESC, VUF_AVAIL or VUF_USED
 *
 * Return: the address.
 */
uint64_t vuf_ring_uva(const struct vuf *f, unsigned int ring, unsigned int part)
{
	static const unsigned int offset[] = {
		[VUF_DESC] = 0,
		[VUF_AVAIL] = 16 * VUF_RING_NUM,
		[VUF_USED] = 2 * 16 * VUF_RING_NUM,
	};

	return (uintptr_t)f->mem + (uint64_t)ring * VUF_RING_STRIDE + offset[part];
}

/**
 * vuf_setup_ring() - NUM, BASE, ADDR, KICK, CALL (and ENABLE) for one ring
 * @f: connection
 * @ring: index
 * @base: next avail index; the ring's avail and used indexes are set to it
 *	  too, so the ring is consistent and empty
 *
 * Return: 0 or a negative errno.
 */
int vuf_setup_ring(struct vuf *f, unsigned int ring, uint16_t base)
{
	struct vring_avail *avail;
	struct vring_used *used;
	int r;

	if (ring >= VUF_MAX_RINGS)
		return fail(-EINVAL, "ring %u beyond the helper's memory", ring);
	avail = (struct vring_avail *)(uintptr_t)vuf_ring_uva(f, ring, VUF_AVAIL);
	used = (struct vring_used *)(uintptr_t)vuf_ring_uva(f, ring, VUF_USED);
	avail->idx = base;
	used->idx = base;
	if (f->kick[ring] < 0)
		f->kick[ring] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (f->call[ring] < 0)
		f->call[ring] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (f->kick[ring] < 0 || f->call[ring] < 0)
		return fail(-errno, "eventfd: %s", strerror(errno));
	r = vuf_set_state(f, VHOST_USER_SET_VRING_NUM, ring, VUF_RING_NUM);
	if (!r)
		r = vuf_set_state(f, VHOST_USER_SET_VRING_BASE, ring, base);
	if (!r)
		r = vuf_set_vring_addr(f, ring, vuf_ring_uva(f, ring, VUF_DESC),
				       vuf_ring_uva(f, ring, VUF_AVAIL),
				       vuf_ring_uva(f, ring, VUF_USED), 0);
	if (!r)
		r = vuf_set_ring_fd(f, VHOST_USER_SET_VRING_KICK, ring, f->kick[ring]);
	if (!r)
		r = vuf_set_ring_fd(f, VHOST_USER_SET_VRING_CALL, ring, f->call[ring]);
	if (!r && (f->features & (1ull << VHOST_USER_F_PROTOCOL_FEATURES)))
		r = vuf_set_state(f, VHOST_USER_SET_VRING_ENABLE, ring, 1);
	return r;
}

int vuf_kick(struct vuf *f, unsigned int ring)
{
	uint64_t one = 1;

	if (ring >= VUF_MAX_RINGS || f->kick[ring] < 0)
		return fail(-EINVAL, "ring %u has no kick fd", ring);
	return write(f->kick[ring], &one, sizeof(one)) == sizeof(one) ? 0 : -errno;
}

/* The protocol features the helper asks for, as QEMU does for net. */
static uint64_t wanted_protocol(const struct vuf_opts *o)
{
	uint64_t want = (1ull << VHOST_USER_PROTOCOL_F_MQ) |
			(1ull << VHOST_USER_PROTOCOL_F_LOG_SHMFD) |
			(1ull << VHOST_USER_PROTOCOL_F_RARP) |
			(1ull << VHOST_USER_PROTOCOL_F_REPLY_ACK) |
			(1ull << VHOST_USER_PROTOCOL_F_NET_MTU) |
			(1ull << VHOST_USER_PROTOCOL_F_CONFIGURE_MEM_SLOTS) |
			(1ull << VHOST_USER_PROTOCOL_F_STATUS) |
			(1ull << VHOST_USER_PROTOCOL_F_RESET_DEVICE);

	if (o->no_reply_ack)
		want &= ~(1ull << VHOST_USER_PROTOCOL_F_REPLY_ACK);
	return want;
}

/**
 * negotiate() - features and protocol features, QEMU's order
 * @f: connection
 * @o: options
 *
 * Return: 0 or a negative errno.
 */
static int negotiate(struct vuf *f, const struct vuf_opts *o)
{
	uint64_t want, qnum = 0, slots = 0, acked;
	int r = vuf_get_u64(f, VHOST_USER_GET_FEATURES, &f->features);

	if (r < 0)
		return r;
	if (!(f->features & (1ull << VHOST_USER_F_PROTOCOL_FEATURES)))
		return fail(-EPROTO, "no VHOST_USER_F_PROTOCOL_FEATURES offered");
	if (o->no_protocol) {
		f->features &= ~(1ull << VHOST_USER_F_PROTOCOL_FEATURES);
	} else {
		r = vuf_get_u64(f, VHOST_USER_GET_PROTOCOL_FEATURES, &f->protocol);
		if (r < 0)
			return r;
		want = f->protocol & wanted_protocol(o);
		r = vuf_send(f, VHOST_USER_SET_PROTOCOL_FEATURES, VHOST_USER_VERSION, &want,
			     sizeof(want), NULL, 0);
		if (r < 0)
			return r;
		f->acked_protocol = want;
		f->reply_ack = want & (1ull << VHOST_USER_PROTOCOL_F_REPLY_ACK);
		r = vuf_get_u64(f, VHOST_USER_GET_QUEUE_NUM, &qnum);
		if (!r && qnum * 2 < o->nrings)
			r = fail(-ERANGE, "back-end has %llu queue pairs", (unsigned long long)qnum);
		if (!r)
			r = vuf_get_u64(f, VHOST_USER_GET_MAX_MEM_SLOTS, &slots);
		if (r < 0)
			return r;
	}
	r = vuf_request(f, VHOST_USER_SET_OWNER, NULL, 0, NULL, 0);
	if (r < 0)
		return r;
	acked = f->features & ((1ull << VIRTIO_F_VERSION_1) | (1ull << VIRTIO_NET_F_MRG_RXBUF) |
			       (1ull << VIRTIO_RING_F_EVENT_IDX) |
			       (1ull << VIRTIO_RING_F_INDIRECT_DESC) | (1ull << VIRTIO_NET_F_MQ) |
			       (1ull << VHOST_USER_F_PROTOCOL_FEATURES));
	return vuf_set_u64(f, VHOST_USER_SET_FEATURES, acked);
}

/**
 * vuf_handshake() - connect-time sequence up to running rings
 * @f: connected
 * @o: options
 *
 * Return: 0 or a negative errno (vuf_error says which step failed).
 */
int vuf_handshake(struct vuf *f, const struct vuf_opts *o)
{
	unsigned int i;
	int r = negotiate(f, o);

	if (!r && !f->mem)
		r = vuf_mem_init(f);
	if (!r)
		r = o->add_mem_reg ? add_mem_reg(f) : vuf_set_mem_table(f);
	for (i = 0; !r && i < o->nrings; i++)
		r = vuf_setup_ring(f, i, o->base);
	if (!r && (f->acked_protocol & (1ull << VHOST_USER_PROTOCOL_F_STATUS))) {
		uint64_t status = 0;

		r = vuf_set_u64(f, VHOST_USER_SET_STATUS, 0xf);
		if (!r)
			r = vuf_get_u64(f, VHOST_USER_GET_STATUS, &status);
		if (!r && status != 0xf)
			r = fail(-EPROTO, "GET_STATUS says %#llx", (unsigned long long)status);
	}
	for (i = 0; !r && i < o->nrings; i++)
		r = vuf_kick(f, i);
	f->nrings = o->nrings;
	return r;
}

/**
 * vuf_teardown() - stop every ring the handshake set up (GET_VRING_BASE)
 * Return: 0 or a negative errno.
 */
int vuf_teardown(struct vuf *f)
{
	unsigned int i;
	uint32_t base;
	int r = 0;

	for (i = 0; !r && i < f->nrings; i++)
		r = vuf_get_vring_base(f, i, &base);
	return r;
}
