// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test_privilege.c - the three fences of least privilege, each shown to
 * hold and to be the reason a forbidden thing fails:
 *
 *  - the io_uring restrictions (uring.c): operations vuring never submits,
 *    SQEs on raw fds and register operations other than file updates fail
 *    with EACCES on the ring vuring creates, and work on an unrestricted one;
 *  - the seccomp filter (seccomp_filter.c), in child processes: what vuring
 *    does is allowed; inet sockets, writable opens, executable memory, new
 *    io_urings, foreign ioctls, signals to others and setuid kill the child
 *    with SIGSYS, and the kernel log has the audit record (type=1326);
 *    with seccomp = log they are only logged;
 *  - privilege_drop() (privilege.c), as root in child processes: the user
 *    switch, no capability left, NO_NEW_PRIVS and the filter, read back from
 *    /proc/self/status.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <dirent.h>
#include <unistd.h>

#include <liburing.h>

#include "conf.h"
#include "log.h"
#include "privilege.h"
#include "seccomp_filter.h"
#include "tap.h"
#include "uring.h"

/* How long a completion may take on a busy machine. */
#define WAIT_MS 2000

/* ---------------------------------------------------------------- io_uring */

struct req {
	struct uring_op op;
	int res;
	int done;
};

static void on_done(struct uring_op *op, int res, uint32_t flags)
{
	struct req *r = (struct req *)op;	/* op is the first member */

	(void)flags;
	r->res = res;
	r->done++;
}

/* Submit what is prepared and wait for @r's completion. */
static int wait_req(struct uring *u, struct req *r)
{
	uring_submit(u);
	for (int i = 0; i < WAIT_MS && !r->done; i++) {
		usleep(1000);
		uring_reap(u);
	}
	return r->done ? r->res : -ETIMEDOUT;
}

/* A NOP with the fixed-file flag (which a restricted ring requires). */
static int try_nop(struct uring *u, struct uring_group *g)
{
	struct io_uring_sqe *sqe;
	struct req r = { 0 };

	uring_op_init(&r.op, g, on_done);
	if (uring_sqe_get(u, &r.op, &sqe) < 0)
		return -EIO;
	io_uring_prep_nop(sqe);
	sqe->flags |= IOSQE_FIXED_FILE;
	return wait_req(u, &r);
}

/* The fd of the (only) io_uring instance of this process, from /proc. */
static int ring_fd(void)
{
	char path[300], target[64];
	struct dirent *e;
	DIR *d = opendir("/proc/self/fd");
	int fd = -1;

	while (d && (e = readdir(d))) {
		ssize_t n;

		snprintf(path, sizeof(path), "/proc/self/fd/%s", e->d_name);
		n = readlink(path, target, sizeof(target) - 1);
		if (n > 0) {
			target[n] = '\0';
			if (strstr(target, "io_uring"))
				fd = atoi(e->d_name);
		}
	}
	if (d)
		closedir(d);
	return fd;
}

static void test_uring_restricted(void)
{
	struct io_uring_probe *probe;
	struct io_uring_sqe *sqe;
	struct uring_group g;
	struct req r = { 0 };
	struct uring *u = NULL;
	char buf[8] = "payload";
	struct iovec iov = { buf, sizeof(buf) };
	int p[2], slot, fd;
	long rr;

	if (uring_new(NULL, 8, &u) < 0 || pipe2(p, O_CLOEXEC | O_NONBLOCK) < 0) {
		ok(0, "restricted io_uring and a pipe");
		return;
	}
	uring_group_init(&g);
	slot = uring_file_add(u, p[1]);
	ok(slot >= 0, "a file can still be registered (FILES_UPDATE allowed): slot %d", slot);

	uring_op_init(&r.op, &g, on_done);
	uring_prep_writev(u, &r.op, slot, &iov, 1);
	is_int(wait_req(u, &r), (int)sizeof(buf), "a write on the fixed file goes through");

	is_int(try_nop(u, &g), -EACCES, "NOP (never submitted by vuring) fails with EACCES");

	memset(&r, 0, sizeof(r));
	uring_op_init(&r.op, &g, on_done);
	if (uring_sqe_get(u, &r.op, &sqe) == 0) {
		io_uring_prep_openat(sqe, AT_FDCWD, "/etc/passwd", O_RDONLY, 0);
		sqe->flags |= IOSQE_FIXED_FILE;
	}
	is_int(wait_req(u, &r), -EACCES, "OPENAT through the ring fails with EACCES");

	memset(&r, 0, sizeof(r));
	uring_op_init(&r.op, &g, on_done);
	if (uring_sqe_get(u, &r.op, &sqe) == 0)
		io_uring_prep_write(sqe, p[1], buf, sizeof(buf), (__u64)-1);
	is_int(wait_req(u, &r), -EACCES, "a WRITE on a raw fd (no IOSQE_FIXED_FILE) fails with EACCES");

	memset(&r, 0, sizeof(r));
	uring_op_init(&r.op, &g, on_done);
	if (uring_sqe_get(u, &r.op, &sqe) == 0) {
		io_uring_prep_write(sqe, slot, buf, sizeof(buf), (__u64)-1);
		sqe->flags |= IOSQE_FIXED_FILE | IOSQE_ASYNC;
	}
	is_int(wait_req(u, &r), -EACCES, "an SQE flag beyond FIXED_FILE (ASYNC) fails with EACCES");

	fd = ring_fd();
	probe = calloc(1, sizeof(*probe) + 256 * sizeof(probe->ops[0]));
	rr = syscall(__NR_io_uring_register, fd, IORING_REGISTER_PROBE, probe, 256);
	ok(fd >= 0 && rr < 0 && errno == EACCES,
	   "io_uring_register(PROBE) on the enabled ring fails with EACCES (fd %d)", fd);
	free(probe);

	is_int(uring_file_remove(u, slot), 0, "the file slot can be emptied again");
	uring_free(u);
	close(p[0]);
	close(p[1]);
}

static void test_uring_unrestricted(void)
{
	struct uring_group g;
	struct uring *u = NULL;

	if (uring_new_flags(NULL, 8, URING_UNRESTRICTED, &u) < 0) {
		ok(0, "unrestricted io_uring");
		return;
	}
	uring_group_init(&g);
	is_int(try_nop(u, &g), 0, "the same NOP succeeds on an unrestricted ring (uring-restrict = no)");
	uring_free(u);
}

/* ---------------------------------------------------------------- seccomp */

enum sc_case {
	SC_ALLOWED,	/* what vuring does: must survive */
	SC_INET_SOCKET,
	SC_WRITE_OPEN,
	SC_EXEC_MMAP,
	SC_URING_SETUP,
	SC_FOREIGN_IOCTL,
	SC_KILL_OTHER,
	SC_SETUID,
	SC_MAX,
};

static const char *const sc_names[SC_MAX] = {
	[SC_ALLOWED] = "a unix socket, an eventfd, a read-only open, a TAP ioctl",
	[SC_INET_SOCKET] = "socket(AF_INET)",
	[SC_WRITE_OPEN] = "open for writing",
	[SC_EXEC_MMAP] = "mmap(PROT_EXEC)",
	[SC_URING_SETUP] = "io_uring_setup (a new, unrestricted ring)",
	[SC_FOREIGN_IOCTL] = "ioctl(TUNSETIFF)",
	[SC_KILL_OTHER] = "kill(1, 0)",
	[SC_SETUID] = "setuid(0)",
};

/* In the child, after the filter: do one thing; exit 0 if it returned. */
static void __attribute__((noreturn)) sc_do(enum sc_case c)
{
	struct io_uring_params params;
	uint64_t v = 1;
	int fd;

	switch (c) {
	case SC_ALLOWED:
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0 || close(fd) < 0)
			_exit(10);
		fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (fd < 0 || write(fd, &v, sizeof(v)) != sizeof(v) || read(fd, &v, sizeof(v)) != sizeof(v))
			_exit(11);
		fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			_exit(12);
		/* Refused by the kernel (not a TAP), but let through by the filter. */
		if (ioctl(fd, TUNSETOFFLOAD, 0) == 0)
			_exit(13);
		_exit(0);
	case SC_INET_SOCKET:
		socket(AF_INET, SOCK_DGRAM, 0);
		break;
	case SC_WRITE_OPEN:
		open("/dev/null", O_WRONLY);
		break;
	case SC_EXEC_MMAP:
		mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		break;
	case SC_URING_SETUP:
		memset(&params, 0, sizeof(params));
		syscall(__NR_io_uring_setup, 8, &params);
		break;
	case SC_FOREIGN_IOCTL:
		ioctl(0, TUNSETIFF, NULL);
		break;
	case SC_KILL_OTHER:
		kill(1, 0);
		break;
	case SC_SETUID:
		if (setuid(0) < 0)
			_exit(20);
		break;
	case SC_MAX:
		break;
	}
	_exit(0);
}

/**
 * sc_run() - fork, install the filter in @mode, do @c
 * @pidp: set to the child's pid, if not NULL
 *
 * Return: the child's wait status, or -1.
 */
static int sc_run(enum conf_seccomp mode, enum sc_case c, pid_t *pidp)
{
	int status;
	pid_t pid = fork();

	if (pidp)
		*pidp = pid;
	if (pid < 0)
		return -1;
	if (pid == 0) {
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 || seccomp_filter_install(mode) < 0)
			_exit(99);
		sc_do(c);
	}
	if (waitpid(pid, &status, 0) != pid)
		return -1;
	return status;
}

/*
 * The kernel's audit record of a seccomp action against @pid for @nr, in
 * the kernel log: "audit: type=1326 ... pid=PID ... sig=SIG ... syscall=NR".
 * Return: 1 found, 0 not found, -1 the kernel log cannot be read.
 */
static int audit_seen(pid_t pid, int sig, int nr)
{
	char rec[2048], want_pid[32], want_sig[16], want_nr[24];
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	int found = 0;
	ssize_t n;

	if (fd < 0)
		return -1;
	snprintf(want_pid, sizeof(want_pid), " pid=%d ", (int)pid);
	snprintf(want_sig, sizeof(want_sig), " sig=%d ", sig);
	snprintf(want_nr, sizeof(want_nr), " syscall=%d ", nr);
	/* One record per read; EAGAIN at the end, EPIPE if records were lost. */
	while ((n = read(fd, rec, sizeof(rec) - 1)) > 0 || (n < 0 && errno == EPIPE)) {
		if (n <= 0)
			continue;
		rec[n] = '\0';
		if (strstr(rec, "type=1326") && strstr(rec, want_pid) && strstr(rec, want_sig) &&
		    strstr(rec, want_nr))
			found = 1;
	}
	close(fd);
	return found;
}

/* Is an audit daemon taking the records the kernel log would have shown? */
static bool auditd_running(void)
{
	return system("pidof auditd >/dev/null 2>&1") == 0;
}

/*
 * Without auditd the kernel prints audit records through printk's rate
 * limit (10 per 5 s by default), which earlier violations may have used up:
 * one retry after the window has passed.
 */
#define AUDIT_RATELIMIT_S 6

/* Run @c under @mode; is its record (@sig) in the kernel log? */
static int audit_case(enum conf_seccomp mode, int sig, int *status, pid_t *pid)
{
	int seen = 0;

	for (int attempt = 0; attempt < 2 && seen == 0; attempt++) {
		if (attempt)
			sleep(AUDIT_RATELIMIT_S);
		*status = sc_run(mode, SC_INET_SOCKET, pid);
		usleep(100000);		/* the record is written asynchronously */
		seen = audit_seen(*pid, sig, SYS_socket);
	}
	return seen;
}

static void test_audit_visible(void)
{
	pid_t pid = -1;
	int st, seen = audit_case(CONF_SECCOMP_YES, SIGSYS, &st, &pid);

	if (seen < 0 || (!seen && auditd_running())) {
		ok(1, "# SKIP the kernel log is not readable here (or auditd takes the records)");
	} else {
		ok(WIFSIGNALED(st) && seen,
		   "the kill is in the kernel log: type=1326 pid=%d sig=%d syscall=%d (socket)",
		   (int)pid, SIGSYS, SYS_socket);
	}
	seen = audit_case(CONF_SECCOMP_LOG, 0, &st, &pid);
	if (seen < 0 || (!seen && auditd_running()))
		ok(1, "# SKIP the kernel log is not readable here (or auditd takes the records)");
	else
		ok(WIFEXITED(st) && seen,
		   "seccomp = log: the call is in the kernel log too, with sig=0 (pid %d)", (int)pid);
}

static void test_seccomp(void)
{
	int st;

	st = sc_run(CONF_SECCOMP_YES, SC_ALLOWED, NULL);
	ok(WIFEXITED(st) && WEXITSTATUS(st) == 0, "seccomp = yes allows %s (status %#x)",
	   sc_names[SC_ALLOWED], st);
	for (enum sc_case c = SC_ALLOWED + 1; c < SC_MAX; c++) {
		st = sc_run(CONF_SECCOMP_YES, c, NULL);
		ok(WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS, "seccomp = yes: %s kills with SIGSYS (status %#x)",
		   sc_names[c], st);
	}
	st = sc_run(CONF_SECCOMP_LOG, SC_INET_SOCKET, NULL);
	ok(WIFEXITED(st) && WEXITSTATUS(st) == 0, "seccomp = log: %s is only logged (status %#x)",
	   sc_names[SC_INET_SOCKET], st);
	st = sc_run(CONF_SECCOMP_NO, SC_INET_SOCKET, NULL);
	ok(WIFEXITED(st) && WEXITSTATUS(st) == 0, "seccomp = no: %s is allowed (status %#x)",
	   sc_names[SC_INET_SOCKET], st);
}

/* ---------------------------------------------------------------- the drop */

/* @n tests that cannot run here, reported as skipped. */
static void skip_n(int n, const char *why)
{
	while (n-- > 0)
		ok(1, "# SKIP %s", why);
}

/* What /proc/self/status says after privilege_drop(), for the parent. */
struct drop_result {
	int ret;
	char uid[64], gid[64], groups[64], cap_eff[32], cap_prm[32], cap_bnd[32];
	char nnp[8], seccomp[8];
};

static void status_field(const char *text, const char *key, char *out, size_t len)
{
	const char *p = strstr(text, key);
	size_t n = 0;

	if (!p) {
		snprintf(out, len, "?");
		return;
	}
	p += strlen(key);
	while (*p == '\t' || *p == ' ')
		p++;
	while (p[n] && p[n] != '\n' && n + 1 < len)
		n++;
	memcpy(out, p, n);
	out[n] = '\0';
}

/* Child: drop, read our own status (both allowed afterwards), report. */
static void __attribute__((noreturn)) drop_child(const char *user, int out)
{
	struct drop_result res;
	struct conf conf;
	char text[4096];
	ssize_t n = 0;
	int fd;

	memset(&res, 0, sizeof(res));
	conf_init_defaults(&conf);
	conf.run_user = user ? strdup(user) : NULL;
	res.ret = privilege_drop(&conf);
	fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
	if (fd >= 0)
		n = read(fd, text, sizeof(text) - 1);
	text[n > 0 ? n : 0] = '\0';
	status_field(text, "\nUid:", res.uid, sizeof(res.uid));
	status_field(text, "\nGid:", res.gid, sizeof(res.gid));
	status_field(text, "\nGroups:", res.groups, sizeof(res.groups));
	status_field(text, "\nCapEff:", res.cap_eff, sizeof(res.cap_eff));
	status_field(text, "\nCapPrm:", res.cap_prm, sizeof(res.cap_prm));
	status_field(text, "\nCapBnd:", res.cap_bnd, sizeof(res.cap_bnd));
	status_field(text, "\nNoNewPrivs:", res.nnp, sizeof(res.nnp));
	status_field(text, "\nSeccomp:", res.seccomp, sizeof(res.seccomp));
	_exit(write(out, &res, sizeof(res)) == sizeof(res) ? 0 : 1);
}

static int drop_run(const char *user, struct drop_result *res)
{
	int p[2], status;
	pid_t pid;

	memset(res, 0, sizeof(*res));
	if (pipe(p) < 0)
		return -1;
	pid = fork();
	if (pid == 0) {
		close(p[0]);
		drop_child(user, p[1]);
	}
	close(p[1]);
	if (pid < 0 || read(p[0], res, sizeof(*res)) != sizeof(*res))
		res->ret = -999;
	close(p[0]);
	if (pid > 0)
		waitpid(pid, &status, 0);
	return 0;
}

static void test_drop(void)
{
	static const char zero[] = "0000000000000000";
	struct passwd *pw = getpwnam("nobody");
	struct drop_result r;
	char want[64];

	if (geteuid() != 0) {
		skip_n(13, "privilege_drop() as root: not root");
		return;
	}
	if (pw) {
		drop_run("nobody", &r);
		is_int(r.ret, 0, "privilege_drop() to user nobody");
		snprintf(want, sizeof(want), "%u\t%u\t%u\t%u", (unsigned int)pw->pw_uid,
			 (unsigned int)pw->pw_uid, (unsigned int)pw->pw_uid, (unsigned int)pw->pw_uid);
		is_str(r.uid, want, "every uid is nobody's");
		snprintf(want, sizeof(want), "%u\t%u\t%u\t%u", (unsigned int)pw->pw_gid,
			 (unsigned int)pw->pw_gid, (unsigned int)pw->pw_gid, (unsigned int)pw->pw_gid);
		is_str(r.gid, want, "every gid is nobody's group");
		is_str(r.groups, "", "no supplementary groups");
		ok(!strcmp(r.cap_eff, zero) && !strcmp(r.cap_prm, zero) && !strcmp(r.cap_bnd, zero),
		   "no capability: CapEff %s, CapPrm %s, CapBnd %s", r.cap_eff, r.cap_prm, r.cap_bnd);
		is_str(r.nnp, "1", "NoNewPrivs 1");
		is_str(r.seccomp, "2", "Seccomp 2 (filter mode)");
	} else {
		skip_n(7, "no user nobody on this system");
	}

	drop_run(NULL, &r);
	is_int(r.ret, 0, "privilege_drop() as root without [security] user");
	ok(!strncmp(r.uid, "0\t", 2), "stays uid 0 (%s)", r.uid);
	ok(!strcmp(r.cap_eff, zero) && !strcmp(r.cap_prm, zero) && !strcmp(r.cap_bnd, zero),
	   "but without any capability: CapEff %s, CapPrm %s, CapBnd %s", r.cap_eff, r.cap_prm,
	   r.cap_bnd);
	ok(!strcmp(r.nnp, "1") && !strcmp(r.seccomp, "2"), "NoNewPrivs %s, Seccomp %s", r.nnp,
	   r.seccomp);

	drop_run("no-such-user-vuring-test", &r);
	is_int(r.ret, -ENOENT, "an unknown user is refused before anything changes");
	ok(!strncmp(r.uid, "0\t", 2) && !strcmp(r.seccomp, "0"),
	   "and nothing was dropped (uid %s, Seccomp %s)", r.uid, r.seccomp);
}

int main(void)
{
	struct uring *probe = NULL;
	int r;

	log_set_level(VLOG_WARN);
	r = uring_new(NULL, 8, &probe);
	if (r == -ENOSYS || r == -EPERM || r == -EOPNOTSUPP)
		skip_all("io_uring unavailable here");
	uring_free(probe);
	test_uring_restricted();
	test_uring_unrestricted();
	/* First: before the other violations use up printk's rate limit. */
	test_audit_visible();
	test_seccomp();
	test_drop();
	return done_testing();
}
