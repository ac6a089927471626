#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# systemd_exec.sh - vuring@.service's ExecStart= serving a real guest, with the
# test in the service manager's place (systemd is not PID 1 here).
#
# The command line is read from the built unit, %i/%I expanded for the VM
# "vu-sd" (escaped instance vu\x2dsd) and Environment= applied; only the
# daemon's installed path is replaced by the built one. It runs the way the
# unit says: as the unit's unprivileged user (setpriv: no capabilities, no new
# privileges, umask 077) on a TAP pre-created for that user, with
# /etc/vuring and /run/vuring (RuntimeDirectory=) as private tmpfs mounts.
#  1. NOTIFY_SOCKET goes to notify_recv.py: READY=1 and STATUS= must come
#     from vuring's own pid (NotifyAccess=main); a guest boots on
#     /run/vuring/vu-sd.sock and pings the TAP side; SIGTERM gives STOPPING=1,
#     exit 0 and the socket file removed.
#  2. Socket activation, as vuring@.socket does it: systemd-socket-activate
#     owns the socket and starts the same command when QEMU (reconnect=1)
#     redials; the new vuring serves the inherited socket (LISTEN_FDS) and the
#     guest pings again.

top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
top_builddir=${top_builddir:-.}
. "$top_srcdir/tests/tap.sh"
. "$top_srcdir/tests/vm/lib.sh"
. "$top_srcdir/tests/systemd_lib.sh"

TEST_SECS=300
BOOT_SECS=90
READY_SECS=15
PING_SECS=30
VM=vu-sd
TAP=vu0
HOST_IP=10.0.0.1
GUEST_IP=10.0.0.2

[ -n "${VURING_TEST_QUICK:-}" ] && skip_all "quick mode (VURING_TEST_QUICK): VM tests skipped"
need_root
sd_enter_mount_ns "$@"
vm_setup systemd-exec "$TEST_SECS"
trap 'rc=$?; sd_cleanup; (exit $rc); vm_cleanup' EXIT
[ -x "${VURING:-}" ] || skip_all "VURING not set to the daemon"
vm_require python3 setpriv systemd-escape systemd-socket-activate
service=$(sd_unit_path vuring@.service) || skip_all "vuring@.service not built"
vm_prepare

INST=$(systemd-escape "$VM")
SOCK=/run/vuring/$VM.sock
export VM_GUEST_IP="$GUEST_IP/24" VM_RECONNECT=1

# The unit's identity: its user if this machine has it, else an unused uid.
sd_identity "$service" || skip_all "no free uid for the service user"
uid=$SD_UID
gid=$SD_GID
diag "service identity: ${SD_IDENTITY[*]:0:4}"

sd_private_dir /etc/vuring 0:0 0755 || skip_all "cannot mount a tmpfs on /etc/vuring"
sd_private_dir /run/vuring "$uid:$gid" 0755 || skip_all "cannot mount a tmpfs on /run/vuring"
vm_netns_create || skip_all "cannot create a network namespace"
vm_netns_tap "$VM_NS" "$TAP" "$HOST_IP/24" "$uid" || skip_all "cannot create a TAP device"
cat > "/etc/vuring/$VM.ini" <<INI
[vhost-user]
path = $SOCK
[backend]
interface = $TAP
create = no
INI
chmod 0644 "/etc/vuring/$VM.ini"

# The notify socket must be reachable by the service user.
sd_service_files "$VM_DIR" || skip_all "cannot prepare $VM_DIR for the service user"
NOTIFY="$VM_DIR/notify/notify.sock"
NLOG="$VM_DIR/notify.log"
: > "$NLOG"
vm_bg python3 "$top_srcdir/tests/notify_recv.py" "$NOTIFY" "$NLOG"
vm_wait_socket "$NOTIFY" 10 || skip_all "notify receiver did not start"

mapfile -t cmd < <(sd_exec_start "$service" "$INST")
mapfile -t envs < <(sd_environment "$service" "$INST")
[ "${cmd[0]##*/}" = vuring ] && [ "${cmd[*]:1}" = "--config /etc/vuring/$VM.ini" ]
ok $? "ExecStart= for $INST: ${cmd[*]}"
cmd[0]=$SD_VURING
# run_unit_cmd PREFIX...: the unit's command under its identity and sandbox
# basics, behind PREFIX (a socket activator); every step execs, so the pid
# vm_bg gets is vuring's (or the activator's). Only for vm_bg's subshell.
run_unit_cmd() {
	exec "$@" ip netns exec "$VM_NS" env NOTIFY_SOCKET="$NOTIFY" "${envs[@]}" \
		"${SD_IDENTITY[@]}" "${cmd[@]}"
}

# ---- 1. started as by `systemctl start`
vm_bg run_unit_cmd
pid1=$VM_BG_PID
line=$(sd_wait_notify "$NLOG" "^$pid1 READY=1$" "$READY_SECS")
ok $? "READY=1 from vuring itself (pid $pid1)"
[ -S "$SOCK" ] && [ "$(stat -c %u "$SOCK")" = "$uid" ]
ok $? "the socket $SOCK exists, owned by the service user, once READY=1 came"
line=$(sd_wait_notify "$NLOG" "^$pid1 STATUS=." 5)
ok $? "STATUS= from vuring: ${line#* }"
grep -q CapEff:.0000000000000000 "/proc/$pid1/status" && [ "$(awk '/^Uid:/ { print $2 }' "/proc/$pid1/status")" = "$uid" ]
ok $? "vuring runs without capabilities as uid $uid"

vm_start "$SOCK" 1
vm_wait_boot "$BOOT_SECS"
booted=$?
ok $booted "guest boots with eth0 on vuring (accel $(vm_accel))"
if [ $booted -ne 0 ]; then
	vm_dump_logs 30
	done_testing
fi
out=$(vm_cmd $((PING_SECS + 5)) "ping -c 3 -w $PING_SECS $HOST_IP")
ok $? "guest pings the TAP side through the unit's vuring"
diag "$(echo "$out" | grep transmitted)"
line=$(sd_wait_notify "$NLOG" "^$pid1 STATUS=serving" 5)
ok $? "STATUS= follows the front-end: ${line#* }"

kill -TERM "$pid1"
wait "$pid1"
rc=$?
[ $rc -eq 0 ]
ok $? "SIGTERM: vuring exits 0 (got $rc)"
sd_wait_notify "$NLOG" "^$pid1 STOPPING=1$" 2 >/dev/null
ok $? "STOPPING=1 sent on SIGTERM"
[ ! -e "$SOCK" ]
ok $? "vuring removed the socket file it had created"

# ---- 2. socket activation (vuring@.socket)
vm_bg run_unit_cmd systemd-socket-activate -l "$SOCK" -E PATH \
	-E ASAN_OPTIONS -E UBSAN_OPTIONS
log2=$VM_BG_LOG
# QEMU redials every second; the first connection starts vuring.
deadline=$((SECONDS + 30))
pid2=
while [ "$SECONDS" -lt "$deadline" ]; do
	pid2=$(awk -v old="$pid1" '$2 == "READY=1" && $1 != old { print $1; exit }' "$NLOG")
	[ -n "$pid2" ] && break
	sleep 0.2
done
[ -n "$pid2" ] && [ "$(readlink "/proc/$pid2/exe")" = "$(readlink -f "$SD_VURING")" ]
ok $? "QEMU's redial socket-activates vuring, which sends READY=1 (pid ${pid2:-none})"
grep -q 'on an inherited socket' "$log2"
ok $? "the activated vuring serves the inherited socket (LISTEN_FDS)"
out=$(vm_cmd $((PING_SECS + 5)) "ping -c 3 -w $PING_SECS $HOST_IP")
ok $? "guest pings through the socket-activated vuring"
diag "$(echo "$out" | grep transmitted)"

vm_stop
[ -n "$pid2" ] && kill -TERM "$pid2" 2>/dev/null
sleep 0.5
[ -S "$SOCK" ]
ok $? "the activator's socket outlives the activated vuring"
if [ "$TAP_FAILED" -ne 0 ]; then
	diag "---- notify log"; sed 's/^/#   /' "$NLOG"
	vm_dump_logs 30
fi
done_testing
