#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# guest-fdstore.sh - vuring restarts under a running guest without QEMU ever
# seeing a disconnect: the fd store keeps the session (src/fdstore.c).
#
# A stand-in for systemd (tests/fdstore_supervisor.py) runs vuring with a
# notify socket and a file descriptor store, and restarts it the way
# `systemctl restart` (SIGTERM) and a crash with Restart= (SIGKILL) do,
# handing the stored fds back. vuring created its TAP itself, so the TAP (and
# the address the test gave it) survives only through the store too. QEMU is
# started WITHOUT reconnect: had its socket closed even once, the guest's
# network would be gone for good. While the guest pings the namespace every
# PING_IVAL s, vuring is restarted with SIGTERM and with SIGKILL, then again
# under iperf3 in both directions. Checked: each new vuring resumes the
# session, the guest's link never went down (carrier_changes), pings lost
# stay within LOST_MAX per restart, iperf3 completes, and the network works
# both ways at the end. Measured: the supervisor's restart to the new
# process's READY=1, the kill to the first echo request on the TAP again,
# lost pings.

top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$top_srcdir/tests/tap.sh"
. "$top_srcdir/tests/vm/lib.sh"
. "$top_srcdir/tests/vm/restart_lib.sh"

TEST_SECS=170
BOOT_SECS=60
PING_IVAL=0.2
# Restarts during the ping run: one SIGTERM, one SIGKILL, RESTART_GAP s apart.
RESTART_GAP=4
PING_COUNT=75
# A restart may cost the pings that fall into it. Frames the guest sends
# while no vuring runs wait in the ring, frames for the guest wait in the
# TAP's queue: none need be lost, but a TX frame in flight at a SIGKILL is
# sent twice or an RX frame read but not yet copied is lost. Allowed: one
# ping per restart.
LOST_MAX=1
IPERF_SECS=6
# Restarts under iperf3, each SIGNAL:IPERF3-DIRECTION. Receiving (-R) is the
# hard case: the TAP's backlog of 64 KiB frames meets a half-refilled ring.
IPERF_ROUNDS="KILL: TERM:-R KILL:-R TERM: KILL:-R TERM:-R"
# Two queue pairs, both in use (ethtool -L): more rings, fds and a TAP
# queue each to keep.
QUEUES=2
STOP_TIMEOUT=10

HOST_IP=10.0.0.1
GUEST_IP=10.0.0.2
TAP=vu0

vm_setup_vuring guest-fdstore "$TEST_SECS"
"$VURING" --version > /dev/null || skip_all "VURING does not run"
vm_require python3 iperf3 tcpdump
vm_prepare

SOCK="$VM_DIR/vhost.sock"
CTL="$VM_DIR/supervisor.ctl"
SUPLOG="$VM_DIR/supervisor.log"
export VM_GUEST_IP="$GUEST_IP/24"
unset VM_RECONNECT

vm_netns_create || skip_all "cannot create a network namespace"

vm_vuring_ini "$SOCK" "$TAP" $QUEUES yes > "$VM_DIR/vuring.ini"

mkfifo "$CTL"
vm_bg ip netns exec "$VM_NS" python3 "$top_srcdir/tests/fdstore_supervisor.py" \
	--child-log "$VM_DIR/vuring" --stop-timeout "$STOP_TIMEOUT" "$CTL" "$SUPLOG" -- \
	"$VURING" --config "$VM_DIR/vuring.ini" -v
rl_wait_log "$SUPLOG" '^[0-9.]+ READY' 1 20
ok $? "vuring under the supervisor is ready"
grep -q 'fd store: in use' "$VM_DIR/vuring-0.log"
ok $? "vuring uses the fd store"
vm_netns_addr "$VM_NS" "$TAP" "$HOST_IP/24" 10
ok $? "the TAP vuring created is up with $HOST_IP"

vm_start "$SOCK" "$QUEUES"
vm_boot_or_end "on vuring"
vm_cmd 20 "ethtool -L eth0 combined $QUEUES && ping -c 2 -w 15 $HOST_IP" > /dev/null
ok $? "guest uses $QUEUES queue pairs and pings the namespace"
carrier0=$(vm_cmd 10 'cat /sys/class/net/eth0/carrier_changes')

rl_capture_start "$TAP"
ok $? "capturing the guest's echo requests on the TAP"

# restart SIGNAL N: restart vuring with SIGNAL; N is the start number the new
# process gets. Sets T_KILL (epoch seconds) and checks the new process.
restart() {
	local sig=$1 n=$2
	T_KILL=$(rl_now)
	echo "restart $sig" > "$CTL"
	rl_wait_log "$SUPLOG" '^[0-9.]+ READY' $((n + 1)) 20
	ok $? "restart $n ($sig): the new vuring is ready"
	rl_wait_log "$VM_DIR/vuring-$n.log" 'fd store: resumed the session' 1 5
	ok $? "restart $n ($sig): it resumed the stored session"
}

# The supervisor's view: from RESTART to the new process's READY=1.
restart_secs() {
	awk -v n="$1" '
		$2 == "RESTART" { t = $1; r++ }
		$2 == "READY" && r == n && t { printf "%.2f", $1 - t; exit }' "$SUPLOG"
}

# back_after T: seconds from T to the next echo request on the TAP.
back_after() {
	local t_back
	t_back=$(rl_first_after "$1")
	[ -n "$t_back" ] || { echo none; return; }
	awk -v a="$1" -v b="$t_back" 'BEGIN { printf "%.2f", b - a }'
}

rl_guest_ping_start "$HOST_IP" "$PING_IVAL" "$PING_COUNT"
sleep "$RESTART_GAP"
restart TERM 1
t1=$T_KILL
sleep "$RESTART_GAP"
restart KILL 2
t2=$T_KILL
out=$(rl_guest_ping_wait 40)
stats=$(echo "$out" | rl_ping_stats "$PING_IVAL")
diag "ping every $PING_IVAL s across a SIGTERM and a SIGKILL restart: $stats"
lost=$(echo "$stats" | sed -n 's/.* lost \([0-9]*\).*/\1/p')
[ -n "$lost" ] && [ "$lost" -le $((2 * LOST_MAX)) ] &&
	[ "$(echo "$stats" | sed -n 's/.* received \([0-9]*\).*/\1/p')" -gt 0 ]
ok $? "pings lost across the two restarts: ${lost:-?} (at most $((2 * LOST_MAX)))"
diag "restart 1 (SIGTERM): ready $(restart_secs 1) s after the restart; next echo request on the TAP $(back_after "$t1") s after the kill"
diag "restart 2 (SIGKILL): ready $(restart_secs 2) s after the restart; next echo request on the TAP $(back_after "$t2") s after the kill"

vm_bg ip netns exec "$VM_NS" timeout "$TEST_SECS" iperf3 -s -B "$HOST_IP"
sleep 1
n=3
for spec in $IPERF_ROUNDS; do
	sig=${spec%%:*}
	dir=${spec#*:}
	vm_cmd 10 "iperf3 -c $HOST_IP -t $IPERF_SECS -f m -P $QUEUES $dir > /tmp/iperf.log 2>&1 & echo \$! > /tmp/iperf.pid" \
		> /dev/null
	sleep 2
	restart "$sig" "$n"
	iperf=$(vm_cmd 40 'while kill -0 $(cat /tmp/iperf.pid) 2>/dev/null; do sleep 0.5; done
cat /tmp/iperf.log')
	echo "$iperf" | grep -q receiver
	ok $? "restart $n ($sig) under iperf3 ${dir:-guest->ns}${dir:+ (ns->guest)}: iperf3 completes"
	diag "restart $n ($sig): ready $(restart_secs "$n") s after the restart; iperf3: $(echo "$iperf" | grep -E 'sender|receiver' | tr -s ' ' | tr '\n' ' ')"
	n=$((n + 1))
done
rl_capture_stop

carrier1=$(vm_cmd 10 'cat /sys/class/net/eth0/carrier_changes')
[ -n "$carrier0" ] && [ "$carrier0" = "$carrier1" ]
ok $? "the guest's link never went down (carrier_changes $carrier0 -> $carrier1)"
vm_cmd 20 "ping -c 3 -w 15 $HOST_IP" > /dev/null
ok $? "the guest still pings the namespace (QEMU has no reconnect: it never lost vuring)"
vm_ns_ping "$VM_NS" -c 3 -w 15 "$GUEST_IP" > /dev/null
ok $? "the namespace pings the guest through the TAP the store kept"
# vuring says "waiting for a front-end" at start without a session and
# whenever its front-end goes; a resumed vuring serves from the start.
waits=$(grep -c '^[0-9.]* STATUS [0-9]* waiting for a front-end' "$SUPLOG")
[ "$waits" -eq 1 ]
ok $? "no vuring saw the front-end go (\"waiting for a front-end\" $waits time(s): the first start)"
! grep -q 'device broken' "$VM_DIR"/vuring-*.log
ok $? "no vuring found the resumed rings broken"
grep -c '^[0-9.]* HUP' "$SUPLOG" | grep -qx 0
ok $? "no stored fd hung up"

# The session changes under the store: the guest reloads its driver (QEMU
# stops every ring, hands over new eventfds and new rings), then vuring is
# killed again. The store must have followed: the successor resumes the new
# rings, not the old ones.
removed=$(grep -c '^[0-9.]* REMOVE vuring-fd-' "$SUPLOG")
vm_cmd 60 "rmmod virtio_net && insmod /lib/modules/virtio_net.ko
$(rl_eth_up_script "$GUEST_IP/24") && ethtool -L eth0 combined $QUEUES" > /dev/null
ok $? "the guest reloads its NIC driver"
vm_cmd 20 "ping -c 2 -w 15 $HOST_IP" > /dev/null
ok $? "the guest pings after the reload"
[ "$(grep -c '^[0-9.]* REMOVE vuring-fd-' "$SUPLOG")" -gt "$removed" ]
ok $? "the store dropped the eventfds QEMU replaced"
restart KILL "$n"
n=$((n + 1))
vm_cmd 20 "ping -c 3 -w 15 $HOST_IP" > /dev/null
ok $? "the guest pings after a kill that followed the reload"
# systemd keeps one copy of each open file; QEMU sends its memory file again
# with each memory table, and may send an eventfd again.
! grep -q '^[0-9.]* DUPLICATE' "$SUPLOG"
ok $? "vuring never offered the store a file it already held"

vm_stop 20
ok $? "guest powers off"
echo stop > "$CTL"
rl_wait_log "$SUPLOG" 'STOPPED' 1 $((STOP_TIMEOUT + 5))
ok $? "the supervisor stops vuring"
grep -q 'TIMEOUT' "$SUPLOG"
ok $((!$?)) "every vuring exited on SIGTERM within $STOP_TIMEOUT s"
rl_sanitizer_clean "$VM_DIR"/vuring-*.log
ok $? "no sanitizer report from any vuring"
[ "$TAP_FAILED" -eq 0 ] || { vm_dump_logs 40; tail -n 30 "$SUPLOG" | sed 's/^/# /'; }
done_testing
