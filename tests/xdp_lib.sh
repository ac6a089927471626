# SPDX-License-Identifier: GPL-2.0-or-later
# xdp_lib.sh - a veth pair between two network namespaces for vuring's AF_XDP
# back-end, and vuring on one end of it. Sourced after tap.sh.
#
#   xdp_veth QUEUES         (re)create both namespaces and the pair: vuring's
#                           end $XDP_IF in $XDP_NS, the peer $XDP_PEER_IF in
#                           $XDP_PEER_NS, QUEUES rx and tx queues each, up, no
#                           IPv6 (its chatter would be counted as frames)
#   xdp_need_support DIR    skip the test unless the kernel lets us attach an
#                           XDP program and create AF_XDP sockets
#   xdp_need_build DIR      skip the test unless $VURING has the AF_XDP back-end
#   xdp_start_vuring DIR QUEUES [LINE...]
#                           vuring (type = xdp) on $XDP_IF with QUEUES queue
#                           pairs, LINEs appended to its file (after
#                           [backend]); waits for DIR/sock. Sets XDP_PID,
#                           XDP_LOG.
#   xdp_stop_vuring         SIGTERM, wait; returns vuring's exit status
#   xdp_prog_attached       true if $XDP_IF has an XDP program
#   xdp_stat FIELD, xdp_peer_stat FIELD   /sys/class/net statistics
#   xdp_no_sanitizer_report true unless vuring's log has one
#   xdp_cleanup             kill vuring, delete the namespaces

XDP_NS=vuring-xdp-$$
XDP_PEER_NS=vuring-xpeer-$$
XDP_IF=xv0
XDP_PEER_IF=xp0
XDP_PID=
XDP_LOG=
# libxdp's AF_XDP program (where libxdp1 installs it), attached by hand to
# probe for XDP support and to play a program someone else attached.
XDP_PROBE_OBJ=${XDP_PROBE_OBJ:-$(ls ${LIBXDP_OBJECT_PATH:+"$LIBXDP_OBJECT_PATH"/xsk_def_xdp_prog.o} \
	/usr/lib/*/bpf/xsk_def_xdp_prog.o /usr/lib/bpf/xsk_def_xdp_prog.o \
	/usr/local/lib/bpf/xsk_def_xdp_prog.o 2>/dev/null | head -n 1)}

xdp_veth() {
	local q=$1 ns
	ip netns del "$XDP_NS" 2>/dev/null
	ip netns del "$XDP_PEER_NS" 2>/dev/null
	ip netns add "$XDP_NS" && ip netns add "$XDP_PEER_NS" || return 1
	ip link add "$XDP_IF" netns "$XDP_NS" numtxqueues "$q" numrxqueues "$q" type veth \
		peer name "$XDP_PEER_IF" netns "$XDP_PEER_NS" numtxqueues "$q" numrxqueues "$q" ||
		return 1
	for ns in "$XDP_NS" "$XDP_PEER_NS"; do
		ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
		ip netns exec "$ns" sysctl -qw net.ipv6.conf.default.disable_ipv6=1
		ip -n "$ns" link set lo up
	done
	ip netns exec "$XDP_NS" sysctl -qw "net.ipv6.conf.$XDP_IF.disable_ipv6=1"
	ip netns exec "$XDP_PEER_NS" sysctl -qw "net.ipv6.conf.$XDP_PEER_IF.disable_ipv6=1"
	ip -n "$XDP_NS" link set "$XDP_IF" up && ip -n "$XDP_PEER_NS" link set "$XDP_PEER_IF" up &&
		xdp_peer_xps "$q"
}

# xdp_peer_xps QUEUES: the peer sends from CPU i on its TX queue i (XPS), and
# veth delivers on vuring's receive queue of the same number: a sender pinned
# to a CPU feeds one queue pair.
xdp_peer_xps() {
	local i n
	n=$(nproc)
	[ "$1" -gt 1 ] || return 0
	for ((i = 0; i < $1; i++)); do
		ip netns exec "$XDP_PEER_NS" sh -c \
			"printf '%x' $((1 << (i % n))) >/sys/class/net/$XDP_PEER_IF/queues/tx-$i/xps_cpus" ||
			return 1
	done
}

xdp_need_support() {
	grep -q '^XDP ' /proc/net/protocols ||
		skip_all "this kernel has no AF_XDP sockets (CONFIG_XDP_SOCKETS)"
	[ -r "$XDP_PROBE_OBJ" ] || skip_all "libxdp's xsk_def_xdp_prog.o is missing (libxdp1)"
	ip -n "$XDP_NS" link set dev "$XDP_IF" xdp obj "$XDP_PROBE_OBJ" sec xdp \
		>"$1/xdp-probe.log" 2>&1 ||
		skip_all "the kernel refuses XDP programs here: $(tail -n 1 "$1/xdp-probe.log")"
	ip -n "$XDP_NS" link set dev "$XDP_IF" xdp off
}

xdp_need_build() {
	printf '[backend]\ntype = xdp\ninterface = lo\n' >"$1/xdp-build.ini"
	"$VURING" --check-config "$1/xdp-build.ini" >/dev/null 2>"$1/xdp-build.log" ||
		skip_all "vuring was built without AF_XDP: $(tail -n 1 "$1/xdp-build.log")"
}

xdp_start_vuring() {
	local dir=$1 q=$2 line
	shift 2
	{
		printf '[vhost-user]\npath = %s\n[backend]\ntype = xdp\ninterface = %s\nqueue-pairs = %s\n' \
			"$dir/sock" "$XDP_IF" "$q"
		for line in "$@"; do echo "$line"; done
	} >"$dir/vuring.ini"
	rm -f "$dir/sock"
	XDP_LOG=$dir/vuring-$q-$RANDOM.log
	ip netns exec "$XDP_NS" "$VURING" --config "$dir/vuring.ini" -v >"$XDP_LOG" 2>&1 &
	XDP_PID=$!
	for _ in $(seq 50); do
		[ -S "$dir/sock" ] && return 0
		kill -0 "$XDP_PID" 2>/dev/null || break
		sleep 0.1
	done
	sed 's/^/# vuring: /' "$XDP_LOG"
	return 1
}

xdp_stop_vuring() {
	local rc
	kill -TERM "$XDP_PID" 2>/dev/null
	wait "$XDP_PID"
	rc=$?
	XDP_PID=
	return $rc
}

xdp_prog_attached() {
	# stderr: ip cannot name the peer's namespace from this one, and says so
	ip -n "$XDP_NS" link show dev "$XDP_IF" 2>/dev/null | grep -q 'prog/xdp'
}

xdp_stat() {
	ip netns exec "$XDP_NS" cat "/sys/class/net/$XDP_IF/statistics/$1"
}

xdp_peer_stat() {
	ip netns exec "$XDP_PEER_NS" cat "/sys/class/net/$XDP_PEER_IF/statistics/$1"
}

xdp_no_sanitizer_report() {
	if grep -q 'ERROR: AddressSanitizer\|runtime error\|LeakSanitizer' "$XDP_LOG"; then
		sed 's/^/# /' "$XDP_LOG"
		return 1
	fi
	return 0
}

xdp_cleanup() {
	[ -n "$XDP_PID" ] && kill -9 "$XDP_PID" 2>/dev/null
	ip netns del "$XDP_NS" 2>/dev/null
	ip netns del "$XDP_PEER_NS" 2>/dev/null
}
