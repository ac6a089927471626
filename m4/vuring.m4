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

