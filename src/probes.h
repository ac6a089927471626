/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * probes.h - USDT (statically defined tracing) probes for bpftrace, perf and
 * SystemTap.
 *
 *   VURING_PROBE(name, args...)
 *
 * With <sys/sdt.h> (configure's HAVE_USDT) each use becomes a probe point:
 * a single nop in the code plus a note in .note.stapsdt naming provider
 * "vuring", the probe and where its arguments live. Untraced, the cost is
 * that nop; arguments must be cheap expressions (integers and pointers)
 * because they are computed for the note's operands. Without <sys/sdt.h> a
 * probe compiles to nothing but still type-checks its arguments.
 *
 * The probes (argument order as listed; "queue" is the virtqueue index,
 * even RX, odd TX), documented for users in vuring(8):
 *   kick           (queue)          the guest kicked a ring
 *   chain_pop      (queue, head)    a descriptor chain was taken from a ring
 *   batch_submit   (queue, size)    I/O for @size chains or buffers posted
 *                                   to the back-end with one submission
 *   completion     (queue, res)     one back-end I/O completed (bytes or
 *                                   negative errno)
 *   used_publish   (queue, count)   @count used entries made visible
 *   call           (queue, covered) call eventfd written; @covered used
 *                                   entries published since the last call
 *   device_broken  (reason)         the front-end broke a rule (string)
 *   connect        (connections)    a front-end connected (count so far)
 *   disconnect     (messages)       it went away after @messages requests
 */
#ifndef VURING_PROBES_H
#define VURING_PROBES_H

#ifdef HAVE_USDT

#define SDT_USE_VARIADIC 1
#include <sys/sdt.h>

#define VURING_PROBE(name, ...) STAP_PROBEV(vuring, name, __VA_ARGS__)

#else

/* Never called: keeps the arguments type-checked and "used". */
static inline void vuring_probe_unused(int dummy, ...)
{
	(void)dummy;
}

#define VURING_PROBE(name, ...)                                  \
	do {                                                     \
		if (0)                                           \
			vuring_probe_unused(0, __VA_ARGS__);     \
	} while (0)

#endif

#endif
