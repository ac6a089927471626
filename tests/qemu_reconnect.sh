#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# qemu_reconnect.sh - QEMU's own vhost-user front-end against vuring, without
# booting a guest (-S): QEMU connects and negotiates when its netdev starts.
#
#   server mode: QEMU dials (reconnect=1). vuring restarts; QEMU reconnects
#                and negotiates again. QEMU goes away and comes back; the same
#                vuring serves it again.
#   client mode: QEMU listens (server=on). QEMU restarts; vuring redials and
#                negotiates again.
# Every daemon must exit 0 on SIGTERM and log no error.
set -u
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
. "$top_srcdir/tests/tap.sh"
. "$top_srcdir/tests/qemu_lib.sh"

qemu_lib_setup

# start_vuring LOG [client]: vuring with QUEUES pairs; sets VPID.
start_vuring() {
	{
		if [ "${2:-}" = client ]; then
			printf '[vhost-user]\nmode = client\nreconnect-ms = 100\nreconnect-max-ms = 1000\n'
		fi
		printf '[backend]\nqueue-pairs = %s\n' "$QUEUES"
	} >"$dir/vuring.ini"
	"$VURING" --config "$dir/vuring.ini" --socket-path "$sock" --log-level debug >"$1" 2>&1 &
	VPID=$!
	pids="$pids $VPID"
}

stop_vuring() {
	kill -TERM "$VPID" 2>/dev/null
	wait "$VPID"
}

# negotiated LOG N: the log shows N complete negotiations by QEMU: protocol
# features, ownership, and a call fd for every ring of every queue pair.
negotiated() {
	wait_count "$1" '<- SET_PROTOCOL_FEATURES' "$2" &&
		wait_count "$1" '<- SET_OWNER' "$2" &&
		wait_count "$1" "ring $((2 * QUEUES - 1)) \(tx$((QUEUES - 1))\) call:" "$2"
}

clean_log() {
	! grep -Eq 'error:|device broken|ERROR: AddressSanitizer|runtime error' "$1"
}

# ---------------------------------------------------------------- server mode
start_vuring "$dir/v1.log"
wait_count "$dir/v1.log" 'listening for a vhost-user front-end' 1
ok $? "server: vuring listens"
start_qemu "$dir/q1.log" "reconnect=1"
negotiated "$dir/v1.log" 1
ok $? "server: QEMU connects and negotiates (GET/SET_PROTOCOL_FEATURES, SET_OWNER, ring fds)"
stop_vuring
ok $? "server: vuring exits 0 on SIGTERM with QEMU connected"
clean_log "$dir/v1.log"
ok $? "server: no error logged"

start_vuring "$dir/v2.log"
negotiated "$dir/v2.log" 1
ok $? "server: QEMU reconnects to the restarted vuring and negotiates again"
kill -0 "$QPID" 2>/dev/null
ok $? "server: QEMU survived the back-end restart"
stop_qemu
wait_count "$dir/v2.log" 'front-end connection closed' 1
ok $? "server: QEMU's exit is noticed and torn down"
start_qemu "$dir/q2.log" "reconnect=1"
negotiated "$dir/v2.log" 2
ok $? "server: the same vuring serves a new QEMU"
stop_qemu
stop_vuring
ok $? "server: vuring exits 0"
grep -q 'vhost-user: 2 front-ends served' "$dir/v2.log"
ok $? "server: it counted two front-ends"
clean_log "$dir/v2.log"
ok $? "server: no error logged"

# ---------------------------------------------------------------- client mode
rm -f "$sock"
start_qemu "$dir/q3.log" "server=on,wait=off"
start_vuring "$dir/c.log" client
negotiated "$dir/c.log" 1
ok $? "client: vuring dials QEMU (server=on) and QEMU negotiates"
stop_qemu
wait_count "$dir/c.log" 'cannot connect to the front-end' 1
ok $? "client: QEMU gone; vuring keeps redialing"
start_qemu "$dir/q4.log" "server=on,wait=off"
negotiated "$dir/c.log" 2
ok $? "client: vuring finds the restarted QEMU and it negotiates again"
kill -0 "$VPID" 2>/dev/null
ok $? "client: vuring still running"
stop_qemu
stop_vuring
ok $? "client: vuring exits 0"
clean_log "$dir/c.log"
ok $? "client: no error logged"
done_testing
