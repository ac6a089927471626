// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test_virtq.c - the split virtqueue against an in-process fake guest.
 *
 * Each test builds a ring in memfd-backed guest memory (three regions, two
 * of them adjacent, then a gap), adds chains the way a driver does (or
 * crafts broken ones by hand), and checks what the device side pops,
 * publishes and decides about notifications.
 */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fake_driver.h"
#include "log.h"
#include "tap.h"
#include "virtq.h"

#define BATCH 16
#define IOVCAP 16

static struct fake_guest g;
static struct fake_ring r;
static struct virtq vq;
static struct iovec iovs[BATCH][IOVCAP];
static struct virtq_elem el[BATCH];

/* Data buffers: a few in region 0, one crossing into region 1. */
#define BUF(k)		(FG_R0 + 0x1000ull * (k))
#define CROSS		(FG_R1 - 0x80)

static void setup_full(unsigned int num, bool event_idx, uint16_t start, uint32_t flags,
		       enum virtq_dir dir)
{
	struct virtq_config cfg;
	unsigned int i;

	if (fake_guest_init(&g)) {
		perror("fake guest");
		exit(1);
	}
	fake_ring_init(&r, &g, num, event_idx, start);
	fake_ring_config(&r, &cfg);
	cfg.flags = flags | (event_idx ? VIRTQ_F_EVENT_IDX : 0);
	cfg.dir = dir;
	if (virtq_init(&vq, &g.mem, &cfg)) {
		fprintf(stderr, "virtq_init failed\n");
		exit(1);
	}
	for (i = 0; i < BATCH; i++) {
		el[i].iov = iovs[i];
		el[i].iov_cap = IOVCAP;
	}
}

static void setup(unsigned int num, bool event_idx, uint16_t start)
{
	setup_full(num, event_idx, start, VIRTQ_F_INDIRECT, VIRTQ_DIR_ANY);
}

static void teardown(void)
{
	virtq_stop(&vq);
	fake_guest_fini(&g);
}

/* Every iovec inside one of the device's mappings: nothing out of bounds. */
static bool iov_in_regions(const struct virtq_elem *e)
{
	unsigned int i, j;

	for (i = 0; i < e->out_num + e->in_num; i++) {
		const uint8_t *b = e->iov[i].iov_base;
		bool found = false;

		for (j = 0; j < g.mem.nregions; j++) {
			const struct guest_region *reg = &g.mem.regions[j];

			if (b >= reg->host && e->iov[i].iov_len <= reg->size &&
			    (uint64_t)(b - reg->host) <= reg->size - e->iov[i].iov_len)
				found = true;
		}
		if (!found)
			return false;
	}
	return true;
}

static uint16_t used_idx(void)
{
	return le16toh(r.vr.used->idx);
}

static void test_init_params(void)
{
	struct virtq_config cfg;
	struct virtq q;

	fake_guest_init(&g);
	fake_ring_init(&r, &g, 8, false, 0);
	fake_ring_config(&r, &cfg);
	memset(&q, 0, sizeof(q));
	cfg.num = 0;
	is_int(virtq_init(&q, &g.mem, &cfg), -EINVAL, "init: size 0 refused");
	cfg.num = 6;
	is_int(virtq_init(&q, &g.mem, &cfg), -EINVAL, "init: size not a power of two refused");
	cfg.num = 65536;
	is_int(virtq_init(&q, &g.mem, &cfg), -EINVAL, "init: size 65536 refused");
	cfg.num = 8;
	cfg.desc = (uint8_t *)cfg.desc + 8;
	is_int(virtq_init(&q, &g.mem, &cfg), -EINVAL, "init: misaligned descriptor table refused");
	cfg.desc = (uint8_t *)cfg.desc - 8;
	cfg.used = (uint8_t *)cfg.used + 2;
	is_int(virtq_init(&q, &g.mem, &cfg), -EINVAL, "init: misaligned used ring refused");
	cfg.used = (uint8_t *)cfg.used - 2;
	cfg.layout = 7;
	is_int(virtq_init(&q, &g.mem, &cfg), -EINVAL, "init: unknown layout refused");
	cfg.layout = VIRTQ_SPLIT;
	is_int(virtq_init(&q, &g.mem, &cfg), 0, "init: good config accepted");
	ok(virtq_broken(&q) == NULL, "a fresh ring is healthy");
	virtq_stop(&q);
	fake_guest_fini(&g);
}

static void test_basic(void)
{
	struct fake_buf bufs[] = {
		{ BUF(1), 0x40, false },
		{ CROSS, 0x100, false },
		{ FG_R1 + 0x1000, 0x200, true },
	};
	uint8_t *a, *c;
	uint32_t id, len;
	int head;

	setup(8, false, 0);
	a = fake_gpa(&g, BUF(1));
	memset(a, 0x11, 0x40);
	memset(fake_gpa(&g, CROSS), 0x22, 0x80);
	memset(fake_gpa(&g, FG_R1), 0x33, 0x80);
	is_int(virtq_pop(&vq, &el[0]), 0, "empty ring pops nothing");
	head = fake_add(&r, bufs, 3);
	fake_publish(&r);
	ok(virtq_has_avail(&vq), "has_avail sees the chain");
	is_int(virtq_pop(&vq, &el[0]), 1, "pop one chain");
	is_int(el[0].id, head, "head id");
	is_int(el[0].out_num, 3, "readable part: 1 + 2 iovecs (split at the region boundary)");
	is_int(el[0].in_num, 1, "writable part: 1 iovec");
	is_int(el[0].out_len, 0x140, "readable length");
	is_int(el[0].in_len, 0x200, "writable length");
	is_int(el[0].ndescs, 3, "three descriptors");
	ok(el[0].iov[1].iov_len == 0x80 && el[0].iov[2].iov_len == 0x80, "split 0x80 + 0x80");
	ok(((uint8_t *)el[0].iov[0].iov_base)[0x3f] == 0x11 &&
	   ((uint8_t *)el[0].iov[1].iov_base)[0] == 0x22 &&
	   ((uint8_t *)el[0].iov[2].iov_base)[0x7f] == 0x33, "iovecs show the driver's bytes");
	ok(iov_in_regions(&el[0]), "all iovecs inside mapped regions");
	is_int(virtq_inflight_count(&vq), 1, "one in flight");
	memcpy(el[0].iov[3].iov_base, "hello", 5);
	is_int(virtq_push(&vq, &el[0], 5), 0, "push");
	is_int(used_idx(), 0, "push alone publishes nothing");
	is_int(virtq_flush(&vq), 1, "flush publishes one");
	is_int(used_idx(), 1, "used->idx advanced");
	is_int(fake_get_used(&r, &id, &len), 1, "driver sees a used entry");
	ok(id == (uint32_t)head && len == 5, "with our id and length");
	c = fake_gpa(&g, FG_R1 + 0x1000);
	ok(!memcmp(c, "hello", 5), "driver reads what we wrote");
	is_int(r.num_free, 8, "driver got all descriptors back");
	is_int(virtq_pop(&vq, &el[0]), 0, "ring empty again");
	is_int(virtq_flush(&vq), 0, "flush with nothing done publishes nothing");
	teardown();
}

static void test_zero_length(void)
{
	struct fake_buf bufs[] = { { BUF(1), 0, false }, { BUF(2), 16, true } };

	setup(8, false, 0);
	fake_add(&r, bufs, 2);
	fake_publish(&r);
	is_int(virtq_pop(&vq, &el[0]), 1, "zero-length descriptor accepted");
	ok(el[0].out_num == 0 && el[0].in_num == 1 && el[0].in_len == 16,
	   "and yields no iovec");
	teardown();
}

static void add_simple(unsigned int k)
{
	struct fake_buf b = { BUF(k % 32), 64, true };

	if (fake_add(&r, &b, 1) < 0) {
		fprintf(stderr, "ring full\n");
		exit(1);
	}
}

static void test_batch(void)
{
	unsigned int i;

	setup(16, false, 0);
	for (i = 0; i < 4; i++)
		add_simple(i);
	fake_publish(&r);
	is_int(virtq_pop_batch(&vq, el, 2), 2, "batch of 2 from 4");
	add_simple(4);
	add_simple(5);
	fake_publish(&r);
	/* A bogus index now would break the ring if it were read. */
	r.vr.avail->idx = htole16(1000);
	is_int(virtq_pop_batch(&vq, el + 2, 2), 2,
	       "second batch served from the index read before: avail->idx not re-read");
	ok(virtq_broken(&vq) == NULL, "still healthy");
	r.vr.avail->idx = htole16(6);
	is_int(virtq_pop_batch(&vq, el + 4, 8), 2, "batch of 8 re-reads the index, gets 2");
	for (i = 0; i < 6; i++)
		ok(el[i].seq == i && el[i].id == i, "element %u in ring order", i);
	for (i = 0; i < 6; i++)
		virtq_push(&vq, &el[i], 1);
	is_int(virtq_flush(&vq), 6, "one flush publishes all six");
	is_int(used_idx(), 6, "used->idx 6");
	teardown();
}

static void test_out_of_order(void)
{
	struct vring_used_elem *u;
	unsigned int i;

	setup(8, false, 0);
	for (i = 0; i < 4; i++)
		add_simple(i);
	fake_publish(&r);
	is_int(virtq_pop_batch(&vq, el, 4), 4, "pop 4");
	is_int(virtq_push(&vq, &el[3], 3), 0, "push #3 first");
	is_int(virtq_flush(&vq), 0, "nothing published: #0 not done");
	is_int(virtq_push(&vq, &el[1], 1), 0, "push #1");
	is_int(virtq_flush(&vq), 0, "still nothing");
	is_int(used_idx(), 0, "used->idx untouched");
	is_int(virtq_push(&vq, &el[0], 0), 0, "push #0");
	is_int(virtq_flush(&vq), 2, "#0 and #1 published");
	is_int(used_idx(), 2, "used->idx 2");
	u = r.vr.used->ring;
	ok(le32toh(u[0].id) == el[0].id && le32toh(u[1].id) == el[1].id &&
	   le32toh(u[1].len) == 1, "in ring order with their lengths");
	is_int(virtq_push(&vq, &el[1], 1), -EINVAL, "pushing a published chain again refused");
	is_int(virtq_push(&vq, &el[3], 3), -EINVAL, "pushing a chain twice refused");
	is_int(virtq_push(&vq, &el[2], 65), -EINVAL, "len beyond the writable part refused");
	is_int(virtq_push(&vq, &el[2], 2), 0, "push #2");
	is_int(virtq_flush(&vq), 2, "#2 and #3 published");
	ok(le32toh(u[2].id) == el[2].id && le32toh(u[3].id) == el[3].id &&
	   le32toh(u[3].len) == 3, "still in ring order");
	is_int(virtq_inflight_count(&vq), 0, "nothing in flight");
	teardown();
}

static void test_unpop(void)
{
	unsigned int i;

	setup(8, false, 0);
	for (i = 0; i < 4; i++)
		add_simple(i);
	fake_publish(&r);
	is_int(virtq_pop_batch(&vq, el, 3), 3, "pop 3");
	is_int(virtq_unpop(&vq, 4), -EINVAL, "unpop more than popped refused");
	is_int(virtq_push(&vq, &el[2], 0), 0, "push the last one");
	is_int(virtq_unpop(&vq, 1), -EINVAL, "unpop of a pushed chain refused");
	is_int(virtq_push(&vq, &el[0], 0), 0, "push the first one");
	is_int(virtq_flush(&vq), 1, "first published");
	is_int(virtq_unpop(&vq, 0), 0, "unpop 0 is a no-op");
	is_int(virtq_inflight_count(&vq), 2, "#1 and #2 still in flight");
	teardown();

	setup(8, false, 0);
	for (i = 0; i < 4; i++)
		add_simple(i);
	fake_publish(&r);
	is_int(virtq_pop_batch(&vq, el, 4), 4, "pop 4");
	is_int(virtq_unpop(&vq, 2), 0, "give back the last 2");
	is_int(virtq_inflight_count(&vq), 2, "2 still in flight");
	is_int(virtq_pop_batch(&vq, el + 4, 4), 2, "pop again gets exactly 2");
	ok(el[4].id == el[2].id && el[4].seq == el[2].seq && el[5].id == el[3].id,
	   "the same chains, same sequence");
	for (i = 0; i < 2; i++)
		virtq_push(&vq, &el[i], 0);
	virtq_push(&vq, &el[4], 0);
	virtq_push(&vq, &el[5], 0);
	is_int(virtq_flush(&vq), 4, "all four published");
	is_int(virtq_push(&vq, &el[2], 0), -EINVAL, "stale element from before the unpop refused");
	teardown();
}

static void test_wrap(void)
{
	unsigned int round, i;
	bool good = true;
	uint32_t id, len;

	setup(8, false, 65530);
	for (round = 0; round < 3; round++) {
		for (i = 0; i < 8; i++)
			add_simple(i);
		fake_publish(&r);
		if (virtq_pop_batch(&vq, el, 8) != 8)
			good = false;
		for (i = 8; i-- > 0;)
			virtq_push(&vq, &el[i], i);
		if (virtq_flush(&vq) != 8)
			good = false;
		for (i = 0; i < 8; i++)
			if (fake_get_used(&r, &id, &len) != 1 || id != el[i].id || len != i)
				good = false;
	}
	ok(good, "3 full rounds of 8 across the 16-bit wrap, published in order");
	is_int(used_idx(), (uint16_t)(65530 + 24), "used->idx wrapped to 18");
	ok(virtq_broken(&vq) == NULL, "healthy after the wrap");
	is_int(virtq_stop(&vq), (uint16_t)(65530 + 24), "stop reports the next avail index 18");
	fake_guest_fini(&g);
}

static void test_stop_replay(void)
{
	unsigned int i;

	setup(8, false, 100);
	for (i = 0; i < 3; i++)
		add_simple(i);
	fake_publish(&r);
	virtq_pop_batch(&vq, el, 3);
	virtq_push(&vq, &el[0], 0);
	virtq_push(&vq, &el[2], 0);
	virtq_flush(&vq);
	is_int(virtq_stop(&vq), 101, "stop returns the oldest unpublished chain: #1 and #2 are replayed");
	is_int(virtq_pop(&vq, &el[0]), -EIO, "a stopped ring pops nothing");
	fake_guest_fini(&g);
}

/* Publish one chain (added, popped, pushed, flushed). */
static void publish(unsigned int n)
{
	unsigned int i;
	uint32_t id, len;

	for (i = 0; i < n; i++)
		add_simple(i);
	fake_publish(&r);
	virtq_pop_batch(&vq, el, n);
	for (i = 0; i < n; i++)
		virtq_push(&vq, &el[i], 0);
	virtq_flush(&vq);
	while (fake_get_used(&r, &id, &len) == 1)
		;
}

static void set_used_event(uint16_t v)
{
	r.vr.avail->ring[r.num] = htole16(v);
}

static void test_call_event_idx(void)
{
	unsigned int i;
	bool seq_ok = true;
	uint16_t u;

	setup(16, true, 0);
	ok(!virtq_should_notify(&vq), "nothing published: no interrupt");
	set_used_event(100);
	publish(1);
	ok(virtq_should_notify(&vq), "first decision after start always interrupts");
	ok(!virtq_should_notify(&vq), "asking again without news: no");
	u = used_idx();
	set_used_event(u);
	publish(1);
	ok(virtq_should_notify(&vq), "used_event == old index: the new entry crosses it");
	u = used_idx();
	set_used_event(u + 4);
	for (i = 1; i <= 5; i++) {
		publish(1);
		if (virtq_should_notify(&vq) != (i == 5))
			seq_ok = false;
	}
	ok(seq_ok, "used_event 4 ahead: quiet for 4 entries, interrupt on the 5th");
	u = used_idx();
	set_used_event(u - 10);
	publish(3);
	ok(!virtq_should_notify(&vq), "used_event behind the old index: no interrupt");
	u = used_idx();
	set_used_event(u + 2);
	publish(5);
	ok(virtq_should_notify(&vq), "a batch jumping over used_event interrupts once");
	teardown();

	setup(16, true, 65533);
	publish(1);
	virtq_should_notify(&vq);
	set_used_event(65535);
	publish(3);
	ok(virtq_should_notify(&vq), "used_event 65535 crossed by 65534 -> 1 (wrap)");
	set_used_event(5);
	publish(2);
	ok(!virtq_should_notify(&vq), "used_event 5 not reached at 3 after the wrap");
	publish(3);
	ok(virtq_should_notify(&vq), "used_event 5 crossed at 6");
	teardown();

	/* 65536 entries without a decision: the stored old index means nothing. */
	setup(16, true, 0);
	publish(1);
	virtq_should_notify(&vq);
	for (i = 0; i < 65536 / 16; i++)
		publish(16);
	set_used_event(used_idx() + 1000);
	publish(1);
	ok(virtq_should_notify(&vq), "after 2^16 unsignalled entries: interrupt regardless");
	teardown();
}

static void test_call_flags(void)
{
	setup(16, false, 0);
	publish(1);
	ok(virtq_should_notify(&vq), "no EVENT_IDX, flags 0: interrupt");
	r.vr.avail->flags = htole16(VRING_AVAIL_F_NO_INTERRUPT);
	publish(1);
	ok(!virtq_should_notify(&vq), "VRING_AVAIL_F_NO_INTERRUPT: none");
	r.vr.avail->flags = 0;
	ok(!virtq_should_notify(&vq), "flag cleared but nothing new: none");
	publish(2);
	ok(virtq_should_notify(&vq), "flag cleared, new entries: interrupt");
	teardown();
}

static uint16_t avail_event(void)
{
	uint16_t v;

	memcpy(&v, &r.vr.used->ring[r.num], sizeof(v));
	return le16toh(v);
}

static void test_kick_event_idx(void)
{
	setup(16, true, 40);
	is_int(avail_event(), 40, "start: avail_event = last_avail");
	add_simple(0);
	fake_publish(&r);
	ok(fake_kick_needed(&r), "driver kicks for the first chain");
	add_simple(1);
	fake_publish(&r);
	ok(!fake_kick_needed(&r), "and not for the second before we popped");
	is_int(virtq_pop_batch(&vq, el, 4), 2, "pop 2");
	is_int(avail_event(), 42, "popping with kicks enabled moves avail_event");
	add_simple(2);
	fake_publish(&r);
	ok(fake_kick_needed(&r), "so the next chain kicks again");
	virtq_disable_notify(&vq);
	is_int(virtq_pop(&vq, &el[2]), 1, "pop while kicks disabled");
	is_int(avail_event(), 42, "disabled: avail_event left behind");
	add_simple(3);
	fake_publish(&r);
	ok(!fake_kick_needed(&r), "driver stays quiet while we drain");
	ok(virtq_enable_notify(&vq), "enable re-checks and finds the chain that came meanwhile");
	virtq_disable_notify(&vq);
	is_int(virtq_pop(&vq, &el[3]), 1, "drain it");
	ok(!virtq_enable_notify(&vq), "enable: nothing more");
	is_int(avail_event(), 44, "avail_event = last_avail after enable");
	add_simple(4);
	fake_publish(&r);
	ok(fake_kick_needed(&r), "the next chain kicks: no kick lost");
	teardown();
}

/*
 * A frame that needs more RX buffers than the guest has posted: the caller
 * gives back what it popped and waits for a kick. The chains given back
 * are no news, and the guest's next chain must kick (it did not: the
 * event stayed at the chains given back, behind the guest's index, and
 * the RX queue waited for ever).
 */
static void test_kick_short(void)
{
	setup(16, true, 0);
	add_simple(0);
	add_simple(1);
	fake_publish(&r);
	fake_kick_needed(&r);
	virtq_disable_notify(&vq);
	is_int(virtq_pop_batch(&vq, el, 2), 2, "short: pop the two chains there are");
	is_int(virtq_unpop(&vq, 2), 0, "short: not enough, give them back");
	ok(!virtq_enable_notify(&vq), "short: enable reports nothing new");
	is_int(avail_event(), 2, "short: avail_event at the newest chain seen");
	add_simple(2);
	fake_publish(&r);
	ok(fake_kick_needed(&r), "short: the guest's next chain kicks");
	ok(virtq_enable_notify(&vq), "short: and enable sees it as new");
	virtq_disable_notify(&vq);
	is_int(virtq_pop_batch(&vq, el, 3), 3, "short: all three pop now");
	teardown();
}

static void test_kick_flags(void)
{
	setup(16, false, 0);
	ok(!(le16toh(r.vr.used->flags) & VRING_USED_F_NO_NOTIFY), "start: kicks wanted");
	virtq_disable_notify(&vq);
	ok(le16toh(r.vr.used->flags) & VRING_USED_F_NO_NOTIFY, "disable sets VRING_USED_F_NO_NOTIFY");
	add_simple(0);
	fake_publish(&r);
	ok(!fake_kick_needed(&r), "driver does not kick");
	ok(virtq_enable_notify(&vq), "enable reports the chain that came meanwhile");
	ok(!(le16toh(r.vr.used->flags) & VRING_USED_F_NO_NOTIFY), "enable clears the flag");
	virtq_pop(&vq, &el[0]);
	ok(!virtq_enable_notify(&vq), "enable on an empty ring: nothing more");
	add_simple(1);
	fake_publish(&r);
	ok(fake_kick_needed(&r), "driver kicks again");
	teardown();
}

static void test_indirect(void)
{
	struct fake_buf bufs[] = {
		{ BUF(3), 12, false },
		{ CROSS, 0x100, false },
		{ BUF(4), 1500, true },
	};
	uint64_t table;
	uint32_t id, len;
	int head;

	setup(8, false, 0);
	table = fake_alloc(&g, 3 * 16, 16);
	head = fake_add_indirect(&r, table, bufs, 3);
	fake_publish(&r);
	is_int(virtq_pop(&vq, &el[0]), 1, "indirect chain popped");
	ok(el[0].id == head && el[0].ndescs == 1, "one ring descriptor, our head");
	ok(el[0].out_num == 3 && el[0].in_num == 1 && el[0].out_len == 0x10c &&
	   el[0].in_len == 1500, "iovecs from the table (with a cross-region split)");
	ok(iov_in_regions(&el[0]), "all inside mapped regions");
	virtq_push(&vq, &el[0], 1500);
	virtq_flush(&vq);
	ok(fake_get_used(&r, &id, &len) == 1 && id == (uint32_t)head && len == 1500,
	   "used entry for the indirect chain");
	is_int(r.num_free, 8, "driver reclaims its one descriptor");

	/* A table straddling regions 0 and 1, not 16-byte aligned. */
	table = FG_R1 - 24;
	head = fake_add_indirect(&r, table, bufs, 3);
	fake_publish(&r);
	is_int(virtq_pop(&vq, &el[1]), 1, "indirect table across two regions popped");
	ok(el[1].out_num == 3 && el[1].in_num == 1 && el[1].in_len == 1500 &&
	   el[1].iov[3].iov_base == guest_mem_gpa_to_host(&g.mem, BUF(4), 1),
	   "descriptors read correctly, even the one split by the boundary");
	ok(virtq_broken(&vq) == NULL, "healthy");
	teardown();
}

/*
 * expect_broken() - pop must fail, the ring must be broken for @why, and
 * every later operation must be a no-op error that leaves the used ring alone.
 */
static void expect_broken(const char *what, const char *why)
{
	uint16_t u = used_idx();
	const char *reason;
	int ret;

	ret = virtq_pop_batch(&vq, el, 4);
	reason = virtq_broken(&vq);
	ok(ret == -EIO && reason && strstr(reason, why), "%s: broken (%s)",
	   what, reason ? reason : "not broken");
	ok(virtq_pop(&vq, &el[0]) == -EIO && virtq_flush(&vq) == -EIO &&
	   virtq_push(&vq, &el[0], 0) == -EIO && virtq_unpop(&vq, 0) == -EIO &&
	   !virtq_should_notify(&vq) && !virtq_enable_notify(&vq) && !virtq_has_avail(&vq) &&
	   used_idx() == u, "%s: then every operation is a no-op error", what);
}

/* Write descriptor @i of the ring's own table. */
static void raw(unsigned int i, uint64_t gpa, uint32_t len, uint16_t flags, uint16_t next)
{
	fake_set_desc(fake_desc(&r, 0, i), gpa, len, flags, next);
}

static void head_avail(uint16_t head)
{
	fake_put_avail(&r, head);
	fake_publish(&r);
}

static void test_bad_ring(void)
{
	unsigned int i;

	setup(8, false, 0);
	head_avail(8);
	expect_broken("head == ring size", "head 8 out of a ring of 8");
	teardown();

	setup(8, false, 0);
	raw(0, BUF(1), 8, VRING_DESC_F_NEXT, 8);
	head_avail(0);
	expect_broken("next == ring size", "next 8 out of a table of 8");
	teardown();

	setup(8, false, 0);
	raw(0, BUF(1), 8, VRING_DESC_F_NEXT, 1);
	raw(1, BUF(2), 8, VRING_DESC_F_NEXT, 0);
	head_avail(0);
	expect_broken("descriptor loop", "more than 8 descriptors");
	teardown();

	setup(8, false, 0);
	for (i = 0; i < 8; i++)
		raw(i, BUF(i), 8, VRING_DESC_F_NEXT, (uint16_t)((i + 1) % 8));
	head_avail(3);
	expect_broken("loop through the whole table", "more than 8 descriptors");
	teardown();

	setup(8, false, 0);
	for (i = 0; i < 9; i++)
		fake_put_avail(&r, 0);
	fake_publish(&r);
	expect_broken("avail index 9 ahead of a ring of 8", "ahead");
	teardown();

	setup(8, false, 0);
	for (i = 0; i < 4; i++)
		add_simple(i);
	fake_publish(&r);
	virtq_pop_batch(&vq, el, 4);
	virtq_push(&vq, &el[0], 0);
	virtq_flush(&vq);
	for (i = 0; i < 6; i++)
		fake_put_avail(&r, 0);
	fake_publish(&r);
	/* 3 in flight + 6 new = 9 > 8 outstanding. */
	expect_broken("more chains outstanding than the ring holds", "ahead");
	teardown();

	setup(8, false, 0);
	for (i = 0; i < 4; i++)
		add_simple(i);
	fake_publish(&r);
	virtq_pop_batch(&vq, el, 3);
	r.vr.avail->idx = htole16(2);
	expect_broken("avail index moved back behind popped chains", "moved back");
	teardown();
}

static void test_bad_buffers(void)
{
	uint64_t big = 0x100000000ull;
	int bigfd;

	setup(8, false, 0);
	raw(0, FG_GAP + 0x100, 8, 0, 0);
	head_avail(0);
	expect_broken("buffer in the gap", "not in guest memory");
	teardown();

	setup(8, false, 0);
	raw(0, FG_GAP - 4, 8, 0, 0);
	head_avail(0);
	expect_broken("buffer running from region 1 into the gap", "not in guest memory");
	teardown();

	setup(8, false, 0);
	raw(0, UINT64_MAX - 4, 100, 0, 0);
	head_avail(0);
	expect_broken("buffer wrapping 2^64", "not in guest memory");
	teardown();

	setup(8, false, 0);
	raw(0, BUF(1), 8, VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 1);
	raw(1, BUF(2), 8, 0, 0);
	head_avail(0);
	expect_broken("readable after writable", "readable descriptor after a writable");
	teardown();

	setup(8, false, 0);
	el[0].iov_cap = 2;
	raw(0, BUF(1), 8, VRING_DESC_F_NEXT, 1);
	raw(1, BUF(2), 8, VRING_DESC_F_NEXT, 2);
	raw(2, BUF(3), 8, 0, 0);
	head_avail(0);
	expect_broken("3 buffers, iov cap 2", "more than 2 iovecs");
	teardown();

	setup(8, false, 0);
	el[0].iov_cap = 2;
	raw(0, BUF(1), 8, VRING_DESC_F_NEXT, 1);
	raw(1, CROSS, 0x100, 0, 0);
	head_avail(0);
	expect_broken("2 buffers needing 3 iovecs, cap 2", "more than 2 iovecs");
	teardown();

	/* Total length: needs 2 GiB of (sparse) guest memory. */
	setup(8, false, 0);
	bigfd = memfd_create("big", MFD_CLOEXEC);
	if (bigfd >= 0 && ftruncate(bigfd, 0x80000000) == 0) {
		struct guest_region_desc d = { big, 0x80000000, big, 0 };

		ok(guest_mem_add(&g.mem, &d, bigfd) == 0, "2 GiB region added");
		close(bigfd);
		raw(0, big, 0x80000000, VRING_DESC_F_NEXT, 1);
		raw(1, big, 0x7fffffff, 0, 0);
		head_avail(0);
		ok(virtq_pop(&vq, &el[0]) == 1 && el[0].out_len == 0xffffffffu,
		   "total length 2^32 - 1 accepted");
		raw(1, big, 0x80000000, 0, 0);
		head_avail(0);
		expect_broken("total length 2^32", "4 GiB");
	} else {
		ok(0, "memfd for the 2 GiB region");
	}
	teardown();
}

static void test_dir(void)
{
	setup_full(8, false, 0, 0, VIRTQ_DIR_OUT);
	raw(0, BUF(1), 8, VRING_DESC_F_NEXT, 1);
	raw(1, BUF(2), 8, VRING_DESC_F_WRITE, 0);
	head_avail(0);
	expect_broken("writable buffer on a device-read queue", "device-writable");
	teardown();

	setup_full(8, false, 0, 0, VIRTQ_DIR_OUT);
	raw(0, BUF(1), 0, 0, 0);
	head_avail(0);
	expect_broken("empty chain on a device-read queue", "empty chain on a one-way queue");
	teardown();

	setup_full(8, false, 0, 0, VIRTQ_DIR_IN);
	raw(0, BUF(1), 8, 0, 0);
	head_avail(0);
	expect_broken("readable buffer on a device-write queue", "device-readable");
	teardown();

	setup_full(8, false, 0, 0, VIRTQ_DIR_IN);
	raw(0, BUF(1), 0, VRING_DESC_F_WRITE, 0);
	head_avail(0);
	expect_broken("empty chain on a device-write queue", "empty chain on a one-way queue");
	teardown();

	setup_full(8, false, 0, 0, VIRTQ_DIR_IN);
	raw(0, BUF(1), 8, VRING_DESC_F_WRITE, 0);
	head_avail(0);
	ok(virtq_pop(&vq, &el[0]) == 1 && el[0].in_len == 8, "writable chain on a device-write queue");
	teardown();
}

static void test_bad_indirect(void)
{
	uint64_t t;

	setup_full(8, false, 0, 0, VIRTQ_DIR_ANY);
	t = fake_alloc(&g, 32, 16);
	raw(0, t, 32, VRING_DESC_F_INDIRECT, 0);
	head_avail(0);
	expect_broken("indirect without the feature", "INDIRECT_DESC not negotiated");
	teardown();

	setup(8, false, 0);
	raw(0, fake_alloc(&g, 32, 16), 0, VRING_DESC_F_INDIRECT, 0);
	head_avail(0);
	expect_broken("indirect table of 0 bytes", "indirect table of 0 bytes");
	teardown();

	setup(8, false, 0);
	raw(0, fake_alloc(&g, 32, 16), 20, VRING_DESC_F_INDIRECT, 0);
	head_avail(0);
	expect_broken("indirect table of 20 bytes", "indirect table of 20 bytes");
	teardown();

	setup(8, false, 0);
	raw(0, fake_alloc(&g, 16 * 9, 16), 16 * 9, VRING_DESC_F_INDIRECT, 0);
	head_avail(0);
	expect_broken("indirect table of 9 entries, ring of 8", "indirect table of 144 bytes");
	teardown();

	setup(8, false, 0);
	t = fake_alloc(&g, 32, 16);
	fake_set_desc(fake_desc(&r, t, 0), t, 32, VRING_DESC_F_INDIRECT, 0);
	raw(0, t, 32, VRING_DESC_F_INDIRECT, 0);
	head_avail(0);
	expect_broken("nested indirect", "nested indirect");
	teardown();

	setup(8, false, 0);
	t = fake_alloc(&g, 32, 16);
	fake_set_desc(fake_desc(&r, t, 0), BUF(1), 8, 0, 0);
	raw(0, t, 16, VRING_DESC_F_INDIRECT | VRING_DESC_F_NEXT, 1);
	raw(1, BUF(2), 8, 0, 0);
	head_avail(0);
	expect_broken("indirect with NEXT", "indirect descriptor has NEXT set");
	teardown();

	setup(8, false, 0);
	t = fake_alloc(&g, 32, 16);
	fake_set_desc(fake_desc(&r, t, 0), BUF(1), 8, 0, 0);
	raw(0, BUF(2), 8, VRING_DESC_F_NEXT, 1);
	raw(1, t, 16, VRING_DESC_F_INDIRECT, 0);
	head_avail(0);
	expect_broken("indirect after a direct descriptor", "indirect descriptor after the head");
	teardown();

	setup(8, false, 0);
	raw(0, FG_GAP + 0x1000, 32, VRING_DESC_F_INDIRECT, 0);
	head_avail(0);
	expect_broken("indirect table in the gap", "not in guest memory");
	teardown();

	setup(8, false, 0);
	raw(0, FG_GAP - 16, 32, VRING_DESC_F_INDIRECT, 0);
	head_avail(0);
	expect_broken("indirect table running into the gap", "not in guest memory");
	teardown();

	setup(8, false, 0);
	t = fake_alloc(&g, 32, 16);
	fake_set_desc(fake_desc(&r, t, 0), BUF(1), 8, VRING_DESC_F_NEXT, 1);
	fake_set_desc(fake_desc(&r, t, 1), BUF(2), 8, VRING_DESC_F_NEXT, 0);
	raw(0, t, 32, VRING_DESC_F_INDIRECT, 0);
	head_avail(0);
	expect_broken("loop inside an indirect table", "more than 2 descriptors");
	teardown();

	setup(8, false, 0);
	t = fake_alloc(&g, 32, 16);
	fake_set_desc(fake_desc(&r, t, 0), BUF(1), 8, VRING_DESC_F_NEXT, 1);
	fake_set_desc(fake_desc(&r, t, 1), BUF(2), 8, VRING_DESC_F_NEXT, 2);
	raw(0, t, 32, VRING_DESC_F_INDIRECT, 0);
	head_avail(0);
	expect_broken("next past the indirect table", "next 2 out of a table of 2");
	teardown();

	setup(8, false, 0);
	t = fake_alloc(&g, 32, 16);
	fake_set_desc(fake_desc(&r, t, 0), FG_GAP, 8, 0, 0);
	raw(0, t, 16, VRING_DESC_F_INDIRECT, 0);
	head_avail(0);
	expect_broken("indirect buffer in the gap", "not in guest memory");
	teardown();
}

static bool log_bit(const uint8_t *bits, uint64_t gpa)
{
	uint64_t page = gpa / GUEST_MEM_LOG_PAGE;

	return bits[page / 8] & (1u << (page % 8));
}

static void test_dirty_log(void)
{
	struct fake_buf b = { FG_R1 + 0x3000, 0x2000, true };
	uint64_t log_size = (FG_R2 + FG_R2SIZE) / GUEST_MEM_LOG_PAGE / 8;
	int fd = memfd_create("log", MFD_CLOEXEC);
	uint8_t *bits;

	if (fd < 0 || ftruncate(fd, (off_t)log_size) < 0) {
		ok(0, "log memfd");
		return;
	}
	setup(8, false, 0);
	ok(guest_mem_log_set(&g.mem, fd, log_size, 0) == 0, "dirty log mapped");
	bits = mmap(NULL, log_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	virtq_set_log(&vq, VIRTQ_F_LOG | VIRTQ_F_LOG_USED, r.used_gpa);
	fake_add(&r, &b, 1);
	fake_publish(&r);
	virtq_pop(&vq, &el[0]);
	virtq_push(&vq, &el[0], 0x1001);
	ok(log_bit(bits, FG_R1 + 0x3000) && log_bit(bits, FG_R1 + 0x4000) &&
	   !log_bit(bits, FG_R1 + 0x5000), "written bytes logged, unwritten page not");
	ok(!log_bit(bits, r.used_gpa), "used ring not logged before the flush");
	virtq_flush(&vq);
	ok(log_bit(bits, r.used_gpa), "used ring page logged by the flush");
	ok(!log_bit(bits, FG_R0), "untouched page clean");
	munmap(bits, log_size);
	teardown();
}

int main(void)
{
	log_set_level(VLOG_ERROR);
	test_init_params();
	test_basic();
	test_zero_length();
	test_batch();
	test_out_of_order();
	test_unpop();
	test_wrap();
	test_stop_replay();
	test_call_event_idx();
	test_call_flags();
	test_kick_event_idx();
	test_kick_short();
	test_kick_flags();
	test_indirect();
	test_bad_ring();
	test_bad_buffers();
	test_dir();
	test_bad_indirect();
	test_dirty_log();
	return done_testing();
}
