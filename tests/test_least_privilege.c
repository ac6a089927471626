// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test_least_privilege.c - vuring started as root with [security] user =
 * nobody, on a persistent TAP owned by nobody (as an administrator creates
 * it: ip tuntap add ... user nobody), in a network namespace of the test's
 * own.
 *
 * /proc/PID/status must show the drop: every uid and gid nobody's, no
 * supplementary group, no capability in any set, NoNewPrivs 1, Seccomp 2.
 * Then everything that must keep working without privilege does: frames
 * both ways on both queue pairs, a queue pair disabled and enabled again
 * (TUNSETQUEUE), front-ends coming and going, SIGHUP (refused while the
 * file is unreadable to nobody, applied once it is readable), a clean exit
 * (the socket file stays: its directory is not nobody's), and client mode
 * redialing a front-end that went away.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tap.h"
#include "vu_frontend.h"
#include "vuf_traffic.h"

#define IFNAME		"vulp0"
#define NRINGS		4
#define WAIT_MS		5000

static struct passwd nobody;

/**
 * tap_create_owned() - a persistent multiqueue TAP owned by @uid
 * Return: 0 or a negative errno.
 */
static int tap_create_owned(const char *name, uid_t uid)
{
	struct ifreq ifr;
	int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC), r = 0;

	if (fd < 0)
		return -errno;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR | IFF_MULTI_QUEUE;
	if (ioctl(fd, TUNSETIFF, &ifr) < 0 || ioctl(fd, TUNSETOWNER, (unsigned long)uid) < 0 ||
	    ioctl(fd, TUNSETPERSIST, 1UL) < 0)
		r = -errno;
	close(fd);
	return r;
}

/* One "Key:\tvalue" line of /proc/PID/status, value only. */
static void status_field(pid_t pid, const char *key, char *out, size_t len)
{
	char path[64], line[256];
	size_t klen = strlen(key);
	FILE *f;

	snprintf(out, len, "?");
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "r");
	while (f && fgets(line, sizeof(line), f)) {
		if (strncmp(line, key, klen) || line[klen] != ':')
			continue;
		line[strcspn(line, "\n")] = '\0';
		snprintf(out, len, "%s", line + klen + 1 + strspn(line + klen + 1, " \t"));
		break;
	}
	if (f)
		fclose(f);
}

/* The drop, as the kernel reports it. */
static void check_status(pid_t pid, const char *when)
{
	static const char *const caps[] = { "CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb" };
	char v[128], want[128];

	status_field(pid, "Uid", v, sizeof(v));
	snprintf(want, sizeof(want), "%u\t%u\t%u\t%u", nobody.pw_uid, nobody.pw_uid,
		 nobody.pw_uid, nobody.pw_uid);
	is_str(v, want, "%s: Uid (real, effective, saved, fs) all nobody's", when);
	status_field(pid, "Gid", v, sizeof(v));
	snprintf(want, sizeof(want), "%u\t%u\t%u\t%u", nobody.pw_gid, nobody.pw_gid,
		 nobody.pw_gid, nobody.pw_gid);
	is_str(v, want, "%s: Gid all nobody's group", when);
	status_field(pid, "Groups", v, sizeof(v));
	is_str(v, "", "%s: no supplementary groups", when);
	for (size_t i = 0; i < sizeof(caps) / sizeof(caps[0]); i++) {
		status_field(pid, caps[i], v, sizeof(v));
		is_str(v, "0000000000000000", "%s: %s empty", when, caps[i]);
	}
	status_field(pid, "NoNewPrivs", v, sizeof(v));
	is_str(v, "1", "%s: NoNewPrivs 1", when);
	status_field(pid, "Seccomp", v, sizeof(v));
	is_str(v, "2", "%s: Seccomp 2 (filter)", when);
}

/* A session: handshake, frames both ways on both pairs, then hang up. */
static bool session_ok(struct vuf *f, struct vuft *t, const char *what)
{
	struct vuf_opts o = { .nrings = NRINGS };
	int r = vuf_handshake(f, &o);

	if (!r) {
		usleep(50000);	/* let the first kicks start the rings */
		vuft_session(t, f);
		r = vuft_both_ways(t, f, WAIT_MS);
	}
	if (r < 0)
		diag("%s: %s (%s)", what, strerror(-r), vuf_error);
	return r == 0;
}

static void test_server(struct vuft *t)
{
	static const char ini[] =
		"[backend]\ninterface = " IFNAME "\ncreate = no\nqueue-pairs = 2\n"
		"[security]\nuser = nobody\n";
	struct vuf_daemon d;
	char path[320];
	off_t from;
	struct vuf f;

	if (!ok(vuf_daemon_start(&d, ini) == 0, "vuring starts as root on a TAP owned by nobody")) {
		diag("%s", vuf_error);
		vuf_daemon_cleanup(&d);
		return;
	}
	ok(vuf_wait_log(&d, 0, "least privilege: uid", WAIT_MS) == 0, "it logs the drop");
	check_status(d.pid, "server");
	ok(vuft_open(t, IFNAME, WAIT_MS) == 0, "the TAP is there");

	ok(vuf_connect(&f, d.sock) == 0 && session_ok(&f, t, "first"),
	   "as nobody: handshake and frames both ways on both queue pairs");
	from = vuf_log_size(&d);
	ok(vuf_set_state(&f, VHOST_USER_SET_VRING_ENABLE, 2, 0) == 0 &&
		   vuf_set_state(&f, VHOST_USER_SET_VRING_ENABLE, 3, 0) == 0 &&
		   vuf_set_state(&f, VHOST_USER_SET_VRING_ENABLE, 2, 1) == 0 &&
		   vuf_set_state(&f, VHOST_USER_SET_VRING_ENABLE, 3, 1) == 0 &&
		   vuft_tx(t, &f, 3, WAIT_MS) == 0,
	   "queue pair 1 disabled and enabled again, then moves a frame");
	ok(!vuf_log_contains(&d, from, "cannot detach") && !vuf_log_contains(&d, from, "cannot attach"),
	   "TUNSETQUEUE detach and attach work without privilege");
	vuf_teardown(&f);
	vuf_close(&f);
	for (int i = 0; i < 3; i++) {
		ok(vuf_connect(&f, d.sock) == 0 && session_ok(&f, t, "again") && vuf_teardown(&f) == 0,
		   "front-end %d after a hang-up: frames both ways", i + 2);
		vuf_close(&f);
	}

	/* SIGHUP: the file lives in the test's root-only directory. */
	snprintf(path, sizeof(path), "%s/vuring.ini", d.dir);
	from = vuf_log_size(&d);
	kill(d.pid, SIGHUP);
	ok(vuf_wait_log(&d, from, "rejected, keeping the running configuration", WAIT_MS) == 0,
	   "SIGHUP with a file nobody cannot read: refused, settings kept");
	from = vuf_log_size(&d);
	chmod(d.dir, 0711);
	chmod(path, 0644);
	kill(d.pid, SIGHUP);
	ok(vuf_wait_log(&d, from, "SIGHUP: configuration re-read", WAIT_MS) == 0,
	   "SIGHUP once nobody can read the file: re-read");
	ok(vuf_connect(&f, d.sock) == 0 && session_ok(&f, t, "after SIGHUP") && vuf_teardown(&f) == 0,
	   "frames both ways after the reloads");
	vuf_close(&f);
	chmod(d.dir, 0700);

	is_int(vuf_daemon_stop(&d), 0, "exits 0 on SIGTERM (no leaks, nothing forbidden at exit)");
	ok(access(d.sock, F_OK) == 0,
	   "the socket file stays behind (its directory is not writable by nobody)");
	ok(!vuf_log_contains(&d, 0, "AddressSanitizer") && !vuf_log_contains(&d, 0, "runtime error"),
	   "no sanitizer report");
	vuft_close(t);
	vuf_daemon_cleanup(&d);
}

static void test_client(struct vuft *t)
{
	static const char ini[] =
		"[vhost-user]\nmode = client\nreconnect-ms = 50\nreconnect-max-ms = 200\n"
		"[backend]\ninterface = " IFNAME "\ncreate = no\nqueue-pairs = 2\n"
		"[security]\nuser = nobody\n";
	struct vuf_daemon d;
	struct vuf f;
	int lfd;

	if (!ok(vuf_daemon_start(&d, ini) == 0, "client mode: vuring starts and dials")) {
		diag("%s", vuf_error);
		vuf_daemon_cleanup(&d);
		return;
	}
	/* The front-end's socket, where nobody may reach it (as QEMU's must). */
	chmod(d.dir, 0711);
	lfd = vuf_listen(d.sock);
	chmod(d.sock, 0666);
	/* The dialer starts before the drop: wait for it. */
	ok(vuf_wait_log(&d, 0, "least privilege: uid", WAIT_MS) == 0, "client mode: it logs the drop");
	check_status(d.pid, "client");
	ok(vuft_open(t, IFNAME, WAIT_MS) == 0, "client mode: the TAP is there");
	ok(lfd >= 0 && vuf_accept(&f, lfd, WAIT_MS) == 0 && session_ok(&f, t, "dialed"),
	   "client mode, as nobody: dials, handshake, frames both ways");
	vuf_close(&f);
	ok(lfd >= 0 && vuf_accept(&f, lfd, WAIT_MS) == 0 && session_ok(&f, t, "redialed"),
	   "client mode, as nobody: redials after the front-end went, frames both ways");
	vuf_close(&f);
	if (lfd >= 0)
		close(lfd);
	chmod(d.dir, 0700);
	is_int(vuf_daemon_stop(&d), 0, "client mode: exits 0 on SIGTERM");
	vuft_close(t);
	vuf_daemon_cleanup(&d);
}

int main(void)
{
	struct passwd *pw;
	struct vuft t;
	int r;

	if (!getenv("VURING"))
		skip_all("VURING (the daemon to test) is not set");
	pw = getpwnam("nobody");
	if (!pw)
		skip_all("no user nobody to drop to");
	nobody = *pw;
	if (vuft_netns_enter() < 0)
		skip_all("needs root and a network namespace of its own");
	r = tap_create_owned(IFNAME, nobody.pw_uid);
	if (r < 0)
		skip_all("cannot create a TAP owned by nobody");
	test_server(&t);
	test_client(&t);
	return done_testing();
}
