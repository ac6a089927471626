// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test_vhost_user_client.c - client mode: vuring dials a front-end that
 * listens (QEMU server=on). While the front-end is missing it redials with
 * exponential backoff capped at reconnect-max-ms; after each disconnect
 * (orderly or after a protocol violation) it dials again at once; while
 * connected it does not dial at all.
 *
 * Also the other way to get a front-end without listening: a connected
 * socket inherited through --fd. When that front-end goes, vuring exits.
 */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "tap.h"
#include "vu_frontend.h"

#define RECONNECT_MS	50
#define RECONNECT_MAX	400
/* Slack on top of a delay the daemon promised (sanitizer builds, busy CI). */
#define SLACK_MS	1500
/* Time to let the backoff climb to its cap while nobody listens. */
#define ABSENT_MS	1500

static const char test_ini[] =
	"[vhost-user]\n"
	"mode = client\n"
	"reconnect-ms = 50\n"
	"reconnect-max-ms = 400\n";

static struct vuf_daemon daemon_;

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/**
 * check_backoff() - the "next try in N ms" delays the daemon logged
 *
 * Each must double the previous one until the cap, then stay at the cap.
 */
static void check_backoff(void)
{
	FILE *f = fopen(daemon_.log, "r");
	unsigned int prev = RECONNECT_MS, n = 0, bad = 0, d;
	char line[512];
	const char *p;

	while (f && fgets(line, sizeof(line), f)) {
		p = strstr(line, "next try in ");
		if (!p || sscanf(p, "next try in %u ms", &d) != 1)
			continue;
		if (d != (prev * 2 > RECONNECT_MAX ? RECONNECT_MAX : prev * 2)) {
			diag("delay %u after %u", d, prev);
			bad++;
		}
		prev = d;
		n++;
	}
	if (f)
		fclose(f);
	ok(n >= 3 && bad == 0, "redial delays double from %d ms up to %d ms (%u delays)",
	   RECONNECT_MS, RECONNECT_MAX, n);
	ok(prev == RECONNECT_MAX, "and stay at the cap");
}

/* Accept the daemon's call; report how long it took from @since. */
static int accept_within(struct vuf *f, int lfd, long since, int limit_ms, const char *what)
{
	int r = vuf_accept(f, lfd, limit_ms);

	ok(r == 0, "%s: vuring dialed in after %ld ms", what, now_ms() - since);
	if (r < 0)
		diag("%s", vuf_error);
	return r;
}

static bool session_ok(struct vuf *f)
{
	struct vuf_opts o = { .nrings = 2 };
	int r = vuf_handshake(f, &o);

	if (!r)
		r = vuf_teardown(f);
	if (r < 0)
		diag("session: %s", vuf_error);
	return r == 0;
}

static void test_inherited_connection(void)
{
	struct vuf_daemon d;
	struct vuf f;
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
		ok(0, "socketpair");
		return;
	}
	if (vuf_daemon_start_fd(&d, NULL, sv[1]) < 0) {
		diag("%s", vuf_error);
		ok(0, "--fd with a connected socket: daemon starts");
		close(sv[0]);
		close(sv[1]);
		vuf_daemon_cleanup(&d);
		return;
	}
	close(sv[1]);
	vuf_adopt(&f, sv[0]);
	ok(session_ok(&f), "--fd with a connected socket: a session over it");
	vuf_close(&f);
	is_int(vuf_daemon_wait(&d, VUF_TIMEOUT_MS), 0,
	       "--fd with a connected socket: vuring exits 0 when that front-end is gone");
	ok(vuf_log_contains(&d, 0, "inherited connection is gone"), "and says why");
	vuf_daemon_cleanup(&d);
}

int main(void)
{
	struct vhost_user_hdr bad = { VHOST_USER_GET_FEATURES, 2, 0 };
	struct pollfd p;
	int lfd, fds1 = -1, fds2;
	struct vuf f;
	off_t from;
	long t;

	if (!getenv("VURING"))
		skip_all("VURING (the daemon to test) is not set");
	if (vuf_daemon_start(&daemon_, test_ini) < 0) {
		diag("%s", vuf_error);
		vuf_daemon_cleanup(&daemon_);
		skip_all("the daemon did not start");
	}

	/* Nobody listens yet. */
	usleep(ABSENT_MS * 1000);
	ok(vuf_daemon_alive(&daemon_), "vuring keeps running without a front-end");
	ok(vuf_log_contains(&daemon_, 0, "cannot connect to the front-end"),
	   "the missing front-end is reported");
	check_backoff();

	/* The front-end appears. */
	lfd = vuf_listen(daemon_.sock);
	if (lfd < 0) {
		diag("%s", vuf_error);
		vuf_daemon_cleanup(&daemon_);
		skip_all("cannot listen");
	}
	t = now_ms();
	if (accept_within(&f, lfd, t, RECONNECT_MAX + SLACK_MS, "front-end appears") == 0) {
		fds1 = vuf_daemon_fd_count(&daemon_);
		ok(session_ok(&f), "handshake over the dialed connection");
		vuf_close(&f);
	}

	/* An orderly disconnect: it dials again at once. */
	t = now_ms();
	if (accept_within(&f, lfd, t, SLACK_MS, "after a disconnect") == 0) {
		p = (struct pollfd){ .fd = lfd, .events = POLLIN };
		ok(poll(&p, 1, 2 * RECONNECT_MAX) == 0, "no further dialing while connected");
		from = vuf_log_size(&daemon_);
		vuf_send_raw(&f, &bad, sizeof(bad), NULL, 0);
		ok(vuf_peer_closed(&f, SLACK_MS) &&
			   vuf_wait_log(&daemon_, from, "protocol version 2", SLACK_MS) == 0,
		   "a protocol violation drops the connection");
		vuf_close(&f);
	}

	/* ... and after a violation too. */
	t = now_ms();
	if (accept_within(&f, lfd, t, SLACK_MS, "after a violation") == 0) {
		fds2 = vuf_daemon_fd_count(&daemon_);
		is_int(fds2, fds1, "no fd left behind across sessions");
		ok(session_ok(&f), "a fresh session works");
		vuf_close(&f);
	}
	close(lfd);
	is_int(vuf_daemon_stop(&daemon_), 0, "daemon exits cleanly (no leaks reported)");
	vuf_daemon_cleanup(&daemon_);
	test_inherited_connection();
	return done_testing();
}
