#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# guest-xdp.sh - a real Linux guest on vuring's AF_XDP back-end.
#
# A veth pair joins two network namespaces: vuring binds its AF_XDP socket to
# one end (xv0, no address), the other end (xp0, 10.0.0.1) plays the network.
# A Debian guest (QEMU, TCG here) boots with a vhost-user virtio-net device on
# vuring's socket; it pings the peer and back, runs iperf3 both ways, and has
# no TSO (the back-end offers no offloads). A quiet guest costs vuring no
# CPU, and after SIGTERM no XDP program is left on xv0.
# Placement on a 2-CPU machine: QEMU on CPU 0, vuring on CPU 1.

top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$top_srcdir/tests/tap.sh"
. "$top_srcdir/tests/vm/lib.sh"
. "$top_srcdir/tests/xdp_lib.sh"

TEST_SECS=240
BOOT_SECS=90
PING_SECS=20
IPERF_DURATION=5

HOST_IP=10.0.0.1
GUEST_IP=10.0.0.2

vm_setup_vuring guest-xdp "$TEST_SECS"
vm_require iperf3 taskset
xdp_need_build "$VM_DIR"
vm_prepare

SOCK="$VM_DIR/vhost.sock"
export VM_GUEST_IP="$GUEST_IP/24" VM_QEMU_CPUS=0

# On VM_NETNS_LIST, vm_cleanup removes the namespaces.
VM_NETNS_LIST+=("$XDP_NS" "$XDP_PEER_NS")
xdp_veth 1 || skip_all "cannot create network namespaces and a veth pair"
xdp_need_support "$VM_DIR"
ip -n "$XDP_PEER_NS" addr add "$HOST_IP/24" dev "$XDP_PEER_IF"
# A veth leaves TCP/UDP checksums to "hardware" that never computes them, and
# AF_XDP frames carry no note that a checksum is missing: the peer must
# compute its own, as a NIC's wire always delivers complete ones.
vm_require ethtool
ip netns exec "$XDP_PEER_NS" ethtool -K "$XDP_PEER_IF" tx off >/dev/null ||
	skip_all "cannot turn off checksum offload on $XDP_PEER_IF"

cat > "$VM_DIR/vuring.ini" <<INI
[vhost-user]
path = $SOCK
[backend]
type = xdp
interface = $XDP_IF
queue-pairs = 1
[xdp]
frame-size = 2048
INI

# A plain command (not the vm_ns function) so that the PID is vuring's own.
vm_bg ip netns exec "$XDP_NS" taskset -c 1 "$VURING" --config "$VM_DIR/vuring.ini" -v
VURING_PID=$VM_BG_PID
XDP_LOG=$VM_BG_LOG
vm_wait_socket "$SOCK" 10
ok $? "vuring listens with AF_XDP on $XDP_IF"
grep -E 'AF_XDP on|offloads' "$XDP_LOG" | sed 's/^/# /'

vm_start "$SOCK" 1
vm_boot_or_end "with eth0 up on vuring's AF_XDP back-end"

vm_ping_both "$XDP_PEER_NS" "$HOST_IP" "the veth peer" " through vuring"

vm_idle_ok "$VURING_PID"

offloads=$(vm_cmd 10 'ethtool -k eth0')
echo "$offloads" | grep -q '^tcp-segmentation-offload: off'
ok $? "guest has no TSO: the AF_XDP back-end offers no offloads"
diag "guest offloads: $(echo "$offloads" | grep -E '^(tcp-segmentation-offload|rx-checksumming|tx-checksumming):' | tr '\n' ' ')"

vm_bg ip netns exec "$XDP_PEER_NS" timeout "$TEST_SECS" iperf3 -s -B "$HOST_IP"
sleep 1

# iperf_run DESC ARGS
iperf_run() {
	local rate
	rate=$(vm_iperf_mbps "$HOST_IP" "$IPERF_DURATION" "$2")
	ok $? "iperf3 $1 through vuring's AF_XDP back-end"
	diag "iperf3 $1: ${rate:-?} Mbit/s (TCG guest on CPU 0, vuring on CPU 1)"
}
iperf_run "guest->peer" ""
iperf_run "peer->guest" "-R"

vm_stop 15
ok $? "guest powers off"

kill -TERM "$VURING_PID"
wait "$VURING_PID"
ok $? "vuring exits 0 on SIGTERM"
grep -E 'queue [0-9]+ \((rx|tx)[0-9]+\)|AF_XDP\)' "$XDP_LOG" | sed 's/^/# /'
xdp_prog_attached
[ $? -ne 0 ]
ok $? "no XDP program left on $XDP_IF"
if grep -q 'AddressSanitizer\|runtime error' "$XDP_LOG"; then
	ok 1 "no sanitizer report from vuring"
else
	ok 0 "no sanitizer report from vuring"
fi
[ "$TAP_FAILED" -eq 0 ] || vm_dump_logs 40
done_testing
