#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# dpdk_datapath.sh - frames through vuring both ways, with DPDK's virtio-user
# (testpmd) as the front-end and a TAP in a network namespace as the host.
#
#   guest -> host: testpmd "start tx_first N" sends N bursts of 32 frames per
#                  queue (it drops what does not fit in its own full ring and
#                  says so); the TAP must receive every frame testpmd put in
#                  a ring (its rx counters), and they must be testpmd's UDP
#                  frames (a capture).
#   host -> guest: frame_tool sends M frames into the TAP at a modest rate;
#                  testpmd in rxonly mode must count exactly M.
# Run with 1 and with 4 queue pairs.
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
. "$top_srcdir/tests/tap.sh"
. "$top_srcdir/tests/dpdk_lib.sh"

[ -n "${VURING_TEST_QUICK:-}" ] && skip_all "quick mode (VURING_TEST_QUICK): DPDK tests skipped"
need_root
need_testpmd
[ -x "$VURING" ] || skip_all "VURING not set to the daemon"
FRAME_TOOL=$top_builddir/tests/frame_tool
[ -x "$FRAME_TOOL" ] || skip_all "tests/frame_tool not built"

NS=vuring-dp-$$
TAPIF=vu0
BURSTS=100		# tx_first bursts of 32 frames
RX_FRAMES=5000
# Modest, and a deep TAP queue: the test is about losing nothing, not speed
# (under ASan with 4 queues, 20000/s overflowed the default 500-frame queue).
RX_PPS=5000
dir=$(mktemp -d)
VURING_PID=

cleanup() {
	[ -n "${TESTPMD_PID:-}" ] && kill -9 "$TESTPMD_PID" 2>/dev/null
	[ -n "$VURING_PID" ] && kill -9 "$VURING_PID" 2>/dev/null
	ip netns del "$NS" 2>/dev/null
	[ -n "${VURING_KEEP:-}" ] && echo "# kept $dir" || rm -rf "$dir"
}
trap cleanup EXIT

ip netns add "$NS" || skip_all "cannot create a network namespace"
ip -n "$NS" link set lo up
ip -n "$NS" tuntap add dev "$TAPIF" mode tap multi_queue vnet_hdr ||
	skip_all "cannot create a TAP device"
ip netns exec "$NS" sysctl -qw "net.ipv6.conf.$TAPIF.disable_ipv6=1"
ip -n "$NS" link set "$TAPIF" txqueuelen 10000 up

tap_stat() {
	ip netns exec "$NS" cat "/sys/class/net/$TAPIF/statistics/$1"
}

# start_vuring QUEUES
start_vuring() {
	cat >"$dir/vuring.ini" <<INI
[vhost-user]
path = $dir/sock
[backend]
interface = $TAPIF
create = no
queue-pairs = $1
INI
	rm -f "$dir/sock"
	ip netns exec "$NS" "$VURING" --config "$dir/vuring.ini" -v \
		>"$dir/vuring-$1.log" 2>&1 &
	VURING_PID=$!
	for _ in $(seq 50); do
		[ -S "$dir/sock" ] && return 0
		sleep 0.1
	done
	return 1
}

stop_vuring() {
	kill -TERM "$VURING_PID" 2>/dev/null
	wait "$VURING_PID"
	local rc=$?
	VURING_PID=
	return $rc
}

run_queues() {
	local q=$1 drop0 got
	start_vuring "$q"
	ok $? "q=$q: vuring listens"

	testpmd_start_frontend "$dir/testpmd-$q" "$dir/sock" "$q"
	testpmd_wait_prompt 30
	ok $? "q=$q: testpmd (virtio-user) came up and connected"

	# guest -> host
	testpmd_check_out "$q" "$NS" "$TAPIF" "on the TAP" tap_stat

	# host -> guest
	drop0=$(tap_stat tx_dropped)
	got=$(testpmd_receive ip netns exec "$NS" "$FRAME_TOOL" send "$TAPIF" "$RX_FRAMES" 64 \
		"$RX_PPS")
	diag "q=$q: sent $RX_FRAMES into the TAP, testpmd received ${got:-?}, TAP dropped $(($(tap_stat tx_dropped) - drop0))"
	[ "${got:-0}" -eq "$RX_FRAMES" ]
	ok $? "q=$q: all $RX_FRAMES frames from the TAP arrived at virtio-user"

	testpmd_quit
	TESTPMD_PID=
	grep -q 'started' "$dir/vuring-$q.log"
	ok $? "q=$q: vuring logged its rings starting"
	stop_vuring
	ok $? "q=$q: vuring exits 0 on SIGTERM"
	if grep -q 'ERROR: AddressSanitizer\|runtime error' "$dir/vuring-$q.log"; then
		cat "$dir/vuring-$q.log"
		ok 1 "q=$q: no sanitizer report"
	else
		ok 0 "q=$q: no sanitizer report"
	fi
}

run_queues 1
run_queues 4
done_testing
