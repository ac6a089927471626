#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# xdp_teardown.sh - the XDP program vuring attaches never outlives it, and one
# someone else attached is never touched.
#
#   - vuring (type = xdp, 2 queue pairs on a 2-queue veth) attaches a program;
#     after SIGTERM none is left on the interface;
#   - after SIGKILL none is left either (vuring's BPF link dies with it), and
#     a restart at once finds the interface free and works;
#   - idle, with no front-end, vuring uses no CPU;
#   - with someone else's program attached, program = load refuses to start
#     and says why, program = existing starts on it, and that program stays
#     attached through vuring's SIGKILL;
#   - --xdp IFNAME selects the back-end from the command line; errors an
#     administrator meets (missing interface, --tap with --xdp) are clear.
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
. "$top_srcdir/tests/tap.sh"
. "$top_srcdir/tests/xdp_lib.sh"

need_root
[ -x "${VURING:-}" ] || skip_all "VURING not set to the daemon"
dir=$(mktemp -d)
cleanup() {
	xdp_cleanup
	[ -n "${VURING_KEEP:-}" ] && echo "# kept $dir" || rm -rf "$dir"
}
trap cleanup EXIT

xdp_veth 2 || skip_all "cannot create network namespaces and a veth pair"
xdp_need_support "$dir"
xdp_need_build "$dir"

prog_id() {
	ip -n "$XDP_NS" link show dev "$XDP_IF" 2>/dev/null |
		sed -n 's/.*prog\/xdp id \([0-9]*\).*/\1/p'
}

# SIGTERM
xdp_start_vuring "$dir" 2
ok $? "vuring starts with AF_XDP on $XDP_IF, 2 queue pairs"
xdp_prog_attached
ok $? "an XDP program is attached while it runs"
# Idle: no front-end, nothing to move, so no CPU (no polling, no timers).
t0=$(awk '{ print $14 + $15 }' "/proc/$XDP_PID/stat")
sleep 3
t1=$(awk '{ print $14 + $15 }' "/proc/$XDP_PID/stat")
[ $((t1 - t0)) -le 1 ]
ok $? "idle vuring used $((t1 - t0)) clock ticks in 3 s"
xdp_stop_vuring
ok $? "vuring exits 0 on SIGTERM"
xdp_prog_attached
[ $? -ne 0 ]
ok $? "no XDP program left after SIGTERM"

# SIGKILL, then a restart at once
xdp_start_vuring "$dir" 2
ok $? "vuring starts again"
kill -KILL "$XDP_PID"
wait "$XDP_PID" 2>/dev/null
XDP_PID=
xdp_prog_attached
[ $? -ne 0 ]
ok $? "no XDP program left after SIGKILL"
xdp_start_vuring "$dir" 2
ok $? "a restart right after SIGKILL finds the interface free"
xdp_prog_attached
ok $? "... and attaches its program"
xdp_stop_vuring
ok $? "... and exits 0 on SIGTERM"
xdp_prog_attached
[ $? -ne 0 ]
ok $? "no XDP program left after SIGKILL, restart and SIGTERM"
xdp_no_sanitizer_report
ok $? "no sanitizer report"

# Someone else's program
ip -n "$XDP_NS" link set dev "$XDP_IF" xdp obj "$XDP_PROBE_OBJ" sec xdp
theirs=$(prog_id)
[ -n "$theirs" ]
ok $? "someone else attached libxdp's AF_XDP program (id ${theirs:-none})"
xdp_start_vuring "$dir" 1
[ $? -ne 0 ] && ! kill -0 "$XDP_PID" 2>/dev/null
ok $? "program = load refuses to start"
grep -q "already has an XDP program (xsk_def_prog, id $theirs)" "$XDP_LOG"
ok $? "... naming the program in the way"
XDP_PID=
xdp_start_vuring "$dir" 1 "[xdp]" "program = existing"
ok $? "program = existing starts on it"
grep -q "attached by someone else" "$XDP_LOG"
ok $? "... and says so"
kill -KILL "$XDP_PID"
wait "$XDP_PID" 2>/dev/null
XDP_PID=
[ "$(prog_id)" = "$theirs" ]
ok $? "their program is still attached after vuring's SIGKILL"
ip -n "$XDP_NS" link set dev "$XDP_IF" xdp off

# Command line and errors
rm -f "$dir/sock"
ip netns exec "$XDP_NS" "$VURING" --socket-path "$dir/sock" --xdp "$XDP_IF" -v \
	>"$dir/cli.log" 2>&1 &
XDP_PID=$!
for _ in $(seq 50); do [ -S "$dir/sock" ] && break; sleep 0.1; done
grep -q "AF_XDP on $XDP_IF" "$dir/cli.log"
ok $? "--xdp $XDP_IF selects the AF_XDP back-end"
xdp_stop_vuring
ok $? "... and exits 0 on SIGTERM"
ip netns exec "$XDP_NS" "$VURING" --socket-path "$dir/sock" --xdp nosuch0 >"$dir/err.log" 2>&1
[ $? -ne 0 ] && grep -q "interface nosuch0 does not exist" "$dir/err.log"
ok $? "a missing interface: vuring fails and says so"
"$VURING" --tap a --xdp b >"$dir/err.log" 2>&1
[ $? -ne 0 ] && grep -q "exclude each other" "$dir/err.log"
ok $? "--tap with --xdp is refused"
done_testing
