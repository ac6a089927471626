/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * conf.h - vuring's settings: defaults, INI file (libinih), command line.
 *
 * (Named conf.h because config.h is autoconf's.)
 */
#ifndef VURING_CONF_H
#define VURING_CONF_H

#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>

enum conf_socket_mode {
	CONF_SOCKET_SERVER,	/* we listen, the front-end dials (QEMU reconnect=) */
	CONF_SOCKET_CLIENT,	/* the front-end listens (QEMU server=on), we dial */
};

enum conf_backend_type {
	CONF_BACKEND_TAP,
	CONF_BACKEND_XDP,
};

enum conf_xdp_mode {
	CONF_XDP_AUTO,		/* zero-copy where the driver can, else copy */
	CONF_XDP_ZEROCOPY,	/* zero-copy or fail */
	CONF_XDP_COPY,		/* always copy */
};

enum conf_xdp_program {
	CONF_XDP_LOAD,		/* vuring attaches libxdp's AF_XDP program */
	CONF_XDP_EXISTING,	/* use the XSKMAP of a program already attached */
};

enum conf_seccomp {
	CONF_SECCOMP_NO,	/* no syscall filter */
	CONF_SECCOMP_YES,	/* a syscall outside the list kills vuring */
	CONF_SECCOMP_LOG,	/* ... is only logged by the kernel (debugging) */
};

struct conf {
	/* [vhost-user] */
	char *socket_path;
	enum conf_socket_mode socket_mode;
	unsigned int reconnect_ms;	/* first client-mode redial delay */
	unsigned int reconnect_max_ms;	/* cap of the exponential backoff */
	unsigned int socket_perm;	/* octal mode of the listening socket file */
	char *socket_group;		/* group owning the socket file, or NULL */
	int listen_fd;			/* --fd: inherited socket, or -1 */

	/* [backend] */
	enum conf_backend_type backend;
	char *ifname;			/* TAP (or XDP) interface */
	bool create_tap;		/* create the TAP if it does not exist */
	unsigned int queue_pairs;	/* 1..64 */
	unsigned int mtu;		/* 0 = leave the interface's MTU alone */
	bool offload_csum;
	bool offload_tso;
	bool offload_ufo;
	bool offload_ecn;
	bool mrg_rxbuf;
	bool event_idx;
	bool indirect_desc;

	/* [xdp] */
	unsigned int xdp_queue;		/* interface queue of queue pair 0 */
	enum conf_xdp_mode xdp_mode;
	unsigned int xdp_umem_frames;	/* UMEM frames per queue pair */
	unsigned int xdp_frame_size;	/* bytes per UMEM frame */
	enum conf_xdp_program xdp_program;

	/* [datapath] */
	unsigned int batch_size;	/* chains per io_uring submission */
	unsigned int uring_entries;	/* io_uring SQ size */
	unsigned int budget;		/* frames per queue per callback */
	unsigned int coalesce_frames;	/* 0 = call the guest once per batch */
	unsigned int coalesce_usecs;	/* 0 = no timer-based coalescing */

	/* [log] */
	int log_level;			/* enum log_level */

	/* [control] */
	char *control_path;		/* stats/control socket, NULL = none */

	/* [security] */
	char *run_user;			/* user to switch to after setup, or NULL */
	char *run_group;		/* its group; NULL = the user's primary group */
	enum conf_seccomp seccomp;
	bool uring_restrict;		/* IORING_REGISTER_RESTRICTIONS on the ring */

	/* Not a key: the file these settings came from, for messages. */
	char *source;
};

void conf_init_defaults(struct conf *conf);
void conf_free(struct conf *conf);
int conf_load_file(struct conf *conf, const char *path);
int conf_validate(const struct conf *conf);
void conf_print(const struct conf *conf, FILE *out);
void conf_set_error_stream(FILE *err);

/*
 * conf_diff() calls @fn once for each key whose value differs between @old
 * and @new, in table order, with both values written as in a file ("" for
 * none). @live says whether the daemon applies that key on SIGHUP; the
 * others take effect at the next start.
 */
typedef void (*conf_change_fn)(const char *section, const char *name,
			       const char *old_text, const char *new_text,
			       bool live, void *arg);
void conf_diff(const struct conf *old, const struct conf *new,
	       conf_change_fn fn, void *arg);

#endif
