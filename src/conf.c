// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * conf.c - vuring's settings: the table of keys, defaults, cross-key
 * validation and printing. Reading INI files is in conf_load.c.
 *
 * Every key is one row of conf_keys[]; nothing else in the program lists the
 * keys, so a new key is one new row (plus its documentation).
 */
#include "config.h"

#include <errno.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>

#include "conf_key.h"
#include "log.h"

/* Longest socket path bind() and connect() accept. */
#define SOCKET_PATH_MAX (sizeof(((struct sockaddr_un *)0)->sun_path) - 1)
/* Longest interface name the kernel accepts. */
#define IFNAME_MAX (IFNAMSIZ - 1)
/* Longest group name groupadd(8) creates. */
#define GROUP_NAME_MAX 32
/* Longest user name useradd(8) creates. */
#define USER_NAME_MAX 32
/* One loop thread serves every queue; far more pairs than CPUs only costs
 * memory (each pair pins two rings and their in-flight buffers). */
#define QUEUE_PAIRS_MAX 64
/* RFC 791: every IPv4 link carries 68-byte datagrams; 65535 is the largest
 * IP packet and the kernel's ETH_MAX_MTU. */
#define MTU_MIN 68
#define MTU_MAX 65535
/* The kernel's IORING_MAX_ENTRIES. */
#define URING_ENTRIES_MAX 32768
/* Redialing faster than this is a busy loop against a front-end that is gone. */
#define RECONNECT_MIN_MS 10
/* rtnetlink refuses interfaces with more than 4096 queues. */
#define XDP_QUEUE_MAX 4095
/* UMEM frames per queue pair: half receive, half send; each half is an
 * AF_XDP ring, which needs a power of two, and 32 frames is the kernel's
 * copy-mode send batch. */
#define XDP_UMEM_FRAMES_MIN 64
#define XDP_UMEM_FRAMES_MAX 65536
/* An aligned UMEM's frames are powers of two from 2048 to a page. */
#define XDP_FRAME_SIZE_MIN 2048
#define XDP_FRAME_SIZE_MAX 4096

/* offsetof(struct conf, f), refusing to compile unless the field has type t:
 * the value code stores through a pointer of that type. */
#define FIELD(f, t) \
	(offsetof(struct conf, f) + \
	 0 * sizeof(char[__builtin_types_compatible_p(__typeof__(((struct conf *)0)->f), t) ? 1 : -1]))
/* Enums are stored through an int pointer. */
#define ENUM_FIELD(f) \
	(offsetof(struct conf, f) + \
	 0 * sizeof(char[sizeof(((struct conf *)0)->f) == sizeof(int) ? 1 : -1]))

#define NUM(sec, key, ty, fl, lo, hi, fld, dflt, text) \
	{ .section = sec, .name = key, .type = ty, .flags = fl, .min = lo, .max = hi, \
	  .offset = FIELD(fld, unsigned int), .def = dflt, .help = text }
#define BOOLEAN(sec, key, fld, dflt, text) \
	{ .section = sec, .name = key, .type = CONF_BOOL, \
	  .offset = FIELD(fld, bool), .def = dflt, .help = text }
#define ENUMERATED(sec, key, list, fld, dflt, text) \
	{ .section = sec, .name = key, .type = CONF_ENUM, .names = list, \
	  .offset = ENUM_FIELD(fld), .def = dflt, .help = text }
#define LIVE_ENUMERATED(sec, key, list, fld, dflt, text) \
	{ .section = sec, .name = key, .type = CONF_ENUM, .flags = CONF_LIVE, \
	  .names = list, .offset = ENUM_FIELD(fld), .def = dflt, .help = text }
#define STRING(sec, key, maxlen, fld, text) \
	{ .section = sec, .name = key, .type = CONF_STR, .max = maxlen, \
	  .offset = FIELD(fld, char *), .def = "", .help = text }
#define IFNAME(sec, key, fld, text) \
	{ .section = sec, .name = key, .type = CONF_STR, .flags = CONF_IFNAME, \
	  .max = IFNAME_MAX, .offset = FIELD(fld, char *), .def = "", .help = text }

/* Indexed by enum conf_socket_mode, conf_backend_type, conf_seccomp, log_level. */
static const char *const socket_modes[] = { "server", "client", NULL };
static const char *const backend_types[] = { "tap", "xdp", NULL };
/* Indexed by enum conf_xdp_mode, enum conf_xdp_program. */
static const char *const xdp_modes[] = { "auto", "zero-copy", "copy", NULL };
static const char *const xdp_programs[] = { "load", "existing", NULL };
static const char *const seccomp_modes[] = {
	[CONF_SECCOMP_NO] = "no", [CONF_SECCOMP_YES] = "yes", [CONF_SECCOMP_LOG] = "log", NULL
};
static const char *const log_levels[] = {
	[VLOG_ERROR] = "error", [VLOG_WARN] = "warn",
	[VLOG_INFO] = "info", [VLOG_DEBUG] = "debug", NULL
};

/*
 * The keys, in the order --check-config prints them. Defaults are written as
 * in the file and go through the same parser, so a default outside its own
 * range cannot slip in (test_conf checks every one).
 */
const struct conf_key conf_keys[] = {
	STRING("vhost-user", "path", SOCKET_PATH_MAX, socket_path,
	       "vhost-user unix socket: where vuring listens (server) or connects (client)"),
	ENUMERATED("vhost-user", "mode", socket_modes, socket_mode, "server",
		   "server: vuring listens, the front-end connects; client: the reverse"),
	/* One second: QEMU restarts in about that long. */
	NUM("vhost-user", "reconnect-ms", CONF_UINT, 0, RECONNECT_MIN_MS, 60000,
	    reconnect_ms, "1000",
	    "client mode: milliseconds before the first redial of a lost front-end"),
	/* The delay doubles up to 30 s: a VM that is down for long costs nothing. */
	NUM("vhost-user", "reconnect-max-ms", CONF_UINT, 0, RECONNECT_MIN_MS, 600000,
	    reconnect_max_ms, "30000",
	    "client mode: the redial delay doubles up to this many milliseconds"),
	/* Owner only: give the group access explicitly with socket-group. */
	NUM("vhost-user", "socket-mode", CONF_OCTAL, 0, 0, 0777, socket_perm, "0600",
	    "server mode: permissions of the socket file vuring creates"),
	STRING("vhost-user", "socket-group", GROUP_NAME_MAX, socket_group,
	       "server mode: group owning the socket file; empty keeps vuring's own"),

	ENUMERATED("backend", "type", backend_types, backend, "tap",
		   "tap: a TAP device through io_uring; xdp: an AF_XDP socket on a NIC"),
	IFNAME("backend", "interface", ifname,
	       "interface to attach to; empty with create = yes lets the kernel name a new TAP"),
	BOOLEAN("backend", "create", create_tap, "yes",
		"tap: create the TAP device when it does not exist (needs CAP_NET_ADMIN)"),
	NUM("backend", "queue-pairs", CONF_UINT, 0, 1, QUEUE_PAIRS_MAX, queue_pairs, "1",
	    "virtqueue pairs (one RX, one TX) offered to the front-end; one TAP queue each"),
	NUM("backend", "mtu", CONF_UINT, CONF_ZERO_OK, MTU_MIN, MTU_MAX, mtu, "0",
	    "MTU to set on the interface; 0 leaves it alone"),
	BOOLEAN("backend", "offload-csum", offload_csum, "yes",
		"offer checksum offload (VIRTIO_NET_F_CSUM, VIRTIO_NET_F_GUEST_CSUM)"),
	BOOLEAN("backend", "offload-tso", offload_tso, "yes",
		"offer TCP segmentation offload, IPv4 and IPv6 (needs offload-csum)"),
	/* Off: Linux stopped generating UFO in 4.14; it accepts it for old guests only. */
	BOOLEAN("backend", "offload-ufo", offload_ufo, "no",
		"offer UDP fragmentation offload (needs offload-csum)"),
	BOOLEAN("backend", "offload-ecn", offload_ecn, "yes",
		"offer TCP segmentation with ECN (needs offload-tso)"),
	BOOLEAN("backend", "mrg-rxbuf", mrg_rxbuf, "yes",
		"offer mergeable receive buffers (VIRTIO_NET_F_MRG_RXBUF)"),
	BOOLEAN("backend", "event-idx", event_idx, "yes",
		"offer notification suppression (VIRTIO_RING_F_EVENT_IDX)"),
	BOOLEAN("backend", "indirect-desc", indirect_desc, "yes",
		"offer indirect descriptor tables (VIRTIO_RING_F_INDIRECT_DESC)"),

	NUM("xdp", "queue", CONF_UINT, 0, 0, XDP_QUEUE_MAX, xdp_queue, "0",
	    "interface queue of queue pair 0; pair N uses queue + N"),
	ENUMERATED("xdp", "mode", xdp_modes, xdp_mode, "auto",
		   "auto: zero-copy where the driver supports it, else copy"),
	/* 2048 frames each way: AF_XDP's customary ring size, 16 MiB a pair. */
	NUM("xdp", "umem-frames", CONF_POW2, 0, XDP_UMEM_FRAMES_MIN, XDP_UMEM_FRAMES_MAX,
	    xdp_umem_frames, "4096",
	    "UMEM frames per queue pair, half for receiving and half for sending"),
	/* A page: frames up to 3.8 KB (MTU 3800) fit after the kernel's headroom. */
	NUM("xdp", "frame-size", CONF_POW2, 0, XDP_FRAME_SIZE_MIN, XDP_FRAME_SIZE_MAX,
	    xdp_frame_size, "4096",
	    "bytes per UMEM frame; 2048 fits MTU 1500 in half the memory"),
	ENUMERATED("xdp", "program", xdp_programs, xdp_program, "load",
		   "load: attach libxdp's AF_XDP program; existing: use the XSKMAP already there"),

	/* 64, like vhost-net's VHOST_NET_BATCH: past that a batch saves no
	 * further syscalls and only delays the first frame. */
	NUM("datapath", "batch-size", CONF_UINT, 0, 1, 256, batch_size, "64",
	    "most frames per io_uring submission"),
	/* Room for a full batch on every queue of a few queue pairs. */
	NUM("datapath", "uring-entries", CONF_POW2, 0, 8, URING_ENTRIES_MAX, uring_entries, "256",
	    "io_uring submission queue entries"),
	/* 256 frames, like vhost-net's VHOST_NET_PKT_WEIGHT. */
	NUM("datapath", "budget", CONF_UINT, 0, 1, 4096, budget, "256",
	    "most frames one queue moves per wake-up before the others get a turn"),
	NUM("datapath", "coalesce-frames", CONF_UINT, 0, 0, 4096, coalesce_frames, "0",
	    "notify the guest at the latest after this many frames; 0 = once per batch"),
	/* 100 ms: any longer and TCP sees the delay as loss. */
	NUM("datapath", "coalesce-usecs", CONF_UINT, 0, 0, 100000, coalesce_usecs, "0",
	    "hold a guest notification up to this many microseconds; 0 = do not wait"),

	LIVE_ENUMERATED("log", "level", log_levels, log_level, "info",
		   "least severe messages logged"),

	STRING("control", "path", SOCKET_PATH_MAX, control_path,
	       "unix socket for statistics and control (vuringctl); empty = none"),

	/* Empty: a default user would have to exist on every system. */
	STRING("security", "user", USER_NAME_MAX, run_user,
	       "once the TAP and the socket are open, run as this user; empty = stay"),
	STRING("security", "group", GROUP_NAME_MAX, run_group,
	       "with user: run as this group; empty = the user's primary group"),
	/* On: vuring's syscalls are few and known (src/seccomp_filter.c). */
	ENUMERATED("security", "seccomp", seccomp_modes, seccomp, "yes",
		   "syscall filter: yes kills vuring on any other syscall, log only logs it"),
	BOOLEAN("security", "uring-restrict", uring_restrict, "yes",
		"limit the io_uring to vuring's operations on registered files"),
};

const size_t conf_nkeys = sizeof(conf_keys) / sizeof(conf_keys[0]);

static FILE *err_stream;

/**
 * conf_set_error_stream() - where configuration errors are written
 * @err: the stream, or NULL for stderr (the default)
 *
 * Configuration errors are diagnostics about a file ("vuring: FILE:LINE:
 * ..."), not daemon events, so they bypass the log and its level. Tests point
 * this at a buffer to compare messages with golden files.
 */
void conf_set_error_stream(FILE *err)
{
	err_stream = err;
}

FILE *conf_err_stream(void)
{
	return err_stream ? err_stream : stderr;
}

/**
 * conf_key_find() - look a key up by section and name (exact match)
 * Return: the descriptor, or NULL.
 */
const struct conf_key *conf_key_find(const char *section, const char *name)
{
	for (size_t i = 0; i < conf_nkeys; i++)
		if (!strcmp(conf_keys[i].section, section) && !strcmp(conf_keys[i].name, name))
			return &conf_keys[i];
	return NULL;
}

bool conf_section_exists(const char *section)
{
	for (size_t i = 0; i < conf_nkeys; i++)
		if (!strcmp(conf_keys[i].section, section))
			return true;
	return false;
}

/**
 * conf_init_defaults() - fill @conf with every key's default
 *
 * A default that does not parse is a bug in the table, caught by test_conf;
 * abort rather than run with a setting nobody chose.
 */
void conf_init_defaults(struct conf *conf)
{
	char why[CONF_MSG_MAX];
	union conf_value v;

	memset(conf, 0, sizeof(*conf));
	conf->listen_fd = -1;
	for (size_t i = 0; i < conf_nkeys; i++) {
		const struct conf_key *k = &conf_keys[i];

		if (conf_value_parse(k, k->def, &v, why, sizeof(why)) < 0 ||
		    conf_value_set(conf, k, &v) < 0) {
			fprintf(stderr, "vuring: bug: default of [%s] %s: %s\n",
				k->section, k->name, why);
			abort();
		}
	}
}

/**
 * conf_free() - free the strings of @conf (not @conf itself)
 */
void conf_free(struct conf *conf)
{
	static const union conf_value none = { .s = NULL };

	for (size_t i = 0; i < conf_nkeys; i++)
		if (conf_keys[i].type == CONF_STR)
			conf_value_set(conf, &conf_keys[i], &none);
	free(conf->source);
	conf->source = NULL;
}

/* Print one validation error, prefixed by the file the settings came from. */
static __attribute__((format(printf, 2, 3)))
void invalid(const struct conf *conf, const char *fmt, ...)
{
	FILE *out = conf_err_stream();
	va_list ap;

	fputs("vuring: ", out);
	if (conf->source)
		fprintf(out, "%s: ", conf->source);
	va_start(ap, fmt);
	vfprintf(out, fmt, ap);
	va_end(ap);
	fputc('\n', out);
}

/**
 * check_each_key() - every value within its key's range
 *
 * Values read from a file were checked on the way in; this catches the ones
 * the command line set (a socket path too long, an interface name too long).
 *
 * Return: the number of errors printed.
 */
static int check_each_key(const struct conf *conf)
{
	char why[CONF_MSG_MAX], text[CONF_MSG_MAX];
	union conf_value v;
	int errors = 0;

	for (size_t i = 0; i < conf_nkeys; i++) {
		const struct conf_key *k = &conf_keys[i];

		conf_value_get(conf, k, &v);
		if (conf_value_check(k, &v, why, sizeof(why)) == 0)
			continue;
		conf_value_format(k, &v, text, sizeof(text));
		invalid(conf, "[%s] %s = %s: %s", k->section, k->name, text, why);
		errors++;
	}
	return errors;
}

/**
 * check_cross_keys() - rules that tie keys together
 * Return: the number of errors printed.
 */
static int check_cross_keys(const struct conf *conf)
{
	int errors = 0;

#define RULE(bad, ...) do { if (bad) { invalid(conf, __VA_ARGS__); errors++; } } while (0)
	RULE(conf->reconnect_max_ms < conf->reconnect_ms,
	     "[vhost-user] reconnect-max-ms = %u is below reconnect-ms = %u",
	     conf->reconnect_max_ms, conf->reconnect_ms);
	RULE(conf->socket_mode == CONF_SOCKET_CLIENT && !conf->socket_path,
	     "[vhost-user] mode = client needs a socket to connect to: set path or --socket-path");
	RULE(conf->socket_mode == CONF_SOCKET_CLIENT && conf->listen_fd >= 0,
	     "[vhost-user] mode = client connects by itself: --fd is for server mode");
	RULE(conf->backend == CONF_BACKEND_XDP && !conf->ifname,
	     "[backend] type = xdp needs an existing interface: set interface or --xdp");
	RULE(conf->backend == CONF_BACKEND_XDP &&
	     conf->xdp_queue + conf->queue_pairs - 1 > XDP_QUEUE_MAX,
	     "[xdp] queue = %u with queue-pairs = %u needs queues past %u, the most an interface has",
	     conf->xdp_queue, conf->queue_pairs, XDP_QUEUE_MAX);
#ifndef HAVE_XDP
	RULE(conf->backend == CONF_BACKEND_XDP,
	     "[backend] type = xdp: this vuring was built without AF_XDP (configure --enable-xdp)");
#endif
	RULE(conf->backend == CONF_BACKEND_TAP && !conf->create_tap && !conf->ifname,
	     "[backend] create = no needs the name of an existing TAP: set interface or --tap");
	RULE(conf->offload_tso && !conf->offload_csum,
	     "[backend] offload-tso = yes needs offload-csum = yes (virtio: TSO implies checksum offload)");
	RULE(conf->offload_ufo && !conf->offload_csum,
	     "[backend] offload-ufo = yes needs offload-csum = yes (virtio: UFO implies checksum offload)");
	RULE(conf->offload_ecn && !conf->offload_tso,
	     "[backend] offload-ecn = yes needs offload-tso = yes (virtio: ECN applies to TSO)");
	RULE(conf->batch_size > conf->uring_entries,
	     "[datapath] batch-size = %u exceeds uring-entries = %u: a batch must fit the ring",
	     conf->batch_size, conf->uring_entries);
	RULE(conf->run_group && !conf->run_user,
	     "[security] group = %s needs user: vuring changes group only with its user",
	     conf->run_group);
	RULE(conf->budget < conf->batch_size,
	     "[datapath] budget = %u is below batch-size = %u: no batch could ever fill",
	     conf->budget, conf->batch_size);
#undef RULE
	return errors;
}

/**
 * conf_validate() - check @conf as a whole, after the file and the command line
 *
 * Prints one line per problem ("vuring: FILE: ...") to the error stream.
 *
 * Return: 0, or -EINVAL if anything was wrong.
 */
int conf_validate(const struct conf *conf)
{
	int errors = check_each_key(conf);

	errors += check_cross_keys(conf);
	return errors ? -EINVAL : 0;
}

/**
 * conf_print() - write @conf as an INI file that reads back to the same settings
 * @conf: settings
 * @out: stream
 *
 * Each key comes with its meaning, what it allows and its default as a
 * comment, so `vuring --check-config` output is a complete reference too.
 */
void conf_print(const struct conf *conf, FILE *out)
{
	char text[CONF_MSG_MAX], allowed[CONF_MSG_MAX];
	const char *section = "";
	union conf_value v;

	fprintf(out, "# Effective vuring settings; valid input for --config.\n");
	for (size_t i = 0; i < conf_nkeys; i++) {
		const struct conf_key *k = &conf_keys[i];

		if (strcmp(k->section, section)) {
			section = k->section;
			fprintf(out, "\n[%s]\n", section);
		}
		conf_value_allowed(k, allowed, sizeof(allowed));
		fprintf(out, "# %s\n# (%s; default: %s)\n", k->help, allowed,
			k->def[0] ? k->def : "none");
		conf_value_get(conf, k, &v);
		conf_value_format(k, &v, text, sizeof(text));
		fprintf(out, "%s =%s%s\n", k->name, text[0] ? " " : "", text);
	}
}

/**
 * conf_diff() - report each key that differs between @old and @new
 * @old: running settings
 * @new: freshly loaded settings
 * @fn: called per changed key (see conf.h)
 * @arg: passed to @fn
 *
 * Lets SIGHUP apply what can change live and say what needs a restart.
 */
void conf_diff(const struct conf *old, const struct conf *new,
	       conf_change_fn fn, void *arg)
{
	char a[CONF_MSG_MAX], b[CONF_MSG_MAX];
	union conf_value v;

	for (size_t i = 0; i < conf_nkeys; i++) {
		const struct conf_key *k = &conf_keys[i];

		conf_value_get(old, k, &v);
		conf_value_format(k, &v, a, sizeof(a));
		conf_value_get(new, k, &v);
		conf_value_format(k, &v, b, sizeof(b));
		if (strcmp(a, b))
			fn(k->section, k->name, a, b, k->flags & CONF_LIVE, arg);
	}
}
