// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * privilege.c - least privilege once vuring serves.
 *
 * Everything that needs root is done first, in main.c's setup: the TAP
 * (TUNSETIFF, MTU, link up), the vhost-user socket (bind, its owner and
 * mode), the io_uring instance (created restricted, see uring.c). Then,
 * before the first message of a front-end is read, privilege_drop():
 *
 *  1. resolves [security] user and group (NSS may load libraries: before
 *     the filter);
 *  2. sets PR_SET_NO_NEW_PRIVS: vuring never executes anything, and nothing
 *     it could execute would gain privileges;
 *  3. empties the capability bounding set and the ambient set;
 *  4. switches to the user and group, without supplementary groups;
 *  5. clears every remaining capability (a root vuring without a user keeps
 *     uid 0 but no capability) and checks that none is left;
 *  6. installs the seccomp filter (seccomp_filter.c).
 *
 * What needs no privilege afterwards, and so keeps working: accepting and
 * dialing front-ends (unix sockets), mapping guest memory from passed fds,
 * eventfds, io_uring on registered files, attaching and detaching TAP queues
 * (TUNSETQUEUE on an fd already bound to the device needs no capability).
 */
#include "config.h"

#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <pwd.h>
#include <stdbool.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>

#include "log.h"
#include "privilege.h"
#include "seccomp_filter.h"

/* The user and group to become. */
struct creds {
	bool change;		/* switch to uid/gid */
	uid_t uid;
	gid_t gid;
};

/**
 * creds_resolve() - look [security] user and group up
 * @conf: settings
 * @c: filled in
 *
 * A vuring started as the configured user already has nothing to switch.
 *
 * Return: 0, or a negative errno (logged).
 */
static int creds_resolve(const struct conf *conf, struct creds *c)
{
	struct passwd *pw;
	struct group *gr;

	memset(c, 0, sizeof(*c));
	if (!conf->run_user)
		return 0;
	errno = 0;
	pw = getpwnam(conf->run_user);
	if (!pw) {
		log_error("[security] user = %s: %s", conf->run_user,
			  errno ? strerror(errno) : "no such user");
		return errno ? -errno : -ENOENT;
	}
	c->uid = pw->pw_uid;
	c->gid = pw->pw_gid;
	if (conf->run_group) {
		errno = 0;
		gr = getgrnam(conf->run_group);
		if (!gr) {
			log_error("[security] group = %s: %s", conf->run_group,
				  errno ? strerror(errno) : "no such group");
			return errno ? -errno : -ENOENT;
		}
		c->gid = gr->gr_gid;
	}
	if (geteuid() == c->uid && getegid() == c->gid)
		return 0;
	if (geteuid() != 0) {
		log_error("[security] user = %s: switching users needs root; vuring runs as uid %u",
			  conf->run_user, (unsigned int)geteuid());
		return -EPERM;
	}
	c->change = true;
	return 0;
}

/**
 * bounding_set_clear() - empty the bounding and ambient capability sets
 *
 * Needs CAP_SETPCAP; without it (vuring started unprivileged) there is
 * nothing to give up, as such a process can never gain capabilities.
 */
static void bounding_set_clear(void)
{
	int cap;

	prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
	/* The kernel refuses numbers past its last capability with EINVAL. */
	for (cap = 0; prctl(PR_CAPBSET_READ, cap, 0, 0, 0) >= 0; cap++)
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EPERM)
			break;
}

/**
 * user_switch() - become @c's user and group, with no supplementary groups
 * Return: 0, or a negative errno (logged).
 */
static int user_switch(const struct creds *c)
{
	uid_t ru, eu, su;
	gid_t rg, eg, sg;

	if (setgroups(0, NULL) < 0 || setresgid(c->gid, c->gid, c->gid) < 0 ||
	    setresuid(c->uid, c->uid, c->uid) < 0) {
		int err = errno;

		log_error("cannot switch to uid %u gid %u: %s", (unsigned int)c->uid,
			  (unsigned int)c->gid, strerror(err));
		return -err;
	}
	/* Trust, but verify: every id changed, and the way back is shut. */
	if (getresuid(&ru, &eu, &su) < 0 || getresgid(&rg, &eg, &sg) < 0 ||
	    ru != c->uid || eu != c->uid || su != c->uid ||
	    rg != c->gid || eg != c->gid || sg != c->gid ||
	    (c->uid != 0 && setuid(0) == 0)) {
		log_error("the switch to uid %u gid %u did not take", (unsigned int)c->uid,
			  (unsigned int)c->gid);
		return -EPERM;
	}
	return 0;
}

/**
 * caps_clear() - clear the effective, permitted and inheritable sets
 * Return: 0 or a negative errno.
 */
static int caps_clear(void)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[_LINUX_CAPABILITY_U32S_3];

	memset(d, 0, sizeof(d));
	return syscall(SYS_capset, &h, d) < 0 ? -errno : 0;
}

/**
 * privilege_caps_none() - does the process hold no capability at all?
 *
 * Ambient capabilities are a subset of permitted and inheritable ones, so
 * three empty sets mean none.
 *
 * Return: 0 if none is held, -EPERM if some are, another negative errno if
 * the kernel cannot tell.
 */
int privilege_caps_none(void)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[_LINUX_CAPABILITY_U32S_3];

	memset(d, 0, sizeof(d));
	if (syscall(SYS_capget, &h, d) < 0)
		return -errno;
	for (unsigned int i = 0; i < _LINUX_CAPABILITY_U32S_3; i++)
		if (d[i].effective || d[i].permitted || d[i].inheritable)
			return -EPERM;
	return 0;
}

/**
 * caps_drop() - no capability left, whichever user vuring runs as
 * Return: 0, or a negative errno (logged).
 */
static int caps_drop(void)
{
	int r = caps_clear();

	if (r == 0)
		r = privilege_caps_none();
	if (r < 0)
		log_error("cannot give up every capability: %s", strerror(-r));
	return r;
}

/**
 * privilege_drop() - give up what serving front-ends does not need
 * @conf: settings ([security] user, group, seccomp, uring-restrict)
 *
 * Called once, after the TAP, the socket and the io_uring instance exist and
 * before the event loop runs. Each step is checked; any failure stops
 * vuring rather than letting it serve with more privilege than configured.
 *
 * Return: 0, or a negative errno (logged).
 */
int privilege_drop(const struct conf *conf)
{
	bool was_root = geteuid() == 0;
	struct creds c;
	int r;

	r = creds_resolve(conf, &c);
	if (r < 0)
		return r;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
		r = -errno;
		log_error("prctl(PR_SET_NO_NEW_PRIVS): %s", strerror(-r));
		return r;
	}
	bounding_set_clear();
	if (c.change) {
		r = user_switch(&c);
		if (r < 0)
			return r;
#ifdef VURING_SANITIZED
		/* Changing uid made us non-dumpable; LeakSanitizer's exit check
		 * must ptrace us. Sanitizer builds only. */
		prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
#endif
	}
	r = caps_drop();
	if (r < 0)
		return r;
	r = seccomp_filter_install(conf->seccomp);
	if (r < 0)
		return r;
	if (was_root && !c.change)
		log_warn("running as root (without capabilities): set [security] user to run as a dedicated user");
	log_info("least privilege: uid %u, gid %u, no capabilities, no new privileges, seccomp %s (%u rules), io_uring %s",
		 (unsigned int)geteuid(), (unsigned int)getegid(),
		 conf->seccomp == CONF_SECCOMP_YES ? "on" :
		 conf->seccomp == CONF_SECCOMP_LOG ? "logging only" : "off",
		 conf->seccomp == CONF_SECCOMP_NO ? 0 : seccomp_filter_rules(),
		 conf->uring_restrict ? "restricted" : "unrestricted");
	return 0;
}
