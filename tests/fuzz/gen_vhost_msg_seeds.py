#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Write the seed corpus for fuzz_vhost_msg (tests/fuzz/vhost_msg-corpus/).

Input format (see fuzz_vhost_msg.c): chunks of
  u8 ctl (bits 0-3 fd count, bits 4-5 fd kind: 0 eventfd, 1 memfd of 64 KiB,
          2 pipe, 3 memfd of 4 KiB; bit 7 kick every eventfd afterwards)
  u16 len (little endian), then len bytes sent with one sendmsg().
Each seed is a session a real front-end could have, so mutations start deep
inside the protocol.

Usage: gen_vhost_msg_seeds.py OUTDIR
"""
import os
import struct
import sys

VERSION, NEED_REPLY = 1, 1 << 3
(GET_FEATURES, SET_FEATURES, SET_OWNER, RESET_OWNER, SET_MEM_TABLE, SET_LOG_BASE,
 SET_LOG_FD, SET_VRING_NUM, SET_VRING_ADDR, SET_VRING_BASE, GET_VRING_BASE,
 SET_VRING_KICK, SET_VRING_CALL, SET_VRING_ERR, GET_PROTOCOL_FEATURES,
 SET_PROTOCOL_FEATURES, GET_QUEUE_NUM, SET_VRING_ENABLE, SEND_RARP,
 NET_SET_MTU) = range(1, 21)
RESET_DEVICE, GET_MAX_MEM_SLOTS, ADD_MEM_REG, REM_MEM_REG = 34, 36, 37, 38
SET_STATUS, GET_STATUS = 39, 40
SET_DEVICE_STATE_FD, CHECK_DEVICE_STATE = 42, 43
DEVICE_STATE = 1 << 19

EVENTFD, MEMFD, PIPE, SHORT = 0, 1, 2, 3
KICK = 0x80
PROTOCOL = (1 << 0) | (1 << 1) | (1 << 2) | (1 << 3) | (1 << 4) | (1 << 13) | (1 << 15) | (1 << 16)
FEATURES = (1 << 32) | (1 << 30) | (1 << 29) | (1 << 28) | (1 << 22) | (1 << 15)
UVA, MEM_SIZE, RING_NUM, RING_STRIDE = 0x100000, 0x10000, 64, 0x2000


def msg(req, payload=b"", flags=VERSION):
    return struct.pack("<III", req, flags, len(payload)) + payload


def u64(v):
    return struct.pack("<Q", v)


def state(index, num):
    return struct.pack("<II", index, num)


def region(gpa, size, uva, off):
    return struct.pack("<QQQQ", gpa, size, uva, off)


class Session:
    def __init__(self, reply_ack=False):
        self.out = b""
        self.flags = VERSION | (NEED_REPLY if reply_ack else 0)

    def send(self, data, nfds=0, kind=EVENTFD, kick=False):
        ctl = nfds | (kind << 4) | (KICK if kick else 0)
        self.out += bytes([ctl]) + struct.pack("<H", len(data)) + data

    def req(self, req, payload=b"", nfds=0, kind=EVENTFD, kick=False):
        self.send(msg(req, payload, self.flags), nfds, kind, kick)

    def get(self, req, payload=b""):
        self.send(msg(req, payload))

    def negotiate(self):
        self.get(GET_FEATURES)
        self.get(GET_PROTOCOL_FEATURES)
        self.send(msg(SET_PROTOCOL_FEATURES, u64(PROTOCOL)))
        self.get(GET_QUEUE_NUM)
        self.get(GET_MAX_MEM_SLOTS)
        self.req(SET_OWNER)
        self.req(SET_FEATURES, u64(FEATURES))

    def rings(self, n):
        for i in range(n):
            base = UVA + i * RING_STRIDE
            self.req(SET_VRING_NUM, state(i, RING_NUM))
            self.req(SET_VRING_BASE, state(i, 0))
            self.req(SET_VRING_ADDR, struct.pack("<IIQQQQ", i, 0, base, base + 0x800,
                                                 base + 0x400, 0))
            self.req(SET_VRING_KICK, u64(i), 1)
            self.req(SET_VRING_CALL, u64(i), 1)
            self.req(SET_VRING_ENABLE, state(i, 1))

    def stop(self, n):
        for i in range(n):
            self.get(GET_VRING_BASE, state(i, 0))


def handshake(reply_ack, add_mem_reg):
    s = Session(reply_ack)
    s.negotiate()
    if add_mem_reg:
        s.req(ADD_MEM_REG, u64(0) + region(0, MEM_SIZE, UVA, 0), 1, MEMFD)
    else:
        s.req(SET_MEM_TABLE, struct.pack("<II", 1, 0) + region(0, MEM_SIZE, UVA, 0), 1, MEMFD)
    s.rings(4)
    s.req(SET_STATUS, u64(0xf), kick=True)
    s.get(GET_STATUS)
    s.stop(4)
    return s.out


def extras():
    s = Session(True)
    s.negotiate()
    s.req(SET_MEM_TABLE, struct.pack("<II", 1, 0) + region(0, MEM_SIZE, UVA, 0), 1, MEMFD)
    s.rings(2)
    s.req(SET_STATUS, u64(7), kick=True)
    s.send(msg(SET_LOG_BASE, struct.pack("<QQ", 0x1000, 0), s.flags), 1, MEMFD)
    s.req(SET_LOG_FD, b"", 1)
    s.req(SET_FEATURES, u64(FEATURES | (1 << 26) | (1 << 3)))
    s.req(NET_SET_MTU, u64(1500))
    s.req(SEND_RARP, bytes([0x52, 0x54, 0, 0x12, 0x34, 0x56, 0, 0]))
    s.req(ADD_MEM_REG, u64(0) + region(0x100000, 0x1000, 0x400000, 0), 1, SHORT)
    s.req(REM_MEM_REG, u64(0) + region(0x100000, 0x1000, 0x400000, 0))
    s.req(SET_VRING_ERR, u64(1 | (1 << 8)))
    s.req(RESET_OWNER)
    s.req(RESET_DEVICE)
    s.rings(2)
    s.stop(2)
    return s.out


def device_state():
    """Suspend, then save and load the device state through pipes."""
    s = Session(True)
    s.negotiate()
    s.send(msg(SET_PROTOCOL_FEATURES, u64(PROTOCOL | DEVICE_STATE)))
    s.req(SET_MEM_TABLE, struct.pack("<II", 1, 0) + region(0, MEM_SIZE, UVA, 0), 1, MEMFD)
    s.rings(2)
    s.req(SET_STATUS, u64(0xf), kick=True)
    s.stop(2)
    for direction in (0, 1):
        s.send(msg(SET_DEVICE_STATE_FD, struct.pack("<II", direction, 0)), 1, PIPE)
        s.get(CHECK_DEVICE_STATE)
    return s.out


def malformed():
    s = Session(True)
    s.negotiate()
    s.req(99)                                              # unknown: NACK
    s.req(SET_MEM_TABLE, struct.pack("<II", 8, 0) + region(0, MEM_SIZE, UVA, 0) * 8,
          10, MEMFD)                                       # fd overflow
    return s.out


def split_message():
    s = Session(False)
    m = msg(SET_FEATURES, u64(FEATURES))
    s.send(m[:5])
    s.send(m[5:14])
    s.send(m[14:])
    s.get(GET_FEATURES)
    return s.out


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    seeds = {
        "handshake": handshake(False, False),
        "handshake-reply-ack": handshake(True, False),
        "handshake-add-mem-reg": handshake(True, True),
        "extras": extras(),
        "malformed": malformed(),
        "device-state": device_state(),
        "split-message": split_message(),
    }
    for name, data in seeds.items():
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()
