#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# demo.sh - see vuring work: a Debian guest boots under QEMU with its NIC on
# vuring, and pings the host side through it.
#
#   bash contrib/demo.sh            (as root, after building vuring)
#
# Everything lives in a network namespace the demo creates ("vuring-demo"):
# a TAP vu0 with 10.0.0.1/24, vuring attached to it, and the guest at
# 10.0.0.2. QEMU uses KVM when it can boot the guest, TCG otherwise (about
# 15 s to a shell). It cleans up after itself. The guest's kernel and
# busybox initramfs come from the test harness (tests/vm/).
top=$(cd "$(dirname "$0")/.." && pwd)
VURING=${VURING:-$top/vuring}
export top_srcdir=$top
. "$top/tests/tap.sh"
. "$top/tests/vm/lib.sh"

# The harness reports a missing prerequisite as a TAP "skip": say it plainly.
skip_all() {
	echo "demo: cannot run: $*" >&2
	exit 1
}
[ -x "$VURING" ] || skip_all "build vuring first (./configure && make)"

say() { printf '\n=== %s\n' "$*"; }

vm_setup demo
vm_require iperf3
say "preparing the guest kernel and initramfs (cached after the first run)"
vm_prepare
vm_netns_create vuring-demo || skip_all "cannot create a network namespace"
vm_netns_tap "$VM_NS" vu0 10.0.0.1/24 || skip_all "cannot create a TAP device"

cat > "$VM_DIR/vuring.ini" <<INI
[vhost-user]
path = $VM_DIR/vhost.sock
[backend]
interface = vu0
create = no
INI
say "starting vuring on TAP vu0 (log: $VM_DIR/bg-0.log)"
vm_bg ip netns exec "$VM_NS" "$VURING" --config "$VM_DIR/vuring.ini"
vm_wait_socket "$VM_DIR/vhost.sock" 10 || skip_all "vuring did not start: $(cat "$VM_BG_LOG")"

say "booting the guest ($(vm_accel)) with its virtio-net device on vuring"
vm_start "$VM_DIR/vhost.sock" 1
vm_wait_boot 120 || { vm_dump_logs 30; skip_all "the guest did not boot"; }

say "guest: ping -c 5 10.0.0.1 (the TAP in the namespace)"
vm_cmd 30 'ping -c 5 10.0.0.1'
say "namespace: ping -c 3 10.0.0.2 (the guest)"
vm_ns_ping "$VM_NS" -c 3 10.0.0.2

say "vuring's log"
cat "$VM_BG_LOG"
vm_stop 15
say "done: guest powered off, namespace and processes cleaned up"
