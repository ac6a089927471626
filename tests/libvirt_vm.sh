#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# libvirt_vm.sh - the shipped libvirt pieces, end to end: libvirtd starts a
# domain made from contrib/libvirt/vuring-server.xml (vuring listens), then
# one from vuring-client.xml (QEMU listens, vuring dials); each time libvirt
# itself calls contrib/libvirt/qemu-hook (installed as hooks/qemu.d/vuring),
# the hook starts vuring@VM.service, the guest pings the TAP side through it
# and is pinged back, and destroying the domain stops the service.
#
# This machine has no systemd as PID 1 and no libvirt installed as a system
# service, so the test builds a private one, invisible to the host, in a mount
# namespace: tmpfs on libvirt's state directories and on /etc/libvirt (its own
# qemu.conf: QEMU as root, no security driver), libvirt's QEMU user added to
# a bind-mounted copy of /etc/passwd (libvirtd insists that it exists), and
# virtlogd and libvirtd in the foreground. `systemctl` is replaced (bind
# mount) by a stand-in that runs vuring@.service's ExecStart= the way
# systemd_exec.sh does (unprivileged, NOTIFY_SOCKET) and, like systemd with
# Type=notify, returns from `start` only once READY=1 came.

top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
top_builddir=${top_builddir:-.}
. "$top_srcdir/tests/tap.sh"
. "$top_srcdir/tests/vm/lib.sh"
. "$top_srcdir/tests/systemd_lib.sh"

TEST_SECS=300
DAEMON_SECS=30
BOOT_SECS=120
READY_SECS=15
PING_SECS=30
TAP=vu0
HOST_IP=10.0.0.1
GUEST_IP=10.0.0.2
# libvirt's QEMU user on Debian (libvirt-daemon-system creates it).
QEMU_USER=libvirt-qemu
VIRSH=(timeout 60 virsh -q -c qemu:///system)

[ -n "${VURING_TEST_QUICK:-}" ] && skip_all "quick mode (VURING_TEST_QUICK): VM tests skipped"
need_root
for c in libvirtd virtlogd virsh; do
	command -v "$c" >/dev/null ||
		skip_all "$c not installed (Debian: libvirt-daemon libvirt-daemon-driver-qemu libvirt-clients)"
done
sd_enter_mount_ns "$@"
vm_setup libvirt-vm "$TEST_SECS"
trap 'rc=$?; lv_cleanup; sd_cleanup; (exit $rc); vm_cleanup' EXIT
[ -x "${VURING:-}" ] || skip_all "VURING not set to the daemon"
vm_require python3 setpriv systemd-escape systemctl
service=$(sd_unit_path vuring@.service) || skip_all "vuring@.service not built"
vm_prepare

STATE="$VM_DIR/lv"
mkdir -p "$STATE/units"

# lv_cleanup: stop what the systemctl stand-in started (it is not our child).
lv_cleanup() {
	local f
	for f in "$STATE"/units/*.pid; do
		[ -f "$f" ] && kill -TERM "$(cat "$f")" 2>/dev/null
	done
	[ -n "${LV_VM:-}" ] && "${VIRSH[@]}" destroy "$LV_VM" >/dev/null 2>&1
}

# lv_dump_logs: what the stand-in, vuring and libvirtd said, after a failure.
lv_dump_logs() {
	[ "$TAP_FAILED" -ne 0 ] || return 0
	diag "---- systemctl calls"
	sed 's/^/#   /' "$STATE/systemctl.log" 2>/dev/null
	diag "---- vuring"
	tail -n 20 "$STATE/vuring.log" 2>/dev/null | sed 's/^/#   /'
	diag "---- libvirtd errors"
	grep ' error : ' "$LIBVIRTD_LOG" | grep -v -e dmi -e dnsmasq | tail -n 10 | sed 's/^/#   /'
	vm_dump_logs 30
}

# lv_bind_copy FILE LINE: FILE, with LINE appended, bind-mounted over FILE.
lv_bind_copy() {
	local copy
	copy="$STATE/$(basename "$1")"
	cp "$1" "$copy" && echo "$2" >> "$copy" && mount --bind "$copy" "$1" &&
		SD_MOUNTS+=("$1")
}

# ---- a private libvirt
sd_identity "$service" || skip_all "no free uid for the service user"
for d in /var/lib/libvirt /var/log/libvirt /var/cache/libvirt /run/libvirt /etc/libvirt \
	/etc/vuring; do
	sd_private_dir "$d" 0:0 0755 || skip_all "cannot mount a tmpfs on $d"
done
sd_private_dir /run/vuring "$SD_UID:$SD_GID" 0755 || skip_all "cannot mount a tmpfs on /run/vuring"
if ! getent passwd "$QEMU_USER" >/dev/null; then
	lv_bind_copy /etc/group "$QEMU_USER:x:64055:" &&
		lv_bind_copy /etc/passwd "$QEMU_USER:x:64055:64055::/var/lib/libvirt:/usr/sbin/nologin" ||
		skip_all "cannot add $QEMU_USER to a private /etc/passwd"
fi
cat > /etc/libvirt/qemu.conf <<CONF
user = "root"
group = "root"
security_driver = "none"
CONF
mkdir -p /etc/libvirt/hooks/qemu.d /var/log/libvirt/qemu /var/lib/libvirt/qemu \
	/var/cache/libvirt/qemu
cp "$top_srcdir/contrib/libvirt/qemu-hook" /etc/libvirt/hooks/qemu.d/vuring

# ---- the service manager stand-in
vm_netns_create || skip_all "cannot create a network namespace"
vm_netns_tap "$VM_NS" "$TAP" "$HOST_IP/24" "$SD_UID" || skip_all "cannot create a TAP device"
sd_service_files "$VM_DIR" || skip_all "cannot prepare $VM_DIR for the service user"
NOTIFY="$VM_DIR/notify/notify.sock"
NLOG="$VM_DIR/notify.log"
: > "$NLOG"
vm_bg python3 "$top_srcdir/tests/notify_recv.py" "$NOTIFY" "$NLOG"
vm_wait_socket "$NOTIFY" 10 || skip_all "notify receiver did not start"

# lv_unit VM INI-BODY: /etc/vuring/VM.ini, and the unit's command for the
# stand-in ($STATE/units/UNIT.exec), as systemd would run it; prints UNIT.
lv_unit() {
	local vm=$1 unit inst
	local -a cmd envs
	inst=$(systemd-escape "$vm")
	unit=$(systemd-escape --template=vuring@.service "$vm")
	printf '%s\n' "$2" > "/etc/vuring/$vm.ini"
	chmod 0644 "/etc/vuring/$vm.ini"
	mapfile -t cmd < <(sd_exec_start "$service" "$inst")
	mapfile -t envs < <(sd_environment "$service" "$inst")
	cmd[0]=$SD_VURING
	{
		echo '#!/bin/sh'
		printf '%q ' exec ip netns exec "$VM_NS" env NOTIFY_SOCKET="$NOTIFY" \
			ASAN_OPTIONS="${ASAN_OPTIONS:-}" UBSAN_OPTIONS="${UBSAN_OPTIONS:-}" \
			"${envs[@]}" "${SD_IDENTITY[@]}" "${cmd[@]}"
		echo
	} > "$STATE/units/$unit.exec"
	echo "$unit"
}

# The stand-in knows the units lv_unit prepared; `start` returns once READY=1
# came from the started process (Type=notify), `stop` is SIGTERM, then SIGKILL
# after TimeoutStopSec=.
# shellcheck disable=SC2016 # expanded by the stand-in, not here
cat > "$STATE/systemctl" <<SH
#!/bin/bash
echo "systemctl \$*" >> "$STATE/systemctl.log"
exe="$STATE/units/\$2.exec"
pidf="$STATE/units/\$2.pid"
[ -f "\$exe" ] || { echo "Unit \$2 not found." >&2; exit 5; }
case "\$1" in
start)
	[ -f "\$pidf" ] && kill -0 "\$(cat "\$pidf")" 2>/dev/null && exit 0
	setsid sh "\$exe" >> "$STATE/vuring.log" 2>&1 < /dev/null &
	pid=\$!
	echo "\$pid" > "\$pidf"
	for i in \$(seq $((READY_SECS * 5))); do
		grep -q "^\$pid READY=1\$" "$NLOG" && exit 0
		kill -0 "\$pid" 2>/dev/null || break
		sleep 0.2
	done
	echo "Job for \$2 failed." >&2
	exit 1 ;;
stop)
	[ -f "\$pidf" ] || exit 0
	pid=\$(cat "\$pidf")
	kill -TERM "\$pid" 2>/dev/null
	for i in \$(seq 50); do
		kill -0 "\$pid" 2>/dev/null || break
		sleep 0.2
	done
	kill -KILL "\$pid" 2>/dev/null
	rm -f "\$pidf"
	exit 0 ;;
esac
exit 1
SH
chmod +x "$STATE/systemctl"
systemctl_path=$(readlink -f "$(command -v systemctl)")
mount --bind "$STATE/systemctl" "$systemctl_path" && SD_MOUNTS+=("$systemctl_path") ||
	skip_all "cannot put a systemctl stand-in in place"

# ---- libvirt's daemons, in the foreground
vm_bg virtlogd
vm_bg libvirtd --pid-file "$STATE/libvirtd.pid"
LIBVIRTD_LOG=$VM_BG_LOG
deadline=$((SECONDS + DAEMON_SECS))
until "${VIRSH[@]}" version >/dev/null 2>&1; do
	if [ "$SECONDS" -ge "$deadline" ] || ! kill -0 "$VM_BG_PID" 2>/dev/null; then
		diag "$(grep -E 'error' "$LIBVIRTD_LOG" | tail -n 5)"
		skip_all "libvirtd did not come up here (see its log above)"
	fi
	sleep 0.2
done
ok 0 "private libvirtd and virtlogd are up ($("${VIRSH[@]}" version | sed -n 's/^Running hypervisor: //p'))"

cat > "$STATE/boot-script" <<SCRIPT
ping -c 3 -w $PING_SECS $HOST_IP && echo VURING-LV-PING-OK
sleep 120
SCRIPT

# lv_domain VM EXAMPLE SOCK ROLE INI-BODY: define and start a domain made
# from contrib/libvirt/EXAMPLE on vuring (ROLE: server or client), ping both
# ways, destroy it; every step is a test.
lv_domain() {
	local vm=$1 example=$2 sock=$3 role=$4 unit out vpid started
	unit=$(lv_unit "$vm" "$5")
	LV_VM=$vm
	VM_LOG="$VM_DIR/console-$vm.log"
	python3 "$top_srcdir/tests/libvirt_domain.py" "$top_srcdir/contrib/libvirt/$example" \
		"$STATE/$vm.xml" "$vm" "$(vm_boot_kernel)" "$(vm_build_initramfs)" \
		"console=ttyS0 panic=-1 loglevel=4 edd=off vuring.ip=$GUEST_IP/24" \
		"$sock" "$VM_LOG" "$STATE/boot-script"
	ok $? "$example: domain XML made for $vm"
	out=$("${VIRSH[@]}" define "$STATE/$vm.xml" 2>&1)
	ok $? "$example: virsh define accepts it"
	[ -n "$out" ] && diag "$out"

	out=$("${VIRSH[@]}" start "$vm" 2>&1)
	started=$?
	ok $started "$example: virsh start (the hook starts $unit first)"
	if [ $started -ne 0 ]; then
		diag "$out"
		return 1
	fi
	grep -qxF "systemctl start $unit" "$STATE/systemctl.log"
	ok $? "$example: libvirt's prepare hook ran: systemctl start $unit"
	vpid=$(cat "$STATE/units/$unit.pid" 2>/dev/null)
	[ -n "$vpid" ] && grep -q "^$vpid READY=1$" "$NLOG" && [ -S "$sock" ]
	ok $? "$example: vuring (pid ${vpid:-none}) is READY, $sock exists"

	VM_PID=$(cat "/run/libvirt/qemu/$vm.pid" 2>/dev/null)
	vm_wait_marker "$VM_LOG" "VURING-LV-PING-OK" "$BOOT_SECS"
	ok $? "$example: guest boots on vuring (as $role) and pings the TAP side"
	vm_ns_ping "$VM_NS" -c 3 -w "$PING_SECS" "$GUEST_IP" > "$STATE/ping.log" 2>&1
	ok $? "$example: the TAP side pings the guest"
	diag "$(grep transmitted "$STATE/ping.log")"

	"${VIRSH[@]}" destroy "$vm" >/dev/null 2>&1
	ok $? "$example: virsh destroy"
	VM_PID=
	LV_VM=
	grep -qxF "systemctl stop $unit" "$STATE/systemctl.log"
	ok $? "$example: libvirt's release hook ran: systemctl stop $unit"
	! kill -0 "$vpid" 2>/dev/null && grep -q "^$vpid STOPPING=1$" "$NLOG"
	ok $? "$example: vuring stopped cleanly (STOPPING=1)"
	if [ "$role" = server ]; then
		[ ! -e "$sock" ]
		ok $? "$example: vuring removed its socket"
	fi
	"${VIRSH[@]}" undefine "$vm" >/dev/null 2>&1
	ok $? "$example: virsh undefine"
}

# vuring listens on /run/vuring/VM.sock; QEMU connects and redials.
lv_domain vuring-lv vuring-server.xml /run/vuring/vuring-lv.sock server "[vhost-user]
path = /run/vuring/vuring-lv.sock
[backend]
interface = $TAP
create = no
queue-pairs = 2"

# QEMU listens in a set-group-ID directory of group kvm (as the example's
# comment says); vuring, in kvm through sysusers.d, dials it.
if getent group kvm >/dev/null; then
	sd_private_dir /run/vuring-qemu "0:$(getent group kvm | cut -d: -f3)" 2770 ||
		skip_all "cannot mount a tmpfs on /run/vuring-qemu"
	lv_domain vuring-lvc vuring-client.xml /run/vuring-qemu/vuring-lvc.sock client "[vhost-user]
path = /run/vuring-qemu/vuring-lvc.sock
mode = client
reconnect-ms = 200
reconnect-max-ms = 1000
[backend]
interface = $TAP
create = no
queue-pairs = 1"
else
	ok 0 "# SKIP vuring-client.xml: no group kvm on this machine"
fi

lv_dump_logs
done_testing
