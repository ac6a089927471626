#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# guest-stats.sh - vuringctl's counters agree with a real guest's own.
#
# A Debian guest (QEMU, TCG here) runs on vuring with 2 queue pairs, vuring
# serves a control socket. With the wire made quiet (IPv6 off on both ends,
# static ARP entries, so nothing but our traffic crosses), the test takes the
# guest's eth0 statistics and `vuringctl stats --json` before and after pings
# both ways and iperf3 both ways, and the deltas must match exactly: packets
# and bytes vuring moved on its TX queues = what the guest transmitted, on
# its RX queues = what the guest received. Kicks, calls and batches must be
# consistent with the packets (every call covers published entries, etc.),
# and `vuringctl watch` shows rates while traffic flows.
# Meanwhile contrib/tracing/vuring-coalesce.bt and vuring-latency.bt are
# attached (bpftrace, USDT): the call probe must fire for every call vuring
# counted, and both print their histograms. Those checks are skipped with
# the reason where bpftrace cannot trace (see tests/trace_lib.sh).
# Placement on a 2-CPU machine: QEMU on CPU 0, vuring on CPU 1.

top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
. "$top_srcdir/tests/tap.sh"
. "$top_srcdir/tests/vm/lib.sh"
. "$top_srcdir/tests/trace_lib.sh"

TEST_SECS=240
BOOT_SECS=90
PINGS=40
IPERF_SECS=2
QUEUES=2
# Time for frames in flight to land before counters are read.
SETTLE_SECS=2

HOST_IP=10.0.0.1
GUEST_IP=10.0.0.2
GUEST_MAC=52:54:00:12:34:56
TAP=vu0

vm_setup_vuring guest-stats "$TEST_SECS"
VURINGCTL=$top_builddir/vuringctl
[ -x "$VURINGCTL" ] || skip_all "vuringctl not built"
vm_require iperf3 taskset python3
vm_prepare

SOCK="$VM_DIR/vhost.sock"
CTL="$VM_DIR/ctl.sock"
export VM_GUEST_IP="$GUEST_IP/24" VM_QEMU_CPUS=0 VM_MAC=$GUEST_MAC

vm_netns_with_tap "$TAP" "$HOST_IP/24"
vm_ns "$VM_NS" sysctl -qw "net.ipv6.conf.$TAP.disable_ipv6=1"
vm_ns "$VM_NS" ip neigh replace "$GUEST_IP" lladdr "$GUEST_MAC" dev "$TAP" nud permanent
TAP_MAC=$(vm_ns "$VM_NS" cat "/sys/class/net/$TAP/address")

vm_vuring_ini "$SOCK" "$TAP" $QUEUES > "$VM_DIR/vuring.ini"
cat >> "$VM_DIR/vuring.ini" <<INI
[control]
path = $CTL
INI

vm_bg ip netns exec "$VM_NS" taskset -c 1 "$VURING" --config "$VM_DIR/vuring.ini"
VURING_PID=$VM_BG_PID
VURING_LOG=$VM_BG_LOG
vm_wait_socket "$SOCK" 10 && vm_wait_socket "$CTL" 10
ok $? "vuring listens on the vhost-user and control sockets"

vm_start "$SOCK" "$QUEUES"
vm_boot_or_end "with eth0 up on vuring"

# busybox's ip cannot add neighbours; its arp -s sets a permanent entry.
out=$(vm_cmd 20 "ethtool -L eth0 combined $QUEUES &&
	sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.eth0.disable_ipv6=1 &&
	arp -s $HOST_IP $TAP_MAC")
st=$?
ok $st "guest: $QUEUES queue pairs, IPv6 off, static ARP (a quiet wire)"
[ $st -eq 0 ] || diag "$out"

"$VURINGCTL" -s "$CTL" status --json > "$VM_DIR/status.json"
python3 - "$VM_DIR/status.json" "$QUEUES" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
vu = d["vhost_user"]
assert vu["state"] == "connected", vu["state"]
assert "VERSION_1" in vu["features"]["names"] and "MQ" in vu["features"]["names"]
assert d["backend"]["queue_pairs"] == int(sys.argv[2])
assert d["memory"]["total_bytes"] > 0
assert all(r["state"] == "started" for r in d["rings"])
PY
ok $? "vuringctl status: connected, features by name, memory, every ring started"

# snapshot NAME: the guest's eth0 counters and vuring's stats, both at rest.
snapshot() {
	sleep "$SETTLE_SECS"
	vm_cmd 10 'cd /sys/class/net/eth0/statistics &&
		for f in tx_packets tx_bytes rx_packets rx_bytes rx_dropped; do
			echo "$f $(cat $f)"; done' > "$VM_DIR/guest-$1.txt" &&
	"$VURINGCTL" -s "$CTL" stats --json > "$VM_DIR/vuring-$1.json"
}

# The traces run from before the first snapshot to after the last.
trace_skip=
if trace_skip=$(trace_unavailable "$VURING" "$VM_DIR"); then
	:
else
	trace_skip=
	trace_start "$VM_DIR" coalesce "$VURING_PID"
	trace_start "$VM_DIR" latency "$VURING_PID"
	VM_PIDS+=("${TRACE_PIDS[@]}")	# vm_cleanup ends them if we abort
	if ! trace_skip=$(trace_wait_attached "$VM_DIR" coalesce) ||
		! trace_skip=$(trace_wait_attached "$VM_DIR" latency); then
		trace_skip="bpftrace could not attach to vuring's probes: ${trace_skip:-timed out}"
	fi
fi

snapshot before
ok $? "counters read before the traffic (guest sysfs, vuringctl stats --json)"

out=$(vm_cmd $((PINGS + 20)) "ping -c $PINGS -W 2 $HOST_IP")
ok $? "guest pings the namespace $PINGS times"
diag "$(echo "$out" | grep transmitted)"
out=$(vm_ns_ping "$VM_NS" -c "$PINGS" -i 0.2 -W 2 "$GUEST_IP")
ok $? "namespace pings the guest $PINGS times"

vm_bg ip netns exec "$VM_NS" timeout "$TEST_SECS" iperf3 -s -B "$HOST_IP"
sleep 1
"$VURINGCTL" -s "$CTL" watch --count 2 --json > "$VM_DIR/watch.json" &
watch_pid=$!
vm_iperf_mbps "$HOST_IP" "$IPERF_SECS" >/dev/null
ok $? "iperf3 guest->ns"
vm_iperf_mbps "$HOST_IP" "$IPERF_SECS" -R >/dev/null
ok $? "iperf3 ns->guest"
wait "$watch_pid"
python3 - "$VM_DIR/watch.json" <<'PY'
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
assert len(lines) == 2, lines
assert all(0.5 < l["interval"] < 5 for l in lines)
assert any(q["packets"] > 0 for l in lines for q in l["queues"]), lines
PY
ok $? "vuringctl watch --count 2 --json: two refreshes with per-queue rates during traffic"

snapshot after
ok $? "counters read after the traffic"

python3 - "$VM_DIR" "$PINGS" <<'PY'
import json, sys
d, PINGS = sys.argv[1], int(sys.argv[2])

def guest(name):
    return {k: int(v) for k, v in (l.split() for l in open(f"{d}/guest-{name}.txt"))}

def vuring(name):
    return json.load(open(f"{d}/vuring-{name}.json"))

gb, ga = guest("before"), guest("after")
vb, va = vuring("before"), vuring("after")
g = {k: ga[k] - gb[k] for k in ga}

def total(direction, key):
    return sum(qa[key] - qb[key] for qa, qb in zip(va["queues"], vb["queues"])
               if qa["direction"] == direction)

v = {
    "tx_packets": total("tx", "packets"), "tx_bytes": total("tx", "bytes"),
    "rx_packets": total("rx", "packets"), "rx_bytes": total("rx", "bytes"),
}
print(f"# guest deltas:  {g}")
print(f"# vuring deltas: {v}")
fail = []
if v["tx_packets"] != g["tx_packets"] or v["tx_bytes"] != g["tx_bytes"]:
    fail.append("guest TX != vuring TX queues")
if v["rx_packets"] != g["rx_packets"] + g["rx_dropped"]:
    fail.append("guest RX packets (+ dropped) != vuring RX queues")
if g["rx_dropped"] == 0 and v["rx_bytes"] != g["rx_bytes"]:
    fail.append("guest RX bytes != vuring RX queues")
if g["tx_packets"] < 2 * PINGS or g["rx_packets"] < 2 * PINGS:
    fail.append("too little traffic to compare")
for qa, qb in zip(va["queues"], vb["queues"]):
    dq = {k: qa[k] - qb[k] for k in ("packets", "kicks", "calls", "batches", "batched", "dropped")}
    print(f"# {qa['name']}: {dq}")
    if dq["dropped"]:
        fail.append(f"{qa['name']} dropped {dq['dropped']}")
    if dq["packets"] == 0:
        continue
    # Every call covers at least one published used entry; every flush that
    # published something is a batch; TX frames come after a kick.
    if not (1 <= dq["calls"] <= dq["batched"]):
        fail.append(f"{qa['name']}: calls {dq['calls']} vs used entries {dq['batched']}")
    if not (1 <= dq["batches"] <= dq["batched"]):
        fail.append(f"{qa['name']}: batches {dq['batches']} vs entries {dq['batched']}")
    if qa["direction"] == "tx" and not (1 <= dq["kicks"] <= dq["packets"]):
        fail.append(f"{qa['name']}: kicks {dq['kicks']} vs packets {dq['packets']}")
    if qa["direction"] == "tx" and dq["batched"] != dq["packets"]:
        fail.append(f"{qa['name']}: TX used entries {dq['batched']} != packets {dq['packets']}")
for f in fail:
    print(f"# {f}")
sys.exit(1 if fail else 0)
PY
ok $? "packets and bytes match the guest's eth0 counters exactly; kicks, calls, batches consistent"

# trace_ok DESC CMD...: a check that needs the traces, skipped without them.
trace_ok() {
	local desc=$1
	shift
	if [ -n "$trace_skip" ]; then
		TAP_RUN=$((TAP_RUN + 1))
		echo "ok $TAP_RUN - $desc # SKIP $trace_skip"
		return
	fi
	"$@"
	ok $? "$desc"
}

# every_call_traced: per queue, the call probe fired at least as often as
# vuring counted calls between the snapshots (the trace spans them).
every_call_traced() {
	local q calls seen busy=0
	while read -r q calls; do
		[ "$calls" -gt 0 ] || continue
		busy=$((busy + 1))
		seen=$(trace_count "$VM_DIR" coalesce calls "$q")
		diag "queue $q: $calls calls counted, the call probe fired ${seen:-0} times"
		[ "${seen:-0}" -ge "$calls" ] || return 1
	done < <(python3 -c '
import json, sys
b, a = (json.load(open(f"{sys.argv[1]}/vuring-{n}.json")) for n in ("before", "after"))
for qa, qb in zip(a["queues"], b["queues"]):
    print(qa["index"], qa["calls"] - qb["calls"])' "$VM_DIR")
	[ "$busy" -ge 2 ]
}

[ -z "$trace_skip" ] && trace_stop_all
trace_ok "bpftrace: the call probe fired for every call vuring counted" every_call_traced
trace_ok "bpftrace: completions and used entries per call (coalescing script)" \
	grep -q '^@completions_per_call\[' "$VM_DIR/bt-coalesce.log"
trace_ok "bpftrace: kick-to-call latency histograms (latency script)" \
	grep -q '^@kick_to_call_us\[' "$VM_DIR/bt-latency.log"
if [ -z "$trace_skip" ]; then
	trace_show "$VM_DIR" coalesce 14
	trace_show "$VM_DIR" latency 14
fi

vm_stop 15
ok $? "guest powers off"
kill -TERM "$VURING_PID"
wait "$VURING_PID"
ok $? "vuring exits 0 on SIGTERM"
[ ! -e "$CTL" ]
ok $? "the control socket file is gone"
if grep -q 'AddressSanitizer\|runtime error' "$VURING_LOG"; then
	ok 1 "no sanitizer report from vuring"
else
	ok 0 "no sanitizer report from vuring"
fi
[ "$TAP_FAILED" -eq 0 ] || vm_dump_logs 40
done_testing
