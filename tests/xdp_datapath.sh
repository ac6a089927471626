#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# xdp_datapath.sh - frames through vuring's AF_XDP back-end both ways, with
# DPDK's virtio-user (testpmd) as the front-end and a veth pair between two
# network namespaces as the host side: vuring binds AF_XDP sockets to the
# queues of one end (xv0), the other end (xp0) plays the network.
#
#   guest -> host: testpmd "start tx_first N" sends N bursts of 32 frames per
#                  queue; xp0 must receive exactly the frames testpmd put in
#                  its rings (xp0's rx counter), and they must be testpmd's
#                  UDP frames (a capture).
#   host -> guest: frame_tool sends M frames out of xp0 at a modest rate;
#                  testpmd in rxonly mode must count exactly M.
# With 1 queue pair on a 1-queue veth and 2 on a 2-queue veth; then vuring
# ends on SIGTERM and its XDP program must be gone from xv0.
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
. "$top_srcdir/tests/tap.sh"
. "$top_srcdir/tests/dpdk_lib.sh"
. "$top_srcdir/tests/xdp_lib.sh"

[ -n "${VURING_TEST_QUICK:-}" ] && skip_all "quick mode (VURING_TEST_QUICK): DPDK tests skipped"
need_root
need_testpmd
[ -x "$VURING" ] || skip_all "VURING not set to the daemon"
FRAME_TOOL=$top_builddir/tests/frame_tool
[ -x "$FRAME_TOOL" ] || skip_all "tests/frame_tool not built"

BURSTS=100		# tx_first bursts of 32 frames
RX_FRAMES=5000
RX_PPS=20000
dir=$(mktemp -d)

cleanup() {
	[ -n "${TESTPMD_PID:-}" ] && kill -9 "$TESTPMD_PID" 2>/dev/null
	xdp_cleanup
	[ -n "${VURING_KEEP:-}" ] && echo "# kept $dir" || rm -rf "$dir"
}
trap cleanup EXIT

xdp_veth 1 || skip_all "cannot create network namespaces and a veth pair"
xdp_need_support "$dir"
xdp_need_build "$dir"

# send_per_queue Q: RX_FRAMES frames out of the veth peer at RX_PPS in all, one
# sender per queue, each on its own CPU and so on its own queue (xdp_peer_xps).
send_per_queue() {
	local i pids=()
	for ((i = 0; i < $1; i++)); do
		ip netns exec "$XDP_PEER_NS" taskset -c $((i % $(nproc))) "$FRAME_TOOL" send \
			"$XDP_PEER_IF" $((RX_FRAMES / $1)) 64 $((RX_PPS / $1)) >/dev/null &
		pids+=($!)
	done
	wait "${pids[@]}"
}

run_queues() {
	local q=$1 got busy
	xdp_veth "$q" || { ok 1 "q=$q: veth pair with $q queues"; return; }
	xdp_start_vuring "$dir" "$q"
	ok $? "q=$q: vuring listens with AF_XDP on $XDP_IF"
	grep -q "AF_XDP on $XDP_IF" "$XDP_LOG"
	ok $? "q=$q: vuring logged its AF_XDP sockets"
	xdp_prog_attached
	ok $? "q=$q: an XDP program is attached to $XDP_IF"

	testpmd_start_frontend "$dir/testpmd-$q" "$dir/sock" "$q"
	testpmd_wait_prompt 30
	ok $? "q=$q: testpmd (virtio-user) came up and connected"

	# guest -> host
	testpmd_check_out "$q" "$XDP_PEER_NS" "$XDP_PEER_IF" "at the veth peer" xdp_peer_stat
	diag "q=$q: $XDP_IF tx_dropped $(xdp_stat tx_dropped)"

	# host -> guest
	got=$(testpmd_receive send_per_queue "$q")
	diag "q=$q: sent $RX_FRAMES out of $XDP_PEER_IF, testpmd received ${got:-?}"
	[ "${got:-0}" -eq "$RX_FRAMES" ]
	ok $? "q=$q: all $RX_FRAMES frames from the veth peer arrived at virtio-user"

	testpmd_quit
	TESTPMD_PID=
	xdp_stop_vuring
	ok $? "q=$q: vuring exits 0 on SIGTERM"
	grep -E 'queue [0-9]+ \((rx|tx)[0-9]+\)|AF_XDP\)' "$XDP_LOG" | sed "s/^/# q=$q: /"
	busy=$(grep -cE 'queue [0-9]+ \(rx[0-9]+\): [1-9][0-9]* packets' "$XDP_LOG")
	[ "$busy" -eq "$q" ]
	ok $? "q=$q: frames arrived on all $q receive queue(s) ($busy)"
	xdp_prog_attached
	[ $? -ne 0 ]
	ok $? "q=$q: no XDP program left on $XDP_IF after SIGTERM"
	xdp_no_sanitizer_report
	ok $? "q=$q: no sanitizer report"
}

run_queues 1
run_queues 2
done_testing
