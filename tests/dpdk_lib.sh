# SPDX-License-Identifier: GPL-2.0-or-later
# dpdk_lib.sh - run DPDK's testpmd as a vhost-user front-end (net_virtio_user)
# or reference back-end, non-interactively, for the integration tests and
# benchmarks. Sourced; expects tap.sh to be sourced first.
#
# testpmd runs without hugepages (EAL then backs its memory with memfd, which
# virtio-user can share) and with two lcores: the main one, which only reads
# commands, and one forwarding lcore.

DPDK_TESTPMD=${DPDK_TESTPMD:-dpdk-testpmd}

need_testpmd() {
	command -v "$DPDK_TESTPMD" >/dev/null 2>&1 ||
		skip_all "dpdk-testpmd not installed (apt-get install dpdk)"
}

# testpmd_eal PREFIX FWD_CPU MAIN_CPU: the EAL arguments every run shares.
testpmd_eal() {
	echo "--no-huge -m 512 --no-pci --no-shconf --no-telemetry --file-prefix=$1" \
		"-l $2,$3 --main-lcore $3 --log-level=lib.eal:warning"
}

# testpmd_start_frontend OUT_PREFIX SOCK QUEUES [extra testpmd args...]
# Starts an interactive testpmd with a virtio-user port on SOCK, reading
# commands from the fifo OUT_PREFIX.in, writing to OUT_PREFIX.log (line
# buffered: the statistics are read while it runs). Sets
# TESTPMD_PID. Send commands with testpmd_cmd.
testpmd_start_frontend() {
	local out=$1 sock=$2 queues=$3
	shift 3
	rm -f "$out.in"
	mkfifo "$out.in"
	# shellcheck disable=SC2046
	stdbuf -oL "$DPDK_TESTPMD" $(testpmd_eal "vuring-fe-$$" 0 1) \
		--vdev "net_virtio_user0,path=$sock,queues=$queues" -- -i \
		--rxq="$queues" --txq="$queues" --nb-cores=1 \
		--total-num-mbufs=16384 "$@" <"$out.in" >"$out.log" 2>&1 &
	TESTPMD_PID=$!
	# Hold the fifo open for writing so testpmd never sees EOF early.
	exec {TESTPMD_FD}>"$out.in"
	TESTPMD_OUT=$out
}

testpmd_cmd() {
	echo "$*" >&"$TESTPMD_FD"
}

# testpmd_wait_prompt SECONDS: wait until testpmd reached its prompt.
testpmd_wait_prompt() {
	local i
	for ((i = 0; i < $1 * 10; i++)); do
		grep -q 'testpmd>' "$TESTPMD_OUT.log" 2>/dev/null && return 0
		kill -0 "$TESTPMD_PID" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}

# testpmd_quit: stop forwarding, print stats, and exit (bounded).
testpmd_quit() {
	testpmd_cmd "stop"
	testpmd_cmd "quit"
	exec {TESTPMD_FD}>&-
	for _ in $(seq 50); do
		kill -0 "$TESTPMD_PID" 2>/dev/null || break
		sleep 0.2
	done
	kill -INT "$TESTPMD_PID" 2>/dev/null
	wait "$TESTPMD_PID" 2>/dev/null
}

# testpmd_total FIELD: the last "Accumulated" RX-packets/TX-packets value.
testpmd_total() {
	tr -d '\r' <"$TESTPMD_OUT.log" | grep -A2 'Accumulated forward statistics' |
		sed -n "s/.*$1: *\([0-9]*\).*/\1/p" | tail -n 1
}

# testpmd_send_bursts: testpmd (virtio-user) queues $BURSTS bursts of 32 frames
# per queue (tx_first, in rxonly mode so that it sends nothing else), then
# stops. Prints how many frames it queued: those that fit its TX rings.
testpmd_send_bursts() {
	testpmd_cmd "set fwd rxonly"
	testpmd_cmd "start tx_first $BURSTS"
	sleep 3
	testpmd_cmd "stop"
	sleep 1
	testpmd_total TX-packets
}

# testpmd_receive CMD...: testpmd receives while CMD sends frames towards it
# (CMD's output is dropped), then stops. Prints how many frames it received.
testpmd_receive() {
	testpmd_cmd "start"
	sleep 1
	"$@" >/dev/null
	sleep 2
	testpmd_cmd "stop"
	sleep 1
	testpmd_total RX-packets
}

# testpmd_check_out Q NS IFNAME WHERE STAT...: guest -> host with Q queue
# pairs: testpmd queues its bursts (testpmd_send_bursts) while tcpdump watches
# IFNAME in NS. Every frame queued must show in `STAT rx_packets` (STAT reads
# a counter of the receiving interface), and the capture must hold testpmd's
# UDP frames. WHERE ("on the TAP") words the test line.
testpmd_check_out() {
	local q=$1 ns=$2 ifname=$3 where=$4 rx0 drop0 sent got cap
	shift 4
	rx0=$("$@" rx_packets)
	drop0=$("$@" rx_dropped)
	timeout 20 ip netns exec "$ns" tcpdump -nn -i "$ifname" -c 5 udp \
		>"$dir/capture-$q.txt" 2>/dev/null &
	cap=$!
	sleep 1
	sent=$(testpmd_send_bursts)
	got=$(($("$@" rx_packets) - rx0))
	diag "q=$q: testpmd queued ${sent:-?} of $((BURSTS * 32 * q)), $ifname received $got," \
		"dropped $(($("$@" rx_dropped) - drop0))"
	# testpmd drops what does not fit its own full ring; most must get through.
	[ "${sent:-0}" -ge $((BURSTS * 16)) ] && [ "$got" -eq "$sent" ]
	ok $? "q=$q: every frame virtio-user queued arrived $where"
	wait "$cap"
	[ "$(grep -c 'UDP' "$dir/capture-$q.txt")" -ge 5 ]
	ok $? "q=$q: captured frames are testpmd's UDP frames"
}
