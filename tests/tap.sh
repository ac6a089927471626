# SPDX-License-Identifier: GPL-2.0-or-later
# tap.sh - the shell counterpart of tap.h, sourced by the integration tests.
#   ok COND-EXIT-STATUS "description"   (use: test ...; ok $? "desc")
#   skip_all "reason"                   (exits 77)
#   done_testing                        (prints the plan, exits 0/1)
TAP_RUN=0
TAP_FAILED=0

ok() {
	TAP_RUN=$((TAP_RUN + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $TAP_RUN - $2"
	else
		TAP_FAILED=$((TAP_FAILED + 1))
		echo "not ok $TAP_RUN - $2"
	fi
}

diag() { echo "# $*"; }

skip_all() {
	echo "1..0 # SKIP $*"
	exit 77
}

done_testing() {
	echo "1..$TAP_RUN"
	[ "$TAP_FAILED" -eq 0 ]
	exit $?
}

# need_root: skip unless we can create namespaces and TAPs.
need_root() {
	[ "$(id -u)" = 0 ] || skip_all "needs root (network namespaces, TAP devices)"
}
