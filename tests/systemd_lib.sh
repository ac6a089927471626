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
	local text=$1 inst=$2 raw out= c
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
