# SPDX-License-Identifier: GPL-2.0-or-later
# lib.sh - what the side-by-side benchmarks share (bash; source it after
# setting DUR, dir and PIDS).
#
#   eal PREFIX LCORES MAIN       DPDK EAL options: no hugepages, no PCI
#   cpu_ticks PID                utime+stime in clock ticks
#   stop_pid PID                 SIGINT, then SIGKILL after 5 s
#   fe_rx_total                  the testpmd front-end's last RX-packets
#   start_frontend MODE SIZE     testpmd virtio-user on $dir/sock, lcore on CPU 0
#   measure KIND DIR SIZE        one case: prints "pps cpu_s_per_mpkt"
#   bench_matrix                 measure every case into the arrays PPS and CPU
#   ratio A B                    A / B to two decimals, or n/a
#   bench_table REFERENCE [percpu]  the markdown table of PPS and CPU
#
# A script defines bench_setup (fresh namespaces), start_backend KIND (sets
# $BE_PID), start_generator SIZE (sets $GEN_PID) and tx_count (the packets
# the back-end delivered so far in the tx direction).

eal() { # PREFIX LCORES MAIN
	echo "--no-huge -m 512 --no-pci --no-shconf --no-telemetry --file-prefix=$1-$$ -l $2 --main-lcore $3"
}

cpu_ticks() {
	awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null || echo 0
}

stop_pid() {
	kill -INT "$1" 2>/dev/null
	for _ in $(seq 50); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
	kill -9 "$1" 2>/dev/null
	wait "$1" 2>/dev/null
}

fe_rx_total() {
	tr -d '\r' <"$dir/fe.log" | sed -n 's/.*RX-packets: *\([0-9]*\).*/\1/p' | tail -n 1
}

start_frontend() {
	# shellcheck disable=SC2046
	dpdk-testpmd $(eal fe 0,1 1) --vdev "net_virtio_user0,path=$dir/sock,queues=1" -- \
		--forward-mode="$1" --txpkts="$2" --total-num-mbufs=16384 --auto-start \
		--stats-period=1 >"$dir/fe.log" 2>&1 &
	FE_PID=$!
	PIDS+=("$FE_PID")
}

# packets DIR: what tx_count (tx) or the front-end (rx) counted so far.
packets() {
	if [ "$1" = tx ]; then tx_count; else fe_rx_total; fi
}

# measure KIND DIR SIZE: DUR seconds of one case once it runs: the packets
# delivered and the back-end's CPU time; then everything is stopped.
measure() {
	local kind=$1 d=$2 size=$3 c0 c1 p0 p1 hz
	hz=$(getconf CLK_TCK)
	GEN_PID=
	bench_setup
	start_backend "$kind"
	if [ "$d" = tx ]; then
		start_frontend txonly "$size"
	else
		start_frontend rxonly 64
	fi
	sleep 3
	if [ "$d" = rx ]; then
		start_generator "$size"
		sleep 2
	fi
	c0=$(cpu_ticks "$BE_PID")
	p0=$(packets "$d")
	sleep "$DUR"
	c1=$(cpu_ticks "$BE_PID")
	p1=$(packets "$d")
	[ -n "$GEN_PID" ] && stop_pid "$GEN_PID"
	stop_pid "$FE_PID"
	stop_pid "$BE_PID"
	awk -v p0="${p0:-0}" -v p1="${p1:-0}" -v c0="$c0" -v c1="$c1" -v hz="$hz" -v t="$DUR" \
		'BEGIN { pps = (p1 - p0) / t; cpu = (c1 - c0) / hz;
			 printf "%.0f %.3f\n", pps, (p1 > p0) ? cpu / ((p1 - p0) / 1e6) : 0 }'
}

declare -A PPS CPU
bench_matrix() {
	local d size kind pps cpu
	for d in tx rx; do
		for size in 64 1500; do
			for kind in dpdk vuring; do
				read -r pps cpu < <(measure "$kind" "$d" "$size")
				PPS[$kind-$d-$size]=$pps
				CPU[$kind-$d-$size]=$cpu
				echo "# $kind $d $size B: $pps pps, $cpu CPU s per Mpkt" >&2
			done
		done
	done
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }

# bench_table REFERENCE [percpu]: with percpu, a last column compares packets
# per CPU-second (the inverse of the CPU ratio).
bench_table() {
	local d size k=dpdk v=vuring
	echo "| direction | frame | $1 (pps) | vuring (pps) | vuring/DPDK | DPDK CPU s/Mpkt | vuring CPU s/Mpkt |${2:+ vuring/DPDK per CPU-second |}"
	echo "|---|---|---|---|---|---|---|${2:+---|}"
	for d in tx rx; do
		for size in 64 1500; do
			echo "| $d | $size B | ${PPS[$k-$d-$size]} | ${PPS[$v-$d-$size]} |" \
				"$(ratio "${PPS[$v-$d-$size]}" "${PPS[$k-$d-$size]}") |" \
				"${CPU[$k-$d-$size]} | ${CPU[$v-$d-$size]} |" \
				"${2:+$(ratio "${CPU[$k-$d-$size]}" "${CPU[$v-$d-$size]}") |}"
		done
	done
}
