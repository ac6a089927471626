// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * conf_value.c - the value types of configuration keys: reading text,
 * checking ranges, storing into struct conf, and writing text back.
 *
 * Every message about a bad value has the form "PROBLEM (ALLOWED)", where
 * ALLOWED comes from the key's descriptor, so what the user is told can never
 * drift from what the code accepts.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "conf_key.h"

static const struct {
	const char *word;
	bool value;
} bool_words[] = {
	{ "yes", true }, { "no", false },
	{ "true", true }, { "false", false },
	{ "on", true }, { "off", false },
	{ "1", true }, { "0", false },
};

/* Where the value of @k lives inside @conf. */
static void *field(const struct conf *conf, const struct conf_key *k)
{
	return (char *)conf + k->offset;
}

static size_t enum_count(const struct conf_key *k)
{
	size_t n = 0;

	while (k->names[n])
		n++;
	return n;
}

/**
 * conf_value_allowed() - describe the values @k accepts, for messages and help
 * @k: key
 * @buf: receives e.g. "1..64", "0 or 68..65535", "tap or xdp"
 * @len: size of @buf
 */
void conf_value_allowed(const struct conf_key *k, char *buf, size_t len)
{
	size_t i, n, used = 0;

	switch (k->type) {
	case CONF_UINT:
		snprintf(buf, len, "%s%lu..%lu", k->flags & CONF_ZERO_OK ? "0 or " : "",
			 k->min, k->max);
		break;
	case CONF_POW2:
		snprintf(buf, len, "a power of two in %lu..%lu", k->min, k->max);
		break;
	case CONF_OCTAL:
		snprintf(buf, len, "an octal mode in %04lo..%04lo", k->min, k->max);
		break;
	case CONF_BOOL:
		snprintf(buf, len, "yes/no, true/false, on/off or 1/0");
		break;
	case CONF_ENUM:
		buf[0] = '\0';
		n = enum_count(k);
		for (i = 0; i < n && used < len; i++) {
			const char *sep = i == 0 ? "" : i + 1 == n ? " or " : ", ";

			used += (size_t)snprintf(buf + used, len - used, "%s%s", sep, k->names[i]);
		}
		break;
	case CONF_STR:
		snprintf(buf, len, "%s%lu characters%s, empty for none",
			 k->flags & CONF_IFNAME ? "a name of at most " : "at most ", k->max,
			 k->flags & CONF_IFNAME ? " without blanks, '/' or ':'" : "");
		break;
	}
}

/**
 * reject() - fill @why with "PROBLEM (ALLOWED)" for key @k
 * Return: -EINVAL, for the caller to pass on.
 */
static int reject(const struct conf_key *k, char *why, size_t len, const char *problem)
{
	char allowed[CONF_MSG_MAX / 2];

	conf_value_allowed(k, allowed, sizeof(allowed));
	snprintf(why, len, "%s (%s)", problem, allowed);
	return -EINVAL;
}

/**
 * parse_unsigned() - read a whole string of digits in @base
 * Return: 0, -EINVAL if @text is not only digits, -ERANGE on overflow.
 */
static int parse_unsigned(const char *text, int base, unsigned long *out)
{
	char *end;

	/* strtoul alone would accept blanks, a sign, and "0x". */
	if (!isdigit((unsigned char)text[0]))
		return -EINVAL;
	errno = 0;
	*out = strtoul(text, &end, base);
	if (*end)
		return -EINVAL;
	return errno == ERANGE ? -ERANGE : 0;
}

static int parse_bool(const char *text, bool *out)
{
	for (size_t i = 0; i < sizeof(bool_words) / sizeof(bool_words[0]); i++) {
		if (!strcasecmp(text, bool_words[i].word)) {
			*out = bool_words[i].value;
			return 0;
		}
	}
	return -EINVAL;
}

static int parse_enum(const struct conf_key *k, const char *text, int *out)
{
	for (int i = 0; k->names[i]; i++) {
		if (!strcasecmp(text, k->names[i])) {
			*out = i;
			return 0;
		}
	}
	return -EINVAL;
}

/**
 * ini_unsafe() - why @s cannot be written as "key = @s" and read back unchanged
 *
 * The INI reader strips blanks around values, treats a ';' after a blank as
 * the start of a comment, and reads one line at a time. Values read from a
 * file nearly always pass; this mostly catches command-line values that
 * --check-config could not print faithfully.
 *
 * Return: NULL if @s is safe, else the reason.
 */
static const char *ini_unsafe(const char *s)
{
	size_t n = strlen(s);

	if (isspace((unsigned char)s[0]) || isspace((unsigned char)s[n - 1]))
		return "blanks at either end";
	if (s[0] == ';')
		return "starts with ';', which would read back as a comment";
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 || c == 0x7f)
			return "control character";
		if (c == ';' && isspace((unsigned char)s[i - 1]))
			return "';' after a blank, which would read back as a comment";
	}
	return NULL;
}

/* Linux refuses these names for an interface (dev_valid_name()). */
static bool bad_ifname(const char *s)
{
	return strpbrk(s, "/: \t") || !strcmp(s, ".") || !strcmp(s, "..");
}

static bool is_pow2(unsigned long v)
{
	return v && !(v & (v - 1));
}

/**
 * conf_value_check() - is @v within what @k allows?
 * @k: key
 * @v: value of @k's type
 * @why: receives "PROBLEM (ALLOWED)" on failure
 * @len: size of @why
 *
 * Used on values parsed from a file and, by conf_validate(), on values that
 * came from the command line.
 *
 * Return: 0 or -EINVAL.
 */
int conf_value_check(const struct conf_key *k, const union conf_value *v,
		     char *why, size_t len)
{
	const char *unsafe;
	char problem[64];

	switch (k->type) {
	case CONF_UINT:
		if (v->u == 0 && (k->flags & CONF_ZERO_OK))
			return 0;
		/* fall through */
	case CONF_POW2:
	case CONF_OCTAL:
		if (v->u < k->min || v->u > k->max)
			return reject(k, why, len, "out of range");
		if (k->type == CONF_POW2 && !is_pow2(v->u))
			return reject(k, why, len, "not a power of two");
		return 0;
	case CONF_BOOL:
		return 0;
	case CONF_ENUM:
		if (v->e < 0 || (size_t)v->e >= enum_count(k))
			return reject(k, why, len, "unknown value");
		return 0;
	case CONF_STR:
		if (!v->s)
			return 0;
		if (!v->s[0])	/* only the command line can give "" */
			return reject(k, why, len, "empty");
		if (strlen(v->s) > k->max) {
			snprintf(problem, sizeof(problem), "too long: %zu characters", strlen(v->s));
			return reject(k, why, len, problem);
		}
		unsafe = ini_unsafe(v->s);
		if (unsafe)
			return reject(k, why, len, unsafe);
		if ((k->flags & CONF_IFNAME) && bad_ifname(v->s))
			return reject(k, why, len, "not an interface name");
		return 0;
	}
	return -EINVAL;
}

/**
 * conf_value_parse() - read the text of key @k from a file
 * @k: key
 * @text: the value as the INI reader delivered it (blanks stripped)
 * @v: receives the value; for CONF_STR it points into @text
 * @why: receives "PROBLEM (ALLOWED)" on failure
 * @len: size of @why
 *
 * Return: 0 or -EINVAL.
 */
int conf_value_parse(const struct conf_key *k, const char *text,
		     union conf_value *v, char *why, size_t len)
{
	int r = 0;

	if (!text[0] && k->type != CONF_STR)
		return reject(k, why, len, "missing value");
	switch (k->type) {
	case CONF_UINT:
	case CONF_POW2:
		r = parse_unsigned(text, 10, &v->u);
		if (r == -EINVAL)
			return reject(k, why, len, "not a number");
		break;
	case CONF_OCTAL:
		r = parse_unsigned(text, 8, &v->u);
		if (r == -EINVAL)
			return reject(k, why, len, "not an octal number");
		break;
	case CONF_BOOL:
		if (parse_bool(text, &v->b) < 0)
			return reject(k, why, len, "not a boolean");
		break;
	case CONF_ENUM:
		if (parse_enum(k, text, &v->e) < 0)
			return reject(k, why, len, "unknown value");
		break;
	case CONF_STR:
		v->s = text[0] ? text : NULL;
		break;
	}
	if (r == -ERANGE)
		return reject(k, why, len, "out of range");
	return conf_value_check(k, v, why, len);
}

/**
 * conf_value_get() - read the current value of @k out of @conf
 */
void conf_value_get(const struct conf *conf, const struct conf_key *k,
		    union conf_value *v)
{
	void *p = field(conf, k);

	switch (k->type) {
	case CONF_UINT:
	case CONF_POW2:
	case CONF_OCTAL:
		v->u = *(unsigned int *)p;
		break;
	case CONF_BOOL:
		v->b = *(bool *)p;
		break;
	case CONF_ENUM:
		v->e = *(int *)p;
		break;
	case CONF_STR:
		v->s = *(char **)p;
		break;
	}
}

/**
 * conf_value_set() - store @v as the value of @k in @conf
 *
 * @v must have passed conf_value_check(), so numbers fit an unsigned int.
 * A string is copied; the old one is freed.
 *
 * Return: 0 or -ENOMEM.
 */
int conf_value_set(struct conf *conf, const struct conf_key *k,
		   const union conf_value *v)
{
	void *p = field(conf, k);
	char *copy = NULL;

	switch (k->type) {
	case CONF_UINT:
	case CONF_POW2:
	case CONF_OCTAL:
		*(unsigned int *)p = (unsigned int)v->u;
		break;
	case CONF_BOOL:
		*(bool *)p = v->b;
		break;
	case CONF_ENUM:
		*(int *)p = v->e;
		break;
	case CONF_STR:
		if (v->s) {
			copy = strdup(v->s);
			if (!copy)
				return -ENOMEM;
		}
		free(*(char **)p);
		*(char **)p = copy;
		break;
	}
	return 0;
}

/**
 * conf_value_format() - write @v as it would appear in a file
 * @k: key
 * @v: value of @k's type
 * @buf: receives the text ("" for an unset string)
 * @len: size of @buf
 */
void conf_value_format(const struct conf_key *k, const union conf_value *v,
		       char *buf, size_t len)
{
	switch (k->type) {
	case CONF_UINT:
	case CONF_POW2:
		snprintf(buf, len, "%lu", v->u);
		break;
	case CONF_OCTAL:
		snprintf(buf, len, "%04lo", v->u);
		break;
	case CONF_BOOL:
		snprintf(buf, len, "%s", v->b ? "yes" : "no");
		break;
	case CONF_ENUM:
		snprintf(buf, len, "%s",
			 v->e >= 0 && (size_t)v->e < enum_count(k) ? k->names[v->e] : "?");
		break;
	case CONF_STR:
		snprintf(buf, len, "%s", v->s ? v->s : "");
		break;
	}
}
