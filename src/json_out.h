/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * json_out.h - a small JSON writer into a growing buffer, for the control
 * socket's answers.
 *
 * Calls mirror the document's shape; commas are placed automatically:
 *
 *	struct json j;
 *	json_init(&j);
 *	json_obj_begin(&j);
 *	json_kv_u64(&j, "packets", n);
 *	json_key(&j, "queues");
 *	json_arr_begin(&j);
 *	...
 *	json_arr_end(&j);
 *	json_obj_end(&j);
 *	text = json_finish(&j, &len);	(NULL if memory ran out or misused)
 *	json_free(&j);
 *
 * Strings are escaped for JSON, and bytes that are not valid UTF-8 are
 * replaced (U+FFFD), so text from anywhere (interface names, paths, a
 * client's request) always yields a valid document.
 */
#ifndef VURING_JSON_OUT_H
#define VURING_JSON_OUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Nesting the writer supports; our documents use four levels. */
#define JSON_MAX_DEPTH 16

struct json {
	char *buf;
	size_t len;
	size_t cap;
	bool failed;			/* out of memory or a shape error */
	bool after_key;			/* a key was written, its value is next */
	unsigned int depth;
	bool has_items[JSON_MAX_DEPTH];	/* this level needs a comma next */
};

void json_init(struct json *j);
void json_free(struct json *j);
const char *json_finish(struct json *j, size_t *len);

void json_obj_begin(struct json *j);
void json_obj_end(struct json *j);
void json_arr_begin(struct json *j);
void json_arr_end(struct json *j);
void json_key(struct json *j, const char *key);

void json_str(struct json *j, const char *s);
void json_strn(struct json *j, const char *s, size_t len);
void json_u64(struct json *j, uint64_t v);
void json_i64(struct json *j, int64_t v);
void json_double(struct json *j, double v);
void json_bool(struct json *j, bool v);
void json_null(struct json *j);

/* A key and its value in one call. */
void json_kv_str(struct json *j, const char *key, const char *s);
void json_kv_u64(struct json *j, const char *key, uint64_t v);
void json_kv_i64(struct json *j, const char *key, int64_t v);
void json_kv_double(struct json *j, const char *key, double v);
void json_kv_bool(struct json *j, const char *key, bool v);
void json_kv_hex(struct json *j, const char *key, uint64_t v);

#endif
