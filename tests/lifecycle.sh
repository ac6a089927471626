#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# lifecycle.sh - the running daemon: it listens on --socket-path; SIGTERM and
# SIGINT end it with exit 0 and the socket file removed; a stale socket file
# is replaced, a live one or another file is left alone; an inherited --fd is
# not removed; SIGHUP applies a new log level and rejects a broken file
# without dropping the running settings.
set -u
: "${top_srcdir:?}" "${VURING:?}"
. "$top_srcdir/tests/tap.sh"

command -v python3 >/dev/null || skip_all "python3 not installed"

# How long any one expected event may take (sanitizer builds start slowly).
WAIT_SECONDS=10
# Upper bound on one daemon's whole life in this test.
DAEMON_SECONDS=60

work=$(mktemp -d)
daemons=
watchdogs=
cleanup() {
	for p in $daemons; do
		kill -KILL "$p" 2>/dev/null
	done
	for p in $watchdogs; do
		kill -TERM "$p" 2>/dev/null
	done
	rm -rf "$work"
}
trap cleanup EXIT
sock=$work/vm.sock
conf=$work/vm.ini
log=$work/log

# watchdog: kill $pid if it outlives DAEMON_SECONDS. (Not timeout(1): it
# stops forwarding a signal after the first one of its kind, and SIGHUP is
# sent more than once here.)
watchdog() {
	(
		trap 'kill "$nap" 2>/dev/null; exit 0' TERM
		sleep $DAEMON_SECONDS &
		nap=$!
		wait "$nap"
		kill -KILL "$pid" 2>/dev/null
	) &
	daemons="$daemons $pid"
	watchdogs="$watchdogs $!"
}

# start ARGS...: run vuring in the background; $pid, output in $log.
start() {
	: >"$log"
	"$VURING" "$@" >"$work/stdout" 2>"$log" &
	pid=$!
	watchdog
}

# wait_for COMMAND...: retry COMMAND until it succeeds or WAIT_SECONDS pass.
wait_for() {
	local i
	for ((i = 0; i < WAIT_SECONDS * 10; i++)); do
		"$@" && return 0
		sleep 0.1
	done
	return 1
}

logged() { grep -qF -- "$1" "$log"; }
listening() { [ -S "$sock" ] && logged "listening for a vhost-user front-end"; }
gone() { ! kill -0 "$pid" 2>/dev/null; }

# stop SIGNAL: send it, wait for the exit; $rc is the exit status.
stop() {
	kill -"$1" "$pid"
	if wait_for gone; then
		wait "$pid"
		rc=$?
	else
		kill -KILL "$pid"
		wait "$pid"
		rc=124
	fi
}

# set_level LEVEL: a configuration file for $sock with that [log] level.
set_level() { printf '[vhost-user]\npath = %s\n[log]\nlevel = %s\n' "$sock" "$1" >"$conf"; }

# ---------------------------------------------------------------- SIGTERM
start --socket-path "$sock"
wait_for listening
ok $? "--socket-path S: vuring listens on S"
python3 -c 'import socket,sys; s=socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])' "$sock"
ok $? "a front-end can connect to S"
[ "$(stat -c %a "$sock")" = 600 ]
ok $? "S has the default socket-mode 0600"
stop TERM
[ $rc -eq 0 ]
ok $? "SIGTERM: exit status 0 (got $rc)"
[ ! -e "$sock" ]
ok $? "SIGTERM: S removed"
logged "received SIGTERM, shutting down"
ok $? "SIGTERM is logged"
[ ! -s "$work/stdout" ]
ok $? "the daemon writes nothing to stdout"

start --socket-path "$sock"
wait_for listening
stop INT
[ $rc -eq 0 ] && [ ! -e "$sock" ]
ok $? "SIGINT: exit status 0 and S removed"

printf '[vhost-user]\nsocket-mode = 0660\n' >"$conf"
start --config "$conf" --socket-path "$sock"
wait_for listening
[ "$(stat -c %a "$sock")" = 660 ]
ok $? "[vhost-user] socket-mode applies to S"
stop TERM

# ---------------------------------------------------------------- stale, live, other files
python3 -c 'import socket,sys; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1])' "$sock"
[ -S "$sock" ]
ok $? "a stale socket file (nobody listening) exists before start"
start --socket-path "$sock"
wait_for listening && logged "removed stale socket"
ok $? "a stale socket file is replaced"
stop TERM
[ $rc -eq 0 ] && [ ! -e "$sock" ]
ok $? "... and removed on SIGTERM"

# A live listener: another process's socket must not be stolen.
python3 -c '
import socket, sys, time
s = socket.socket(socket.AF_UNIX)
s.bind(sys.argv[1]); s.listen(8)
open(sys.argv[2], "w").close()
time.sleep(int(sys.argv[3]))
' "$sock" "$work/live-ready" $DAEMON_SECONDS &
live=$!
daemons="$daemons $live"
wait_for test -e "$work/live-ready"
start --socket-path "$sock"
wait_for gone
wait "$pid"
rc=$?
[ $rc -eq 1 ] && logged "a live process is listening there"
ok $? "a socket a live process listens on is refused: exit 1 (got $rc)"
[ -S "$sock" ] && python3 -c 'import socket,sys; s=socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])' "$sock"
ok $? "... and left working for its owner"
kill "$live"
wait "$live" 2>/dev/null
rm -f "$sock"

# A live listener whose backlog is full: still live, and probing it must not
# block our start.
python3 -c '
import socket, sys, time
s = socket.socket(socket.AF_UNIX)
s.bind(sys.argv[1]); s.listen(0)
waiting = []
for i in range(8):
    c = socket.socket(socket.AF_UNIX); c.setblocking(False)
    try:
        c.connect(sys.argv[1])
    except BlockingIOError:
        break
    waiting.append(c)
open(sys.argv[2], "w").close()
time.sleep(int(sys.argv[3]))
' "$sock" "$work/full-ready" $DAEMON_SECONDS &
live=$!
daemons="$daemons $live"
wait_for test -e "$work/full-ready"
start --socket-path "$sock"
wait_for gone
wait "$pid"
rc=$?
[ $rc -eq 1 ] && logged "a live process is listening there" && [ -S "$sock" ]
ok $? "a live socket with a full backlog is refused at once, and kept (got $rc)"
kill "$live"
wait "$live" 2>/dev/null
rm -f "$sock"

echo "not a socket" >"$sock"
start --socket-path "$sock"
wait_for gone
wait "$pid"
rc=$?
[ $rc -eq 1 ] && [ "$(cat "$sock")" = "not a socket" ] && logged "exists and is not a socket"
ok $? "a file that is not a socket is neither used nor removed: exit 1"
rm -f "$sock"

printf '[vhost-user]\nsocket-group = no-such-group-here\n' >"$conf"
start --config "$conf" --socket-path "$sock"
wait_for gone
wait "$pid"
rc=$?
[ $rc -eq 1 ] && logged "socket-group no-such-group-here: no such group" && [ ! -e "$sock" ]
ok $? "an unknown socket-group: exit 1 naming it, no socket file left behind"

# ---------------------------------------------------------------- --fd
# An inherited listening socket: served, and its file is not ours to remove.
python3 -c '
import os, socket, sys
s = socket.socket(socket.AF_UNIX)
s.bind(sys.argv[1]); s.listen(8)
if s.fileno() != 3:
    os.dup2(s.fileno(), 3)
os.set_inheritable(3, True)
os.execv(sys.argv[2], [sys.argv[2], "--fd", "3"])
' "$sock" "$VURING" 2>"$log" &
pid=$!
watchdog
wait_for logged "listening for a vhost-user front-end on an inherited socket"
ok $? "--fd N: vuring serves an inherited listening socket"
stop TERM
[ $rc -eq 0 ] && [ -S "$sock" ]
ok $? "--fd N: SIGTERM exits 0 and leaves the socket file to its owner"
rm -f "$sock"

# ---------------------------------------------------------------- SIGHUP
set_level info
start --config "$conf"
wait_for listening
ok $? "started from --config with [vhost-user] path"

set_level debug
kill -HUP "$pid"
wait_for logged "SIGHUP: log level info -> debug"
ok $? "SIGHUP applies a new log level (info -> debug)"

set_level error
kill -HUP "$pid"
wait_for logged "SIGHUP: log level debug -> error"
ok $? "SIGHUP applies a new log level (debug -> error)"

# At level error, a reload with nothing new must not log its info line.
kill -HUP "$pid"
sleep 1
printf '[vhost-user]\npath = %s\n[log]\nlevel = info\nlevle = debug\n' "$sock" >"$conf"
kill -HUP "$pid"
wait_for logged "rejected, keeping the running configuration"
ok $? "SIGHUP with a broken file logs the rejection"
logged "vuring: $conf:5: [log] levle = debug: unknown key"
ok $? "... and the file's error, with its line"
! logged "nothing to change live"
ok $? "level error is in effect: the info line of a reload is not logged"
kill -0 "$pid" 2>/dev/null && [ -S "$sock" ]
ok $? "the daemon keeps running and listening after a rejected file"

# The broken file changed nothing: the level is still error. Fix the file.
set_level info
kill -HUP "$pid"
sleep 1
kill -HUP "$pid"
wait_for logged "SIGHUP: configuration re-read, nothing to change live"
ok $? "a fixed file applies again (error -> info, then info lines appear)"

# A key that needs a restart is named, not silently ignored.
printf '[backend]\nqueue-pairs = 2\n' >>"$conf"
kill -HUP "$pid"
wait_for logged "SIGHUP: [backend] queue-pairs changed ('1' -> '2'); it takes effect at the next start"
ok $? "SIGHUP names a changed key that takes effect only at the next start"

stop TERM
[ $rc -eq 0 ] && [ ! -e "$sock" ]
ok $? "SIGTERM after reloads: exit 0 and S removed"
if [ $rc -ne 0 ] || [ "$TAP_FAILED" -ne 0 ]; then
	diag "daemon log:"
	while IFS= read -r line; do diag "$line"; done <"$log"
fi

done_testing
