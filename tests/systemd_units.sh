#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# systemd_units.sh - the shipped systemd units and QEMU's back-end description
# are valid, and the service is as locked down as documented.
#
# systemd is not PID 1 here, so systemd-analyze works offline: the units are
# copied into a scratch directory with ExecStart= pointing at the built daemon
# (verify insists that the binary exists; everything else is as installed).
# The exposure score of `systemd-analyze security` must stay at or below
# MAX_EXPOSURE, the figure README.md and vuring(8) quote.

top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
top_builddir=${top_builddir:-.}
. "$top_srcdir/tests/tap.sh"
. "$top_srcdir/tests/systemd_lib.sh"

# Exposure in tenths, as `systemd-analyze security --threshold=` takes it:
# 1.6 today; 2.0 leaves room for systemd's scoring to drift between versions.
MAX_EXPOSURE=20
INSTANCE=vm-test

command -v systemd-analyze >/dev/null || skip_all "systemd-analyze not installed (Debian: systemd)"
[ -x "${VURING:-}" ] || skip_all "VURING not set to the daemon"
service=$(sd_unit_path vuring@.service) || skip_all "vuring@.service not built"
socket=$(sd_unit_path vuring@.socket) || skip_all "vuring@.socket not found"

dir=$(mktemp -d "${TMPDIR:-/tmp}/vuring-units.XXXXXX") || exit 1
trap 'rm -rf "$dir"' EXIT
unit=$(systemd-escape --template=vuring@.service "$INSTANCE")

exec_bin=$(sd_exec_start "$service" "$INSTANCE" | head -n1)
[ "${exec_bin##*/}" = vuring ] && [ "${exec_bin#/}" != "$exec_bin" ]
ok $? "ExecStart= runs the daemon by absolute path ($exec_bin)"
sed "s|^ExecStart=$exec_bin |ExecStart=$VURING |" "$service" > "$dir/vuring@.service"
cp "$socket" "$dir/vuring@.socket"

# verify prints warnings (unknown keys, bad values) but still exits 0: the
# output must be empty too.
out=$(timeout 60 systemd-analyze verify --man=no "$dir/$unit" "$dir/${unit%.service}.socket" 2>&1)
[ $? -eq 0 ] && [ -z "$out" ]
ok $? "systemd-analyze verify passes on vuring@.service and vuring@.socket"
[ -n "$out" ] && diag "$out"

# The check itself can fail: a misspelt key is reported.
sed 's/^ProtectSystem=/ProtectSytem=/' "$dir/vuring@.service" > "$dir/broken@.service"
out=$(timeout 60 systemd-analyze verify --man=no "$dir/broken@x.service" 2>&1)
echo "$out" | grep -q "Unknown key 'ProtectSytem'"
ok $? "systemd-analyze verify reports a misspelt key (the check can fail)"
rm -f "$dir/broken@.service"

# Offline security assessment (systemd >= 250).
out=$(timeout 60 systemd-analyze security --offline=yes "--threshold=$MAX_EXPOSURE" \
	"$dir/$unit" 2>&1)
rc=$?
score=$(echo "$out" | sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p')
if [ -z "$score" ]; then
	ok 0 "# SKIP systemd-analyze security --offline not available: $(echo "$out" | head -n1)"
else
	[ $rc -eq 0 ]
	ok $? "systemd-analyze security: exposure $score <= $((MAX_EXPOSURE / 10)).$((MAX_EXPOSURE % 10))"
	diag "exposure of vuring@.service: $score (systemd $(systemd-analyze --version | sed -n '1s/^systemd \([0-9]*\).*/\1/p'))"
fi

# What the docs promise about the service.
v() { sd_unit_values "$dir/vuring@.service" "$1" | tail -n1; }
[ "$(v Type)" = notify ]
ok $? "Type=notify"
[ "$(v User)" = vuring ] && [ -z "$(v CapabilityBoundingSet)" ] && [ -z "$(v AmbientCapabilities)" ]
ok $? "runs as user vuring with no capabilities"
[ "$(v RuntimeDirectory)" = vuring ] && [ "$(v RuntimeDirectoryPreserve)" = yes ]
ok $? "RuntimeDirectory=vuring, kept while other instances run"
filter=$(sd_unit_values "$dir/vuring@.service" SystemCallFilter | tr '\n' ' ')
missing=
for call in io_uring_setup io_uring_enter io_uring_register; do
	case " $filter " in
	*" $call "*) ;;
	*) missing+=" $call" ;;
	esac
done
[ -z "$missing" ]
ok $? "SystemCallFilter= allows io_uring ($filter)"
[ "$(sd_exec_start "$dir/vuring@.service" "$(systemd-escape "$INSTANCE")" | tail -n1)" = \
	"/etc/vuring/$INSTANCE.ini" ]
ok $? "instance $INSTANCE reads /etc/vuring/$INSTANCE.ini"
[ "$(sd_expand "$(sd_unit_values "$dir/vuring@.socket" ListenStream)" \
	"$(systemd-escape "$INSTANCE")")" = "/run/vuring/$INSTANCE.sock" ]
ok $? "vuring@$INSTANCE.socket listens on /run/vuring/$INSTANCE.sock"

# The drop-in that lets vuring create its TAP adds CAP_NET_ADMIN and only that.
mkdir "$dir/vuring@.service.d"
cp "$top_srcdir/contrib/systemd/vuring-create-tap.conf" "$dir/vuring@.service.d/"
out=$(timeout 60 systemd-analyze verify --man=no "$dir/$unit" 2>&1)
[ $? -eq 0 ] && [ -z "$out" ]
ok $? "verify passes with the create-tap drop-in"
out=$(timeout 60 systemd-analyze security --offline=yes "$dir/$unit" 2>&1)
if echo "$out" | grep -q 'Overall exposure'; then
	echo "$out" | grep -q '✗ CapabilityBoundingSet=~CAP_NET_ADMIN' &&
		[ "$(echo "$out" | grep -c '✗ CapabilityBoundingSet=')" = 1 ]
	ok $? "with the drop-in, CAP_NET_ADMIN is the only capability"
	diag "exposure with the create-tap drop-in: $(echo "$out" | sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p')"
fi

# QEMU's vhost-user back-end description (docs/interop/vhost-user.json).
json="$top_builddir/contrib/qemu/50-vuring.json"
out=$(python3 - "$json" "$("$VURING" --print-capabilities)" <<'PY' 2>&1
import json, sys
desc = json.load(open(sys.argv[1]))
caps = json.loads(sys.argv[2])
assert set(desc) <= {"description", "type", "binary", "tags"}, desc
assert desc["type"] == "net" == caps["type"], (desc, caps)
assert desc["binary"].startswith("/") and desc["binary"].endswith("/vuring"), desc
assert isinstance(desc["description"], str) and desc["description"], desc
PY
)
ok $? "50-vuring.json: type net (as --print-capabilities says), absolute binary path"
[ -n "$out" ] && diag "$out"
[ "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["binary"])' "$json")" = "$exec_bin" ]
ok $? "50-vuring.json and vuring@.service name the same binary"

done_testing
