# SPDX-License-Identifier: GPL-2.0-or-later
# trace_lib.sh - run the bpftrace scripts of contrib/tracing/ against a
# running vuring from the integration tests (bash; source after tap.sh).
#
#	reason=$(trace_unavailable "$VURING" "$dir") && skip ... "$reason"
#	trace_start "$dir" coalesce "$VURING_PID"   # contrib/tracing/vuring-coalesce.bt
#	trace_wait_attached "$dir" coalesce || ...  # the program is loaded
#	... traffic ...
#	trace_stop_all                              # SIGINT: maps are printed
#	trace_count "$dir" coalesce calls 1         # value of "@calls[1]: N"
#
# Logs go to DIR/bt-NAME.log. Started scripts are in TRACE_PIDS.

TRACE_PIDS=()
# bpftrace compiles its program when it starts; on a loaded 2-CPU machine
# that can take tens of seconds.
TRACE_ATTACH_SECS=90

# trace_unavailable VURING DIR: print why tracing cannot work here and
# return 0, or return 1 when it can.
trace_unavailable() {
	local vuring=$1 dir=$2
	if ! command -v bpftrace >/dev/null 2>&1; then
		echo "bpftrace not installed (apt-get install bpftrace)"
	elif ! command -v readelf >/dev/null 2>&1; then
		echo "readelf not installed (binutils)"
	elif ! readelf -n "$vuring" 2>/dev/null | grep -q 'Provider: vuring'; then
		echo "vuring built without USDT probes (no sys/sdt.h: apt-get install systemtap-sdt-dev)"
	else
		# bpftrace raises RLIMIT_MEMLOCK itself where it may; a failure
		# to do so is only fatal on kernels without memcg accounting.
		ulimit -l unlimited 2>/dev/null
		timeout 60 bpftrace -e 'BEGIN { printf("bpftrace-works\n"); exit(); }' \
			>"$dir/bt-probe.log" 2>&1
		grep -q bpftrace-works "$dir/bt-probe.log" && return 1
		echo "bpftrace cannot load BPF programs here: $(grep -m1 ERROR "$dir/bt-probe.log")"
	fi
	return 0
}

# trace_start DIR NAME PID: attach contrib/tracing/vuring-NAME.bt to PID.
trace_start() {
	local dir=$1 name=$2 pid=$3
	ulimit -l unlimited 2>/dev/null
	bpftrace -p "$pid" "$top_srcdir/contrib/tracing/vuring-$name.bt" \
		>"$dir/bt-$name.log" 2>&1 &
	TRACE_PIDS+=($!)
}

# trace_wait_attached DIR NAME: wait until the script's BEGIN line shows
# (its probes are attached then). Prints bpftrace's error and returns 1 if
# it does not come.
trace_wait_attached() {
	local log="$1/bt-$2.log" i
	for ((i = 0; i < TRACE_ATTACH_SECS * 5; i++)); do
		grep -q '^vuring: ' "$log" 2>/dev/null && return 0
		grep -q '^ERROR: .*\(attach\|not exist\|failed\)' "$log" 2>/dev/null && break
		sleep 0.2
	done
	grep -m1 '^ERROR' "$log" | grep -v RLIMIT_MEMLOCK
	return 1
}

# trace_stop_all: SIGINT every started script (bpftrace prints its maps),
# wait for each (bounded), kill what is left.
trace_stop_all() {
	local p i
	for p in "${TRACE_PIDS[@]}"; do kill -INT "$p" 2>/dev/null; done
	for p in "${TRACE_PIDS[@]}"; do
		for ((i = 0; i < 100; i++)); do
			kill -0 "$p" 2>/dev/null || break
			sleep 0.1
		done
		kill -9 "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	TRACE_PIDS=()
}

# trace_count DIR NAME MAP KEY: the value of the map line "@MAP[KEY]: N".
trace_count() {
	sed -n "s/^@$3\[$4\]: \([0-9]*\)$/\1/p" "$1/bt-$2.log"
}

# trace_show DIR NAME [LINES]: the script's printed maps as TAP diagnostics.
trace_show() {
	sed -n '/^@/,$p' "$1/bt-$2.log" | grep -v '^$' | head -n "${3:-12}" | sed "s/^/# $2: /"
}
