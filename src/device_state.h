/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * device_state.h - vuring's own state in the front-end's migration stream
 * (VHOST_USER_PROTOCOL_F_DEVICE_STATE: SET_DEVICE_STATE_FD and
 * CHECK_DEVICE_STATE).
 *
 * The blob, all integers little-endian:
 *
 *   header  magic "VURINGDS" (8 bytes), version (u32), body length (u32)
 *   body    v1: acked features (u64), acked protocol features (u64),
 *           MTU (u16), ring count N (u16), flags (u32, 0), then N ring
 *           records: next avail index (u16), size (u16), flags (u8: bit 0
 *           enabled, bit 1 kicked), 3 zero bytes
 *   trailer CRC-32 (IEEE) of header and body (u32)
 *
 * A reader refuses another magic, a version it does not know, a length
 * that does not match the ring count, a bad CRC, non-zero reserved bits,
 * more rings than it serves, and features it cannot offer.
 */
#ifndef VURING_DEVICE_STATE_H
#define VURING_DEVICE_STATE_H

#include <stddef.h>
#include <stdint.h>

struct vu_dev;

#define DEVICE_STATE_MAGIC	"VURINGDS"
#define DEVICE_STATE_MAGIC_LEN	8
#define DEVICE_STATE_VERSION	1
#define DEVICE_STATE_HDR_LEN	16
#define DEVICE_STATE_BODY_FIXED	24
#define DEVICE_STATE_RING_LEN	8
#define DEVICE_STATE_CRC_LEN	4

/* Ring record flags. */
#define DEVICE_STATE_RING_ENABLED	0x01
#define DEVICE_STATE_RING_KICKED	0x02

/* SET_DEVICE_STATE_FD's parameters (spec: "Device state transfer parameters"). */
#define DEVICE_STATE_DIR_SAVE	0
#define DEVICE_STATE_DIR_LOAD	1
#define DEVICE_STATE_PHASE_STOPPED 0

/* SET_DEVICE_STATE_FD reply: bits 0-7 an error, bit 8 "no fd returned". */
#define DEVICE_STATE_REPLY_ERR_MASK	0xffull
#define DEVICE_STATE_REPLY_NOFD		(1ull << 8)

uint64_t device_state_set_fd(struct vu_dev *dev, uint32_t direction, uint32_t phase, int fd);
uint64_t device_state_check(struct vu_dev *dev);
void device_state_reset(struct vu_dev *dev);

/* The blob itself, for the transfer and for tests. */
size_t device_state_size(unsigned int nrings);
size_t device_state_encode(const struct vu_dev *dev, uint8_t *buf, size_t cap);
int device_state_decode(struct vu_dev *dev, const uint8_t *buf, size_t len);

#endif
