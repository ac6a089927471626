// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test_ctl.c - the control socket against the real daemon: every answer is
 * a valid JSON document (checked by Python's json module) with the fields
 * vuringctl relies on, "status" follows a front-end (tests/vu_frontend.c)
 * through its handshake, "set log-level" applies, and hostile clients
 * (garbage, NUL bytes, oversized requests, clients that never read, too
 * many clients) get error answers or are dropped while the daemon keeps
 * serving everyone else.
 */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tap.h"
#include "vu_frontend.h"

/* Seconds a test client waits for an answer before calling it a failure. */
#define ANSWER_TIMEOUT_SECS 10
/* Largest answer the test reads (a "status" with 4 rings is ~3 KiB). */
#define ANSWER_MAX (256 * 1024)
/* More clients than the daemon serves at once. */
#define MANY_CLIENTS 40
/* Requests a client that never reads fires at the daemon. */
#define FLOOD_REQUESTS 40000

/* Short enough that the socket path fits sun_path. */
static char ctl_dir[80];
static char ctl_path[sizeof(((struct sockaddr_un *)0)->sun_path)];

static int ctl_connect(void)
{
	struct timeval tv = { .tv_sec = ANSWER_TIMEOUT_SECS };
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	strcpy(sa.sun_path, ctl_path);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static bool send_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);

		if (n <= 0)
			return false;
		p += n;
		len -= (size_t)n;
	}
	return true;
}

/**
 * read_line() - read one answer line (byte by byte: the next answer must
 * stay in the socket for the next call)
 * Return: the line without its newline (malloc'd), or NULL on EOF/timeout.
 */
static char *read_line(int fd)
{
	char *buf = malloc(ANSWER_MAX);
	size_t len = 0;

	while (buf && len < ANSWER_MAX - 1) {
		ssize_t n = read(fd, buf + len, 1);

		if (n <= 0)
			break;
		if (buf[len] == '\n') {
			buf[len] = '\0';
			return buf;
		}
		len++;
	}
	free(buf);
	return NULL;
}

/*
 * One request (any bytes), one answer line; NULL if none came. The answer
 * is read even if the request could not be sent: a daemon that turned the
 * client away has said why and hung up already.
 */
static char *ask_raw(int fd, const void *req, size_t len)
{
	send_all(fd, req, len);
	return read_line(fd);
}

static char *ask(int fd, const char *req)
{
	char line[512];

	snprintf(line, sizeof(line), "%s\n", req);
	return ask_raw(fd, line, strlen(line));
}

/* A fresh connection, one request, its answer. */
static char *ask_once(const char *req)
{
	int fd = ctl_connect();
	char *a = fd < 0 ? NULL : ask(fd, req);

	if (fd >= 0)
		close(fd);
	return a;
}

/**
 * py_check() - is @json one valid JSON document for which the Python
 * expression @expr (over the parsed document d) is true?
 */
static bool py_check(const char *json, const char *expr)
{
	static const char script[] =
		"import json, sys\n"
		"d = json.loads(sys.stdin.buffer.read())\n"
		"sys.exit(0 if eval(sys.argv[1]) else 1)\n";
	int pipefd[2], status;
	pid_t pid;

	if (!json || pipe(pipefd) < 0)
		return false;
	pid = fork();
	if (pid == 0) {
		dup2(pipefd[0], STDIN_FILENO);
		close(pipefd[0]);
		close(pipefd[1]);
		execlp("python3", "python3", "-c", script, expr, (char *)NULL);
		_exit(127);
	}
	close(pipefd[0]);
	if (pid < 0 || write(pipefd[1], json, strlen(json)) < 0) {
		close(pipefd[1]);
		if (pid > 0)
			waitpid(pid, NULL, 0);
		return false;
	}
	close(pipefd[1]);
	if (waitpid(pid, &status, 0) != pid)
		return false;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

/* ok(py_check(...)) that shows the answer when it fails. */
static void check(const char *json, const char *expr, const char *desc)
{
	if (!ok(py_check(json, expr), "%s", desc))
		diag("answer: %.600s", json ? json : "(none)");
}

static bool have_python(void)
{
	return py_check("{}", "d == {}");
}

static void test_before_frontend(void)
{
	struct stat st;
	char *a;

	ok(stat(ctl_path, &st) == 0 && S_ISSOCK(st.st_mode) && (st.st_mode & 0777) == 0600,
	   "control socket exists, owner-only (0600)");
	a = ask_once("stats");
	check(a, "d['ok'] is True and d['datapath'] is False and d['queues'] == [] and "
		 "d['device']['connections'] == 0 and isinstance(d['monotonic_ns'], int)",
	      "stats without a front-end or datapath: valid JSON, zero connections");
	free(a);
	a = ask_once("status");
	check(a, "d['ok'] and d['vhost_user']['state'] == 'waiting' and "
		 "d['vhost_user']['mode'] == 'server' and d['backend'] is None and "
		 "len(d['rings']) == 4 and d['memory']['regions'] == []",
	      "status without a front-end: waiting, no memory, 4 stopped rings, no back-end");
	free(a);
	a = ask_once("help");
	check(a, "d['ok'] and 'stats' in d['requests']", "help lists the requests");
	free(a);
}

static void test_with_frontend(struct vuf_daemon *d)
{
	struct vuf_opts o = { .nrings = 4 };
	char expr[256];
	struct vuf f;
	char *a;

	if (!ok(vuf_connect(&f, d->sock) == 0 && vuf_handshake(&f, &o) == 0,
		"a front-end completes the handshake"))
		diag("%s", vuf_error);
	a = ask_once("status");
	check(a, "d['vhost_user']['state'] == 'connected' and "
		 "'VERSION_1' in d['vhost_user']['features']['names'] and "
		 "'PROTOCOL_FEATURES' in d['vhost_user']['features']['names'] and "
		 "'REPLY_ACK' in d['vhost_user']['protocol_features']['names'] and "
		 "int(d['vhost_user']['features']['acked'], 16) != 0",
	      "status: connected, acked features and protocol features by name");
	snprintf(expr, sizeof(expr), "len(d['memory']['regions']) == 1 and "
		 "d['memory']['total_bytes'] == %u", VUF_MEM_SIZE);
	check(a, expr, "status: the front-end's memory region");
	check(a, "all(r['state'] == 'started' and r['num'] == 256 and r['kicks'] >= 1 and "
		 "r['avail_idx'] == 0 and r['used_idx'] == 0 and r['inflight'] == 0 and "
		 "r['broken'] is None for r in d['rings'])",
	      "status: 4 started rings of 256 with their indexes");
	free(a);
	a = ask_once("stats");
	check(a, "d['device']['connections'] == 1 and d['device']['messages'] > 10",
	      "stats: one front-end served, its messages counted");
	free(a);
	vuf_teardown(&f);
	vuf_close(&f);
}

static void test_log_level(struct vuf_daemon *d)
{
	off_t from = vuf_log_size(d);
	char *a = ask_once("set log-level warn");

	check(a, "d['ok'] and d['log_level'] == 'warn'", "set log-level warn");
	free(a);
	a = ask_once("status");
	check(a, "d['log_level'] == 'warn'", "status shows the new level");
	free(a);
	ok(vuf_log_contains(d, from, "control: log level debug -> warn"),
	   "the change is logged");
	a = ask_once("set log-level debug");
	check(a, "d['ok'] and d['log_level'] == 'debug'", "set log-level debug");
	free(a);
	a = ask_once("set log-level loud");
	check(a, "d['ok'] is False and 'loud' in d['error']", "an unknown level is refused");
	free(a);
	a = ask_once("set colour blue");
	check(a, "d['ok'] is False and 'usage' in d['error']", "set of something else: usage");
	free(a);
}

static void test_garbage(void)
{
	static const char nul[] = "sta\0ts\n";
	static const char bytes[] = "\xe2\x82\xac\xff\xfe\x01\x1b[31m\"\\\xc3\x28\n";
	int fd = ctl_connect();
	char *a;

	a = ask(fd, "frobnicate the widgets");
	check(a, "d['ok'] is False and 'frobnicate' in d['error']",
	      "unknown request: error answer naming it");
	free(a);
	a = ask_raw(fd, nul, sizeof(nul) - 1);
	check(a, "d['ok'] is False and 'NUL' in d['error']", "a NUL byte: error answer");
	free(a);
	a = ask_raw(fd, bytes, sizeof(bytes) - 1);
	check(a, "d['ok'] is False and '\\u20ac' in d['error'] and '\\ufffd' in d['error']",
	      "control characters and invalid UTF-8 come back as valid JSON");
	free(a);
	a = ask(fd, "stats");
	check(a, "d['ok'] is True", "the same connection still answers after the errors");
	free(a);
	close(fd);
}

static void test_oversized(struct vuf_daemon *d)
{
	size_t len = 100000;
	char *big = malloc(len), *a;
	int fd = ctl_connect();

	memset(big, 'A', len);
	send_all(fd, big, len);	/* may fall short: the daemon hangs up */
	a = read_line(fd);
	check(a, "d['ok'] is False and 'longer' in d['error']",
	      "a request without end: error answer");
	free(a);
	a = read_line(fd);
	ok(a == NULL, "... then the daemon hangs up");
	free(a);
	close(fd);
	free(big);
	ok(vuf_daemon_alive(d), "the daemon survives an oversized request");
	a = ask_once("stats");
	check(a, "d['ok']", "and answers the next client");
	free(a);
}

static void test_many_clients(void)
{
	int fds[MANY_CLIENTS], served = 0, turned = 0;
	char *a;

	for (int i = 0; i < MANY_CLIENTS; i++)
		fds[i] = ctl_connect();
	for (int i = 0; i < MANY_CLIENTS; i++) {
		a = fds[i] < 0 ? NULL : ask(fds[i], "stats");
		if (py_check(a, "d['ok'] is True"))
			served++;
		else if (py_check(a, "d['ok'] is False and 'too many' in d['error']"))
			turned++;
		free(a);
	}
	diag("%d clients at once: %d served, %d turned away", MANY_CLIENTS, served, turned);
	ok(served >= 1 && turned >= 1 && served + turned == MANY_CLIENTS,
	   "beyond its limit the daemon turns clients away with an error line");
	for (int i = 0; i < MANY_CLIENTS; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	a = ask_once("stats");
	check(a, "d['ok']", "once they leave, a new client is served");
	free(a);
}

/* A client that fires requests and never reads must not hold the daemon. */
static void test_flood(struct vuf_daemon *d)
{
	int fd = ctl_connect(), sent = 0, got = 0;
	struct timeval tv = { .tv_sec = 2 };
	char buf[65536];
	char *a;
	ssize_t n;

	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	while (sent < FLOOD_REQUESTS && send_all(fd, "stats\n", 6))
		sent++;
	a = ask_once("stats");
	check(a, "d['ok']", "another client is answered while one floods without reading");
	free(a);
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		for (ssize_t i = 0; i < n; i++)
			got += buf[i] == '\n';
	diag("flood: %d requests sent, %d answers before the daemon hung up", sent, got);
	ok(got < sent, "the client that does not read its answers is dropped");
	close(fd);
	ok(vuf_daemon_alive(d), "the daemon survives the flood");
}

/* EOF after the request: the answer still arrives, then the daemon closes. */
static void test_half_close(void)
{
	int fd = ctl_connect();
	char *a;

	send_all(fd, "status\n", 7);
	shutdown(fd, SHUT_WR);
	a = read_line(fd);
	check(a, "d['ok']", "a client that half-closes after its request gets the answer");
	free(a);
	a = read_line(fd);
	ok(a == NULL, "... and then EOF");
	free(a);
	close(fd);
}

/* A leftover socket file from a dead daemon: bound, never listened on. */
static int make_stale_socket(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM, 0), r;

	strcpy(sa.sun_path, ctl_path);
	r = fd < 0 ? -1 : bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	if (fd >= 0)
		close(fd);
	return r;
}

int main(void)
{
	char ini[512];
	struct vuf_daemon d;
	const char *tmp = getenv("TMPDIR");

	if (!getenv("VURING"))
		skip_all("VURING (the daemon to test) is not set");
	if (!have_python())
		skip_all("python3 is needed to validate the JSON answers");
	signal(SIGPIPE, SIG_IGN);
	snprintf(ctl_dir, sizeof(ctl_dir), "%s/vuring-ctl.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(ctl_dir))
		skip_all("mkdtemp failed");
	snprintf(ctl_path, sizeof(ctl_path), "%s/ctl.sock", ctl_dir);
	snprintf(ini, sizeof(ini), "[backend]\nqueue-pairs = 2\n[control]\npath = %s\n", ctl_path);

	ok(make_stale_socket() == 0, "a stale control socket file is left over");
	if (vuf_daemon_start(&d, ini) < 0) {
		diag("%s", vuf_error);
		vuf_daemon_cleanup(&d);
		rmdir(ctl_dir);
		skip_all("the daemon did not start");
	}
	ok(vuf_log_contains(&d, 0, "removed stale socket"), "the daemon replaced it");
	test_before_frontend();
	test_with_frontend(&d);
	test_log_level(&d);
	test_garbage();
	test_oversized(&d);
	test_many_clients();
	test_flood(&d);
	test_half_close();
	is_int(vuf_daemon_stop(&d), 0, "daemon exits cleanly on SIGTERM (no leaks reported)");
	ok(access(ctl_path, F_OK) < 0 && errno == ENOENT, "the control socket file is removed");
	vuf_daemon_cleanup(&d);
	unlink(ctl_path);
	rmdir(ctl_dir);
	return done_testing();
}
