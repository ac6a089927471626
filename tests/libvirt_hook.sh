#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# libvirt_hook.sh - contrib/libvirt/qemu-hook, called the way libvirt calls it
# (VM OPERATION SUB-OPERATION EXTRA, domain XML on stdin), with a systemctl
# stand-in on PATH that records what it was asked to do.

top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
. "$top_srcdir/tests/tap.sh"

HOOK="$top_srcdir/contrib/libvirt/qemu-hook"
[ -x "$HOOK" ] || skip_all "qemu-hook not executable"
command -v systemd-escape >/dev/null || skip_all "systemd-escape not installed (Debian: systemd)"

dir=$(mktemp -d "${TMPDIR:-/tmp}/vuring-hook.XXXXXX") || exit 1
trap 'rm -rf "$dir"' EXIT
mkdir "$dir/bin" "$dir/etc"
# systemctl stand-in: logs its arguments; fails when $dir/fail exists.
cat > "$dir/bin/systemctl" <<SH
#!/bin/sh
echo "\$*" >> "$dir/calls"
[ ! -e "$dir/fail" ]
SH
chmod +x "$dir/bin/systemctl"

# hook VM OP SUB XML-FILE: run it as libvirt does; its calls go to $dir/calls.
hook() {
	: > "$dir/calls"
	VURING_CONF_DIR="$dir/etc" PATH="$dir/bin:$PATH" \
		timeout 10 "$HOOK" "$1" "$2" "$3" - < "$4" > "$dir/out" 2>&1
}
calls() { tr '\n' ';' < "$dir/calls"; }

sed 's/>vm1</>web-1</' "$top_srcdir/contrib/libvirt/vuring-server.xml" > "$dir/server.xml"
sed 's/>vm2</>web-1</' "$top_srcdir/contrib/libvirt/vuring-client.xml" > "$dir/client.xml"
sed "/<interface type='vhostuser'>/,/<\/interface>/d" "$dir/server.xml" > "$dir/plain.xml"
UNIT='vuring@web\x2d1.service'
touch "$dir/etc/web-1.ini"

sh -n "$HOOK"
ok $? "hook is valid sh"

hook web-1 prepare begin "$dir/server.xml"
[ $? -eq 0 ] && [ "$(calls)" = "start $UNIT;" ]
ok $? "prepare begin starts $UNIT (vuring as server) [$(calls)]"

hook web-1 prepare begin "$dir/client.xml"
[ $? -eq 0 ] && [ "$(calls)" = "start $UNIT;" ]
ok $? "prepare begin starts $UNIT (vuring as client) [$(calls)]"

for op in "start begin" "started begin" "stopped end" "migrate begin" "restore begin"; do
	# shellcheck disable=SC2086 # two words on purpose
	hook web-1 $op "$dir/server.xml"
	[ $? -eq 0 ] && [ -z "$(calls)" ]
	ok $? "$op: nothing to do [$(calls)]"
done

hook web-1 release end "$dir/server.xml"
[ $? -eq 0 ] && [ "$(calls)" = "stop $UNIT;" ]
ok $? "release end stops $UNIT [$(calls)]"

hook web-1 prepare begin "$dir/plain.xml"
[ $? -eq 0 ] && [ -z "$(calls)" ]
ok $? "a domain without a vhostuser interface is left alone"

hook other prepare begin "$dir/server.xml"
[ $? -eq 0 ] && [ -z "$(calls)" ]
ok $? "a domain without /etc/vuring/VM.ini is left alone"
hook other release end "$dir/server.xml"
[ $? -eq 0 ] && [ -z "$(calls)" ]
ok $? "... also on release end"

touch "$dir/fail"
hook web-1 prepare begin "$dir/server.xml"
[ $? -ne 0 ] && grep -q "cannot start" "$dir/out"
ok $? "a failed start fails the hook, so libvirt does not start the VM"
hook web-1 reconnect begin "$dir/server.xml"
[ $? -eq 0 ] && [ "$(calls)" = "start $UNIT;" ]
ok $? "reconnect begin starts it too, but never fails a running VM"
hook web-1 release end "$dir/server.xml"
[ $? -eq 0 ]
ok $? "a failed stop does not fail release end"
rm -f "$dir/fail"

# The hook must never call back into libvirt (that deadlocks libvirtd).
! grep -Eq '(^|[^#]*[;|&[:space:]])(virsh|virt-[a-z]+)([[:space:]]|$)' "$HOOK"
ok $? "the hook does not call virsh or other libvirt clients"

done_testing
