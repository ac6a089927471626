#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# guest-qemu-restart.sh - vuring in client mode outlives the QEMUs it serves.
#
# QEMU listens on the vhost-user socket (server=on) and vuring dials it
# (mode = client). The QEMU process goes away twice, once cleanly (the guest
# powers off) and once by SIGKILL (a crash: no goodbye on the socket), and a
# new QEMU with a freshly booting guest takes its place each time. The same
# vuring notices each loss, redials with its backoff, and each new guest's
# network works: it pings the namespace and the namespace pings it.
# Measured: from each new QEMU's start to vuring's connection, and to the
# guest's network being up.

top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$top_srcdir/tests/tap.sh"
. "$top_srcdir/tests/vm/lib.sh"
. "$top_srcdir/tests/vm/restart_lib.sh"

TEST_SECS=170
BOOT_SECS=60
# Redial: from 100 ms, doubling to at most 1 s, so a QEMU that comes back
# after a few seconds is found within a second.
RECONNECT_MS=100
RECONNECT_MAX_MS=1000
# Upper bound for "vuring found the new QEMU": one full redial period plus the
# time QEMU takes to create its socket under load.
DIAL_MAX_SECS=5

HOST_IP=10.0.0.1
GUEST_IP=10.0.0.2
TAP=vu0

vm_setup_vuring guest-qemu-restart "$TEST_SECS"
vm_prepare

SOCK="$VM_DIR/vhost.sock"
export VM_GUEST_IP="$GUEST_IP/24" VM_SERVER=1

vm_netns_with_tap "$TAP" "$HOST_IP/24"

cat > "$VM_DIR/vuring.ini" <<INI
[vhost-user]
path = $SOCK
mode = client
reconnect-ms = $RECONNECT_MS
reconnect-max-ms = $RECONNECT_MAX_MS
[backend]
interface = $TAP
create = no
queue-pairs = 1
INI
VLOG="$VM_DIR/vuring.log"
rl_vuring_start "$VM_DIR/vuring.ini" "$VLOG" -v

# boot_and_check N: start QEMU number N (listening), wait for vuring to dial
# it and the guest to boot, then ping both ways.
boot_and_check() {
	local n=$1 t0 t_conn t_net out
	t0=$(rl_now)
	vm_start "$SOCK" 1
	rl_wait_log "$VLOG" 'front-end connected' "$n" "$DIAL_MAX_SECS"
	ok $? "QEMU $n: vuring dials it within $DIAL_MAX_SECS s"
	t_conn=$(rl_now)
	vm_wait_boot "$BOOT_SECS"
	ok $? "QEMU $n: the guest boots with eth0 up"
	t_net=$(rl_now)
	diag "QEMU $n: connected $(awk -v a="$t0" -v b="$t_conn" 'BEGIN { printf "%.2f", b - a }') s after QEMU started; guest network up after $(awk -v a="$t0" -v b="$t_net" 'BEGIN { printf "%.1f", b - a }') s"
	out=$(vm_cmd 20 "ping -c 3 -w 15 $HOST_IP")
	ok $? "QEMU $n: the guest pings the namespace"
	diag "QEMU $n: $(echo "$out" | grep -E 'transmitted' | tr '\n' ' ')"
	vm_ns_ping "$VM_NS" -c 3 -w 15 "$GUEST_IP" > /dev/null
	ok $? "QEMU $n: the namespace pings the guest"
}

boot_and_check 1

# A clean end: the guest powers off, QEMU exits and closes the socket.
vm_stop 20
ok $? "QEMU 1 exits as its guest powers off"
rl_wait_log "$VLOG" 'front-end connection closed' 1 10
ok $? "vuring notices QEMU 1 is gone"
rl_wait_log "$VLOG" 'cannot connect to the front-end' 1 10
ok $? "vuring redials while no QEMU listens"
sleep 2
boot_and_check 2

# A crash: SIGKILL, nothing said on the socket. VM_PID is timeout(1); QEMU
# is its child.
qemu_pid=$(pgrep -P "$VM_PID" -x qemu-system-x86)
[ -n "$qemu_pid" ] && kill -KILL $qemu_pid
ok $? "QEMU 2 killed (SIGKILL)"
wait "$VM_PID" 2>/dev/null
VM_PID=
rl_wait_log "$VLOG" 'front-end connection closed' 2 10
ok $? "vuring notices QEMU 2 was killed"
sleep 2
boot_and_check 3

vm_stop 20
ok $? "QEMU 3 exits as its guest powers off"
kill -0 "$RL_VPID" 2>/dev/null
ok $? "the same vuring served all three"
grep -q 'device broken' "$VLOG"
ok $((!$?)) "vuring never found a broken device"
kill -TERM "$RL_VPID"
rl_wait_exit "$RL_VPID" 15
ok $? "vuring exits 0 on SIGTERM"
rl_sanitizer_clean "$VLOG"
ok $? "no sanitizer report from vuring"
[ "$TAP_FAILED" -eq 0 ] || vm_dump_logs 40
done_testing
