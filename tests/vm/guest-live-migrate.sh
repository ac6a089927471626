#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# guest-live-migrate.sh - live migration of a guest between two QEMUs on this
# machine, each with its own vuring and its own TAP, while traffic flows.
#
# One namespace holds a Linux bridge with the host side's address and two TAPs,
# vuA (vuring A, source) and vuB (vuring B, destination), so the guest's MAC
# moves from one bridge port to the other. The source QEMU boots the guest; the
# destination waits with -incoming on a unix socket. The guest pings the bridge
# address and the namespace pings the guest (every 50 ms) throughout; QMP
# migrate moves it. Checked: the migration completes, the guest keeps its
# network with no action inside it, the longest gap in the guest's echo replies
# on the bridge stays bounded, and an announcement for its MAC (its own
# gratuitous ARP with GUEST_ANNOUNCE, else vuring B's RARP) reaches the bridge
# from the new port. A TCP stream into the guest (iperf3 -R) runs across the
# switch-over, so vuring A writes guest memory all through the migration and
# the drain at the stop and the destination's restart happen under load.
# The destination starts paused (-S), so when the migration completes both
# QEMUs hold a copy of guest memory that nobody writes any more: the copies
# must be equal page for page. A page vuring A wrote without marking it dirty,
# or wrote after QEMU's last look (after GET_VRING_BASE, say), shows up there,
# whether or not the guest would ever have tripped over it. Only then does the
# destination run. The guest boots with init_on_alloc=0: Debian's kernel
# zeroes every page it allocates, RX buffer pages included, which marks them
# dirty again behind vuring's back and hid a missing dirty mark (a vuring
# built to log nothing passed with it on; with it off, 607 pages differed).
# (Under TCG, QEMU 7.2 itself loses guest CPU writes unless the RAM size is
# odd: see migrate_lib.sh.)

top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$top_srcdir/tests/tap.sh"
. "$top_srcdir/tests/vm/lib.sh"
. "$top_srcdir/tests/vm/migrate_lib.sh"

TEST_SECS=170
BOOT_SECS=90
MIGRATE_SECS=90
PING_IVAL=0.05
# Longest time without an echo reply from the guest across the switch-over:
# QEMU's own downtime (300 ms by default) plus the rings' restart, with room
# for a loaded 2-CPU machine running two TCG guests' worth of QEMU.
GAP_MAX_SECS=5
# The TCP stream into the guest that runs across the switch-over.
IPERF_SECS=12

BR_IP=10.0.0.1
GUEST_IP=10.0.0.2

vm_setup_vuring guest-live-migrate "$TEST_SECS"
vm_require python3 tcpdump iperf3
vm_prepare

export VM_GUEST_IP="$GUEST_IP/24" VM_QMP=1 VM_APPEND=init_on_alloc=0
MIG_SOCK="$VM_DIR/migrate.sock"

vm_netns_create || skip_all "cannot create a network namespace"
{
	ip -n "$VM_NS" link add br0 type bridge &&
		ip -n "$VM_NS" addr add "$BR_IP/24" dev br0 &&
		ip -n "$VM_NS" link set br0 up
} || skip_all "cannot create a bridge"
for t in vuA vuB; do
	ip -n "$VM_NS" tuntap add dev "$t" mode tap multi_queue vnet_hdr &&
		ip -n "$VM_NS" link set "$t" master br0 &&
		ip -n "$VM_NS" link set "$t" up || skip_all "cannot create TAP $t"
done

# start_vuring NAME TAP: vuring NAME on TAP, socket $VM_DIR/NAME.sock.
start_vuring() {
	vm_vuring_ini "$VM_DIR/$1.sock" "$2" 1 > "$VM_DIR/$1.ini"
	vm_bg ip netns exec "$VM_NS" "$VURING" --config "$VM_DIR/$1.ini" -v
	eval "VPID_$1=\$VM_BG_PID VLOG_$1=\$VM_BG_LOG"
	vm_wait_socket "$VM_DIR/$1.sock" 10
}
start_vuring A vuA && start_vuring B vuB
ok $? "two vurings listen, on vuA and vuB (bridged)"

VM_TAG=-src vm_start "$VM_DIR/A.sock" 1
mig_save src
vm_boot_or_end "on vuring A"
guest_mac=$(sed -n 's/.*VURING-NET-UP eth0 [^ ]* \([0-9a-f:]*\).*/\1/p' "$VM_LOG" | head -n1)
out=$(vm_cmd 30 "ping -c 3 -w 20 $BR_IP")
ok $? "guest pings the bridge through vuring A"

VM_TAG=-dst vm_start "$VM_DIR/B.sock" 1 -- -incoming "unix:$MIG_SOCK" -S
mig_save dst
mig_wait_runstate 30 inmigrate && vm_wait_socket "$MIG_SOCK" 10
ok $? "destination QEMU on vuring B waits for the guest"

mig_use src
mig_capture_start br0 "$VM_DIR/replies.cap" icmp and src host "$GUEST_IP"
mig_capture_start vuB "$VM_DIR/announce.cap" ether src "$guest_mac" and '(arp or rarp)'
ip netns exec "$VM_NS" busybox ping -i "$PING_IVAL" -w 60 "$GUEST_IP" > "$VM_DIR/ping.log" 2>&1 &
ping_pid=$!
VM_PIDS+=("$ping_pid")
vm_cmd 10 "ping -i 0.2 -c 150 $BR_IP > /tmp/ping.log 2>&1 &" > /dev/null
ok $? "guest starts pinging the bridge (in the background)"
vm_bg ip netns exec "$VM_NS" timeout "$TEST_SECS" iperf3 -s -1 -B "$BR_IP"
sleep 1
vm_cmd 10 "iperf3 -c $BR_IP -R -t $IPERF_SECS -f m > /tmp/iperf.log 2>&1 &" > /dev/null
sleep 3

t_mig=$(mig_now)
vm_qmp migrate "{\"uri\": \"unix:$MIG_SOCK\"}" > /dev/null && out=$(mig_wait_migrate "$MIGRATE_SECS")
ok $? "live migration completes"
t_done=$(mig_now)
diag "migration: $(awk -v a="$t_mig" -v b="$t_done" 'BEGIN { printf "%.1f", b - a }') s wall; QEMU says $(echo "$out" | grep -o '"total-time": [0-9]*\|"downtime": [0-9]*\|"setup-time": [0-9]*' | tr '\n' ' ')"
grep -q "dirty logging on" "$VLOG_A"
ok $? "vuring A logged dirty pages during the migration"

mig_use dst
mig_wait_runstate 30 paused
ok $? "the guest arrives, paused, on the destination"
t_hold=$(mig_now)
cmp_out=$(python3 "$VM_LIB_DIR/mem_compare.py" "$MIG_src_PID" "$MIG_dst_PID" "$VM_DIR")
cmp_rc=$?
echo "$cmp_out" | sed 1d | while read -r l; do diag "$l"; done
[ $cmp_rc -eq 0 ]
ok $? "guest memory on both sides is the same after the migration ($(echo "$cmp_out" | head -n1))"
vm_qmp cont > /dev/null && mig_wait_runstate 30 running
ok $? "the guest runs on the destination"
held=$(awk -v a="$t_hold" -v b="$(mig_now)" 'BEGIN { printf "%.2f", b - a }')
mig_use src
mig_quit
ok 0 "source QEMU quits"
mig_use dst

sleep 3
out=$(vm_cmd 30 "ping -c 3 -w 20 $BR_IP")
ok $? "guest pings the bridge through vuring B (destination's command channel)"
gstats=$(vm_cmd 40 "while pidof ping >/dev/null; do sleep 1; done; tail -n 2 /tmp/ping.log")
iperf=$(vm_cmd 40 "while pidof iperf3 >/dev/null; do sleep 1; done; cat /tmp/iperf.log")
echo "$iperf" | grep -q 'receiver'
ok $? "the TCP stream into the guest survives the migration (iperf3 -R)"
diag "iperf3 -R across the migration: $(echo "$iperf" | grep receiver | tr -s ' ')"
kmsg=$(vm_cmd 10 "dmesg | grep -E 'BUG:|Oops|corrupt|general protection|WARNING:|not a head|timed out|virtio.*(error|bad|unexpected)' | head -n 5")
[ -z "$kmsg" ]
ok $? "no kernel BUG, warning or virtio-net complaint in the guest's log${kmsg:+: $kmsg}"
kill -INT "$ping_pid" 2>/dev/null
wait "$ping_pid" 2>/dev/null
t_end=$(mig_now)
mig_capture_stop

first=$(head -n1 "$VM_DIR/replies.cap" | cut -d' ' -f1)
# The test itself held the guest paused for the memory comparison: that time
# (all inside the longest gap) is not the switch-over's.
gap=$(awk -v g="$(mig_max_gap "$VM_DIR/replies.cap" "$t_mig" "$t_end")" -v h="$held" \
	'BEGIN { printf "%.3f", g - h }')
awk -v g="$gap" -v m="$GAP_MAX_SECS" 'BEGIN { exit !(g < m) }'
ok $? "longest gap in the guest's echo replies on the bridge, less the ${held} s the test held it paused: ${gap} s (< $GAP_MAX_SECS s)"
diag "namespace -> guest ping (${PING_IVAL} s): $(mig_ping_stats "$VM_DIR/ping.log")"
diag "guest -> bridge ping (0.2 s): $(echo "$gstats" | grep transmitted)"
grep -q "$guest_mac" "$VM_DIR/announce.cap"
ok $? "an announcement for $guest_mac arrives from the new port (vuB)"
diag "announcements on vuB: $(grep -c 'Reverse' "$VM_DIR/announce.cap") RARP (vuring B), $(grep -c 'ARP (0x0806)' "$VM_DIR/announce.cap") ARP (guest); first at +$(awk -v a="$t_mig" 'NR == 1 { printf "%.2f", $1 - a }' "$VM_DIR/announce.cap") s"
sent_b=$(grep -c 'announced .* (RARP)' "$VLOG_B")
diag "vuring B sent $sent_b RARP announcement(s) on SEND_RARP"
[ -n "$first" ]
ok $? "echo replies were captured on the bridge"

vm_stop 15
ok $? "the migrated guest powers off"
for n in A B; do
	eval "pid=\$VPID_$n log=\$VLOG_$n"
	kill -TERM "$pid"
	wait "$pid"
	ok $? "vuring $n exits 0 on SIGTERM"
	grep -q 'AddressSanitizer\|runtime error\|device broken' "$log"
	[ $? -ne 0 ]
	ok $? "no sanitizer report and no broken device in vuring $n's log"
done
[ "$TAP_FAILED" -eq 0 ] || vm_dump_logs 40
done_testing
