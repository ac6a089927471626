// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test_vhost_user_cycles.c - many connect / handshake / disconnect cycles
 * against one running vuring: its open fds and resident memory must not
 * grow with the number of front-ends it has served.
 *
 * VURING_TEST_QUICK=1 (used by distcheck) runs fewer cycles after the warm-up.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include "tap.h"
#include "vu_frontend.h"

#define CYCLES		1000
#define QUICK_CYCLES	400
/* Cycles before measuring: lets allocator caches and ASan's quarantine fill. */
#define WARMUP		200
/*
 * RSS may wobble by allocator page granularity; a real leak of even one
 * small object per cycle (800 cycles) shows up well above this.
 */
#define RSS_SLACK_KB	1024

static const char test_ini[] = "[backend]\nqueue-pairs = 2\n";

static int one_cycle(struct vuf_daemon *d, unsigned int i)
{
	/* Vary the shape a little: memory table or single regions, base. */
	struct vuf_opts o = { .nrings = 4, .add_mem_reg = i & 1, .base = (uint16_t)i };
	struct vuf f;
	int r = vuf_connect(&f, d->sock);

	if (!r)
		r = vuf_handshake(&f, &o);
	if (!r)
		r = vuf_teardown(&f);
	vuf_close(&f);
	return r;
}

int main(void)
{
	unsigned int cycles = getenv("VURING_TEST_QUICK") ? QUICK_CYCLES : CYCLES;
	unsigned int warmup = WARMUP;
	int fds0 = -1, fds1, status;
	long rss0 = -1, rss1;
	unsigned int i, failed = 0;
	struct vuf_daemon d;

	if (!getenv("VURING"))
		skip_all("VURING (the daemon to test) is not set");
	plan(5);
	if (vuf_daemon_start(&d, test_ini) < 0) {
		diag("%s", vuf_error);
		vuf_daemon_cleanup(&d);
		skip_all("the daemon did not start");
	}
	for (i = 0; i < cycles; i++) {
		if (i == warmup) {
			fds0 = vuf_daemon_fd_count(&d);
			rss0 = vuf_daemon_rss_kb(&d);
		}
		if (one_cycle(&d, i) < 0 && failed++ < 3)
			diag("cycle %u: %s", i, vuf_error);
	}
	fds1 = vuf_daemon_fd_count(&d);
	rss1 = vuf_daemon_rss_kb(&d);
	is_int(failed, 0, "%u connect/handshake/disconnect cycles succeed", cycles);
	ok(fds0 > 0 && fds1 == fds0, "open fds stay at %d after %u cycles (now %d)", fds0,
	   cycles - warmup, fds1);
	ok(rss0 > 0 && rss1 - rss0 <= RSS_SLACK_KB, "RSS %ld kB -> %ld kB over %u cycles", rss0,
	   rss1, cycles - warmup);
	ok(vuf_daemon_alive(&d), "daemon still running");
	status = vuf_daemon_stop(&d);
	is_int(status, 0, "daemon exits cleanly (no leaks reported)");
	vuf_daemon_cleanup(&d);
	return done_testing();
}
