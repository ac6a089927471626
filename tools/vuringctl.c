// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vuringctl - ask a running vuring for its statistics and status, or change
 * its log level, through its control socket ([control] path).
 *
 * The daemon answers each request line with one line of JSON; this tool
 * prints it as is (--json) or as tables for people, and "watch" turns two
 * consecutive "stats" answers into per-second rates.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <json.h>

/* Where "-s NAME" (no slash) points: the systemd units' runtime directory. */
#define CTL_RUNTIME_DIR "/run/vuring"

/* How long to wait for the daemon: it answers from its event loop at once,
 * so anything near this means it is stuck. */
#define CTL_TIMEOUT_SECS 5

/* Largest answer we accept; "stats" for 64 queue pairs is about 60 KiB. */
#define CTL_MAX_ANSWER (16u << 20)

enum exit_code {
	EXIT_OK = 0,
	EXIT_FAIL = 1,		/* the daemon said no, or could not be reached */
	EXIT_USAGE = 2,
};

struct opts {
	const char *socket;
	bool json;
	long count;		/* watch: refreshes, 0 = until interrupted */
};

/* One connection to the daemon, with a buffer for its answer lines. */
struct conn {
	int fd;
	char *buf;
	size_t len, cap;
};

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: vuringctl [-s SOCKET] [--json] COMMAND\n"
		"Query or control a running vuring through its control socket.\n"
		"\n"
		"Commands:\n"
		"  stats                  per-queue counters, device and io_uring counters\n"
		"  status                 connection, features, memory, rings, back-end\n"
		"  watch [--count N]      per-queue rates, refreshed once a second\n"
		"  set log-level LEVEL    error, warn, info or debug, applied at once\n"
		"\n"
		"Options:\n"
		"  -s, --socket SOCKET    the daemon's [control] path; a bare NAME means\n"
		"                         " CTL_RUNTIME_DIR "/NAME.ctl (default: $VURINGCTL_SOCKET)\n"
		"  -j, --json             print the daemon's JSON answer instead of tables\n"
		"  -n, --count N          watch: stop after N refreshes\n"
		"  -h, --help             this text\n"
		"      --version          print the version and exit\n"
		"\n"
		"See vuringctl(8) and vuring(8).\n");
}

/* ---------------------------------------------------------------- connection */

/**
 * socket_path() - the control socket named by -s or the environment
 * @arg: -s's argument, or NULL
 * @buf: room for a path built from a bare name
 * @size: its size
 *
 * Return: the path, or NULL if none was given.
 */
static const char *socket_path(const char *arg, char *buf, size_t size)
{
	if (!arg || !*arg)
		arg = getenv("VURINGCTL_SOCKET");
	if (!arg || !*arg)
		return NULL;
	if (strchr(arg, '/'))
		return arg;
	snprintf(buf, size, "%s/%s.ctl", CTL_RUNTIME_DIR, arg);
	return buf;
}

/**
 * conn_open() - connect to the control socket at @path
 * Return: 0 or a negative errno (reported).
 */
static int conn_open(struct conn *c, const char *path)
{
	struct timeval tv = { .tv_sec = CTL_TIMEOUT_SECS };
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int r;

	memset(c, 0, sizeof(*c));
	if (strlen(path) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "vuringctl: socket path too long: %s\n", path);
		return -ENAMETOOLONG;
	}
	strcpy(sa.sun_path, path);
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->fd < 0)
		goto fail;
	setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		goto fail;
	return 0;
fail:
	r = -errno;
	fprintf(stderr, "vuringctl: %s: %s\n", path, strerror(-r));
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	return r;
}

static void conn_close(struct conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	free(c->buf);
	memset(c, 0, sizeof(*c));
	c->fd = -1;
}

/**
 * conn_fill() - read more of the daemon's answer into the buffer
 * Return: bytes read (> 0), or a negative errno (-EPIPE at end of stream).
 */
static int conn_fill(struct conn *c)
{
	ssize_t n;

	if (c->cap - c->len < 4096) {
		size_t cap = c->cap ? c->cap * 2 : 65536;
		char *p;

		if (cap > CTL_MAX_ANSWER)
			return -EMSGSIZE;
		p = realloc(c->buf, cap);
		if (!p)
			return -ENOMEM;
		c->buf = p;
		c->cap = cap;
	}
	do
		n = read(c->fd, c->buf + c->len, c->cap - c->len - 1);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return errno == EAGAIN ? -ETIMEDOUT : -errno;
	if (n == 0)
		return -EPIPE;
	c->len += (size_t)n;
	return (int)n;
}

/**
 * conn_ask() - send one request and read its one-line answer
 * @c: connection
 * @request: the request, without newline
 * @answer: the answer line, NUL-terminated, without newline; valid until
 *	    the next call. The caller must not free it.
 *
 * Return: 0 or a negative errno (reported).
 */
static int conn_ask(struct conn *c, const char *request, char **answer)
{
	size_t len = strlen(request);
	char *nl;
	int r;

	c->len = 0;
	if (write(c->fd, request, len) != (ssize_t)len || write(c->fd, "\n", 1) != 1) {
		r = -errno;
		fprintf(stderr, "vuringctl: sending '%s': %s\n", request, strerror(errno));
		return r;
	}
	for (;;) {
		if (c->buf && (nl = memchr(c->buf, '\n', c->len)))
			break;
		r = conn_fill(c);
		if (r < 0) {
			fprintf(stderr, "vuringctl: reading the answer to '%s': %s\n", request,
				r == -EPIPE ? "the daemon closed the connection" : strerror(-r));
			return r;
		}
	}
	*nl = '\0';
	*answer = c->buf;
	return 0;
}

/* ---------------------------------------------------------------- JSON access */

static struct json_object *jget(struct json_object *o, const char *key)
{
	struct json_object *v = NULL;

	if (!o || !json_object_object_get_ex(o, key, &v))
		return NULL;
	return v;
}

static uint64_t ju64(struct json_object *o, const char *key)
{
	struct json_object *v = jget(o, key);

	return v ? json_object_get_uint64(v) : 0;
}

static const char *jstr(struct json_object *o, const char *key)
{
	struct json_object *v = jget(o, key);

	if (!v || json_object_is_type(v, json_type_null))
		return "-";
	return json_object_get_string(v);
}

static bool jbool(struct json_object *o, const char *key)
{
	struct json_object *v = jget(o, key);

	return v && json_object_get_boolean(v);
}

static size_t jlen(struct json_object *arr)
{
	return arr && json_object_is_type(arr, json_type_array) ?
		       json_object_array_length(arr) : 0;
}

/**
 * parse_answer() - parse an answer and check its "ok"
 * @text: the answer line
 * @out: the parsed document (the caller puts it) when ok
 *
 * Return: 0, or -EPROTO after printing the daemon's error or the reason the
 * answer is not a JSON object.
 */
static int parse_answer(const char *text, struct json_object **out)
{
	struct json_object *o = json_tokener_parse(text);

	if (!o || !json_object_is_type(o, json_type_object)) {
		fprintf(stderr, "vuringctl: the daemon's answer is not a JSON object\n");
		json_object_put(o);
		return -EPROTO;
	}
	if (!jbool(o, "ok")) {
		fprintf(stderr, "vuringctl: %s\n", jstr(o, "error"));
		json_object_put(o);
		return -EPROTO;
	}
	*out = o;
	return 0;
}

/* ---------------------------------------------------------------- stats */

static void print_stats_table(struct json_object *st)
{
	struct json_object *queues = jget(st, "queues"), *dev = jget(st, "device");
	struct json_object *u = jget(st, "uring");

	printf("device: %" PRIu64 " connections, %" PRIu64 " refused, %" PRIu64
	       " messages, %" PRIu64 " NACKs, %" PRIu64 " broken\n",
	       ju64(dev, "connections"), ju64(dev, "refused"), ju64(dev, "messages"),
	       ju64(dev, "nacks"), ju64(dev, "broken"));
	if (!jbool(st, "datapath")) {
		printf("datapath: none (no [backend] interface)\n");
		return;
	}
	printf("io_uring: %" PRIu64 " submits, %" PRIu64 " SQEs, %" PRIu64 " CQEs, %" PRIu64
	       " wakeups, %" PRIu64 " SQ-full\n",
	       ju64(u, "submits"), ju64(u, "sqes"), ju64(u, "cqes"), ju64(u, "wakeups"),
	       ju64(u, "sq_full"));
	printf("%-6s %-8s %12s %15s %10s %10s %10s %8s %10s %10s %8s %8s\n", "queue", "state",
	       "packets", "bytes", "kicks", "calls", "batches", "avg", "io-ops", "io-cqes",
	       "io-errs", "drops");
	for (size_t i = 0; i < jlen(queues); i++) {
		struct json_object *q = json_object_array_get_idx(queues, i);
		struct json_object *avg = jget(q, "avg_batch");

		printf("%-6s %-8s %12" PRIu64 " %15" PRIu64 " %10" PRIu64 " %10" PRIu64
		       " %10" PRIu64 " %8.1f %10" PRIu64 " %10" PRIu64 " %8" PRIu64
		       " %8" PRIu64 "\n",
		       jstr(q, "name"), !jbool(q, "started") ? "stopped" :
		       jbool(q, "enabled") ? "running" : "disabled",
		       ju64(q, "packets"), ju64(q, "bytes"), ju64(q, "kicks"), ju64(q, "calls"),
		       ju64(q, "batches"), avg ? json_object_get_double(avg) : 0.0,
		       ju64(q, "uring_ops"), ju64(q, "uring_cqes"), ju64(q, "uring_errors"),
		       ju64(q, "dropped"));
	}
}

/* Drops by reason, for the queues that have any. */
static void print_drops(struct json_object *st)
{
	struct json_object *queues = jget(st, "queues");

	for (size_t i = 0; i < jlen(queues); i++) {
		struct json_object *q = json_object_array_get_idx(queues, i);
		struct json_object *drops = jget(q, "drops");

		if (!ju64(q, "dropped") || !drops)
			continue;
		printf("%s drops:", jstr(q, "name"));
		json_object_object_foreach(drops, reason, count) {
			if (json_object_get_uint64(count))
				printf(" %s=%" PRIu64, reason, json_object_get_uint64(count));
		}
		printf("\n");
	}
}

/* ---------------------------------------------------------------- status */

static void print_names(const char *label, struct json_object *feat)
{
	struct json_object *names = jget(feat, "names");

	printf("%-18s %s (offered %s):", label, jstr(feat, "acked"), jstr(feat, "offered"));
	if (!jlen(names))
		printf(" none");
	for (size_t i = 0; i < jlen(names); i++)
		printf(" %s", json_object_get_string(json_object_array_get_idx(names, i)));
	printf("\n");
}

static void print_string_list(const char *label, struct json_object *arr)
{
	printf("%-18s", label);
	if (!jlen(arr))
		printf(" none");
	for (size_t i = 0; i < jlen(arr); i++)
		printf(" %s", json_object_get_string(json_object_array_get_idx(arr, i)));
	printf("\n");
}

static void print_memory(struct json_object *mem)
{
	struct json_object *regions = jget(mem, "regions");

	printf("%-18s %zu region(s), %" PRIu64 " MiB%s\n", "memory:", jlen(regions),
	       ju64(mem, "total_bytes") >> 20, jbool(mem, "dirty_log") ? ", dirty log on" : "");
	for (size_t i = 0; i < jlen(regions); i++) {
		struct json_object *r = json_object_array_get_idx(regions, i);

		printf("  gpa %-14s size %-12" PRIu64 " uva %-16s offset %s\n", jstr(r, "gpa"),
		       ju64(r, "size"), jstr(r, "uva"), jstr(r, "mmap_offset"));
	}
}

static void print_rings(struct json_object *rings)
{
	printf("%-5s %-6s %6s %-8s %-8s %10s %10s %10s %9s  %s\n", "ring", "name", "num",
	       "state", "enabled", "kicks", "avail_idx", "used_idx", "inflight", "broken");
	for (size_t i = 0; i < jlen(rings); i++) {
		struct json_object *r = json_object_array_get_idx(rings, i);
		bool started = !strcmp(jstr(r, "state"), "started");
		char avail[16] = "-", used[16] = "-", infl[16] = "-";

		if (started) {
			snprintf(avail, sizeof(avail), "%" PRIu64, ju64(r, "avail_idx"));
			snprintf(used, sizeof(used), "%" PRIu64, ju64(r, "used_idx"));
			snprintf(infl, sizeof(infl), "%" PRIu64, ju64(r, "inflight"));
		}
		printf("%-5" PRIu64 " %-6s %6" PRIu64 " %-8s %-8s %10" PRIu64 " %10s %10s %9s  %s\n",
		       ju64(r, "index"), jstr(r, "name"), ju64(r, "num"), jstr(r, "state"),
		       jbool(r, "enabled") ? "yes" : "no", ju64(r, "kicks"), avail, used, infl,
		       jstr(r, "broken"));
	}
}

static void print_backend(struct json_object *be)
{
	if (!be || json_object_is_type(be, json_type_null)) {
		printf("%-18s none (no [backend] interface)\n", "back-end:");
		return;
	}
	printf("%-18s %s %s, %" PRIu64 " queue pair(s), vnet header %" PRIu64
	       " bytes, batch %" PRIu64 ", budget %" PRIu64 "\n",
	       "back-end:", jstr(be, "type"), jstr(be, "interface"), ju64(be, "queue_pairs"),
	       ju64(be, "vnet_hdr_len"), ju64(be, "batch_size"), ju64(be, "budget"));
	print_string_list("offloads (can):", jget(be, "offloads_available"));
	print_string_list("offloads (active):", jget(be, "offloads_active"));
}

static void print_status(struct json_object *st)
{
	struct json_object *vu = jget(st, "vhost_user");

	printf("%-18s %s (pid %" PRIu64 ", log level %s)\n", "vuring:", jstr(st, "version"),
	       ju64(st, "pid"), jstr(st, "log_level"));
	printf("%-18s %s, %s mode on %s\n", "front-end:", jstr(vu, "state"), jstr(vu, "mode"),
	       jstr(vu, "socket"));
	print_names("features:", jget(vu, "features"));
	print_names("protocol features:", jget(vu, "protocol_features"));
	printf("%-18s %" PRIu64 "\n", "mtu:", ju64(vu, "mtu"));
	print_memory(jget(st, "memory"));
	print_backend(jget(st, "backend"));
	print_rings(jget(st, "rings"));
}

/* ---------------------------------------------------------------- commands */

/**
 * cmd_simple() - stats, status and set: one request, one answer
 * @c: connection
 * @request: the request line
 * @o: options
 * @print: prints the parsed answer for people
 *
 * Return: the exit code.
 */
static int cmd_simple(struct conn *c, const char *request, const struct opts *o,
		      void (*print)(struct json_object *))
{
	struct json_object *doc;
	char *text;

	if (conn_ask(c, request, &text) < 0)
		return EXIT_FAIL;
	if (parse_answer(text, &doc) < 0) {
		if (o->json)
			printf("%s\n", text);
		return EXIT_FAIL;
	}
	if (o->json)
		printf("%s\n", text);
	else
		print(doc);
	json_object_put(doc);
	return EXIT_OK;
}

static void print_stats(struct json_object *st)
{
	print_stats_table(st);
	print_drops(st);
}

static void print_log_level(struct json_object *st)
{
	printf("log level: %s\n", jstr(st, "log_level"));
}

/* Per-second rate of @key between two answers for the same queue. */
static double rate(struct json_object *now, struct json_object *before, const char *key,
		   double secs)
{
	uint64_t a = ju64(now, key), b = ju64(before, key);

	return a >= b && secs > 0 ? (double)(a - b) / secs : 0.0;
}

/**
 * queue_rates() - one queue's per-second rates between two answers
 * @a: the queue in the newer answer
 * @b: the same queue in the older one
 * @secs: time between the answers
 *
 * Return: a new JSON object (the caller puts it), or NULL without memory.
 */
static struct json_object *queue_rates(struct json_object *a, struct json_object *b,
				       double secs)
{
	static const char *const keys[] = { "packets", "bytes", "kicks", "calls", "batches" };
	struct json_object *r = json_object_new_object();
	double batches = rate(a, b, "batches", secs);

	if (!r)
		return NULL;
	json_object_object_add(r, "name", json_object_new_string(jstr(a, "name")));
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		json_object_object_add(r, keys[i], json_object_new_double(rate(a, b, keys[i], secs)));
	json_object_object_add(r, "avg_batch", json_object_new_double(
		batches > 0 ? rate(a, b, "batched", secs) / batches : 0.0));
	json_object_object_add(r, "drops", json_object_new_double(rate(a, b, "dropped", secs)));
	return r;
}

static double jdouble(struct json_object *o, const char *key)
{
	struct json_object *v = jget(o, key);

	return v ? json_object_get_double(v) : 0.0;
}

static void print_rates_table(struct json_object *queues)
{
	if (isatty(STDOUT_FILENO))
		printf("\033[H\033[J");
	printf("%-6s %12s %12s %10s %10s %10s %8s %10s\n", "queue", "packets/s", "Mbit/s",
	       "kicks/s", "calls/s", "batches/s", "avg", "drops/s");
	for (size_t i = 0; i < jlen(queues); i++) {
		struct json_object *q = json_object_array_get_idx(queues, i);

		printf("%-6s %12.0f %12.2f %10.0f %10.0f %10.0f %8.1f %10.0f\n",
		       jstr(q, "name"), jdouble(q, "packets"), jdouble(q, "bytes") * 8 / 1e6,
		       jdouble(q, "kicks"), jdouble(q, "calls"), jdouble(q, "batches"),
		       jdouble(q, "avg_batch"), jdouble(q, "drops"));
	}
	printf("\n");
}

/**
 * print_rates() - one refresh of "watch": each queue's rates since @prev
 * @now: this "stats" answer
 * @prev: the previous one
 * @json: one JSON object per line ({"interval": s, "queues": [...]})
 *	  instead of a table
 *
 * Return: 0, or -ENOMEM.
 */
static int print_rates(struct json_object *now, struct json_object *prev, bool json)
{
	struct json_object *qn = jget(now, "queues"), *qp = jget(prev, "queues");
	double secs = (double)(ju64(now, "monotonic_ns") - ju64(prev, "monotonic_ns")) / 1e9;
	struct json_object *out = json_object_new_object();
	struct json_object *queues = json_object_new_array();

	if (!out || !queues)
		goto oom;
	json_object_object_add(out, "interval", json_object_new_double(secs));
	json_object_object_add(out, "queues", queues);
	for (size_t i = 0; i < jlen(qn) && i < jlen(qp); i++) {
		struct json_object *r = queue_rates(json_object_array_get_idx(qn, i),
						    json_object_array_get_idx(qp, i), secs);

		if (!r)
			goto oom;
		json_object_array_add(queues, r);
	}
	if (json)
		printf("%s\n", json_object_to_json_string_ext(out, JSON_C_TO_STRING_PLAIN));
	else
		print_rates_table(queues);
	fflush(stdout);
	json_object_put(out);
	return 0;
oom:
	if (!out)
		json_object_put(queues);
	json_object_put(out);
	fprintf(stderr, "vuringctl: out of memory\n");
	return -ENOMEM;
}

/* Ask for "stats" and parse it. Return: 0 or a negative errno (reported). */
static int ask_stats(struct conn *c, struct json_object **out)
{
	char *text;
	int r = conn_ask(c, "stats", &text);

	return r < 0 ? r : parse_answer(text, out);
}

/**
 * cmd_watch() - per-queue rates once a second
 * Return: the exit code.
 */
static int cmd_watch(struct conn *c, const struct opts *o)
{
	struct json_object *prev, *now;
	const struct timespec second = { .tv_sec = 1 };
	int r = 0;

	if (ask_stats(c, &prev) < 0)
		return EXIT_FAIL;
	for (long n = 0; !o->count || n < o->count; n++) {
		nanosleep(&second, NULL);
		if (ask_stats(c, &now) < 0) {
			json_object_put(prev);
			return EXIT_FAIL;
		}
		r = print_rates(now, prev, o->json);
		json_object_put(prev);
		prev = now;
		if (r < 0)
			break;
	}
	json_object_put(prev);
	return r < 0 ? EXIT_FAIL : EXIT_OK;
}

/**
 * run() - carry out COMMAND (argv[0..argc-1]) against the daemon
 * Return: the exit code.
 */
static int run(int argc, char **argv, const struct opts *o, const char *path)
{
	char request[128];
	struct conn c;
	int ret;

	if (!strcmp(argv[0], "set")) {
		if (argc != 3 || strcmp(argv[1], "log-level")) {
			fprintf(stderr, "vuringctl: usage: set log-level LEVEL\n");
			return EXIT_USAGE;
		}
		if (strlen(argv[2]) > 32 || strpbrk(argv[2], " \t\r\n")) {
			fprintf(stderr, "vuringctl: not a log level: %s\n", argv[2]);
			return EXIT_USAGE;
		}
		snprintf(request, sizeof(request), "set log-level %s", argv[2]);
	} else if (argc == 1 && (!strcmp(argv[0], "stats") || !strcmp(argv[0], "status") ||
				 !strcmp(argv[0], "watch"))) {
		snprintf(request, sizeof(request), "%s", argv[0]);
	} else {
		fprintf(stderr, "vuringctl: unknown command '%s' (try --help)\n", argv[0]);
		return EXIT_USAGE;
	}
	if (conn_open(&c, path) < 0)
		return EXIT_FAIL;
	if (!strcmp(request, "watch"))
		ret = cmd_watch(&c, o);
	else if (!strcmp(request, "stats"))
		ret = cmd_simple(&c, request, o, print_stats);
	else if (!strcmp(request, "status"))
		ret = cmd_simple(&c, request, o, print_status);
	else
		ret = cmd_simple(&c, request, o, print_log_level);
	conn_close(&c);
	return ret;
}

static int parse_count(const char *s, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || end == s || v < 1)
		return -EINVAL;
	*out = v;
	return 0;
}

int main(int argc, char **argv)
{
	enum { OPT_VERSION = 0x100 };
	static const struct option long_options[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'j' },
		{ "count", required_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, OPT_VERSION },
		{ NULL, 0, NULL, 0 },
	};
	struct opts o = { 0 };
	char buf[256];
	const char *path;
	int c;

	signal(SIGPIPE, SIG_IGN);
	/* Options may follow the command too ("vuringctl stats --json"). */
	while ((c = getopt_long(argc, argv, "s:jn:h", long_options, NULL)) != -1) {
		switch (c) {
		case 's':
			o.socket = optarg;
			break;
		case 'j':
			o.json = true;
			break;
		case 'n':
			if (parse_count(optarg, &o.count) < 0) {
				fprintf(stderr, "vuringctl: --count: expected a positive number, got '%s'\n",
					optarg);
				return EXIT_USAGE;
			}
			break;
		case 'h':
			usage(stdout);
			return EXIT_OK;
		case OPT_VERSION:
			printf("vuringctl %s\n", PACKAGE_VERSION);
			return EXIT_OK;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	path = socket_path(o.socket, buf, sizeof(buf));
	if (!path) {
		fprintf(stderr, "vuringctl: no control socket: give -s SOCKET or set VURINGCTL_SOCKET\n");
		return EXIT_USAGE;
	}
	return run(argc - optind, argv + optind, &o, path);
}
