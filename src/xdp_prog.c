// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * xdp_prog.c - the XDP program in front of the AF_XDP back-end's sockets.
 *
 * program = load: vuring loads libxdp's default AF_XDP program
 * (xsk_def_xdp_prog.o, from where libxdp keeps its objects) and attaches it
 * through a BPF link that only vuring holds. The kernel detaches a link's
 * program when the last fd of the link is closed, that is when vuring ends,
 * however it ends: SIGTERM, SIGKILL, a crash. Closing needs no privilege,
 * which matters because vuring gives up every capability once it serves
 * (privilege.c) and could not detach a program attached the classic way
 * (netlink, or libxdp's pinned dispatcher). So vuring never leaves a
 * program behind, and a restart never meets a stale one of its own: there
 * is nothing to record for the next run and nothing for it to replace.
 *
 * The price: a link owns the interface's XDP hook. The kernel refuses a link
 * while another program is attached and any other program while the link
 * is. To share an interface with other XDP users, attach libxdp's
 * multi-program dispatcher with the AF_XDP program among the others
 * (xdp-loader load IFNAME xsk_def_xdp_prog.o ...) and use
 * program = existing: vuring then only puts its sockets into that
 * program's XSKMAP, at the keys of its queues, and the kernel takes them
 * out again when the sockets close.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/if_link.h>
#include <xdp/libxdp.h>

#include "log.h"
#include "xdp_prog.h"

/* libxdp's default AF_XDP program: the object, its program and its map. */
#define XSK_PROG_FILE "xsk_def_xdp_prog.o"
#define XSK_PROG_NAME "xsk_def_prog"
#define XSK_MAP_NAME "xsks_map"

/* Room for "name (id N, mode, ...)" descriptions and library messages. */
#define XDP_PROG_TEXT 192

struct xdp_prog {
	int ifindex;
	struct xdp_program *prog;	/* load: libxdp's object, loaded by us */
	struct bpf_link *link;		/* load: our hold on the interface */
	int map_fd;			/* the XSKMAP; ours to close for existing */
	unsigned int map_entries;
	char desc[XDP_PROG_TEXT];
};

/**
 * lib_print() - libxdp's and libbpf's messages, into the debug log
 *
 * Both libraries narrate (a missing bpffs, a skipped section); vuring says
 * what went wrong in its own words, so theirs are detail for -v -v.
 */
static __attribute__((format(printf, 2, 0)))
int lib_print(int level, const char *fmt, va_list ap)
{
	char text[XDP_PROG_TEXT * 2];
	size_t n;

	/* Their own debug level narrates every ELF section: too much even for -v -v. */
	if (level >= (int)LIBXDP_DEBUG || !log_enabled(VLOG_DEBUG))
		return 0;
	vsnprintf(text, sizeof(text), fmt, ap);
	n = strlen(text);
	if (n && text[n - 1] == '\n')
		text[n - 1] = '\0';
	log_debug("libxdp/libbpf: %s", text);
	return 0;
}

static __attribute__((format(printf, 2, 0)))
int libxdp_print(enum libxdp_print_level level, const char *fmt, va_list ap)
{
	return lib_print((int)level, fmt, ap);
}

static __attribute__((format(printf, 2, 0)))
int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	return lib_print((int)level, fmt, ap);
}

/**
 * xdp_prog_log_libs() - send libxdp's and libbpf's messages to our log
 */
void xdp_prog_log_libs(void)
{
	libxdp_set_print(libxdp_print);
	libbpf_set_print(libbpf_print);
}

/**
 * prog_name_by_id() - the name of loaded program @id, or "?" without the
 * privilege to look (CAP_SYS_ADMIN)
 */
static void prog_name_by_id(__u32 id, char *buf, size_t len)
{
	struct bpf_prog_info info;
	__u32 info_len = sizeof(info);
	int fd = bpf_prog_get_fd_by_id(id);

	snprintf(buf, len, "?");
	if (fd < 0)
		return;
	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(fd, &info, &info_len) == 0 && info.name[0])
		snprintf(buf, len, "%s", info.name);
	close(fd);
}

/**
 * attach_mode_name() - how the program on @ifindex runs, for the log
 */
static const char *attach_mode_name(int ifindex)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);

	if (bpf_xdp_query(ifindex, 0, &q) < 0)
		return "mode unknown";
	switch (q.attach_mode) {
	case XDP_ATTACHED_DRV:
		return "native mode";
	case XDP_ATTACHED_SKB:
		return "generic mode";
	case XDP_ATTACHED_HW:
		return "offloaded";
	case XDP_ATTACHED_MULTI:
		return "several modes";
	default:
		return "not attached";
	}
}

/**
 * explain_busy() - log what already holds @ifindex's XDP hook
 */
static void explain_busy(const char *ifname, int ifindex)
{
	char name[XDP_PROG_TEXT];
	__u32 id = 0;

	bpf_xdp_query_id(ifindex, 0, &id);
	prog_name_by_id(id, name, sizeof(name));
	log_error("%s already has an XDP program (%s, id %u) and vuring's BPF link cannot share "
		  "the hook: remove it (ip link set dev %s xdp off; xdp-loader unload %s --all), "
		  "or attach libxdp's AF_XDP program among the others and set "
		  "[xdp] program = existing", ifname, name, id, ifname, ifname);
}

/**
 * explain_load_error() - log why the AF_XDP program could not be loaded or
 * attached, in the admin's terms
 */
static void explain_load_error(const char *ifname, int ifindex, const char *what, int err)
{
	switch (err) {
	case EPERM:
	case EACCES:
		log_error("%s: %s the XDP program needs CAP_BPF and CAP_NET_ADMIN "
			  "(or root)", ifname, what);
		break;
	case EBUSY:
	case EEXIST:
		explain_busy(ifname, ifindex);
		break;
	case ERANGE:
		log_error("%s: its MTU is too large for XDP on this driver: lower it "
			  "(ip link set dev %s mtu 1500)", ifname, ifname);
		break;
	case EOPNOTSUPP:
	case EINVAL:
		log_error("%s: %s the XDP program: %s (does the driver or kernel support XDP?)",
			  ifname, what, strerror(err));
		break;
	default:
		log_error("%s: %s the XDP program: %s", ifname, what, strerror(err));
	}
}

/**
 * load_default() - load libxdp's AF_XDP program and link it to @ifindex
 * @p: filled in
 * @ifname: for messages
 * @queues: the XSKMAP must have a key for every interface queue we use
 *
 * Return: 0 or a negative errno (logged).
 */
static int load_default(struct xdp_prog *p, const char *ifname, unsigned int queues)
{
	struct bpf_object *obj;
	struct bpf_program *bp;
	struct bpf_map *map;
	__u32 id = 0;
	int r;

	p->prog = xdp_program__find_file(XSK_PROG_FILE, NULL, NULL);
	r = (int)libxdp_get_error(p->prog);
	if (r) {
		p->prog = NULL;
		log_error("cannot open libxdp's AF_XDP program " XSK_PROG_FILE ": %s "
			  "(installed by libxdp1; " XDP_OBJECT_ENVVAR " names other places)",
			  strerror(-r));
		return r;
	}
	obj = xdp_program__bpf_obj(p->prog);
	map = obj ? bpf_object__find_map_by_name(obj, XSK_MAP_NAME) : NULL;
	bp = obj ? bpf_object__find_program_by_name(obj, XSK_PROG_NAME) : NULL;
	if (!map || !bp) {
		log_error(XSK_PROG_FILE " lacks " XSK_PROG_NAME " or " XSK_MAP_NAME
			  ": not libxdp's AF_XDP program");
		return -ENOENT;
	}
	if (bpf_map__max_entries(map) < queues && bpf_map__set_max_entries(map, queues) < 0)
		return -EINVAL;
	r = bpf_object__load(obj);
	if (r < 0) {
		explain_load_error(ifname, p->ifindex, "loading", -r);
		return r;
	}
	p->link = bpf_program__attach_xdp(bp, p->ifindex);
	if (!p->link) {
		r = -errno;
		explain_load_error(ifname, p->ifindex, "attaching", -r);
		return r;
	}
	p->map_fd = bpf_map__fd(map);
	p->map_entries = bpf_map__max_entries(map);
	bpf_xdp_query_id(p->ifindex, 0, &id);
	snprintf(p->desc, sizeof(p->desc),
		 "libxdp's " XSK_PROG_NAME " (id %u, %s), attached by vuring through a BPF link",
		 id, attach_mode_name(p->ifindex));
	return 0;
}

/**
 * find_xskmap() - the first XSKMAP program @prog_fd uses
 * @prog_fd: the program
 * @entries: its max_entries
 * @name: its name, at least BPF_OBJ_NAME_LEN bytes
 *
 * Return: a new fd for the map, -ENOENT if there is none, or a negative
 * errno (-EPERM without CAP_SYS_ADMIN).
 */
static int find_xskmap(int prog_fd, unsigned int *entries, char *name)
{
	struct bpf_prog_info info;
	struct bpf_map_info mi;
	__u32 len = sizeof(info), ids[64], i;
	int fd;

	memset(&info, 0, sizeof(info));
	info.nr_map_ids = sizeof(ids) / sizeof(ids[0]);
	info.map_ids = (__u64)(unsigned long)ids;
	if (bpf_obj_get_info_by_fd(prog_fd, &info, &len) < 0)
		return -errno;
	for (i = 0; i < info.nr_map_ids && i < sizeof(ids) / sizeof(ids[0]); i++) {
		fd = bpf_map_get_fd_by_id(ids[i]);
		if (fd < 0)
			return -errno;
		len = sizeof(mi);
		memset(&mi, 0, sizeof(mi));
		if (bpf_obj_get_info_by_fd(fd, &mi, &len) == 0 && mi.type == BPF_MAP_TYPE_XSKMAP) {
			*entries = mi.max_entries;
			memcpy(name, mi.name, sizeof(mi.name));
			return fd;
		}
		close(fd);
	}
	return -ENOENT;
}

/**
 * next_candidate() - the next program of @mp that may hold the XSKMAP
 *
 * With libxdp's dispatcher the XSKMAP belongs to one of its component
 * programs (libxdp finds them through bpffs); otherwise to the program
 * itself.
 *
 * Return: the program after @prev (NULL: the first), or NULL.
 */
static struct xdp_program *next_candidate(const struct xdp_multiprog *mp,
					  const struct xdp_program *prev)
{
	if (xdp_multiprog__is_legacy(mp))
		return prev ? NULL : xdp_multiprog__main_prog(mp);
	return xdp_multiprog__next_prog(prev, mp);
}

/**
 * use_existing() - find the XSKMAP of a program already on @ifindex
 * Return: 0 or a negative errno (logged).
 */
static int use_existing(struct xdp_prog *p, const char *ifname)
{
	struct xdp_multiprog *mp = xdp_multiprog__get_from_ifindex(p->ifindex);
	struct xdp_program *prog;
	char map_name[BPF_OBJ_NAME_LEN];
	int r = -ENOENT;

	if (!mp || libxdp_get_error(mp)) {
		log_error("[xdp] program = existing, but %s has no XDP program: attach one with an "
			  "XSKMAP (xdp-loader load %s xsk_def_xdp_prog.o), or set program = load",
			  ifname, ifname);
		return -ENOENT;
	}
	for (prog = next_candidate(mp, NULL); prog && r == -ENOENT;
	     prog = next_candidate(mp, prog)) {
		r = find_xskmap(xdp_program__fd(prog), &p->map_entries, map_name);
		if (r >= 0) {
			p->map_fd = r;
			snprintf(p->desc, sizeof(p->desc),
				 "XSKMAP %s of %s (id %u, %s), attached by someone else",
				 map_name, xdp_program__name(prog), xdp_program__id(prog),
				 attach_mode_name(p->ifindex));
		}
	}
	xdp_multiprog__close(mp);
	if (r == -EPERM)
		log_error("%s: looking into its XDP program needs CAP_SYS_ADMIN (or root)", ifname);
	else if (r == -ENOENT)
		log_error("[xdp] program = existing, but no XDP program on %s has an XSKMAP to "
			  "redirect frames to AF_XDP sockets (libxdp's dispatcher needs bpffs at "
			  "/sys/fs/bpf to show its programs)", ifname);
	else if (r < 0)
		log_error("%s: cannot inspect its XDP program: %s", ifname, strerror(-r));
	return r < 0 ? r : 0;
}

/**
 * xdp_prog_open() - attach the AF_XDP program, or find the one attached
 * @conf: [xdp] program, [backend] interface
 * @ifindex: the interface
 * @queues: highest interface queue used + 1
 * @ret: the program
 *
 * Return: 0, or a negative errno after a message saying why.
 */
int xdp_prog_open(const struct conf *conf, int ifindex, unsigned int queues,
		  struct xdp_prog **ret)
{
	struct xdp_prog *p = calloc(1, sizeof(*p));
	int r;

	if (!p)
		return -ENOMEM;
	p->ifindex = ifindex;
	p->map_fd = -1;
	if (conf->xdp_program == CONF_XDP_EXISTING)
		r = use_existing(p, conf->ifname);
	else
		r = load_default(p, conf->ifname, queues);
	if (r == 0 && p->map_entries < queues) {
		log_error("%s: the XSKMAP has %u entries, too few for interface queue %u",
			  conf->ifname, p->map_entries, queues - 1);
		r = -ERANGE;
	}
	if (r < 0) {
		xdp_prog_close(p);
		return r;
	}
	*ret = p;
	return 0;
}

/**
 * xdp_prog_add_socket() - steer interface queue @queue to AF_XDP socket @xsk_fd
 * Return: 0 or a negative errno (logged).
 */
int xdp_prog_add_socket(struct xdp_prog *p, unsigned int queue, int xsk_fd)
{
	if (bpf_map_update_elem(p->map_fd, &queue, &xsk_fd, 0) < 0) {
		int err = errno;

		log_error("cannot add the AF_XDP socket of queue %u to the XSKMAP: %s",
			  queue, strerror(err));
		return -err;
	}
	return 0;
}

/**
 * xdp_prog_describe() - one line about the program, for the log
 */
const char *xdp_prog_describe(const struct xdp_prog *p)
{
	return p->desc;
}

/**
 * xdp_prog_close() - let go of the program; NULL is fine
 *
 * Destroying our link detaches the program we attached; a program someone
 * else attached stays, and the kernel removes our sockets from its map as
 * they close. Only close() calls: safe after privileges are dropped.
 */
void xdp_prog_close(struct xdp_prog *p)
{
	if (!p)
		return;
	if (p->link)
		bpf_link__destroy(p->link);
	if (p->prog)
		xdp_program__close(p->prog);
	else if (p->map_fd >= 0)
		close(p->map_fd);
	free(p);
}
