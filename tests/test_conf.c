// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test_conf.c - the settings: every key's default and range, every kind of
 * error message (golden files in tests/conf/), round trips through
 * conf_print(), and that the man page and the example file list every key.
 *
 * tests/conf/good-NAME.ini must load and validate, and print NAME.out.
 * tests/conf/bad-NAME.ini must fail to load or validate, with exactly the
 * messages in bad-NAME.err. The tests run inside tests/conf/ so messages
 * name the files as "bad-NAME.ini".
 */
#include "config.h"

#include <errno.h>
#include <glob.h>
#include <ini.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf_key.h"
#include "log.h"
#include "tap.h"

static char tmpdir[] = "/tmp/test_conf.XXXXXX";

/* snprintf into an array, where truncation would be a bug in the test. */
#define FMT(buf, ...)                                                        \
	do {                                                                 \
		if ((size_t)snprintf(buf, sizeof(buf), __VA_ARGS__) >= sizeof(buf)) \
			abort();                                             \
	} while (0)

/* The whole file, or NULL. */
static char *slurp(const char *path)
{
	FILE *f = fopen(path, "re");
	char *buf = NULL;
	size_t cap = 0, len = 0, n;

	if (!f)
		return NULL;
	do {
		if (len + 4096 + 1 > cap) {
			cap = (len + 4096 + 1) * 2;
			buf = realloc(buf, cap);
			if (!buf)
				abort();
		}
		n = fread(buf + len, 1, cap - len - 1, f);
		len += n;
	} while (n);
	fclose(f);
	buf[len] = '\0';
	return buf;
}

static void spew(const char *path, const char *text)
{
	FILE *f = fopen(path, "we");

	if (!f || fputs(text, f) < 0 || fclose(f))
		abort();
}

static char *tmp_path(const char *name)
{
	static char path[PATH_MAX];

	FMT(path, "%s/%s", tmpdir, name);
	return path;
}

/* Error-stream capture: what conf_* print, as a string. */
static FILE *cap_file;
static char *cap_buf;
static size_t cap_len;

static void capture(void)
{
	cap_file = open_memstream(&cap_buf, &cap_len);
	if (!cap_file)
		abort();
	conf_set_error_stream(cap_file);
}

/* Return: the captured text, to be freed. */
static char *captured(void)
{
	conf_set_error_stream(NULL);
	fclose(cap_file);
	return cap_buf;
}

/* conf_print() into a string, to be freed. */
static char *print_conf(const struct conf *conf)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		abort();
	conf_print(conf, f);
	fclose(f);
	return buf;
}

/* Load @path on top of the defaults; @errs receives the messages. */
static int load(const char *path, struct conf *conf, char **errs, int validate)
{
	int r;

	conf_init_defaults(conf);
	capture();
	r = conf_load_file(conf, path);
	if (r == 0 && validate)
		r = conf_validate(conf);
	*errs = captured();
	return r;
}

/* ------------------------------------------------------------ the table */

static void test_table(void)
{
	char why[CONF_MSG_MAX], text[CONF_MSG_MAX];
	union conf_value v;

	for (size_t i = 0; i < conf_nkeys; i++) {
		const struct conf_key *k = &conf_keys[i];
		int sane = k->help && k->help[0] && k->min <= k->max && k->max <= UINT_MAX &&
			   conf_key_find(k->section, k->name) == k &&
			   (k->type != CONF_ENUM || (k->names && k->names[0]));

		ok(sane, "[%s] %s: descriptor is sane (range, help, unique)", k->section, k->name);
		/* The default parses, passes its own range, and prints as written. */
		if (conf_value_parse(k, k->def, &v, why, sizeof(why)) < 0) {
			ok(0, "[%s] %s: default '%s' is valid: %s", k->section, k->name, k->def, why);
			continue;
		}
		conf_value_format(k, &v, text, sizeof(text));
		ok(!strcmp(text, k->def), "[%s] %s: default '%s' is valid and prints back as '%s'",
		   k->section, k->name, k->def, text);
	}
}

/* The names the [log] level key accepts are the log module's own. */
static void test_log_level_names(void)
{
	const struct conf_key *k = conf_key_find("log", "level");
	int n = 0;

	for (int i = VLOG_ERROR; i <= VLOG_DEBUG; i++, n++)
		is_str(k->names[i], log_level_name(i), "[log] level value %d is '%s'",
		       i, log_level_name(i));
	ok(k->names[n] == NULL, "[log] level has exactly the log module's levels");
}

/* A few defaults by field, independently of the table. */
static void test_defaults(void)
{
	struct conf c;

	conf_init_defaults(&c);
	ok(c.socket_path == NULL && c.socket_mode == CONF_SOCKET_SERVER &&
	   c.reconnect_ms == 1000 && c.reconnect_max_ms == 30000 &&
	   c.socket_perm == 0600 && c.socket_group == NULL && c.listen_fd == -1,
	   "defaults of [vhost-user]");
	ok(c.backend == CONF_BACKEND_TAP && c.ifname == NULL && c.create_tap &&
	   c.queue_pairs == 1 && c.mtu == 0 && c.offload_csum && c.offload_tso &&
	   !c.offload_ufo && c.offload_ecn && c.mrg_rxbuf && c.event_idx && c.indirect_desc,
	   "defaults of [backend]");
	ok(c.batch_size == 64 && c.uring_entries == 256 && c.budget == 256 &&
	   c.coalesce_frames == 0 && c.coalesce_usecs == 0, "defaults of [datapath]");
	ok(c.log_level == VLOG_INFO && c.control_path == NULL && c.source == NULL,
	   "defaults of [log], [control]");
	is_int(conf_validate(&c), 0, "the defaults are valid");
	conf_free(&c);
}

/* ------------------------------------------------------------ one key at a time */

/*
 * expect_value() - a file setting [section] key = @text is accepted with
 * @want (numbers) or rejected with a message containing @problem.
 */
static void expect_value(const struct conf_key *k, const char *text,
			 unsigned long want, const char *problem)
{
	char *path = tmp_path("key.ini"), *errs, file[CONF_MSG_MAX], prefix[CONF_MSG_MAX];
	union conf_value v;
	struct conf c;
	int r, good;

	FMT(file, "; one key\n[%s]\n%s = %s\n", k->section, k->name, text);
	spew(path, file);
	r = load(path, &c, &errs, 0);
	if (!problem) {
		conf_value_get(&c, k, &v);
		good = ok(r == 0 && errs[0] == '\0' &&
		   (k->type == CONF_BOOL ? v.b == (bool)want :
		    k->type == CONF_ENUM ? v.e == (int)want :
		    k->type == CONF_STR ? strlen(v.s) == want : v.u == want),
		   "[%s] %s = %s accepted", k->section, k->name, text);
	} else {
		FMT(prefix, "vuring: %s:3: [%s] %s = %s: %s",
			 path, k->section, k->name, text, problem);
		good = ok(r == -EINVAL && !strncmp(errs, prefix, strlen(prefix)) &&
		   strchr(errs, '\n') == errs + strlen(errs) - 1,
		   "[%s] %s = %s rejected: %s", k->section, k->name, text, problem);
	}
	if (!good)
		diag("got: %s", errs);
	free(errs);
	conf_free(&c);
}

/* @x written the way @k's values are written in a file. */
static const char *num_text(const struct conf_key *k, unsigned long x)
{
	static char t[64];

	FMT(t, k->type == CONF_OCTAL ? "%lo" : "%lu", x);
	return t;
}

static void test_number_bounds(const struct conf_key *k)
{
	unsigned long above = k->type == CONF_POW2 ? k->max * 2 : k->max + 1;

	expect_value(k, num_text(k, k->min), k->min, NULL);
	expect_value(k, num_text(k, k->max), k->max, NULL);
	expect_value(k, num_text(k, above), 0, "out of range");
	if (k->min > 1 && k->type == CONF_POW2)
		expect_value(k, num_text(k, k->min / 2), 0, "out of range");
	else if (k->min > 1 || (k->min == 1 && !(k->flags & CONF_ZERO_OK)))
		expect_value(k, num_text(k, k->min - 1), 0, "out of range");
	if (k->flags & CONF_ZERO_OK)
		expect_value(k, "0", 0, NULL);
	if (k->type == CONF_POW2)
		expect_value(k, num_text(k, k->min + 1), 0, "not a power of two");
	expect_value(k, "", 0, "missing value");
	expect_value(k, "-1", 0, k->type == CONF_OCTAL ? "not an octal number" : "not a number");
	/* Past ULONG_MAX in either base. */
	expect_value(k, "7777777777777777777777777", 0, "out of range");
}

static void test_key_values(void)
{
	static const char *const yes[] = { "yes", "YES", "true", "True", "on", "1" };
	static const char *const no[] = { "no", "No", "false", "FALSE", "off", "0" };
	char long_text[512];

	for (size_t i = 0; i < conf_nkeys; i++) {
		const struct conf_key *k = &conf_keys[i];

		switch (k->type) {
		case CONF_UINT:
		case CONF_POW2:
		case CONF_OCTAL:
			test_number_bounds(k);
			break;
		case CONF_BOOL:
			for (size_t j = 0; j < 6; j++) {
				expect_value(k, yes[j], 1, NULL);
				expect_value(k, no[j], 0, NULL);
			}
			expect_value(k, "maybe", 0, "not a boolean");
			break;
		case CONF_ENUM:
			for (int j = 0; k->names[j]; j++)
				expect_value(k, k->names[j], (unsigned long)j, NULL);
			expect_value(k, "nonsense", 0, "unknown value");
			break;
		case CONF_STR:
			memset(long_text, 'x', k->max);
			long_text[k->max] = '\0';
			expect_value(k, long_text, k->max, NULL);
			strcat(long_text, "x");
			expect_value(k, long_text, 0, "too long");
			if (k->flags & CONF_IFNAME) {
				expect_value(k, "eth0:1", 0, "not an interface name");
				expect_value(k, "a/b", 0, "not an interface name");
				expect_value(k, "..", 0, "not an interface name");
			}
			break;
		}
	}
}

/* ------------------------------------------------------------ golden files */

static void test_good(const char *ini)
{
	char want_path[PATH_MAX], *errs, *want, *out, *again;
	char *tmp = tmp_path("reprinted.ini");
	struct conf c;
	int r;

	FMT(want_path, "%.*s.out", (int)(strlen(ini) - 4), ini);
	r = load(ini, &c, &errs, 1);
	ok(r == 0 && errs[0] == '\0', "%s loads and validates", ini);
	if (errs[0])
		diag("%s", errs);
	out = print_conf(&c);
	want = slurp(want_path);
	ok(want != NULL, "%s exists", want_path);
	is_str(out, want ? want : "", "%s prints as %s", ini, want_path);
	conf_free(&c);
	free(errs);

	/* What --check-config prints must read back to the same settings. */
	spew(tmp, out);
	r = load(tmp, &c, &errs, 1);
	again = print_conf(&c);
	ok(r == 0 && !strcmp(again, out), "%s: printed settings re-parse to the same", ini);
	conf_free(&c);
	free(errs);
	free(again);
	free(out);
	free(want);
}

static void test_bad(const char *ini)
{
	char want_path[PATH_MAX], *errs, *want;
	struct conf c;
	int r;

	FMT(want_path, "%.*s.err", (int)(strlen(ini) - 4), ini);
	r = load(ini, &c, &errs, 1);
	is_int(r, -EINVAL, "%s is rejected", ini);
	want = slurp(want_path);
	ok(want != NULL, "%s exists", want_path);
	is_str(errs, want ? want : "", "%s: messages as in %s", ini, want_path);
	conf_free(&c);
	free(errs);
	free(want);
}

static void test_golden(void)
{
	glob_t g;

	if (glob("*.ini", 0, NULL, &g)) {
		ok(0, "golden files found in tests/conf");
		return;
	}
	for (size_t i = 0; i < g.gl_pathc; i++) {
		if (!strncmp(g.gl_pathv[i], "good-", 5))
			test_good(g.gl_pathv[i]);
		else if (!strncmp(g.gl_pathv[i], "bad-", 4))
			test_bad(g.gl_pathv[i]);
		else
			ok(0, "%s: golden files are named good-* or bad-*", g.gl_pathv[i]);
	}
	globfree(&g);
}

/* ------------------------------------------------------------ files that are not INI */

static void expect_file_error(const char *path, int want_r, const char *want_msg)
{
	struct conf c;
	char *errs;
	int r = load(path, &c, &errs, 0);

	is_int(r, want_r, "%s: error %d", path, want_r);
	is_str(errs, want_msg, "%s: message", path);
	free(errs);
	conf_free(&c);
}

static void test_file_errors(void)
{
	char *big = tmp_path("big.ini"), msg[PATH_MAX + 100], *text;

	expect_file_error("does-not-exist.ini", -ENOENT,
			  "vuring: does-not-exist.ini: cannot read: No such file or directory\n");
	expect_file_error(".", -EISDIR, "vuring: .: cannot read: Is a directory\n");

	/* 256 KiB of comment lines, then one byte more. */
	text = malloc(256 * 1024 + 2);
	for (size_t i = 0; i < 256 * 1024; i += 2)
		memcpy(text + i, "#\n", 2);
	memcpy(text + 256 * 1024, "#", 2);
	spew(big, text);
	FMT(msg, "vuring: %s: larger than 262144 bytes, not a settings file\n", big);
	expect_file_error(big, -EFBIG, msg);
	text[256 * 1024] = '\0';
	spew(big, text);
	expect_file_error(big, 0, "");
	free(text);
}

/* A NUL byte is reported at its line; the lines around it still count. */
static void test_nul_byte(void)
{
	static const char content[] = "[backend]\nmtu = 1\0 00\nqueue-pairs = 0\n";
	char *path = tmp_path("nul.ini"), want[PATH_MAX * 2];
	FILE *f = fopen(path, "we");

	if (!f || fwrite(content, 1, sizeof(content) - 1, f) != sizeof(content) - 1 || fclose(f))
		abort();
	FMT(want, "vuring: %s:2: NUL byte: not a text file\n"
		  "vuring: %s:3: [backend] queue-pairs = 0: out of range (1..64)\n", path, path);
	expect_file_error(path, -EINVAL, want);
}

/* Past 50 errors the rest are summed up in one line, syntax errors or not. */
static void test_error_cap(void)
{
	char *path = tmp_path("many.ini"), *errs, *p;
	size_t lines = 0;
	struct conf c;
	FILE *f;

	for (int kind = 0; kind < 2; kind++) {
		f = fopen(path, "we");
		if (!f)
			abort();
		fprintf(f, "[backend]\n");
		for (int i = 0; i < 60; i++)
			fprintf(f, kind ? "no-such-key-%d = 1\n" : "not a key value line %d\n", i);
		fclose(f);
		is_int(load(path, &c, &errs, 0), -EINVAL, "60 %s errors: rejected",
		       kind ? "unknown-key" : "syntax");
		for (lines = 0, p = errs; (p = strchr(p, '\n')); p++)
			lines++;
		is_int(lines, 51, "... 50 lines of errors and one more saying there are more");
		ok(strstr(errs, ": too many errors, the rest are not shown\n") != NULL,
		   "... ending with 'too many errors'");
		free(errs);
		conf_free(&c);
	}
}

/* ------------------------------------------------------------ semantics */

/* A file with errors changes nothing: SIGHUP relies on it. */
static void test_rejected_file_changes_nothing(void)
{
	char good[PATH_MAX], bad[PATH_MAX], *errs, *before, *after;
	struct conf c;

	FMT(good, "%s", tmp_path("good.ini"));
	FMT(bad, "%s", tmp_path("bad.ini"));
	spew(good, "[backend]\nqueue-pairs = 3\ninterface = tap7\n");
	spew(bad, "[backend]\nqueue-pairs = 4\ninterface = tap8\nmtu = 1\n");
	conf_init_defaults(&c);
	is_int(conf_load_file(&c, good), 0, "load a good file");
	before = print_conf(&c);
	capture();
	is_int(conf_load_file(&c, bad), -EINVAL, "a bad file on top is rejected");
	errs = captured();
	after = print_conf(&c);
	is_str(after, before, "... and leaves the settings as they were");
	is_str(c.source, good, "... and the source file name too");
	free(errs);
	free(before);
	free(after);
	conf_free(&c);
}

/* conf_validate() checks values that did not come from a file. */
static void test_validate_command_line_values(void)
{
	struct conf c;
	char *errs, want[512];

	conf_init_defaults(&c);
	c.ifname = strdup("a-name-much-too-long-for-linux");
	c.socket_path = strdup("/run/a ;b");
	capture();
	is_int(conf_validate(&c), -EINVAL, "values set outside a file are range-checked");
	errs = captured();
	FMT(want, "%s%s",
		 "vuring: [vhost-user] path = /run/a ;b: ';' after a blank, which would read back as a comment (at most 107 characters, empty for none)\n",
		 "vuring: [backend] interface = a-name-much-too-long-for-linux: too long: 30 characters (a name of at most 15 characters without blanks, '/' or ':', empty for none)\n");
	is_str(errs, want, "... with one message each");
	free(errs);
	conf_free(&c);

	conf_init_defaults(&c);
	c.backend = CONF_BACKEND_XDP;
	c.ifname = strdup("eth0");
	capture();
#ifdef HAVE_XDP
	is_int(conf_validate(&c), 0, "type = xdp with an interface is valid (built with AF_XDP)");
#else
	is_int(conf_validate(&c), -EINVAL, "type = xdp is refused without AF_XDP support");
#endif
	free(captured());
	conf_free(&c);
}

static void note_change(const char *section, const char *name, const char *old_text,
			const char *new_text, bool live, void *arg)
{
	FILE *f = arg;

	fprintf(f, "[%s] %s: '%s' -> '%s'%s\n", section, name, old_text, new_text,
		live ? " live" : "");
}

/* conf_diff() names exactly the changed keys, and only [log] level as live. */
static void test_diff(void)
{
	struct conf a, b;
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	conf_init_defaults(&a);
	conf_init_defaults(&b);
	b.log_level = VLOG_DEBUG;
	b.queue_pairs = 2;
	b.ifname = strdup("tap1");
	f = open_memstream(&buf, &len);
	conf_diff(&a, &a, note_change, f);
	fflush(f);
	is_str(buf, "", "conf_diff: identical settings, no change");
	conf_diff(&a, &b, note_change, f);
	fclose(f);
	is_str(buf, "[backend] interface: '' -> 'tap1'\n"
		    "[backend] queue-pairs: '1' -> '2'\n"
		    "[log] level: 'info' -> 'debug' live\n",
	       "conf_diff: each changed key once, in table order, [log] level live");
	free(buf);
	conf_free(&a);
	conf_free(&b);
}

/* ------------------------------------------------------------ documentation */

/* vuring.ini(5) documents every key in its section, with its exact range and
 * default, and nothing else. */
static void test_man_page(const char *top)
{
	char path[PATH_MAX], head[128], item[CONF_MSG_MAX], allowed[CONF_MSG_MAX];
	const char *sec, *end, *p;
	size_t items = 0;
	char *text;

	FMT(path, "%s/doc/vuring.ini.5.pod", top);
	text = slurp(path);
	if (!ok(text != NULL, "read %s", path))
		return;
	for (size_t i = 0; i < conf_nkeys; i++) {
		const struct conf_key *k = &conf_keys[i];

		FMT(head, "\n=head2 [%s]\n", k->section);
		conf_value_allowed(k, allowed, sizeof(allowed));
		FMT(item, "\n=item B<%s> (%s; default: %s)\n",
			 k->name, allowed, k->def[0] ? k->def : "none");
		sec = strstr(text, head);
		end = sec ? strstr(sec + 1, "\n=head") : NULL;
		p = sec ? strstr(sec, item) : NULL;
		ok(p && (!end || p < end), "vuring.ini(5) documents [%s] %s as '%.*s'",
		   k->section, k->name, (int)strlen(item) - 2, item + 1);
	}
	for (p = text; (p = strstr(p, "\n=item B<")); p++)
		items++;
	is_int(items, conf_nkeys, "vuring.ini(5) documents no key that does not exist");
	free(text);
}

static int count_key(void *user, const char *section, const char *name, const char *value)
{
	const struct conf_key *k = conf_key_find(section, name);
	unsigned int *seen = user;

	(void)value;
	if (k)
		seen[k - conf_keys]++;
	return 1;
}

/* contrib/vuring.ini is valid and sets every key once. */
static void test_example(const char *top)
{
	char path[PATH_MAX], *errs;
	unsigned int *seen = calloc(conf_nkeys, sizeof(*seen));
	struct conf c;

	FMT(path, "%s/contrib/vuring.ini", top);
	ok(load(path, &c, &errs, 1) == 0 && errs[0] == '\0', "contrib/vuring.ini is valid");
	free(errs);
	conf_free(&c);
	ok(ini_parse(path, count_key, seen) == 0, "contrib/vuring.ini parses");
	for (size_t i = 0; i < conf_nkeys; i++)
		is_int(seen[i], 1, "contrib/vuring.ini sets [%s] %s", conf_keys[i].section,
		       conf_keys[i].name);
	free(seen);
}

int main(void)
{
	static const char *const scratch[] = {
		"key.ini", "reprinted.ini", "big.ini", "good.ini", "bad.ini", "nul.ini",
		"many.ini",
	};
	const char *env = getenv("top_srcdir");
	char top[PATH_MAX], dir[PATH_MAX];

	/* Absolute, since we are about to change directory. */
	if (!realpath(env ? env : ".", top)) {
		printf("Bail out! top_srcdir %s: %s\n", env ? env : ".", strerror(errno));
		return 1;
	}
	FMT(dir, "%s/tests/conf", top);
	if (!mkdtemp(tmpdir) || chdir(dir) < 0) {
		printf("Bail out! cannot create a temporary directory or enter %s\n", dir);
		return 1;
	}
	test_table();
	test_log_level_names();
	test_defaults();
	test_key_values();
	test_golden();
	test_file_errors();
	test_nul_byte();
	test_error_cap();
	test_rejected_file_changes_nothing();
	test_validate_command_line_values();
	test_diff();
	test_man_page(top);
	test_example(top);

	for (size_t i = 0; i < sizeof(scratch) / sizeof(scratch[0]); i++)
		unlink(tmp_path(scratch[i]));
	rmdir(tmpdir);
	return done_testing();
}
