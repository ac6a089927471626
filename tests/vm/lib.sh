# SPDX-License-Identifier: GPL-2.0-or-later
# lib.sh - run a real Linux guest against a vhost-user back-end (bash; source it
# after tests/tap.sh).
#
# The guest is the Debian kernel with the busybox initramfs of build-initramfs.sh;
# its /init (guest-init) prints "VURING-..." markers on the console and, when asked,
# runs commands the test sends over a second serial port.  A test typically does:
#
#	vm_setup guest-foo                # skips unless root + qemu + kernel
#	vm_netns_create; vm_netns_tap "$VM_NS" vu0 10.0.0.1/24
#	vm_bg vm_ns ip netns exec ... <back-end listening on $VM_DIR/vhost.sock>
#	vm_wait_socket "$VM_DIR/vhost.sock" 10
#	vm_start "$VM_DIR/vhost.sock" 1
#	vm_wait_boot 120 && vm_cmd 30 'ping -c 3 10.0.0.1'
#	vm_stop
#
# Everything started through vm_start/vm_bg and every namespace from
# vm_netns_create is torn down by vm_cleanup, which vm_setup installs as the EXIT
# trap.  Settings (environment, all optional):
#   VM_CACHE      images and accelerator-probe cache (see vm_default_cache)
#   VM_ACCEL      force "tcg" or "kvm" instead of probing
#   VM_MEM        guest RAM in MiB, all of it a shared memfd (256)
#   VM_MEM_SIZE   guest RAM as a QEMU size (e.g. 262136K), overriding VM_MEM
#   VM_SMP        guest vCPUs (1)
#   VM_APPEND     more guest kernel command line
#   VM_GUEST_IP   eth0 address inside the guest (10.0.0.2/24)
#   VM_MAC        eth0 MAC address (52:54:00:12:34:56)
#   VM_RECONNECT  seconds: QEMU reconnects to the back-end's socket (chardev reconnect=)
#   VM_SERVER     1: QEMU listens on SOCK and the back-end connects (server=on,wait=off)
#   VM_REBOOT     1: a guest reboot restarts the guest in the same QEMU (default:
#                 QEMU exits, -no-reboot)
#   VM_QEMU_CPUS  CPU list to pin QEMU to (taskset -c), e.g. to keep it off a poller
#   VM_MAX_SECS   hard cap on QEMU's lifetime (300)
#   VM_KEEP       1: keep $VM_DIR (logs, sockets) after the test
#   VM_NETDEV     a -netdev value (id=n0) replacing the vhost-user back-end, for
#                 comparisons, e.g. tap,id=n0,ifname=qt0,script=no,downscript=no
#   VM_QEMU_NETNS run QEMU inside this network namespace (with VM_NETDEV=tap...)
#   VM_TAG        suffix for the per-QEMU files (console$TAG.log, cmd$TAG.*,
#                 qemu$TAG.out, qmp$TAG.sock), so that two QEMUs can run at once
#                 (migration); empty by default
#   VM_QMP        1: give QEMU a QMP socket ($VM_QMP_SOCK) for vm_qmp

VM_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

# Probe budget for KVM: a working KVM boots to the probe marker in about a second;
# the paravirtual KVM found on some CI machines hangs forever in early boot.
VM_KVM_PROBE_SECS=8
# Polling interval of the marker waits (seconds): well below a TCG boot step,
# cheap enough not to steal the guest's CPU.
VM_POLL_SECS=0.2

VM_PIDS=()
VM_NETNS_LIST=()
VM_DIR=
VM_PID=
VM_LOG=
VM_CMD_LOG=
VM_CMD_FD=
VM_NS=

# vm_require CMD...: skip the whole test unless every command exists.
vm_require() {
	local c
	for c in "$@"; do
		command -v "$c" >/dev/null 2>&1 || skip_all "$c not installed"
	done
}

# vm_setup NAME [MAX_SECS]: check prerequisites (skipping the test when they are
# missing), create the scratch directory $VM_DIR and install vm_cleanup as the
# EXIT trap.  With MAX_SECS the test script re-executes itself under timeout(1):
# past that, it gets SIGTERM, its trap cleans up, and the missing plan fails it.
vm_setup() {
	if [ -n "${2:-}" ] && [ -z "${VM_WATCHDOG:-}" ]; then
		export VM_WATCHDOG=$2
		exec timeout -k 20 "$2" "$BASH" "$0"
	fi
	need_root
	vm_require qemu-system-x86_64 ip timeout base64 cpio modprobe
	vm_kernel >/dev/null || skip_all "no Debian kernel in /boot (linux-image-amd64)"
	[ -c /dev/net/tun ] || skip_all "no /dev/net/tun"
	[ -x /bin/busybox ] || command -v busybox >/dev/null ||
		skip_all "busybox-static not installed"
	: "${VM_CACHE:=$(vm_default_cache)}"
	VM_DIR=$(mktemp -d "${TMPDIR:-/tmp}/vuring-$1.XXXXXX") || skip_all "mktemp failed"
	trap vm_cleanup EXIT
	trap 'exit 130' INT TERM
}

# vm_setup_vuring NAME [MAX_SECS]: vm_setup for a test of the daemon, which
# also skips in quick mode (VURING_TEST_QUICK) and when VURING names no program.
vm_setup_vuring() {
	vm_setup "$@"
	[ -n "${VURING_TEST_QUICK:-}" ] && skip_all "quick mode (VURING_TEST_QUICK): VM tests skipped"
	[ -x "${VURING:-}" ] || skip_all "VURING not set to the daemon"
}

# vm_default_cache: ~/.cache/vuring-vm, outside the build tree so that distclean
# stays clean and the KVM probe and the images survive fresh builds; the build
# tree when there is no home.
vm_default_cache() {
	if [ -n "${XDG_CACHE_HOME:-}" ]; then
		echo "$XDG_CACHE_HOME/vuring-vm"
	elif [ -n "${HOME:-}" ] && [ -d "$HOME" ]; then
		echo "$HOME/.cache/vuring-vm"
	else
		echo "${top_builddir:-.}/tests/vm/cache"
	fi
}

# vm_kernel: print the newest /boot/vmlinuz-* whose modules are installed.
vm_kernel() {
	local f v best=
	for f in /boot/vmlinuz-*; do
		[ -r "$f" ] || continue
		v=${f#/boot/vmlinuz-}
		[ -d "/lib/modules/$v" ] || continue
		if [ -z "$best" ] || [ "$(printf '%s\n%s\n' "$best" "$v" | sort -V | tail -n1)" = "$v" ]; then
			best=$v
		fi
	done
	[ -n "$best" ] || return 1
	echo "/boot/vmlinuz-$best"
}

# vm_boot_kernel: print the image QEMU should boot: the kernel uncompressed from
# vm_kernel (cached in VM_CACHE) when it has a PVH entry point, else vm_kernel
# itself.  Under TCG, SeaBIOS's real-mode path and the in-guest decompression of
# a bzImage cost 3-4 s of every boot; QEMU starts an uncompressed PVH ELF at once.
vm_boot_kernel() {
	local k kver out tmp magic off
	k=$(vm_kernel) || return 1
	kver=${k#/boot/vmlinuz-}
	out="$VM_CACHE/vmlinux-$kver"
	if [ ! -s "$out" ]; then
		grep -q '^CONFIG_PVH=y' "/boot/config-$kver" 2>/dev/null || { echo "$k"; return 0; }
		mkdir -p "$VM_CACHE" && tmp=$(mktemp "$VM_CACHE/.vmlinux.XXXXXX") || return 1
		# The payload starts at the first compression magic in the bzImage.
		for magic in '\xfd7zXZ\x00:xz -dc' '\x28\xb5\x2f\xfd:zstd -qdc' '\x1f\x8b\x08:gzip -dc'; do
			off=$(LC_ALL=C grep -abo -m1 -P "${magic%%:*}" "$k" 2>/dev/null | head -n1 | cut -d: -f1)
			[ -n "$off" ] || continue
			tail -c +$((off + 1)) "$k" | ${magic#*:} > "$tmp" 2>/dev/null
			[ "$(head -c 4 "$tmp" | od -An -c | tr -d ' ')" = '177ELF' ] && break
			: > "$tmp"
		done
		if [ -s "$tmp" ]; then
			mv -f "$tmp" "$out"
		else
			rm -f "$tmp"
			echo "$k"
			return 0
		fi
	fi
	echo "$out"
}

# vm_build_initramfs: print the path of the (cached) initramfs for vm_kernel.
vm_build_initramfs() {
	local k
	k=$(vm_kernel) || return 1
	"$VM_LIB_DIR/build-initramfs.sh" "$VM_CACHE" "${k#/boot/vmlinuz-}"
}

# vm_prepare: build or fetch from the cache everything a boot needs (images, the
# accelerator probe), so that vm_start only boots; skips the test if that fails.
vm_prepare() {
	vm_boot_kernel >/dev/null || skip_all "cannot prepare the guest kernel"
	vm_build_initramfs >/dev/null || skip_all "cannot build the guest initramfs"
	vm_accel >/dev/null || skip_all "cannot choose a QEMU accelerator"
}

# vm_accel: print "kvm" or "tcg".  KVM is used only if a probe guest reaches its
# first marker within VM_KVM_PROBE_SECS; the answer is cached per kernel.
vm_accel() {
	local k cache log initrd
	if [ -n "${VM_ACCEL:-}" ]; then
		echo "$VM_ACCEL"
		return 0
	fi
	if [ ! -w /dev/kvm ]; then
		echo tcg
		return 0
	fi
	k=$(vm_kernel) || return 1
	cache="$VM_CACHE/accel-${k#/boot/vmlinuz-}"
	if [ ! -s "$cache" ]; then
		initrd=$(vm_build_initramfs) || return 1
		k=$(vm_boot_kernel) || return 1
		log=$(mktemp "${TMPDIR:-/tmp}/vuring-kvm-probe.XXXXXX")
		timeout -k 2 "$VM_KVM_PROBE_SECS" qemu-system-x86_64 -accel kvm -cpu host \
			-m 128M -nodefaults -display none -no-reboot \
			-kernel "$k" -initrd "$initrd" \
			-append "console=ttyS0 panic=-1 quiet vuring.probe=1" \
			-chardev "file,id=con0,path=$log" -serial chardev:con0 \
			>/dev/null 2>&1
		if grep -q 'VURING-BOOTED probe' "$log"; then
			echo kvm > "$cache"
		else
			echo tcg > "$cache"
		fi
		rm -f "$log"
	fi
	cat "$cache"
}

# vm_start SOCK QUEUES [SCRIPT] [-- QEMU-ARGS...]: boot the guest in the background
# with a virtio-net-pci device on the vhost-user socket SOCK with QUEUES queue
# pairs.  SCRIPT (a file, may be empty or "-") runs in the guest once eth0 is up;
# the command channel is always enabled.  Sets VM_PID, VM_LOG (console),
# VM_CMD_LOG (command channel output).
vm_start() {
	local sock=$1 queues=$2 script="" accel kernel initrd chardev vectors
	local -a args extra=() pin=()
	shift 2
	if [ $# -gt 0 ] && [ "$1" != -- ]; then
		script=$1
		shift
	fi
	[ "${1:-}" = -- ] && { shift; extra=("$@"); }

	kernel=$(vm_boot_kernel) || return 1
	initrd=$(vm_build_initramfs) || return 1
	accel=$(vm_accel) || return 1
	local tag=${VM_TAG:-}
	VM_LOG="$VM_DIR/console$tag.log"
	VM_CMD_LOG="$VM_DIR/cmd$tag.log"
	: > "$VM_LOG"
	: > "$VM_CMD_LOG"
	rm -f "$VM_DIR/cmd$tag.in" "$VM_DIR/cmd$tag.out"
	mkfifo "$VM_DIR/cmd$tag.in" "$VM_DIR/cmd$tag.out" || return 1

	chardev="socket,id=c0,path=$sock"
	[ "${VM_SERVER:-0}" = 1 ] && chardev="$chardev,server=on,wait=off"
	[ -n "${VM_RECONNECT:-}" ] && chardev="$chardev,reconnect=$VM_RECONNECT"
	# QEMU 7.2 with TCG crashes in msix_set_vector_notifiers when a vhost-user
	# device starts with MSI-X: no vectors under TCG, 2 per queue pair + config
	# + control queue under KVM.
	# romfile= drops the device's iPXE option ROM, which takes seconds under TCG
	# and is never used: the kernel is loaded directly.
	vectors=0
	[ "$accel" = kvm ] && vectors=$((2 * queues + 2))

	local mem=${VM_MEM_SIZE:-${VM_MEM:-256}M}
	args=(-accel "$accel" -m "$mem" -smp "${VM_SMP:-1}"
		-nodefaults -nographic -monitor none
		-object "memory-backend-memfd,id=mem,size=$mem,share=on"
		-numa "node,memdev=mem"
		-kernel "$kernel" -initrd "$initrd"
		-append "console=ttyS0 panic=-1 loglevel=4 edd=off vuring.ip=${VM_GUEST_IP:-10.0.0.2/24} vuring.cmd=1${VM_APPEND:+ $VM_APPEND}"
		-chardev "file,id=con0,path=$VM_LOG" -serial chardev:con0
		-chardev "pipe,id=cmd0,path=$VM_DIR/cmd$tag" -serial chardev:cmd0
		-device "virtio-net-pci,netdev=n0,mac=${VM_MAC:-52:54:00:12:34:56},mq=on,vectors=$vectors,romfile=")
	if [ -n "${VM_NETDEV:-}" ]; then
		# Another back-end for comparisons (bench/guest.sh): QEMU's own tap.
		args+=(-netdev "$VM_NETDEV")
	else
		args+=(-chardev "$chardev" -netdev "vhost-user,id=n0,chardev=c0,queues=$queues")
	fi
	[ "${VM_REBOOT:-0}" = 1 ] || args+=(-no-reboot)
	if [ "$accel" = kvm ]; then
		args+=(-cpu host)
	else
		args+=(-cpu max)
	fi
	if [ -n "$script" ] && [ "$script" != - ]; then
		args+=(-fw_cfg "name=opt/vuring/script,file=$script")
	fi
	if [ "${VM_QMP:-0}" = 1 ]; then
		VM_QMP_SOCK="$VM_DIR/qmp$tag.sock"
		args+=(-qmp "unix:$VM_QMP_SOCK,server=on,wait=off")
	fi
	[ -n "${VM_QEMU_CPUS:-}" ] && pin=(taskset -c "$VM_QEMU_CPUS")
	[ -n "${VM_QEMU_NETNS:-}" ] && pin=(ip netns exec "$VM_QEMU_NETNS" "${pin[@]}")

	# The command channel: QEMU opens both FIFOs read-write, so neither side blocks
	# on open; the host keeps cmd.in open read-write for the same reason.
	"${pin[@]}" timeout -k 5 "${VM_MAX_SECS:-300}" qemu-system-x86_64 "${args[@]}" "${extra[@]}" \
		> "$VM_DIR/qemu$tag.out" 2>&1 < /dev/null &
	VM_PID=$!
	VM_PIDS+=("$VM_PID")
	cat "$VM_DIR/cmd$tag.out" >> "$VM_CMD_LOG" &
	VM_PIDS+=("$!")
	exec {VM_CMD_FD}<>"$VM_DIR/cmd$tag.in"
}

# vm_qmp COMMAND [ARGUMENTS-JSON]: run one QMP command on the QEMU of the last
# vm_start (started with VM_QMP=1) and print its "return" value as JSON.
# Return: 0, or 1 if QEMU answered with an error (printed) or not at all.
vm_qmp() {
	[ -S "${VM_QMP_SOCK:-}" ] || vm_wait_socket "${VM_QMP_SOCK:-}" 10 || return 1
	python3 "$VM_LIB_DIR/qmp.py" "$VM_QMP_SOCK" "$@"
}

# vm_alive: true while the QEMU started by vm_start runs.
vm_alive() {
	[ -n "$VM_PID" ] && kill -0 "$VM_PID" 2>/dev/null
}

# vm_wait_marker LOG MARKER TIMEOUT: wait until the fixed string MARKER appears in
# LOG.  Return: 0 when seen, 1 on timeout or when the guest's QEMU exited first.
vm_wait_marker() {
	local log=$1 marker=$2 deadline=$((SECONDS + $3))
	while [ "$SECONDS" -lt "$deadline" ]; do
		grep -qF -- "$marker" "$log" 2>/dev/null && return 0
		if [ -n "$VM_PID" ] && ! vm_alive; then
			grep -qF -- "$marker" "$log" 2>/dev/null
			return $?
		fi
		sleep "$VM_POLL_SECS"
	done
	return 1
}

# vm_wait_boot TIMEOUT: wait until the guest has eth0 up and serves commands.
# Return: 0 when ready, 1 otherwise (a reason is printed as a TAP diagnostic).
vm_wait_boot() {
	local deadline=$((SECONDS + $1))
	if ! vm_wait_marker "$VM_LOG" "VURING-NET-" "$1"; then
		diag "guest did not bring eth0 up within $1 s"
		return 1
	fi
	if grep -q 'VURING-NET-FAILED' "$VM_LOG"; then
		diag "guest: $(grep 'VURING-NET-FAILED' "$VM_LOG")"
		return 1
	fi
	if ! vm_wait_marker "$VM_LOG" "VURING-CMD-READY" $((deadline - SECONDS)); then
		diag "guest command channel not ready"
		return 1
	fi
}

# vm_cmd TIMEOUT SCRIPT: run the sh SCRIPT in the guest and print its output.
# Return: the script's exit status, 124 on timeout, 125 if the guest is gone.
vm_cmd() {
	local timeout=$1 script=$2 id off status
	vm_alive || return 125
	id=$(vm_next_id)
	off=$(stat -c %s "$VM_CMD_LOG")
	printf '%s %s\n' "$id" "$(printf '%s\n' "$script" | base64 -w0)" >&"$VM_CMD_FD"
	if ! vm_wait_marker "$VM_CMD_LOG" "VURING-CMD-END $id " "$timeout"; then
		tail -c +$((off + 1)) "$VM_CMD_LOG"
		vm_alive || return 125
		return 124
	fi
	# Everything after OFF up to the end marker is this command's output; an
	# earlier command that timed out may still add lines, they are skipped.
	tail -c +$((off + 1)) "$VM_CMD_LOG" | awk -v end="VURING-CMD-END $id " '
		index($0, end) == 1 { split($0, f, " "); status = f[3]; exit }
		/^VURING-CMD-END / { next }
		{ print }
		END { exit status }'
	status=$?
	return "$status"
}

# vm_next_id: print a new command id.  Kept in a file because vm_cmd mostly runs
# in a command substitution, a subshell whose variables die with it.
vm_next_id() {
	local n
	n=$(cat "$VM_DIR/cmd.seq" 2>/dev/null || echo 0)
	n=$((n + 1))
	echo "$n" > "$VM_DIR/cmd.seq"
	echo "$n"
}

# vm_iperf_mbps SERVER DURATION [IPERF3-ARGS]: run an iperf3 client in the guest
# against SERVER for DURATION seconds and print the receiver's rate in Mbit/s
# (-R: SERVER sends).  The full output is kept in $VM_DIR/iperf-ID.log.
# Return: 0 if a non-zero rate was measured.
vm_iperf_mbps() {
	local server=$1 secs=$2 log rate
	shift 2
	log="$VM_DIR/iperf-$(vm_next_id).log"
	# Connection setup and the final exchange take a few seconds under TCG.
	vm_cmd $((secs + 25)) "iperf3 -c $server -t $secs -f m $*" > "$log" 2>&1
	rate=$(awk '/receiver/ { for (i = 1; i < NF; i++) if ($(i + 1) == "Mbits/sec") print $i }' "$log")
	[ -n "$rate" ] || return 1
	echo "$rate"
	awk -v r="$rate" 'BEGIN { exit !(r > 0) }'
}

# vm_stop [TIMEOUT]: ask the guest to power off, wait for QEMU to exit (10 s by
# default), kill it otherwise.  Return: 0 if the guest powered off by itself.
vm_stop() {
	local deadline=$((SECONDS + ${1:-10}))
	[ -n "$VM_PID" ] || return 0
	if vm_alive && [ -n "$VM_CMD_FD" ]; then
		printf '%s poweroff\n' "$(vm_next_id)" >&"$VM_CMD_FD"
	fi
	while vm_alive && [ "$SECONDS" -lt "$deadline" ]; do
		sleep "$VM_POLL_SECS"
	done
	if vm_alive; then
		vm_kill_pid "$VM_PID"
		VM_PID=
		return 1
	fi
	wait "$VM_PID" 2>/dev/null
	VM_PID=
	return 0
}

# vm_boot_secs: seconds from kernel start to the guest's BOOTED marker (guest clock).
vm_boot_secs() {
	sed -n 's/.*VURING-BOOTED \([0-9.]*\).*/\1/p' "$VM_LOG" | head -n1
}

# vm_bg CMD...: start a host process in the background, stdout and stderr into
# $VM_DIR/bg-N.log; it is killed by vm_cleanup.  Sets VM_BG_PID and VM_BG_LOG.
vm_bg() {
	VM_BG_LOG="$VM_DIR/bg-${#VM_PIDS[@]}.log"
	"$@" > "$VM_BG_LOG" 2>&1 < /dev/null &
	VM_BG_PID=$!
	VM_PIDS+=("$VM_BG_PID")
}

# vm_kill_pid PID: SIGTERM, up to 5 s grace, then SIGKILL; reaps the process.
vm_kill_pid() {
	local pid=$1 i
	kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null; return 0; }
	# A function run by vm_bg is a subshell: its child does the work.
	pkill -TERM -P "$pid" 2>/dev/null
	kill -TERM "$pid" 2>/dev/null
	for i in $(seq 50); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	return 0
}

# vm_wait_socket PATH TIMEOUT: wait until PATH is a unix socket.
vm_wait_socket() {
	local deadline=$((SECONDS + $2))
	while [ "$SECONDS" -lt "$deadline" ]; do
		[ -S "$1" ] && return 0
		sleep "$VM_POLL_SECS"
	done
	return 1
}

# vm_netns_create [NAME]: create a network namespace (default vuring-vm-PID) with
# lo up; it is deleted by vm_cleanup.  Sets VM_NS.
vm_netns_create() {
	local ns=${1:-vuring-vm-$$}
	ip netns add "$ns" || return 1
	VM_NETNS_LIST+=("$ns")
	ip -n "$ns" link set lo up || return 1
	# shellcheck disable=SC2034 # for the tests that source this file
	VM_NS=$ns
}

# vm_ns NS CMD...: run CMD inside namespace NS.
vm_ns() {
	local ns=$1
	shift
	ip netns exec "$ns" "$@"
}

# vm_ns_ping NS ARGS...: ping from inside NS; busybox's ping when the host has no
# ping of its own (iputils-ping is not always installed).
vm_ns_ping() {
	local ns=$1
	shift
	if command -v ping >/dev/null 2>&1; then
		ip netns exec "$ns" ping "$@"
	else
		ip netns exec "$ns" busybox ping "$@"
	fi
}

# vm_netns_tap NS TAP ADDR [USER]: create, inside NS, the persistent multiqueue
# TAP with virtio-net headers a back-end attaches to, give it ADDR and bring it up.
vm_netns_tap() {
	local ns=$1 tap=$2 addr=$3 user=${4:-}
	ip -n "$ns" tuntap add dev "$tap" mode tap multi_queue vnet_hdr ${user:+user "$user"} ||
		return 1
	vm_netns_addr "$ns" "$tap" "$addr" 1
}

# vm_vuring_ini SOCK IFNAME QUEUES [CREATE]: print the start of a vuring.ini
# serving SOCK on the TAP IFNAME (created when CREATE is yes; default no) with
# QUEUES queue pairs; the caller appends any further sections.
vm_vuring_ini() {
	printf '[vhost-user]\npath = %s\n[backend]\ninterface = %s\ncreate = %s\nqueue-pairs = %s\n' \
		"$1" "$2" "${4:-no}" "$3"
}

# vm_boot_or_end WHAT: wait up to $BOOT_SECS for the guest of the last vm_start
# to bring eth0 up; report "guest boots WHAT (accel ...)" and the wall time it
# took; if it did not boot, dump the logs and end the test.
vm_boot_or_end() {
	local start=$SECONDS booted
	vm_wait_boot "$BOOT_SECS"
	booted=$?
	ok $booted "guest boots $1 (accel $(vm_accel))"
	diag "boot: $((SECONDS - start)) s wall to command channel"
	if [ $booted -ne 0 ]; then
		vm_dump_logs 40
		done_testing
	fi
}

# vm_ping_both NS PEER_IP PEER [VIA]: 5 pings from the guest to PEER_IP and 5
# from namespace NS to the guest ($VM_GUEST_IP), each within $PING_SECS; PEER
# ("the namespace") and VIA (" through vuring") word the test lines.
vm_ping_both() {
	local out
	out=$(vm_cmd $((PING_SECS + 5)) "ping -c 5 -w $PING_SECS $2")
	ok $? "guest pings $3${4:-}"
	diag "guest->peer: $(echo "$out" | grep -E 'transmitted|min/avg' | tr '\n' ' ')"
	out=$(vm_ns_ping "$1" -c 5 -w "$PING_SECS" "${VM_GUEST_IP%/*}")
	ok $? "$3 pings the guest${4:-}"
	diag "peer->guest: $(echo "$out" | grep -E 'transmitted|min/avg|rtt' | tr '\n' ' ')"
}

# vm_idle_ok PID: a connected guest that sends nothing costs the back-end
# PID no CPU (no polling, no timers): at most 3 clock ticks in 10 s, slack for
# the kernel's own packets.
vm_idle_ok() {
	local secs=10 max=3 t0 t1
	t0=$(awk '{ print $14 + $15 }' "/proc/$1/stat")
	sleep "$secs"
	t1=$(awk '{ print $14 + $15 }' "/proc/$1/stat")
	diag "idle: vuring used $((t1 - t0)) clock ticks ($(getconf CLK_TCK)/s) in $secs s"
	[ $((t1 - t0)) -le "$max" ]
	ok $? "vuring is idle (<= $max ticks in $secs s) with a connected, quiet guest"
}

# vm_netns_with_tap TAP ADDR [USER]: a new namespace ($VM_NS) holding the TAP
# device TAP with ADDR (see vm_netns_tap), or skip the test.
vm_netns_with_tap() {
	vm_netns_create || skip_all "cannot create a network namespace"
	vm_netns_tap "$VM_NS" "$@" || skip_all "cannot create a TAP device"
}

# vm_netns_addr NS IF ADDR TIMEOUT: wait up to TIMEOUT s for IF to exist in NS (a
# back-end may create it), then add ADDR and set it up.
vm_netns_addr() {
	local ns=$1 ifname=$2 addr=$3 deadline=$((SECONDS + $4))
	until ip -n "$ns" link show "$ifname" >/dev/null 2>&1; do
		[ "$SECONDS" -lt "$deadline" ] || return 1
		sleep "$VM_POLL_SECS"
	done
	ip -n "$ns" addr add "$addr" dev "$ifname" &&
		ip -n "$ns" link set "$ifname" up
}

# vm_dump_logs [LINES]: show the tails of the guest's and the background
# processes' logs as TAP diagnostics (call it when something failed).
vm_dump_logs() {
	local n=${1:-20} f
	for f in "$VM_DIR"/console*.log "$VM_DIR"/cmd*.log "$VM_DIR"/qemu*.out "$VM_DIR"/bg-*.log; do
		[ -s "$f" ] || continue
		diag "---- ${f##*/} (last $n lines)"
		tail -n "$n" "$f" | tr -d '\r' | sed 's/\x1b\[[0-9;]*[A-Za-z]//g; s/^/#   /'
	done
}

# vm_cleanup: the EXIT trap: stop the guest, kill background processes (newest
# first), delete namespaces, remove $VM_DIR unless VM_KEEP=1.
vm_cleanup() {
	local i rc=$?
	[ -n "$VM_CMD_FD" ] && exec {VM_CMD_FD}>&-
	VM_CMD_FD=
	for ((i = ${#VM_PIDS[@]} - 1; i >= 0; i--)); do
		vm_kill_pid "${VM_PIDS[i]}"
	done
	VM_PIDS=()
	for i in "${VM_NETNS_LIST[@]}"; do
		ip netns del "$i" 2>/dev/null
	done
	VM_NETNS_LIST=()
	if [ -n "$VM_DIR" ] && [ "${VM_KEEP:-0}" != 1 ]; then
		rm -rf "$VM_DIR"
	elif [ -n "$VM_DIR" ]; then
		echo "# kept $VM_DIR"
	fi
	exit "$rc"
}
