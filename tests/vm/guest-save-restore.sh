#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# guest-save-restore.sh - a guest on vuring is saved to a file and restored in a
# new QEMU against the same, still running vuring; its network works again with
# no action inside the guest.
#
#   QEMU 1 boots; the namespace pings the guest. QMP: migrate "exec:cat > FILE"
#   (QEMU 7.2 has no file: URI; vuring keeps a dirty log meanwhile), quit.
#   QEMU 2 starts with -S -incoming "exec:cat FILE" on the same socket, loads,
#   and runs on "cont". The namespace pings the guest every 50 ms throughout:
#   the resume time is from "cont" to the guest's first echo reply on the TAP;
#   after that, no ping may go unanswered. The guest, through QEMU 2's command
#   channel, pings the namespace.

top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$top_srcdir/tests/tap.sh"
. "$top_srcdir/tests/vm/lib.sh"
. "$top_srcdir/tests/vm/migrate_lib.sh"

TEST_SECS=170
BOOT_SECS=90
MIGRATE_SECS=60
# The guest must answer within this long after "cont" (TCG, loaded machine).
RESUME_MAX_SECS=5
PING_IVAL=0.05
# Pings sent after the first reply that may go unanswered: none on a quiet
# machine; under load a TCG guest's first ~100 ms after cont can swallow a
# couple of 50 ms pings (seen once in a shared CI run: 2).
LOST_MAX=4

HOST_IP=10.0.0.1
GUEST_IP=10.0.0.2
TAP=vu0

vm_setup_vuring guest-save-restore "$TEST_SECS"
vm_require python3 tcpdump
vm_prepare

SOCK="$VM_DIR/vhost.sock"
STATE="$VM_DIR/guest.state"
export VM_GUEST_IP="$GUEST_IP/24" VM_QMP=1

vm_netns_with_tap "$TAP" "$HOST_IP/24"
printf '[vhost-user]\npath = %s\n[backend]\ninterface = %s\ncreate = no\n' "$SOCK" "$TAP" \
	> "$VM_DIR/vuring.ini"
vm_bg ip netns exec "$VM_NS" "$VURING" --config "$VM_DIR/vuring.ini" -v
VURING_PID=$VM_BG_PID
VURING_LOG=$VM_BG_LOG
vm_wait_socket "$SOCK" 10
ok $? "vuring listens"

VM_TAG=-1 vm_start "$SOCK" 1
vm_boot_or_end "on vuring"
ip netns exec "$VM_NS" busybox ping -c 3 -w 20 "$GUEST_IP" > /dev/null
ok $? "namespace pings the guest"
guest_mac=$(sed -n 's/.*VURING-NET-UP eth0 [^ ]* \([0-9a-f:]*\).*/\1/p' "$VM_LOG" | head -n1)

t0=$SECONDS
out=$(vm_qmp migrate "{\"uri\": \"exec:cat > $STATE\"}" 2>&1) && out=$(mig_wait_migrate "$MIGRATE_SECS")
ok $? "QEMU 1 saves the running guest to a file (migrate exec:cat)"
diag "save: $((SECONDS - t0)) s, $(du -k "$STATE" | cut -f1) KiB; $(echo "$out" | grep -o '"total-time": [0-9]*\|"downtime": [0-9]*' | tr '\n' ' ')"
grep -q "dirty logging on" "$VURING_LOG"
ok $? "vuring was given the dirty log during the save"
mig_quit
vm_wait_marker "$VURING_LOG" "front-end connection closed" 10
ok $? "QEMU 1 quits; vuring sees the front-end go and keeps running"

mig_capture_start "$TAP" "$VM_DIR/replies.cap" icmp and src host "$GUEST_IP"
mig_capture_start "$TAP" "$VM_DIR/announce.cap" ether src "$guest_mac" and '(arp or rarp)'
ip netns exec "$VM_NS" busybox ping -i "$PING_IVAL" -w 60 "$GUEST_IP" > "$VM_DIR/ping.log" 2>&1 &
ping_pid=$!
VM_PIDS+=("$ping_pid")

VM_TAG=-2 vm_start "$SOCK" 1 -- -S -incoming "exec:cat $STATE"
mig_wait_migrate "$MIGRATE_SECS" > /dev/null && mig_wait_runstate 10 paused
ok $? "QEMU 2 loads the saved guest (-incoming exec:cat, paused)"
t_cont=$(mig_now)
vm_qmp cont > /dev/null
ok $? "cont"
for _ in $(seq 100); do
	first=$(mig_first_after "$VM_DIR/replies.cap" "$t_cont")
	[ -n "$first" ] && break
	sleep 0.1
done
resume=$(awk -v a="$t_cont" -v b="${first:-0}" 'BEGIN { printf "%.3f", b - a }')
[ -n "$first" ] && awk -v r="$resume" -v m="$RESUME_MAX_SECS" 'BEGIN { exit !(r < m) }'
ok $? "the guest answers pings again ${resume} s after cont (< $RESUME_MAX_SECS s)"

out=$(vm_cmd 30 "ping -c 3 -w 20 $HOST_IP")
ok $? "the restored guest pings the namespace (QEMU 2's command channel)"
sleep 2
kill -INT "$ping_pid" 2>/dev/null
wait "$ping_pid" 2>/dev/null
t_end=$(mig_now)
mig_capture_stop
# After the first answer, every ping must be answered: count the gaps.
gap=$(mig_max_gap "$VM_DIR/replies.cap" "$first" "$t_end")
lost_after=$(awk -v from="$first" -v ival="$PING_IVAL" -v g="$gap" 'BEGIN { n = int(g / ival + 0.5) - 1; print (n > 0 ? n : 0) }')
[ "$lost_after" -le "$LOST_MAX" ]
ok $? "no ping lost once the guest answered (longest gap ${gap} s, ~$lost_after lost)"
diag "namespace ping over the whole restore: $(mig_ping_stats "$VM_DIR/ping.log") (${PING_IVAL}s interval; the guest was away until cont)"
ann=$(wc -l < "$VM_DIR/announce.cap")
diag "announcements from $guest_mac on the TAP after the restore: $ann ($(grep -c 'RARP\|Reverse' "$VM_DIR/announce.cap") RARP)"

vm_stop 15
ok $? "the restored guest powers off"
kill -TERM "$VURING_PID"
wait "$VURING_PID"
ok $? "vuring exits 0 on SIGTERM"
grep -q 'AddressSanitizer\|runtime error\|device broken' "$VURING_LOG"
[ $? -ne 0 ]
ok $? "no sanitizer report and no broken device in vuring's log"
[ "$TAP_FAILED" -eq 0 ] || vm_dump_logs 40
done_testing
