// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * fdstore.c - keep the session in the service manager's fd store, and
 * resume it after a restart.
 *
 * Every fd we store has a name starting with FDS_PREFIX. Fds of a session
 * (the socket, memory regions, ring and log eventfds) also carry a serial
 * that is never reused, "vuring-fd-call3-17", and the session record
 * (fdstore_state.h) names them by serial.
 *
 * The service manager keeps one copy of each open file: systemd drops an fd
 * it already holds under another name. So a replaced eventfd (which the
 * front-end may hand over again, as the same file) leaves the store before
 * its successor enters; memory is stored once per file (matched by inode:
 * several regions may share one memfd) and a file no region uses any more
 * leaves once the record no longer names it. Should vuring die between the
 * two steps, the record names an fd the store lacks: the next process
 * notices and the front-end sees a disconnect, nothing worse. Fds that come
 * back but that the record does not name are leftovers of such a death; the
 * next process removes them.
 *
 * The device tells us after every message and every ring start
 * (vu_dev_changed()); we compare the fds it holds with the ones stored and
 * rewrite the record if anything changed. Comparing fd numbers is sound
 * because we look after every single message: an fd the device replaces is
 * still open when its successor arrives, so within one message a slot never
 * gets back the number it had.
 *
 * Resuming replays the record through the same vu_dev_*() calls the
 * front-end's messages take, so every value is checked again. A ring that
 * was running restarts at the used index in guest memory: vuring publishes
 * used entries in order, so everything before it is complete and everything
 * from it on is replayed (as QEMU does after a back-end crash).
 */
#include "config.h"

#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/virtio_ring.h>

#ifdef HAVE_SYSTEMD
#include <systemd/sd-daemon.h>
#endif

#include "backend.h"
#include "fdstore.h"
#include "fdstore_state.h"
#include "log.h"
#include "net.h"
#include "vu_dev.h"

#define FDS_PREFIX "vuring-fd-"
/* Longest name we make: prefix, kind, ring number, a 64-bit serial. */
#define FDS_NAME_MAX 64
#define FDS_STATE_NAME FDS_PREFIX "state"
/* QEMU adds a region once per queue pair; more in a record means damage. */
#define FDS_MAX_REFS (2 * VU_MAX_QUEUE_PAIRS)
/* Names retired by one update, at most: every ring fd and region, + 2. */
#define FDS_MAX_GONE (FDS_RING_FDS * VU_MAX_RINGS + GUEST_MEM_MAX_REGIONS + 2)

/* A stored fd: the number the device holds it under (-1: none), its serial. */
struct fds_slot {
	int fd;
	uint64_t serial;
};

/* An fd handed back at start (LISTEN_FDS) under one of our names. */
struct fds_inherited {
	char name[FDS_NAME_MAX];
	int fd;			/* -1 once taken */
	bool used;		/* lent out (memory files): stays in the store */
};

/* A stored memory file: several regions may map the same one. */
struct fds_memfile {
	uint64_t dev;
	uint64_t ino;
	uint64_t serial;
	bool used;		/* by a region, in the current sync */
};

static const char *const ring_fd_kind[FDS_RING_FDS] = {
	[FDS_KICK] = "kick",
	[FDS_CALL] = "call",
	[FDS_ERR] = "err",
};

static const enum vu_ring_fd ring_fd_which[FDS_RING_FDS] = {
	[FDS_KICK] = VU_RING_KICK,
	[FDS_CALL] = VU_RING_CALL,
	[FDS_ERR] = VU_RING_ERR,
};

static struct fdstore {
	bool enabled;		/* the service manager keeps what we send */
	bool frozen;		/* shutting down: the store stays as it is */
	bool replaying;		/* resuming: the device's changes are ours */
	bool resumable;		/* @st holds a session to resume */
	bool warned_full;
	unsigned int max_fds;	/* $FDSTORE, 0 if unknown */
	struct fds_inherited *in;
	unsigned int nin;
	struct fds_file file;
	bool file_stored;	/* the store holds @file's memfd */
	struct fds_state st;	/* the record as last written (or read) */
	struct fds_state scratch;
	uint64_t next_serial;
	struct fds_slot sock;
	struct fds_slot log_call;
	struct fds_slot rings[VU_MAX_RINGS][FDS_RING_FDS];
	struct fds_memfile files[GUEST_MEM_MAX_REGIONS];
	unsigned int nfiles;
	uint64_t region_serial[GUEST_MEM_MAX_REGIONS];	/* each region's file */
	char tap_old[VU_MAX_QUEUE_PAIRS][FDS_NAME_MAX];	/* names taken back */
	bool tap_adopted;	/* the back-end kept the TAP queues taken back */
	unsigned int ntap;
	struct vu_dev *dev;	/* the device followed (fdstore_attach()) */
	char gone[FDS_MAX_GONE][FDS_NAME_MAX];
	unsigned int ngone;
} store = { .file = { .fd = -1 } };

/* ---------------------------------------------------------------- names */

/* A session fd's name: kind, ring number (or -1 for none), serial. */
static void name_session(char *buf, const char *kind, int idx, uint64_t serial)
{
	if (idx >= 0)
		snprintf(buf, FDS_NAME_MAX, FDS_PREFIX "%s%d-%" PRIu64, kind, idx, serial);
	else
		snprintf(buf, FDS_NAME_MAX, FDS_PREFIX "%s-%" PRIu64, kind, serial);
}

/**
 * fdstore_is_ours() - is @name one of the fd store names vuring gives?
 * @name: an fd name from LISTEN_FDNAMES
 *
 * Socket activation's listening socket is named after its .socket unit,
 * which never starts with our prefix.
 *
 * Return: true for ours.
 */
bool fdstore_is_ours(const char *name)
{
	return name && !strncmp(name, FDS_PREFIX, strlen(FDS_PREFIX));
}

/* The serial at the end of a name ("...-17"), 0 if none. */
static uint64_t name_serial(const char *name)
{
	const char *dash = strrchr(name, '-');
	char *end;
	uint64_t v;

	if (!dash || !dash[1])
		return 0;
	v = strtoull(dash + 1, &end, 10);
	return *end ? 0 : v;
}

/* ---------------------------------------------------------------- the store */

#ifdef HAVE_SYSTEMD
#define FDS_CAN_NOTIFY true

static int notify_msg(const char *msg, int fd)
{
	int r = fd >= 0 ? sd_pid_notify_with_fds(0, 0, msg, &fd, 1) : sd_notify(0, msg);

	return r < 0 ? r : r == 0 ? -ENOTCONN : 0;
}
#else
/* Without libsystemd there is no store to talk to. */
#define FDS_CAN_NOTIFY false

static int notify_msg(const char *msg, int fd)
{
	(void)msg;
	(void)fd;
	return -EOPNOTSUPP;
}
#endif

/**
 * store_broken() - the store stopped taking our fds: stop using it
 * @what: what failed, for the log
 * @err: negative errno
 *
 * The record must not promise a session the store cannot hand back, so it
 * says "no session" from now on: a restart then simply disconnects.
 */
static void store_broken(const char *what, int err)
{
	log_warn("fd store: cannot %s: %s; a restart will disconnect the front-end", what,
		 strerror(-err));
	store.enabled = false;
	if (store.file.map) {
		store.st.sock_serial = 0;
		fds_file_write(&store.file, &store.st);
	}
}

static void store_add(int fd, const char *name)
{
	char msg[32 + FDS_NAME_MAX];
	int r;

	if (!store.enabled)
		return;
	snprintf(msg, sizeof(msg), "FDSTORE=1\nFDNAME=%s", name);
	r = notify_msg(msg, fd);
	if (r < 0)
		store_broken("store an fd", r);
	else
		log_debug("fd store: + %s (fd %d)", name, fd);
}

/* A name that is left behind is harmless: the next process removes it. */
static void store_remove(const char *name)
{
	char msg[32 + FDS_NAME_MAX];
	int r;

	if (!store.enabled)
		return;
	snprintf(msg, sizeof(msg), "FDSTOREREMOVE=1\nFDNAME=%s", name);
	r = notify_msg(msg, -1);
	if (r < 0)
		log_debug("fd store: cannot remove %s: %s", name, strerror(-r));
	else
		log_debug("fd store: - %s", name);
}

/* Retire @name once the record no longer names it (gone_flush()). */
static void gone_add(const char *name)
{
	if (store.ngone < FDS_MAX_GONE)
		snprintf(store.gone[store.ngone++], FDS_NAME_MAX, "%s", name);
}

static void gone_flush(void)
{
	for (unsigned int i = 0; i < store.ngone; i++)
		store_remove(store.gone[i]);
	store.ngone = 0;
}

/* ---------------------------------------------------------------- fds handed back */

/**
 * inherited_collect() - keep the fds passed to us under our names
 *
 * Anything else passed (socket activation's listening socket) is left to
 * notify_listen_fd(), which reads the same variables.
 */
static void inherited_collect(void)
{
#ifdef HAVE_SYSTEMD
	char **names = NULL;
	int n = sd_listen_fds_with_names(0, &names);

	if (n > 0 && names) {
		store.in = calloc((size_t)n, sizeof(*store.in));
		for (int i = 0; i < n; i++) {
			int fd = SD_LISTEN_FDS_START + i;

			if (!fdstore_is_ours(names[i]))
				continue;
			if (!store.in || strlen(names[i]) >= FDS_NAME_MAX) {
				close(fd);
				continue;
			}
			snprintf(store.in[store.nin].name, FDS_NAME_MAX, "%s", names[i]);
			store.in[store.nin++].fd = fd;
		}
	}
	for (int i = 0; names && names[i]; i++)
		free(names[i]);
	free(names);
#endif
}

/* The fd handed back under @name, now the caller's; -1 if there is none. */
static int inherited_take(const char *name)
{
	for (unsigned int i = 0; i < store.nin; i++) {
		int fd = store.in[i].fd;

		if (fd >= 0 && !strcmp(store.in[i].name, name)) {
			store.in[i].fd = -1;
			return fd;
		}
	}
	return -1;
}

/* The fd handed back under @name, lent: it stays ours and in the store. */
static int inherited_get(const char *name)
{
	for (unsigned int i = 0; i < store.nin; i++) {
		if (store.in[i].fd >= 0 && !strcmp(store.in[i].name, name)) {
			store.in[i].used = true;
			return store.in[i].fd;
		}
	}
	return -1;
}

/* Close what was handed back; what nothing used is a leftover: out of the store. */
static void inherited_drop_rest(void)
{
	for (unsigned int i = 0; i < store.nin; i++) {
		if (store.in[i].fd < 0)
			continue;
		if (!store.in[i].used) {
			log_debug("fd store: %s is a leftover", store.in[i].name);
			store_remove(store.in[i].name);
		}
		close(store.in[i].fd);
		store.in[i].fd = -1;
	}
}

static uint64_t inherited_max_serial(void)
{
	uint64_t max = 0;

	for (unsigned int i = 0; i < store.nin; i++)
		if (name_serial(store.in[i].name) > max)
			max = name_serial(store.in[i].name);
	return max;
}

/* ---------------------------------------------------------------- slots */

static void slot_clear(struct fds_slot *s)
{
	s->fd = -1;
	s->serial = 0;
}

static void slots_clear(void)
{
	slot_clear(&store.sock);
	slot_clear(&store.log_call);
	for (unsigned int i = 0; i < VU_MAX_RINGS; i++)
		for (unsigned int k = 0; k < FDS_RING_FDS; k++)
			slot_clear(&store.rings[i][k]);
	store.nfiles = 0;
}

/**
 * slot_update() - the device now holds @fd where @s was
 * @s: the slot
 * @fd: the device's fd now, -1 for none
 * @kind: for the name
 * @idx: ring number for the name, -1 for none
 *
 * The old fd leaves the store first: @fd may be the same file (see the
 * comment at the top).
 */
static void slot_update(struct fds_slot *s, int fd, const char *kind, int idx)
{
	char name[FDS_NAME_MAX];

	if (s->fd == fd)
		return;
	if (s->serial) {
		name_session(name, kind, idx, s->serial);
		store_remove(name);
	}
	slot_clear(s);
	if (fd < 0)
		return;
	s->fd = fd;
	s->serial = store.next_serial++;
	name_session(name, kind, idx, s->serial);
	store_add(fd, name);
}

/* Retire a slot whose fd the device no longer holds (the session ended). */
static void slot_retire(struct fds_slot *s, const char *kind, int idx)
{
	slot_update(s, -1, kind, idx);
}

/**
 * memfile_find() - the stored memory file that is @fd's file, or a new one
 * @fd: a region's fd
 * @serial: its serial (0: new, stored by the caller)
 *
 * Return: the entry, or NULL if @fd cannot be looked at.
 */
static struct fds_memfile *memfile_find(int fd, uint64_t serial)
{
	struct fds_memfile *f;
	struct stat st;

	if (fstat(fd, &st) < 0)
		return NULL;
	for (unsigned int j = 0; j < store.nfiles; j++) {
		f = &store.files[j];
		if (f->dev == (uint64_t)st.st_dev && f->ino == (uint64_t)st.st_ino)
			return f;
	}
	if (store.nfiles >= GUEST_MEM_MAX_REGIONS) {
		errno = ENOSPC;
		return NULL;
	}
	f = &store.files[store.nfiles++];
	f->dev = (uint64_t)st.st_dev;
	f->ino = (uint64_t)st.st_ino;
	f->serial = serial;
	f->used = false;
	return f;
}

/* Memory files no region uses any more leave once the record is written. */
static void memfiles_retire_unused(void)
{
	char name[FDS_NAME_MAX];
	unsigned int n = 0;

	for (unsigned int j = 0; j < store.nfiles; j++) {
		if (store.files[j].used) {
			store.files[n++] = store.files[j];
			continue;
		}
		name_session(name, "mem", -1, store.files[j].serial);
		gone_add(name);
	}
	store.nfiles = n;
}

/**
 * sync_regions() - store each region's file once; note each region's serial
 * @mem: the device's memory table (guest_mem keeps an fd per region)
 */
static void sync_regions(const struct guest_mem *mem)
{
	char name[FDS_NAME_MAX];

	for (unsigned int j = 0; j < store.nfiles; j++)
		store.files[j].used = false;
	for (unsigned int i = 0; i < mem->nregions; i++) {
		struct fds_memfile *f = memfile_find(mem->regions[i].fd, 0);

		if (!f) {
			store_broken("look at a memory region's file", -errno);
			return;
		}
		if (!f->serial) {
			f->serial = store.next_serial++;
			name_session(name, "mem", -1, f->serial);
			store_add(mem->regions[i].fd, name);
		}
		f->used = true;
		store.region_serial[i] = f->serial;
	}
	memfiles_retire_unused();
}

/* ---------------------------------------------------------------- the record */

static uint8_t ring_flags(const struct vu_ring *ring)
{
	return (uint8_t)((ring->addr_set ? FDS_RING_ADDR_SET : 0) |
			 (ring->kicked ? FDS_RING_KICKED : 0) |
			 (ring->started ? FDS_RING_STARTED : 0) |
			 (ring->enabled ? FDS_RING_ENABLED : 0));
}

/**
 * record_fill() - describe the session (device and stored fds) in @st
 * @st: zeroed and filled in
 * @dev: the device, or NULL before fdstore_attach()
 */
static void record_fill(struct fds_state *st, const struct vu_dev *dev)
{
	memset(st, 0, sizeof(*st));
	st->next_serial = store.next_serial;
	st->sock_serial = store.sock.serial;
	if (!dev || !st->sock_serial)
		return;
	st->log_call_serial = store.log_call.serial;
	st->features = dev->features;
	st->protocol_features = dev->protocol_features;
	st->features_set = dev->features_set;
	st->owner = dev->owner;
	st->status = dev->status;
	st->mtu = dev->mtu;
	st->nrings = dev->nrings;
	for (unsigned int i = 0; i < dev->nrings; i++) {
		const struct vu_ring *ring = &dev->rings[i];
		struct fds_ring_rec *rec = &st->rings[i];

		rec->num = ring->num;
		rec->base = ring->base;
		rec->flags = ring_flags(ring);
		rec->addr = ring->addr;
		for (unsigned int k = 0; k < FDS_RING_FDS; k++)
			rec->serial[k] = store.rings[i][k].serial;
	}
	st->nregions = dev->mem.nregions;
	for (unsigned int i = 0; i < dev->mem.nregions; i++) {
		const struct guest_region *g = &dev->mem.regions[i];
		struct fds_region_rec *rec = &st->regions[i];

		rec->gpa = g->gpa;
		rec->size = g->size;
		rec->uva = g->uva;
		rec->mmap_offset = g->mmap_offset;
		rec->refs = g->refs;
		rec->serial = store.region_serial[i];
	}
}

/* How many fds the store holds for us now. */
static unsigned int stored_count(void)
{
	unsigned int n = 1 + store.ntap + store.nfiles;

	n += store.sock.serial ? 1 : 0;
	n += store.log_call.serial ? 1 : 0;
	for (unsigned int i = 0; i < VU_MAX_RINGS; i++)
		for (unsigned int k = 0; k < FDS_RING_FDS; k++)
			n += store.rings[i][k].serial ? 1 : 0;
	return n;
}

/**
 * record_write() - rewrite the record if it changed, then retire old names
 */
static void record_write(void)
{
	record_fill(&store.scratch, store.dev);
	if (memcmp(&store.scratch, &store.st, sizeof(store.st))) {
		memcpy(&store.st, &store.scratch, sizeof(store.st));
		fds_file_write(&store.file, &store.st);
	}
	gone_flush();
	if (store.max_fds && !store.warned_full && stored_count() > store.max_fds) {
		store.warned_full = true;
		log_warn("fd store: %u fds to keep but the store takes %u (FileDescriptorStoreMax=): a restart will lose the session",
			 stored_count(), store.max_fds);
	}
}

/**
 * on_change() - vu_dev_changed(): store what changed
 * @dev: the device
 * @arg: unused
 */
static void on_change(struct vu_dev *dev, void *arg)
{
	(void)arg;
	if (!store.enabled || store.frozen || store.replaying)
		return;
	if (store.sock.serial) {
		for (unsigned int i = 0; i < dev->nrings; i++) {
			const struct vu_ring *ring = &dev->rings[i];
			const int fds[FDS_RING_FDS] = { ring->kick_fd, ring->call_fd, ring->err_fd };

			for (unsigned int k = 0; k < FDS_RING_FDS; k++)
				slot_update(&store.rings[i][k], fds[k], ring_fd_kind[k], (int)i);
		}
		sync_regions(&dev->mem);
		slot_update(&store.log_call, dev->log_call_fd, "logcall", -1);
	}
	record_write();
}

/* ---------------------------------------------------------------- start-up */

/* $FDSTORE: how many fds the store takes (systemd >= 254 sets it). */
static unsigned int env_max_fds(void)
{
	const char *s = getenv("FDSTORE");
	char *end;
	unsigned long v;

	if (!s || !*s)
		return 0;
	v = strtoul(s, &end, 10);
	return *end || v > UINT32_MAX ? 0 : (unsigned int)v;
}

/**
 * state_open() - the record: the one handed back, or a new memfd
 *
 * Return: 0, or a negative errno (the store is then not used).
 */
static int state_open(void)
{
	int fd = inherited_take(FDS_STATE_NAME);

	if (fd >= 0) {
		if (fds_file_open(&store.file, fd) == 0) {
			store.file_stored = true;
			if (fds_file_read(&store.file, &store.st) == 0)
				store.resumable = store.st.sock_serial != 0;
			else
				log_warn("fd store: the session record is damaged or from another version; starting afresh");
			return 0;
		}
		log_warn("fd store: %s is not a session record; replacing it", FDS_STATE_NAME);
		store_remove(FDS_STATE_NAME);
	}
	memset(&store.st, 0, sizeof(store.st));
	return fds_file_create(&store.file);
}

/**
 * fdstore_init() - before anything is opened: see what came back, decide
 *
 * Return: 0 (not using a store is not an error), or -ENOMEM.
 */
int fdstore_init(void)
{
	int r;

	slots_clear();
	store.max_fds = env_max_fds();
	inherited_collect();
	store.enabled = FDS_CAN_NOTIFY && getenv("NOTIFY_SOCKET") &&
			(store.max_fds > 0 || store.nin > 0);
	if (!store.enabled) {
		inherited_drop_rest();
		return 0;
	}
	r = state_open();
	if (r < 0) {
		log_warn("fd store: cannot create the session record: %s; not using the store",
			 strerror(-r));
		store.enabled = false;
		inherited_drop_rest();
		return r == -ENOMEM ? r : 0;
	}
	store.next_serial = store.st.next_serial;
	if (store.next_serial <= inherited_max_serial())
		store.next_serial = inherited_max_serial() + 1;
	if (!store.next_serial)
		store.next_serial = 1;
	if (store.nin)
		log_info("fd store: %u fds back from the previous vuring%s", store.nin,
			 store.resumable ? ", with a session to resume" : "");
	else
		log_info("fd store: in use (up to %u fds)", store.max_fds);
	return 0;
}

/**
 * fdstore_take_tap() - a TAP queue fd handed back, for backend_tap.c
 * @qp: queue pair
 *
 * The newest one if several came back. Unless the back-end then says it
 * kept every queue (fdstore_tap_adopted()), the names taken leave the store
 * and the queues it opened instead go in (fdstore_attach()).
 *
 * Return: the fd (now the caller's), or -1.
 */
int fdstore_take_tap(unsigned int qp)
{
	char prefix[FDS_NAME_MAX];
	unsigned int best = store.nin;
	size_t len;

	if (qp >= VU_MAX_QUEUE_PAIRS)
		return -1;
	len = (size_t)snprintf(prefix, sizeof(prefix), FDS_PREFIX "tap%u-", qp);
	for (unsigned int i = 0; i < store.nin; i++) {
		if (store.in[i].fd < 0 || strncmp(store.in[i].name, prefix, len))
			continue;
		if (best == store.nin ||
		    name_serial(store.in[i].name) > name_serial(store.in[best].name))
			best = i;
	}
	if (best == store.nin)
		return -1;
	snprintf(store.tap_old[qp], FDS_NAME_MAX, "%s", store.in[best].name);
	return inherited_take(store.in[best].name);
}

/**
 * fdstore_tap_adopted() - backend_tap.c kept every queue it took back
 */
void fdstore_tap_adopted(void)
{
	store.tap_adopted = true;
}

/**
 * store_taps() - the TAP's queues: kept as they are if taken back, else stored
 * @net: the datapath, or NULL
 *
 * A queue the back-end opened afresh is a new file; the one taken back and
 * refused leaves the store first all the same.
 */
static void store_taps(struct net_dev *net)
{
	char name[FDS_NAME_MAX];

	if (!net || net->be->ops != &backend_tap_ops)
		return;
	store.ntap = net_dev_queue_pairs(net);
	if (store.tap_adopted)
		return;
	store.ntap = 0;
	for (unsigned int qp = 0; qp < net_dev_queue_pairs(net) && qp < VU_MAX_QUEUE_PAIRS; qp++) {
		int fd = backend_queue_fd(net->be, qp);

		if (store.tap_old[qp][0])
			store_remove(store.tap_old[qp]);
		if (fd < 0)
			continue;
		snprintf(name, sizeof(name), FDS_PREFIX "tap%u-%" PRIu64, qp, store.next_serial++);
		store_add(fd, name);
		store.ntap++;
	}
}

/**
 * fdstore_attach() - follow @dev; put the record and the TAP in the store
 * @dev: the device
 * @net: the datapath, or NULL
 */
void fdstore_attach(struct vu_dev *dev, struct net_dev *net)
{
	if (!store.enabled)
		return;
	store.dev = dev;
	dev->on_change = on_change;
	dev->on_change_arg = NULL;
	if (!store.file_stored) {
		store_add(store.file.fd, FDS_STATE_NAME);
		store.file_stored = true;
	}
	store_taps(net);
	if (store.resumable)
		return;
	inherited_drop_rest();
	record_write();
}

/* ---------------------------------------------------------------- resuming */

/**
 * fdstore_resume_socket() - the connected socket of a session to resume
 *
 * Return: the socket (the caller serves it, then calls fdstore_resume()),
 * or -1 when there is nothing to resume.
 */
int fdstore_resume_socket(void)
{
	char name[FDS_NAME_MAX];
	int fd;

	if (!store.enabled || !store.resumable)
		return -1;
	store.resumable = false;
	name_session(name, "sock", -1, store.st.sock_serial);
	fd = inherited_take(name);
	if (fd < 0) {
		log_warn("fd store: the session's socket did not come back; not resuming");
		inherited_drop_rest();
		record_write();
		return -1;
	}
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) < 0)
		log_warn("fd store: the session's socket: %s", strerror(errno));
	store.sock.fd = fd;
	store.sock.serial = store.st.sock_serial;
	return fd;
}

/* Take the session fd @kind@idx-@serial, or break the device. */
static int resume_take(struct vu_dev *dev, const char *kind, int idx, uint64_t serial, int *fd)
{
	char name[FDS_NAME_MAX];

	name_session(name, kind, idx, serial);
	*fd = inherited_take(name);
	if (*fd < 0)
		return vu_dev_fail(dev, "fd store: %s did not come back; cannot resume", name);
	return 0;
}

/* Ownership and features, checked against this process's offer. */
static int resume_features(struct vu_dev *dev, const struct fds_state *st)
{
	int r = 0;

	if (st->nrings != dev->nrings)
		return vu_dev_fail(dev, "fd store: the session has %u rings, the configuration now %u",
				   st->nrings, dev->nrings);
	if (st->features & (1ull << VHOST_F_LOG_ALL))
		return vu_dev_fail(dev, "fd store: dirty logging (a migration) was on; cannot resume");
	if (st->owner)
		r = vu_dev_set_owner(dev);
	if (r == 0)
		r = vu_dev_set_protocol_features(dev, st->protocol_features);
	if (r == 0 && st->features_set)
		r = vu_dev_set_features(dev, st->features);
	return r;
}

/* Map every region again, counted as often as the front-end added it. */
static int resume_memory(struct vu_dev *dev, const struct fds_state *st)
{
	char name[FDS_NAME_MAX];

	for (unsigned int i = 0; i < st->nregions; i++) {
		const struct fds_region_rec *rec = &st->regions[i];
		struct vhost_user_mem_region reg = {
			.guest_phys_addr = rec->gpa,
			.memory_size = rec->size,
			.userspace_addr = rec->uva,
			.mmap_offset = rec->mmap_offset,
		};
		int fd, r = 0;

		if (!rec->refs || rec->refs > FDS_MAX_REFS)
			return vu_dev_fail(dev, "fd store: region %u counted %u times", i, rec->refs);
		/* Lent, not taken: other regions may map the same file. */
		name_session(name, "mem", -1, rec->serial);
		fd = inherited_get(name);
		if (fd < 0)
			return vu_dev_fail(dev, "fd store: %s did not come back; cannot resume", name);
		if (!memfile_find(fd, rec->serial))
			return vu_dev_fail(dev, "fd store: %s: %s", name, strerror(errno));
		for (unsigned int n = 0; r == 0 && n < rec->refs; n++)
			r = vu_dev_add_mem_reg(dev, &reg, fd);
		if (r)
			return r;
	}
	return 0;
}

/**
 * ring_used_idx() - the used index the guest can see for ring @idx
 * @dev: device, memory mapped, ring addresses set
 * @idx: ring
 * @out: the index
 *
 * Return: 0, or -EPROTO (device broken) if the used ring is not in memory.
 */
static int ring_used_idx(struct vu_dev *dev, unsigned int idx, uint16_t *out)
{
	uint64_t uva = dev->rings[idx].addr.used_user_addr + offsetof(struct vring_used, idx);
	const uint16_t *p = guest_mem_uva_to_host(&dev->mem, uva, sizeof(*p));

	if (!p || ((uintptr_t)p % sizeof(*p)))
		return vu_dev_fail(dev, "fd store: ring %u: used ring not in guest memory", idx);
	*out = le16toh(__atomic_load_n(p, __ATOMIC_ACQUIRE));
	return 0;
}

/* One ring: size, addresses, where to go on, its eventfds, enabled. */
static int resume_ring(struct vu_dev *dev, unsigned int idx, const struct fds_ring_rec *rec)
{
	uint16_t base = rec->base;
	int r = 0;

	if (rec->num)
		r = vu_dev_set_vring_num(dev, idx, rec->num);
	if (r == 0 && (rec->flags & FDS_RING_ADDR_SET)) {
		if (rec->addr.index != idx)
			return vu_dev_fail(dev, "fd store: ring %u recorded as ring %u", idx,
					   rec->addr.index);
		r = vu_dev_set_vring_addr(dev, &rec->addr);
	}
	if (r == 0 && (rec->flags & FDS_RING_STARTED))
		r = ring_used_idx(dev, idx, &base);
	if (r == 0)
		r = vu_dev_set_vring_base(dev, idx, base);
	for (unsigned int k = 0; r == 0 && k < FDS_RING_FDS; k++) {
		int fd;

		if (!rec->serial[k])
			continue;
		r = resume_take(dev, ring_fd_kind[k], (int)idx, rec->serial[k], &fd);
		if (r == 0)
			r = vu_dev_set_vring_fd(dev, ring_fd_which[k], idx, fd);
		if (r == 0) {
			store.rings[idx][k].fd = fd;
			store.rings[idx][k].serial = rec->serial[k];
		}
	}
	if (r == 0)
		r = vu_dev_set_vring_enable(dev, idx, !!(rec->flags & FDS_RING_ENABLED));
	return r;
}

/* What is left: the log eventfd, the status byte, the MTU. */
static int resume_rest(struct vu_dev *dev, const struct fds_state *st)
{
	int fd, r = 0;

	if (st->log_call_serial) {
		r = resume_take(dev, "logcall", -1, st->log_call_serial, &fd);
		if (r == 0)
			r = vu_dev_set_log_fd(dev, fd);
		if (r == 0) {
			store.log_call.fd = fd;
			store.log_call.serial = st->log_call_serial;
		}
	}
	if (r == 0 && st->status)
		r = vu_dev_set_status(dev, st->status);
	if (r == 0 && st->mtu && vu_dev_set_mtu(dev, st->mtu) == VU_REFUSED)
		log_warn("fd store: the guest's MTU %u no longer fits the configuration", st->mtu);
	return r;
}

/**
 * resume_wake() - act as if the guest had just kicked and been called
 * @dev: the device, resumed
 * @st: the record
 *
 * A kick the previous process read but did not act on is lost, and so is a
 * call it meant to make: kicking each ring that was kicked before restarts
 * it (at the used index) and makes it look at its avail ring; a call to each
 * ring that ran lets the guest look at its used ring. Both are harmless
 * when nothing was lost.
 */
static void resume_wake(struct vu_dev *dev, const struct fds_state *st)
{
	static const uint64_t one = 1;

	for (unsigned int i = 0; i < st->nrings; i++) {
		const struct vu_ring *ring = &dev->rings[i];
		uint8_t flags = st->rings[i].flags;

		if ((flags & (FDS_RING_KICKED | FDS_RING_STARTED)) && ring->kick_fd >= 0 &&
		    write(ring->kick_fd, &one, sizeof(one)) < 0)
			log_debug("fd store: ring %u: kick: %s", i, strerror(errno));
		if ((flags & FDS_RING_STARTED) && ring->call_fd >= 0 &&
		    write(ring->call_fd, &one, sizeof(one)) < 0)
			log_debug("fd store: ring %u: call: %s", i, strerror(errno));
	}
}

/**
 * fdstore_resume() - rebuild the stored session in @dev
 * @dev: the device, served by a connection on fdstore_resume_socket()'s fd
 *
 * On failure the device is broken (logged): its connection closes from the
 * event loop, the session's fds leave the store, and the front-end sees the
 * disconnect it would have seen without a store.
 *
 * Return: 0 or a negative errno.
 */
int fdstore_resume(struct vu_dev *dev)
{
	const struct fds_state *st = &store.st;
	int r;

	store.replaying = true;
	r = resume_features(dev, st);
	if (r == 0)
		r = resume_memory(dev, st);
	for (unsigned int i = 0; r == 0 && i < st->nrings; i++)
		r = resume_ring(dev, i, &st->rings[i]);
	if (r == 0)
		r = resume_rest(dev, st);
	store.replaying = false;
	inherited_drop_rest();
	if (r < 0)
		return r;
	log_info("fd store: resumed the session: %u rings, %u memory regions, features %#llx",
		 st->nrings, st->nregions, (unsigned long long)st->features);
	resume_wake(dev, st);
	vu_dev_changed(dev);
	return 0;
}

/* ---------------------------------------------------------------- session */

/**
 * fdstore_session_begin() - a front-end connected on @fd: store the socket
 * @fd: the connection (as the device's connection holds it)
 */
void fdstore_session_begin(int fd)
{
	if (!store.enabled || store.frozen || store.sock.fd == fd)
		return;
	slot_update(&store.sock, fd, "sock", -1);
	record_write();
}

/**
 * fdstore_session_end() - the front-end is gone: its fds leave the store
 */
void fdstore_session_end(void)
{
	if (!store.enabled || store.frozen)
		return;
	slot_retire(&store.sock, "sock", -1);
	slot_retire(&store.log_call, "logcall", -1);
	for (unsigned int i = 0; i < VU_MAX_RINGS; i++)
		for (unsigned int k = 0; k < FDS_RING_FDS; k++)
			slot_retire(&store.rings[i][k], ring_fd_kind[k], (int)i);
	for (unsigned int j = 0; j < store.nfiles; j++)
		store.files[j].used = false;
	memfiles_retire_unused();
	record_write();
}

/**
 * fdstore_freeze() - shutting down (SIGTERM): leave the store as it is
 *
 * The teardown that follows closes our copies of every fd; the store's
 * copies keep the front-end's connection, the eventfds and the TAP alive
 * for the next process.
 */
void fdstore_freeze(void)
{
	if (store.enabled && store.sock.serial)
		log_info("fd store: keeping the session for the next vuring");
	store.frozen = true;
}

/**
 * fdstore_close() - release what this module holds (not the store's copies)
 */
void fdstore_close(void)
{
	inherited_drop_rest();
	fds_file_close(&store.file);
	free(store.in);
	store.in = NULL;
	store.nin = 0;
}
