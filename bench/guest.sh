#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# guest.sh - a real guest's iperf3 through vuring and through QEMU's own
# userspace TAP back-end (-netdev tap,vhost=off), in one run.
#
#   sudo bench/guest.sh BUILDDIR [SECONDS]
#
# Same guest (Debian kernel, busybox initramfs from tests/vm/), same
# namespace and iperf3 server; QEMU on CPU 0, vuring on CPU 1 (QEMU's own
# TAP back-end runs in QEMU's threads, which may use both CPUs). Prints a
# markdown table with Mbit/s each way and the ratios. Not a test.
BUILD=$(cd "${1:-.}" && pwd)
SECS=${2:-10}
VURING=$BUILD/vuring
top_srcdir=$(cd "$(dirname "$0")/.." && pwd)
. "$top_srcdir/tests/tap.sh"
. "$top_srcdir/tests/vm/lib.sh"
. "$top_srcdir/bench/lib.sh"
skip_all() { echo "guest.sh: $*" >&2; exit 2; }
[ -x "$VURING" ] || skip_all "no vuring in $BUILD"

vm_setup bench-guest
vm_require iperf3 taskset
vm_prepare
export VM_GUEST_IP=10.0.0.2/24 VM_QEMU_CPUS=0
vm_netns_create || skip_all "cannot create a namespace"
vm_bg ip netns exec "$VM_NS" iperf3 -s

# run_case NAME: boot, measure both ways, power off; prints "tx rx" Mbit/s
run_case() {
	local tx rx
	vm_wait_boot 120 || { vm_dump_logs 20; echo "0 0"; return; }
	tx=$(vm_iperf_mbps 10.0.0.1 "$SECS")
	rx=$(vm_iperf_mbps 10.0.0.1 "$SECS" -R)
	vm_stop 15
	echo "${tx:-0} ${rx:-0}"
}

# vuring on a persistent TAP vu0
vm_netns_tap "$VM_NS" vu0 10.0.0.1/24 || skip_all "cannot create a TAP"
printf '[vhost-user]\npath = %s\n[backend]\ninterface = vu0\ncreate = no\n' \
	"$VM_DIR/vhost.sock" > "$VM_DIR/vuring.ini"
vm_bg ip netns exec "$VM_NS" taskset -c 1 "$VURING" --config "$VM_DIR/vuring.ini" --log-level warn
VPID=$VM_BG_PID
vm_wait_socket "$VM_DIR/vhost.sock" 10 || skip_all "vuring did not start"
vm_start "$VM_DIR/vhost.sock" 1
read -r vu_tx vu_rx < <(run_case vuring)
vm_kill_pid "$VPID"
ip -n "$VM_NS" link del vu0

# QEMU's userspace TAP back-end on qt0, QEMU inside the namespace
ip -n "$VM_NS" tuntap add dev qt0 mode tap vnet_hdr
ip -n "$VM_NS" addr add 10.0.0.1/24 dev qt0
ip -n "$VM_NS" link set qt0 up
VM_NETDEV="tap,id=n0,ifname=qt0,script=no,downscript=no,vhost=off" VM_QEMU_NETNS=$VM_NS \
	vm_start - 1
read -r qt_tx qt_rx < <(run_case qemu-tap)

echo "| iperf3, ${SECS} s, TCG guest ($(vm_accel)) | QEMU tap,vhost=off (Mbit/s) | vuring (Mbit/s) | vuring/QEMU |"
echo "|---|---|---|---|"
echo "| guest -> host | $qt_tx | $vu_tx | $(ratio "$vu_tx" "$qt_tx") |"
echo "| host -> guest | $qt_rx | $vu_rx | $(ratio "$vu_rx" "$qt_rx") |"
