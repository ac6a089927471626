#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# trace_probes.sh - vuring's USDT probes and counters under real traffic.
#
# DPDK's testpmd (virtio-user) is the front-end, a TAP in a network namespace
# the host side. While contrib/tracing/vuring-batch.bt is attached to the
# running vuring, testpmd sends N bursts of 32 frames per queue (guest ->
# host) and frame_tool sends M frames into the TAP (host -> guest). Then:
#   - `vuringctl stats --json`: the TX queues moved exactly what testpmd
#     queued and the TAP received, the RX queues exactly the M frames
#     testpmd received; no drops, no I/O errors;
#   - the script saw the probes fire: a used_publish for every used-ring
#     flush vuring counted (its "batches"), and printed batch histograms.
# virtio-user polls and asks for no interrupts, so vuring writes no calls
# here: the coalescing and latency scripts are exercised against a real
# guest in tests/vm/guest-stats.sh.
# Skips (77) where the kernel or the build cannot trace: no bpftrace, no
# uprobes/BPF permission, or a vuring built without <sys/sdt.h>.
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
. "$top_srcdir/tests/tap.sh"
. "$top_srcdir/tests/dpdk_lib.sh"
. "$top_srcdir/tests/trace_lib.sh"

[ -n "${VURING_TEST_QUICK:-}" ] && skip_all "quick mode (VURING_TEST_QUICK): DPDK tests skipped"
need_root
need_testpmd
[ -x "${VURING:-}" ] || skip_all "VURING not set to the daemon"
VURINGCTL=$top_builddir/vuringctl
FRAME_TOOL=$top_builddir/tests/frame_tool
[ -x "$VURINGCTL" ] || skip_all "vuringctl not built"
[ -x "$FRAME_TOOL" ] || skip_all "tests/frame_tool not built"
command -v python3 >/dev/null || skip_all "python3 not installed"

QUEUES=2
BURSTS=20		# tx_first bursts of 32 frames per queue
RX_FRAMES=2000
RX_PPS=10000
NS=vuring-tr-$$
TAPIF=vu0
dir=$(mktemp -d)
VURING_PID=

cleanup() {
	local p
	for p in "${TRACE_PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done
	[ -n "${TESTPMD_PID:-}" ] && kill -9 "$TESTPMD_PID" 2>/dev/null
	[ -n "$VURING_PID" ] && kill -9 "$VURING_PID" 2>/dev/null
	ip netns del "$NS" 2>/dev/null
	[ -n "${VURING_KEEP:-}" ] && echo "# kept $dir" || rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if reason=$(trace_unavailable "$VURING" "$dir"); then
	skip_all "$reason"
fi

ip netns add "$NS" || skip_all "cannot create a network namespace"
ip -n "$NS" link set lo up
ip -n "$NS" tuntap add dev "$TAPIF" mode tap multi_queue vnet_hdr ||
	skip_all "cannot create a TAP device"
ip netns exec "$NS" sysctl -qw "net.ipv6.conf.$TAPIF.disable_ipv6=1"
ip -n "$NS" link set "$TAPIF" up

tap_stat() {
	ip netns exec "$NS" cat "/sys/class/net/$TAPIF/statistics/$1"
}

cat >"$dir/vuring.ini" <<INI
[vhost-user]
path = $dir/sock
[backend]
interface = $TAPIF
create = no
queue-pairs = $QUEUES
[control]
path = $dir/ctl
INI
ip netns exec "$NS" "$VURING" --config "$dir/vuring.ini" >"$dir/vuring.log" 2>&1 &
VURING_PID=$!
for _ in $(seq 50); do
	[ -S "$dir/sock" ] && [ -S "$dir/ctl" ] && break
	sleep 0.1
done
[ -S "$dir/ctl" ]
ok $? "vuring listens (vhost-user and control sockets)"

testpmd_start_frontend "$dir/testpmd" "$dir/sock" "$QUEUES"
testpmd_wait_prompt 30
ok $? "testpmd (virtio-user, $QUEUES queue pairs) came up and connected"

trace_start "$dir" batch "$VURING_PID"
if ! reason=$(trace_wait_attached "$dir" batch); then
	skip_all "bpftrace could not attach to vuring's USDT probes: ${reason:-timed out}"
fi
ok 0 "bpftrace attached contrib/tracing/vuring-batch.bt to the running vuring"

"$VURINGCTL" -s "$dir/ctl" stats --json >"$dir/before.json"
ok $? "vuringctl stats --json before the traffic"

# guest -> host
rx0=$(tap_stat rx_packets)
sent=$(testpmd_send_bursts)
tap_got=$(($(tap_stat rx_packets) - rx0))
# host -> guest
received=$(testpmd_receive ip netns exec "$NS" "$FRAME_TOOL" send "$TAPIF" "$RX_FRAMES" 64 \
	"$RX_PPS")
diag "testpmd queued ${sent:-?} frames (TAP received $tap_got), received ${received:-?} of $RX_FRAMES"

"$VURINGCTL" -s "$dir/ctl" stats --json >"$dir/after.json"
ok $? "vuringctl stats --json after the traffic"

python3 - "$dir" "${sent:-0}" "$tap_got" "$RX_FRAMES" <<'PY'
import json, sys
d, sent, tap_got, rx_frames = sys.argv[1], *map(int, sys.argv[2:])
b, a = (json.load(open(f"{d}/{n}.json")) for n in ("before", "after"))
def delta(q, key):
    return a["queues"][q][key] - b["queues"][q][key]
tx = sum(delta(q, "packets") for q in range(len(a["queues"])) if a["queues"][q]["direction"] == "tx")
rx = sum(delta(q, "packets") for q in range(len(a["queues"])) if a["queues"][q]["direction"] == "rx")
print(f"# vuring moved tx {tx} (testpmd queued {sent}, TAP got {tap_got}), rx {rx} (sent {rx_frames})")
fail = []
if not (sent > 0 and tx == sent == tap_got):
    fail.append("TX queues' packets != frames testpmd queued")
if rx != rx_frames:
    fail.append("RX queues' packets != frames sent into the TAP")
for q in a["queues"]:
    if q["direction"] == "tx" and delta(q["index"], "packets") == 0:
        fail.append(f"{q['name']} carried nothing")
    if q["dropped"] or q["uring_errors"]:
        fail.append(f"{q['name']}: {q['dropped']} drops, {q['uring_errors']} I/O errors")
for f in fail:
    print(f"# {f}")
sys.exit(1 if fail else 0)
PY
ok $? "per-queue packets match the traffic exactly, every TX queue used, no drops or I/O errors"

trace_stop_all

python3 - "$dir" <<'PY' >"$dir/batches.txt"
import json, sys
d = sys.argv[1]
b, a = (json.load(open(f"{d}/{n}.json")) for n in ("before", "after"))
for qa, qb in zip(a["queues"], b["queues"]):
    print(qa["index"], qa["batches"] - qb["batches"])
PY
match=0 mismatch=0
while read -r q batches; do
	[ "$batches" -gt 0 ] || continue
	seen=$(trace_count "$dir" batch publishes "$q")
	diag "queue $q: vuring counted $batches used-ring flushes, the probe fired ${seen:-0} times"
	# bpftrace was attached before the first stats snapshot and detached
	# after the last, so it saw at least every flush counted in between.
	if [ "${seen:-0}" -ge "$batches" ]; then match=$((match + 1)); else mismatch=$((mismatch + 1)); fi
done <"$dir/batches.txt"
[ "$match" -ge 2 ] && [ "$mismatch" -eq 0 ]
ok $? "used_publish fired for every used-ring flush vuring counted, on every busy queue"
grep -q '^@batch_size\[' "$dir/bt-batch.log" && grep -q '^@used_per_publish\[' "$dir/bt-batch.log"
ok $? "the script printed batch-size histograms"
trace_show "$dir" batch 16

testpmd_quit
TESTPMD_PID=
kill -TERM "$VURING_PID"
wait "$VURING_PID"
ok $? "vuring exits 0 on SIGTERM"
VURING_PID=
if grep -q 'ERROR: AddressSanitizer\|runtime error' "$dir/vuring.log"; then
	ok 1 "no sanitizer report"
else
	ok 0 "no sanitizer report"
fi
done_testing
