/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tap.h - a tiny Test Anything Protocol emitter for the unit tests.
 *
 *   plan(3);
 *   ok(x == 1, "x is one");
 *   is_int(got, want, "parse %s", name);
 *   return done_testing();
 *
 * skip_all("reason") exits 77, which automake reports as SKIP.
 */
#ifndef VURING_TESTS_TAP_H
#define VURING_TESTS_TAP_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int tap_planned = -1;
static int tap_run;
static int tap_failed;

static inline void plan(int n)
{
	tap_planned = n;
	printf("1..%d\n", n);
	fflush(stdout);
}

static inline __attribute__((format(printf, 2, 3))) int ok(int cond, const char *fmt, ...)
{
	va_list ap;

	tap_run++;
	if (!cond)
		tap_failed++;
	printf("%sok %d - ", cond ? "" : "not ", tap_run);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	return cond;
}

#define is_int(got, want, ...)                                               \
	({                                                                   \
		long long _g = (long long)(got), _w = (long long)(want);     \
		int _r = ok(_g == _w, __VA_ARGS__);                          \
		if (!_r)                                                     \
			printf("#   got %lld, want %lld\n", _g, _w);         \
		_r;                                                          \
	})

#define is_str(got, want, ...)                                               \
	({                                                                   \
		const char *_g = (got), *_w = (want);                        \
		int _r = ok(_g && _w && !strcmp(_g, _w), __VA_ARGS__);       \
		if (!_r)                                                     \
			printf("#   got \"%s\", want \"%s\"\n",              \
			       _g ? _g : "(null)", _w ? _w : "(null)");      \
		_r;                                                          \
	})

static inline __attribute__((format(printf, 1, 2))) void diag(const char *fmt, ...)
{
	va_list ap;

	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

static inline __attribute__((noreturn)) void skip_all(const char *reason)
{
	printf("1..0 # SKIP %s\n", reason);
	fflush(stdout);
	exit(77);
}

static inline int done_testing(void)
{
	if (tap_planned < 0)
		printf("1..%d\n", tap_run);
	else if (tap_planned != tap_run)
		printf("# planned %d tests but ran %d\n", tap_planned, tap_run);
	fflush(stdout);
	return (tap_failed || (tap_planned >= 0 && tap_planned != tap_run)) ? 1 : 0;
}

#endif
