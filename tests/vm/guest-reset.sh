#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# guest-reset.sh - the guest resets its NIC in every way it can while vuring
# and QEMU keep running: link down/up, driver unbind/bind, module unload and
# reload, and a hard reboot of the guest (reboot -f; QEMU started without
# -no-reboot, so the guest comes back in the same QEMU).
#
# Each reset makes QEMU stop the rings (GET_VRING_BASE) and, once the driver is
# back, set them up again from scratch (new rings at index 0, the memory the
# previous driver used now holding anything). After each one vuring must have
# started both rings again, found nothing broken, and the guest must ping the
# namespace and be pinged. Measured: the time from the reset command to the
# first successful ping.

top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$top_srcdir/tests/tap.sh"
. "$top_srcdir/tests/vm/lib.sh"
. "$top_srcdir/tests/vm/restart_lib.sh"

TEST_SECS=170
BOOT_SECS=60
# How long the guest may take to pass traffic again after a reset (TCG).
BACK_SECS=30

HOST_IP=10.0.0.1
GUEST_IP=10.0.0.2
TAP=vu0

vm_setup_vuring guest-reset "$TEST_SECS"
vm_prepare

SOCK="$VM_DIR/vhost.sock"
export VM_GUEST_IP="$GUEST_IP/24" VM_REBOOT=1

vm_netns_with_tap "$TAP" "$HOST_IP/24"

vm_vuring_ini "$SOCK" "$TAP" 1 > "$VM_DIR/vuring.ini"
VLOG="$VM_DIR/vuring.log"
# -v: debug, which logs every ring start ("virtq rx0: started ...").
rl_vuring_start "$VM_DIR/vuring.ini" "$VLOG" -v
vm_wait_socket "$SOCK" 10
ok $? "vuring listens"

vm_start "$SOCK" 1
vm_boot_or_end "on vuring"

# starts RING: how many times vuring started RING (rx0, tx0) so far.
starts() {
	grep -c "virtq $1: started" "$VLOG"
}

# Put eth0 back as the boot did: up, with its address.
ETH_UP=$(rl_eth_up_script "$GUEST_IP/24")

# check_reset NAME RESTARTS GUEST-SCRIPT: run GUEST-SCRIPT (which resets the
# NIC), then require traffic both ways and, with RESTARTS=1, new ring starts
# (virtio-net's ndo_stop/ndo_open leave the device and its rings alone).
check_reset() {
	local name=$1 restarts=$2 script=$3 rx0 tx0 t0 t1 out
	rx0=$(starts rx0)
	tx0=$(starts tx0)
	t0=$(rl_now)
	out=$(vm_cmd 60 "$script
$ETH_UP")
	ok $? "$name: the guest resets its NIC"
	[ -n "$out" ] && diag "$name: $out"
	vm_cmd "$BACK_SECS" "i=0; until ping -c 1 -W 1 $HOST_IP > /dev/null; do i=\$((i + 1)); [ \$i -lt $BACK_SECS ] || exit 1; done"
	ok $? "$name: the guest pings the namespace again"
	t1=$(rl_now)
	diag "$name: first ping answered $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }') s after the reset began"
	vm_ns_ping "$VM_NS" -c 3 -w 15 "$GUEST_IP" > /dev/null
	ok $? "$name: the namespace pings the guest"
	if [ "$restarts" = 1 ]; then
		[ "$(starts rx0)" -gt "$rx0" ] && [ "$(starts tx0)" -gt "$tx0" ]
		ok $? "$name: vuring started both rings anew (rx0 $rx0 -> $(starts rx0), tx0 $tx0 -> $(starts tx0))"
	else
		[ "$(starts rx0)" -eq "$rx0" ] && [ "$(starts tx0)" -eq "$tx0" ]
		ok $? "$name: the rings kept running (no reset reached vuring)"
	fi
}

vm_cmd 20 "ping -c 2 -w 15 $HOST_IP" > /dev/null
ok $? "guest pings the namespace"

check_reset "link down/up" 0 "ip link set eth0 down && sleep 1 && ip link set eth0 up"

DEV='dev=$(basename $(readlink /sys/class/net/eth0/device))'
check_reset "unbind/bind" 1 "$DEV
echo \$dev > /sys/bus/virtio/drivers/virtio_net/unbind && sleep 1 &&
echo \$dev > /sys/bus/virtio/drivers/virtio_net/bind"

check_reset "module reload" 1 "rmmod virtio_net && sleep 1 && insmod /lib/modules/virtio_net.ko"

# reboot -f: no driver shutdown; QEMU's system reset resets the device.
rx0=$(starts rx0)
tx0=$(starts tx0)
t0=$(rl_now)
printf '%s %s\n' "$(vm_next_id)" "$(echo 'reboot -f' | base64 -w0)" >&"$VM_CMD_FD"
rl_wait_log "$VM_LOG" 'VURING-CMD-READY' 2 "$BOOT_SECS"
ok $? "reboot: the guest comes back in the same QEMU"
vm_cmd "$BACK_SECS" "i=0; until ping -c 1 -W 1 $HOST_IP > /dev/null; do i=\$((i + 1)); [ \$i -lt $BACK_SECS ] || exit 1; done"
ok $? "reboot: the guest pings the namespace"
t1=$(rl_now)
diag "reboot: first ping answered $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }') s after reboot -f (boot included)"
vm_ns_ping "$VM_NS" -c 3 -w 15 "$GUEST_IP" > /dev/null
ok $? "reboot: the namespace pings the guest"
[ "$(starts rx0)" -gt "$rx0" ] && [ "$(starts tx0)" -gt "$tx0" ]
ok $? "reboot: vuring started both rings anew"

vm_bg ip netns exec "$VM_NS" timeout 60 iperf3 -s -1 -B "$HOST_IP"
sleep 1
out=$(vm_cmd 30 "iperf3 -c $HOST_IP -t 3 -f m 2>&1 | grep receiver")
echo "$out" | grep -q receiver
ok $? "after all resets: iperf3 runs through vuring"
diag "iperf3: $(echo "$out" | tr -s ' ')"

vm_stop 20
ok $? "guest powers off"
kill -0 "$RL_VPID" 2>/dev/null
ok $? "one vuring served through all of it"
! grep -q 'device broken' "$VLOG"
ok $? "vuring found no broken ring"
kill -TERM "$RL_VPID"
rl_wait_exit "$RL_VPID" 15
ok $? "vuring exits 0 on SIGTERM"
rl_sanitizer_clean "$VLOG"
ok $? "no sanitizer report from vuring"
[ "$TAP_FAILED" -eq 0 ] || vm_dump_logs 40
done_testing
