#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# run-all.sh - install dependencies, build, and run the whole test suite.
#
# What CI runs (through .ci/run) and what a developer runs as root on a fresh
# Debian 12 machine:  sudo bash tests/run-all.sh
#
# Builds:
#   build-gcc    gcc, -Werror, ASan+UBSan: `make check` (unit, integration,
#                VM tests) -- the results that count
#   build-clang  clang, -Werror: must compile warning-free
#   build-fuzz   clang libFuzzer targets: `make fuzz-smoke`
# and `make distcheck` for the release tarball.
# Ends with "N passed, N failed[, N skipped]" from the automake test logs.
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
jobs=$(nproc)
status=0

step() { printf '\n=== %s (at %ss)\n' "$*" "$SECONDS"; }

step "installing dependencies"
if [ "$(id -u)" = 0 ]; then
	sh contrib/install-deps.sh --test || exit 1
else
	echo "not root: assuming dependencies are installed"
fi

step "autoreconf"
autoreconf -fi || exit 1

step "gcc build (werror, sanitizers)"
mkdir -p build-gcc
(cd build-gcc && ../configure --enable-werror --enable-sanitizers && make -j"$jobs") || exit 1

step "clang build (werror)"
mkdir -p build-clang
(cd build-clang && CC=clang ../configure --enable-werror && make -j"$jobs") || status=1

step "test suite (gcc build, ASan+UBSan)"
(cd build-gcc && make -j1 check) || status=1
for f in build-gcc/tests/*.log build-gcc/tests/*/*.log; do
	[ -f "$f" ] || continue
	case "$f" in *test-suite.log) continue ;; esac
	if grep -q '^not ok\|^ERROR' "$f" 2>/dev/null; then
		echo "--- $f"
		tail -n 60 "$f"
	fi
done
# The hostile-input suites' machine-readable results, one JSON line each.
grep -h '^# SUMMARY ' build-gcc/tests/*.log 2>/dev/null | sed 's/^# //'

step "fuzz smoke (clang, libFuzzer)"
mkdir -p build-fuzz
(cd build-fuzz && CC=clang ../configure --enable-fuzz >/dev/null &&
	make -j"$jobs" fuzz-smoke) >build-fuzz.log 2>&1 || {
	tail -n 80 build-fuzz.log
	status=1
}
grep -E '^(#[0-9]+ *DONE|Done [0-9]+ runs|INFO: fuzz)' build-fuzz.log | tail -n 10

step "distcheck"
(cd build-clang && VURING_TEST_QUICK=1 make distcheck \
	DISTCHECK_CONFIGURE_FLAGS="--enable-werror") >build-clang/distcheck.out 2>&1 || {
	tail -n 80 build-clang/distcheck.out
	status=1
}

summary=build-gcc/test-suite.log
if [ ! -f "$summary" ]; then
	echo "0 passed, 1 failed"
	exit 1
fi
count() { sed -n "s/^# $1: *//p" "$summary" | head -n 1; }
pass=$(( $(count PASS) + $(count XFAIL) ))
fail=$(( $(count FAIL) + $(count XPASS) + $(count ERROR) ))
skip=$(count SKIP)
[ "$fail" -eq 0 ] || status=1
echo
echo "$pass passed, $fail failed, $skip skipped"
exit $status
