#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# cli.sh - the command line: --print-capabilities, --help, --version, bad
# options, --check-config on good and bad files, command-line precedence over
# the file, and that vuring(8) documents every option.
set -u
: "${top_srcdir:?}" "${VURING:?}"
. "$top_srcdir/tests/tap.sh"

command -v python3 >/dev/null || skip_all "python3 not installed"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
confdir=$top_srcdir/tests/conf

# run ARGS...: run vuring (bounded), leaving $rc, $out (stdout), $err (stderr).
run() {
	timeout 10 "$VURING" "$@" >"$work/out" 2>"$work/err"
	rc=$?
	out=$(cat "$work/out")
	err=$(cat "$work/err")
}

# ini_get FILE SECTION KEY: a value from an INI file vuring printed.
ini_get() {
	python3 - "$@" <<'EOF'
import configparser, sys
p = configparser.ConfigParser(interpolation=None, comment_prefixes=('#', ';'))
p.read(sys.argv[1])
print(p[sys.argv[2]][sys.argv[3]])
EOF
}

# ---------------------------------------------------------------- capabilities
run --print-capabilities
ok $rc "--print-capabilities exits 0"
printf '{"type": "net"}\n' | cmp -s - "$work/out"
ok $? "--print-capabilities prints exactly {\"type\": \"net\"} and a newline"
python3 -c 'import json,sys; assert json.load(sys.stdin)=={"type":"net"}' <"$work/out"
ok $? "--print-capabilities output parses as JSON {\"type\": \"net\"}"
[ -z "$err" ]
ok $? "--print-capabilities prints nothing on stderr"
run --print-capabilities --config "$work/does-not-exist.ini"
[ $rc -eq 0 ] && [ "$out" = '{"type": "net"}' ]
ok $? "--print-capabilities does not read the configuration"

# ---------------------------------------------------------------- help, version
run --help
[ $rc -eq 0 ] && [[ $out == "Usage: vuring "* ]] && [ -z "$err" ]
ok $? "--help prints the usage on stdout and exits 0"
run -h
[ $rc -eq 0 ] && [[ $out == "Usage: vuring "* ]]
ok $? "-h is --help"
run --version
[ $rc -eq 0 ] && [[ $out =~ ^vuring\ [0-9]+\.[0-9]+\.[0-9]+$ ]]
ok $? "--version prints 'vuring X.Y.Z' and exits 0 (got '$out')"

# ---------------------------------------------------------------- bad command lines
run --no-such-option
[ $rc -eq 1 ] && [ -z "$out" ] && [[ $err == *"Usage: vuring"* ]]
ok $? "an unknown option exits 1 with the usage on stderr"
run stray-argument
[ $rc -eq 1 ] && [[ $err == "vuring: unexpected argument 'stray-argument'" ]]
ok $? "a stray argument exits 1 naming it"
run --fd twelve
[ $rc -eq 1 ] && [[ $err == "vuring: --fd: not a file descriptor: twelve" ]]
ok $? "--fd with a non-number exits 1"
run --log-level loud
[ $rc -eq 1 ] && [[ $err == *"expected error, warn, info or debug, got 'loud'"* ]]
ok $? "--log-level with an unknown level exits 1 naming the levels"
run --socket-path
[ $rc -eq 1 ]
ok $? "--socket-path without its argument exits 1"

# ---------------------------------------------------------------- --check-config
run --check-config "$top_srcdir/contrib/vuring.ini"
[ $rc -eq 0 ] && [[ $err == "vuring: $top_srcdir/contrib/vuring.ini: configuration OK" ]]
ok $? "--check-config contrib/vuring.ini exits 0 and says OK"
printf '%s\n' "$out" >"$work/printed.ini"
[ "$(ini_get "$work/printed.ini" vhost-user path)" = /run/vuring/vm1.sock ] &&
	[ "$(ini_get "$work/printed.ini" backend interface)" = vuring0 ]
ok $? "--check-config prints the settings as INI another parser reads"

# One error each: the three cases of issue 2's "done means".
for case in unknown-key range section; do
	f=$confdir/bad-$case.ini
	run --check-config "$f"
	lines=$(printf '%s\n' "$err" | wc -l)
	[ $rc -eq 1 ] && [ -z "$out" ] && [ "$lines" -eq 1 ] &&
		[[ $err =~ ^vuring:\ $f:[0-9]+:\ \[ ]]
	ok $? "--check-config bad-$case.ini: exit 1, one error naming file:line"
	diag "$err"
done
run --check-config "$confdir/bad-range.ini"
[ "$err" = "vuring: $confdir/bad-range.ini:4: [backend] queue-pairs = 100: out of range (1..64)" ]
ok $? "an out-of-range value names the file, line, key, value and range"
run --check-config "$confdir/bad-done-means.ini"
[ $rc -eq 1 ] && [ "$(printf '%s\n' "$err" | grep -c "^vuring: $confdir/bad-done-means.ini:[0-9]*: ")" -eq 3 ]
ok $? "all errors of a file are reported, one line each"
run --check-config "$work/does-not-exist.ini"
[ $rc -eq 1 ] && [ "$err" = "vuring: $work/does-not-exist.ini: cannot read: No such file or directory" ]
ok $? "a missing file exits 1 naming the file and the reason"
run --check-config "$confdir/bad-cross.ini"
[ $rc -eq 1 ] && [ "$(printf '%s\n' "$err" | wc -l)" -eq 7 ]
ok $? "contradicting keys are reported, one line each"

# ---------------------------------------------------------------- precedence
cat >"$work/vm.ini" <<'EOF'
[vhost-user]
path = /run/from-file.sock
[backend]
interface = filetap
queue-pairs = 3
[log]
level = warn
EOF
run --check-config "$work/vm.ini" --socket-path "$work/cli.sock" --tap clitap --log-level debug
printf '%s\n' "$out" >"$work/p.ini"
[ $rc -eq 0 ] && [ "$(ini_get "$work/p.ini" vhost-user path)" = "$work/cli.sock" ]
ok $? "--socket-path overrides [vhost-user] path"
[ "$(ini_get "$work/p.ini" backend interface)" = clitap ]
ok $? "--tap overrides [backend] interface"
[ "$(ini_get "$work/p.ini" log level)" = debug ]
ok $? "--log-level overrides [log] level"
[ "$(ini_get "$work/p.ini" backend queue-pairs)" = 3 ]
ok $? "keys the command line does not set keep the file's values"

level_with() {
	run --check-config "$work/vm.ini" "$@"
	printf '%s\n' "$out" >"$work/l.ini"
	ini_get "$work/l.ini" log level
}
[ "$(level_with)" = warn ] && [ "$(level_with -v)" = info ] &&
	[ "$(level_with -v -v)" = debug ] && [ "$(level_with -v -v -v)" = debug ]
ok $? "each -v raises the file's level one step, up to debug"
[ "$(level_with --log-level error -v)" = warn ]
ok $? "-v raises the level --log-level gives"

run --check-config "$work/vm.ini" --tap this-name-is-too-long
[ $rc -eq 1 ] && [[ $err == *"[backend] interface = this-name-is-too-long: too long: 21 characters"* ]]
ok $? "a command-line value is range-checked like the file's"
printf '[vhost-user]\nmode = client\n' >"$work/client.ini"
run --check-config "$work/client.ini"
[ $rc -eq 1 ] && [[ $err == *"mode = client needs a socket"* ]]
ok $? "client mode without a socket path is refused"
run --check-config "$work/client.ini" --socket-path "$work/qemu.sock"
[ $rc -eq 0 ]
ok $? "... and accepted when --socket-path supplies it"

# ---------------------------------------------------------------- round trip
run --check-config "$confdir/good-spellings.ini"
printf '%s\n' "$out" >"$work/g.ini"
run --check-config "$work/g.ini"
printf '%s\n' "$out" >"$work/h.ini"
[ $rc -eq 0 ] && cmp -s "$work/g.ini" "$work/h.ini" &&
	[ "$(ini_get "$work/h.ini" backend queue-pairs)" = 4 ]
ok $? "--check-config F > G; --check-config G prints G again"

# ---------------------------------------------------------------- the man page
run --help
missing=
for opt in $(printf '%s\n' "$out" | grep -o -- '--[a-z-]*' | sort -u); do
	grep -q "^=item B<$opt>\|^=item B<-[a-z]>, B<$opt>" "$top_srcdir/doc/vuring.8.pod" ||
		missing="$missing $opt"
done
[ -z "$missing" ]
ok $? "vuring(8) documents every option of --help${missing:+ (missing:$missing)}"
extra=
for opt in $(grep -o '^=item B<-[a-z-]*>\(, B<--[a-z-]*>\)\?' "$top_srcdir/doc/vuring.8.pod" |
		grep -o -- '--[a-z-]*'); do
	[[ $out == *"$opt"* ]] || extra="$extra $opt"
done
[ -z "$extra" ]
ok $? "vuring(8) documents no option vuring lacks${extra:+ (extra:$extra)}"
if command -v podchecker >/dev/null; then
	podchecker "$top_srcdir/doc/vuring.8.pod" "$top_srcdir/doc/vuring.ini.5.pod" >/dev/null 2>&1
	ok $? "the POD sources of both man pages are well-formed"
fi

done_testing
