/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * uring.h - the process's one io_uring, wired into the libevent loop.
 *
 * Model:
 *  - Every request carries a struct uring_op, embedded in the caller's own
 *    per-request struct. The SQE's user_data is the op's address, so a
 *    completion dispatches straight to op->complete with no lookup
 *    (container_of gets the caller's struct back). user_data 0 is reserved
 *    for internal requests (cancels) whose completions are dropped.
 *  - Every op belongs to a struct uring_group: the unit of cancellation (one
 *    direction of one queue, say). The group lists its in-flight ops, so
 *    uring_group_cancel() can cancel exactly those and wait for them, without
 *    touching other requests on the same fd (a TAP queue fd carries both RX
 *    reads and TX writes).
 *  - Files are registered into a sparse fixed-file table; requests name the
 *    slot, never the fd.
 *  - The ring is restricted (IORING_REGISTER_RESTRICTIONS) to the operations
 *    uring.c prepares, on fixed files only: io_uring requests bypass the
 *    seccomp filter, so the ring carries its own. uring_sqe_get() callers
 *    must stay within that list (uring_needed_ops[] in uring.c) and set
 *    IOSQE_FIXED_FILE.
 *  - Batching: uring_prep_*() only fill SQEs (submitting by themselves only
 *    when the SQ is full); uring_submit() enters the kernel once and then
 *    reaps what already completed. Completions that come later wake the loop
 *    through an eventfd registered with the ring.
 *
 * Callbacks may prepare and submit new requests. While completions are being
 * dispatched, uring_submit() only notes the wish; the dispatch loop submits
 * once per batch of callbacks and dispatches what that completes, so a
 * batch of completions that each re-post costs one io_uring_enter and
 * callbacks never nest into each other.
 */
#ifndef VURING_URING_H
#define VURING_URING_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

struct event_base;
struct io_uring_sqe;
struct uring;
struct uring_op;

/**
 * typedef uring_complete_fn - completion callback
 * @op:    the request that completed; no longer in flight unless @flags has
 *         IORING_CQE_F_MORE (multishot)
 * @res:   the CQE's result: bytes moved, a poll mask, or a negative errno
 *         (-ECANCELED when uring_group_cancel() stopped it)
 * @flags: the CQE's flags
 */
typedef void uring_complete_fn(struct uring_op *op, int res, uint32_t flags);

struct uring_group {
	struct uring_op *head;		/* in-flight ops, most recent first */
	unsigned int inflight;
	bool stopping;			/* cancel in progress: refuse new ops */
};

struct uring_op {
	uring_complete_fn *complete;
	struct uring_group *group;
	struct uring_op *prev, *next;	/* in group->head while in flight */
	bool inflight;
};

/*
 * Size of the fixed-file table: one TAP fd per queue pair (up to 64) plus
 * room for a second back-end's fds or a restart overlapping the old one.
 */
#define URING_MAX_FILES 256

/* uring_new_flags(): no IORING_REGISTER_RESTRICTIONS (debugging only). */
#define URING_UNRESTRICTED 0x1u

int uring_new(struct event_base *base, unsigned int entries, struct uring **ret);
int uring_new_flags(struct event_base *base, unsigned int entries, unsigned int flags,
		    struct uring **ret);
void uring_free(struct uring *u);

int uring_file_add(struct uring *u, int fd);
int uring_file_remove(struct uring *u, int slot);

void uring_group_init(struct uring_group *g);
void uring_op_init(struct uring_op *op, struct uring_group *g, uring_complete_fn *complete);

int uring_sqe_get(struct uring *u, struct uring_op *op, struct io_uring_sqe **ret);
int uring_prep_readv(struct uring *u, struct uring_op *op, int slot,
		     const struct iovec *iov, unsigned int iovcnt);
int uring_prep_writev(struct uring *u, struct uring_op *op, int slot,
		      const struct iovec *iov, unsigned int iovcnt);
int uring_prep_poll(struct uring *u, struct uring_op *op, int slot, unsigned int mask);

int uring_submit(struct uring *u);
unsigned int uring_reap(struct uring *u);
int uring_group_cancel(struct uring *u, struct uring_group *g);

/* Counters, for stats and tests. */
struct uring_stats {
	uint64_t submits;	/* io_uring_enter calls that submitted */
	uint64_t sqes;		/* SQEs submitted */
	uint64_t cqes;		/* completions dispatched */
	uint64_t wakeups;	/* eventfd callbacks */
	uint64_t sq_full;	/* times the SQ was full and forced a submit */
};

const struct uring_stats *uring_get_stats(const struct uring *u);

#endif
