/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * conf_key.h - the table of configuration keys, private to the conf module.
 *
 * One descriptor per INI key drives everything: defaults, parsing, range
 * checks, validation, printing and the error messages. conf.c holds the table,
 * conf_value.c the value types, conf_load.c the INI reader.
 */
#ifndef VURING_CONF_KEY_H
#define VURING_CONF_KEY_H

#include <stdbool.h>
#include <stddef.h>

#include "conf.h"

/* How a key's text is read and where its value is stored. */
enum conf_type {
	CONF_UINT,	/* decimal, min..max; stored as unsigned int */
	CONF_POW2,	/* decimal power of two, min..max; unsigned int */
	CONF_OCTAL,	/* octal file mode, min..max; unsigned int */
	CONF_BOOL,	/* yes/no, true/false, on/off, 1/0; bool */
	CONF_ENUM,	/* one of names[] (index stored); int-sized enum */
	CONF_STR,	/* text of at most max bytes, empty = none; char * */
};

/* 0 is allowed besides min..max: "0 = off" for keys like mtu. */
#define CONF_ZERO_OK 0x1u
/* SIGHUP applies a new value without a restart. */
#define CONF_LIVE 0x2u
/* CONF_STR: a network interface name as the kernel's dev_valid_name() wants. */
#define CONF_IFNAME 0x4u

struct conf_key {
	const char *section;
	const char *name;
	enum conf_type type;
	unsigned int flags;		/* CONF_ZERO_OK, CONF_LIVE, CONF_IFNAME */
	unsigned long min, max;		/* numbers: range; CONF_STR: max length */
	const char *const *names;	/* CONF_ENUM: NULL-terminated */
	size_t offset;			/* of the field in struct conf */
	const char *def;		/* default, written as in the file */
	const char *help;		/* one line: what the key means */
};

/* A parsed value; the member used follows the key's type. */
union conf_value {
	unsigned long u;	/* CONF_UINT, CONF_POW2, CONF_OCTAL */
	bool b;			/* CONF_BOOL */
	int e;			/* CONF_ENUM */
	const char *s;		/* CONF_STR, NULL = none */
};

/* Room for one message: a key, its value (an INI line is < 200 bytes) and the
 * list of what is allowed. */
#define CONF_MSG_MAX 512

extern const struct conf_key conf_keys[];
extern const size_t conf_nkeys;

const struct conf_key *conf_key_find(const char *section, const char *name);
bool conf_section_exists(const char *section);
FILE *conf_err_stream(void);

int conf_value_parse(const struct conf_key *k, const char *text,
		     union conf_value *v, char *why, size_t len);
int conf_value_check(const struct conf_key *k, const union conf_value *v,
		     char *why, size_t len);
void conf_value_get(const struct conf *conf, const struct conf_key *k,
		    union conf_value *v);
int conf_value_set(struct conf *conf, const struct conf_key *k,
		   const union conf_value *v);
void conf_value_format(const struct conf_key *k, const union conf_value *v,
		       char *buf, size_t len);
void conf_value_allowed(const struct conf_key *k, char *buf, size_t len);

#endif
