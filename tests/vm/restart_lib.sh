# SPDX-License-Identifier: GPL-2.0-or-later
# restart_lib.sh - measure how a guest's traffic lives through restarts of what
# is around it (bash; source it after tests/vm/lib.sh).
#
#   rl_vuring_start INI LOG [ARGS...]   vuring in $VM_NS with INI (vm_bg); sets
#                                       RL_VPID; stderr to LOG
#   rl_wait_log LOG REGEX N SECS        wait until LOG has N lines matching REGEX
#   rl_wait_exit PID SECS               wait for PID (a child) to exit; return its
#                                       status, 124 (and SIGKILL it) on timeout
#   rl_guest_ping_start HOST IVAL COUNT guest pings HOST every IVAL s, COUNT times,
#                                       in the background (busybox ping)
#   rl_guest_ping_wait SECS             wait for it; print its output
#   rl_ping_stats IVAL < PING-OUTPUT    "sent S received R lost L gap G gap_s X"
#   rl_capture_start IF                 timestamps (tcpdump -tt) of the guest's
#                                       ICMP echo requests reaching IF in $VM_NS
#   rl_capture_stop                     flush and end the capture
#   rl_first_after T                    print the first captured time after T
#                                       (epoch seconds), empty if none
#   rl_now                              epoch seconds with sub-second digits
#   rl_sanitizer_clean LOG...           true if no ASan/UBSan report in the logs
#   rl_eth_up_script ADDR/LEN           guest script: wait for eth0, bring it up
#                                       with ADDR (after a driver reload)

# rl_now: the current time as the capture prints it.
rl_now() {
	date +%s.%N
}

# rl_vuring_start INI LOG [ARGS...]: a plain command, so the PID is vuring's own
# (the namespace is entered by ip netns exec, which execs).
rl_vuring_start() {
	local ini=$1 log=$2
	shift 2
	ip netns exec "$VM_NS" "$VURING" --config "$ini" "$@" > "$log" 2>&1 < /dev/null &
	RL_VPID=$!
	VM_PIDS+=("$RL_VPID")
}

rl_wait_log() {
	local deadline=$((SECONDS + $4)) n
	while [ "$SECONDS" -lt "$deadline" ]; do
		n=$(grep -Ec -- "$2" "$1" 2>/dev/null)
		[ "${n:-0}" -ge "$3" ] && return 0
		sleep "$VM_POLL_SECS"
	done
	return 1
}

rl_wait_exit() {
	local pid=$1 deadline=$((SECONDS + $2))
	while kill -0 "$pid" 2>/dev/null; do
		if [ "$SECONDS" -ge "$deadline" ]; then
			kill -KILL "$pid" 2>/dev/null
			wait "$pid" 2>/dev/null
			return 124
		fi
		sleep "$VM_POLL_SECS"
	done
	wait "$pid"
}

# rl_guest_ping_start HOST IVAL COUNT
rl_guest_ping_start() {
	vm_cmd 10 "ping -i $2 -c $3 -W 2 $1 > /tmp/rl-ping.log 2>&1 & echo \$! > /tmp/rl-ping.pid" \
		> /dev/null
}

# rl_guest_ping_wait SECS
rl_guest_ping_wait() {
	vm_cmd "$1" 'while kill -0 $(cat /tmp/rl-ping.pid) 2>/dev/null; do sleep 0.5; done
cat /tmp/rl-ping.log'
}

# rl_ping_stats IVAL: read busybox ping's output; the longest run of
# sequence numbers without a reply is the outage as the guest saw it.
rl_ping_stats() {
	awk -v ival="$1" '
		/ packets transmitted/ { sent = $1 }
		/ seq=/ {
			for (i = 1; i <= NF; i++)
				if ($i ~ /^seq=/) { s = substr($i, 5) + 0; got[s] = 1; n++ }
		}
		END {
			gap = 0; run = 0
			for (s = 0; s < sent; s++) {
				if (s in got) { run = 0; continue }
				run++
				if (run > gap) gap = run
			}
			printf "sent %d received %d lost %d gap %d gap_s %.1f\n",
				sent, n, sent - n, gap, gap * ival
		}'
}

# rl_capture_start IF: tcpdump in the namespace, one line per echo request.
rl_capture_start() {
	RL_CAPTURE="$VM_DIR/capture-$1.txt"
	ip netns exec "$VM_NS" tcpdump -l -U -nn -tt -i "$1" 'icmp[icmptype] = icmp-echo' \
		> "$RL_CAPTURE" 2> "$VM_DIR/capture-$1.err" < /dev/null &
	RL_CAPTURE_PID=$!
	VM_PIDS+=("$RL_CAPTURE_PID")
	# tcpdump says "listening on" once the socket is bound.
	rl_wait_log "$VM_DIR/capture-$1.err" 'listening on' 1 10
}

rl_capture_stop() {
	[ -n "${RL_CAPTURE_PID:-}" ] || return 0
	kill -INT "$RL_CAPTURE_PID" 2>/dev/null
	wait "$RL_CAPTURE_PID" 2>/dev/null
	RL_CAPTURE_PID=
}

# rl_first_after T
rl_first_after() {
	awk -v t="$1" '$1 + 0 > t + 0 { print $1; exit }' "$RL_CAPTURE"
}

rl_eth_up_script() {
	cat <<EOF
i=0; while [ ! -e /sys/class/net/eth0 ] && [ \$i -lt 100 ]; do usleep 100000; i=\$((i + 1)); done
ip link set eth0 up && { ip addr show dev eth0 | grep -q '${1%/*}/' || ip addr add $1 dev eth0; }
EOF
}

rl_sanitizer_clean() {
	! grep -q 'AddressSanitizer\|runtime error\|LeakSanitizer' "$@"
}
