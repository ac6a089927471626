#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# fdstore_qemu.sh - the fd store's bookkeeping, with QEMU's own front-end and
# no guest (-S: QEMU negotiates features, ownership and the rings' eventfds
# as soon as it connects).
#
# vuring runs under tests/fdstore_supervisor.py (the stand-in for systemd).
#   1. Restarts with SIGTERM and SIGKILL: each new vuring resumes the stored
#      session, QEMU (started without reconnect) stays connected and does
#      not negotiate again.
#   2. A damaged session record: the new vuring does not resume, removes the
#      session's fds from the store, so QEMU sees the disconnect; QEMU
#      (reconnect=1 this time) connects again and negotiates afresh.
#   3. QEMU goes: the session's fds leave the store; a restart then has
#      nothing to resume.
#   4. Client mode (QEMU listens): a resumed vuring does not dial again, and
#      dials once its resumed front-end is gone.
set -u
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
. "$top_srcdir/tests/tap.sh"
. "$top_srcdir/tests/qemu_lib.sh"

qemu_lib_setup
command -v python3 >/dev/null 2>&1 || skip_all "python3 not installed"
"$VURING" --version | grep -q . || skip_all "VURING does not run"
ctl=$dir/ctl
suplog=$dir/supervisor.log

count() {
	local n
	n=$(grep -Ec -- "$2" "$1" 2>/dev/null)
	echo "${n:-0}"
}

# negotiated LOG [N]: QEMU set up every ring's call fd (the last step at -S),
# N times in all (a resumed session logs it once more, from the record).
negotiated() {
	wait_count "$1" "<- SET_VRING_CALL" 1 &&
		wait_count "$1" "ring $((2 * QUEUES - 1)) \(tx$((QUEUES - 1))\) call:" "${2:-1}"
}

# settled LOG: a freshly started QEMU also sent its SET_VRING_ENABLEs, its
# last messages at -S. A vuring killed before it read them would leave them
# to its successor, which then sees QEMU send again.
settled() {
	wait_count "$1" "<- SET_VRING_ENABLE" $((2 * QUEUES))
}

# restart SIG N: restart vuring; N is the new process's start number.
restart() {
	echo "restart $1" > "$ctl"
	wait_count "$suplog" '^[0-9.]+ READY' $(($2 + 1))
}

printf '[vhost-user]\npath = %s\n[backend]\nqueue-pairs = %s\n' "$sock" "$QUEUES" > "$dir/vuring.ini"
mkfifo "$ctl"
python3 "$top_srcdir/tests/fdstore_supervisor.py" --fdstore-max 64 --child-log "$dir/v" \
	"$ctl" "$suplog" -- "$VURING" --config "$dir/vuring.ini" --log-level debug &
pids="$pids $!"
wait_count "$suplog" '^[0-9.]+ READY' 1
ok $? "vuring under the supervisor is ready"

# ---------------------------------------------------------------- 1. resume
start_qemu "$dir/q1.log" ""
negotiated "$dir/v-0.log" && settled "$dir/v-0.log"
ok $? "QEMU (no reconnect) connects and negotiates"
wait_count "$suplog" 'STORE vuring-fd-sock-' 1
ok $? "the connected socket is in the store"

n=1
for sig in TERM KILL; do
	restart "$sig" "$n"
	ok $? "restart $n ($sig): a new vuring is ready"
	wait_count "$dir/v-$n.log" 'fd store: resumed the session' 1
	ok $? "restart $n ($sig): it resumed the session"
	[ "$(count "$dir/v-$n.log" '<- ')" -eq 0 ]
	ok $? "restart $n ($sig): QEMU did not negotiate again (no message at all)"
	n=$((n + 1))
done
kill -0 "$QPID" 2>/dev/null
ok $? "QEMU is still running"
grep -q 'Connection reset\|disconnect' "$dir/q1.log"
ok $((!$?)) "QEMU logged no disconnect"
# The session's fds still serve: QEMU's own exit is seen by the third vuring.
kill -TERM "$QPID"
wait "$QPID" 2>/dev/null
wait_count "$dir/v-2.log" 'front-end connection closed' 1
ok $? "the resumed vuring sees QEMU go (the socket is the one QEMU had)"
wait_count "$suplog" 'REMOVE vuring-fd-sock-' 1
ok $? "QEMU gone: the socket leaves the store"
echo dump > "$ctl"
wait_count "$suplog" '^[0-9.]+ DUMP' 1
grep '^[0-9.]* DUMP' "$suplog" | tail -n1 | grep -Eq 'sock|kick|call|err|mem'
ok $((!$?)) "QEMU gone: no fd of its session is left in the store"
restart TERM "$n"
ok $? "restart $n without a session: ready"
grep -q 'fd store: resumed' "$dir/v-$n.log"
ok $((!$?)) "restart $n: nothing to resume"
n=$((n + 1))

# ---------------------------------------------------------------- 2. damaged record
start_qemu "$dir/q2.log" "reconnect=1"
negotiated "$dir/v-$((n - 1)).log"
ok $? "a new QEMU (reconnect=1) connects and negotiates"
echo "corrupt vuring-fd-state" > "$ctl"
wait_count "$suplog" 'CORRUPTED vuring-fd-state' 1
restart KILL "$n"
ok $? "restart $n after the record was damaged: ready"
grep -q 'record is damaged' "$dir/v-$n.log"
ok $? "restart $n: the damaged record is noticed"
grep -q 'fd store: resumed' "$dir/v-$n.log"
ok $((!$?)) "restart $n: nothing is resumed from it"
negotiated "$dir/v-$n.log"
ok $? "QEMU saw the disconnect, reconnected and negotiated afresh"
kill -0 "$QPID" 2>/dev/null
ok $? "QEMU is still running"

echo stop > "$ctl"
wait_count "$suplog" 'STOPPED' 1
ok $? "the supervisor stops vuring"
ok "$(count "$suplog" 'TIMEOUT')" "every vuring exited on SIGTERM in time"
kill -TERM "$QPID" 2>/dev/null
wait "$QPID" 2>/dev/null

# ---------------------------------------------------------------- 4. client mode
csock=$dir/client.sock
cctl=$dir/cctl
csup=$dir/csupervisor.log
printf '[vhost-user]\npath = %s\nmode = client\nreconnect-ms = 100\nreconnect-max-ms = 500\n[backend]\nqueue-pairs = %s\n' \
	"$csock" "$QUEUES" > "$dir/client.ini"
sock=$csock start_qemu "$dir/q3.log" "server=on,wait=off"
mkfifo "$cctl"
python3 "$top_srcdir/tests/fdstore_supervisor.py" --fdstore-max 64 --child-log "$dir/c" \
	"$cctl" "$csup" -- "$VURING" --config "$dir/client.ini" --log-level debug &
pids="$pids $!"
negotiated "$dir/c-0.log" && settled "$dir/c-0.log"
ok $? "client mode: vuring dials QEMU and QEMU negotiates"
echo "restart KILL" > "$cctl"
wait_count "$csup" '^[0-9.]+ READY' 2
wait_count "$dir/c-1.log" 'fd store: resumed the session' 1
ok $? "client mode: a SIGKILLed vuring's successor resumes the session"
sleep 1
! grep -q 'dialing the front-end' "$dir/c-1.log" && [ "$(count "$dir/c-1.log" '<- ')" -eq 0 ]
ok $? "client mode: it does not dial again, and QEMU sends nothing again"
kill -TERM "$QPID"
wait "$QPID" 2>/dev/null
wait_count "$dir/c-1.log" 'dialing the front-end' 1
ok $? "client mode: once QEMU is gone, it dials"
sock=$csock start_qemu "$dir/q4.log" "server=on,wait=off"
negotiated "$dir/c-1.log" 2
ok $? "client mode: and serves the next QEMU"
echo stop > "$cctl"
wait_count "$csup" 'STOPPED' 1
ok $? "client mode: the supervisor stops vuring"
! grep -q '^[0-9.]* DUPLICATE' "$suplog" "$csup"
ok $? "vuring never offered the store a file it already held"
bad=0
for f in "$dir"/v-*.log "$dir"/c-*.log; do
	grep -Eq 'AddressSanitizer|runtime error|LeakSanitizer' "$f" && bad=1
done
ok $bad "no sanitizer report from any vuring"
[ "$TAP_FAILED" -eq 0 ] || { tail -n 40 "$suplog" | sed 's/^/# /'; tail -n 20 "$dir"/v-*.log | sed 's/^/# /'; }
done_testing
