#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""fdstore_supervisor.py - plays systemd's part for one service: the notify
socket, the file descriptor store, and restarts that hand the stored fds back.

Usage: fdstore_supervisor.py [options] CONTROL LOG -- COMMAND [ARGS...]

  --fdstore-max N     FileDescriptorStoreMax= (also given to the child as
                      $FDSTORE, as systemd 254 and later do); default 1024
  --child-log PREFIX  the child's stdout and stderr go to PREFIX-N.log, N
                      counting starts from 0
  --stop-timeout S    TimeoutStopSec=: SIGKILL a child that has not exited S
                      seconds after SIGTERM (default 10)

What systemd documents for these, and what this does:
  - NOTIFY_SOCKET: a datagram socket; READY=1, STATUS=..., STOPPING=1 are
    logged. FDSTORE=1 with FDNAME=NAME keeps the fds that came with the
    message under NAME (several may share a name; beyond the maximum they
    are refused and closed). An fd for a file the store already holds (the
    same open file, compared with kcmp() as systemd does) is dropped and
    logged as DUPLICATE: the store keeps one copy under its first name. FDSTOREREMOVE=1 with FDNAME=NAME closes and
    forgets every fd of that name. A stored fd that reports POLLHUP or
    POLLERR is dropped by itself (systemd does so for pollable fds).
  - On (re)start the child gets the stored fds from fd 3 on, with
    LISTEN_FDS, LISTEN_PID and LISTEN_FDNAMES (colon-separated names).
  - A restart (SIGTERM or SIGKILL) keeps the store. Messages the child sent
    before it died are all handled before the next start.

CONTROL is a FIFO the test writes commands to, one per line:
  restart SIGNAL   kill the child with SIGNAL (TERM, KILL, ...), wait for it
                   (TERM: up to the stop timeout, then KILL), start it again
  stop             SIGTERM the child, wait, exit (the store is closed)
  dump             log the names in the store
  corrupt NAME     overwrite the stored file NAME with zeros (a damaged
                   record, for tests of what the child does with one)

LOG gets one line per event, each starting with a time (seconds, monotonic
clock): START n pid fds names, READY pid, STORE name, REMOVE name count,
HUP name, EXIT pid status, STATUS pid text, DUMP names.
"""
import argparse
import array
import ctypes
import fcntl
import os
import select
import signal
import socket
import sys
import tempfile
import time

MAX_DATAGRAM = 4096
SYS_KCMP = 312  # x86_64
KCMP_FILE = 0
LIBC = ctypes.CDLL(None, use_errno=True)


def same_file(a, b):
    """True if fds a and b are the same open file (kcmp; False if unknown)."""
    pid = os.getpid()
    return LIBC.syscall(SYS_KCMP, pid, pid, KCMP_FILE, a, b) == 0
# sd_notify sends at most a few fds per message (we send one).
MAX_FDS_PER_MSG = 16
CREDS_SIZE = 12


class Supervisor:
    def __init__(self, args):
        self.args = args
        self.log = open(args.log, "a", buffering=1)
        self.store = []  # (name, fd), in the order stored
        self.child = None
        self.starts = 0
        self.tmpdir = tempfile.mkdtemp(prefix="fdstore-sup.")
        self.notify_path = os.path.join(self.tmpdir, "notify")
        self.notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.notify.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
        self.notify.bind(self.notify_path)
        self.control = os.open(args.control, os.O_RDWR | os.O_NONBLOCK)
        self.control_buf = b""

    def event(self, text):
        self.log.write(f"{time.monotonic():.3f} {text}\n")

    # ---------------------------------------------------------- notify socket
    def handle_datagram(self):
        data, ancdata, _, _ = self.notify.recvmsg(
            MAX_DATAGRAM, socket.CMSG_SPACE(MAX_FDS_PER_MSG * 4) + socket.CMSG_SPACE(CREDS_SIZE))
        fds, pid = [], 0
        for level, kind, payload in ancdata:
            if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
                a = array.array("i")
                a.frombytes(payload[: len(payload) - len(payload) % a.itemsize])
                fds.extend(a)
            elif level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS:
                pid = int.from_bytes(payload[:4], sys.byteorder)
        fields = {}
        for line in data.decode("utf-8", "replace").splitlines():
            if "=" in line:
                key, value = line.split("=", 1)
                fields[key] = value
        if fields.get("FDSTORE") == "1":
            self.store_fds(fields.get("FDNAME", "stored"), fds)
            fds = []
        if fields.get("FDSTOREREMOVE") == "1":
            self.remove(fields.get("FDNAME", ""))
        if fields.get("READY") == "1":
            self.event(f"READY {pid}")
        if "STATUS" in fields:
            self.event(f"STATUS {pid} {fields['STATUS']}")
        if fields.get("STOPPING") == "1":
            self.event(f"STOPPING {pid}")
        for fd in fds:  # fds nobody asked us to keep
            os.close(fd)

    def store_fds(self, name, fds):
        for fd in fds:
            if len(self.store) >= self.args.fdstore_max:
                self.event(f"FULL {name}")
                os.close(fd)
                continue
            dup = [n for n, f in self.store if same_file(fd, f)]
            if dup:
                self.event(f"DUPLICATE {name} {dup[0]}")
                os.close(fd)
                continue
            os.set_inheritable(fd, False)
            self.store.append((name, fd))
            self.event(f"STORE {name}")

    def remove(self, name):
        keep, gone = [], 0
        for n, fd in self.store:
            if n == name:
                os.close(fd)
                gone += 1
            else:
                keep.append((n, fd))
        self.store = keep
        self.event(f"REMOVE {name} {gone}")

    def drop_hung_up(self):
        if not self.store:
            return
        poller = select.poll()
        for _, fd in self.store:
            poller.register(fd, 0)  # POLLHUP and POLLERR are always reported
        bad = {fd for fd, ev in poller.poll(0) if ev & (select.POLLHUP | select.POLLERR)}
        for name, fd in [(n, f) for n, f in self.store if f in bad]:
            self.event(f"HUP {name}")
            os.close(fd)
        self.store = [(n, f) for n, f in self.store if f not in bad]

    def drain_notify(self):
        while select.select([self.notify], [], [], 0)[0]:
            self.handle_datagram()

    # ---------------------------------------------------------- the child
    def start(self):
        names = [n for n, _ in self.store]
        fds = [f for _, f in self.store]
        log_path = f"{self.args.child_log}-{self.starts}.log"
        out = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        pid = os.fork()
        if pid == 0:
            self.exec_child(fds, names, out)
        os.close(out)
        self.child = pid
        self.event(f"START {self.starts} {pid} {len(fds)} {':'.join(names)}")
        self.starts += 1

    def exec_child(self, fds, names, out):
        try:
            n = len(fds)
            os.dup2(out, 1)
            os.dup2(out, 2)
            # Above every target slot first, so no dup2 below clobbers a source.
            high = [fcntl.fcntl(fd, fcntl.F_DUPFD, 3 + n + 64) for fd in fds]
            for i, fd in enumerate(high):
                os.dup2(fd, 3 + i, inheritable=True)
            os.closerange(3 + n, os.sysconf("SC_OPEN_MAX"))
            env = dict(os.environ)
            env.update(NOTIFY_SOCKET=self.notify_path, FDSTORE=str(self.args.fdstore_max))
            for key in ("LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES"):
                env.pop(key, None)
            if n:
                env.update(LISTEN_PID=str(os.getpid()), LISTEN_FDS=str(n),
                           LISTEN_FDNAMES=":".join(names))
            os.execvpe(self.args.command[0], self.args.command, env)
        except BaseException as e:  # noqa: BLE001 - the child must not return
            os.write(2, f"fdstore_supervisor: exec: {e}\n".encode())
        os._exit(127)

    def reap(self, block_secs=0.0):
        """Wait up to block_secs for the child; True once it is gone."""
        deadline = time.monotonic() + block_secs
        while True:
            pid, status = os.waitpid(self.child, os.WNOHANG)
            if pid:
                self.event(f"EXIT {pid} {os.waitstatus_to_exitcode(status)}")
                self.child = None
                return True
            if time.monotonic() >= deadline:
                return False
            # Keep the notify socket flowing while we wait.
            if select.select([self.notify], [], [], 0.02)[0]:
                self.handle_datagram()

    def kill(self, sig):
        if self.child is None:
            return
        os.kill(self.child, sig)
        if self.reap(self.args.stop_timeout if sig == signal.SIGTERM else 30):
            return
        self.event(f"TIMEOUT {self.child}")
        os.kill(self.child, signal.SIGKILL)
        self.reap(30)

    # ---------------------------------------------------------- control
    def command(self, line):
        words = line.split()
        if not words:
            return True
        if words[0] == "restart" and len(words) == 2:
            sig = getattr(signal, "SIG" + words[1].upper())
            self.event(f"RESTART {words[1].upper()}")
            self.kill(sig)
            self.drain_notify()
            self.drop_hung_up()
            self.start()
        elif words[0] == "stop":
            self.kill(signal.SIGTERM)
            return False
        elif words[0] == "dump":
            self.event("DUMP " + " ".join(n for n, _ in self.store))
        elif words[0] == "corrupt" and len(words) == 2:
            for name, fd in self.store:
                if name == words[1]:
                    os.pwrite(fd, bytes(os.fstat(fd).st_size), 0)
                    self.event(f"CORRUPTED {name}")
        else:
            self.event(f"BAD-COMMAND {line}")
        return True

    def read_control(self):
        try:
            self.control_buf += os.read(self.control, 4096)
        except BlockingIOError:
            return True
        while b"\n" in self.control_buf:
            line, self.control_buf = self.control_buf.split(b"\n", 1)
            if not self.command(line.decode()):
                return False
        return True

    def run(self):
        self.start()
        while True:
            ready = select.select([self.notify, self.control], [], [], 0.2)[0]
            if self.notify in ready:
                self.handle_datagram()
            if self.control in ready and not self.read_control():
                break
            if self.child is not None and self.reap():
                self.event("DIED")
            self.drop_hung_up()
        self.event("STOPPED")

    def close(self):
        for _, fd in self.store:
            os.close(fd)
        self.notify.close()
        os.unlink(self.notify_path)
        os.rmdir(self.tmpdir)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--fdstore-max", type=int, default=1024)
    p.add_argument("--child-log", default="child")
    p.add_argument("--stop-timeout", type=float, default=10.0)
    p.add_argument("control")
    p.add_argument("log")
    p.add_argument("command", nargs="+")
    args = p.parse_args()
    sup = Supervisor(args)
    signal.signal(signal.SIGTERM, lambda *_: sup.command("stop") or sys.exit(0))
    try:
        sup.run()
    finally:
        sup.close()


if __name__ == "__main__":
    main()
