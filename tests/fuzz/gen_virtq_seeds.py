#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Write the seed corpus for fuzz_virtq (tests/fuzz/virtq-corpus/).

Input format (see fuzz_virtq.c):
  hdr: u8 num_log2, u8 flags (1 EVENT_IDX, 2 INDIRECT, 4 LOG, dir in bits 3-4),
       u8 iov_cap, u8 nops, u16 last_avail, u16 pad
  script: nops bytes; op & 7 = 0 pop (arg+1), 1 push, 2 flush, 3 unpop,
          4 should_notify (odd arg: has_avail), 5 disable, 6 enable, 7 scribble (2 more bytes)
  image: guest memory from file offset 0 (GPA 0 = region 0)
Rings: desc at GPA 0, avail right after, used after that (4-aligned).

Usage: gen_virtq_seeds.py OUTDIR
"""
import os
import struct
import sys

F_NEXT, F_WRITE, F_INDIRECT = 1, 2, 4
POP, PUSH, FLUSH, UNPOP, NOTIFY, DISABLE, ENABLE = 0, 1, 2, 3, 4, 5, 6


def op(code, arg=0):
    return bytes([code | (arg << 3)])


class Seed:
    def __init__(self, num_log2=3, flags=0, iov_cap=63, last_avail=0):
        self.num = 1 << num_log2
        self.hdr = [num_log2, flags, iov_cap, last_avail]
        self.image = bytearray(0x900)
        self.avail = 16 * self.num
        self.used = (self.avail + 6 + 2 * self.num + 3) & ~3
        self.avail_idx = last_avail
        struct.pack_into("<H", self.image, self.used + 2, last_avail)

    def desc(self, table, i, addr, length, flags=0, nxt=0):
        struct.pack_into("<QIHH", self.image, table + 16 * i, addr, length, flags, nxt)

    def put(self, head):
        struct.pack_into("<H", self.image, self.avail + 4 + 2 * (self.avail_idx % self.num), head)
        self.avail_idx = (self.avail_idx + 1) & 0xFFFF
        struct.pack_into("<H", self.image, self.avail + 2, self.avail_idx)

    def bytes(self, script):
        n, flags, cap, last = self.hdr
        return struct.pack("<BBBBHH", n, flags, cap, len(script), last, 0) + script + self.image


def seeds():
    drain = op(POP, 7) + op(PUSH) + op(PUSH, 1) + op(FLUSH) + op(NOTIFY)

    s = Seed()
    s.desc(0, 0, 0x1000, 64)
    s.put(0)
    yield "direct-1", s.bytes(drain)

    s = Seed(flags=4)
    s.desc(0, 0, 0x1000, 12, F_NEXT, 1)
    s.desc(0, 1, 0x1f80, 0x100, F_NEXT, 2)      # crosses region 0 -> 1
    s.desc(0, 2, 0x3000, 1514, F_WRITE)
    s.put(0)
    yield "direct-3-cross", s.bytes(drain)

    s = Seed(flags=2)
    table = 0x800
    s.desc(table, 0, 0x1000, 12, F_NEXT, 1)
    s.desc(table, 1, 0x1100, 200, F_NEXT, 2)
    s.desc(table, 2, 0x2000, 2048, F_WRITE)
    s.desc(0, 0, table, 48, F_INDIRECT)
    s.put(0)
    yield "indirect-3", s.bytes(drain)

    s = Seed(flags=1 | 2)
    for i in range(6):
        s.desc(0, i, 0x1000 + 0x100 * i, 0x100, F_WRITE)
        s.put(i)
    script = (op(DISABLE) + op(POP, 3) + op(PUSH, 2) + op(UNPOP, 1) + op(FLUSH) +
              op(ENABLE) + op(POP, 7) + op(PUSH) + op(PUSH) + op(PUSH) + op(FLUSH) +
              op(NOTIFY) + op(PUSH) + op(PUSH) + op(FLUSH) + op(NOTIFY))
    yield "event-idx-unpop", s.bytes(script)

    s = Seed(num_log2=2, flags=1, last_avail=65534)
    for i in range(4):
        s.desc(0, i, 0x1000 + 0x40 * i, 0x40)
        s.put(i)
    yield "wrap", s.bytes(drain + drain)

    s = Seed(flags=1 << 3)   # device-read queue
    s.desc(0, 0, 0x6ff8, 0x20)  # regions 2 -> 3 -> 4 (tiny, unaligned)
    s.put(0)
    yield "tiny-regions", s.bytes(drain)

    s = Seed()
    s.put(9)
    yield "bad-head", s.bytes(drain)

    s = Seed(flags=2)
    s.desc(0, 0, 0x1000, 8, F_NEXT, 1)
    s.desc(0, 1, 0x1010, 8, F_NEXT, 0)
    s.put(0)
    yield "loop", s.bytes(drain)

    s = Seed(flags=2)
    s.desc(0, 0, 0x1000, 64)
    s.put(0)
    scribble = bytes([7, 0x10, 0x05])   # rewrite a byte of desc 0 mid-run
    yield "scribble", s.bytes(scribble + drain)


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    for name, data in seeds():
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()
