/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * backend_io.h - one back-end operation of a test (test_backend_tap,
 * test_backend_xdp): a buffer, its iovecs, and what the completion said.
 */
#ifndef VURING_TESTS_BACKEND_IO_H
#define VURING_TESTS_BACKEND_IO_H

#include <string.h>
#include <sys/uio.h>

#include "container_of.h"
#include "uring.h"

struct io {
	struct uring_op op;
	int res;		/* the completion's result */
	int done;		/* completions seen */
	unsigned int qp;	/* the queue pair it was posted on */
	unsigned char buf[4096];
	struct iovec iov[2];	/* iov[0] covers buf after io_init() */
};

static inline void on_io(struct uring_op *op, int res, uint32_t flags)
{
	struct io *io = container_of(op, struct io, op);

	(void)flags;
	io->res = res;
	io->done++;
}

static inline void io_init(struct io *io, struct uring_group *g, unsigned int qp)
{
	memset(io, 0, sizeof(*io));
	uring_op_init(&io->op, g, on_io);
	io->qp = qp;
	io->iov[0].iov_base = io->buf;
	io->iov[0].iov_len = sizeof(io->buf);
}

#endif
