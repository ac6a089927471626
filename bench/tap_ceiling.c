// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * tap_ceiling.c - the raw TAP ceiling: how fast can one thread move frames
 * into and out of a TAP, with no virtio in between?
 *
 *   tap_ceiling [-d SECONDS] [-r REPEAT] [-s SIZE,...] [-b BATCH] [-i 1|2]
 *               [-m METHOD,...] [-k]
 *
 * For each frame size it measures four ways (METHOD: txw, txu, rxr, rxu),
 * each REPEAT times for SECONDS, and reports the median run:
 *   tx writev   one write() per frame (writev() with -i 2), as passt does
 *   tx uring    BATCH WRITE (WRITEV) SQEs per io_uring_enter, through
 *               vuring's own uring layer and TAP back-end
 *   rx readv    one read() per frame, poll() when the TAP is empty
 *   rx uring    BATCH READs kept posted, completions through the libevent
 *               loop, re-posted in one submit per batch
 * A transmitted frame is the 12-byte virtio-net header and the frame in one
 * buffer, as guests lay it out (-i 2: two buffers, header apart).
 * Received frames are injected by a child process on another CPU with
 * AF_PACKET sendmmsg() on the TAP. It prints packets per second and the
 * measuring process's CPU seconds per million packets (io_uring's worker
 * threads and softirq work done in its context included) as a markdown
 * table, or key=value lines with -k.
 *
 * It runs in a network namespace of its own (needs root), on a TAP the
 * back-end creates, so nothing outside sees the traffic. Not a test: built
 * with `make bench`.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "backend.h"
#include "log.h"
#include "uring.h"

#define IFNAME "ceil0"
#define MAX_BATCH 256
#define MAX_FRAME 9000
#define HDR_LEN sizeof(struct virtio_net_hdr_mrg_rxbuf)
/* Frames per sendmmsg() in the injector: the same batch the kernel's
 * vhost-net uses, enough to make the syscall cost vanish. */
#define INJECT_BATCH 64
/* Let the injector fill the TAP's queue before measuring. */
#define WARMUP_MS 200
/* Wake the RX loop this often to check the clock when no frame comes. */
#define RX_TICK_MS 100

/* Runs per figure: the median of 3 shrugs off one noisy neighbour. */
#define DEFAULT_REPEAT 3
#define MAX_REPEAT 15

struct opts {
	double seconds;
	unsigned int repeat;
	char methods[64];
	unsigned int batch;
	unsigned int iovs;
	unsigned int sizes[8];
	unsigned int nsizes;
	bool kv;
};

struct run {
	const char *dir, *method;
	unsigned int size;
	uint64_t packets;
	double wall, cpu;
	uint64_t offered;	/* rx: frames the injector got into the TAP */
};

struct bench {
	struct event_base *base;
	struct uring *u;
	struct backend *be;
	int fd;
	unsigned int batch;
	unsigned int iovs;	/* 1: header and frame contiguous, 2: apart */
	unsigned char txbuf[HDR_LEN + MAX_FRAME];	/* zero header, then frame */
	unsigned char *frame;
	unsigned int frame_len;
	uint64_t packets;
	int errors;
};

struct slot {
	struct uring_op op;
	struct bench *b;
	struct iovec iov[2];
	unsigned char buf[HDR_LEN + MAX_FRAME];
};

static double now_mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double now_cpu(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void pin_to_cpu(int cpu)
{
	cpu_set_t set;

	if (sysconf(_SC_NPROCESSORS_ONLN) < 2)
		return;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

static void write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);

	if (fd >= 0) {
		if (write(fd, text, strlen(text)) < 0)
			perror(path);
		close(fd);
	}
}

/* An IPv4/UDP frame of @len bytes to a MAC that is not the TAP's, like
 * testpmd's txonly: the host stack drops it early as PACKET_OTHERHOST. */
static void make_frame(unsigned char *f, unsigned int len)
{
	static const unsigned char head[] = {
		0x02, 0, 0, 0, 0, 0x02, 0x02, 0, 0, 0, 0, 0x01, 0x08, 0x00,
		0x45, 0, 0, 0, 0, 0, 0, 0, 64, 17, 0, 0,
		198, 18, 0, 1, 198, 18, 0, 2,
		0x04, 0xd2, 0x16, 0x2e, 0, 0, 0, 0,
	};
	uint16_t ip_len = htons((uint16_t)(len - 14)), udp_len = htons((uint16_t)(len - 34));

	memset(f, 0x5a, len);
	memcpy(f, head, sizeof(head));
	memcpy(f + 16, &ip_len, 2);
	memcpy(f + 38, &udp_len, 2);
}

/* tx/rx packets and drops of the TAP from /proc/net/dev (this netns). */
static uint64_t tap_tx_offered(void)
{
	unsigned long long v[16];
	char line[512];
	uint64_t r = 0;
	FILE *f = fopen("/proc/net/dev", "re");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		char *p = strstr(line, IFNAME ":");

		if (!p)
			continue;
		if (sscanf(p + strlen(IFNAME ":"),
			   "%llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu",
			   &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7], &v[8],
			   &v[9], &v[10], &v[11]) == 12)
			r = v[9] + v[11];	/* tx packets + tx drops */
	}
	fclose(f);
	return r;
}

/**
 * injector() - child: send frames into the TAP as fast as it can, forever
 */
static void injector(const unsigned char *frame, unsigned int len)
{
	struct mmsghdr msgs[INJECT_BATCH];
	struct iovec iov = { (void *)frame, len };
	struct sockaddr_ll sll;
	int one = 1, i;
	int fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETH_P_ALL));

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	pin_to_cpu(1);
	memset(&sll, 0, sizeof(sll));
	sll.sll_family = AF_PACKET;
	sll.sll_protocol = htons(ETH_P_ALL);
	sll.sll_ifindex = (int)if_nametoindex(IFNAME);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sll, sizeof(sll)) < 0) {
		perror("injector: AF_PACKET");
		_exit(1);
	}
	setsockopt(fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof(one));
	memset(msgs, 0, sizeof(msgs));
	for (i = 0; i < INJECT_BATCH; i++) {
		msgs[i].msg_hdr.msg_iov = &iov;
		msgs[i].msg_hdr.msg_iovlen = 1;
	}
	for (;;)
		sendmmsg(fd, msgs, INJECT_BATCH, 0);
}

static pid_t start_injector(const struct bench *b)
{
	pid_t pid = fork();

	if (pid == 0)
		injector(b->frame, b->frame_len);
	poll(NULL, 0, WARMUP_MS);
	return pid;
}

static void stop_injector(pid_t pid)
{
	if (pid > 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
}

/* Drain what the TAP queued, so one run does not feed the next. */
static void drain(struct bench *b)
{
	unsigned char buf[HDR_LEN + MAX_FRAME];

	while (read(b->fd, buf, sizeof(buf)) > 0)
		;
}

/* The frame to transmit as @b->iovs buffers; returns the count. */
static unsigned int tx_iov(const struct bench *b, struct iovec *iov)
{
	if (b->iovs == 1) {
		iov[0] = (struct iovec){ (void *)b->txbuf, HDR_LEN + b->frame_len };
		return 1;
	}
	iov[0] = (struct iovec){ (void *)b->txbuf, HDR_LEN };
	iov[1] = (struct iovec){ b->frame, b->frame_len };
	return 2;
}

static void tx_writev(struct bench *b, double end)
{
	struct iovec iov[2];
	unsigned int i, n = tx_iov(b, iov);
	ssize_t r;

	while (now_mono() < end) {
		for (i = 0; i < b->batch; i++) {
			if (n == 1)
				r = write(b->fd, iov[0].iov_base, iov[0].iov_len);
			else
				r = writev(b->fd, iov, (int)n);
			if (r > 0)
				b->packets++;
			else
				b->errors++;
		}
	}
}

static void on_tx(struct uring_op *op, int res, uint32_t flags)
{
	struct slot *s = (struct slot *)((char *)op - offsetof(struct slot, op));

	(void)flags;
	if (res > 0)
		s->b->packets++;
	else
		s->b->errors++;
}

static void tx_uring(struct bench *b, struct slot *slots, double end)
{
	struct uring_group g;
	unsigned int i, n = 0;

	uring_group_init(&g);
	for (i = 0; i < b->batch; i++) {
		uring_op_init(&slots[i].op, &g, on_tx);
		slots[i].b = b;
		n = tx_iov(b, slots[i].iov);
	}
	while (now_mono() < end) {
		for (i = 0; i < b->batch; i++)
			if (backend_tx(b->be, 0, &slots[i].op, slots[i].iov, n) < 0)
				b->errors++;
		backend_flush(b->be);
	}
	backend_cancel(b->be, &g);
}

static void rx_readv(struct bench *b, double end)
{
	unsigned char buf[HDR_LEN + MAX_FRAME];
	struct pollfd pfd = { .fd = b->fd, .events = POLLIN };
	unsigned int i;

	while (now_mono() < end) {
		for (i = 0; i < b->batch; i++) {
			if (read(b->fd, buf, sizeof(buf)) > 0) {
				b->packets++;
			} else {
				poll(&pfd, 1, RX_TICK_MS);
				break;
			}
		}
	}
}

static void on_rx(struct uring_op *op, int res, uint32_t flags)
{
	struct slot *s = (struct slot *)((char *)op - offsetof(struct slot, op));
	struct bench *b = s->b;

	(void)flags;
	if (res == -ECANCELED)
		return;
	if (res > 0)
		b->packets++;
	else
		b->errors++;
	/* Re-post; the dispatch loop submits all re-posts of a batch at once. */
	if (backend_rx(b->be, 0, &s->op, s->iov, 1) == 0)
		backend_flush(b->be);
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
}

static void rx_uring(struct bench *b, struct slot *slots, double end)
{
	struct timeval tick = { 0, RX_TICK_MS * 1000 };
	struct event *ev = event_new(b->base, -1, EV_PERSIST, on_tick, NULL);
	struct uring_group g;
	unsigned int i;

	uring_group_init(&g);
	event_add(ev, &tick);
	for (i = 0; i < b->batch; i++) {
		uring_op_init(&slots[i].op, &g, on_rx);
		slots[i].b = b;
		slots[i].iov[0] = (struct iovec){ slots[i].buf, sizeof(slots[i].buf) };
		backend_rx(b->be, 0, &slots[i].op, slots[i].iov, 1);
	}
	backend_flush(b->be);
	while (now_mono() < end)
		event_base_loop(b->base, EVLOOP_ONCE);
	backend_cancel(b->be, &g);
	event_free(ev);
}

/**
 * measure() - run one method for @o->seconds and fill @r
 */
static void measure(struct bench *b, struct slot *slots, const struct opts *o, struct run *r)
{
	bool rx = !strcmp(r->dir, "rx");
	bool ring = !strcmp(r->method, "uring");
	uint64_t offered0 = 0;
	double t0, c0, end;
	pid_t inj = -1;

	if (rx) {
		inj = start_injector(b);
		offered0 = tap_tx_offered();
	}
	b->packets = 0;
	b->errors = 0;
	c0 = now_cpu();
	t0 = now_mono();
	end = t0 + o->seconds;
	if (rx)
		ring ? rx_uring(b, slots, end) : rx_readv(b, end);
	else
		ring ? tx_uring(b, slots, end) : tx_writev(b, end);
	r->wall = now_mono() - t0;
	r->cpu = now_cpu() - c0;
	r->packets = b->packets;
	if (rx) {
		r->offered = tap_tx_offered() - offered0;
		stop_injector(inj);
		drain(b);
	}
	if (b->errors)
		fprintf(stderr, "tap_ceiling: %s %s %u: %d errors\n", r->dir, r->method,
			r->size, b->errors);
}

static void print_run(const struct run *r, const struct opts *o)
{
	double pps = (double)r->packets / r->wall;
	double cpu_per_m = r->packets ? r->cpu / ((double)r->packets / 1e6) : 0;
	char offered[16] = "-";

	if (o->kv) {
		printf("dir=%s size=%u method=%s batch=%u iovs=%u packets=%llu seconds=%.3f pps=%.0f "
		       "cpu_seconds=%.3f cpu_s_per_mpkt=%.3f offered_pps=%.0f\n",
		       r->dir, r->size, r->method, o->batch, o->iovs,
		       (unsigned long long)r->packets,
		       r->wall, pps, r->cpu, cpu_per_m,
		       r->offered ? (double)r->offered / r->wall : 0);
		return;
	}
	if (r->offered)
		snprintf(offered, sizeof(offered), "%.3f", (double)r->offered / r->wall / 1e6);
	printf("| %-3s | %5u | %-9s | %7.3f | %12.3f | %12s |\n", r->dir, r->size,
	       !strcmp(r->method, "uring") ? "io_uring" : "1 syscall", pps / 1e6, cpu_per_m,
	       offered);
}

static int cmp_rate(const void *a, const void *b)
{
	const struct run *x = a, *y = b;
	double rx = (double)x->packets / x->wall, ry = (double)y->packets / y->wall;

	return rx < ry ? -1 : rx > ry;
}

static int parse_opts(int argc, char **argv, struct opts *o)
{
	char *tok, *save = NULL;
	int c;

	o->seconds = 2;
	o->repeat = DEFAULT_REPEAT;
	strcpy(o->methods, "txw,txu,rxr,rxu");
	o->batch = 64;
	o->iovs = 1;
	o->sizes[0] = 64;
	o->sizes[1] = 1500;
	o->nsizes = 2;
	while ((c = getopt(argc, argv, "d:r:s:b:i:m:kh")) != -1) {
		switch (c) {
		case 'd':
			o->seconds = atof(optarg);
			break;
		case 'r':
			o->repeat = (unsigned int)atoi(optarg);
			break;
		case 'i':
			o->iovs = (unsigned int)atoi(optarg);
			break;
		case 'm':
			snprintf(o->methods, sizeof(o->methods), "%s", optarg);
			break;
		case 'b':
			o->batch = (unsigned int)atoi(optarg);
			break;
		case 's':
			o->nsizes = 0;
			for (tok = strtok_r(optarg, ",", &save); tok && o->nsizes < 8;
			     tok = strtok_r(NULL, ",", &save))
				o->sizes[o->nsizes++] = (unsigned int)atoi(tok);
			break;
		case 'k':
			o->kv = true;
			break;
		default:
			fprintf(stderr, "usage: tap_ceiling [-d SECONDS] [-r REPEAT] [-s SIZE,...] "
				"[-b BATCH] [-i 1|2] [-m txw,txu,rxr,rxu] [-k]\n");
			return -1;
		}
	}
	if (o->seconds <= 0 || !o->batch || o->batch > MAX_BATCH || !o->repeat ||
	    o->repeat > MAX_REPEAT || o->iovs < 1 || o->iovs > 2)
		return -1;
	for (c = 0; c < (int)o->nsizes; c++)
		if (o->sizes[c] < 60 || o->sizes[c] > MAX_FRAME)
			return -1;
	return 0;
}

static int setup(struct bench *b)
{
	struct conf c;
	int r;

	if (unshare(CLONE_NEWNET) < 0) {
		perror("tap_ceiling: unshare(CLONE_NEWNET) (needs root)");
		return -1;
	}
	write_file("/proc/sys/net/ipv6/conf/default/disable_ipv6", "1");
	b->base = event_base_new();
	if (!b->base || uring_new(b->base, 2 * MAX_BATCH, &b->u) < 0)
		return -1;
	memset(&c, 0, sizeof(c));
	c.backend = CONF_BACKEND_TAP;
	c.ifname = (char *)IFNAME;
	c.create_tap = true;
	c.queue_pairs = 1;
	c.mtu = MAX_FRAME;
	r = backend_open(&c, b->u, &b->be);
	if (r < 0)
		return -1;
	b->fd = backend_queue_fd(b->be, 0);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct {
		const char *key, *dir, *method;
	} methods[] = {
		{ "txw", "tx", "writev" }, { "txu", "tx", "uring" },
		{ "rxr", "rx", "readv" }, { "rxu", "rx", "uring" },
	};
	static struct slot slots[MAX_BATCH];
	static struct bench b;
	struct opts o;
	struct run runs[MAX_REPEAT];
	unsigned int s, m, i;

	memset(&o, 0, sizeof(o));
	if (parse_opts(argc, argv, &o) < 0)
		return 2;
	log_set_level(VLOG_WARN);
	b.batch = o.batch;
	b.iovs = o.iovs;
	b.frame = b.txbuf + HDR_LEN;
	if (setup(&b) < 0)
		return 1;
	pin_to_cpu(0);
	if (!o.kv) {
		printf("Raw TAP ceiling: median of %u runs of %.1f s, io_uring batch %u, "
		       "%u buffer(s) per tx frame, %ld CPUs (measurer on CPU 0, rx injector "
		       "on CPU 1)\n\n", o.repeat, o.seconds, o.batch, o.iovs,
		       sysconf(_SC_NPROCESSORS_ONLN));
		printf("| dir | bytes | method    |    Mpps | CPU s / Mpkt | offered Mpps |\n");
		printf("|-----|-------|-----------|---------|--------------|--------------|\n");
	}
	for (s = 0; s < o.nsizes; s++) {
		b.frame_len = o.sizes[s];
		make_frame(b.frame, b.frame_len);
		for (m = 0; m < sizeof(methods) / sizeof(methods[0]); m++) {
			if (!strstr(o.methods, methods[m].key))
				continue;
			for (i = 0; i < o.repeat; i++) {
				memset(&runs[i], 0, sizeof(runs[i]));
				runs[i].dir = methods[m].dir;
				runs[i].method = methods[m].method;
				runs[i].size = b.frame_len;
				measure(&b, slots, &o, &runs[i]);
			}
			qsort(runs, o.repeat, sizeof(runs[0]), cmp_rate);
			print_run(&runs[o.repeat / 2], &o);
		}
	}
	backend_close(b.be);
	uring_free(b.u);
	event_base_free(b.base);
	return 0;
}
