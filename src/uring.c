// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * uring.c - the process's one io_uring, wired into the libevent loop.
 *
 * See uring.h for the model (op tagging, groups, batching).
 */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <event2/event.h>
#include <liburing.h>

#include "log.h"
#include "uring.h"

/* CQEs copied out of the ring per peek; matches the datapath batch size. */
#define URING_REAP_BATCH 64

/*
 * Completions dispatched per eventfd callback before yielding to the loop,
 * so a flood of completions cannot starve the control socket or signals.
 */
#define URING_REAP_BUDGET 1024

/* io_uring_enter retries when the kernel pushes back (-EBUSY/-EAGAIN). */
#define URING_SUBMIT_RETRIES 8

/*
 * How long uring_group_cancel() waits before re-issuing its cancels and
 * logging; cancels of queued or poll-armed requests complete at once, so
 * reaching this means a request is stuck in the kernel.
 */
#define URING_CANCEL_WAIT_NS 1000000000LL

struct uring {
	struct io_uring ring;
	struct event *ev;		/* eventfd readable: completions */
	int efd;
	unsigned int dispatching;	/* nesting depth of completion dispatch */
	bool submit_deferred;		/* a callback asked for a submit */
	int files[URING_MAX_FILES];	/* fd registered in each slot, or -1 */
	struct uring_stats stats;
};

/* A completion copied out of the CQ before its callback runs. */
struct uring_done {
	uint64_t user_data;
	int res;
	uint32_t flags;
};

/*
 * Setup flags, best first; older kernels refuse newer flags with EINVAL.
 *  SUBMIT_ALL: one bad SQE must not hold back the rest of a batch (5.18).
 *  COOP_TASKRUN: completions that arrive as task work (a TAP read whose
 *    data came later) do not interrupt us with an IPI while we run; they
 *    are run at our next syscall, or wake us if we sleep in the loop. In a
 *    VM an IPI is a VM exit per frame. TASKRUN_FLAG tells the peek that
 *    such work is waiting (5.19).
 */
static const unsigned int uring_setup_flags[] = {
	IORING_SETUP_CLAMP | IORING_SETUP_SUBMIT_ALL | IORING_SETUP_COOP_TASKRUN |
		IORING_SETUP_TASKRUN_FLAG,
	IORING_SETUP_CLAMP | IORING_SETUP_SUBMIT_ALL,
	IORING_SETUP_CLAMP,
};

/*
 * Every operation vuring submits: the kernel must know them all, and a
 * restricted ring (uring_new) accepts nothing else.
 */
static const struct {
	int opcode;
	const char *name;
} uring_needed_ops[] = {
	{ IORING_OP_READ, "READ" },
	{ IORING_OP_WRITE, "WRITE" },
	{ IORING_OP_READV, "READV" },
	{ IORING_OP_WRITEV, "WRITEV" },
	{ IORING_OP_ASYNC_CANCEL, "ASYNC_CANCEL" },
	{ IORING_OP_POLL_ADD, "POLL_ADD" },
	/* The AF_XDP back-end: TX kicks on its sockets, and their backoff. */
	{ IORING_OP_SENDMSG, "SENDMSG" },
	{ IORING_OP_TIMEOUT, "TIMEOUT" },
};

/*
 * io_uring_register() operations a restricted ring still accepts once it is
 * enabled: back-end queues come and go in the fixed-file table. Everything
 * else (the table itself, the eventfd, the probe) is set up before.
 */
static const int uring_allowed_register_ops[] = {
	IORING_REGISTER_FILES_UPDATE,
};

/**
 * op_track() - put @op on its group's in-flight list
 */
static void op_track(struct uring_op *op)
{
	struct uring_group *g = op->group;

	op->inflight = true;
	op->prev = NULL;
	op->next = g->head;
	if (g->head)
		g->head->prev = op;
	g->head = op;
	g->inflight++;
}

/**
 * op_untrack() - take @op off its group's in-flight list
 */
static void op_untrack(struct uring_op *op)
{
	struct uring_group *g = op->group;

	if (op->prev)
		op->prev->next = op->next;
	else
		g->head = op->next;
	if (op->next)
		op->next->prev = op->prev;
	op->prev = op->next = NULL;
	op->inflight = false;
	g->inflight--;
}

static unsigned int reap_batch(struct uring *u);

/**
 * submit_raw() - hand the prepared SQEs to the kernel, without reaping
 *
 * When the kernel refuses new work because completions are backed up
 * (-EBUSY/-EAGAIN), reap to make room and retry a bounded number of times.
 *
 * Return: SQEs submitted, or a negative errno.
 */
static int submit_raw(struct uring *u)
{
	int tries = 0;
	int r;

	for (;;) {
		r = io_uring_submit(&u->ring);
		if (r >= 0)
			break;
		if (r == -EINTR)
			continue;
		if ((r != -EBUSY && r != -EAGAIN) || ++tries > URING_SUBMIT_RETRIES)
			return r;
		while (reap_batch(u))
			;
	}
	if (r > 0) {
		u->stats.submits++;
		u->stats.sqes += (unsigned int)r;
	}
	return r;
}

/**
 * get_sqe() - a free SQE, submitting the pending batch first if the SQ is full
 * Return: 0 with *@ret set, or a negative errno.
 */
static int get_sqe(struct uring *u, struct io_uring_sqe **ret)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&u->ring);
	int r;

	if (!sqe) {
		u->stats.sq_full++;
		r = submit_raw(u);
		if (r < 0)
			return r;
		sqe = io_uring_get_sqe(&u->ring);
		if (!sqe)
			return -EBUSY;
	}
	*ret = sqe;
	return 0;
}

/**
 * uring_sqe_get() - an SQE for @op, tagged with it and counted in flight
 * @u: the ring
 * @op: initialised with uring_op_init(); must not be in flight already
 * @ret: the SQE, for the caller to fill with any io_uring_prep_*() (they
 *       leave user_data alone)
 *
 * For operations uring_prep_*() does not cover. Once this returns 0 the SQE
 * will be submitted, so the caller must fill it before anything else
 * touches @u.
 *
 * Return: 0, -ESHUTDOWN if @op's group is being cancelled, -EBUSY if @op is
 * still in flight (a caller bug that would corrupt the group's list), or
 * another negative errno if no SQE can be had.
 */
int uring_sqe_get(struct uring *u, struct uring_op *op, struct io_uring_sqe **ret)
{
	int r;

	if (op->group->stopping)
		return -ESHUTDOWN;
	if (op->inflight) {
		log_error("io_uring: request %p posted twice", (void *)op);
		return -EBUSY;
	}
	r = get_sqe(u, ret);
	if (r < 0)
		return r;
	io_uring_sqe_set_data(*ret, op);
	op_track(op);
	return 0;
}

/**
 * single_buffer() - can @iov go as a plain READ/WRITE?
 *
 * One buffer is the common case (guests put the virtio-net header and the
 * frame in one descriptor), and READ/WRITE skip the kernel's import of an
 * iovec array: about a tenth of the per-frame cost on a TAP.
 */
static bool single_buffer(const struct iovec *iov, unsigned int iovcnt)
{
	return iovcnt == 1 && iov[0].iov_len <= UINT32_MAX;
}

/**
 * prep_rw() - queue a read into, or a write from, @iov on fixed-file @slot
 * @write: true for a write
 *
 * Offset -1 everywhere: a stream (TAP, pipe) has no position to honour.
 *
 * Return: 0, or a negative errno (nothing queued).
 */
static int prep_rw(struct uring *u, struct uring_op *op, int slot, const struct iovec *iov,
		   unsigned int iovcnt, bool write)
{
	struct io_uring_sqe *sqe;
	int r = uring_sqe_get(u, op, &sqe);

	if (r < 0)
		return r;
	if (single_buffer(iov, iovcnt))
		io_uring_prep_rw(write ? IORING_OP_WRITE : IORING_OP_READ, sqe, slot,
				 iov[0].iov_base, (unsigned int)iov[0].iov_len, (__u64)-1);
	else
		io_uring_prep_rw(write ? IORING_OP_WRITEV : IORING_OP_READV, sqe, slot, iov,
				 iovcnt, (__u64)-1);
	sqe->flags |= IOSQE_FIXED_FILE;
	return 0;
}

/**
 * uring_prep_readv() - queue a read from fixed-file @slot into @iov
 *
 * @iov must stay valid until uring_submit() (the kernel reads it at
 * submission); the buffers it points to until the completion.
 *
 * Return: 0, or a negative errno (nothing queued).
 */
int uring_prep_readv(struct uring *u, struct uring_op *op, int slot,
		     const struct iovec *iov, unsigned int iovcnt)
{
	return prep_rw(u, op, slot, iov, iovcnt, false);
}

/**
 * uring_prep_writev() - queue a write of @iov to fixed-file @slot
 *
 * @iov must stay valid until uring_submit() (the kernel reads it at
 * submission); the memory it points to until the completion.
 *
 * Return: 0, or a negative errno (nothing queued).
 */
int uring_prep_writev(struct uring *u, struct uring_op *op, int slot,
		      const struct iovec *iov, unsigned int iovcnt)
{
	return prep_rw(u, op, slot, iov, iovcnt, true);
}

/**
 * uring_prep_poll() - queue a one-shot POLL_ADD for @mask on fixed-file @slot
 *
 * Used to wait for a TAP queue to become writable again after EAGAIN; the
 * completion's res is the ready mask.
 *
 * Return: 0, or a negative errno (nothing queued).
 */
int uring_prep_poll(struct uring *u, struct uring_op *op, int slot, unsigned int mask)
{
	struct io_uring_sqe *sqe;
	int r = uring_sqe_get(u, op, &sqe);

	if (r < 0)
		return r;
	io_uring_prep_poll_add(sqe, slot, mask);
	sqe->flags |= IOSQE_FIXED_FILE;
	return 0;
}

/**
 * dispatch_one() - run the callback of one copied completion
 */
static void dispatch_one(struct uring *u, const struct uring_done *d)
{
	struct uring_op *op = (struct uring_op *)(uintptr_t)d->user_data;

	if (!op)
		return;		/* internal request (a cancel) */
	u->stats.cqes++;
	if (!(d->flags & IORING_CQE_F_MORE))
		op_untrack(op);
	op->complete(op, d->res, d->flags);
}

/**
 * reap_batch() - consume up to URING_REAP_BATCH completions and dispatch them
 *
 * The CQEs are copied and the CQ head advanced before any callback runs, so
 * a callback may itself reap (uring_group_cancel) without seeing them again.
 *
 * Return: completions consumed.
 */
static unsigned int reap_batch(struct uring *u)
{
	struct io_uring_cqe *cqes[URING_REAP_BATCH];
	struct uring_done done[URING_REAP_BATCH];
	unsigned int i, n;

	n = io_uring_peek_batch_cqe(&u->ring, cqes, URING_REAP_BATCH);
	for (i = 0; i < n; i++) {
		done[i].user_data = cqes[i]->user_data;
		done[i].res = cqes[i]->res;
		done[i].flags = cqes[i]->flags;
	}
	io_uring_cq_advance(&u->ring, n);
	u->dispatching++;
	for (i = 0; i < n; i++)
		dispatch_one(u, &done[i]);
	u->dispatching--;
	return n;
}

/**
 * flush_deferred() - submit what callbacks prepared during the last batch
 * Return: true if something was submitted (its completions may be there).
 */
static bool flush_deferred(struct uring *u)
{
	int r;

	if (!u->submit_deferred || u->dispatching)
		return false;
	u->submit_deferred = false;
	if (!io_uring_sq_ready(&u->ring))
		return false;
	r = submit_raw(u);
	if (r < 0)
		log_warn("io_uring submit: %s (will retry)", strerror(-r));
	return r > 0;
}

/**
 * uring_reap() - dispatch the completions already in the CQ, up to a budget
 *
 * After each batch of callbacks, whatever they prepared is submitted with
 * one io_uring_enter, and the loop goes on with what that completed.
 * If the budget runs out with completions left, the loop event is made
 * active so they are handled on the next loop iteration (the eventfd does
 * not fire again for CQEs already posted).
 *
 * Return: completions dispatched.
 */
unsigned int uring_reap(struct uring *u)
{
	unsigned int total = 0, n;
	bool flushed;

	do {
		n = reap_batch(u);
		total += n;
		flushed = flush_deferred(u);
	} while ((n || flushed) && total < URING_REAP_BUDGET);
	if (total >= URING_REAP_BUDGET && u->ev && io_uring_cq_ready(&u->ring))
		event_active(u->ev, EV_READ, 0);
	return total;
}

/**
 * uring_submit() - submit every prepared SQE with one io_uring_enter, then
 * dispatch the completions that are already there
 *
 * Called from inside a completion callback, it only notes the request and
 * returns 0: the dispatch loop submits once after the current batch of
 * callbacks, so a batch of completions that each post a new request costs
 * one io_uring_enter, and callbacks never nest.
 *
 * Return: SQEs submitted (0 when deferred), or a negative errno.
 */
int uring_submit(struct uring *u)
{
	int r = 0;

	if (u->dispatching) {
		u->submit_deferred = true;
		return 0;
	}
	if (io_uring_sq_ready(&u->ring)) {
		r = submit_raw(u);
		if (r < 0)
			return r;
	}
	uring_reap(u);
	return r;
}

/**
 * on_eventfd() - libevent callback: the ring posted completions
 */
static void on_eventfd(evutil_socket_t fd, short what, void *arg)
{
	struct uring *u = arg;
	uint64_t count;

	(void)what;
	u->stats.wakeups++;
	/* Drain first, so completions posted during the reap fire again. */
	if (read(fd, &count, sizeof(count)) < 0 && errno != EAGAIN)
		log_warn("io_uring eventfd read: %s", strerror(errno));
	uring_reap(u);
}

/**
 * cancel_pass() - queue one ASYNC_CANCEL per in-flight op of @g and submit
 *
 * Nothing is reaped while the list is walked, so the list cannot change
 * under us; a full SQ is emptied with a plain submit.
 *
 * Return: 0, or a negative errno.
 */
static int cancel_pass(struct uring *u, struct uring_group *g)
{
	struct io_uring_sqe *sqe;
	struct uring_op *op;
	int r;

	for (op = g->head; op; op = op->next) {
		sqe = io_uring_get_sqe(&u->ring);
		if (!sqe) {
			do
				r = io_uring_submit(&u->ring);
			while (r == -EINTR);
			if (r < 0)
				return r;
			sqe = io_uring_get_sqe(&u->ring);
			if (!sqe)
				return -EBUSY;
		}
		io_uring_prep_cancel64(sqe, (uintptr_t)op, 0);
		io_uring_sqe_set_data64(sqe, 0);
		/* A restricted ring requires the flag on every SQE; a cancel by
		 * user_data ignores it. */
		sqe->flags |= IOSQE_FIXED_FILE;
	}
	r = submit_raw(u);
	return r < 0 ? r : 0;
}

/**
 * uring_group_cancel() - cancel every in-flight op of @g and wait until all
 * their completions have been dispatched
 *
 * The ops' callbacks run (mostly with -ECANCELED, or with their real result
 * if they finished first) before this returns; while it runs, new ops for
 * @g are refused with -ESHUTDOWN. Completions of other groups that arrive
 * meanwhile are dispatched as usual. Afterwards the kernel holds no
 * reference to any buffer of @g, which is what a ring stop needs before it
 * answers the front-end. Cancellation is by exact user_data, so other
 * requests on the same fd are left alone.
 *
 * Return: 0, or a negative errno if the ring failed (the wait goes on
 * through slow cancels: they are logged and re-issued, never abandoned).
 */
int uring_group_cancel(struct uring *u, struct uring_group *g)
{
	struct __kernel_timespec ts = {
		.tv_sec = URING_CANCEL_WAIT_NS / 1000000000LL,
		.tv_nsec = URING_CANCEL_WAIT_NS % 1000000000LL,
	};
	struct io_uring_cqe *cqe;
	int r = 0;

	if (!g->inflight)
		return 0;
	g->stopping = true;
	r = cancel_pass(u, g);
	while (g->inflight && r >= 0) {
		r = io_uring_wait_cqe_timeout(&u->ring, &cqe, &ts);
		if (r == -ETIME) {
			log_warn("io_uring: %u request(s) still in flight after cancel, retrying",
				 g->inflight);
			r = cancel_pass(u, g);
			continue;
		}
		if (r == -EINTR)
			r = 0;
		if (r < 0)
			break;
		while (reap_batch(u) || flush_deferred(u))
			;
	}
	g->stopping = false;
	if (r < 0)
		log_error("io_uring: cancel failed: %s", strerror(-r));
	return r < 0 ? r : 0;
}

/**
 * uring_group_init() - an empty group
 */
void uring_group_init(struct uring_group *g)
{
	memset(g, 0, sizeof(*g));
}

/**
 * uring_op_init() - bind @op to its group and completion callback
 *
 * Never on an op in flight: it would unlink it from its group's list.
 */
void uring_op_init(struct uring_op *op, struct uring_group *g, uring_complete_fn *complete)
{
	op->complete = complete;
	op->group = g;
	op->prev = op->next = NULL;
	op->inflight = false;
}

/**
 * uring_file_add() - register @fd in a free fixed-file slot
 *
 * The ring takes its own reference: the caller may close @fd afterwards,
 * but normally keeps it for ioctls.
 *
 * Return: the slot, or a negative errno (-ENFILE when the table is full).
 */
int uring_file_add(struct uring *u, int fd)
{
	int slot, r;

	for (slot = 0; slot < URING_MAX_FILES; slot++)
		if (u->files[slot] < 0)
			break;
	if (slot == URING_MAX_FILES)
		return -ENFILE;
	r = io_uring_register_files_update(&u->ring, (unsigned int)slot, &fd, 1);
	if (r < 0)
		return r;
	u->files[slot] = fd;
	return slot;
}

/**
 * uring_file_remove() - empty fixed-file slot @slot
 *
 * Requests already in flight on the slot keep their file reference and
 * complete normally.
 *
 * Return: 0, -EINVAL for a slot not in use, or a negative errno.
 */
int uring_file_remove(struct uring *u, int slot)
{
	int none = -1;
	int r;

	if (slot < 0 || slot >= URING_MAX_FILES || u->files[slot] < 0)
		return -EINVAL;
	r = io_uring_register_files_update(&u->ring, (unsigned int)slot, &none, 1);
	if (r < 0)
		return r;
	u->files[slot] = -1;
	return 0;
}

/**
 * ring_init() - set up the ring, explaining the common failures
 * @u: the ring
 * @entries: SQ size
 * @extra: setup flags on top of the best ones the kernel takes
 *         (IORING_SETUP_R_DISABLED for a ring to restrict)
 *
 * Return: 0 or a negative errno, logged.
 */
static int ring_init(struct uring *u, unsigned int entries, unsigned int extra)
{
	struct io_uring_params p;
	size_t i;
	int r = -EINVAL;

	for (i = 0; i < sizeof(uring_setup_flags) / sizeof(uring_setup_flags[0]); i++) {
		memset(&p, 0, sizeof(p));
		p.flags = uring_setup_flags[i] | extra;
		r = io_uring_queue_init_params(entries, &u->ring, &p);
		if (r != -EINVAL)
			break;
	}
	if (r == -ENOSYS)
		log_error("io_uring is not available: this kernel was built without it");
	else if (r == -EPERM)
		log_error("io_uring is not permitted here (sysctl kernel.io_uring_disabled, seccomp or container policy)");
	else if (r == -ENOMEM)
		log_error("io_uring setup: out of memory (RLIMIT_MEMLOCK too low for %u entries?)",
			  entries);
	else if (r < 0)
		log_error("io_uring setup (%u entries): %s", entries, strerror(-r));
	return r;
}

/**
 * ring_probe() - check that the kernel knows every operation vuring uses
 * Return: 0, or -EOPNOTSUPP (logged, naming the missing operation).
 */
static int ring_probe(struct uring *u)
{
	struct io_uring_probe *probe = io_uring_get_probe_ring(&u->ring);
	size_t i;
	int r = 0;

	if (!probe) {
		log_error("io_uring: cannot probe the supported operations (kernel older than 5.6?)");
		return -EOPNOTSUPP;
	}
	for (i = 0; i < sizeof(uring_needed_ops) / sizeof(uring_needed_ops[0]); i++) {
		if (!io_uring_opcode_supported(probe, uring_needed_ops[i].opcode)) {
			log_error("io_uring: the kernel lacks operation %s",
				  uring_needed_ops[i].name);
			r = -EOPNOTSUPP;
		}
	}
	io_uring_free_probe(probe);
	return r;
}

/**
 * ring_attach() - fixed-file table, eventfd and the loop event
 * Return: 0 or a negative errno, logged.
 */
static int ring_attach(struct uring *u, struct event_base *base)
{
	int r;

	r = io_uring_register_files_sparse(&u->ring, URING_MAX_FILES);
	if (r < 0) {
		log_error("io_uring: cannot register a sparse file table: %s (kernel older than 5.19?)",
			  strerror(-r));
		return r;
	}
	if (!base)
		return 0;
	u->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (u->efd < 0) {
		r = -errno;
		log_error("eventfd: %s", strerror(errno));
		return r;
	}
	r = io_uring_register_eventfd(&u->ring, u->efd);
	if (r < 0) {
		log_error("io_uring: cannot register the eventfd: %s", strerror(-r));
		return r;
	}
	u->ev = event_new(base, u->efd, EV_READ | EV_PERSIST, on_eventfd, u);
	if (!u->ev || event_add(u->ev, NULL) < 0) {
		log_error("io_uring: cannot add the completion event to the loop");
		return -ENOMEM;
	}
	return 0;
}

/**
 * ring_register() - io_uring_register(2) on the ring, by hand
 *
 * liburing 2.3 (Debian 12) declares io_uring_register_restrictions() and
 * io_uring_enable_rings() but its shared library does not export them
 * (fixed in 2.4), so those two go through the raw syscall.
 *
 * Return: 0 or a negative errno.
 */
static int ring_register(struct uring *u, unsigned int opcode, const void *arg,
			 unsigned int nr_args)
{
	long r = syscall(__NR_io_uring_register, u->ring.ring_fd, opcode, arg, nr_args);

	return r < 0 ? -errno : 0;
}

/**
 * ring_restrict() - limit the ring to vuring's own use, then enable it
 *
 * io_uring requests are not syscalls, so the seccomp filter never sees them:
 * without restrictions a ring could open files, connect sockets or send
 * messages on vuring's behalf. Once enabled, the ring accepts only the
 * operations in uring_needed_ops[], only on fixed files (IOSQE_FIXED_FILE
 * on every SQE, no other SQE flag), and only the register operations in
 * uring_allowed_register_ops[]. Anything else fails with -EACCES. The ring
 * was created disabled (IORING_SETUP_R_DISABLED), so the restrictions hold
 * from its first request on.
 *
 * Return: 0 or a negative errno, logged.
 */
static int ring_restrict(struct uring *u)
{
	enum {
		NOPS = sizeof(uring_needed_ops) / sizeof(uring_needed_ops[0]),
		NREG = sizeof(uring_allowed_register_ops) / sizeof(uring_allowed_register_ops[0]),
	};
	struct io_uring_restriction res[NOPS + NREG + 2];
	unsigned int n = 0;
	size_t i;
	int r;

	memset(res, 0, sizeof(res));
	for (i = 0; i < NOPS; i++) {
		res[n].opcode = IORING_RESTRICTION_SQE_OP;
		res[n++].sqe_op = (uint8_t)uring_needed_ops[i].opcode;
	}
	for (i = 0; i < NREG; i++) {
		res[n].opcode = IORING_RESTRICTION_REGISTER_OP;
		res[n++].register_op = (uint8_t)uring_allowed_register_ops[i];
	}
	res[n].opcode = IORING_RESTRICTION_SQE_FLAGS_REQUIRED;
	res[n++].sqe_flags = IOSQE_FIXED_FILE;
	/* SQE_FLAGS_ALLOWED: none beyond the required one. */
	res[n].opcode = IORING_RESTRICTION_SQE_FLAGS_ALLOWED;
	res[n++].sqe_flags = 0;
	r = ring_register(u, IORING_REGISTER_RESTRICTIONS, res, n);
	if (r < 0) {
		log_error("io_uring: cannot register restrictions: %s (set [security] uring-restrict = no to run without)",
			  strerror(-r));
		return r;
	}
	r = ring_register(u, IORING_REGISTER_ENABLE_RINGS, NULL, 0);
	if (r < 0)
		log_error("io_uring: cannot enable the restricted ring: %s", strerror(-r));
	return r;
}

/**
 * uring_new() - create a restricted io_uring and hook it into the loop
 * @base: the libevent loop; NULL for callers that only use uring_submit()
 *        and uring_reap() (benchmarks)
 * @entries: SQ size (conf->uring_entries); the kernel clamps it
 * @ret: the new ring
 *
 * Same as uring_new_flags() with no flags: restricted (see ring_restrict()).
 *
 * Return: 0, or a negative errno after a message saying why.
 */
int uring_new(struct event_base *base, unsigned int entries, struct uring **ret)
{
	return uring_new_flags(base, entries, 0, ret);
}

/**
 * uring_new_flags() - create the io_uring and hook it into the loop
 * @base: as for uring_new()
 * @entries: as for uring_new()
 * @flags: URING_UNRESTRICTED to skip IORING_REGISTER_RESTRICTIONS
 *         ([security] uring-restrict = no)
 * @ret: the new ring
 *
 * Return: 0, or a negative errno after a message saying why.
 */
int uring_new_flags(struct event_base *base, unsigned int entries, unsigned int flags,
		    struct uring **ret)
{
	bool restrict_ops = !(flags & URING_UNRESTRICTED);
	struct uring *u = calloc(1, sizeof(*u));
	int r, i;

	if (!u)
		return -ENOMEM;
	u->efd = -1;
	for (i = 0; i < URING_MAX_FILES; i++)
		u->files[i] = -1;
	r = ring_init(u, entries, restrict_ops ? IORING_SETUP_R_DISABLED : 0);
	if (r < 0) {
		free(u);
		return r;
	}
	r = ring_probe(u);
	if (r == 0)
		r = ring_attach(u, base);
	if (r == 0 && restrict_ops)
		r = ring_restrict(u);
	if (r < 0) {
		uring_free(u);
		return r;
	}
	*ret = u;
	return 0;
}

/**
 * uring_free() - tear the ring down; NULL is fine
 *
 * Callers cancel their groups first: requests still in flight here are
 * cancelled by the kernel, but their callbacks never run.
 */
void uring_free(struct uring *u)
{
	if (!u)
		return;
	if (u->ev)
		event_free(u->ev);
	io_uring_queue_exit(&u->ring);
	if (u->efd >= 0)
		close(u->efd);
	free(u);
}

/**
 * uring_get_stats() - the ring's counters
 */
const struct uring_stats *uring_get_stats(const struct uring *u)
{
	return &u->stats;
}
