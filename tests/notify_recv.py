#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""notify_recv.py - stand-in for the service manager's NOTIFY_SOCKET.

Usage: notify_recv.py SOCKET LOG

Binds a unix datagram socket at SOCKET and appends one line per assignment
received, "PID KEY=VALUE", to LOG (flushed at once), PID being the sender's
as the kernel reports it (SCM_CREDENTIALS), so a test can check, as systemd
does with NotifyAccess=main, that the main process itself sent it. Runs until
killed.
"""
import os
import socket
import struct
import sys

# Far above any message sd_notify sends (a few short KEY=VALUE lines).
MAX_DATAGRAM = 4096
CREDS = struct.Struct("iII")  # struct ucred: pid, uid, gid


def sender_pid(ancdata):
    """The pid in an SCM_CREDENTIALS control message, or 0."""
    for level, kind, data in ancdata:
        if level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS:
            return CREDS.unpack(data[:CREDS.size])[0]
    return 0


def main():
    path, log_path = sys.argv[1], sys.argv[2]
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
    sock.bind(path)
    # The notifier may run as another user (the unit's User=).
    os.chmod(path, 0o666)
    with open(log_path, "a", buffering=1) as log:
        while True:
            data, ancdata, _, _ = sock.recvmsg(MAX_DATAGRAM, socket.CMSG_SPACE(CREDS.size))
            pid = sender_pid(ancdata)
            for line in data.decode("utf-8", "replace").splitlines():
                if line:
                    log.write(f"{pid} {line}\n")


if __name__ == "__main__":
    main()
