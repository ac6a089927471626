/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fake_driver.h - an in-process "guest": memory in a memfd, mapped once for
 * the device side through guest_mem (several regions with a gap) and once
 * more for the driver side, plus a split-ring driver that adds chains, reads
 * used entries and makes the driver's notification decisions. Tests and
 * the benchmark drive a struct virtq against it.
 */
#ifndef VURING_TESTS_FAKE_DRIVER_H
#define VURING_TESTS_FAKE_DRIVER_H

#include <stdbool.h>
#include <stdint.h>
#include <linux/virtio_ring.h>

#include "guest_mem.h"
#include "virtq.h"

/*
 * Guest-physical layout (FG_* are GPAs):
 *   region 0  [FG_R0, FG_R0 + FG_RSIZE)   file offset 0
 *   region 1  [FG_R1, FG_R1 + FG_RSIZE)   file offset FG_RSIZE; adjacent to
 *             region 0 in GPA, so a buffer can cross between them
 *   gap       [FG_GAP, FG_R2)              mapped nowhere
 *   region 2  [FG_R2, FG_R2 + FG_R2SIZE)  file offset 2 * FG_RSIZE; rings
 */
#define FG_RSIZE	0x40000ull
#define FG_R0		0x100000ull
#define FG_R1		(FG_R0 + FG_RSIZE)
#define FG_GAP		(FG_R1 + FG_RSIZE)
#define FG_R2		(FG_GAP + 0x100000ull)
#define FG_R2SIZE	0x200000ull
#define FG_FILE_SIZE	(2 * FG_RSIZE + FG_R2SIZE)

struct fake_guest {
	int fd;
	uint8_t *drv;		/* the driver's mapping of the whole file */
	struct guest_mem mem;	/* the device's view */
	uint64_t next_alloc;	/* bump allocator in region 2 */
};

struct fake_ring {
	struct fake_guest *g;
	unsigned int num;
	uint64_t desc_gpa, avail_gpa, used_gpa;
	struct vring vr;	/* driver-side pointers */
	uint16_t avail_idx;	/* next avail index the driver will publish */
	uint16_t kicked_at;	/* avail idx at the last kick decision */
	uint16_t last_used;
	uint16_t free_head;
	unsigned int num_free;
	bool event_idx;
};

/* One buffer of a chain the driver adds. */
struct fake_buf {
	uint64_t gpa;
	uint32_t len;
	bool writable;
};

int fake_guest_init(struct fake_guest *g);
void fake_guest_fini(struct fake_guest *g);
void *fake_gpa(struct fake_guest *g, uint64_t gpa);
uint64_t fake_alloc(struct fake_guest *g, uint64_t size, uint64_t align);

void fake_ring_init(struct fake_ring *r, struct fake_guest *g, unsigned int num, bool event_idx,
		    uint16_t start_idx);
void fake_ring_config(const struct fake_ring *r, struct virtq_config *cfg);

int fake_add(struct fake_ring *r, const struct fake_buf *bufs, unsigned int n);
int fake_add_indirect(struct fake_ring *r, uint64_t table_gpa, const struct fake_buf *bufs,
		      unsigned int n);
void fake_publish(struct fake_ring *r);
bool fake_kick_needed(struct fake_ring *r);
int fake_get_used(struct fake_ring *r, uint32_t *id, uint32_t *len);

struct vring_desc *fake_desc(struct fake_ring *r, uint64_t table_gpa, unsigned int i);
void fake_set_desc(struct vring_desc *d, uint64_t gpa, uint32_t len, uint16_t flags,
		   uint16_t next);
void fake_put_avail(struct fake_ring *r, uint16_t head);

#endif
