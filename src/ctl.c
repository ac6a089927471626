// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ctl.c - the control socket (see ctl.h for the protocol).
 *
 * Clients are untrusted and may be slow or hostile, so everything is bounded
 * and nothing blocks the loop that also moves the guest's frames: requests
 * are read through non-blocking bufferevents and limited in length; answers
 * queue in the client's output buffer, and a client that lets too much pile
 * up, or sits idle, is disconnected; beyond a few clients new ones are
 * turned away with an error line. Answers are built from counters the loop
 * thread owns, so there is no locking anywhere.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "conf.h"
#include "ctl.h"
#include "ctl_report.h"
#include "json_out.h"
#include "log.h"
#include "unix_listen.h"

/* Longest request line: "set log-level debug" needs 19; room for growth. */
#define CTL_MAX_LINE 256

/*
 * Answers a client may leave unread before it is dropped. A "stats" answer
 * for 64 queue pairs is about 60 KiB, so this holds a handful of them.
 */
#define CTL_MAX_OUTPUT (1024 * 1024)

/* Concurrent clients; vuringctl needs one, monitoring a couple more. */
#define CTL_MAX_CLIENTS 16

/* A client that sends nothing (or reads nothing) for this long is dropped;
 * "vuringctl watch" asks once a second. */
#define CTL_IDLE_SECS 60

/* The socket is for the administrator: owner only. */
#define CTL_SOCKET_MODE 0600

#define CTL_BACKLOG 8

struct ctl_client {
	struct ctl *ctl;
	struct bufferevent *bev;
	struct ctl_client *prev, *next;
	bool closing;		/* answer queued; close once it is sent */
};

struct ctl {
	struct event_base *base;
	struct ctl_sources src;
	char *path;
	int fd;
	struct event *ev;
	struct ctl_client *clients;
	unsigned int nclients;
};

static void client_free(struct ctl_client *cl)
{
	struct ctl *c = cl->ctl;

	if (cl->prev)
		cl->prev->next = cl->next;
	else
		c->clients = cl->next;
	if (cl->next)
		cl->next->prev = cl->prev;
	c->nclients--;
	bufferevent_free(cl->bev);
	free(cl);
}

/**
 * client_send() - queue one answer line
 * @cl: client
 * @j: the finished document, or one that failed (then a fixed error goes)
 *
 * Return: 0, or -ENOBUFS when the client let too much output pile up (the
 * caller drops it).
 */
static int client_send(struct ctl_client *cl, struct json *j)
{
	static const char oom[] = "{\"ok\":false,\"error\":\"out of memory\"}";
	struct evbuffer *out = bufferevent_get_output(cl->bev);
	size_t len;
	const char *text = json_finish(j, &len);

	if (!text) {
		text = oom;
		len = sizeof(oom) - 1;
	}
	if (evbuffer_add(out, text, len) < 0 || evbuffer_add(out, "\n", 1) < 0)
		return -ENOMEM;
	if (evbuffer_get_length(out) > CTL_MAX_OUTPUT)
		return -ENOBUFS;
	return 0;
}

static void answer_error(struct json *j, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* {"ok":false,"error":TEXT}; TEXT may quote the client's bytes (escaped). */
static void answer_error(struct json *j, const char *fmt, ...)
{
	char text[CTL_MAX_LINE + 64];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	json_obj_begin(j);
	json_kv_bool(j, "ok", false);
	json_kv_str(j, "error", text);
	json_obj_end(j);
}

static void answer_help(struct json *j)
{
	json_obj_begin(j);
	json_kv_bool(j, "ok", true);
	json_key(j, "requests");
	json_arr_begin(j);
	json_str(j, "stats");
	json_str(j, "status");
	json_str(j, "set log-level error|warn|info|debug");
	json_str(j, "help");
	json_arr_end(j);
	json_obj_end(j);
}

/**
 * do_set_log_level() - "set log-level LEVEL": change the log level live
 * @c: control socket
 * @j: answer
 * @name: the level's name
 */
static void do_set_log_level(struct ctl *c, struct json *j, const char *name)
{
	int level = log_level_parse(name);
	enum log_level old = log_get_level();

	if (level < 0) {
		answer_error(j, "unknown log level '%s': expected error, warn, info or debug", name);
		return;
	}
	/* Said under whichever of the two levels shows info lines. */
	if (level < VLOG_INFO)
		log_info("control: log level %s -> %s", log_level_name(old), name);
	log_set_level((enum log_level)level);
	c->src.conf->log_level = level;
	if (level >= VLOG_INFO)
		log_info("control: log level %s -> %s", log_level_name(old),
			 log_level_name((enum log_level)level));
	json_obj_begin(j);
	json_kv_bool(j, "ok", true);
	json_kv_str(j, "log_level", log_level_name((enum log_level)level));
	json_obj_end(j);
}

/* Words of a request, split on blanks; at most CTL_MAX_WORDS are looked at. */
#define CTL_MAX_WORDS 4

static unsigned int split_words(char *line, char *words[CTL_MAX_WORDS])
{
	unsigned int n = 0;
	char *save = NULL;

	for (char *w = strtok_r(line, " \t", &save); w; w = strtok_r(NULL, " \t", &save)) {
		if (n == CTL_MAX_WORDS)
			return n + 1;
		words[n++] = w;
	}
	return n;
}

/**
 * ctl_dispatch() - answer one request line
 * @c: control socket
 * @j: the answer is written here
 * @line: the request, NUL-terminated, without its newline (modified)
 */
static void ctl_dispatch(struct ctl *c, struct json *j, char *line)
{
	char *w[CTL_MAX_WORDS];
	unsigned int n = split_words(line, w);

	if (n == 1 && !strcmp(w[0], "stats"))
		ctl_report_stats(j, &c->src);
	else if (n == 1 && !strcmp(w[0], "status"))
		ctl_report_status(j, &c->src);
	else if (n == 1 && !strcmp(w[0], "help"))
		answer_help(j);
	else if (n == 3 && !strcmp(w[0], "set") && !strcmp(w[1], "log-level"))
		do_set_log_level(c, j, w[2]);
	else if (n >= 1 && !strcmp(w[0], "set"))
		answer_error(j, "usage: set log-level error|warn|info|debug");
	else
		answer_error(j, "unknown request '%s'; try 'help'", n ? w[0] : "");
}

/**
 * client_request() - answer one line a client sent
 * @cl: client
 * @line: the line (may hold NUL bytes), without its newline
 * @len: its length
 *
 * Return: 0, or a negative errno when the client must be dropped.
 */
static int client_request(struct ctl_client *cl, char *line, size_t len)
{
	struct json j;
	int r;

	if (len && line[len - 1] == '\r')
		line[--len] = '\0';
	if (strspn(line, " \t") == len)
		return 0;	/* a blank line asks nothing */
	json_init(&j);
	if (memchr(line, '\0', len))
		answer_error(&j, "request contains a NUL byte");
	else
		ctl_dispatch(cl->ctl, &j, line);
	r = client_send(cl, &j);
	json_free(&j);
	return r;
}

/**
 * client_close_soon() - stop reading; close once the queued answers are out
 */
static void client_close_soon(struct ctl_client *cl)
{
	cl->closing = true;
	bufferevent_disable(cl->bev, EV_READ);
	if (!evbuffer_get_length(bufferevent_get_output(cl->bev)))
		client_free(cl);
}

/**
 * client_reject_long() - the client sent more than a request may hold
 */
static void client_reject_long(struct ctl_client *cl)
{
	struct json j;

	json_init(&j);
	answer_error(&j, "request longer than %d bytes", CTL_MAX_LINE);
	client_send(cl, &j);
	json_free(&j);
	client_close_soon(cl);
}

static void client_on_read(struct bufferevent *bev, void *arg)
{
	struct ctl_client *cl = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	size_t len;
	char *line;

	if (cl->closing)
		return;
	while ((line = evbuffer_readln(in, &len, EVBUFFER_EOL_LF))) {
		int r = len > CTL_MAX_LINE ? -EMSGSIZE : client_request(cl, line, len);

		free(line);
		if (r == -EMSGSIZE) {
			client_reject_long(cl);
			return;
		}
		if (r < 0) {
			log_debug("control: dropping a client: %s",
				  r == -ENOBUFS ? "it does not read its answers" : strerror(-r));
			client_free(cl);
			return;
		}
	}
	if (evbuffer_get_length(in) > CTL_MAX_LINE)
		client_reject_long(cl);
}

/* Output drained (low watermark 0): a closing client has its answers. */
static void client_on_write(struct bufferevent *bev, void *arg)
{
	struct ctl_client *cl = arg;

	(void)bev;
	if (cl->closing)
		client_free(cl);
}

/* EOF, error or idle timeout. After EOF the answers still go out. */
static void client_on_event(struct bufferevent *bev, short what, void *arg)
{
	struct ctl_client *cl = arg;

	(void)bev;
	if ((what & BEV_EVENT_EOF) && !(what & BEV_EVENT_ERROR) && !cl->closing) {
		client_close_soon(cl);
		return;
	}
	if (what & BEV_EVENT_TIMEOUT)
		log_debug("control: dropping an idle client");
	client_free(cl);
}

/**
 * ctl_turn_away() - too many clients: say so in one line and hang up
 *
 * The line is a few dozen bytes into a fresh socket's empty buffer, so a
 * non-blocking send cannot fall short in practice; if it does, the client
 * just sees the connection close.
 */
static void ctl_turn_away(int fd)
{
	static const char busy[] = "{\"ok\":false,\"error\":\"too many control clients\"}\n";

	if (send(fd, busy, sizeof(busy) - 1, MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
		log_debug("control: turning a client away: %s", strerror(errno));
	close(fd);
}

static void ctl_on_accept(evutil_socket_t fd, short what, void *arg)
{
	struct timeval idle = { .tv_sec = CTL_IDLE_SECS };
	struct ctl *c = arg;
	struct ctl_client *cl;
	int conn;

	(void)what;
	conn = accept4(fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (conn < 0) {
		if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
			log_warn("control: accept: %s", strerror(errno));
		return;
	}
	if (c->nclients >= CTL_MAX_CLIENTS) {
		ctl_turn_away(conn);
		return;
	}
	cl = calloc(1, sizeof(*cl));
	if (cl)
		cl->bev = bufferevent_socket_new(c->base, conn, BEV_OPT_CLOSE_ON_FREE);
	if (!cl || !cl->bev) {
		log_warn("control: out of memory for a client");
		free(cl);
		close(conn);
		return;
	}
	cl->ctl = c;
	cl->next = c->clients;
	if (c->clients)
		c->clients->prev = cl;
	c->clients = cl;
	c->nclients++;
	bufferevent_setcb(cl->bev, client_on_read, client_on_write, client_on_event, cl);
	bufferevent_set_timeouts(cl->bev, &idle, &idle);
	bufferevent_enable(cl->bev, EV_READ | EV_WRITE);
}

/**
 * ctl_new() - serve the control socket at conf->control_path
 * @base: event loop
 * @src: what to report on; copied
 * @out: the control socket, or NULL when no path is configured
 *
 * A stale socket file is replaced; a live one (another vuring) is not.
 *
 * Return: 0 or a negative errno (already logged).
 */
int ctl_new(struct event_base *base, const struct ctl_sources *src, struct ctl **out)
{
	static const struct unix_listen_opts opts = {
		.mode = CTL_SOCKET_MODE,
		.backlog = CTL_BACKLOG,
	};
	const char *path = src->conf->control_path;
	struct ctl *c;
	int r;

	*out = NULL;
	if (!path || !*path)
		return 0;
	c = calloc(1, sizeof(*c));
	if (!c || !(c->path = strdup(path))) {
		free(c);
		log_error("control socket: out of memory");
		return -ENOMEM;
	}
	c->base = base;
	c->src = *src;
	r = unix_listen(path, &opts, &c->fd);
	if (r < 0) {
		free(c->path);
		free(c);
		return r;
	}
	c->ev = event_new(base, c->fd, EV_READ | EV_PERSIST, ctl_on_accept, c);
	if (!c->ev || event_add(c->ev, NULL) < 0) {
		log_error("control socket: out of memory");
		ctl_free(c);
		return -ENOMEM;
	}
	log_info("control socket on %s", path);
	*out = c;
	return 0;
}

/**
 * ctl_free() - close every client and the socket, remove the socket file
 * @c: control socket, may be NULL
 */
void ctl_free(struct ctl *c)
{
	if (!c)
		return;
	while (c->clients)
		client_free(c->clients);
	if (c->ev)
		event_free(c->ev);
	close(c->fd);
	unlink(c->path);
	free(c->path);
	free(c);
}
