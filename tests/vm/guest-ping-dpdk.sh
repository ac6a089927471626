#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# guest-ping-dpdk.sh - self-test of the VM harness (tests/vm/lib.sh).
#
# The reference vhost-user back-end, DPDK testpmd with the vhost PMD forwarding to
# its net_tap PMD, runs in a network namespace; a Debian guest boots under the
# harness against it, pings the namespace and is pinged back, and runs iperf3 both
# ways.  It proves the harness (initramfs, boot, markers, command channel,
# namespaces, cleanup) independently of vuring, whose own VM tests reuse lib.sh.
# Placement on a 2-CPU machine: testpmd's poller on CPU 1, QEMU on CPU 0.

top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$top_srcdir/tests/tap.sh"
. "$top_srcdir/tests/vm/lib.sh"

# Budgets (seconds), chosen so the whole test stays under 3 minutes on a slow TCG
# host: boot to a shell takes 10-15 s, an iperf3 run its duration plus setup.
TEST_SECS=170
BOOT_SECS=90
PING_SECS=20
IPERF_DURATION=5
# testpmd outlives every step above, but not a stuck test.
TESTPMD_SECS=$TEST_SECS

HOST_IP=10.0.0.1
GUEST_IP=10.0.0.2
TAP=dtap0

vm_setup guest-ping-dpdk "$TEST_SECS"
[ -n "${VURING_TEST_QUICK:-}" ] && skip_all "quick mode (VURING_TEST_QUICK): VM tests skipped"
vm_require dpdk-testpmd iperf3 taskset
[ "$(nproc)" -ge 2 ] || skip_all "needs 2 CPUs (testpmd polls one at 100%)"
vm_prepare

SOCK="$VM_DIR/vhost.sock"
export VM_GUEST_IP="$GUEST_IP/24" VM_QEMU_CPUS=0

vm_netns_create || skip_all "cannot create a network namespace"

# start_testpmd [VHOST-DEVARGS]: the reference back-end.  net_tap creates its TAP
# in the namespace testpmd runs in; the main lcore (0) only prints statistics, the
# forwarding lcore (1) polls.
start_testpmd() {
	vm_bg vm_ns "$VM_NS" timeout -s INT "$TESTPMD_SECS" dpdk-testpmd \
		--no-huge -m 512 --no-pci --no-shconf --no-telemetry \
		--file-prefix="vuring-vm-$$" -l 0,1 \
		--vdev "net_vhost0,iface=$SOCK,queues=1${1:+,$1}" --vdev "net_tap0,iface=$TAP" \
		-- --forward-mode=io --total-num-mbufs=16384 --stats-period=1
	TESTPMD_LOG=$VM_BG_LOG
}

script="$VM_DIR/boot-script"
echo 'echo "VURING-RESULT boot-script $(uname -r)"' > "$script"

# VM_SERVER=1 runs the same test with the roles of the socket swapped: QEMU
# listens, testpmd connects (client=1).
start=$SECONDS
if [ "${VM_SERVER:-0}" = 1 ]; then
	vm_start "$SOCK" 1 "$script"
	vm_wait_socket "$SOCK" 20
	ok $? "QEMU listens on the vhost-user socket"
	start_testpmd client=1
else
	start_testpmd
	vm_wait_socket "$SOCK" 20
	ok $? "testpmd listens on the vhost-user socket"
	start=$SECONDS
	vm_start "$SOCK" 1 "$script"
fi
vm_netns_addr "$VM_NS" "$TAP" "$HOST_IP/24" 20
ok $? "namespace address on testpmd's TAP"

vm_wait_boot "$BOOT_SECS"
booted=$?
ok $booted "guest boots with eth0 up (accel $(vm_accel))"
diag "boot: $(vm_boot_secs) s guest clock, $((SECONDS - start)) s wall to command channel"
if [ $booted -ne 0 ]; then
	vm_dump_logs
	done_testing
fi

grep -q 'VURING-RESULT boot-script' "$VM_LOG"
ok $? "boot script passed through fw_cfg ran"

out=$(vm_cmd 10 'cat /sys/class/net/eth0/address; exit 3')
[ $? -eq 3 ] && [ "$out" = "52:54:00:12:34:56" ]
ok $? "command channel returns output and exit status"

vm_ping_both "$VM_NS" "$HOST_IP" "the namespace"

diag "guest offloads: $(vm_cmd 10 'ethtool -k eth0' | grep -E '^(tcp-segmentation-offload|rx-checksumming|tx-checksumming):' | tr '\n' ' ')"

vm_bg vm_ns "$VM_NS" timeout "$TESTPMD_SECS" iperf3 -s -B "$HOST_IP"
sleep 1

# iperf_run DESC ARGS: one iperf3 run; passes on a non-zero receiver bitrate.
iperf_run() {
	local rate
	rate=$(vm_iperf_mbps "$HOST_IP" "$IPERF_DURATION" "$2")
	ok $? "iperf3 $1"
	diag "iperf3 $1: ${rate:-?} Mbit/s (TCG guest on CPU 0, testpmd poller on CPU 1)"
}
iperf_run "guest->ns" ""
iperf_run "ns->guest" "-R"

vm_stop 15
ok $? "guest powers off on request"

grep -q 'VURING-POWEROFF' "$VM_LOG"
ok $? "guest reached its poweroff marker"

[ "$TAP_FAILED" -eq 0 ] || vm_dump_logs
diag "testpmd: $(tr -d '\r' < "$TESTPMD_LOG" | sed 's/\x1b\[[0-9;]*[A-Za-z]//g' |
	grep -E 'RX-packets|TX-packets' | tail -n 4 | tr -s ' ' | tr '\n' ' ')"
done_testing
