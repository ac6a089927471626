#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# datapath.sh - vuring against the reference back-end, side by side, in one run.
#
#   sudo bench/datapath.sh [-d SECONDS] [-o OUT.md] [-p OUT.png] BUILDDIR
#
# Both back-ends are driven by the same front-end, DPDK's net_virtio_user in
# testpmd, and both move frames to a TAP inside a network namespace:
#   reference: testpmd with net_vhost + net_tap, --forward-mode=io
#   vuring:    vuring attached to a multiqueue TAP
# Directions:
#   tx (guest -> host): front-end in txonly mode; rate = the TAP's rx_packets
#   rx (host -> guest): frame_tool floods the TAP from the namespace; rate =
#                       frames the front-end received (testpmd rxonly)
# Frame sizes 64 and 1500 bytes. CPU: the back-end's user+system seconds per
# million packets (from /proc/PID/stat). Placement on a 2-CPU machine: the
# front-end's poller on CPU 0, the back-end on CPU 1 (DPDK's forwarding lcore
# on CPU 1 too); in rx the frame generator shares CPU 0 with the poller.
# Prints a markdown table with ratios; never fails on a slow result.
set -u

DUR=10
OUT=
PNG=
while getopts d:o:p: opt; do
	case $opt in
	d) DUR=$OPTARG ;;
	o) OUT=$OPTARG ;;
	p) PNG=$OPTARG ;;
	*) echo "usage: $0 [-d SECONDS] [-o OUT.md] [-p OUT.png] BUILDDIR" >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
BUILD=$(cd "${1:-.}" && pwd)
VURING=$BUILD/vuring
FRAME_TOOL=$BUILD/tests/frame_tool
[ -x "$VURING" ] && [ -x "$FRAME_TOOL" ] || {
	echo "build vuring and tests/frame_tool first (make && make check TESTS=)" >&2
	exit 2
}
[ "$(id -u)" = 0 ] || { echo "needs root (namespaces, TAP)" >&2; exit 2; }

NS=vuring-bench-$$
dir=$(mktemp -d)
PIDS=()
cleanup() {
	for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done
	ip netns del "$NS" 2>/dev/null
	rm -rf "$dir"
}
trap cleanup EXIT
. "$(dirname "$0")/lib.sh"

tap_counter() { # IF FIELD
	ip netns exec "$NS" cat "/sys/class/net/$1/statistics/$2" 2>/dev/null || echo 0
}

ns_setup() {
	ip netns del "$NS" 2>/dev/null
	ip netns add "$NS"
	ip -n "$NS" link set lo up
}

# start_backend KIND: sets BE_PID and BE_TAP
start_backend() {
	rm -f "$dir/sock"
	if [ "$1" = dpdk ]; then
		BE_TAP=dtap0
		# shellcheck disable=SC2046
		ip netns exec "$NS" dpdk-testpmd $(eal be 0,1 0) \
			--vdev "net_vhost0,iface=$dir/sock,queues=1" --vdev "net_tap0,iface=$BE_TAP" \
			-- --forward-mode=io --total-num-mbufs=16384 --auto-start \
			--stats-period=60 >"$dir/be.log" 2>&1 &
		BE_PID=$!
	else
		BE_TAP=vu0
		ip -n "$NS" tuntap add dev vu0 mode tap multi_queue vnet_hdr
		ip -n "$NS" link set vu0 up
		printf '[vhost-user]\npath = %s\n[backend]\ninterface = vu0\ncreate = no\n' \
			"$dir/sock" >"$dir/vuring.ini"
		ip netns exec "$NS" taskset -c 1 "$VURING" --config "$dir/vuring.ini" \
			--log-level warn >"$dir/be.log" 2>&1 &
		BE_PID=$!
	fi
	PIDS+=("$BE_PID")
	for _ in $(seq 100); do [ -S "$dir/sock" ] && break; sleep 0.1; done
	for _ in $(seq 50); do ip -n "$NS" link show "$BE_TAP" >/dev/null 2>&1 && break; sleep 0.1; done
	ip -n "$NS" link set "$BE_TAP" up
	ip netns exec "$NS" sysctl -qw "net.ipv6.conf.$BE_TAP.disable_ipv6=1"
}

# start_generator SIZE: frame_tool floods the TAP from the namespace (CPU 0)
start_generator() {
	ip netns exec "$NS" taskset -c 0 "$FRAME_TOOL" send "$BE_TAP" 2000000000 "$1" \
		>/dev/null 2>&1 &
	GEN_PID=$!
	PIDS+=("$GEN_PID")
}

# What the bench/lib.sh measurement calls: set up, count TX.
bench_setup() { ns_setup; }
tx_count() { tap_counter "$BE_TAP" rx_packets; }

bench_matrix
bench_table "DPDK vhost+net_tap" | tee "${OUT:-/dev/null}"

# The chart: packets per second per case, both back-ends side by side.
if [ -n "$PNG" ] && command -v gnuplot >/dev/null 2>&1; then
	for d in tx rx; do
		for size in 64 1500; do
			echo "$d-${size}B ${PPS[dpdk-$d-$size]} ${PPS[vuring-$d-$size]}"
		done
	done >"$dir/chart.dat"
	gnuplot <<GP
set terminal pngcairo size 800,450 noenhanced
set output "$PNG"
set title "vuring vs DPDK vhost+net_tap (one back-end CPU, virtio-user front-end)"
set ylabel "packets per second"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set key top right
set grid ytics
plot "$dir/chart.dat" using 2:xtic(1) title "DPDK vhost+net_tap", "" using 3 title "vuring"
GP
fi
