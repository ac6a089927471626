# SPDX-License-Identifier: GPL-2.0-or-later
# qemu_lib.sh - a paused QEMU machine with a vhost-user NIC, for the tests that
# watch the control plane only (bash; source it after tests/tap.sh). The
# caller sets QEMU, QEMU_SECONDS, QUEUES, WAIT_SECONDS, sock and pids.
#
#   wait_count FILE PATTERN N   wait until FILE has N lines matching PATTERN
#   start_qemu LOG CHARDEV_OPTS a paused machine (-S) on $sock; sets QPID
#   stop_qemu                   SIGTERM it and reap it

wait_count() {
	local n
	for _ in $(seq $((WAIT_SECONDS * 10))); do
		n=$(grep -Ec -- "$2" "$1" 2>/dev/null)
		[ "${n:-0}" -ge "$3" ] && return 0
		sleep 0.1
	done
	return 1
}

# start_qemu LOG CHARDEV_OPTS: no guest runs (-S); QEMU still negotiates
# everything up to the rings' call fds with the back-end.
start_qemu() {
	timeout -s KILL "$QEMU_SECONDS" "$QEMU" -M pc -accel tcg -nodefaults -nographic -S \
		-monitor none -m 64M \
		-object memory-backend-memfd,id=mem,size=64M,share=on -numa node,memdev=mem \
		-chardev "socket,id=c0,path=$sock${2:+,$2}" \
		-netdev "vhost-user,id=n0,chardev=c0,queues=$QUEUES" \
		-device virtio-net-pci,netdev=n0,mq=on,vectors=0,romfile= >"$1" 2>&1 &
	QPID=$!
	pids="$pids $QPID"
}

stop_qemu() {
	kill -TERM "$QPID" 2>/dev/null
	wait "$QPID" 2>/dev/null
}
