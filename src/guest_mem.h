/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * guest_mem.h - the front-end's memory regions as mapped into vuring, and
 * translation of guest-physical (GPA) and front-end-virtual (UVA) addresses.
 *
 * Everything here treats addresses and sizes as hostile: all arithmetic is
 * overflow-checked and every translated range lies wholly inside a mapping.
 */
#ifndef VURING_GUEST_MEM_H
#define VURING_GUEST_MEM_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

/* Slots we really support (CONFIGURE_MEM_SLOTS); kernel vhost's limit too. */
#define GUEST_MEM_MAX_REGIONS 509

struct guest_region {
	uint64_t gpa;		/* guest-physical start */
	uint64_t size;		/* bytes */
	uint64_t uva;		/* front-end virtual start */
	uint64_t mmap_offset;	/* offset of the region in its fd */
	uint8_t *host;		/* where gpa maps in our address space */
	void *map_base;		/* what mmap returned (page aligned) */
	size_t map_len;
	unsigned int refs;	/* identical ADD_MEM_REGs not yet removed */
	int fd;			/* our own duplicate of the region's file */
};

/* Dirty-page log (SET_LOG_BASE): one bit per GUEST_MEM_LOG_PAGE of GPA. */
#define GUEST_MEM_LOG_PAGE 4096

struct guest_log {
	uint8_t *bits;		/* first byte of the bitmap (NULL: no log) */
	uint64_t size;		/* bitmap bytes */
	void *map_base;
	size_t map_len;
};

/*
 * regions[] is kept sorted by gpa (GPA ranges never overlap), so a GPA lookup
 * is a binary search; with the usual one to three regions that is one or two
 * compares.
 */
struct guest_mem {
	struct guest_region regions[GUEST_MEM_MAX_REGIONS];
	unsigned int nregions;
	struct guest_log log;
	int log_kick_fd;	/* SET_LOG_FD eventfd (not owned), -1 for none */
};

/* A region description as the front-end sends it. */
struct guest_region_desc {
	uint64_t gpa;
	uint64_t size;
	uint64_t uva;
	uint64_t mmap_offset;
};

void guest_mem_init(struct guest_mem *mem);
/*
 * guest_mem_add() maps the region; it does NOT take ownership of @fd: the
 * caller closes it afterwards. The region keeps a duplicate of its own (the
 * fd store hands it to the next vuring process: src/fdstore.c).
 */
int guest_mem_add(struct guest_mem *mem, const struct guest_region_desc *d, int fd);
int guest_mem_remove(struct guest_mem *mem, const struct guest_region_desc *d);
/* Unmaps every region (not the log: see guest_mem_log_clear()). */
void guest_mem_clear(struct guest_mem *mem);

void *guest_mem_gpa_to_host(const struct guest_mem *mem, uint64_t gpa, uint64_t len);
void *guest_mem_uva_to_host(const struct guest_mem *mem, uint64_t uva, uint64_t len);
int guest_mem_gpa_to_iov(const struct guest_mem *mem, uint64_t gpa, uint64_t len,
			 struct iovec *iov, unsigned int max_iov);
int guest_mem_gpa_check(const struct guest_mem *mem, uint64_t gpa, uint64_t len);
int guest_mem_host_to_gpa(const struct guest_mem *mem, const void *host, uint64_t len,
			  uint64_t *gpa);

/* Dirty log. Like guest_mem_add(), guest_mem_log_set() does not own @fd. */
int guest_mem_log_set(struct guest_mem *mem, int fd, uint64_t size, uint64_t offset);
void guest_mem_log_clear(struct guest_mem *mem);
/* Kick @fd (an eventfd the caller owns, or -1) when a page newly turns dirty. */
void guest_mem_log_set_kick(struct guest_mem *mem, int fd);
void guest_mem_log_write(const struct guest_mem *mem, uint64_t gpa, uint64_t len);
void guest_mem_log_host_write(const struct guest_mem *mem, const void *host, uint64_t len);

#endif
