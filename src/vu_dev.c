// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vu_dev.c - the vhost-user device: features, guest memory, ring life cycle.
 *
 * Every value arrives from the front-end and is checked here before it is
 * stored. A value that breaks the protocol makes vu_dev_fail() log one line
 * saying why, stop every ring and mark the device broken; the connection
 * then closes and the daemon waits for the next front-end.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/vhost_types.h>
#include <linux/virtio_net.h>
#include <linux/virtio_ring.h>

#include "conf.h"
#include "device_state.h"
#include "log.h"
#include "probes.h"
#include "vu_dev.h"
#include "vu_features.h"

/* Longest "why the device broke" text we keep for the log line. */
#define VU_REASON_LEN 256

/* Split-ring area sizes (virtio 1.x 2.7), trailing event fields included. */
#define DESC_AREA(n)	(16ull * (n))
#define AVAIL_AREA(n)	(6ull + 2ull * (n))
#define USED_AREA(n)	(6ull + 8ull * (n))

/* Split-ring area alignment the spec requires (2.7, "Virtqueue Alignment"). */
#define DESC_ALIGN	16
#define AVAIL_ALIGN	2
#define USED_ALIGN	4

static const char *const ring_fd_names[] = {
	[VU_RING_KICK] = "kick",
	[VU_RING_CALL] = "call",
	[VU_RING_ERR] = "err",
};

static unsigned int ring_idx(const struct vu_dev *dev, const struct vu_ring *ring)
{
	return (unsigned int)(ring - dev->rings);
}

/* virtio-net numbering: even rings receive (host -> guest), odd ones transmit. */
static bool ring_is_rx(unsigned int idx)
{
	return !(idx & 1);
}

bool vu_dev_has_feature(const struct vu_dev *dev, unsigned int bit)
{
	return vu_has_feature(dev->features, bit);
}

bool vu_dev_has_protocol_feature(const struct vu_dev *dev, unsigned int bit)
{
	return vu_has_feature(dev->protocol_features, bit);
}

static void ring_log_state(const struct vu_dev *dev, const struct vu_ring *ring,
			   const char *what)
{
	unsigned int idx = ring_idx(dev, ring);

	if (!log_enabled(VLOG_DEBUG))
		return;
	log_debug("ring %u (%s%u) %s: num %u base %u desc %#llx avail %#llx used %#llx log %#llx%s kick %d call %d err %d %s %s kicks %llu",
		  idx, ring_is_rx(idx) ? "rx" : "tx", idx / 2, what, ring->num, ring->base,
		  (unsigned long long)ring->addr.desc_user_addr,
		  (unsigned long long)ring->addr.avail_user_addr,
		  (unsigned long long)ring->addr.used_user_addr,
		  (unsigned long long)ring->addr.log_guest_addr,
		  (ring->addr.flags & (1u << VHOST_VRING_F_LOG)) ? " (logging)" : "",
		  ring->kick_fd, ring->call_fd, ring->err_fd,
		  ring->started ? "started" : "stopped",
		  ring->enabled ? "enabled" : "disabled", (unsigned long long)ring->kicks);
}

/**
 * vu_dev_fail() - the front-end broke a rule: log why, mark the device broken
 * @dev: device
 * @fmt: printf format of the reason (no trailing newline)
 *
 * Only the first failure of a connection is logged at error level. Nothing
 * is torn down here, so the datapath may call this from its own callbacks:
 * a broken device ignores kicks, and the connection's on_broken hook closes
 * the connection from the event loop, whose teardown stops every ring.
 * (A failure inside a message handler closes it right after the handler.)
 *
 * Return: -EPROTO, for the caller to pass on.
 */
int vu_dev_fail(struct vu_dev *dev, const char *fmt, ...)
{
	char reason[VU_REASON_LEN];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	if (dev->broken) {
		log_debug("device already broken; also: %s", reason);
		return -EPROTO;
	}
	dev->broken = true;
	dev->stats.broken++;
	VURING_PROBE(device_broken, reason);
	log_error("device broken: %s; dropping the front-end", reason);
	if (dev->on_broken)
		dev->on_broken(dev->on_broken_arg);
	return -EPROTO;
}

/**
 * check_ring_idx() - every ring message names a ring; is it ours?
 * @dev: device
 * @idx: index from the message
 * @what: request name for the log line
 *
 * Return: 0, or -EPROTO after vu_dev_fail().
 */
static int check_ring_idx(struct vu_dev *dev, unsigned int idx, const char *what)
{
	if (idx >= dev->nrings)
		return vu_dev_fail(dev, "%s: ring index %u out of range (%u rings)", what, idx,
				   dev->nrings);
	return 0;
}

/**
 * fd_is_eventfd() - is @fd an eventfd?
 * @fd: descriptor from the front-end
 *
 * The kernel names eventfds "anon_inode:[eventfd]" in /proc/self/fd. Where
 * /proc is not mounted (a tight sandbox) the best left is "an anonymous
 * inode": no file type bits, which regular files, pipes and sockets have.
 *
 * Return: true if @fd is (as far as we can tell) an eventfd.
 */
static bool fd_is_eventfd(int fd)
{
	static const char want[] = "anon_inode:[eventfd]";
	char path[64], target[sizeof(want) + 1];
	struct stat st;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	n = readlink(path, target, sizeof(target));
	if (n >= 0)
		return (size_t)n == sizeof(want) - 1 && !memcmp(target, want, (size_t)n);
	if (access("/proc/self/fd", F_OK) == 0 || fstat(fd, &st) < 0)
		return false;
	return (st.st_mode & S_IFMT) == 0;
}

/**
 * fd_set_nonblock() - make a shared eventfd non-blocking
 * @fd: descriptor
 *
 * The front-end holds the other reference: if it drained a kick fd behind
 * our back (or filled a call fd's counter), a blocking read or write would
 * hang the whole daemon.
 *
 * Return: 0 or a negative errno.
 */
static int fd_set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
		return -errno;
	return 0;
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/**
 * ring_translate() - find the ring's three areas in guest memory
 * @dev: device
 * @ring: ring with num and addr set
 *
 * Each area must lie wholly inside one region and be aligned as virtio
 * requires, both as the front-end's address and as ours (a region whose
 * mmap offset is odd would otherwise yield misaligned host pointers).
 *
 * Return: 0 with ring->desc/avail/used set, or -EPROTO after vu_dev_fail().
 */
static int ring_translate(struct vu_dev *dev, struct vu_ring *ring)
{
	const struct vhost_vring_addr *a = &ring->addr;
	unsigned int idx = ring_idx(dev, ring);
	void *desc, *avail, *used;

	if ((a->desc_user_addr % DESC_ALIGN) || (a->avail_user_addr % AVAIL_ALIGN) ||
	    (a->used_user_addr % USED_ALIGN))
		return vu_dev_fail(dev, "ring %u: misaligned ring address (desc %#llx avail %#llx used %#llx)",
				   idx, (unsigned long long)a->desc_user_addr,
				   (unsigned long long)a->avail_user_addr,
				   (unsigned long long)a->used_user_addr);
	desc = guest_mem_uva_to_host(&dev->mem, a->desc_user_addr, DESC_AREA(ring->num));
	avail = guest_mem_uva_to_host(&dev->mem, a->avail_user_addr, AVAIL_AREA(ring->num));
	used = guest_mem_uva_to_host(&dev->mem, a->used_user_addr, USED_AREA(ring->num));
	if (!desc || !avail || !used)
		return vu_dev_fail(dev, "ring %u: %s area at %#llx (size %u) is not inside guest memory",
				   idx, !desc ? "descriptor" : !avail ? "avail" : "used",
				   (unsigned long long)(!desc ? a->desc_user_addr :
							!avail ? a->avail_user_addr :
								 a->used_user_addr),
				   ring->num);
	if (((uintptr_t)desc % DESC_ALIGN) || ((uintptr_t)avail % AVAIL_ALIGN) ||
	    ((uintptr_t)used % USED_ALIGN))
		return vu_dev_fail(dev, "ring %u: ring areas land misaligned in our mapping (odd mmap offset)",
				   idx);
	ring->desc = desc;
	ring->avail = avail;
	ring->used = used;
	return 0;
}

/**
 * ring_log_flags() - what of this ring's writes go into the dirty log
 * @dev: device
 * @ring: ring
 *
 * The spec's two switches: VHOST_F_LOG_ALL (SET_FEATURES) for everything
 * written into buffers, the ring's VHOST_VRING_F_LOG (SET_VRING_ADDR) for
 * its used ring. QEMU flips both together, one message after the other.
 *
 * Return: VIRTQ_F_LOG and/or VIRTQ_F_LOG_USED.
 */
static uint32_t ring_log_flags(const struct vu_dev *dev, const struct vu_ring *ring)
{
	uint32_t f = 0;

	if (vu_dev_has_feature(dev, VHOST_F_LOG_ALL))
		f |= VIRTQ_F_LOG;
	if (ring->addr.flags & (1u << VHOST_VRING_F_LOG))
		f |= VIRTQ_F_LOG_USED;
	return f;
}

/**
 * ring_try_start() - start a kicked ring once everything it needs is known
 * @dev: device
 * @ring: ring
 *
 * A kick that arrives before the ring's size, addresses or memory is
 * remembered; the ring starts as soon as the missing piece comes.
 *
 * Return: 0 (started or still waiting) or -EPROTO.
 */
static int ring_try_start(struct vu_dev *dev, struct vu_ring *ring)
{
	unsigned int idx = ring_idx(dev, ring);
	char name[16];
	struct virtq_config cfg = {
		.layout = VIRTQ_SPLIT,
		.dir = ring_is_rx(idx) ? VIRTQ_DIR_IN : VIRTQ_DIR_OUT,
		.name = name,
	};
	int r;

	if (ring->started || !ring->kicked || dev->broken)
		return 0;
	if (!ring->num || !ring->addr_set || !dev->mem.nregions)
		return 0;
	r = ring_translate(dev, ring);
	if (r < 0)
		return r;
	snprintf(name, sizeof(name), "%s%u", ring_is_rx(idx) ? "rx" : "tx", idx / 2);
	cfg.num = ring->num;
	cfg.desc = ring->desc;
	cfg.avail = ring->avail;
	cfg.used = ring->used;
	cfg.used_gpa = ring->addr.log_guest_addr;
	cfg.last_avail_idx = ring->base;
	if (vu_dev_has_feature(dev, VIRTIO_RING_F_EVENT_IDX))
		cfg.flags |= VIRTQ_F_EVENT_IDX;
	if (vu_dev_has_feature(dev, VIRTIO_RING_F_INDIRECT_DESC))
		cfg.flags |= VIRTQ_F_INDIRECT;
	cfg.flags |= ring_log_flags(dev, ring);
	r = virtq_init(&ring->vq, &dev->mem, &cfg);
	if (r < 0)
		return vu_dev_fail(dev, "ring %u: cannot start: %s", idx, strerror(-r));
	ring->started = true;
	ring_log_state(dev, ring, "started");
	vu_dev_changed(dev);
	if (dev->ops && dev->ops->ring_start) {
		r = dev->ops->ring_start(dev, idx, dev->ops_arg);
		if (r < 0)
			return vu_dev_fail(dev, "ring %u: the datapath cannot start it: %s", idx,
					   strerror(-r));
	}
	return 0;
}

/**
 * ring_stop() - stop a started ring; its next avail index goes to ring->base
 * @dev: device
 * @ring: ring
 *
 * The datapath's ring_stop waits for in-flight I/O first, so nothing
 * touches the ring's buffers after this returns.
 */
static void ring_stop(struct vu_dev *dev, struct vu_ring *ring)
{
	if (!ring->started)
		return;
	if (dev->ops && dev->ops->ring_stop)
		dev->ops->ring_stop(dev, ring_idx(dev, ring), dev->ops_arg);
	ring->base = virtq_stop(&ring->vq);
	ring->started = false;
	ring_log_state(dev, ring, "stopped");
}

static void ring_drop_kick(struct vu_ring *ring)
{
	if (ring->kick_ev) {
		event_free(ring->kick_ev);
		ring->kick_ev = NULL;
	}
	close_fd(&ring->kick_fd);
}

/**
 * ring_release() - stop a ring and return it to its initial state
 * @dev: device
 * @ring: ring
 */
static void ring_release(struct vu_dev *dev, struct vu_ring *ring)
{
	ring_stop(dev, ring);
	ring_drop_kick(ring);
	close_fd(&ring->call_fd);
	close_fd(&ring->err_fd);
	memset(ring, 0, sizeof(*ring));
	ring->dev = dev;
	ring->kick_fd = ring->call_fd = ring->err_fd = -1;
}

static void ring_set_enabled(struct vu_dev *dev, struct vu_ring *ring, bool on)
{
	if (ring->enabled == on)
		return;
	ring->enabled = on;
	ring_log_state(dev, ring, on ? "enabled" : "disabled");
	if (dev->ops && dev->ops->ring_enable)
		dev->ops->ring_enable(dev, ring_idx(dev, ring), on, dev->ops_arg);
}

/**
 * ring_on_kick() - the guest kicked: start the ring if needed, pass it on
 * @fd: the kick eventfd (non-blocking)
 * @what: EV_READ
 * @arg: the ring
 */
static void ring_on_kick(evutil_socket_t fd, short what, void *arg)
{
	struct vu_ring *ring = arg;
	struct vu_dev *dev = ring->dev;
	unsigned int idx = ring_idx(dev, ring);
	uint64_t count;

	(void)what;
	if (read(fd, &count, sizeof(count)) < 0 && errno != EAGAIN && errno != EINTR)
		log_debug("ring %u: kick fd %d: read: %s", idx, (int)fd, strerror(errno));
	if (dev->broken)
		return;
	VURING_PROBE(kick, idx);
	ring->kicks++;
	if (!ring->kicked) {
		ring->kicked = true;
		log_debug("ring %u: first kick", idx);
	}
	if (!ring->started && (ring_try_start(dev, ring) < 0 || !ring->started))
		return;
	if (dev->ops && dev->ops->ring_kick)
		dev->ops->ring_kick(dev, idx, dev->ops_arg);
}

/**
 * vu_dev_new() - a device with nothing negotiated yet
 * @base: event loop (kick fds are watched there)
 * @conf: settings; must outlive the device
 * @out: the device
 *
 * Return: 0, or -ENOMEM.
 */
int vu_dev_new(struct event_base *base, const struct conf *conf, struct vu_dev **out)
{
	struct vu_dev *dev = calloc(1, sizeof(*dev));
	unsigned int i;

	if (!dev)
		return -ENOMEM;
	dev->base = base;
	dev->conf = conf;
	dev->features_offered = vu_features_offered(conf);
	dev->protocol_offered = vu_protocol_features_offered(conf);
	dev->nrings = 2 * (conf->queue_pairs ? conf->queue_pairs : 1);
	if (dev->nrings > VU_MAX_RINGS)
		dev->nrings = VU_MAX_RINGS;
	dev->log_call_fd = -1;
	guest_mem_init(&dev->mem);
	for (i = 0; i < VU_MAX_RINGS; i++) {
		dev->rings[i].dev = dev;
		dev->rings[i].kick_fd = dev->rings[i].call_fd = dev->rings[i].err_fd = -1;
	}
	*out = dev;
	return 0;
}

/**
 * vu_dev_reset() - forget everything a front-end set up (it disconnected)
 * @dev: device
 *
 * Rings stop (the datapath drains their I/O first), every fd closes, the
 * memory and the dirty log are unmapped. Counters and ops stay.
 */
void vu_dev_reset(struct vu_dev *dev)
{
	unsigned int i;

	for (i = 0; i < VU_MAX_RINGS; i++)
		ring_release(dev, &dev->rings[i]);
	if (dev->ops && dev->ops->mem_changed && dev->mem.nregions)
		dev->ops->mem_changed(dev, dev->ops_arg);
	guest_mem_clear(&dev->mem);
	guest_mem_log_clear(&dev->mem);
	guest_mem_log_set_kick(&dev->mem, -1);
	device_state_reset(dev);
	close_fd(&dev->log_call_fd);
	dev->features = 0;
	dev->protocol_features = 0;
	dev->features_set = false;
	dev->owner = false;
	dev->status = 0;
	dev->mtu = 0;
	dev->rarp_pending = false;
	memset(dev->rarp_mac, 0, sizeof(dev->rarp_mac));
	dev->broken = false;
}

/**
 * vu_dev_free() - reset, log the counters, free
 * @dev: device, may be NULL
 */
void vu_dev_free(struct vu_dev *dev)
{
	const struct vu_counters *c;

	if (!dev)
		return;
	vu_dev_reset(dev);
	c = &dev->stats;
	log_info("vhost-user: %llu front-ends served, %llu turned away, %llu messages, %llu NACKs, %llu broken",
		 (unsigned long long)c->connections, (unsigned long long)c->refused,
		 (unsigned long long)c->messages, (unsigned long long)c->nacks,
		 (unsigned long long)c->broken);
	free(dev);
}

/**
 * vu_dev_changed() - the device's state changed: tell whoever keeps a copy
 * @dev: device
 *
 * Called after every front-end message and whenever a ring starts, so the
 * fd store (fdstore.c) always holds what a restarted vuring needs.
 */
void vu_dev_changed(struct vu_dev *dev)
{
	if (dev->on_change)
		dev->on_change(dev, dev->on_change_arg);
}

/**
 * vu_dev_set_ops() - let the datapath follow the device
 * @dev: device
 * @ops: callbacks (kept, not copied), or NULL
 * @arg: passed to each callback
 */
void vu_dev_set_ops(struct vu_dev *dev, const struct vu_dev_ops *ops, void *arg)
{
	dev->ops = ops;
	dev->ops_arg = arg;
}

/**
 * vu_dev_set_features() - SET_FEATURES
 * @dev: device
 * @features: the bits the front-end acks; must be a subset of our offer
 *
 * Without VHOST_USER_F_PROTOCOL_FEATURES there is no SET_VRING_ENABLE, and
 * the spec has every ring enabled from here on. LOG_ALL may flip while rings
 * run (migration): started rings follow at once.
 *
 * Return: 0 or -EPROTO.
 */
int vu_dev_set_features(struct vu_dev *dev, uint64_t features)
{
	bool changed = features != dev->features;
	unsigned int i;

	if (features & ~dev->features_offered)
		return vu_dev_fail(dev, "SET_FEATURES acks %#llx, which we never offered",
				   (unsigned long long)(features & ~dev->features_offered));
	if ((features ^ dev->features) & (1ull << VHOST_F_LOG_ALL))
		log_info("dirty logging %s", vu_has_feature(features, VHOST_F_LOG_ALL) ? "on" : "off");
	dev->features = features;
	dev->features_set = true;
	log_debug("features acked: %#llx", (unsigned long long)features);
	for (i = 0; i < dev->nrings; i++) {
		struct vu_ring *ring = &dev->rings[i];

		if (!vu_has_feature(features, VHOST_USER_F_PROTOCOL_FEATURES))
			ring_set_enabled(dev, ring, true);
		if (ring->started)
			virtq_set_log(&ring->vq, ring_log_flags(dev, ring),
				      ring->addr.log_guest_addr);
	}
	if (changed && dev->ops && dev->ops->features_changed)
		dev->ops->features_changed(dev, dev->ops_arg);
	return 0;
}

/**
 * vu_dev_set_protocol_features() - SET_PROTOCOL_FEATURES
 * @dev: device
 * @features: must be a subset of our offer
 *
 * Return: 0 or -EPROTO.
 */
int vu_dev_set_protocol_features(struct vu_dev *dev, uint64_t features)
{
	if (features & ~dev->protocol_offered)
		return vu_dev_fail(dev, "SET_PROTOCOL_FEATURES acks %#llx, which we never offered",
				   (unsigned long long)(features & ~dev->protocol_offered));
	dev->protocol_features = features;
	log_debug("protocol features acked: %#llx", (unsigned long long)features);
	return 0;
}

/**
 * vu_dev_set_owner() - SET_OWNER: the session starts
 * @dev: device
 *
 * QEMU sends it once per connection; a repeat changes nothing, so it is
 * accepted quietly rather than counted as a violation.
 *
 * Return: 0.
 */
int vu_dev_set_owner(struct vu_dev *dev)
{
	if (dev->owner)
		log_debug("SET_OWNER again; nothing to do");
	dev->owner = true;
	return 0;
}

/**
 * vu_dev_reset_owner() - RESET_OWNER (deprecated): disable every ring
 * @dev: device
 *
 * The spec allows ignoring it or disabling all rings; some back-ends read
 * it as "forget the session", which the spec calls a source of bugs.
 *
 * Return: 0.
 */
int vu_dev_reset_owner(struct vu_dev *dev)
{
	unsigned int i;

	log_info("RESET_OWNER: disabling all rings");
	for (i = 0; i < dev->nrings; i++)
		ring_set_enabled(dev, &dev->rings[i], false);
	return 0;
}

/**
 * vu_dev_reset_device() - RESET_DEVICE: rings and status back to initial
 * @dev: device
 *
 * Ownership, the negotiated features and the memory table stay: they
 * belong to the connection, and the front-end re-sends whatever it changes.
 *
 * Return: 0.
 */
int vu_dev_reset_device(struct vu_dev *dev)
{
	unsigned int i;

	log_info("RESET_DEVICE: stopping and resetting all rings");
	for (i = 0; i < dev->nrings; i++)
		ring_release(dev, &dev->rings[i]);
	dev->status = 0;
	return 0;
}

/**
 * mem_change_begin() - stop the running rings before memory changes
 * @dev: device
 *
 * A ring's host pointers and the datapath's in-flight I/O point into the
 * old mappings: stop (drain) first. Stopped rings keep their kick, so
 * mem_change_end() restarts them where they left off.
 */
static void mem_change_begin(struct vu_dev *dev)
{
	unsigned int i;

	for (i = 0; i < dev->nrings; i++)
		ring_stop(dev, &dev->rings[i]);
	if (dev->ops && dev->ops->mem_changed)
		dev->ops->mem_changed(dev, dev->ops_arg);
}

/* Restart the kicked rings against the new table. */
static int mem_change_end(struct vu_dev *dev)
{
	unsigned int i;
	int r;

	for (i = 0; i < dev->nrings; i++) {
		r = ring_try_start(dev, &dev->rings[i]);
		if (r < 0)
			return r;
	}
	return 0;
}

static void region_to_desc(const struct vhost_user_mem_region *r, struct guest_region_desc *d)
{
	d->gpa = r->guest_phys_addr;
	d->size = r->memory_size;
	d->uva = r->userspace_addr;
	d->mmap_offset = r->mmap_offset;
}

/**
 * vu_dev_set_mem_table() - SET_MEM_TABLE: replace the whole table
 * @dev: device
 * @regions: the regions
 * @n: how many (1..VHOST_USER_MEM_TABLE_REGIONS)
 * @fds: one per region; not taken (the caller closes them)
 *
 * The new table is mapped completely before the old one goes, so a refused
 * region leaves nothing half-replaced, and rings never see a mix.
 *
 * Return: 0, -ENOMEM, or -EPROTO.
 */
int vu_dev_set_mem_table(struct vu_dev *dev, const struct vhost_user_mem_region *regions,
			 unsigned int n, const int *fds)
{
	struct guest_mem *fresh;
	struct guest_region_desc d;
	unsigned int i;
	int r;

	if (n == 0 || n > VHOST_USER_MEM_TABLE_REGIONS)
		return vu_dev_fail(dev, "SET_MEM_TABLE with %u regions (1..%u allowed)", n,
				   VHOST_USER_MEM_TABLE_REGIONS);
	fresh = malloc(sizeof(*fresh));
	if (!fresh)
		return vu_dev_fail(dev, "SET_MEM_TABLE: out of memory");
	guest_mem_init(fresh);
	for (i = 0; i < n; i++) {
		region_to_desc(&regions[i], &d);
		r = guest_mem_add(fresh, &d, fds[i]);
		if (r < 0) {
			guest_mem_clear(fresh);
			free(fresh);
			return vu_dev_fail(dev, "SET_MEM_TABLE: region %u refused: %s", i,
					   strerror(-r));
		}
	}
	mem_change_begin(dev);
	guest_mem_clear(&dev->mem);
	memcpy(dev->mem.regions, fresh->regions, n * sizeof(fresh->regions[0]));
	dev->mem.nregions = fresh->nregions;
	free(fresh);
	log_debug("memory table: %u regions", n);
	return mem_change_end(dev);
}

/**
 * vu_dev_add_mem_reg() - ADD_MEM_REG: map one more region
 * @dev: device
 * @r: the region
 * @fd: its file; not taken
 *
 * Nothing is unmapped, so running rings carry on.
 *
 * Return: 0 or -EPROTO.
 */
int vu_dev_add_mem_reg(struct vu_dev *dev, const struct vhost_user_mem_region *r, int fd)
{
	struct guest_region_desc d;
	unsigned int i;
	int ret;

	region_to_desc(r, &d);
	ret = guest_mem_add(&dev->mem, &d, fd);
	if (ret < 0)
		return vu_dev_fail(dev, "ADD_MEM_REG: region gpa %#llx size %#llx refused: %s",
				   (unsigned long long)d.gpa, (unsigned long long)d.size,
				   strerror(-ret));
	for (i = 0; i < dev->nrings; i++) {
		ret = ring_try_start(dev, &dev->rings[i]);
		if (ret < 0)
			return ret;
	}
	return 0;
}

/**
 * vu_dev_rem_mem_reg() - REM_MEM_REG: unmap one region
 * @dev: device
 * @r: matched on guest address, user address and size
 *
 * Running rings are stopped (their I/O drained) before the region is
 * unmapped, and restart once it is gone if their areas are still mapped.
 *
 * Return: 0 or -EPROTO (no such region, or other memory remains but no
 * longer holds a running ring).
 */
int vu_dev_rem_mem_reg(struct vu_dev *dev, const struct vhost_user_mem_region *r)
{
	const struct guest_region *g = NULL;
	struct guest_region_desc d;
	unsigned int i;
	int ret;

	region_to_desc(r, &d);
	for (i = 0; i < dev->mem.nregions && !g; i++)
		if (dev->mem.regions[i].gpa == d.gpa && dev->mem.regions[i].size == d.size &&
		    dev->mem.regions[i].uva == d.uva)
			g = &dev->mem.regions[i];
	if (!g)
		return vu_dev_fail(dev, "REM_MEM_REG: no region gpa %#llx size %#llx uva %#llx",
				   (unsigned long long)d.gpa, (unsigned long long)d.size,
				   (unsigned long long)d.uva);
	/* QEMU adds and removes a region once per queue pair: only the last unmaps. */
	if (g->refs > 1)
		return guest_mem_remove(&dev->mem, &d);
	mem_change_begin(dev);
	ret = guest_mem_remove(&dev->mem, &d);
	if (ret < 0)
		return vu_dev_fail(dev, "REM_MEM_REG: cannot remove the region: %s", strerror(-ret));
	return mem_change_end(dev);
}

/**
 * vu_dev_set_log_base() - SET_LOG_BASE (LOG_SHMFD): map the dirty log
 * @dev: device
 * @log: size and offset in @fd
 * @fd: the log's file; not taken
 *
 * Return: 0 or -EPROTO.
 */
int vu_dev_set_log_base(struct vu_dev *dev, const struct vhost_user_log *log, int fd)
{
	int r = guest_mem_log_set(&dev->mem, fd, log->mmap_size, log->mmap_offset);

	if (r < 0)
		return vu_dev_fail(dev, "SET_LOG_BASE: log of %#llx bytes at offset %#llx refused: %s",
				   (unsigned long long)log->mmap_size,
				   (unsigned long long)log->mmap_offset, strerror(-r));
	log_info("dirty log: %#llx bytes mapped (the front-end migrates)",
		 (unsigned long long)log->mmap_size);
	return 0;
}

/**
 * take_eventfd() - accept @fd as an eventfd or fail the device
 * @dev: device
 * @fd: descriptor; closed on failure
 * @what: what it is for, for the log line
 *
 * Return: 0 or -EPROTO.
 */
static int take_eventfd(struct vu_dev *dev, int fd, const char *what)
{
	int r;

	if (!fd_is_eventfd(fd)) {
		close(fd);
		return vu_dev_fail(dev, "%s: fd is not an eventfd", what);
	}
	r = fd_set_nonblock(fd);
	if (r < 0) {
		close(fd);
		return vu_dev_fail(dev, "%s: cannot make the eventfd non-blocking: %s", what,
				   strerror(-r));
	}
	return 0;
}

/**
 * vu_dev_set_log_fd() - SET_LOG_FD: eventfd to tell the front-end the log changed
 * @dev: device
 * @fd: taken in every case
 *
 * Kicked whenever a page of the log turns dirty (see guest_mem.c).
 *
 * Return: 0 or -EPROTO.
 */
int vu_dev_set_log_fd(struct vu_dev *dev, int fd)
{
	int r = take_eventfd(dev, fd, "SET_LOG_FD");

	if (r < 0)
		return r;
	guest_mem_log_set_kick(&dev->mem, -1);
	close_fd(&dev->log_call_fd);
	dev->log_call_fd = fd;
	guest_mem_log_set_kick(&dev->mem, fd);
	return 0;
}

/**
 * vu_dev_set_vring_num() - SET_VRING_NUM
 * @dev: device
 * @idx: ring
 * @num: size: a power of two up to VIRTQ_MAX_SIZE (split rings)
 *
 * Return: 0 or -EPROTO.
 */
int vu_dev_set_vring_num(struct vu_dev *dev, unsigned int idx, unsigned int num)
{
	struct vu_ring *ring;
	int r = check_ring_idx(dev, idx, "SET_VRING_NUM");

	if (r < 0)
		return r;
	ring = &dev->rings[idx];
	if (ring->started)
		return vu_dev_fail(dev, "SET_VRING_NUM: ring %u is running", idx);
	if (num == 0 || num > VIRTQ_MAX_SIZE || (num & (num - 1)))
		return vu_dev_fail(dev, "SET_VRING_NUM: ring %u size %u is not a power of two in 1..%u",
				   idx, num, VIRTQ_MAX_SIZE);
	ring->num = num;
	return ring_try_start(dev, ring);
}

static bool same_areas(const struct vhost_vring_addr *a, const struct vhost_vring_addr *b)
{
	return a->desc_user_addr == b->desc_user_addr &&
	       a->avail_user_addr == b->avail_user_addr &&
	       a->used_user_addr == b->used_user_addr;
}

/**
 * vu_dev_set_vring_addr() - SET_VRING_ADDR
 * @dev: device
 * @addr: index, flags and the areas' front-end virtual addresses
 *
 * Checked against memory now when size and memory are known (so a bad
 * address is reported by the message that carried it), and again when the
 * ring starts. On a running ring only the logging flag and address may
 * change (the spec's "on the fly" case, for migration).
 *
 * Return: 0 or -EPROTO.
 */
int vu_dev_set_vring_addr(struct vu_dev *dev, const struct vhost_vring_addr *addr)
{
	struct vu_ring *ring;
	int r = check_ring_idx(dev, addr->index, "SET_VRING_ADDR");

	if (r < 0)
		return r;
	ring = &dev->rings[addr->index];
	if (addr->flags & ~(1u << VHOST_VRING_F_LOG))
		return vu_dev_fail(dev, "SET_VRING_ADDR: ring %u: unknown flags %#x", addr->index,
				   addr->flags);
	if (ring->started) {
		if (!same_areas(addr, &ring->addr))
			return vu_dev_fail(dev, "SET_VRING_ADDR: ring %u moved while running",
					   addr->index);
		ring->addr = *addr;
		virtq_set_log(&ring->vq, ring_log_flags(dev, ring), addr->log_guest_addr);
		ring_log_state(dev, ring, "logging changed");
		return 0;
	}
	ring->addr = *addr;
	ring->addr_set = true;
	if (ring->num && dev->mem.nregions) {
		r = ring_translate(dev, ring);
		if (r < 0)
			return r;
	}
	return ring_try_start(dev, ring);
}

/**
 * vu_dev_set_vring_base() - SET_VRING_BASE: where popping will start
 * @dev: device
 * @idx: ring
 * @base: next avail index; split rings use 16 bits (we offer no packed)
 *
 * Return: 0 or -EPROTO.
 */
int vu_dev_set_vring_base(struct vu_dev *dev, unsigned int idx, unsigned int base)
{
	int r = check_ring_idx(dev, idx, "SET_VRING_BASE");

	if (r < 0)
		return r;
	if (dev->rings[idx].started)
		return vu_dev_fail(dev, "SET_VRING_BASE: ring %u is running", idx);
	if (base > UINT16_MAX)
		return vu_dev_fail(dev, "SET_VRING_BASE: ring %u base %#x does not fit a split ring",
				   idx, base);
	dev->rings[idx].base = (uint16_t)base;
	return 0;
}

/**
 * vu_dev_get_vring_base() - GET_VRING_BASE: stop the ring, report where
 * @dev: device
 * @idx: ring
 * @base: out: the next avail index we would have processed
 *
 * The ring's kick and call fds go too (as libvhost-user and DPDK do): the
 * front-end sends fresh ones before it starts the ring again, and a stale
 * kick must not restart it meanwhile.
 *
 * Return: 0 or -EPROTO.
 */
int vu_dev_get_vring_base(struct vu_dev *dev, unsigned int idx, uint32_t *base)
{
	struct vu_ring *ring;
	int r = check_ring_idx(dev, idx, "GET_VRING_BASE");

	if (r < 0)
		return r;
	ring = &dev->rings[idx];
	ring_stop(dev, ring);
	ring->kicked = false;
	ring_drop_kick(ring);
	close_fd(&ring->call_fd);
	*base = ring->base;
	log_debug("ring %u: GET_VRING_BASE -> %u", idx, ring->base);
	return 0;
}

/**
 * set_kick() - install a new kick eventfd and watch it
 * @dev: device
 * @ring: ring
 * @fd: the eventfd, already checked
 *
 * Return: 0 or -EPROTO.
 */
static int set_kick(struct vu_dev *dev, struct vu_ring *ring, int fd)
{
	ring_drop_kick(ring);
	ring->kick_fd = fd;
	ring->kick_ev = event_new(dev->base, fd, EV_READ | EV_PERSIST, ring_on_kick, ring);
	if (!ring->kick_ev || event_add(ring->kick_ev, NULL) < 0)
		return vu_dev_fail(dev, "ring %u: cannot watch the kick fd", ring_idx(dev, ring));
	return 0;
}

/**
 * vu_dev_set_vring_fd() - SET_VRING_KICK / SET_VRING_CALL / SET_VRING_ERR
 * @dev: device
 * @which: which of the three
 * @idx: ring
 * @fd: an eventfd, or -1 for the spec's "no fd" flag; taken in every case
 *
 * Without a call or err fd the guest simply gets no such notifications.
 * Without a kick fd the spec asks the back-end to poll the ring, which we
 * do not do: refused.
 *
 * Return: 0 or -EPROTO.
 */
int vu_dev_set_vring_fd(struct vu_dev *dev, enum vu_ring_fd which, unsigned int idx, int fd)
{
	static const char *const names[] = {
		[VU_RING_KICK] = "SET_VRING_KICK",
		[VU_RING_CALL] = "SET_VRING_CALL",
		[VU_RING_ERR] = "SET_VRING_ERR",
	};
	struct vu_ring *ring;
	int r = check_ring_idx(dev, idx, names[which]);

	if (r < 0) {
		if (fd >= 0)
			close(fd);
		return r;
	}
	ring = &dev->rings[idx];
	if (fd < 0 && which == VU_RING_KICK)
		return vu_dev_fail(dev, "SET_VRING_KICK: ring %u: no kick fd (polling) is not supported",
				   idx);
	if (fd >= 0) {
		r = take_eventfd(dev, fd, names[which]);
		if (r < 0)
			return r;
	}
	switch (which) {
	case VU_RING_KICK:
		r = set_kick(dev, ring, fd);
		break;
	case VU_RING_CALL:
		close_fd(&ring->call_fd);
		ring->call_fd = fd;
		break;
	case VU_RING_ERR:
		close_fd(&ring->err_fd);
		ring->err_fd = fd;
		break;
	}
	ring_log_state(dev, ring, ring_fd_names[which]);
	return r;
}

/**
 * vu_dev_set_vring_enable() - SET_VRING_ENABLE
 * @dev: device
 * @idx: ring
 * @enable: 0 or 1
 *
 * QEMU sends it whenever we offer VHOST_USER_F_PROTOCOL_FEATURES, even
 * before SET_FEATURES, so it is not tied to the acked bits.
 *
 * Return: 0 or -EPROTO.
 */
int vu_dev_set_vring_enable(struct vu_dev *dev, unsigned int idx, unsigned int enable)
{
	int r = check_ring_idx(dev, idx, "SET_VRING_ENABLE");

	if (r < 0)
		return r;
	if (enable > 1)
		return vu_dev_fail(dev, "SET_VRING_ENABLE: ring %u: value %u is neither 0 nor 1",
				   idx, enable);
	ring_set_enabled(dev, &dev->rings[idx], enable);
	return 0;
}

/**
 * vu_dev_set_mtu() - NET_SET_MTU: the MTU the guest is told
 * @dev: device
 * @mtu: bytes
 *
 * Valid only with VIRTIO_NET_F_MTU acked (we offer it when an MTU is
 * configured) and not above the configured one, which the host side of
 * the datapath carries.
 *
 * Return: 0, or VU_REFUSED (the spec wants a non-zero REPLY_ACK).
 */
int vu_dev_set_mtu(struct vu_dev *dev, uint64_t mtu)
{
	if (!vu_dev_has_feature(dev, VIRTIO_NET_F_MTU) || mtu < VU_MTU_MIN || mtu > VU_MTU_MAX ||
	    (dev->conf->mtu && mtu > dev->conf->mtu)) {
		log_warn("NET_SET_MTU %llu refused (MTU feature %s, configured MTU %u)",
			 (unsigned long long)mtu,
			 vu_dev_has_feature(dev, VIRTIO_NET_F_MTU) ? "acked" : "not acked",
			 dev->conf->mtu);
		return VU_REFUSED;
	}
	dev->mtu = (uint16_t)mtu;
	log_info("guest MTU set to %u", dev->mtu);
	return 0;
}

/**
 * vu_dev_send_rarp() - SEND_RARP: the guest moved here; announce its MAC
 * @dev: device
 * @mac: the guest's MAC
 *
 * Return: 0.
 */
int vu_dev_send_rarp(struct vu_dev *dev, const uint8_t mac[6])
{
	memcpy(dev->rarp_mac, mac, sizeof(dev->rarp_mac));
	dev->rarp_pending = true;
	log_info("SEND_RARP for %02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3],
		 mac[4], mac[5]);
	if (dev->ops && dev->ops->send_rarp)
		dev->ops->send_rarp(dev, dev->rarp_mac, dev->ops_arg);
	return 0;
}

/**
 * vu_dev_set_status() - SET_STATUS: the virtio device status byte
 * @dev: device
 * @status: VIRTIO_CONFIG_S_* bits
 *
 * Recorded and reported back by GET_STATUS. The rings follow their own
 * messages (QEMU 7.2 sends status 0 before it stops them with
 * GET_VRING_BASE, which must still report a meaningful index).
 *
 * Return: 0 or -EPROTO.
 */
int vu_dev_set_status(struct vu_dev *dev, uint64_t status)
{
	if (status > UINT8_MAX)
		return vu_dev_fail(dev, "SET_STATUS %#llx does not fit the status byte",
				   (unsigned long long)status);
	dev->status = (uint8_t)status;
	log_debug("device status %#x", dev->status);
	return 0;
}
