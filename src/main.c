// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * main.c - vuring: command line, settings, lifecycle and signals.
 *
 * vuring never daemonizes: a service manager (systemd) supervises it, and it
 * logs to stderr. SIGTERM/SIGINT end it cleanly; SIGHUP re-reads the file.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "conf.h"
#include "ctl.h"
#include "dialer.h"
#include "fdstore.h"
#include "listener.h"
#include "log.h"
#include "net.h"
#include "notify.h"
#include "privilege.h"
#include "vhost_user.h"
#include "vu_dev.h"
#include "vu_net.h"

struct cli {
	const char *config_path;
	const char *check_config_path;
	const char *socket_path;
	const char *ifname;
	const char *xdp_ifname;		/* --xdp: interface, and type = xdp */
	const char *log_level;
	int listen_fd;
	int verbose;
	int print_capabilities;
};

struct daemon {
	struct event_base *base;
	struct conf conf;
	struct cli cli;
	struct listener *listener;	/* server mode */
	struct dialer *dialer;		/* client mode */
	struct vu_dev *vdev;		/* the vhost-user device, across connections */
	struct vu_conn *conn;		/* the front-end being served, or NULL */
	struct net_dev *net;		/* the datapath; NULL without an interface */
	struct event *sig_term, *sig_int, *sig_hup;
	struct ctl *ctl;		/* control socket, or NULL */
};

enum {
	OPT_SOCKET_PATH = 0x100,
	OPT_FD,
	OPT_PRINT_CAPS,
	OPT_CONFIG,
	OPT_CHECK_CONFIG,
	OPT_TAP,
	OPT_XDP,
	OPT_LOG_LEVEL,
	OPT_VERSION,
};

static const struct option long_options[] = {
	{ "socket-path", required_argument, NULL, OPT_SOCKET_PATH },
	{ "fd", required_argument, NULL, OPT_FD },
	{ "print-capabilities", no_argument, NULL, OPT_PRINT_CAPS },
	{ "config", required_argument, NULL, OPT_CONFIG },
	{ "check-config", required_argument, NULL, OPT_CHECK_CONFIG },
	{ "tap", required_argument, NULL, OPT_TAP },
	{ "xdp", required_argument, NULL, OPT_XDP },
	{ "verbose", no_argument, NULL, 'v' },
	{ "log-level", required_argument, NULL, OPT_LOG_LEVEL },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ NULL, 0, NULL, 0 },
};

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: vuring [OPTIONS]\n"
		"vhost-user virtio-net back-end: moves a VM's frames to a TAP device.\n"
		"\n"
		"  --socket-path PATH     vhost-user socket: listen on it (client mode: dial it)\n"
		"  --fd N                 use inherited socket N (listening or connected)\n"
		"  --print-capabilities   print the back-end's capabilities as JSON and exit\n"
		"  --config FILE          read settings from the INI file FILE\n"
		"  --check-config FILE    validate FILE, print the effective settings, exit\n"
		"  --tap IFNAME           TAP interface to attach to\n"
		"  --xdp IFNAME           AF_XDP on this interface instead of a TAP\n"
		"  -v, --verbose          more log output (repeat for debug)\n"
		"  --log-level LEVEL      error, warn, info or debug\n"
		"  -h, --help             this text\n"
		"  --version              print the version and exit\n"
		"\n"
		"Command-line options override the configuration file.\n"
		"See vuring(8) and vuring.ini(5).\n");
}

/**
 * parse_fd() - parse the argument of --fd
 * Return: the fd, or -1 if @s is not a non-negative integer.
 */
static int parse_fd(const char *s)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || end == s || v < 0 || v > 65535)
		return -1;
	return (int)v;
}

/**
 * cli_parse() - read argv into @cli
 * Return: 0 to go on, 1 to exit successfully now, -1 to exit with an error.
 */
static int cli_parse(int argc, char **argv, struct cli *cli)
{
	int c;

	cli->listen_fd = -1;
	while ((c = getopt_long(argc, argv, "vh", long_options, NULL)) != -1) {
		switch (c) {
		case OPT_SOCKET_PATH:
			cli->socket_path = optarg;
			break;
		case OPT_FD:
			cli->listen_fd = parse_fd(optarg);
			if (cli->listen_fd < 0) {
				fprintf(stderr, "vuring: --fd: not a file descriptor: %s\n", optarg);
				return -1;
			}
			break;
		case OPT_PRINT_CAPS:
			cli->print_capabilities = 1;
			break;
		case OPT_CONFIG:
			cli->config_path = optarg;
			break;
		case OPT_CHECK_CONFIG:
			cli->check_config_path = optarg;
			break;
		case OPT_TAP:
			cli->ifname = optarg;
			break;
		case OPT_XDP:
			cli->xdp_ifname = optarg;
			break;
		case 'v':
			cli->verbose++;
			break;
		case OPT_LOG_LEVEL:
			if (log_level_parse(optarg) < 0) {
				fprintf(stderr, "vuring: --log-level: expected error, warn, info or debug, got '%s'\n",
					optarg);
				return -1;
			}
			cli->log_level = optarg;
			break;
		case 'h':
			usage(stdout);
			return 1;
		case OPT_VERSION:
			printf("vuring %s\n", PACKAGE_VERSION);
			return 1;
		default:
			usage(stderr);
			return -1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "vuring: unexpected argument '%s'\n", argv[optind]);
		return -1;
	}
	if (cli->ifname && cli->xdp_ifname) {
		fprintf(stderr, "vuring: --tap and --xdp exclude each other\n");
		return -1;
	}
	return 0;
}

/**
 * cli_apply() - let command-line options override the file's settings
 * Return: 0 or -ENOMEM.
 */
static int cli_apply(const struct cli *cli, struct conf *conf)
{
	if (cli->socket_path) {
		free(conf->socket_path);
		conf->socket_path = strdup(cli->socket_path);
		if (!conf->socket_path)
			return -ENOMEM;
	}
	if (cli->ifname || cli->xdp_ifname) {
		free(conf->ifname);
		conf->ifname = strdup(cli->ifname ? cli->ifname : cli->xdp_ifname);
		if (!conf->ifname)
			return -ENOMEM;
	}
	if (cli->xdp_ifname)
		conf->backend = CONF_BACKEND_XDP;
	if (cli->listen_fd >= 0)
		conf->listen_fd = cli->listen_fd;
	if (cli->log_level)
		conf->log_level = log_level_parse(cli->log_level);
	if (cli->verbose) {
		int level = conf->log_level + cli->verbose;

		conf->log_level = level > VLOG_DEBUG ? VLOG_DEBUG : level;
	}
	return 0;
}

/**
 * settings_load() - defaults, then the file (if any), then the command line
 * @cli: parsed options
 * @path: configuration file or NULL
 * @conf: filled in; freed by the caller in every case
 *
 * Return: 0, or a negative errno after the reason has been printed.
 */
static int settings_load(const struct cli *cli, const char *path, struct conf *conf)
{
	int r;

	conf_init_defaults(conf);
	if (path) {
		r = conf_load_file(conf, path);
		if (r < 0)
			return r;
	}
	r = cli_apply(cli, conf);
	if (r < 0)
		return r;
	return conf_validate(conf);
}

static void on_terminate(evutil_socket_t sig, short what, void *arg)
{
	struct daemon *d = arg;

	(void)what;
	log_info("received %s, shutting down", sig == SIGTERM ? "SIGTERM" : "SIGINT");
	fdstore_freeze();
	notify_stopping();
	event_base_loopexit(d->base, NULL);
}

/* conf_diff() callback: a changed key SIGHUP cannot apply is said, not ignored. */
static void on_reload_change(const char *section, const char *name, const char *old_text,
			     const char *new_text, bool live, void *arg)
{
	(void)arg;
	if (!live)
		log_warn("SIGHUP: [%s] %s changed ('%s' -> '%s'); it takes effect at the next start",
			 section, name, old_text, new_text);
}

/**
 * on_reload() - SIGHUP: re-read the file and apply what can change live
 *
 * A broken file is rejected as a whole and the running settings stay. Today
 * the log level is the live key; the rest takes effect on restart.
 */
static void on_reload(evutil_socket_t sig, short what, void *arg)
{
	struct daemon *d = arg;
	struct conf fresh;

	(void)sig;
	(void)what;
	notify_reloading();
	if (!d->cli.config_path) {
		log_info("SIGHUP: no configuration file to re-read");
		goto out;
	}
	if (settings_load(&d->cli, d->cli.config_path, &fresh) < 0) {
		log_error("SIGHUP: %s rejected, keeping the running configuration",
			  d->cli.config_path);
		conf_free(&fresh);
		goto out;
	}
	conf_diff(&d->conf, &fresh, on_reload_change, NULL);
	if (fresh.log_level != d->conf.log_level) {
		log_info("SIGHUP: log level %s -> %s", log_level_name(d->conf.log_level),
			 log_level_name(fresh.log_level));
		d->conf.log_level = fresh.log_level;
		log_set_level(fresh.log_level);
	} else {
		log_info("SIGHUP: configuration re-read, nothing to change live");
	}
	conf_free(&fresh);
out:
	notify_ready();
}

/*
 * The front-end went away; everything it set up is gone: wait for the next.
 * With an inherited, already connected socket (--fd) no next one can come,
 * so vuring's work is done.
 */
static void on_frontend_gone(void *arg)
{
	struct daemon *d = arg;

	d->conn = NULL;
	fdstore_session_end();
	if (d->listener && !listener_is_listening(d->listener)) {
		log_info("the front-end of the inherited connection is gone; exiting");
		notify_stopping();
		event_base_loopexit(d->base, NULL);
		return;
	}
	notify_status("waiting for a front-end");
	if (d->dialer)
		dialer_start(d->dialer);
}

/**
 * on_frontend() - a front-end connected (accepted, inherited or dialed)
 * @fd: the connection; ours
 * @arg: the daemon
 *
 * One front-end at a time: the device has one set of rings and one memory
 * table. A second connection is turned away without touching the first.
 */
static void on_frontend(int fd, void *arg)
{
	struct daemon *d = arg;

	if (d->conn) {
		d->vdev->stats.refused++;
		log_warn("refusing another front-end connection: one is already being served");
		close(fd);
		return;
	}
	if (vu_conn_new(d->base, fd, d->vdev, on_frontend_gone, d, &d->conn) < 0) {
		log_error("cannot serve the front-end: out of memory");
		d->conn = NULL;
		on_frontend_gone(d);
		return;
	}
	fdstore_session_begin(fd);
	notify_status("serving a front-end");
}

/**
 * frontend_resume() - serve again the session a previous vuring left in
 * the service manager's fd store, if there is one
 * @d: the daemon
 *
 * Return: true if a session was taken up (a failure to rebuild it breaks
 * the device, and the connection then closes like any other).
 */
static bool frontend_resume(struct daemon *d)
{
	int fd = fdstore_resume_socket();

	if (fd < 0)
		return false;
	on_frontend(fd, d);
	if (!d->conn)
		return false;
	fdstore_resume(d->vdev);
	return true;
}

/**
 * datapath_open() - open the back-end and let it serve the device's rings
 * @d: the daemon
 *
 * The TAP is opened once, before any front-end connects, and stays open
 * across connections. Without an interface vuring still speaks the protocol
 * (rings start and stop) but moves no frames: useful for protocol tests, and
 * said once in the log.
 *
 * Return: 0 or a negative errno (logged).
 */
static int datapath_open(struct daemon *d)
{
	int r;

	if (!d->conf.ifname || !d->conf.ifname[0]) {
		log_warn("no [backend] interface configured: frames will not be moved");
		return 0;
	}
	r = net_dev_new(d->base, &d->conf, &d->net);
	if (r < 0) {
		log_error("cannot open the %s back-end on %s: %s",
			  d->conf.backend == CONF_BACKEND_TAP ? "tap" : "xdp", d->conf.ifname,
			  strerror(-r));
		return r;
	}
	vu_net_attach(d->vdev, d->net);
	return 0;
}

/**
 * frontend_open() - start waiting for a front-end in the configured role
 * @d: the daemon
 *
 * Return: 0 or a negative errno (logged).
 */
static int frontend_open(struct daemon *d)
{
	int r = vu_dev_new(d->base, &d->conf, &d->vdev);
	bool resumed;

	if (r < 0) {
		log_error("cannot create the vhost-user device: %s", strerror(-r));
		return r;
	}
	r = datapath_open(d);
	if (r < 0)
		return r;
	fdstore_attach(d->vdev, d->net);
	resumed = frontend_resume(d);
	if (d->conf.socket_mode == CONF_SOCKET_CLIENT) {
		r = dialer_new(d->base, &d->conf, on_frontend, d, &d->dialer);
		if (r == 0 && !resumed)
			dialer_start(d->dialer);
		return r;
	}
	return listener_new(d->base, &d->conf, on_frontend, d, &d->listener);
}

/* Drop the front-end (if any) and stop waiting for one. */
static void frontend_close(struct daemon *d)
{
	vu_conn_free(d->conn);
	d->conn = NULL;
	dialer_free(d->dialer);
	d->dialer = NULL;
	listener_free(d->listener);
	d->listener = NULL;
	vu_dev_free(d->vdev);
	d->vdev = NULL;
	net_dev_free(d->net);
	d->net = NULL;
}

/**
 * check_config() - --check-config: validate a file and print the result
 * Return: the process exit code.
 */
static int check_config(const struct cli *cli)
{
	struct conf conf;
	int r = settings_load(cli, cli->check_config_path, &conf);

	if (r == 0) {
		conf_print(&conf, stdout);
		fprintf(stderr, "vuring: %s: configuration OK\n", cli->check_config_path);
	}
	conf_free(&conf);
	return r == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

static int daemon_add_signal(struct daemon *d, struct event **ev, int sig,
			     event_callback_fn fn)
{
	*ev = evsignal_new(d->base, sig, fn, d);
	if (!*ev || event_add(*ev, NULL) < 0)
		return -ENOMEM;
	return 0;
}

/**
 * daemon_run() - set up the loop, serve until told to stop
 * Return: the process exit code.
 */
static int daemon_run(struct daemon *d)
{
	int ret = EXIT_FAILURE;

	signal(SIGPIPE, SIG_IGN);
	d->base = event_base_new();
	if (!d->base) {
		log_error("cannot create the event loop");
		return EXIT_FAILURE;
	}
	if (daemon_add_signal(d, &d->sig_term, SIGTERM, on_terminate) < 0 ||
	    daemon_add_signal(d, &d->sig_int, SIGINT, on_terminate) < 0 ||
	    daemon_add_signal(d, &d->sig_hup, SIGHUP, on_reload) < 0) {
		log_error("cannot install signal handlers");
		goto out;
	}
	/* Before anything is opened: the fd store may hand it back. */
	if (fdstore_init() < 0) {
		log_error("out of memory");
		goto out;
	}
	if (frontend_open(d) < 0) {
		notify_status("error: cannot open the vhost-user socket");
		goto out;
	}
	if (ctl_new(d->base, &(struct ctl_sources){ &d->conf, d->vdev, d->net }, &d->ctl) < 0) {
		notify_status("error: cannot open the control socket");
		goto out;
	}
	/* Everything privileged is open: give up what serving does not need. */
	if (privilege_drop(&d->conf) < 0) {
		notify_status("error: cannot drop privileges");
		goto out;
	}
	notify_ready();
	if (!d->conn)
		notify_status("waiting for a front-end");
	if (event_base_dispatch(d->base) < 0) {
		log_error("event loop failed");
		goto out;
	}
	ret = EXIT_SUCCESS;
out:
	ctl_free(d->ctl);
	frontend_close(d);
	fdstore_close();
	if (d->sig_term)
		event_free(d->sig_term);
	if (d->sig_int)
		event_free(d->sig_int);
	if (d->sig_hup)
		event_free(d->sig_hup);
	event_base_free(d->base);
	return ret;
}

int main(int argc, char **argv)
{
	struct daemon d = { 0 };
	int r;

	r = cli_parse(argc, argv, &d.cli);
	if (r)
		return r > 0 ? EXIT_SUCCESS : EXIT_FAILURE;

	if (d.cli.print_capabilities) {
		/* QEMU's back-end program conventions: JSON on stdout, nothing else. */
		printf("{\"type\": \"net\"}\n");
		return EXIT_SUCCESS;
	}
	if (d.cli.check_config_path)
		return check_config(&d.cli);

	if (settings_load(&d.cli, d.cli.config_path, &d.conf) < 0) {
		conf_free(&d.conf);
		return EXIT_FAILURE;
	}
	log_set_level(d.conf.log_level);
	r = daemon_run(&d);
	conf_free(&d.conf);
	return r;
}
