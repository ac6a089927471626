/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * virtq.h - the virtqueue engine (split ring today; packed can sit beside it).
 *
 * Callers (the vhost-user ring life cycle, the net device) use only this
 * interface. The ring areas are given as host pointers already translated and
 * bounds-checked by the caller against guest memory (desc 16*num bytes,
 * avail 6+2*num, used 6+8*num).
 */
#ifndef VURING_VIRTQ_H
#define VURING_VIRTQ_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#include "guest_mem.h"

/* Largest ring the spec allows for split rings. */
#define VIRTQ_MAX_SIZE 32768

struct virtq;

/*
 * virtq_init(vq, mem, num, desc, avail, used, last_avail_idx, event_idx)
 * sets up a ring whose areas the caller already translated; details in virtq.c.
 */
#endif
