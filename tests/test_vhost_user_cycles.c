// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test_vhost_user_cycles.c - many connect / handshake / disconnect cycles
 * against one running vuring: its open fds and resident memory must not
 * grow with the number of front-ends it has served.
 *
 * VURING_TEST_QUICK=1 (used by distcheck) runs fewer cycles after the warm-up.
 *
 * As root the daemon gets a TAP in a network namespace of the test's own:
 * every TRAFFIC_EVERY-th front-end, and one more after the last cycle, must
 * move a frame out of every TX ring and one into the guest. The run ends
 * with a machine-readable '# SUMMARY {json}' line.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "vu_frontend.h"
#include "vuf_traffic.h"

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
#define TRAFFIC_IFNAME "vucy0"
static const char traffic_ini[] =
	"[backend]\nqueue-pairs = 2\ninterface = " TRAFFIC_IFNAME "\ncreate = yes\n";
/* Front-ends that move frames (with a TAP): one in this many. */
#define TRAFFIC_EVERY	50
#define TRAFFIC_MS	3000

static bool traffic;
static struct vuft tap_;

static int one_cycle(struct vuf_daemon *d, unsigned int i, bool frames)
{
	/* Vary the shape a little: memory table or single regions, base. */
	struct vuf_opts o = { .nrings = 4, .add_mem_reg = i & 1, .base = (uint16_t)i };
	struct vuf f;
	int r = vuf_connect(&f, d->sock);

	if (!r)
		r = vuf_handshake(&f, &o);
	if (!r && frames) {
		vuft_session(&tap_, &f);
		r = vuft_both_ways(&tap_, &f, TRAFFIC_MS);
		if (r < 0)
			snprintf(vuf_error, sizeof(vuf_error), "traffic: %s", strerror(-r));
	}
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
	unsigned int i, failed = 0, with_frames = 0;
	struct vuf_daemon d;
	bool last_ok;

	if (!getenv("VURING"))
		skip_all("VURING (the daemon to test) is not set");
	/* As root: a network namespace of our own, and a TAP in it. */
	traffic = vuft_netns_enter() == 0;
	plan(6);
	if (vuf_daemon_start(&d, traffic ? traffic_ini : test_ini) < 0 ||
	    (traffic && vuft_open(&tap_, TRAFFIC_IFNAME, VUF_TIMEOUT_MS) < 0)) {
		diag("%s", vuf_error);
		vuf_daemon_cleanup(&d);
		skip_all("the daemon did not start");
	}
	for (i = 0; i < cycles; i++) {
		bool frames = traffic && i % TRAFFIC_EVERY == 0;

		if (i == warmup) {
			fds0 = vuf_daemon_fd_count(&d);
			rss0 = vuf_daemon_rss_kb(&d);
		}
		with_frames += frames;
		if (one_cycle(&d, i, frames) < 0 && failed++ < 3)
			diag("cycle %u: %s", i, vuf_error);
	}
	fds1 = vuf_daemon_fd_count(&d);
	rss1 = vuf_daemon_rss_kb(&d);
	is_int(failed, 0, "%u connect/handshake/disconnect cycles succeed (%u moving frames)", cycles,
	       with_frames);
	last_ok = one_cycle(&d, cycles, traffic) == 0;
	ok(last_ok, "a front-end after the last cycle is served%s",
	   traffic ? " and moves frames both ways" : "");
	ok(fds0 > 0 && fds1 == fds0, "open fds stay at %d after %u cycles (now %d)", fds0,
	   cycles - warmup, fds1);
	ok(rss0 > 0 && rss1 - rss0 <= RSS_SLACK_KB, "RSS %ld kB -> %ld kB over %u cycles", rss0,
	   rss1, cycles - warmup);
	ok(vuf_daemon_alive(&d), "daemon still running");
	if (traffic)
		vuft_close(&tap_);
	status = vuf_daemon_stop(&d);
	is_int(status, 0, "daemon exits cleanly (no leaks reported)");
	printf("# SUMMARY {\"suite\":\"vhost_user_cycles\",\"traffic\":%s,\"cycles\":%u,"
	       "\"failed\":%u,\"with_frames\":%u,\"fds_baseline\":%d,\"fds_end\":%d,"
	       "\"rss_kb_baseline\":%ld,\"rss_kb_end\":%ld,\"daemon_exit\":%d}\n",
	       traffic ? "true" : "false", cycles + 1, failed + !last_ok, with_frames + traffic,
	       fds0, fds1, rss0, rss1, status);
	vuf_daemon_cleanup(&d);
	return done_testing();
}
