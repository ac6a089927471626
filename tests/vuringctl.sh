#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# vuringctl.sh - the vuringctl command line against a running vuring (no
# front-end, no TAP: fast): tables for people, --json passed through,
# watch, set log-level, and the exit codes for usage errors, an
# unreachable daemon and a refused request.
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
. "$top_srcdir/tests/tap.sh"

[ -x "${VURING:-}" ] || skip_all "VURING not set to the daemon"
CTL=$top_builddir/vuringctl
[ -x "$CTL" ] || skip_all "vuringctl not built"
command -v python3 >/dev/null || skip_all "python3 not installed"

dir=$(mktemp -d)
pid=
cleanup() {
	[ -n "$pid" ] && kill -9 "$pid" 2>/dev/null
	rm -rf "$dir"
}
trap cleanup EXIT

cat >"$dir/vuring.ini" <<INI
[vhost-user]
path = $dir/vu.sock
[backend]
queue-pairs = 2
[control]
path = $dir/ctl.sock
INI
"$VURING" --config "$dir/vuring.ini" 2>"$dir/vuring.log" &
pid=$!
for _ in $(seq 100); do
	[ -S "$dir/ctl.sock" ] && break
	sleep 0.1
done
[ -S "$dir/ctl.sock" ]
ok $? "vuring serves its control socket"

out=$("$CTL" -s "$dir/ctl.sock" stats)
ok $? "stats exits 0"
echo "$out" | grep -q '^device: 0 connections, 0 refused' &&
	echo "$out" | grep -q '^datapath: none'
ok $? "stats prints the device counters and says there is no datapath"

out=$("$CTL" -s "$dir/ctl.sock" status)
ok $? "status exits 0"
echo "$out" | grep -q '^front-end: *waiting, server mode' &&
	echo "$out" | grep -qE '^3 +tx1 +0 +stopped' &&
	echo "$out" | grep -q '^features: *0x0 (offered 0x[0-9a-f]*): none'
ok $? "status prints the connection, the features and one line per ring"

"$CTL" -s "$dir/ctl.sock" status --json | python3 -c '
import json, sys
d = json.load(sys.stdin)
sys.exit(0 if d["ok"] and len(d["rings"]) == 4 else 1)'
ok $? "status --json is the daemon's JSON (4 rings)"
VURINGCTL_SOCKET=$dir/ctl.sock "$CTL" --json stats | python3 -c '
import json, sys
sys.exit(0 if json.load(sys.stdin)["datapath"] is False else 1)'
ok $? "VURINGCTL_SOCKET names the socket; --json before the command works too"

out=$("$CTL" -s "$dir/ctl.sock" watch --count 1)
ok $? "watch --count 1 exits 0"
echo "$out" | grep -q '^queue .*packets/s.*Mbit/s'
ok $? "watch prints a rate table"

out=$("$CTL" -s "$dir/ctl.sock" set log-level debug)
[ $? -eq 0 ] && [ "$out" = "log level: debug" ] && grep -q 'control: log level info -> debug' "$dir/vuring.log"
ok $? "set log-level debug: applied, confirmed and logged"
"$CTL" -s "$dir/ctl.sock" set log-level chatty 2>"$dir/err"
rc=$?
[ $rc -eq 1 ] && grep -q "unknown log level 'chatty'" "$dir/err"
ok $? "an unknown level: the daemon's error on stderr, exit 1 (got $rc)"

"$CTL" -s "$dir/ctl.sock" frobnicate 2>/dev/null
rc=$?
[ $rc -eq 2 ]
ok $? "unknown command: exit 2 (got $rc)"
env -u VURINGCTL_SOCKET "$CTL" stats 2>"$dir/err"
rc=$?
[ $rc -eq 2 ] && grep -q 'no control socket' "$dir/err"
ok $? "no socket given: exit 2 with a hint (got $rc)"
"$CTL" -s "$dir/nothing-here.sock" stats 2>"$dir/err"
rc=$?
[ $rc -eq 1 ] && grep -q 'nothing-here.sock' "$dir/err"
ok $? "an unreachable daemon: exit 1 naming the socket (got $rc)"
"$CTL" --count 0 -s "$dir/ctl.sock" watch 2>/dev/null
rc=$?
[ $rc -eq 2 ]
ok $? "--count 0 is a usage error (got $rc)"
"$CTL" --help | grep -q '^Usage: vuringctl'
ok $? "--help prints the usage"

kill -TERM "$pid"
wait "$pid"
rc=$?
pid=
[ $rc -eq 0 ] && [ ! -e "$dir/ctl.sock" ]
ok $? "vuring exits 0 and removes the control socket (got $rc)"
done_testing
