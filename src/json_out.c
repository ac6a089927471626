// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * json_out.c - a small JSON writer (see json_out.h).
 */
#include "config.h"

#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_out.h"

/* First allocation; answers are a few KiB, so growth is rare. */
#define JSON_INITIAL_CAP 4096

void json_init(struct json *j)
{
	memset(j, 0, sizeof(*j));
}

void json_free(struct json *j)
{
	free(j->buf);
	memset(j, 0, sizeof(*j));
}

/**
 * json_reserve() - make room for @more bytes plus the terminating NUL
 * Return: true if there is room.
 */
static bool json_reserve(struct json *j, size_t more)
{
	size_t want, cap;
	char *p;

	if (j->failed)
		return false;
	if (more > SIZE_MAX / 2 - j->len - 1)
		goto fail;
	want = j->len + more + 1;
	if (want <= j->cap)
		return true;
	cap = j->cap ? j->cap : JSON_INITIAL_CAP;
	while (cap < want)
		cap *= 2;
	p = realloc(j->buf, cap);
	if (!p)
		goto fail;
	j->buf = p;
	j->cap = cap;
	return true;
fail:
	j->failed = true;
	return false;
}

static void json_put(struct json *j, const char *s, size_t n)
{
	if (!json_reserve(j, n))
		return;
	memcpy(j->buf + j->len, s, n);
	j->len += n;
	j->buf[j->len] = '\0';
}

static void json_putc(struct json *j, char c)
{
	json_put(j, &c, 1);
}

static __attribute__((format(printf, 2, 3))) void json_printf(struct json *j,
							      const char *fmt, ...)
{
	char tmp[64];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(tmp)) {
		j->failed = true;
		return;
	}
	json_put(j, tmp, (size_t)n);
}

/* Before any value or key: the comma that separates it from the previous. */
static void json_sep(struct json *j)
{
	if (j->after_key) {
		j->after_key = false;
		return;
	}
	if (j->has_items[j->depth])
		json_putc(j, ',');
	j->has_items[j->depth] = true;
}

static void json_open(struct json *j, char c)
{
	json_sep(j);
	if (j->depth + 1 >= JSON_MAX_DEPTH) {
		j->failed = true;
		return;
	}
	json_putc(j, c);
	j->depth++;
	j->has_items[j->depth] = false;
}

static void json_close(struct json *j, char c)
{
	if (!j->depth || j->after_key) {
		j->failed = true;
		return;
	}
	j->depth--;
	json_putc(j, c);
}

void json_obj_begin(struct json *j)
{
	json_open(j, '{');
}

void json_obj_end(struct json *j)
{
	json_close(j, '}');
}

void json_arr_begin(struct json *j)
{
	json_open(j, '[');
}

void json_arr_end(struct json *j)
{
	json_close(j, ']');
}

/**
 * utf8_valid_len() - length of the valid UTF-8 sequence at @s
 * @s: first byte, >= 0x80
 * @left: bytes available
 *
 * Overlong forms, surrogates and code points above U+10FFFF are invalid
 * (RFC 3629), so whatever passes is safe to copy into a JSON string.
 *
 * Return: 2 to 4, or 0 if @s does not start a valid sequence.
 */
static size_t utf8_valid_len(const unsigned char *s, size_t left)
{
	unsigned char lo = 0x80, hi = 0xbf;
	size_t n;

	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4;
	else
		return 0;
	if (s[0] == 0xe0)
		lo = 0xa0;
	else if (s[0] == 0xed)
		hi = 0x9f;
	else if (s[0] == 0xf0)
		lo = 0x90;
	else if (s[0] == 0xf4)
		hi = 0x8f;
	if (left < n || s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < n; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	return n;
}

/**
 * json_strn() - a string value of @len bytes (NULs included, escaped)
 */
void json_strn(struct json *j, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;

	json_sep(j);
	json_putc(j, '"');
	while (i < len && !j->failed) {
		unsigned char c = p[i];
		size_t n;

		if (c == '"' || c == '\\') {
			json_putc(j, '\\');
			json_putc(j, (char)c);
		} else if (c < 0x20 || c == 0x7f) {
			json_printf(j, "\\u%04x", c);
		} else if (c < 0x80) {
			json_putc(j, (char)c);
		} else if ((n = utf8_valid_len(p + i, len - i))) {
			json_put(j, s + i, n);
			i += n;
			continue;
		} else {
			json_put(j, "\\ufffd", 6);
		}
		i++;
	}
	json_putc(j, '"');
}

void json_str(struct json *j, const char *s)
{
	if (!s) {
		json_null(j);
		return;
	}
	json_strn(j, s, strlen(s));
}

void json_key(struct json *j, const char *key)
{
	if (j->after_key || !j->depth) {
		j->failed = true;
		return;
	}
	json_str(j, key);
	json_putc(j, ':');
	j->after_key = true;
}

void json_u64(struct json *j, uint64_t v)
{
	json_sep(j);
	json_printf(j, "%" PRIu64, v);
}

void json_i64(struct json *j, int64_t v)
{
	json_sep(j);
	json_printf(j, "%" PRId64, v);
}

/* JSON has no NaN or infinity: those become null. Two decimals suffice for
 * averages and rates. */
void json_double(struct json *j, double v)
{
	if (!isfinite(v)) {
		json_null(j);
		return;
	}
	json_sep(j);
	json_printf(j, "%.2f", v);
}

void json_bool(struct json *j, bool v)
{
	json_sep(j);
	json_put(j, v ? "true" : "false", v ? 4 : 5);
}

void json_null(struct json *j)
{
	json_sep(j);
	json_put(j, "null", 4);
}

void json_kv_str(struct json *j, const char *key, const char *s)
{
	json_key(j, key);
	json_str(j, s);
}

void json_kv_u64(struct json *j, const char *key, uint64_t v)
{
	json_key(j, key);
	json_u64(j, v);
}

void json_kv_i64(struct json *j, const char *key, int64_t v)
{
	json_key(j, key);
	json_i64(j, v);
}

void json_kv_double(struct json *j, const char *key, double v)
{
	json_key(j, key);
	json_double(j, v);
}

void json_kv_bool(struct json *j, const char *key, bool v)
{
	json_key(j, key);
	json_bool(j, v);
}

/* Addresses and feature masks read best in hex: a string, since JSON
 * numbers lose precision above 2^53 in most readers. */
void json_kv_hex(struct json *j, const char *key, uint64_t v)
{
	char tmp[24];

	snprintf(tmp, sizeof(tmp), "0x%" PRIx64, v);
	json_kv_str(j, key, tmp);
}

/**
 * json_finish() - the finished document
 * @j: writer
 * @len: its length (optional)
 *
 * Return: the NUL-terminated text (owned by @j), or NULL if memory ran out
 * or the calls did not describe one complete value.
 */
const char *json_finish(struct json *j, size_t *len)
{
	if (j->failed || j->depth || j->after_key || !j->len)
		return NULL;
	if (len)
		*len = j->len;
	return j->buf;
}
