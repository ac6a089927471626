// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ctl_report.c - what "stats" and "status" answer on the control socket.
 *
 * Field names are part of vuringctl's interface and documented in
 * vuring(8); add fields freely, rename none. Counters are as of this loop
 * iteration (the loop thread owns them and runs this code), and count from
 * the daemon's start: a reconnecting front-end does not reset them.
 */
#include "config.h"

#include <endian.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include <linux/virtio_ring.h>

#include "conf.h"
#include "ctl.h"
#include "ctl_report.h"
#include "feature_names.h"
#include "json_out.h"
#include "log.h"
#include "net.h"
#include "uring.h"
#include "vu_dev.h"

static uint64_t monotonic_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* The answer's common head: "ok", and a clock for rates between answers. */
static void report_head(struct json *j)
{
	json_kv_bool(j, "ok", true);
	json_kv_u64(j, "monotonic_ns", monotonic_ns());
}

static void report_device_counters(struct json *j, const struct vu_counters *c)
{
	json_key(j, "device");
	json_obj_begin(j);
	json_kv_u64(j, "connections", c->connections);
	json_kv_u64(j, "refused", c->refused);
	json_kv_u64(j, "messages", c->messages);
	json_kv_u64(j, "nacks", c->nacks);
	json_kv_u64(j, "broken", c->broken);
	json_obj_end(j);
}

static void report_uring(struct json *j, const struct uring_stats *u)
{
	json_key(j, "uring");
	json_obj_begin(j);
	json_kv_u64(j, "submits", u->submits);
	json_kv_u64(j, "sqes", u->sqes);
	json_kv_u64(j, "cqes", u->cqes);
	json_kv_u64(j, "wakeups", u->wakeups);
	json_kv_u64(j, "sq_full", u->sq_full);
	json_obj_end(j);
}

static void report_drops(struct json *j, const struct net_stats *st)
{
	uint64_t total = 0;

	json_key(j, "drops");
	json_obj_begin(j);
	for (unsigned int d = 0; d < NET_DROP_MAX; d++) {
		json_kv_u64(j, net_drop_name((enum net_drop)d), st->drops[d]);
		total += st->drops[d];
	}
	json_obj_end(j);
	json_kv_u64(j, "dropped", total);
}

static void report_queue(struct json *j, const struct net_queue *q)
{
	const struct net_stats *st = &q->stats;
	char name[16];

	snprintf(name, sizeof(name), "%s%u", q->tx ? "tx" : "rx", q->qp);
	json_obj_begin(j);
	json_kv_u64(j, "index", q->index);
	json_kv_str(j, "name", name);
	json_kv_str(j, "direction", q->tx ? "tx" : "rx");
	json_kv_u64(j, "pair", q->qp);
	json_kv_bool(j, "started", q->started);
	json_kv_bool(j, "enabled", q->enabled);
	json_kv_u64(j, "packets", st->packets);
	json_kv_u64(j, "bytes", st->bytes);
	json_kv_u64(j, "kicks", st->kicks);
	json_kv_u64(j, "calls", st->calls);
	json_kv_u64(j, "batches", st->batches);
	json_kv_u64(j, "batched", st->batched);
	json_kv_double(j, "avg_batch",
		       st->batches ? (double)st->batched / (double)st->batches : 0.0);
	json_kv_u64(j, "retries", st->retries);
	json_kv_u64(j, "uring_ops", st->uring_ops);
	json_kv_u64(j, "uring_cqes", st->uring_cqes);
	json_kv_u64(j, "uring_errors", st->uring_errors);
	report_drops(j, st);
	json_obj_end(j);
}

/**
 * ctl_report_stats() - the "stats" answer
 * @j: writer
 * @src: the daemon's state
 *
 * Without a datapath (no interface configured) "datapath" is false and
 * "queues" is empty; the device counters are there either way.
 */
void ctl_report_stats(struct json *j, const struct ctl_sources *src)
{
	const struct net_dev *net = src->net;

	json_obj_begin(j);
	report_head(j);
	report_device_counters(j, &src->vdev->stats);
	json_kv_bool(j, "datapath", net != NULL);
	if (net)
		report_uring(j, uring_get_stats(net->uring));
	json_key(j, "queues");
	json_arr_begin(j);
	for (unsigned int i = 0; net && i < net->nqueues; i++)
		report_queue(j, net_dev_queue(net, i));
	json_arr_end(j);
	json_obj_end(j);
}

/**
 * report_features() - a feature mask as hex and as the names of its bits
 * @j: writer
 * @key: member name
 * @offered: what we offer
 * @acked: what the front-end acked
 * @name_of: bit -> name (NULL for unnamed bits, written "bit-N")
 */
static void report_features(struct json *j, const char *key, uint64_t offered,
			    uint64_t acked, const char *(*name_of)(unsigned int))
{
	json_key(j, key);
	json_obj_begin(j);
	json_kv_hex(j, "offered", offered);
	json_kv_hex(j, "acked", acked);
	json_key(j, "names");
	json_arr_begin(j);
	for (unsigned int bit = 0; bit < 64; bit++) {
		const char *name = name_of(bit);
		char tmp[16];

		if (!(acked & (1ULL << bit)))
			continue;
		if (!name) {
			snprintf(tmp, sizeof(tmp), "bit-%u", bit);
			name = tmp;
		}
		json_str(j, name);
	}
	json_arr_end(j);
	json_obj_end(j);
}

static const char *conn_state(const struct vu_dev *dev)
{
	if (!dev->connected)
		return "waiting";
	return dev->broken ? "broken" : "connected";
}

static void report_vhost_user(struct json *j, const struct ctl_sources *src)
{
	const struct vu_dev *dev = src->vdev;
	const struct conf *conf = src->conf;

	json_key(j, "vhost_user");
	json_obj_begin(j);
	json_kv_str(j, "mode", conf->socket_mode == CONF_SOCKET_CLIENT ? "client" : "server");
	json_kv_str(j, "socket", conf->socket_path);
	json_kv_str(j, "state", conn_state(dev));
	json_kv_bool(j, "owner", dev->owner);
	json_kv_u64(j, "device_status", dev->status);
	json_kv_u64(j, "mtu", dev->mtu);
	report_features(j, "features", dev->features_offered, dev->features,
			virtio_feature_name);
	report_features(j, "protocol_features", dev->protocol_offered,
			dev->protocol_features, vhost_user_protocol_feature_name);
	json_obj_end(j);
}

static void report_memory(struct json *j, const struct guest_mem *mem)
{
	uint64_t total = 0;

	json_key(j, "memory");
	json_obj_begin(j);
	json_key(j, "regions");
	json_arr_begin(j);
	for (unsigned int i = 0; i < mem->nregions; i++) {
		const struct guest_region *r = &mem->regions[i];

		json_obj_begin(j);
		json_kv_hex(j, "gpa", r->gpa);
		json_kv_u64(j, "size", r->size);
		json_kv_hex(j, "uva", r->uva);
		json_kv_hex(j, "mmap_offset", r->mmap_offset);
		json_obj_end(j);
		total += r->size;
	}
	json_arr_end(j);
	json_kv_u64(j, "total_bytes", total);
	json_kv_bool(j, "dirty_log", mem->log.bits != NULL);
	json_obj_end(j);
}

/*
 * The ring's indexes as they stand in guest memory: avail->idx is the
 * guest's (read once, whatever it holds), used->idx ours. Only while the
 * ring runs are its areas mapped and translated.
 */
static void report_ring_indexes(struct json *j, const struct vu_ring *ring)
{
	const volatile struct vring_avail *avail = ring->avail;
	const volatile struct vring_used *used = ring->used;

	json_kv_u64(j, "avail_idx", le16toh(avail->idx));
	json_kv_u64(j, "used_idx", le16toh(used->idx));
	json_kv_u64(j, "inflight", virtq_inflight_count(&ring->vq));
}

static void report_ring(struct json *j, const struct vu_dev *dev, unsigned int idx)
{
	const struct vu_ring *ring = &dev->rings[idx];
	const char *broken = ring->started ? virtq_broken(&ring->vq) : NULL;
	char name[16];

	snprintf(name, sizeof(name), "%s%u", idx & 1 ? "tx" : "rx", idx / 2);
	json_obj_begin(j);
	json_kv_u64(j, "index", idx);
	json_kv_str(j, "name", name);
	json_kv_u64(j, "num", ring->num);
	json_kv_str(j, "state", ring->started ? "started" : "stopped");
	json_kv_bool(j, "enabled", ring->enabled);
	json_kv_bool(j, "kick_fd", ring->kick_fd >= 0);
	json_kv_bool(j, "call_fd", ring->call_fd >= 0);
	json_kv_u64(j, "kicks", ring->kicks);
	json_kv_u64(j, "base", ring->base);
	if (ring->started)
		report_ring_indexes(j, ring);
	json_kv_str(j, "broken", broken);
	json_obj_end(j);
}

static void report_names(struct json *j, const char *key, uint64_t bits)
{
	json_key(j, key);
	json_arr_begin(j);
	for (unsigned int bit = 0; bit < 64; bit++)
		if ((bits & (1ULL << bit)) && virtio_feature_name(bit))
			json_str(j, virtio_feature_name(bit));
	json_arr_end(j);
}

static void report_backend(struct json *j, const struct ctl_sources *src)
{
	const struct net_dev *net = src->net;
	const struct conf *conf = src->conf;

	json_key(j, "backend");
	if (!net) {
		json_null(j);
		return;
	}
	json_obj_begin(j);
	json_kv_str(j, "type", net->be->ops->name);
	json_kv_str(j, "interface", conf->ifname);
	json_kv_u64(j, "queue_pairs", net_dev_queue_pairs(net));
	json_kv_u64(j, "vnet_hdr_len", net->vnet_hdr_len);
	report_names(j, "offloads_available", backend_offloads(net->be) & BACKEND_OFFLOAD_MASK);
	report_names(j, "offloads_active", net->features & BACKEND_OFFLOAD_MASK);
	json_kv_u64(j, "batch_size", conf->batch_size);
	json_kv_u64(j, "budget", conf->budget);
	json_kv_u64(j, "coalesce_usecs", conf->coalesce_usecs);
	json_kv_u64(j, "coalesce_frames", conf->coalesce_frames);
	json_obj_end(j);
}

/**
 * ctl_report_status() - the "status" answer
 * @j: writer
 * @src: the daemon's state
 */
void ctl_report_status(struct json *j, const struct ctl_sources *src)
{
	const struct vu_dev *dev = src->vdev;

	json_obj_begin(j);
	report_head(j);
	json_kv_str(j, "version", PACKAGE_VERSION);
	json_kv_u64(j, "pid", (uint64_t)getpid());
	json_kv_str(j, "log_level", log_level_name(log_get_level()));
	report_vhost_user(j, src);
	report_memory(j, &dev->mem);
	json_key(j, "rings");
	json_arr_begin(j);
	for (unsigned int i = 0; i < dev->nrings; i++)
		report_ring(j, dev, i);
	json_arr_end(j);
	report_backend(j, src);
	json_obj_end(j);
}
