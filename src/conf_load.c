// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * conf_load.c - read an INI file into struct conf with libinih.
 *
 * libinih does the parsing. We feed it the file line by line through our own
 * reader, which lets us:
 *   - know the line number of every key the handler sees (libinih only
 *     reports the first bad line);
 *   - strip leading blanks, so an indented key is a key and never a
 *     continuation of the previous value (libinih's multi-line mode);
 *   - follow every line with a marker key, so the handler hears about each
 *     [section] header, even one with no keys under it.
 * The handler never stops the parse: every error in the file is collected
 * and printed, one line each, "vuring: FILE:LINE: ...". A line libinih cannot
 * parse at all is reported by its return value, one per parse; we then feed
 * that line as a blank one and parse again until none is left.
 * The settings are stored only by a final pass over an error-free file, so a
 * broken file leaves @conf untouched (SIGHUP keeps the running settings).
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ini.h>

#include "conf_key.h"

/* A settings file is a few KiB; anything this big is the wrong file. */
#define CONF_FILE_MAX (256 * 1024)
/* Past this many, more messages only bury the first ones. */
#define CONF_ERRORS_MAX 50
/* Key name of the marker line; no INI file contains a \x01 byte on purpose. */
#define MARKER "\x01"
/* A misspelling this close (edits) to a real name gets a "did you mean". */
#define SUGGEST_DISTANCE 2
/* How much of a malformed line to quote back. */
#define QUOTE_MAX 60
/* libinih truncates section and key names to 49 bytes. */
#define NAME_MAX_LEN 64

struct conf_error {
	unsigned int line;
	char msg[CONF_MSG_MAX];
};

struct parse {
	const char *path;
	struct conf *conf;		/* NULL while only checking */
	const char *pos, *end;		/* unread part of the file */
	unsigned int line;		/* number of the last line read */
	bool marker_due;		/* the next read returns the marker */
	char section[NAME_MAX_LEN];	/* current [section] */
	bool section_known;
	unsigned int *seen;		/* per key: line it was set on, or 0 */
	int oom;

	unsigned int bad[CONF_ERRORS_MAX];	/* lines libinih rejected */
	size_t nbad;
	struct conf_error *errs;		/* CONF_ERRORS_MAX of them */
	size_t nerrs, dropped;
};

static __attribute__((format(printf, 2, 3)))
void parse_error(struct parse *p, const char *fmt, ...)
{
	struct conf_error *e;
	va_list ap;

	if (p->nerrs == CONF_ERRORS_MAX) {
		p->dropped++;
		return;
	}
	e = &p->errs[p->nerrs++];
	e->line = p->line;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
}

static size_t min_size(size_t a, size_t b)
{
	return a < b ? a : b;
}

static bool line_is_bad(const struct parse *p)
{
	for (size_t i = 0; i < p->nbad; i++)
		if (p->bad[i] == p->line)
			return true;
	return false;
}

/**
 * line_acceptable() - may this line go to libinih? If not, say why
 * @p: state (p->line is the line's number)
 * @start: the line, without its newline
 * @len: its length
 * @room: size of libinih's line buffer
 */
static bool line_acceptable(struct parse *p, const char *start, size_t len, size_t room)
{
	if (line_is_bad(p) && start[0] == '[')
		parse_error(p, "%.*s: syntax error, no ']' closes the section name",
			    (int)min_size(len, QUOTE_MAX), start);
	else if (line_is_bad(p))
		parse_error(p, "%.*s: syntax error, expected key = value, [section], or a ; or # comment",
			    (int)min_size(len, QUOTE_MAX), start);
	else if (memchr(start, '\0', len))
		parse_error(p, "NUL byte: not a text file");
	else if (len + 2 > room)	/* the line, its newline, the NUL */
		parse_error(p, "line longer than %zu characters", room - 2);
	else
		return true;
	return false;
}

/**
 * check_header_tail() - report text after a "[section]" header
 *
 * libinih ignores whatever follows the ']', so "[backend] mtu = 9000" would
 * silently drop the setting. The line still goes to libinih, so the section
 * change happens and the keys below are judged in the right section.
 */
static void check_header_tail(struct parse *p, const char *start, size_t len)
{
	const char *close = start[0] == '[' ? memchr(start, ']', len) : NULL;
	const char *tail;

	if (!close)
		return;
	for (tail = close + 1; tail < start + len && isspace((unsigned char)*tail); tail++)
		;
	if (tail < start + len && *tail != ';' && *tail != '#')
		parse_error(p, "%.*s: text after the section header; put it on its own line",
			    (int)min_size(len, QUOTE_MAX), start);
}

/**
 * conf_reader() - libinih's fgets: the next line of the file, or the marker
 * @str: buffer to fill
 * @num: its size
 * @stream: our struct parse
 *
 * Blanks at both ends are stripped (leading ones: see the top of the file;
 * trailing ones, such as a CR, libinih would strip too). A line we must not
 * hand over is replaced by a blank one, so libinih's count of lines stays
 * exactly twice ours.
 *
 * Return: @str, or NULL at the end of the file.
 */
static char *conf_reader(char *str, int num, void *stream)
{
	struct parse *p = stream;
	const char *start = p->pos, *eol;
	size_t len;

	if (p->marker_due) {
		p->marker_due = false;
		snprintf(str, (size_t)num, "%s=\n", MARKER);
		return str;
	}
	if (p->pos >= p->end)
		return NULL;
	eol = memchr(start, '\n', (size_t)(p->end - start));
	len = (size_t)((eol ? eol : p->end) - start);
	p->pos = start + len + (eol ? 1 : 0);
	p->line++;
	p->marker_due = true;

	while (len && isspace((unsigned char)*start)) {
		start++;
		len--;
	}
	while (len && isspace((unsigned char)start[len - 1]))
		len--;
	if (!line_acceptable(p, start, len, (size_t)num))
		len = 0;	/* reported: hand over a blank line instead */
	check_header_tail(p, start, len);
	memcpy(str, start, len);
	memcpy(str + len, "\n", 2);
	return str;
}

static int fold(int c)
{
	return c == '_' ? '-' : tolower(c);
}

/**
 * edit_distance() - Levenshtein distance, ignoring case and '_' vs '-'
 * Return: the distance, or UINT_MAX-ish for names too long to bother.
 */
static unsigned int edit_distance(const char *a, const char *b)
{
	unsigned int row[NAME_MAX_LEN + 1], diag, up;
	size_t la = strlen(a), lb = strlen(b);

	if (la > NAME_MAX_LEN || lb > NAME_MAX_LEN)
		return ~0u;
	for (size_t j = 0; j <= lb; j++)
		row[j] = (unsigned int)j;
	for (size_t i = 1; i <= la; i++) {
		diag = row[0];
		row[0] = (unsigned int)i;
		for (size_t j = 1; j <= lb; j++) {
			unsigned int best = diag + (fold(a[i - 1]) != fold(b[j - 1]));

			up = row[j];
			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			diag = up;
			row[j] = best;
		}
	}
	return row[lb];
}

/**
 * closest() - the name most like @name, if it is close enough to suggest
 * @name: what the file says
 * @section: pick among this section's keys, or among sections if NULL
 *
 * Return: the suggestion, or NULL.
 */
static const char *closest(const char *name, const char *section)
{
	unsigned int best = SUGGEST_DISTANCE + 1;
	const char *found = NULL;

	for (size_t i = 0; i < conf_nkeys; i++) {
		const struct conf_key *k = &conf_keys[i];
		const char *cand = section ? k->name : k->section;
		unsigned int d;

		if (section && strcmp(k->section, section))
			continue;
		d = edit_distance(name, cand);
		if (d < best && d < strlen(cand)) {
			best = d;
			found = cand;
		}
	}
	return found;
}

/**
 * list_names() - "a, b, c": the sections, or the keys of @section
 * @section: NULL for the sections
 */
static void list_names(const char *section, char *buf, size_t len)
{
	const char *prev = NULL;
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < conf_nkeys && used < len; i++) {
		const struct conf_key *k = &conf_keys[i];
		const char *name = section ? k->name : k->section;

		if (section ? strcmp(k->section, section) != 0 : prev && !strcmp(prev, name))
			continue;
		used += (size_t)snprintf(buf + used, len - used, "%s%s", used ? ", " : "", name);
		prev = name;
	}
}

/* The one section holding a key called @name, for a key put in the wrong place. */
static const char *home_of(const char *name)
{
	const char *home = NULL;

	for (size_t i = 0; i < conf_nkeys; i++) {
		if (strcmp(conf_keys[i].name, name))
			continue;
		if (home)
			return NULL;	/* in several sections: no single answer */
		home = conf_keys[i].section;
	}
	return home;
}

/**
 * enter_section() - the marker after each line: note a new [section]
 *
 * A misspelt section is reported once, at its header; its keys are then
 * skipped silently rather than each reported as unknown.
 */
static void enter_section(struct parse *p, const char *section)
{
	char names[CONF_MSG_MAX / 2];
	const char *guess;

	if (!strcmp(section, p->section))
		return;
	snprintf(p->section, sizeof(p->section), "%s", section);
	p->section_known = conf_section_exists(section);
	if (p->section_known)
		return;
	list_names(NULL, names, sizeof(names));
	guess = closest(section, NULL);
	if (guess)
		parse_error(p, "[%s]: unknown section, did you mean [%s]? (sections: %s)",
			    section, guess, names);
	else
		parse_error(p, "[%s]: unknown section (sections: %s)", section, names);
}

static void unknown_key(struct parse *p, const char *section, const char *name,
			const char *value)
{
	char names[CONF_MSG_MAX / 2];
	const char *guess = closest(name, section), *home = home_of(name);

	list_names(section, names, sizeof(names));
	if (home)
		parse_error(p, "[%s] %s = %s: unknown key here; it belongs in [%s]",
			    section, name, value, home);
	else if (guess)
		parse_error(p, "[%s] %s = %s: unknown key, did you mean %s? (keys: %s)",
			    section, name, value, guess, names);
	else
		parse_error(p, "[%s] %s = %s: unknown key (keys: %s)", section, name, value, names);
}

/**
 * set_key() - one "name = value" line inside a known section
 */
static void set_key(struct parse *p, const char *section, const char *name,
		    const char *value)
{
	const struct conf_key *k = conf_key_find(section, name);
	char why[CONF_MSG_MAX];
	union conf_value v;
	size_t idx;

	if (!k) {
		unknown_key(p, section, name, value);
		return;
	}
	idx = (size_t)(k - conf_keys);
	if (p->seen[idx]) {
		parse_error(p, "[%s] %s = %s: set twice (first on line %u)",
			    section, name, value, p->seen[idx]);
		return;
	}
	p->seen[idx] = p->line;
	if (conf_value_parse(k, value, &v, why, sizeof(why)) < 0) {
		parse_error(p, "[%s] %s = %s: %s", section, name, value, why);
		return;
	}
	if (p->conf && conf_value_set(p->conf, k, &v) < 0)
		p->oom = 1;
}

/**
 * conf_handler() - libinih's callback for each "name = value" (and marker)
 *
 * Return: always 1: errors are collected, not used to stop the parse, and
 * libinih's own return value then means "a line it could not parse".
 */
static int conf_handler(void *user, const char *section, const char *name,
			const char *value)
{
	struct parse *p = user;
	const char *home;

	if (!strcmp(name, MARKER)) {
		enter_section(p, section);
		return 1;
	}
	if (!section[0]) {
		home = home_of(name);
		if (home)
			parse_error(p, "%s = %s: key outside any section; it belongs in [%s]",
				    name, value, home);
		else
			parse_error(p, "%s = %s: key outside any section", name, value);
	} else if (p->section_known) {
		set_key(p, section, name, value);
	}
	return 1;
}

/**
 * parse_pass() - one run of libinih over the whole file
 * @p: state; errors and per-key lines start afresh
 * @text: the file
 * @len: its length
 *
 * Return: 0, the line number of a line libinih could not parse, or -ENOMEM.
 */
static int parse_pass(struct parse *p, const char *text, size_t len)
{
	int r;

	p->pos = text;
	p->end = text + len;
	p->line = 0;
	p->marker_due = false;
	p->section[0] = '\0';
	p->section_known = false;
	p->nerrs = 0;
	p->dropped = 0;
	memset(p->seen, 0, conf_nkeys * sizeof(*p->seen));

	r = ini_parse_stream(conf_reader, p, conf_handler, p);
	if (r < 0 || p->oom)
		return -ENOMEM;
	/* Line 2n-1 of libinih's count is our line n, 2n its marker. */
	return r > 0 ? (r + 1) / 2 : 0;
}

/**
 * read_whole() - the contents of @path, NUL-terminated
 * @path: file (any readable file: a pipe such as /dev/stdin works too)
 * @bufp: receives a malloc'd buffer
 * @lenp: receives the length
 *
 * Return: 0, -EFBIG past CONF_FILE_MAX, or another negative errno.
 */
static int read_whole(const char *path, char **bufp, size_t *lenp)
{
	FILE *f = fopen(path, "re");
	char *buf = NULL;
	size_t len;
	int r = 0;

	if (!f)
		return -errno;
	buf = malloc(CONF_FILE_MAX + 1);
	if (!buf) {
		r = -ENOMEM;
		goto out;
	}
	errno = 0;
	len = fread(buf, 1, CONF_FILE_MAX + 1, f);
	if (ferror(f))
		r = errno ? -errno : -EIO;
	else if (len > CONF_FILE_MAX)
		r = -EFBIG;
	if (r < 0) {
		free(buf);
		goto out;
	}
	buf[len] = '\0';
	*bufp = buf;
	*lenp = len;
out:
	fclose(f);
	return r;
}

/**
 * find_all_errors() - parse until every bad line of the file is known
 * Return: 0 (errors, if any, are in @p) or -ENOMEM.
 */
static int find_all_errors(struct parse *p, const char *text, size_t len)
{
	int r;

	for (;;) {
		r = parse_pass(p, text, len);
		if (r <= 0)
			return r;
		if (p->nbad == CONF_ERRORS_MAX) {
			p->dropped++;	/* libinih found yet another bad line */
			return 0;
		}
		p->bad[p->nbad++] = (unsigned int)r;
	}
}

static void print_errors(const struct parse *p)
{
	FILE *out = conf_err_stream();

	for (size_t i = 0; i < p->nerrs; i++)
		fprintf(out, "vuring: %s:%u: %s\n", p->path, p->errs[i].line, p->errs[i].msg);
	if (p->dropped)
		fprintf(out, "vuring: %s: too many errors, the rest are not shown\n", p->path);
}

/**
 * conf_load_file() - read the INI file @path into @conf
 * @conf: settings to update (usually fresh from conf_init_defaults())
 * @path: the file
 *
 * Every error in the file is printed to the error stream, one line each,
 * naming the file, the line, the key and what is allowed. On any error
 * but running out of memory, @conf is left exactly as it was.
 *
 * Return: 0; -EINVAL if the file has errors; -ENOMEM; or the negative errno
 * of reading the file (-EFBIG if it is too big to be a settings file).
 */
int conf_load_file(struct conf *conf, const char *path)
{
	struct parse p = { .path = path };
	char *text = NULL, *source = NULL;
	size_t len = 0;
	int r;

	r = read_whole(path, &text, &len);
	if (r == -EFBIG)
		fprintf(conf_err_stream(), "vuring: %s: larger than %d bytes, not a settings file\n",
			path, CONF_FILE_MAX);
	else if (r < 0)
		fprintf(conf_err_stream(), "vuring: %s: cannot read: %s\n", path, strerror(-r));
	if (r < 0)
		return r;

	r = -ENOMEM;
	p.seen = calloc(conf_nkeys, sizeof(*p.seen));
	p.errs = calloc(CONF_ERRORS_MAX, sizeof(*p.errs));
	source = strdup(path);
	if (!p.seen || !p.errs || !source)
		goto out;
	r = find_all_errors(&p, text, len);
	if (r < 0)
		goto out;
	if (p.nerrs || p.dropped) {
		print_errors(&p);
		r = -EINVAL;
		goto out;
	}
	/* Clean: now store the values. */
	p.conf = conf;
	r = parse_pass(&p, text, len);
	if (r < 0)
		goto out;
	r = 0;
	free(conf->source);
	conf->source = source;
	source = NULL;
out:
	if (r == -ENOMEM)
		fprintf(conf_err_stream(), "vuring: %s: out of memory\n", path);
	free(source);
	free(p.errs);
	free(p.seen);
	free(text);
	return r;
}
