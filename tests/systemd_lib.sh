# SPDX-License-Identifier: GPL-2.0-or-later
# systemd_lib.sh - read the shipped unit files the way systemd would, for tests
# on machines where systemd is not PID 1 (bash; source it after tests/tap.sh).
#
#   sd_unit_path NAME              the built (or shipped) contrib/systemd/NAME
#   sd_unit_values UNIT KEY        every value of KEY= in UNIT, one per line
#   sd_expand TEXT INSTANCE        TEXT with %i, %I and %% expanded
#   sd_exec_start UNIT INSTANCE    ExecStart= split into words, one per line,
#                                  specifiers expanded, "-@:+!" prefixes gone
#   sd_environment UNIT INSTANCE   the Environment= assignments, one per line
#   sd_enter_mount_ns              re-run the test in a private mount namespace
#   sd_private_dir PATH UID:GID MODE  a tmpfs on PATH there (RuntimeDirectory=)
#   sd_cleanup                     undo sd_private_dir (call from the EXIT trap)
#   sd_service_uid NAME            uid of user NAME, or an unused uid
#   sd_wait_notify LOG REGEX SECS  wait for a notify_recv.py line
#   sd_identity UNIT               setpriv prefix for User=, UMask=, no caps
#   sd_service_files DIR           DIR reachable by the service user, with the
#                                  daemon in it ($SD_VURING) and DIR/notify
#
# Only the unit syntax our units use is understood: no quoting, no line
# continuations; anything else makes these functions fail loudly.

# sd_unit_path NAME: generated units live in the build tree, static ones in
# the source tree.
sd_unit_path() {
	local f
	for f in "${top_builddir:-.}/contrib/systemd/$1" "${top_srcdir:-.}/contrib/systemd/$1"; do
		[ -f "$f" ] && { echo "$f"; return 0; }
	done
	return 1
}

# sd_unit_values UNIT KEY: the values of KEY (any section), in file order.
sd_unit_values() {
	awk -v key="$2" '
		/^[ \t]*[#;]/ { next }
		/\\$/ { print "unsupported line continuation: " $0 > "/dev/stderr"; bad = 1 }
		{ i = index($0, "=") }
		i > 0 && substr($0, 1, i - 1) == key { print substr($0, i + 1) }
		END { exit bad }' "$1"
}

# sd_expand TEXT INSTANCE: %i is the instance as written in the unit name,
# %I the same unescaped (systemd-escape --unescape).
sd_expand() {
	local text=$1 inst=$2 raw out='' c
	raw=$(systemd-escape --unescape -- "$inst" 2>/dev/null) || raw=$inst
	while [ -n "$text" ]; do
		c=${text:0:1}
		text=${text:1}
		if [ "$c" != % ]; then
			out+=$c
			continue
		fi
		c=${text:0:1}
		text=${text:1}
		case "$c" in
		i) out+=$inst ;;
		I) out+=$raw ;;
		%) out+=% ;;
		*) echo "sd_expand: unsupported specifier %$c" >&2; return 1 ;;
		esac
	done
	printf '%s\n' "$out"
}

# sd_exec_start UNIT INSTANCE: the single ExecStart= command, one word a line.
sd_exec_start() {
	local line word
	local -a words
	line=$(sd_unit_values "$1" ExecStart) || return 1
	[ "$(printf '%s\n' "$line" | grep -c .)" = 1 ] || {
		echo "sd_exec_start: $1 must have exactly one ExecStart=" >&2
		return 1
	}
	case "$line" in
	*\"* | *\'* | *\\*) echo "sd_exec_start: quoting not supported: $line" >&2; return 1 ;;
	esac
	read -ra words <<< "$line"
	words[0]=${words[0]##[-@:+!]}
	words[0]=${words[0]##[-@:+!]}
	for word in "${words[@]}"; do
		sd_expand "$word" "$2" || return 1
	done
}

# sd_environment UNIT INSTANCE: NAME=VALUE lines from every Environment=.
sd_environment() {
	local line word
	local -a words
	sd_unit_values "$1" Environment | while read -r line; do
		case "$line" in
		*\"* | *\'*) echo "sd_environment: quoting not supported: $line" >&2; exit 1 ;;
		esac
		read -ra words <<< "$line"
		for word in "${words[@]}"; do
			sd_expand "$word" "$2" || exit 1
		done
	done
}

# sd_enter_mount_ns: re-execute the calling test script in a private mount
# namespace (once), so that it can mount scratch file systems over the unit's
# fixed paths (/etc/vuring, /run/vuring) without the host seeing them. Such
# tests run one at a time (a lock): the mount points a test creates on the
# host, and removes at its end, may be in use by another one.
SD_LOCK_SECS=900
sd_enter_mount_ns() {
	[ -n "${SD_IN_MOUNT_NS:-}" ] && return 0
	command -v unshare >/dev/null || skip_all "unshare not installed (util-linux)"
	command -v flock >/dev/null || skip_all "flock not installed (util-linux)"
	unshare --mount --propagation private true 2>/dev/null ||
		skip_all "cannot create a mount namespace"
	export SD_IN_MOUNT_NS=1
	exec flock -w "$SD_LOCK_SECS" "${TMPDIR:-/tmp}/vuring-mount-ns-tests.lock" \
		unshare --mount --propagation private "$BASH" "$0" "$@"
}

SD_MADE_DIRS=()
SD_MOUNTS=()

# sd_private_dir PATH OWNER MODE: a fresh tmpfs on PATH (in this mount
# namespace only), as systemd's RuntimeDirectory= would give it. A missing
# PATH is created, and removed again by sd_cleanup.
sd_private_dir() {
	if [ ! -d "$1" ]; then
		mkdir -p "$1" || return 1
		SD_MADE_DIRS+=("$1")
	fi
	mount -t tmpfs -o "mode=$3,uid=${2%%:*},gid=${2##*:},size=16m" tmpfs "$1" || return 1
	SD_MOUNTS+=("$1")
}

# sd_cleanup: unmount what sd_private_dir mounted, remove what it created.
sd_cleanup() {
	local d
	for d in "${SD_MOUNTS[@]}"; do
		umount -l "$d" 2>/dev/null
	done
	for d in "${SD_MADE_DIRS[@]}"; do
		rmdir "$d" 2>/dev/null
	done
	SD_MOUNTS=()
	SD_MADE_DIRS=()
}

# sd_service_uid NAME: the uid of user NAME if it exists, else a uid no user has.
sd_service_uid() {
	local uid
	if uid=$(id -u "$1" 2>/dev/null); then
		echo "$uid"
		return 0
	fi
	for uid in $(seq 61000 61999); do
		getent passwd "$uid" >/dev/null || getent group "$uid" >/dev/null || {
			echo "$uid"
			return 0
		}
	done
	return 1
}

# sd_wait_notify LOG PATTERN TIMEOUT: wait until a line of the notify_recv.py
# LOG matches the extended regex PATTERN ("PID KEY=VALUE"); print it.
sd_wait_notify() {
	local deadline=$((SECONDS + $3)) line
	while [ "$SECONDS" -le "$deadline" ]; do
		line=$(grep -E -m1 -- "$2" "$1" 2>/dev/null) && { echo "$line"; return 0; }
		sleep 0.2
	done
	return 1
}

# sd_identity UNIT: what systemd does with the unit's User=, Group=, UMask=,
# NoNewPrivileges= and empty CapabilityBoundingSet=, as a command prefix in
# the array SD_IDENTITY (setpriv ... sh -c 'umask ...; exec "$@"' vuring).
# The user's supplementary groups come from the shipped sysusers.d entry
# ("m USER GROUP" lines, for groups this machine has), as initgroups() would
# give them. Sets SD_UID and SD_GID (an unused uid when the user is missing).
sd_identity() {
	local user group umask_val groups='' g gid
	user=$(sd_unit_values "$1" User | tail -n1)
	group=$(sd_unit_values "$1" Group | tail -n1)
	umask_val=$(sd_unit_values "$1" UMask | tail -n1)
	SD_UID=$(sd_service_uid "$user") || return 1
	SD_GID=$(getent group "${group:-$user}" | cut -d: -f3)
	[ -n "$SD_GID" ] || SD_GID=$SD_UID
	for g in $(awk -v u="$user" '$1 == "m" && $2 == u { print $3 }' \
		"${top_srcdir:-.}/contrib/systemd/sysusers.d/vuring.conf"); do
		gid=$(getent group "$g" | cut -d: -f3) && groups+=${groups:+,}$gid
	done
	SD_IDENTITY=(setpriv --reuid="$SD_UID" --regid="$SD_GID")
	if [ -n "$groups" ]; then
		SD_IDENTITY+=(--groups="$groups")
	else
		SD_IDENTITY+=(--clear-groups)
	fi
	SD_IDENTITY+=(--no-new-privs --inh-caps=-all --bounding-set=-all
		sh -c "umask ${umask_val:-0022}; exec \"\$@\"" vuring)
}

# sd_service_files DIR: let the service user reach DIR (mode 0711), make
# DIR/notify (0755) for the notify socket, and copy the daemon ($VURING) to
# DIR/bin, setting SD_VURING: the build tree may sit where only root can
# enter (a fresh clone in a mktemp -d directory is mode 0700).
sd_service_files() {
	chmod 0711 "$1" && mkdir -m 0755 "$1/notify" "$1/bin" &&
		install -m 0755 "$VURING" "$1/bin/vuring" || return 1
	SD_VURING=$1/bin/vuring
}
