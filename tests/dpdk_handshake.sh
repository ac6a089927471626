#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# dpdk_handshake.sh - a vhost-user front-end written by others, DPDK's
# virtio-user (dpdk-testpmd), completes the handshake with vuring with one
# and with two queue pairs. vuring's debug log must show, for every ring,
# its size and addresses, its kick and call eventfds, its start on the first
# kick, and its stop (GET_VRING_BASE) when testpmd closes the port; then the
# daemon waits for the next front-end and exits cleanly on SIGTERM.
#
# As root the daemon gets a TAP in a private network namespace (for when the
# datapath needs one); otherwise it runs without, as the control plane does.
set -u
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
. "$top_srcdir/tests/tap.sh"
. "$top_srcdir/tests/dpdk_lib.sh"

need_testpmd
[ -x "${VURING:-}" ] || skip_all "VURING not set to the daemon"

# testpmd's whole run: EAL start-up, the handshake, a few idle seconds.
TESTPMD_SECONDS=15
# How long the daemon may take to start or to log an event (ASan builds).
WAIT_SECONDS=10

dir=$(mktemp -d)
NS=
VURING_PID=
cleanup() {
	[ -n "$VURING_PID" ] && kill -KILL "$VURING_PID" 2>/dev/null
	[ -n "$NS" ] && ip netns del "$NS" 2>/dev/null
	rm -rf "$dir"
}
trap cleanup EXIT

# A namespace with a TAP, when we may make one.
TAPIF=vu0
if [ "$(id -u)" = 0 ] && ip netns add "vuring-hs-$$" 2>/dev/null; then
	NS=vuring-hs-$$
	ip -n "$NS" tuntap add dev "$TAPIF" mode tap multi_queue vnet_hdr 2>/dev/null ||
		{ ip netns del "$NS"; NS=; }
fi
# Prefix that runs a command in the namespace (exec'ing it: same pid).
in_ns=()
[ -n "$NS" ] && in_ns=(ip netns exec "$NS")

# start_vuring QUEUE_PAIRS LOG
start_vuring() {
	{
		echo "[backend]"
		echo "queue-pairs = $1"
		[ -n "$NS" ] && printf 'interface = %s\ncreate = no\n' "$TAPIF"
	} >"$dir/vuring.ini"
	rm -f "$dir/sock"
	"${in_ns[@]}" "$VURING" --config "$dir/vuring.ini" --socket-path "$dir/sock" \
		--log-level debug >"$2" 2>&1 &
	VURING_PID=$!
	for _ in $(seq $((WAIT_SECONDS * 10))); do
		[ -S "$dir/sock" ] && return 0
		sleep 0.1
	done
	return 1
}

# wait_log LOG PATTERN: wait until the log has an extended-regex match.
wait_log() {
	for _ in $(seq $((WAIT_SECONDS * 10))); do
		grep -Eq "$2" "$1" && return 0
		sleep 0.1
	done
	return 1
}

run_queues() {
	local q=$1 log=$dir/vuring-$1.log tlog=$dir/testpmd-$1.log r rings ok_rings
	local hex='0x[0-9a-f]+'

	start_vuring "$q" "$log"
	ok $? "q=$q: vuring listens"

	# shellcheck disable=SC2046
	timeout -s INT "$TESTPMD_SECONDS" "$DPDK_TESTPMD" $(testpmd_eal "vuring-hs-$$-$q" 0 1) \
		--vdev "net_virtio_user0,path=$dir/sock,queues=$q" -- \
		--total-num-mbufs=16384 --stats-period=1 --rxq="$q" --txq="$q" \
		--nb-cores=1 </dev/null >"$tlog" 2>&1
	grep -q 'Bye' "$tlog"
	ok $? "q=$q: testpmd ran its port on vuring and exited cleanly"
	grep -q 'front-end connected' "$log"
	ok $? "q=$q: testpmd connected"

	rings=$((2 * q))
	for what in addresses call started stopped; do
		ok_rings=0
		for ((r = 0; r < rings; r++)); do
			case $what in
			addresses) pat="ring $r \([rt]x[0-9]+\) kick: num [1-9][0-9]* base [0-9]+ desc $hex avail $hex used $hex .* kick [0-9]+ " ;;
			call) pat="ring $r \([rt]x[0-9]+\) call: .* call [0-9]+ " ;;
			started) pat="ring $r \([rt]x[0-9]+\) started" ;;
			stopped) pat="ring $r: GET_VRING_BASE -> [0-9]+" ;;
			esac
			grep -Eq "$pat" "$log" && ok_rings=$((ok_rings + 1))
		done
		[ "$ok_rings" -eq "$rings" ]
		ok $? "q=$q: $what on all $rings rings ($ok_rings)"
	done
	wait_log "$log" 'front-end connection closed'
	ok $? "q=$q: testpmd's disconnect was torn down"
	! grep -Eq 'error:|device broken' "$log"
	ok $? "q=$q: no errors logged"
	kill -0 "$VURING_PID" 2>/dev/null
	ok $? "q=$q: vuring still running"
	kill -TERM "$VURING_PID"
	wait "$VURING_PID"
	ok $? "q=$q: vuring exits cleanly"
	VURING_PID=
}

run_queues 1
run_queues 2
done_testing
