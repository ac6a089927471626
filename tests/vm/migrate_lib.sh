# SPDX-License-Identifier: GPL-2.0-or-later
# migrate_lib.sh - helpers for guests that move between QEMU processes (bash;
# source it after tests/vm/lib.sh).
#
#   mig_save NAME / mig_use NAME   remember / switch to the QEMU instance of the
#                                  last vm_start (VM_PID, logs, command fd, QMP)
#   mig_wait_migrate SECS          poll query-migrate until completed or failed;
#                                  prints the final reply
#   mig_wait_runstate SECS STATE   poll query-status until it reports STATE
#   mig_quit                       QMP quit, then wait for QEMU to exit
#   mig_capture_start IF FILE FILTER...   tcpdump -tt -e -n on IF in $VM_NS
#   mig_capture_stop               stop every capture (flushing them)
#   mig_first_after FILE T         first capture timestamp after T
#   mig_max_gap FILE FROM TO       largest gap (s) between capture timestamps
#                                  within [FROM, TO], counting FROM and TO
#   mig_now                        epoch seconds with sub-second digits
#   mig_ping_stats LOG             "sent S received R lost L" from busybox ping
#
# Two QEMUs run at once during a live migration: each vm_start gets its own
# VM_TAG (files) and VM_QMP=1, and the test switches between them.

MIG_CAPTURE_PIDS=()

# Guest RAM 8 KiB short of 256 MiB, on purpose. QEMU before 9.0 loses guest
# CPU writes during a migration under TCG: the fast path of its dirty bitmap
# sync (taken when a RAM block is a multiple of 64 pages) clears the dirty bits
# without re-arming the vCPUs' TLB write tracking, so a page the guest keeps
# writing is not sent again (fixed upstream by "physmem: Fix migration dirty
# bitmap coherency with TCG memory access"). Seen here with QEMU 7.2 and its
# own tap back-end as well as with vuring: pages differed after the migration
# and the guest's kernel crashed. A block that is not a multiple of 64 pages
# takes the per-page path, which re-arms the tracking.
: "${VM_MEM_SIZE:=262136K}"

mig_now() {
	date +%s.%N
}

# mig_save NAME: store the current instance's variables under NAME.
mig_save() {
	local n=$1
	eval "MIG_${n}_PID=\$VM_PID MIG_${n}_LOG=\$VM_LOG MIG_${n}_CMD_LOG=\$VM_CMD_LOG"
	eval "MIG_${n}_CMD_FD=\$VM_CMD_FD MIG_${n}_QMP=\$VM_QMP_SOCK"
}

# mig_use NAME: make NAME the instance vm_cmd, vm_alive and vm_qmp talk to.
mig_use() {
	local n=$1
	eval "VM_PID=\$MIG_${n}_PID VM_LOG=\$MIG_${n}_LOG VM_CMD_LOG=\$MIG_${n}_CMD_LOG"
	eval "VM_CMD_FD=\$MIG_${n}_CMD_FD VM_QMP_SOCK=\$MIG_${n}_QMP"
}

# mig_wait_migrate SECS: wait for the migration of the current instance (either
# side) to end. Return: 0 when completed, 1 on failure or timeout.
mig_wait_migrate() {
	local deadline=$((SECONDS + $1)) out
	while [ "$SECONDS" -lt "$deadline" ]; do
		out=$(vm_qmp query-migrate 2>&1)
		case "$out" in
		*'"status": "completed"'*) echo "$out"; return 0 ;;
		*'"status": "failed"'* | *'"status": "cancelled"'*) echo "$out"; return 1 ;;
		esac
		sleep "$VM_POLL_SECS"
	done
	echo "$out"
	return 1
}

# mig_wait_runstate SECS STATE: wait until query-status says STATE.
mig_wait_runstate() {
	local deadline=$((SECONDS + $1))
	while [ "$SECONDS" -lt "$deadline" ]; do
		vm_qmp query-status 2>/dev/null | grep -q "\"status\": \"$2\"" && return 0
		sleep "$VM_POLL_SECS"
	done
	return 1
}

# mig_quit: end the current QEMU through QMP (a migrated-away source has nothing
# to power off), killing it if it does not go.
mig_quit() {
	local i
	vm_qmp quit >/dev/null 2>&1
	for i in $(seq 50); do
		vm_alive || break
		sleep 0.1
	done
	vm_alive && vm_kill_pid "$VM_PID"
	wait "$VM_PID" 2>/dev/null
	return 0
}

# mig_capture_start IF FILE FILTER...: capture on IF in $VM_NS into FILE, one
# line per frame with its epoch timestamp and link-level header.
mig_capture_start() {
	local ifname=$1 file=$2
	shift 2
	ip netns exec "$VM_NS" tcpdump -tt -e -n -l -i "$ifname" "$@" > "$file" 2>/dev/null &
	MIG_CAPTURE_PIDS+=("$!")
	VM_PIDS+=("$!")
	sleep 1	# tcpdump needs a moment before it sees frames
}

mig_capture_stop() {
	local p
	sleep 0.5
	for p in "${MIG_CAPTURE_PIDS[@]}"; do
		kill -INT "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	MIG_CAPTURE_PIDS=()
}

# mig_first_after FILE T: the first timestamp in FILE later than T.
mig_first_after() {
	awk -v t="$2" '$1 + 0 > t + 0 { print $1; exit }' "$1"
}

# mig_max_gap FILE FROM TO: the longest time without a captured frame between
# FROM and TO (the ends count as frames).
mig_max_gap() {
	awk -v from="$2" -v to="$3" '
		BEGIN { last = from; gap = 0 }
		$1 + 0 >= from + 0 && $1 + 0 <= to + 0 {
			if ($1 - last > gap) gap = $1 - last
			last = $1
		}
		END { if (to - last > gap) gap = to - last; printf "%.3f\n", gap }' "$1"
}

# mig_ping_stats LOG: the summary of a finished busybox ping.
mig_ping_stats() {
	awk '/packets transmitted/ { printf "sent %d received %d lost %d\n", $1, $4, $1 - $4 }' "$1"
}
