#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# xdp.sh - vuring's AF_XDP back-end against DPDK's, side by side, in one run.
#
#   sudo bench/xdp.sh [-d SECONDS] [-o OUT.md] BUILDDIR
#
# Both back-ends are driven by the same front-end, DPDK's net_virtio_user in
# testpmd, and both move frames through AF_XDP (copy mode) on the same kind
# of veth pair between two network namespaces: the back-end binds to xv0,
# xp0 plays the network.
#   reference: testpmd with net_vhost + net_af_xdp, --forward-mode=io
#   vuring:    vuring with [backend] type = xdp
# Directions:
#   tx (guest -> host): front-end in txonly mode; rate = xp0's rx_packets
#   rx (host -> guest): trafgen floods xp0 from the peer namespace; rate =
#                       frames the front-end received (testpmd rxonly)
# Frame sizes 64 and 1500 bytes. CPU: the back-end's user+system seconds per
# million packets (from /proc/PID/stat); the kernel's AF_XDP transmit work
# runs in the back-end's context (sendto), its receive work in the sender's
# (veth). Placement on a 2-CPU machine: the front-end's poller on CPU 0, the
# back-end on CPU 1 (DPDK's forwarding lcore on CPU 1, its main lcore on 0);
# in rx the frame generator shares CPU 0 with the poller.
# AFXDP_ARGS appends options to the reference's net_af_xdp (",busy_budget=0").
# Prints a markdown table with ratios of rate and of packets per CPU-second;
# never fails on a slow result.
set -u

DUR=10
OUT=
while getopts d:o: opt; do
	case $opt in
	d) DUR=$OPTARG ;;
	o) OUT=$OPTARG ;;
	*) echo "usage: $0 [-d SECONDS] [-o OUT.md] BUILDDIR" >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
BUILD=$(cd "${1:-.}" && pwd)
VURING=$BUILD/vuring
[ -x "$VURING" ] || { echo "build vuring first (with libxdp: AF_XDP back-end: yes)" >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "needs root (namespaces, XDP, AF_XDP)" >&2; exit 2; }
for c in dpdk-testpmd trafgen; do
	command -v "$c" >/dev/null || { echo "$c not installed (dpdk, netsniff-ng)" >&2; exit 2; }
done

NS=vuring-xbench-$$
PEER_NS=vuring-xpeer-$$
IF=xv0
PEER=xp0
dir=$(mktemp -d)
PIDS=()
cleanup() {
	for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done
	ip netns del "$NS" 2>/dev/null
	ip netns del "$PEER_NS" 2>/dev/null
	rm -rf "$dir"
}
trap cleanup EXIT
. "$(dirname "$0")/lib.sh"

peer_counter() { # FIELD
	ip netns exec "$PEER_NS" cat "/sys/class/net/$PEER/statistics/$1" 2>/dev/null || echo 0
}

# A fresh veth pair for each run: no XDP program or socket state carries over.
veth_setup() {
	local ns
	ip netns del "$NS" 2>/dev/null
	ip netns del "$PEER_NS" 2>/dev/null
	ip netns add "$NS"
	ip netns add "$PEER_NS"
	ip link add "$IF" netns "$NS" type veth peer name "$PEER" netns "$PEER_NS"
	for ns in "$NS" "$PEER_NS"; do
		ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
		ip netns exec "$ns" sysctl -qw net.ipv6.conf.default.disable_ipv6=1
	done
	ip netns exec "$NS" sysctl -qw "net.ipv6.conf.$IF.disable_ipv6=1"
	ip netns exec "$PEER_NS" sysctl -qw "net.ipv6.conf.$PEER.disable_ipv6=1"
	ip -n "$NS" link set "$IF" up
	ip -n "$PEER_NS" link set "$PEER" up
}

# start_backend KIND: sets BE_PID
start_backend() {
	rm -f "$dir/sock"
	if [ "$1" = dpdk ]; then
		# shellcheck disable=SC2046
		ip netns exec "$NS" dpdk-testpmd $(eal be 0,1 0) \
			--vdev "net_vhost0,iface=$dir/sock,queues=1" \
			--vdev "net_af_xdp0,iface=$IF,start_queue=0,queue_count=1${AFXDP_ARGS:-}" \
			-- --forward-mode=io --total-num-mbufs=16384 --auto-start \
			--stats-period=60 >"$dir/be.log" 2>&1 &
	else
		printf '[vhost-user]\npath = %s\n[backend]\ntype = xdp\ninterface = %s\n[xdp]\nframe-size = 2048\n' \
			"$dir/sock" "$IF" >"$dir/vuring.ini"
		ip netns exec "$NS" taskset -c 1 "$VURING" --config "$dir/vuring.ini" \
			--log-level warn >"$dir/be.log" 2>&1 &
	fi
	BE_PID=$!
	PIDS+=("$BE_PID")
	for _ in $(seq 100); do [ -S "$dir/sock" ] && break; sleep 0.1; done
}

# start_generator SIZE: trafgen floods frames of SIZE bytes out of the peer
start_generator() {
	local pad=$(($1 - 14))
	cat >"$dir/frame.cfg" <<CFG
{
  0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
  0x02, 0x00, 0x00, 0x00, 0x00, 0x01,
  0x88, 0xb5,
  fill(0x00, $pad)
}
CFG
	ip netns exec "$PEER_NS" taskset -c 0 trafgen --dev "$PEER" --conf "$dir/frame.cfg" \
		--cpus 1 --no-sock-mem --notouch-irq --no-cpu-stats >"$dir/gen.log" 2>&1 &
	GEN_PID=$!
	PIDS+=("$GEN_PID")
}

# What the bench/lib.sh measurement calls: set up, count TX.
bench_setup() { veth_setup; }
tx_count() { peer_counter rx_packets; }

bench_matrix
bench_table "DPDK vhost+af_xdp" percpu | tee "${OUT:-/dev/null}"
