// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * device_state.c - save and load vuring's per-device state through the
 * front-end's migration stream (VHOST_USER_PROTOCOL_F_DEVICE_STATE).
 *
 * The spec's channel behaves like a pipe: on the source we write the state
 * and close our end (EOF ends the transfer); on the destination the
 * front-end writes it and closes, we read to EOF. Afterwards the front-end
 * asks CHECK_DEVICE_STATE whether all went well. Both happen while the
 * device is suspended (every ring stopped), the only phase the spec has.
 *
 * The front-end reads (or writes) its end only after our reply to
 * SET_DEVICE_STATE_FD, so the transfer cannot finish inside the handler:
 * it runs from the event loop on the non-blocking fd. The state is small
 * (about a kilobyte with 128 rings) and usually fits the pipe at once.
 *
 * What travels is what the front-end does not re-send on the destination
 * anyway, plus what lets the destination refuse a guest it cannot serve:
 * the guest's acked features must be among those the destination offers,
 * and it must have as many rings. The rings' avail indexes and sizes and
 * the MTU are applied as defaults that the front-end's own messages
 * override. Everything loaded is hostile input, checked field by field.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <linux/vhost_types.h>

#include "conf.h"
#include "device_state.h"
#include "log.h"
#include "vu_dev.h"

/* Largest blob we write or accept: every ring the device can have. */
#define DEVICE_STATE_MAX \
	(DEVICE_STATE_HDR_LEN + DEVICE_STATE_BODY_FIXED + \
	 VU_MAX_RINGS * DEVICE_STATE_RING_LEN + DEVICE_STATE_CRC_LEN)

/* CRC-32 (IEEE 802.3, reflected) polynomial. */
#define CRC32_POLY 0xedb88320u

/**
 * struct device_state_xfer - one transfer in progress (or finished and not
 * yet checked)
 * @dev:    device
 * @ev:     watches @fd for the next read or write
 * @fd:     our end of the channel, -1 once closed
 * @dir:    DEVICE_STATE_DIR_SAVE or _LOAD
 * @done:   the transfer ended; @result says how
 * @result: 0 or a negative errno
 * @len:    save: bytes to write; load: bytes read so far
 * @off:    save: bytes written so far
 * @buf:    the blob
 */
struct device_state_xfer {
	struct vu_dev *dev;
	struct event *ev;
	int fd;
	uint32_t dir;
	bool done;
	int result;
	size_t len;
	size_t off;
	uint8_t buf[DEVICE_STATE_MAX];
};

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)v);
	put16(p + 2, (uint16_t)(v >> 16));
}

static void put64(uint8_t *p, uint64_t v)
{
	put32(p, (uint32_t)v);
	put32(p + 4, (uint32_t)(v >> 32));
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t get32(const uint8_t *p)
{
	return get16(p) | (uint32_t)get16(p + 2) << 16;
}

static uint64_t get64(const uint8_t *p)
{
	return get32(p) | (uint64_t)get32(p + 4) << 32;
}

/**
 * crc32() - CRC-32 of @len bytes, bit by bit (a kilobyte per migration)
 * Return: the CRC.
 */
static uint32_t crc32(const uint8_t *p, size_t len)
{
	uint32_t crc = 0xffffffffu;

	while (len--) {
		crc ^= *p++;
		for (int k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (CRC32_POLY & (0u - (crc & 1)));
	}
	return ~crc;
}

/**
 * device_state_size() - bytes of the blob for @nrings rings
 * Return: the size.
 */
size_t device_state_size(unsigned int nrings)
{
	return DEVICE_STATE_HDR_LEN + DEVICE_STATE_BODY_FIXED +
	       (size_t)nrings * DEVICE_STATE_RING_LEN + DEVICE_STATE_CRC_LEN;
}

/* Features that describe the migration, not the guest: not carried over. */
static uint64_t guest_features(uint64_t features)
{
	return features & ~(1ull << VHOST_F_LOG_ALL);
}

/**
 * device_state_encode() - serialise the device's state
 * @dev: device, suspended (ring->base holds each ring's next avail index)
 * @buf: output
 * @cap: bytes at @buf
 *
 * Return: bytes written, or 0 if @cap is too small.
 */
size_t device_state_encode(const struct vu_dev *dev, uint8_t *buf, size_t cap)
{
	size_t len = device_state_size(dev->nrings);
	uint8_t *p = buf + DEVICE_STATE_HDR_LEN;

	if (cap < len)
		return 0;
	memset(buf, 0, len);
	memcpy(buf, DEVICE_STATE_MAGIC, DEVICE_STATE_MAGIC_LEN);
	put32(buf + 8, DEVICE_STATE_VERSION);
	put32(buf + 12, (uint32_t)(len - DEVICE_STATE_HDR_LEN - DEVICE_STATE_CRC_LEN));
	put64(p, guest_features(dev->features));
	put64(p + 8, dev->protocol_features);
	put16(p + 16, dev->mtu);
	put16(p + 18, (uint16_t)dev->nrings);
	p += DEVICE_STATE_BODY_FIXED;
	for (unsigned int i = 0; i < dev->nrings; i++, p += DEVICE_STATE_RING_LEN) {
		const struct vu_ring *ring = &dev->rings[i];

		put16(p, ring->base);
		put16(p + 2, (uint16_t)ring->num);
		p[4] = ring->enabled ? DEVICE_STATE_RING_ENABLED : 0;
	}
	put32(p, crc32(buf, len - DEVICE_STATE_CRC_LEN));
	return len;
}

/**
 * check_header() - magic, version, length and CRC of a blob
 * @buf: the blob
 * @len: its bytes
 *
 * Return: 0, -EINVAL (not ours, truncated or padded), -EPROTONOSUPPORT
 * (a version we do not know), -EBADMSG (CRC mismatch).
 */
static int check_header(const uint8_t *buf, size_t len)
{
	uint32_t version, body;

	if (len < DEVICE_STATE_HDR_LEN + DEVICE_STATE_CRC_LEN ||
	    memcmp(buf, DEVICE_STATE_MAGIC, DEVICE_STATE_MAGIC_LEN)) {
		log_warn("device state: not a vuring device state (%zu bytes)", len);
		return -EINVAL;
	}
	version = get32(buf + 8);
	if (version != DEVICE_STATE_VERSION) {
		log_warn("device state: version %u, this vuring reads version %u", version,
			 DEVICE_STATE_VERSION);
		return -EPROTONOSUPPORT;
	}
	body = get32(buf + 12);
	if (body != len - DEVICE_STATE_HDR_LEN - DEVICE_STATE_CRC_LEN) {
		log_warn("device state: header says %u body bytes, %zu arrived", body,
			 len - DEVICE_STATE_HDR_LEN - DEVICE_STATE_CRC_LEN);
		return -EINVAL;
	}
	if (get32(buf + len - DEVICE_STATE_CRC_LEN) != crc32(buf, len - DEVICE_STATE_CRC_LEN)) {
		log_warn("device state: CRC mismatch");
		return -EBADMSG;
	}
	return 0;
}

/**
 * check_body() - the v1 body against this device
 * @dev: the destination device
 * @p:   first body byte
 * @len: body bytes (already matched against the header)
 *
 * Return: 0; -EINVAL for a malformed body; -ERANGE for more rings or a
 * larger MTU than we serve; -EOPNOTSUPP for features we do not offer;
 * -EBUSY when a ring runs (the device must be suspended).
 */
static int check_body(const struct vu_dev *dev, const uint8_t *p, size_t len)
{
	unsigned int nrings, mtu;
	uint64_t features;

	if (len < DEVICE_STATE_BODY_FIXED)
		goto malformed;
	nrings = get16(p + 18);
	if (len != DEVICE_STATE_BODY_FIXED + (size_t)nrings * DEVICE_STATE_RING_LEN ||
	    get32(p + 20))
		goto malformed;
	features = get64(p);
	if (features & ~dev->features_offered) {
		log_warn("device state: the guest uses features %#llx this vuring does not offer",
			 (unsigned long long)(features & ~dev->features_offered));
		return -EOPNOTSUPP;
	}
	mtu = get16(p + 16);
	if (nrings > dev->nrings ||
	    (mtu && (mtu < VU_MTU_MIN || (dev->conf->mtu && mtu > dev->conf->mtu)))) {
		log_warn("device state: %u rings, MTU %u; this vuring serves %u rings, MTU %u",
			 nrings, mtu, dev->nrings, dev->conf->mtu);
		return -ERANGE;
	}
	p += DEVICE_STATE_BODY_FIXED;
	for (unsigned int i = 0; i < nrings; i++, p += DEVICE_STATE_RING_LEN) {
		unsigned int num = get16(p + 2);

		if ((num & (num - 1)) || (p[4] & ~DEVICE_STATE_RING_ENABLED) || p[5] || p[6] ||
		    p[7])
			goto malformed;
		if (dev->rings[i].started) {
			log_warn("device state: ring %u runs; load needs a suspended device", i);
			return -EBUSY;
		}
	}
	return 0;

malformed:
	log_warn("device state: malformed body (%zu bytes)", len);
	return -EINVAL;
}

/**
 * device_state_decode() - check a blob, then apply it to the device
 * @dev: the destination device, suspended
 * @buf: the blob
 * @len: its bytes
 *
 * Nothing is applied unless all of it is valid. Ring bases and sizes and
 * the MTU become the device's until the front-end sends its own.
 *
 * Return: 0, or the negative errno of check_header()/check_body().
 */
int device_state_decode(struct vu_dev *dev, const uint8_t *buf, size_t len)
{
	const uint8_t *p = buf + DEVICE_STATE_HDR_LEN;
	unsigned int nrings;
	int r = check_header(buf, len);

	if (!r)
		r = check_body(dev, p, len - DEVICE_STATE_HDR_LEN - DEVICE_STATE_CRC_LEN);
	if (r)
		return r;
	nrings = get16(p + 18);
	dev->mtu = get16(p + 16);
	p += DEVICE_STATE_BODY_FIXED;
	for (unsigned int i = 0; i < nrings; i++, p += DEVICE_STATE_RING_LEN) {
		dev->rings[i].base = get16(p);
		if (get16(p + 2))
			dev->rings[i].num = get16(p + 2);
	}
	log_info("device state loaded: features %#llx, %u rings, MTU %u",
		 (unsigned long long)get64(buf + DEVICE_STATE_HDR_LEN), nrings, dev->mtu);
	return 0;
}

/* Close the channel and record how the transfer ended. */
static void xfer_finish(struct device_state_xfer *x, int result)
{
	if (x->ev)
		event_del(x->ev);
	if (x->fd >= 0)
		close(x->fd);
	x->fd = -1;
	x->done = true;
	x->result = result;
}

/**
 * xfer_write() - write as much of the blob as the channel takes
 * @x: a save transfer
 *
 * Closing our end after the last byte is the spec's end-of-data mark.
 */
static void xfer_write(struct device_state_xfer *x)
{
	while (!x->done && x->off < x->len) {
		ssize_t n = write(x->fd, x->buf + x->off, x->len - x->off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		if (n <= 0) {
			log_warn("device state: save: write: %s", n < 0 ? strerror(errno) : "nothing written");
			xfer_finish(x, n < 0 ? -errno : -EIO);
			return;
		}
		x->off += (size_t)n;
	}
	if (!x->done) {
		log_info("device state saved (%zu bytes)", x->len);
		xfer_finish(x, 0);
	}
}

/**
 * xfer_read() - read what the channel has; at EOF, decode and apply
 * @x: a load transfer
 */
static void xfer_read(struct device_state_xfer *x)
{
	while (!x->done) {
		/* One byte of room past the largest blob tells "too long" from "full". */
		uint8_t extra;
		bool full = x->len == sizeof(x->buf);
		ssize_t n = full ? read(x->fd, &extra, 1) : read(x->fd, x->buf + x->len,
								  sizeof(x->buf) - x->len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		if (n < 0) {
			log_warn("device state: load: read: %s", strerror(errno));
			xfer_finish(x, -errno);
		} else if (n == 0) {
			xfer_finish(x, device_state_decode(x->dev, x->buf, x->len));
		} else if (full) {
			log_warn("device state: load: more than %zu bytes", sizeof(x->buf));
			xfer_finish(x, -EFBIG);
		} else {
			x->len += (size_t)n;
		}
	}
}

static void xfer_on_io(evutil_socket_t fd, short what, void *arg)
{
	struct device_state_xfer *x = arg;

	(void)fd;
	(void)what;
	if (x->dir == DEVICE_STATE_DIR_SAVE)
		xfer_write(x);
	else
		xfer_read(x);
}

/**
 * device_state_reset() - drop any transfer (disconnect, reset, a new one)
 * @dev: device
 */
void device_state_reset(struct vu_dev *dev)
{
	struct device_state_xfer *x = dev->dstate;

	if (!x)
		return;
	if (x->fd >= 0)
		close(x->fd);
	if (x->ev)
		event_free(x->ev);
	free(x);
	dev->dstate = NULL;
}

/* The reply's error byte: a positive errno, 255 at most, never 0. */
static uint64_t reply_error(int err)
{
	return DEVICE_STATE_REPLY_NOFD | (uint64_t)(err > 0 && err < 255 ? err : 255);
}

/**
 * check_request() - may a transfer start?
 * @dev: device
 * @direction: DEVICE_STATE_DIR_*
 * @phase: DEVICE_STATE_PHASE_*
 *
 * Return: 0 or a positive errno (the reply's error byte).
 */
static int check_request(const struct vu_dev *dev, uint32_t direction, uint32_t phase)
{
	if (!vu_dev_has_protocol_feature(dev, VHOST_USER_PROTOCOL_F_DEVICE_STATE)) {
		log_warn("SET_DEVICE_STATE_FD without the DEVICE_STATE protocol feature");
		return EPROTO;
	}
	if (direction > DEVICE_STATE_DIR_LOAD || phase != DEVICE_STATE_PHASE_STOPPED) {
		log_warn("SET_DEVICE_STATE_FD: direction %u phase %u not supported", direction,
			 phase);
		return EINVAL;
	}
	for (unsigned int i = 0; i < dev->nrings; i++) {
		if (dev->rings[i].started) {
			log_warn("SET_DEVICE_STATE_FD: ring %u runs; the device must be suspended", i);
			return EBUSY;
		}
	}
	return 0;
}

/**
 * device_state_set_fd() - SET_DEVICE_STATE_FD: start saving or loading
 * @dev:       device
 * @direction: DEVICE_STATE_DIR_SAVE (source) or _LOAD (destination)
 * @phase:     must be DEVICE_STATE_PHASE_STOPPED
 * @fd:        the front-end's end of the channel; taken in every case
 *
 * A refusal is the front-end's to handle (QEMU fails the migration), so it
 * does not break the device. We never offer a channel of our own.
 *
 * Return: the reply: DEVICE_STATE_REPLY_NOFD, plus an error byte if refused.
 */
uint64_t device_state_set_fd(struct vu_dev *dev, uint32_t direction, uint32_t phase, int fd)
{
	struct device_state_xfer *x;
	int err = check_request(dev, direction, phase), fl;

	device_state_reset(dev);
	if (err)
		goto refuse;
	fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0) {
		err = errno;
		goto refuse;
	}
	x = calloc(1, sizeof(*x));
	if (!x) {
		err = ENOMEM;
		goto refuse;
	}
	x->dev = dev;
	x->fd = fd;
	x->dir = direction;
	x->ev = event_new(dev->base, fd, (direction == DEVICE_STATE_DIR_SAVE ? EV_WRITE : EV_READ) |
			  EV_PERSIST, xfer_on_io, x);
	if (!x->ev || event_add(x->ev, NULL) < 0) {
		if (x->ev)
			event_free(x->ev);
		free(x);
		err = ENOMEM;
		goto refuse;
	}
	dev->dstate = x;
	if (direction == DEVICE_STATE_DIR_SAVE) {
		x->len = device_state_encode(dev, x->buf, sizeof(x->buf));
		xfer_write(x);
	}
	return DEVICE_STATE_REPLY_NOFD;

refuse:
	close(fd);
	return reply_error(err);
}

/**
 * device_state_check() - CHECK_DEVICE_STATE: did the transfer succeed?
 * @dev: device
 *
 * The front-end asks once it saw our EOF (save) or closed its end (load),
 * so whatever is left can be finished here without waiting. The transfer
 * is forgotten afterwards.
 *
 * Return: 0 for success, else a positive errno (EINVAL without a transfer,
 * EPIPE for one the front-end left unfinished).
 */
uint64_t device_state_check(struct vu_dev *dev)
{
	struct device_state_xfer *x = dev->dstate;
	int r;

	if (!x) {
		log_warn("CHECK_DEVICE_STATE without a transfer");
		return EINVAL;
	}
	if (!x->done)
		xfer_on_io(x->fd, 0, x);
	if (!x->done) {
		log_warn("CHECK_DEVICE_STATE: the transfer has not ended (%zu bytes so far)",
			 x->dir == DEVICE_STATE_DIR_SAVE ? x->off : x->len);
		xfer_finish(x, -EPIPE);
	}
	r = x->result;
	device_state_reset(dev);
	return r ? (uint64_t)-r : 0;
}
