/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fdstore_state.h - the session record the fd store keeps next to the fds:
 * what the front-end negotiated and set up, in a memfd that survives the
 * process (see fdstore.c).
 *
 * The memfd holds two slots; each write goes to the older one and carries a
 * sequence number and a checksum, so a process killed in the middle of a
 * write leaves the previous record intact. The layout is native (the reader
 * is the next vuring on the same machine); FDS_STATE_VERSION changes with
 * it, and a record of another version is not used.
 */
#ifndef VURING_FDSTORE_STATE_H
#define VURING_FDSTORE_STATE_H

#include <stdbool.h>
#include <stdint.h>

#include <linux/vhost_types.h>

#include "guest_mem.h"
#include "vu_dev.h"

/* Bump whenever struct fds_state or its members change shape or meaning. */
#define FDS_STATE_VERSION 1

/* fds_ring_rec.flags */
#define FDS_RING_ADDR_SET	(1u << 0)	/* addr holds SET_VRING_ADDR */
#define FDS_RING_KICKED		(1u << 1)	/* the first kick came */
#define FDS_RING_STARTED	(1u << 2)	/* running: base is stale, used->idx rules */
#define FDS_RING_ENABLED	(1u << 3)	/* SET_VRING_ENABLE 1 */

/* Which fd of a ring a serial names; also the index into serial[]. */
enum fds_ring_fd {
	FDS_KICK,
	FDS_CALL,
	FDS_ERR,
	FDS_RING_FDS,
};

/**
 * struct fds_ring_rec - one ring as the front-end set it up
 * @num:	SET_VRING_NUM (0: unset)
 * @base:	next avail index for a ring that is not running
 * @flags:	FDS_RING_*
 * @addr:	SET_VRING_ADDR as received
 * @serial:	the stored kick/call/err fds' serials (0: none)
 */
struct fds_ring_rec {
	uint32_t num;
	uint16_t base;
	uint8_t flags;
	uint8_t pad;
	struct vhost_vring_addr addr;
	uint64_t serial[FDS_RING_FDS];
};

/* One memory region: its description, how many ADD_MEM_REGs it counts. */
struct fds_region_rec {
	uint64_t gpa;
	uint64_t size;
	uint64_t uva;
	uint64_t mmap_offset;
	uint64_t serial;
	uint32_t refs;
	uint32_t pad;
};

/**
 * struct fds_state - everything a restarted vuring needs to resume
 * @next_serial: the next fd serial to hand out (names stay unique)
 * @sock_serial: the connected front-end socket's serial; 0: no session
 * @log_call_serial: SET_LOG_FD's eventfd, 0 if none
 * @nrings:	rings of the device (2 * queue pairs)
 * @nregions:	entries used in @regions
 *
 * Zero-filled before it is filled in, padding included, so that two equal
 * states compare equal byte for byte.
 */
struct fds_state {
	uint64_t next_serial;
	uint64_t sock_serial;
	uint64_t log_call_serial;
	uint64_t features;
	uint64_t protocol_features;
	uint32_t nrings;
	uint32_t nregions;
	uint8_t features_set;
	uint8_t owner;
	uint8_t status;
	uint8_t pad;
	uint16_t mtu;
	uint16_t pad2;
	struct fds_ring_rec rings[VU_MAX_RINGS];
	struct fds_region_rec regions[GUEST_MEM_MAX_REGIONS];
};

/* The memfd and where it is mapped. */
struct fds_file {
	int fd;
	uint8_t *map;
	uint64_t seq;	/* of the newest slot written or read */
};

int fds_file_create(struct fds_file *f);
int fds_file_open(struct fds_file *f, int fd);
int fds_file_read(struct fds_file *f, struct fds_state *st);
void fds_file_write(struct fds_file *f, const struct fds_state *st);
void fds_file_close(struct fds_file *f);

#endif
