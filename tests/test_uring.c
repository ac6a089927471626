// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test_uring.c - the io_uring layer: probe, eventfd delivery into a libevent
 * loop, batched submit with immediate reaping, SQ overflow, callbacks that
 * submit, fixed-file slots, and cancel-and-wait on reads that never get data.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stddef.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include <event2/event.h>

#include "log.h"
#include "tap.h"
#include "uring.h"

/* The whole test finishes in well under a second; this bounds a hang. */
#define TEST_TIMEOUT_S 20

#define NREQ 64

struct req {
	struct uring_op op;
	int res;
	int done;		/* completions seen */
	char buf[64];
	struct iovec iov;
};

static int depth, max_depth;

static struct req *to_req(struct uring_op *op)
{
	return (struct req *)((char *)op - offsetof(struct req, op));
}

static void on_done(struct uring_op *op, int res, uint32_t flags)
{
	struct req *r = to_req(op);

	(void)flags;
	r->res = res;
	r->done++;
}

static void req_init(struct req *r, struct uring_group *g)
{
	memset(r, 0, sizeof(*r));
	uring_op_init(&r->op, g, on_done);
	r->iov.iov_base = r->buf;
	r->iov.iov_len = sizeof(r->buf);
}

static int count_done(const struct req *r, int n, int res)
{
	int i, c = 0;

	for (i = 0; i < n; i++)
		c += r[i].done == 1 && r[i].res == res;
	return c;
}

/* A request that, when it completes, posts the next one and submits. */
struct chain {
	struct uring_op op;
	struct uring *u;
	int slot;
	int left;
	int ran;
	char byte;
	struct iovec iov;
};

static void on_chain(struct uring_op *op, int res, uint32_t flags)
{
	struct chain *c = (struct chain *)((char *)op - offsetof(struct chain, op));

	(void)res;
	(void)flags;
	depth++;
	if (depth > max_depth)
		max_depth = depth;
	c->ran++;
	if (--c->left > 0 && uring_prep_writev(c->u, &c->op, c->slot, &c->iov, 1) == 0)
		uring_submit(c->u);
	depth--;
}

static struct uring *setup(struct event_base *base, unsigned int entries)
{
	struct uring *u = NULL;
	int r = uring_new(base, entries, &u);

	if (r == -ENOSYS || r == -EPERM || r == -EOPNOTSUPP)
		skip_all("io_uring unavailable here");
	return r == 0 ? u : NULL;
}

static void test_event_delivery(struct event_base *base, struct uring *u, int slot, int wfd)
{
	struct uring_group g;
	struct req r;
	struct timeval tv = { 2, 0 };
	struct iovec split[2];
	uint64_t wakeups = uring_get_stats(u)->wakeups;

	uring_group_init(&g);
	req_init(&r, &g);
	/* Two buffers, so this is a real READV (one buffer goes as READ). */
	split[0] = (struct iovec){ r.buf, 3 };
	split[1] = (struct iovec){ r.buf + 3, sizeof(r.buf) - 3 };
	is_int(uring_prep_readv(u, &r.op, slot, split, 2), 0, "readv on an empty pipe prepared");
	uring_submit(u);
	is_int(r.done, 0, "the read is pending after submit");
	is_int(g.inflight, 1, "its group counts one request in flight");
	ok(write(wfd, "hello", 5) == 5, "wrote 5 bytes into the pipe");
	event_base_loopexit(base, &tv);
	while (!r.done && event_base_loop(base, EVLOOP_ONCE) == 0)
		;
	is_int(r.res, 5, "the completion reached the libevent loop with 5 bytes");
	ok(!memcmp(r.buf, "hello", 5), "the data is the data written");
	ok(uring_get_stats(u)->wakeups > wakeups, "delivered through the eventfd callback");
	is_int(g.inflight, 0, "nothing left in flight");
}

static void test_batch(struct uring *u, int null_slot)
{
	static struct req r[NREQ];
	struct uring_group g;
	struct uring_stats before = *uring_get_stats(u);
	const struct uring_stats *after;
	int i, prepped = 0;

	uring_group_init(&g);
	for (i = 0; i < NREQ; i++) {
		req_init(&r[i], &g);
		prepped += uring_prep_writev(u, &r[i].op, null_slot, &r[i].iov, 1) == 0;
	}
	is_int(prepped, NREQ, "%d writev SQEs prepared", NREQ);
	is_int(count_done(r, NREQ, 0) + count_done(r, NREQ, (int)sizeof(r[0].buf)), 0,
	       "nothing completes before submit");
	is_int(uring_submit(u), NREQ, "one submit hands all %d to the kernel", NREQ);
	after = uring_get_stats(u);
	is_int(after->submits - before.submits, 1, "with exactly one io_uring_enter");
	is_int(count_done(r, NREQ, (int)sizeof(r[0].buf)), NREQ,
	       "all %d completions reaped by submit itself (peek, no loop)", NREQ);
	is_int(after->wakeups - before.wakeups, 0, "without waiting for the eventfd");
}

static void test_sq_full(struct event_base *base, int null_slot)
{
	static struct req r[3 * 8];
	struct uring *u = setup(base, 8);
	struct uring_group g;
	int i, slot, prepped = 0;

	ok(u != NULL, "a ring with 8 entries");
	if (!u)
		return;
	slot = uring_file_add(u, null_slot);
	uring_group_init(&g);
	for (i = 0; i < 3 * 8; i++) {
		req_init(&r[i], &g);
		prepped += uring_prep_writev(u, &r[i].op, slot, &r[i].iov, 1) == 0;
	}
	is_int(prepped, 3 * 8, "24 requests prepared on an 8-entry SQ");
	ok(uring_get_stats(u)->sq_full >= 2, "the full SQ was submitted to make room");
	uring_submit(u);
	is_int(count_done(r, 3 * 8, (int)sizeof(r[0].buf)), 3 * 8, "all 24 completed");
	uring_free(u);
}

static void test_callbacks_submit(struct uring *u, int null_slot)
{
	struct uring_group g;
	struct chain c;

	uring_group_init(&g);
	memset(&c, 0, sizeof(c));
	uring_op_init(&c.op, &g, on_chain);
	c.u = u;
	c.slot = null_slot;
	c.left = 200;
	c.byte = 'x';
	c.iov.iov_base = &c.byte;
	c.iov.iov_len = 1;
	max_depth = 0;
	uring_prep_writev(u, &c.op, c.slot, &c.iov, 1);
	uring_submit(u);
	is_int(c.ran, 200, "a callback that re-posts and submits ran 200 times from one submit");
	is_int(max_depth, 1, "callbacks never nested");
}

static void test_deferred_submit(struct uring *u, int null_slot)
{
	static struct chain c[32];
	struct uring_group g;
	uint64_t submits = uring_get_stats(u)->submits;
	int i, ran = 0;

	uring_group_init(&g);
	for (i = 0; i < 32; i++) {
		memset(&c[i], 0, sizeof(c[i]));
		uring_op_init(&c[i].op, &g, on_chain);
		c[i].u = u;
		c[i].slot = null_slot;
		c[i].left = 2;
		c[i].iov.iov_base = &c[i].byte;
		c[i].iov.iov_len = 1;
		uring_prep_writev(u, &c[i].op, null_slot, &c[i].iov, 1);
	}
	uring_submit(u);
	for (i = 0; i < 32; i++)
		ran += c[i].ran;
	is_int(ran, 64, "32 requests, each re-posted once by its callback, all ran twice");
	is_int(uring_get_stats(u)->submits - submits, 2,
	       "the 32 re-posts went to the kernel in one io_uring_enter");
}

/* Requests of a stopping group may not be re-posted by their callbacks. */
static struct uring *cancel_u;
static int cancel_slot, repost_res = 1;

static void on_cancelled(struct uring_op *op, int res, uint32_t flags)
{
	struct req *r = to_req(op);

	on_done(op, res, flags);
	repost_res = uring_prep_readv(cancel_u, &r->op, cancel_slot, &r->iov, 1);
}

static void test_cancel(struct uring *u, int slot, int wfd)
{
	static struct req r[4], other;
	struct uring_group g, g2;
	int i, posted = 0;

	uring_group_init(&g);
	uring_group_init(&g2);
	for (i = 0; i < 4; i++) {
		req_init(&r[i], &g);
		r[i].op.complete = on_cancelled;
		posted += uring_prep_readv(u, &r[i].op, slot, &r[i].iov, 1) == 0;
	}
	req_init(&other, &g2);
	posted += uring_prep_readv(u, &other.op, slot, &other.iov, 1) == 0;
	uring_submit(u);
	is_int(posted, 5, "5 reads posted on an empty pipe, 4 in group A, 1 in B");
	is_int(g.inflight, 4, "group A has 4 in flight");
	cancel_u = u;
	cancel_slot = slot;
	is_int(uring_group_cancel(u, &g), 0, "cancel group A");
	is_int(count_done(r, 4, -ECANCELED), 4,
	       "every read of A completed with -ECANCELED before cancel returned");
	is_int(g.inflight, 0, "group A has nothing in flight");
	is_int(repost_res, -ESHUTDOWN, "a callback could not re-post into the stopping group");
	is_int(other.done, 0, "group B's read on the same pipe was left alone");
	ok(write(wfd, "b", 1) == 1, "wrote a byte");
	uring_submit(u);
	for (i = 0; i < 100 && !other.done; i++) {
		poll(NULL, 0, 10);
		uring_reap(u);
	}
	is_int(other.res, 1, "group B's read got it");
	is_int(uring_group_cancel(u, &g), 0, "cancelling an idle group returns at once");
	req_init(&r[0], &g);
	is_int(uring_prep_readv(u, &r[0].op, slot, &r[0].iov, 1), 0,
	       "the group takes requests again after the cancel");
	uring_submit(u);
	uring_group_cancel(u, &g);
	is_int(r[0].res, -ECANCELED, "and cancels them again");
}

static void test_files(struct uring *u, int fd)
{
	int a = uring_file_add(u, fd);
	int b = uring_file_add(u, fd);

	ok(a >= 0 && b >= 0 && a != b, "two slots for the same fd");
	is_int(uring_file_remove(u, a), 0, "slot removed");
	is_int(uring_file_remove(u, a), -EINVAL, "removing it twice is refused");
	is_int(uring_file_add(u, fd), a, "the freed slot is reused");
	uring_file_remove(u, a);
	uring_file_remove(u, b);
	is_int(uring_file_remove(u, URING_MAX_FILES), -EINVAL, "slot out of range refused");
}

int main(void)
{
	struct event_base *base;
	struct uring *u;
	int p[2], nullfd, pslot, nslot;

	alarm(TEST_TIMEOUT_S);
	log_set_level(VLOG_ERROR);
	base = event_base_new();
	if (!base || pipe2(p, O_NONBLOCK | O_CLOEXEC) < 0)
		return 1;
	nullfd = open("/dev/null", O_WRONLY | O_CLOEXEC);
	u = setup(base, 256);
	plan(41);
	ok(u != NULL, "io_uring created and probed (READ, WRITE, READV, WRITEV, ASYNC_CANCEL, POLL_ADD)");
	if (!u)
		return done_testing();
	pslot = uring_file_add(u, p[0]);
	nslot = uring_file_add(u, nullfd);
	ok(pslot >= 0 && nslot >= 0, "pipe and /dev/null registered as fixed files");
	test_event_delivery(base, u, pslot, p[1]);
	test_batch(u, nslot);
	test_sq_full(base, nullfd);
	test_callbacks_submit(u, nslot);
	test_deferred_submit(u, nslot);
	test_cancel(u, pslot, p[1]);
	test_files(u, nullfd);
	uring_free(u);
	event_base_free(base);
	close(p[0]);
	close(p[1]);
	close(nullfd);
	return done_testing();
}
