// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * seccomp_filter.c - the syscalls vuring makes once it serves, and nothing
 * else.
 *
 * Installed by privilege_drop() after everything that needs privilege or
 * unusual syscalls is done: the TAP and its ioctls, the socket, the
 * io_uring instance (io_uring_setup is not on the list, so no unrestricted
 * ring can be made later). What remains is the event loop, the vhost-user
 * socket (messages with fds, accept, client-mode redials), guest memory
 * (mmap of the front-end's fds), eventfds, io_uring_enter for the datapath,
 * TAP queue attach/detach, and re-reading the configuration on SIGHUP.
 *
 * Where the arguments are simple, the rule pins them: sockets are AF_UNIX
 * only, opens are read-only, no memory is mapped executable, ioctls are the
 * TAP's three and FIONREAD, signals go to vuring itself only.
 *
 * A syscall missing here kills vuring (SIGSYS) under seccomp = yes; find it
 * with seccomp = log and `dmesg | grep type=1326` (syscall=N), and add it
 * with a comment saying which code path makes it.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <seccomp.h>

#include "log.h"
#include "seccomp_filter.h"

#ifndef __O_TMPFILE
#define __O_TMPFILE 020000000	/* the bit O_TMPFILE adds to O_DIRECTORY */
#endif

/* How a rule looks at one argument (lower 32 bits: ints and ioctl numbers). */
enum sc_check {
	SC_ANY,		/* no check */
	SC_EQ,		/* arg == value */
	SC_CLEAR,	/* (arg & value) == 0: none of these bits */
	SC_SELF,	/* arg == our own pid */
};

struct sc_rule {
	int nr;			/* SCMP_SYS(name) */
	enum sc_check check;
	unsigned int arg;	/* which argument, for all but SC_ANY */
	uint32_t value;
};

#define ANY(name)		{ SCMP_SYS(name), SC_ANY, 0, 0 }
#define EQ(name, a, v)		{ SCMP_SYS(name), SC_EQ, a, (uint32_t)(v) }
#define CLEAR(name, a, bits)	{ SCMP_SYS(name), SC_CLEAR, a, (uint32_t)(bits) }
#define SELF(name, a)		{ SCMP_SYS(name), SC_SELF, a, 0 }

/* Open flags that would write or create: opens are read-only. */
#define SC_OPEN_WRITE (O_WRONLY | O_RDWR | O_CREAT | O_TRUNC | O_APPEND | __O_TMPFILE)

static const struct sc_rule sc_rules[] = {
	/* Event loop (libevent, epoll) and its signal pipe; timers. */
	ANY(epoll_wait), ANY(epoll_pwait), ANY(epoll_ctl),
	ANY(read), ANY(write), ANY(readv), ANY(writev), ANY(close),
	ANY(clock_gettime), ANY(gettimeofday), ANY(nanosleep), ANY(clock_nanosleep),
	ANY(rt_sigaction), ANY(rt_sigprocmask), ANY(rt_sigreturn), ANY(restart_syscall),
	/* vhost-user socket: messages with fds, new front-ends, client-mode
	 * redials (unix sockets only), sd_notify. */
	ANY(recvmsg), ANY(sendmsg), ANY(recvfrom), ANY(sendto), ANY(accept4),
	ANY(connect), ANY(shutdown), ANY(getsockopt), ANY(setsockopt),
	ANY(getsockname), ANY(getpeername),
	EQ(socket, 0, AF_UNIX),
	ANY(fcntl), ANY(fstat), ANY(newfstatat), ANY(statx), ANY(lseek),
	/* Guest memory from the front-end's fds; the allocator. Never
	 * executable. */
	CLEAR(mmap, 2, PROT_EXEC), CLEAR(mprotect, 2, PROT_EXEC),
	ANY(munmap), ANY(mremap), ANY(madvise), ANY(brk),
	/* Kick, call and error eventfds; the datapath's io_uring. */
	ANY(eventfd2), ANY(io_uring_enter), ANY(io_uring_register),
	/* TAP queue attach/detach and per-connection settings; libevent's
	 * buffered reads (control socket) size themselves with FIONREAD. */
	EQ(ioctl, 1, TUNSETQUEUE), EQ(ioctl, 1, TUNSETOFFLOAD), EQ(ioctl, 1, TUNSETVNETHDRSZ),
	EQ(ioctl, 1, FIONREAD),
	/* SIGHUP re-reads the configuration file; exit removes the socket;
	 * vu_dev tells eventfds by their /proc/self/fd link. */
	CLEAR(openat, 2, SC_OPEN_WRITE), ANY(readlink), ANY(access), ANY(unlink),
	/* Process basics: abort() and raise() signal only ourselves. */
	ANY(getpid), ANY(gettid), ANY(getuid), ANY(geteuid), ANY(getgid), ANY(getegid),
	SELF(tgkill, 0), SELF(kill, 0),
	ANY(futex), ANY(sched_yield), ANY(getrandom), ANY(exit), ANY(exit_group),
};

#ifdef VURING_SANITIZED
/*
 * What the sanitizer runtimes add, in sanitizer builds only: LeakSanitizer
 * stops the process at exit with a tracer thread (clone, ptrace, waitpid)
 * that reads /proc/self; reports may be symbolized by a helper process.
 */
static const struct sc_rule sc_sanitizer_rules[] = {
	ANY(clone), ANY(clone3), ANY(ptrace), ANY(wait4), ANY(prctl),
	ANY(getdents), ANY(getdents64), ANY(readlinkat), ANY(sigaltstack),
	ANY(sched_getaffinity), ANY(getppid), ANY(pipe2), ANY(dup2), ANY(dup3),
	ANY(execve), ANY(open), ANY(pread64), ANY(getrlimit), ANY(prlimit64),
	ANY(uname),
};
#endif

/* (arg & mask) == value: only the low 32 bits count, as the arguments
 * checked here are ints, whose upper register half the ABI leaves undefined. */
static struct scmp_arg_cmp masked_eq(unsigned int arg, uint32_t mask, uint32_t value)
{
	return (struct scmp_arg_cmp){
		.arg = arg, .op = SCMP_CMP_MASKED_EQ, .datum_a = mask, .datum_b = value,
	};
}

/**
 * rule_add() - add one allow rule
 * Return: 0 or a negative errno (libseccomp's).
 */
static int rule_add(scmp_filter_ctx ctx, const struct sc_rule *r)
{
	struct scmp_arg_cmp cmp;

	switch (r->check) {
	case SC_ANY:
		return seccomp_rule_add(ctx, SCMP_ACT_ALLOW, r->nr, 0);
	case SC_EQ:
		cmp = masked_eq(r->arg, UINT32_MAX, r->value);
		break;
	case SC_CLEAR:
		cmp = masked_eq(r->arg, r->value, 0);
		break;
	case SC_SELF:
		cmp = masked_eq(r->arg, UINT32_MAX, (uint32_t)getpid());
		break;
	default:
		return -EINVAL;
	}
	return seccomp_rule_add_exact(ctx, SCMP_ACT_ALLOW, r->nr, 1, cmp);
}

/**
 * rules_add() - add every rule of a table
 * Return: 0 or a negative errno (logged, naming the syscall).
 */
static int rules_add(scmp_filter_ctx ctx, const struct sc_rule *rules, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int r = rule_add(ctx, &rules[i]);

		if (r < 0) {
			char *name = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE,
								       rules[i].nr);

			log_error("seccomp: cannot add a rule for %s: %s", name ? name : "?",
				  strerror(-r));
			free(name);
			return r;
		}
	}
	return 0;
}

/**
 * seccomp_filter_rules() - number of rules in the filter (for the log)
 */
unsigned int seccomp_filter_rules(void)
{
	size_t n = sizeof(sc_rules) / sizeof(sc_rules[0]);

#ifdef VURING_SANITIZED
	n += sizeof(sc_sanitizer_rules) / sizeof(sc_sanitizer_rules[0]);
#endif
	return (unsigned int)n;
}

/**
 * seccomp_filter_install() - load the filter into the calling process
 * @mode: CONF_SECCOMP_YES (anything else kills the process),
 *        CONF_SECCOMP_LOG (anything else is allowed and logged by the
 *        kernel), or CONF_SECCOMP_NO (nothing is installed)
 *
 * The caller has set PR_SET_NO_NEW_PRIVS (libseccomp would otherwise set it
 * on its own, silently). Syscalls of another architecture (i386, x32) are
 * refused the same way.
 *
 * Return: 0 or a negative errno (logged).
 */
int seccomp_filter_install(enum conf_seccomp mode)
{
	uint32_t deflt = mode == CONF_SECCOMP_LOG ? SCMP_ACT_LOG : SCMP_ACT_KILL_PROCESS;
	scmp_filter_ctx ctx;
	int r;

	if (mode == CONF_SECCOMP_NO)
		return 0;
	ctx = seccomp_init(deflt);
	if (!ctx) {
		log_error("seccomp: cannot create a filter (out of memory)");
		return -ENOMEM;
	}
	r = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, deflt);
	if (r == 0)
		r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0);
	if (r < 0) {
		log_error("seccomp: cannot set filter attributes: %s", strerror(-r));
		goto out;
	}
	r = rules_add(ctx, sc_rules, sizeof(sc_rules) / sizeof(sc_rules[0]));
#ifdef VURING_SANITIZED
	if (r == 0)
		r = rules_add(ctx, sc_sanitizer_rules,
			      sizeof(sc_sanitizer_rules) / sizeof(sc_sanitizer_rules[0]));
#endif
	if (r < 0)
		goto out;
	r = seccomp_load(ctx);
	if (r < 0)
		log_error("seccomp: cannot load the filter: %s", strerror(-r));
out:
	seccomp_release(ctx);
	return r;
}
