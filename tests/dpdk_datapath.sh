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
	local q=$1 rx0 drop0 rx1 drop1 sent got
	start_vuring "$q"
	ok $? "q=$q: vuring listens"

	testpmd_start_frontend "$dir/testpmd-$q" "$dir/sock" "$q"
	testpmd_wait_prompt 30
	ok $? "q=$q: testpmd (virtio-user) came up and connected"

	# guest -> host
	rx0=$(tap_stat rx_packets)
	drop0=$(tap_stat rx_dropped)
	timeout 20 ip netns exec "$NS" tcpdump -nn -i "$TAPIF" -c 5 udp \
		>"$dir/capture-$q.txt" 2>/dev/null &
	local cap=$!
	sleep 1
	sent=$(testpmd_send_bursts)
	rx1=$(tap_stat rx_packets)
	drop1=$(tap_stat rx_dropped)
	got=$((rx1 - rx0))
	diag "q=$q: testpmd queued ${sent:-?} of $((BURSTS * 32 * q)), TAP received $got, TAP dropped $((drop1 - drop0))"
	# testpmd drops what does not fit its own full ring; most must get through.
	[ "${sent:-0}" -ge $((BURSTS * 16)) ] && [ "$got" -eq "$sent" ]
	ok $? "q=$q: every frame virtio-user queued arrived on the TAP"
	wait "$cap"
	[ "$(grep -c 'UDP' "$dir/capture-$q.txt")" -ge 5 ]
	ok $? "q=$q: captured frames are testpmd's UDP frames"

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
