// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * bench_virtq.c - micro-benchmark of the split virtqueue engine.
 *
 * An in-process fake driver (tests/fake_driver.c) keeps a 256-entry ring
 * full of chains of 1, 2 or 4 readable 256-byte buffers, direct or through
 * an indirect table; the device side pops them in batches of 32, pushes
 * them and flushes once per batch, and asks whether to interrupt, as the
 * datapath does. No payload is touched: this measures the engine.
 *
 * Two rates per case, in chains per CPU-second: "device" counts only the
 * time spent in virtq_* calls (what a change to virtq_split.c moves);
 * "loop" includes the fake driver.
 *
 *   bench/bench_virtq [seconds per case, default 1]
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "../tests/fake_driver.h"
#include "log.h"
#include "virtq.h"

#define RING_SIZE	256	/* a common virtio-net queue size */
#define BATCH		32	/* chains per pop batch / flush, as the datapath */
#define BUF_LEN		256
#define MAX_DESCS	4

/*
 * Rates are per CPU-second of this (single, CPU-bound) thread, so a busy
 * machine that deschedules us does not skew them; the run length is wall time.
 */
static double clock_s(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double now(void)
{
	return clock_s(CLOCK_THREAD_CPUTIME_ID);
}

struct result {
	double device_rate;
	double loop_rate;
};

/* Driver: add chains until the ring is full. */
static void refill(struct fake_ring *r, unsigned int ndescs, bool indirect,
		   const uint64_t *tables)
{
	struct fake_buf bufs[MAX_DESCS];
	unsigned int i;

	for (i = 0; i < ndescs; i++) {
		bufs[i].gpa = FG_R0 + (uint64_t)i * BUF_LEN;
		bufs[i].len = BUF_LEN;
		bufs[i].writable = false;
	}
	for (;;) {
		if (indirect) {
			if (!r->num_free)
				break;
			fake_add_indirect(r, tables[r->free_head], bufs, ndescs);
		} else if (fake_add(r, bufs, ndescs) < 0) {
			break;
		}
	}
	fake_publish(r);
}

static int run_case(unsigned int ndescs, bool indirect, double seconds, struct result *res)
{
	static struct iovec iovs[BATCH][MAX_DESCS];
	static uint64_t tables[RING_SIZE];
	struct virtq_elem el[BATCH];
	struct fake_guest g;
	struct fake_ring r;
	struct virtq_config cfg;
	struct virtq vq;
	double t0, t_dev = 0, start, end, cpu0;
	unsigned long chains = 0;
	unsigned int i;
	uint32_t id, len;

	if (fake_guest_init(&g))
		return -1;
	fake_ring_init(&r, &g, RING_SIZE, true, 0);
	for (i = 0; i < RING_SIZE; i++)
		tables[i] = fake_alloc(&g, 16 * MAX_DESCS, 16);
	fake_ring_config(&r, &cfg);
	cfg.dir = VIRTQ_DIR_OUT;
	if (virtq_init(&vq, &g.mem, &cfg))
		return -1;
	for (i = 0; i < BATCH; i++) {
		el[i].iov = iovs[i];
		el[i].iov_cap = MAX_DESCS;
	}
	start = clock_s(CLOCK_MONOTONIC);
	end = start + seconds;
	cpu0 = now();
	do {
		int n;

		refill(&r, ndescs, indirect, tables);
		/* Drain the ring in batches, as the TX path does after a kick. */
		t0 = now();
		while ((n = virtq_pop_batch(&vq, el, BATCH)) > 0) {
			for (i = 0; i < (unsigned int)n; i++)
				virtq_push(&vq, &el[i], 0);
			virtq_flush(&vq);
			(void)virtq_should_notify(&vq);
			chains += (unsigned long)n;
		}
		t_dev += now() - t0;
		if (n < 0) {
			fprintf(stderr, "ring broke: %s\n", virtq_broken(&vq));
			return -1;
		}
		while (fake_get_used(&r, &id, &len) == 1)
			;
	} while (clock_s(CLOCK_MONOTONIC) < end);
	res->loop_rate = (double)chains / (now() - cpu0);
	res->device_rate = (double)chains / t_dev;
	virtq_stop(&vq);
	fake_guest_fini(&g);
	return 0;
}

int main(int argc, char **argv)
{
	static const unsigned int descs[] = { 1, 2, 4 };
	double seconds = argc > 1 ? atof(argv[1]) : 1.0;
	unsigned int i, ind;

	if (seconds <= 0)
		seconds = 1.0;
	log_set_level(VLOG_ERROR);
	printf("# split ring, size %u, batch %u, EVENT_IDX, %.1f s per case\n", RING_SIZE, BATCH,
	       seconds);
	printf("# %-6s %-9s %18s %18s\n", "descs", "layout", "device Mchains/s", "loop Mchains/s");
	for (ind = 0; ind < 2; ind++) {
		for (i = 0; i < sizeof(descs) / sizeof(descs[0]); i++) {
			struct result res;

			if (run_case(descs[i], ind, seconds, &res)) {
				fprintf(stderr, "bench_virtq: case failed\n");
				return 1;
			}
			printf("  %-6u %-9s %18.2f %18.2f\n", descs[i], ind ? "indirect" : "direct",
			       res.device_rate / 1e6, res.loop_rate / 1e6);
		}
	}
	return 0;
}
