// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test_json_out.c - the control socket's JSON writer: exact output for
 * nested shapes, escaping of quotes, backslashes and control characters,
 * valid UTF-8 passed through and invalid bytes replaced, numbers, and
 * misuse reported instead of producing a broken document.
 */
#include "config.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

#include "json_out.h"
#include "tap.h"

/* Build with @fn, compare the finished text with @want (NULL: must fail). */
static void expect(void (*fn)(struct json *), const char *want, const char *desc)
{
	struct json j;
	const char *got;

	json_init(&j);
	fn(&j);
	got = json_finish(&j, NULL);
	if (want)
		is_str(got, want, "%s", desc);
	else
		ok(got == NULL, "%s", desc);
	json_free(&j);
}

static void build_nested(struct json *j)
{
	json_obj_begin(j);
	json_kv_bool(j, "ok", true);
	json_key(j, "queues");
	json_arr_begin(j);
	json_obj_begin(j);
	json_kv_u64(j, "packets", UINT64_MAX);
	json_kv_i64(j, "res", -11);
	json_kv_double(j, "avg", 2.5);
	json_obj_end(j);
	json_obj_begin(j);
	json_obj_end(j);
	json_arr_end(j);
	json_key(j, "none");
	json_null(j);
	json_kv_hex(j, "mask", 0x1234abcdULL);
	json_key(j, "empty");
	json_arr_begin(j);
	json_arr_end(j);
	json_obj_end(j);
}

static void build_escapes(struct json *j)
{
	json_arr_begin(j);
	json_str(j, "a\"b\\c/d");
	json_str(j, "\n\t\x01\x1f\x7f");
	json_str(j, NULL);
	json_arr_end(j);
}

static void build_utf8(struct json *j)
{
	json_arr_begin(j);
	json_str(j, "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80");	/* é € 😀 pass through */
	json_str(j, "\xff\xc3\x28");			/* invalid byte, bad continuation */
	json_str(j, "\xc0\xaf\xed\xa0\x80\xf4\x90\x80\x80");	/* overlong, surrogate, > U+10FFFF */
	json_str(j, "\xe2\x82");			/* truncated sequence */
	json_arr_end(j);
}

static void build_nul(struct json *j)
{
	json_strn(j, "a\0b", 3);
}

static void build_nonfinite(struct json *j)
{
	json_arr_begin(j);
	json_double(j, NAN);
	json_double(j, INFINITY);
	json_arr_end(j);
}

static void build_unclosed(struct json *j)
{
	json_obj_begin(j);
	json_kv_u64(j, "x", 1);
}

static void build_dangling_key(struct json *j)
{
	json_obj_begin(j);
	json_key(j, "x");
	json_obj_end(j);
}

static void build_too_deep(struct json *j)
{
	for (int i = 0; i < JSON_MAX_DEPTH + 1; i++)
		json_arr_begin(j);
	for (int i = 0; i < JSON_MAX_DEPTH + 1; i++)
		json_arr_end(j);
}

static void build_big(struct json *j)
{
	json_arr_begin(j);
	for (int i = 0; i < 100000; i++)
		json_u64(j, 7);
	json_arr_end(j);
}

int main(void)
{
	struct json j;
	size_t len = 0;

	plan(12);
	expect(build_nested,
	       "{\"ok\":true,\"queues\":[{\"packets\":18446744073709551615,\"res\":-11,"
	       "\"avg\":2.50},{}],\"none\":null,\"mask\":\"0x1234abcd\",\"empty\":[]}",
	       "nested objects and arrays, commas, numbers, null, hex");
	expect(build_escapes, "[\"a\\\"b\\\\c/d\",\"\\u000a\\u0009\\u0001\\u001f\\u007f\",null]",
	       "quotes, backslashes and control characters escaped; NULL string is null");
	expect(build_utf8,
	       "[\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\",\"\\ufffd\\ufffd(\","
	       "\"\\ufffd\\ufffd\\ufffd\\ufffd\\ufffd\\ufffd\\ufffd\\ufffd\\ufffd\","
	       "\"\\ufffd\\ufffd\"]",
	       "valid UTF-8 passes, every invalid byte becomes U+FFFD");
	expect(build_nul, "\"a\\u0000b\"", "an embedded NUL is escaped");
	expect(build_nonfinite, "[null,null]", "NaN and infinity become null");
	expect(build_unclosed, NULL, "an unclosed object is no document");
	expect(build_dangling_key, NULL, "a key without a value is no document");
	expect(build_too_deep, NULL, "nesting beyond JSON_MAX_DEPTH is refused");
	json_init(&j);
	build_big(&j);
	ok(json_finish(&j, &len) != NULL, "a 200 KB document grows the buffer");
	is_int(len, 2 * 100000 + 1, "... and is complete");
	json_free(&j);
	json_init(&j);
	ok(json_finish(&j, NULL) == NULL, "an empty writer is no document");
	json_arr_end(&j);
	ok(json_finish(&j, NULL) == NULL, "closing what was never opened fails");
	json_free(&j);
	return done_testing();
}
