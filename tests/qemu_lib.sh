# SPDX-License-Identifier: GPL-2.0-or-later
# qemu_lib.sh - a paused QEMU machine with a vhost-user NIC, for the tests that
# watch the control plane only (bash; source it after tests/tap.sh).
#
#   qemu_lib_setup              skip unless QEMU and the daemon run; $dir, $sock,
#                               $pids and the EXIT trap that cleans them up
#   wait_count FILE PATTERN N   wait until FILE has N lines matching PATTERN
#   start_qemu LOG CHARDEV_OPTS a paused machine (-S) on $sock; sets QPID
#   stop_qemu                   SIGTERM it and reap it

QEMU=${QEMU:-qemu-system-x86_64}
# How long one expected event may take (ASan builds, TCG start-up).
WAIT_SECONDS=15
# Upper bound on one QEMU's life in a test.
QEMU_SECONDS=120
# Queue pairs of the NIC: more than one, so that per-pair messages repeat.
QUEUES=2

qemu_lib_cleanup() {
	local p
	for p in $pids; do
		kill -TERM "$p" 2>/dev/null
	done
	sleep 0.5
	for p in $pids; do
		kill -KILL "$p" 2>/dev/null
	done
	if [ "${VM_KEEP:-0}" = 1 ]; then echo "# kept $dir"; else rm -rf "$dir"; fi
}

qemu_lib_setup() {
	command -v "$QEMU" >/dev/null 2>&1 ||
		skip_all "$QEMU not installed (apt-get install qemu-system-x86)"
	[ -x "${VURING:-}" ] || skip_all "VURING not set to the daemon"
	dir=$(mktemp -d) || skip_all "mktemp failed"
	sock=$dir/vhost.sock
	pids=
	trap qemu_lib_cleanup EXIT
}

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
