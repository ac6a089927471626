// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test_device_state.c - DEVICE_STATE between two real daemons: the test
 * front-end saves the state of one vuring (SET_DEVICE_STATE_FD, direction
 * save, through a pipe), loads it into another (direction load), and asks
 * CHECK_DEVICE_STATE on both; the second then reports the first one's ring
 * indexes. Truncated, padded, corrupted, wrong-version and incompatible
 * blobs are refused by CHECK_DEVICE_STATE without touching the device, and
 * no transfer leaks an fd. QEMU 7.2 does not send these messages, so this
 * front-end plays its part (QEMU 8.2+'s vhost_save/load_backend_state).
 */
#include "config.h"

#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/virtio_config.h>

#include "device_state.h"
#include "tap.h"
#include "vu_frontend.h"

#define NRINGS 4
/* Ring indexes the source's rings stop at (SET_VRING_BASE, no traffic). */
#define SRC_BASE 1234
#define BLOB_MAX 4096

static const char ini_a[] = "[backend]\ninterface = vuds0\ncreate = yes\nqueue-pairs = 2\nmtu = 1500\n";
static const char ini_b[] = "[backend]\ninterface = vuds1\ncreate = yes\nqueue-pairs = 2\nmtu = 1500\n";

/* CRC-32 (IEEE), to forge blobs that pass the CRC and fail elsewhere. */
static uint32_t crc32_ieee(const uint8_t *p, size_t len)
{
	uint32_t crc = ~0u;

	while (len--) {
		crc ^= *p++;
		for (int k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1)));
	}
	return ~crc;
}

static void put32le(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void fix_crc(uint8_t *blob, size_t len)
{
	put32le(blob + len - 4, crc32_ieee(blob, len - 4));
}

/* Ack DEVICE_STATE on top of what the handshake acked. */
static int ack_device_state(struct vuf *f)
{
	f->acked_protocol |= 1ull << VHOST_USER_PROTOCOL_F_DEVICE_STATE;
	return vuf_set_u64(f, VHOST_USER_SET_PROTOCOL_FEATURES, f->acked_protocol);
}

/* SET_DEVICE_STATE_FD with @fd; its u64 reply in @reply. */
static int set_state_fd(struct vuf *f, uint32_t dir, uint32_t phase, int fd, uint64_t *reply)
{
	struct vhost_user_device_state s = { .direction = dir, .phase = phase };
	struct vhost_user_hdr h;
	int r = vuf_send(f, VHOST_USER_SET_DEVICE_STATE_FD, VHOST_USER_VERSION, &s, sizeof(s),
			 &fd, 1);

	if (!r)
		r = vuf_recv(f, &h, reply, sizeof(*reply));
	if (!r && (h.request != VHOST_USER_SET_DEVICE_STATE_FD || h.size != sizeof(*reply)))
		r = -EPROTO;
	return r;
}

static uint64_t check_state(struct vuf *f)
{
	uint64_t v = ~0ull;

	if (vuf_get_u64(f, VHOST_USER_CHECK_DEVICE_STATE, &v) < 0)
		return ~0ull;
	return v;
}

/* Save from @f into @blob. Return: bytes, or -1. */
static ssize_t save(struct vuf *f, uint8_t *blob, uint64_t *reply)
{
	ssize_t len = 0, n;
	int p[2];

	if (pipe(p) < 0)
		return -1;
	if (set_state_fd(f, DEVICE_STATE_DIR_SAVE, DEVICE_STATE_PHASE_STOPPED, p[1], reply) < 0) {
		close(p[0]);
		close(p[1]);
		return -1;
	}
	close(p[1]);
	while ((n = read(p[0], blob + len, BLOB_MAX - (size_t)len)) > 0)
		len += n;
	close(p[0]);
	return n < 0 ? -1 : len;
}

/* Load @blob into @f, as QEMU does: fd, reply, write, close, check. */
static uint64_t load(struct vuf *f, const uint8_t *blob, size_t len)
{
	uint64_t reply = 0;
	int p[2];

	if (pipe(p) < 0)
		return ~0ull;
	if (set_state_fd(f, DEVICE_STATE_DIR_LOAD, DEVICE_STATE_PHASE_STOPPED, p[0], &reply) < 0 ||
	    reply != DEVICE_STATE_REPLY_NOFD) {
		close(p[0]);
		close(p[1]);
		return ~0ull;
	}
	close(p[0]);
	if (len && write(p[1], blob, len) != (ssize_t)len)
		diag("write to the state pipe: %s", strerror(errno));
	close(p[1]);
	return check_state(f);
}

static bool bases_are(struct vuf *f, uint32_t want)
{
	for (unsigned int i = 0; i < NRINGS; i++) {
		uint32_t b = ~0u;

		if (vuf_get_vring_base(f, i, &b) < 0 || b != want) {
			diag("ring %u base %u, want %u", i, b, want);
			return false;
		}
	}
	return true;
}

/* Each malformed blob: what is wrong, and the errno CHECK must report. */
static void test_refusals(struct vuf *b, const uint8_t *good, size_t len)
{
	uint8_t bad[BLOB_MAX + 8];
	uint64_t v = 0;

	memcpy(bad, good, len);
	is_int((int)load(b, bad, len - 5), EINVAL, "truncated state refused (EINVAL)");
	bad[len] = 0;
	is_int((int)load(b, bad, len + 1), EINVAL, "state with trailing bytes refused (EINVAL)");
	is_int((int)load(b, bad, 0), EINVAL, "empty state refused (EINVAL)");
	bad[0] = 'X';
	fix_crc(bad, len);
	is_int((int)load(b, bad, len), EINVAL, "wrong magic refused (EINVAL)");
	memcpy(bad, good, len);
	put32le(bad + 8, DEVICE_STATE_VERSION + 1);
	fix_crc(bad, len);
	is_int((int)load(b, bad, len), EPROTONOSUPPORT, "a newer version refused (EPROTONOSUPPORT)");
	memcpy(bad, good, len);
	bad[DEVICE_STATE_HDR_LEN + DEVICE_STATE_BODY_FIXED] ^= 1;
	is_int((int)load(b, bad, len), EBADMSG, "corrupted state (CRC) refused (EBADMSG)");
	memcpy(bad, good, len);
	bad[DEVICE_STATE_HDR_LEN + 7] |= 0x80;	/* feature bit 63 */
	fix_crc(bad, len);
	is_int((int)load(b, bad, len), EOPNOTSUPP, "features the destination lacks refused (EOPNOTSUPP)");
	memcpy(bad, good, len);
	bad[DEVICE_STATE_HDR_LEN + DEVICE_STATE_BODY_FIXED + 2] = 3;	/* ring 0 size 3 */
	fix_crc(bad, len);
	is_int((int)load(b, bad, len), EINVAL, "ring size not a power of two refused (EINVAL)");
	memset(bad, 0, sizeof(bad));
	is_int((int)load(b, bad, BLOB_MAX + 8), EFBIG, "oversized stream refused (EFBIG)");
	ok(bases_are(b, 0), "no refused state changed the device");

	ok(check_state(b) == EINVAL, "CHECK_DEVICE_STATE without a transfer is an error");
	{
		int p[2];

		if (pipe(p) == 0) {
			int r = set_state_fd(b, DEVICE_STATE_DIR_LOAD, 1, p[0], &v);

			ok(r == 0 && (v & DEVICE_STATE_REPLY_NOFD) && (v & DEVICE_STATE_REPLY_ERR_MASK),
			   "an unknown phase is refused in the reply (%#llx)", (unsigned long long)v);
			r = set_state_fd(b, 7, 0, p[0], &v);
			ok(r == 0 && (v & DEVICE_STATE_REPLY_ERR_MASK),
			   "an unknown direction is refused in the reply (%#llx)", (unsigned long long)v);
			close(p[0]);
			close(p[1]);
		}
	}
}

int main(void)
{
	struct vuf_opts src_opts = { .nrings = NRINGS, .base = SRC_BASE };
	struct vuf_opts dst_opts = { .nrings = 0 };
	struct vuf_daemon da, db;
	struct vuf a = { .fd = -1 }, b = { .fd = -1 };
	uint8_t blob[BLOB_MAX];
	uint64_t reply = 0;
	ssize_t len;
	int fds;

	if (geteuid() != 0)
		skip_all("needs root (network namespace, TAP)");
	if (!getenv("VURING"))
		skip_all("VURING not set");
	if (unshare(CLONE_NEWNET) < 0)
		skip_all("cannot create a network namespace");
	/* vuring closes a load channel it refuses; our write then gets EPIPE. */
	signal(SIGPIPE, SIG_IGN);

	ok(vuf_daemon_start(&da, ini_a) == 0 && vuf_daemon_start(&db, ini_b) == 0,
	   "two daemons start (%s)", vuf_error);
	ok(vuf_connect(&a, da.sock) == 0 && vuf_handshake(&a, &src_opts) == 0,
	   "source: handshake, %d rings running from index %d (%s)", NRINGS, SRC_BASE, vuf_error);
	ok(a.protocol & (1ull << VHOST_USER_PROTOCOL_F_DEVICE_STATE),
	   "DEVICE_STATE is offered (%#llx)", (unsigned long long)a.protocol);
	ok(ack_device_state(&a) == 0, "source: DEVICE_STATE acked");
	len = save(&a, blob, &reply);
	ok(len == 0 && (reply & DEVICE_STATE_REPLY_ERR_MASK) == EBUSY,
	   "saving while rings run is refused (EBUSY, %#llx)", (unsigned long long)reply);
	ok(vuf_teardown(&a) == 0, "source: rings stopped (suspended)");

	len = save(&a, blob, &reply);
	ok(reply == DEVICE_STATE_REPLY_NOFD, "SET_DEVICE_STATE_FD save: success, no fd of its own");
	is_int((int)len, DEVICE_STATE_HDR_LEN + DEVICE_STATE_BODY_FIXED + NRINGS * DEVICE_STATE_RING_LEN +
			       DEVICE_STATE_CRC_LEN,
	       "the state arrives, then EOF");
	ok(len > 16 && !memcmp(blob, DEVICE_STATE_MAGIC, 8) && blob[8] == DEVICE_STATE_VERSION,
	   "it starts with the magic and version %d", DEVICE_STATE_VERSION);
	is_int((int)check_state(&a), 0, "source: CHECK_DEVICE_STATE says success");

	ok(vuf_connect(&b, db.sock) == 0 && vuf_handshake(&b, &dst_opts) == 0 &&
		   ack_device_state(&b) == 0,
	   "destination: handshake, rings not started, DEVICE_STATE acked (%s)", vuf_error);
	fds = vuf_daemon_fd_count(&db);
	if (len > 16)
		test_refusals(&b, blob, (size_t)len);
	is_int((int)load(&b, blob, len > 0 ? (size_t)len : 0), 0,
	       "destination: the saved state loads, CHECK_DEVICE_STATE says success");
	ok(bases_are(&b, SRC_BASE), "destination rings now start where the source stopped (%d)",
	   SRC_BASE);
	is_int(vuf_daemon_fd_count(&db), fds, "no fd left behind by the transfers");

	vuf_close(&a);
	vuf_close(&b);
	is_int(vuf_daemon_stop(&da), 0, "source vuring exits cleanly");
	is_int(vuf_daemon_stop(&db), 0, "destination vuring exits cleanly");
	ok(!vuf_log_contains(&da, 0, "error:") && !vuf_log_contains(&db, 0, "error:"),
	   "no error logged (refusals are warnings)");
	vuf_daemon_cleanup(&da);
	vuf_daemon_cleanup(&db);
	return done_testing();
}
