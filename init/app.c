// SPDX-License-Identifier: MIT
/* The app: its config checked and its container set up by `keel app`. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "init/init.h"
#include "lib/base/fmt.h"

/* keel app's cgroup for the app (lib/container/cgroup.h): made by it,
 * removed here once the app is gone. */
#define APP_CGROUP_ROOT "/sys/fs/cgroup"
#define APP_CGROUP APP_CGROUP_ROOT "/keel/app"
#define APP_ARGV 32 /* keel app --start's words, with the NULL */

static int null_fd = -1;

/* Reads the one record of a keel helper (size bytes), to EOF or ms
 * from now; bytes read (size + 1 when there is more), or -1. The
 * watchdog is petted each second meanwhile: a slow helper is the
 * deadline's to end, not the hardware's. */
ssize_t
init_read_record(int fd, void *m, size_t size, uint32_t ms)
{
	char *p = m;
	char extra;
	size_t got = 0;
	uint64_t end = clock_us() + ms * 1000ull;
	ssize_t n;

	for (;;) {
		struct pollfd pf = {.fd = fd, .events = POLLIN};
		uint64_t now = clock_us(), wait_ms;
		int r;

		if (now >= end)
			return errno = ETIMEDOUT, -1;
		wait_ms = (end - now) / 1000 + 1;
		watchdog_pet();
		r = poll(&pf, 1, wait_ms > 1000 ? 1000 : (int)wait_ms);
		if (r < 0 && errno != EINTR)
			return -1;
		if (r <= 0)
			continue; /* nothing yet: never a read that blocks */
		if (got < size)
			n = read(fd, p + got, size - got);
		else
			n = read(fd, &extra, 1); /* more than one record */
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -1 : (ssize_t)got;
		got += (size_t)n;
		if (got > size)
			return (ssize_t)got;
	}
}

/*
 * The vfork child: exec keel app, or tell the parent why not on efd.
 * A function of its own so that nothing it stores lands in the
 * parent's frame (vfork shares the stack).
 */
__attribute__((noreturn, noinline)) static void
exec_child(int *fds, char **argv, int efd)
{
	int err;

	/* out of place_fds' way: the descriptors it fills are 0-4 */
	efd = fcntl(efd, F_DUPFD_CLOEXEC, 64);
	agent_exec_keel(fds, 5, argv);
	err = errno;
	if (efd >= 0)
		(void)!write(efd, &err, sizeof(err));
	_exit(127);
}

/*
 * Why keel app's answer is not a record to use (n bytes of it read, -1
 * when keel-init stopped waiting and killed it; err the read's errno, st
 * its wait status, bad the record's failed check): a signal that ended
 * it before what it wrote.
 */
static int
no_record(ssize_t n, int err, int st, const char *bad, struct kerr *e)
{
	if (n < 0 && err == ETIMEDOUT)
		return kerr_set(e, "keel app", "no record in %d s",
				INIT_APP_SETUP_MS / 1000);
	if (n < 0)
		return kerr_set(e, "keel app", "no record: %s",
				kerr_strerror(err));
	if (WIFSIGNALED(st))
		return kerr_set(e, "keel app", "killed by signal %d",
				WTERMSIG(st));
	if (n == 0)
		return kerr_set(e, "keel app",
				"ended with status %d, no record",
				init_status_code(st));
	return kerr_set(e, "keel app", "record: %s", bad);
}

/*
 * Runs `keel app ARGS` with fds 0-2 stdio, 3 the record's pipe, 4 the
 * config, and checks its record into m. 0 (the record's own refusal is
 * a 0 with m->status set); -1 with e: keel app ran and gave no record
 * that passes the checks (killed by a signal, ended without one, too
 * slow, or junk); -2 with e: it never ran (no pipe, no fork, no exec).
 */
static int
run_keel_app(char **argv, int cfd, const int *stdio, int start,
	     struct appmsg *m, struct kerr *e)
{
	int rp[2], ep[2], fds[5], st = 0, err, xerr;
	struct kerr bad = {0};
	ssize_t n;
	pid_t pid;

	memset(m, 0, sizeof(*m));
	if (pipe2(rp, O_CLOEXEC) < 0)
		return kerr_set(e, "keel app", "pipe: %s",
				kerr_strerror(errno)),
		       -2;
	/* exec's verdict: closed by a good exec, else the child's errno */
	if (pipe2(ep, O_CLOEXEC | O_NONBLOCK) < 0) {
		err = errno;
		close(rp[0]);
		close(rp[1]);
		return kerr_set(e, "keel app", "pipe: %s", kerr_strerror(err)),
		       -2;
	}
	fds[0] = stdio[0];
	fds[1] = stdio[1];
	fds[2] = stdio[2];
	fds[3] = rp[1];
	fds[4] = cfd;
	/* vfork: PID 1's pages are not copied for a process that only
	 * places five descriptors and execs. SAFE ONLY BECAUSE the child
	 * writes nothing the parent reads (fds is dead here after, the
	 * child's own variables are in exec_child's frame) and returns
	 * from nowhere (it execs or _exits). */
	pid = vfork();
	if (pid == 0)
		exec_child(fds, argv, ep[1]);
	err = errno;
	close(rp[1]);
	close(ep[1]);
	if (pid < 0) {
		close(rp[0]);
		close(ep[0]);
		return kerr_set(e, "keel app", "fork: %s", kerr_strerror(err)),
		       -2;
	}
	/* vfork returned: the child has exec'd or written and gone */
	n = read(ep[0], &xerr, sizeof(xerr));
	close(ep[0]);
	if (n == (ssize_t)sizeof(xerr)) {
		close(rp[0]);
		while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
			;
		return kerr_set(e, "keel app", "exec: %s", kerr_strerror(xerr)),
		       -2;
	}
	n = init_read_record(rp[0], m, sizeof(*m), INIT_APP_SETUP_MS);
	err = errno;
	close(rp[0]);
	if (n < 0)
		kill(pid, SIGKILL);
	/* A good record ends with keel app's close of the pipe, before its
	 * exit: not waited for (reaped now if gone, else by the main loop
	 * as any child it does not know). Without one, its status says
	 * why; one that lives on past a bad record is killed, so that the
	 * wait ends, and the record says why. */
	if (n > 0 && appmsg_check(m, (size_t)n, start, &bad) == 0) {
		waitpid(pid, &st, WNOHANG);
		return 0;
	}
	if (n <= 0) {
		while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
			;
	} else if (waitpid(pid, &st, WNOHANG) != pid) {
		kill(pid, SIGKILL);
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
		st = 0; /* its own end is not known: the record says why */
	}
	return no_record(n, err, st, bad.detail, e), -1;
}

/*
 * keel app could not run (no keel, not executable, no pipe): not the
 * slot's fault, -3 (main.c decides). Once it ran, anything but a good
 * record is the config's doing: a parser killed by a signal on it, or
 * no answer, refuses the slot like any refused config (-1).
 */
int
app_config(int cfd, char *why, size_t cap)
{
	char *argv[] = {"keel", "app", "--check", NULL};
	int stdio[3], rc;
	struct appmsg m;
	struct kerr e = {0};

	if (null_fd < 0)
		null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	stdio[0] = stdio[1] = stdio[2] = null_fd;
	rc = run_keel_app(argv, cfd, stdio, 0, &m, &e);
	if (rc == -2)
		return fmt_sn(why, cap, "%s: %s", e.check, e.detail), -3;
	if (rc < 0)
		return fmt_sn(why, cap, "config: %s %s (%s)", e.check, e.detail,
			      IMG_CONFIG_PATH),
		       -1;
	if (m.status == APPMSG_OK) {
		g.app = m;
		return 0;
	}
	fmt_sn(why, cap, "config: %s", m.text);
	return m.status == APPMSG_IO ? -2 : -1;
}

/* The supervision settings of a start's record are the boot's. */
static int
same_settings(const struct appmsg *a, const struct appmsg *b)
{
	size_t from = offsetof(struct appmsg, flags);
	size_t to = offsetof(struct appmsg, check);

	return !memcmp((const char *)a + from, (const char *)b + from,
		       to - from);
}

/* Pushes "--opt", val onto argv when val is set. */
static int
arg2(char **argv, int n, const char *opt, const char *val)
{
	if (!val)
		return n;
	argv[n++] = (char *)opt;
	argv[n++] = (char *)val;
	return n;
}

int
app_start(char *const *env)
{
	char *argv[APP_ARGV]; /* its words, two per --env, NULL */
	int n = 0, stdio[3], cfd;
	struct appmsg m;
	siginfo_t si;
	struct kerr e = {0};

	argv[n++] = "keel";
	argv[n++] = "app";
	argv[n++] = "--start";
	n = arg2(argv, n, "--root", IMAGE_DIR);
	n = arg2(argv, n, "--etc-upper", persist_etc_upper());
	n = arg2(argv, n, "--etc-work", persist_etc_work());
	n = arg2(argv, n, "--var", persist_var());
	n = arg2(argv, n, "--run", SOCK_DIR);
	n = arg2(argv, n, "--bin", agent_client_path());
	n = arg2(argv, n, "--resolv", net_resolv_conf());
	n = arg2(argv, n, "--cgroup", APP_CGROUP_ROOT);
	for (int i = 0; env && env[i] && n + 3 <= APP_ARGV; i++)
		n = arg2(argv, n, "--env", env[i]);
	argv[n] = NULL;
	/* stdin /dev/null; stdout and stderr the log's pipe, never the
	 * console: nothing the app does with its output can stall PID 1. */
	if (null_fd < 0)
		null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	stdio[0] = null_fd;
	stdio[1] = stdio[2] = log_app_fd() >= 0 ? log_app_fd() : null_fd;
	cfd = open(IMAGE_DIR IMG_CONFIG_PATH, O_RDONLY | O_CLOEXEC);
	if (cfd < 0) {
		klog("app: %s: %s", IMG_CONFIG_PATH, kerr_strerror(errno));
		return -1;
	}
	n = run_keel_app(argv, cfd, stdio, 1, &m, &e);
	close(cfd);
	if (n < 0) { /* a failed start, whichever way */
		klog("app: %s: %s", e.check, e.detail);
		return -1;
	}
	if (m.status != APPMSG_OK) {
		klog("app: %s: %s", m.check[0] ? m.check : "start", m.text);
		return -1;
	}
	/* The pid must be our own child (CLONE_PARENT), and the settings
	 * those the boot checked: anything else is not our app. */
	memset(&si, 0, sizeof(si));
	if (waitid(P_PID, (id_t)m.pid, &si, WEXITED | WNOHANG | WNOWAIT) < 0) {
		klog("app: keel app: record: pid %d is not keel-init's child",
		     (int)m.pid);
		return -1;
	}
	if (!same_settings(&m, &g.app)) {
		klog("app: keel app: record: the settings are not the boot's");
		sys->kill(m.pid, SIGKILL); /* reaped as any stray child */
		return -1;
	}
	g.app_pid = m.pid;
	g.app_running = 1;
	g.app_started_us = clock_us();
	klog("app: started (%s), pid %d", m.text, g.app_pid);
	return 0;
}

/* Reaps whatever has ended; notes the app's end. */
static void
reap_all(void)
{
	pid_t pid;

	while ((pid = waitpid(-1, NULL, WNOHANG)) > 0)
		if (g.app_running && pid == g.app_pid)
			g.app_running = 0;
}

/*
 * TERM to the app, up to grace_ms for it to go, then KILL to every
 * process left in every namespace. Signals are blocked in PID 1, so a
 * SIGCHLD stays pending until watchdog_wait_child takes it.
 */
void
app_stop(uint32_t grace_ms)
{
	uint64_t end = clock_us() + (uint64_t)grace_ms * 1000;

	if (g.app_running) {
		sys->kill(g.app_pid, SIGTERM);
		reap_all();
		while (g.app_running && clock_us() < end) {
			watchdog_wait_child(end);
			reap_all();
		}
		if (g.app_running)
			klog("shutdown: app still running after %u ms: KILL",
			     grace_ms);
	}
	sys->kill(-1, SIGKILL);
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
	g.app_running = 0;
	log_app_ended(); /* its last words */
	if (rmdir(APP_CGROUP) < 0 && errno != ENOENT && errno != ENOTDIR)
		klog("app: %s: %s", APP_CGROUP, kerr_strerror(errno));
}
