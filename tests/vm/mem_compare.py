#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""mem_compare.py PID_A PID_B [DIR]: compare the guest RAM of two paused QEMUs.

Each QEMU of tests/vm/lib.sh keeps all guest RAM in one memfd
(memory-backend-memfd, id=mem), so file offset = guest-physical address for
guests below 4 GiB. After a migration both copies must be byte for byte the
same; a page that differs was written on the source without being marked
dirty (or written after the final sync). Prints one summary line and up to
MAX_LISTED differing page addresses (with DIR, the first MAX_DETAILED pages of
both sides are saved there as ADDR.a and ADDR.b, for a closer look); exit status 0 when equal, 1 when pages
differ, 2 when the memory cannot be found.
"""
import mmap
import os
import sys

PAGE = 4096
# Enough addresses to tell a used ring from RX buffers, short enough for a log.
MAX_LISTED = 16
# Pages whose differing byte ranges are shown (on stdout after the summary).
MAX_DETAILED = 4


def spans(x, y):
    """The byte ranges where x and y differ, as "start-end" offsets."""
    out, start = [], None
    for i in range(len(x) + 1):
        same = i == len(x) or x[i] == y[i]
        if not same and start is None:
            start = i
        elif same and start is not None:
            out.append("%#x-%#x" % (start, i - 1))
            start = None
    return " ".join(out[:8]) + (" ..." if len(out) > 8 else "")


def ram_fd_path(pid):
    """The /proc path of QEMU's guest-RAM memfd, the largest memfd it holds."""
    best, best_size = None, -1
    fd_dir = "/proc/%d/fd" % pid
    for fd in os.listdir(fd_dir):
        path = os.path.join(fd_dir, fd)
        try:
            target = os.readlink(path)
        except OSError:
            continue
        if not target.startswith("/memfd:mem"):
            continue
        size = os.stat(path).st_size
        if size > best_size:
            best, best_size = path, size
    return best


def qemu_pid(pid):
    """PID itself if it is QEMU, else its QEMU child (timeout(1) wraps it)."""
    for _ in range(3):
        with open("/proc/%d/comm" % pid) as f:
            if f.read().startswith("qemu"):
                return pid
        children = open("/proc/%d/task/%d/children" % (pid, pid)).read().split()
        if not children:
            break
        pid = int(children[0])
    return pid


def main():
    paths = [ram_fd_path(qemu_pid(int(p))) for p in sys.argv[1:3]]
    if len(paths) != 2 or None in paths:
        print("guest memory not found: %s" % paths)
        return 2
    with open(paths[0], "rb") as fa, open(paths[1], "rb") as fb:
        size = os.fstat(fa.fileno()).st_size
        if os.fstat(fb.fileno()).st_size != size:
            print("guest memory sizes differ")
            return 1
        a = mmap.mmap(fa.fileno(), size, prot=mmap.PROT_READ)
        b = mmap.mmap(fb.fileno(), size, prot=mmap.PROT_READ)
        diff = []
        # Compare in 1 MiB steps, then page by page where a step differs.
        step = 256 * PAGE
        for off in range(0, size, step):
            if a[off:off + step] == b[off:off + step]:
                continue
            for p in range(off, min(off + step, size), PAGE):
                if a[p:p + PAGE] != b[p:p + PAGE]:
                    diff.append(p)
        print("%d of %d pages differ%s" % (len(diff), size // PAGE,
              (": " + " ".join("%#x" % p for p in diff[:MAX_LISTED])) if diff else ""))
        for p in diff[:MAX_DETAILED]:
            print("  %#x: %s" % (p, spans(a[p:p + PAGE], b[p:p + PAGE])))
            if len(sys.argv) > 3:
                for side, m in (("a", a), ("b", b)):
                    with open(os.path.join(sys.argv[3], "%#x.%s" % (p, side)), "wb") as f:
                        f.write(m[p:p + PAGE])
    return 1 if diff else 0


if __name__ == "__main__":
    sys.exit(main())
