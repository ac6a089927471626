# SPDX-License-Identifier: GPL-2.0-or-later
# vuring.m4 - configure helpers.

# VURING_OPTIONAL(name, help, test-if-wanted, what, debian-packages)
#   Adds --enable-name/--disable-name (default auto). test-if-wanted sets
#   have_name=yes when the dependency is there; an explicit --enable-name
#   without it is an error naming the Debian packages to install.
AC_DEFUN([VURING_OPTIONAL], [
	AC_ARG_ENABLE([$1], [AS_HELP_STRING([--enable-$1], [$2 (default: auto)])],
		[], [enable_$1=auto])
	have_$1=no
	AS_IF([test "x$enable_$1" != xno], [$3])
	AS_IF([test "x$enable_$1" = xyes && test "x$have_$1" = xno],
		[AC_MSG_ERROR([--enable-$1 given but $4 not found: apt-get install $5])])
])


# VURING_SYSTEMD_DIR(name, pc-variable, help, fallback)
#   Adds --with-name=DIR and substitutes name. The default is pc-variable of
#   systemd.pc with its prefixes replaced by ${prefix}, so that an install
#   (and make distcheck) stays under PREFIX; fallback without systemd.pc.
AC_DEFUN([VURING_SYSTEMD_DIR], [
	AC_ARG_WITH([$1], [AS_HELP_STRING([--with-$1=DIR], [$3 (default: systemd's, under PREFIX)])],
		[], [with_$1=auto])
	AS_IF([test "x$with_$1" = xauto || test "x$with_$1" = xyes], [
		with_$1=`$PKG_CONFIG --define-variable=prefix='${prefix}' \
			--define-variable=root_prefix='${prefix}' \
			--define-variable=rootprefix='${prefix}' \
			--variable=$2 systemd 2>/dev/null`
		AS_IF([test -z "$with_$1"], [with_$1='$4'])
	])
	AC_SUBST([$1], [$with_$1])
])
