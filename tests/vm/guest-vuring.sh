#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# guest-vuring.sh - a real Linux guest on vuring.
#
# vuring runs in a network namespace attached to a persistent multiqueue TAP
# there; a Debian guest (QEMU, TCG here) boots with a vhost-user virtio-net
# device on vuring's socket with 4 queue pairs. The guest pings the namespace
# and back, runs iperf3 both ways with offloads on (TSO checked with ethtool),
# then spreads flows over 4 queues (ethtool -L) and vuring's per-queue
# counters must show more than one queue pair carrying traffic.
# Placement on a 2-CPU machine: QEMU on CPU 0, vuring on CPU 1.
# vuring runs hardened, as a deployment should: as user nobody (the TAP is
# nobody's), no capabilities, the seccomp filter, a restricted io_uring;
# /proc/PID/status must show it.

top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$top_srcdir/tests/tap.sh"
. "$top_srcdir/tests/vm/lib.sh"

TEST_SECS=240
BOOT_SECS=90
PING_SECS=20
IPERF_DURATION=5
QUEUES=4

HOST_IP=10.0.0.1
GUEST_IP=10.0.0.2
TAP=vu0

vm_setup_vuring guest-vuring "$TEST_SECS"
vm_require iperf3 taskset
vm_prepare

SOCK="$VM_DIR/vhost.sock"
export VM_GUEST_IP="$GUEST_IP/24" VM_QEMU_CPUS=0

RUN_AS=nobody
getent passwd "$RUN_AS" >/dev/null || skip_all "no user $RUN_AS to run vuring as"
vm_netns_with_tap "$TAP" "$HOST_IP/24" "$RUN_AS"

vm_vuring_ini "$SOCK" "$TAP" $QUEUES > "$VM_DIR/vuring.ini"
cat >> "$VM_DIR/vuring.ini" <<INI
[control]
path = $VM_DIR/ctl.sock
[security]
user = $RUN_AS
seccomp = yes
uring-restrict = yes
INI

# A plain command (not the vm_ns function) so that the PID is vuring's own.
vm_bg ip netns exec "$VM_NS" taskset -c 1 "$VURING" --config "$VM_DIR/vuring.ini" -v
VURING_PID=$VM_BG_PID
VURING_LOG=$VM_BG_LOG
vm_wait_socket "$SOCK" 10
ok $? "vuring listens on the vhost-user socket"

# status_is KEY VALUE: a /proc/PID/status line of vuring's, tabs squeezed
status_is() {
	local got
	got=$(awk -v k="$1:" '$1 == k { $1 = ""; sub(/^ /, ""); print; exit }' "/proc/$VURING_PID/status")
	[ "$got" = "$2" ] || { diag "$1: '$got', want '$2'"; return 1; }
}
uid=$(id -u "$RUN_AS")
# The drop follows the socket's creation closely; give it a moment.
for _ in $(seq 50); do
	grep -q '^Seccomp:[[:space:]]*2$' "/proc/$VURING_PID/status" && break
	sleep 0.1
done
status_is Uid "$uid $uid $uid $uid" && status_is CapEff 0000000000000000 &&
	status_is CapPrm 0000000000000000 && status_is NoNewPrivs 1 && status_is Seccomp 2
ok $? "vuring runs as $RUN_AS without capabilities, NoNewPrivs 1, Seccomp 2"

vm_start "$SOCK" "$QUEUES"
vm_boot_or_end "with eth0 up on vuring"

vm_ping_both "$VM_NS" "$HOST_IP" "the namespace" " through vuring"

vm_idle_ok "$VURING_PID"

offloads=$(vm_cmd 10 'ethtool -k eth0')
echo "$offloads" | grep -q '^tcp-segmentation-offload: on'
ok $? "guest has TSO on (ethtool -k)"
diag "guest offloads: $(echo "$offloads" | grep -E '^(tcp-segmentation-offload|rx-checksumming|tx-checksumming|generic-receive-offload):' | tr '\n' ' ')"

vm_bg ip netns exec "$VM_NS" timeout "$TEST_SECS" iperf3 -s -B "$HOST_IP"
sleep 1

rx_bytes() { ip netns exec "$VM_NS" cat "/sys/class/net/$TAP/statistics/$1"; }

# iperf_run DESC ARGS
iperf_run() {
	local rate
	rate=$(vm_iperf_mbps "$HOST_IP" "$IPERF_DURATION" "$2")
	ok $? "iperf3 $1 through vuring"
	diag "iperf3 $1: ${rate:-?} Mbit/s (TCG guest on CPU 0, vuring on CPU 1)"
}
iperf_run "guest->ns" ""
iperf_run "ns->guest" "-R"

# Large segments cross: with TSO the TAP sees frames larger than the MTU.
tcpdump_out=$(timeout 15 ip netns exec "$VM_NS" tcpdump -nn -i "$TAP" -c 20 \
	"tcp and greater 3000" 2>/dev/null &
	sleep 1; vm_cmd 20 "iperf3 -c $HOST_IP -t 3 -f m" >/dev/null; wait)
[ "$(echo "$tcpdump_out" | grep -c 'length')" -ge 1 ]
ok $? "TSO super-frames (> 3000 bytes) cross vuring to the TAP"

out=$(vm_cmd 10 "ethtool -L eth0 combined $QUEUES && ethtool -l eth0 | tail -n 5")
ok $? "guest switches to $QUEUES queue pairs (ethtool -L)"
out=$(vm_cmd 30 "iperf3 -c $HOST_IP -t $IPERF_DURATION -f m -P 4")
echo "$out" | grep -q 'SUM.*receiver'
ok $? "iperf3 guest->ns with 4 parallel flows through vuring"
diag "iperf3 4 flows: $(echo "$out" | grep 'SUM.*receiver' | tr -s ' ')"

vm_stop 15
ok $? "guest powers off"

kill -TERM "$VURING_PID"
wait "$VURING_PID"
ok $? "vuring exits 0 on SIGTERM"
# vuring logs each queue's counters when the front-end goes away.
busy=$(grep -E 'queue [0-9]+ \(tx[0-9]+\): [1-9][0-9]* packets' "$VURING_LOG" |
	sed -E 's/.*\((tx[0-9]+)\).*/\1/' | sort -u | wc -l)
diag "TX queues that carried frames: $busy"
grep -E 'queue [0-9]+ \((rx|tx)[0-9]+\)' "$VURING_LOG" | tail -n 8 | sed 's/^/# /'
[ "$busy" -ge 2 ]
ok $? "flows spread over more than one queue pair"
if grep -q 'AddressSanitizer\|runtime error' "$VURING_LOG"; then
	ok 1 "no sanitizer report from vuring"
else
	ok 0 "no sanitizer report from vuring"
fi
[ "$TAP_FAILED" -eq 0 ] || vm_dump_logs 40
done_testing
