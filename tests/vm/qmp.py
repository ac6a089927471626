#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""qmp.py SOCKET COMMAND [ARGUMENTS-JSON]: one QMP command, for tests/vm/lib.sh.

Connects to QEMU's QMP unix socket, leaves capabilities negotiation mode, runs
COMMAND with the optional JSON object of arguments and prints the "return"
value as JSON. Asynchronous events QEMU sends meanwhile are skipped.
Exit status: 0 on success, 1 on an error reply (printed to stderr), 2 when
QEMU cannot be reached or hangs up.
"""
import json
import socket
import sys

# QMP answers at once; a command that takes long (migrate) returns at once too
# and is polled with query-migrate.
TIMEOUT_SECS = 10


def replies(sock):
    """Yield each JSON message QEMU sends (one per line)."""
    buf = b""
    while True:
        while b"\n" not in buf:
            chunk = sock.recv(65536)
            if not chunk:
                return
            buf += chunk
        line, buf = buf.split(b"\n", 1)
        if line.strip():
            yield json.loads(line)


def execute(msgs, sock, command, arguments):
    """Send one command; return its reply, skipping events."""
    req = {"execute": command}
    if arguments is not None:
        req["arguments"] = arguments
    sock.sendall(json.dumps(req).encode() + b"\n")
    for msg in msgs:
        if "return" in msg or "error" in msg:
            return msg
    raise ConnectionError("QEMU hung up")


def main():
    if len(sys.argv) not in (3, 4):
        print(__doc__, file=sys.stderr)
        return 2
    path, command = sys.argv[1], sys.argv[2]
    arguments = json.loads(sys.argv[3]) if len(sys.argv) == 4 else None
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(TIMEOUT_SECS)
            sock.connect(path)
            msgs = replies(sock)
            next(msgs)  # the greeting
            if "error" in execute(msgs, sock, "qmp_capabilities", None):
                raise ConnectionError("qmp_capabilities refused")
            reply = execute(msgs, sock, command, arguments)
    except (OSError, ConnectionError, StopIteration, ValueError) as e:
        print("qmp: %s: %s" % (path, e), file=sys.stderr)
        return 2
    if "error" in reply:
        print(json.dumps(reply["error"]), file=sys.stderr)
        return 1
    print(json.dumps(reply["return"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
