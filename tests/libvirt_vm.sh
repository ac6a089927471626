#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# libvirt_vm.sh - the shipped libvirt pieces, end to end: libvirtd starts a
# domain made from contrib/libvirt/vuring-server.xml, libvirt itself calls
# contrib/libvirt/qemu-hook (installed as hooks/qemu.d/vuring), the hook
# starts vuring@VM.service, the guest pings the TAP side through it, and
# destroying the domain stops the service.
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
VM=vuring-lv
QUEUES=2
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
sd_enter_mount_ns
vm_setup libvirt-vm "$TEST_SECS"
trap 'rc=$?; lv_cleanup; sd_cleanup; (exit $rc); vm_cleanup' EXIT
[ -x "${VURING:-}" ] || skip_all "VURING not set to the daemon"
vm_require python3 setpriv systemd-escape systemctl
service=$(sd_unit_path vuring@.service) || skip_all "vuring@.service not built"
vm_prepare

UNIT=$(systemd-escape --template=vuring@.service "$VM")
SOCK=/run/vuring/$VM.sock
STATE="$VM_DIR/lv"
mkdir -p "$STATE/units"

# lv_cleanup: stop what the systemctl stand-in started (it is not our child).
lv_cleanup() {
	local f
	for f in "$STATE"/units/*.pid; do
		[ -f "$f" ] && kill -TERM "$(cat "$f")" 2>/dev/null
	done
	"${VIRSH[@]}" destroy "$VM" >/dev/null 2>&1
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
user=$(sd_unit_values "$service" User | tail -n1)
uid=$(sd_service_uid "$user") || skip_all "no free uid for the service user"
gid=$(id -g "$user" 2>/dev/null || echo "$uid")
for d in /var/lib/libvirt /var/log/libvirt /var/cache/libvirt /run/libvirt /etc/libvirt \
	/etc/vuring; do
	sd_private_dir "$d" 0:0 0755 || skip_all "cannot mount a tmpfs on $d"
done
sd_private_dir /run/vuring "$uid:$gid" 0755 || skip_all "cannot mount a tmpfs on /run/vuring"
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
vm_netns_tap "$VM_NS" "$TAP" "$HOST_IP/24" "$uid" || skip_all "cannot create a TAP device"
cat > "/etc/vuring/$VM.ini" <<INI
[vhost-user]
path = $SOCK
[backend]
interface = $TAP
create = no
queue-pairs = $QUEUES
INI
chmod 0644 "/etc/vuring/$VM.ini"
chmod 0711 "$VM_DIR"
mkdir -m 0755 "$VM_DIR/notify"
NOTIFY="$VM_DIR/notify/notify.sock"
NLOG="$VM_DIR/notify.log"
: > "$NLOG"
vm_bg python3 "$top_srcdir/tests/notify_recv.py" "$NOTIFY" "$NLOG"
vm_wait_socket "$NOTIFY" 10 || skip_all "notify receiver did not start"

mapfile -t cmd < <(sd_exec_start "$service" "$(systemd-escape "$VM")")
mapfile -t envs < <(sd_environment "$service" "$(systemd-escape "$VM")")
cmd[0]=$VURING
umask_unit=$(sd_unit_values "$service" UMask | tail -n1)
{
	echo '#!/bin/sh'
	printf '%q ' exec ip netns exec "$VM_NS" env NOTIFY_SOCKET="$NOTIFY" \
		ASAN_OPTIONS="${ASAN_OPTIONS:-}" UBSAN_OPTIONS="${UBSAN_OPTIONS:-}" "${envs[@]}" \
		setpriv --reuid="$uid" --regid="$gid" --clear-groups --no-new-privs \
		--inh-caps=-all --bounding-set=-all \
		sh -c "umask ${umask_unit:-0022}; exec \"\$@\"" vuring "${cmd[@]}"
	echo
} > "$STATE/exec-start"
# shellcheck disable=SC2016 # expanded by the stand-in, not here
cat > "$STATE/systemctl" <<SH
#!/bin/bash
# systemctl stand-in: start/stop $UNIT only.
echo "systemctl \$*" >> "$STATE/systemctl.log"
[ "\$2" = '$UNIT' ] || { echo "Unit \$2 not found." >&2; exit 5; }
pidf="$STATE/units/\$2.pid"
case "\$1" in
start)
	[ -f "\$pidf" ] && kill -0 "\$(cat "\$pidf")" 2>/dev/null && exit 0
	setsid sh "$STATE/exec-start" >> "$STATE/vuring.log" 2>&1 < /dev/null &
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
	# TimeoutStopSec= is over: SIGKILL, as systemd would.
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

# ---- the domain, from the shipped example
cat > "$STATE/boot-script" <<SCRIPT
ping -c 3 -w $PING_SECS $HOST_IP && echo VURING-LV-PING-OK
sleep 120
SCRIPT
CONSOLE="$VM_DIR/console.log"
VM_LOG=$CONSOLE
python3 "$top_srcdir/tests/libvirt_domain.py" "$top_srcdir/contrib/libvirt/vuring-server.xml" \
	"$STATE/domain.xml" "$VM" "$(vm_boot_kernel)" "$(vm_build_initramfs)" \
	"console=ttyS0 panic=-1 loglevel=4 edd=off vuring.ip=$GUEST_IP/24" \
	"$SOCK" "$CONSOLE" "$STATE/boot-script"
ok $? "domain XML made from contrib/libvirt/vuring-server.xml"
out=$("${VIRSH[@]}" define "$STATE/domain.xml" 2>&1)
ok $? "virsh define accepts it"
[ -n "$out" ] && diag "$out"

out=$("${VIRSH[@]}" start "$VM" 2>&1)
started=$?
ok $started "virsh start (the hook starts $UNIT first)"
if [ $started -ne 0 ]; then
	diag "$out"
	lv_dump_logs
	done_testing
fi
grep -qxF "systemctl start $UNIT" "$STATE/systemctl.log"
ok $? "libvirt's prepare hook ran: systemctl start $UNIT"
vpid=$(cat "$STATE/units/$UNIT.pid" 2>/dev/null)
[ -n "$vpid" ] && grep -q "^$vpid READY=1$" "$NLOG" && [ -S "$SOCK" ]
ok $? "vuring (pid ${vpid:-none}) was READY, listening on $SOCK, before QEMU started"

VM_PID=$(cat "/run/libvirt/qemu/$VM.pid" 2>/dev/null)
vm_wait_marker "$CONSOLE" "VURING-LV-PING-OK" "$BOOT_SECS"
ok $? "guest boots on vuring and pings the TAP side ($QUEUES queue pairs)"
vm_ns_ping "$VM_NS" -c 3 -w "$PING_SECS" "$GUEST_IP" > "$STATE/ping.log" 2>&1
ok $? "the TAP side pings the guest"
diag "$(grep transmitted "$STATE/ping.log")"

"${VIRSH[@]}" destroy "$VM" >/dev/null 2>&1
ok $? "virsh destroy"
grep -qxF "systemctl stop $UNIT" "$STATE/systemctl.log"
ok $? "libvirt's release hook ran: systemctl stop $UNIT"
! kill -0 "$vpid" 2>/dev/null && grep -q "^$vpid STOPPING=1$" "$NLOG" && [ ! -e "$SOCK" ]
ok $? "vuring stopped cleanly (STOPPING=1, socket removed)"
"${VIRSH[@]}" undefine "$VM" >/dev/null 2>&1
ok $? "virsh undefine"

lv_dump_logs
done_testing
