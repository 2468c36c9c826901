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

static int null_fd = -1;

/* The run of keel app that answered its check and waits for its start
 * (pid 0: none): its records' pipe and the start's, our ends. */
static struct {
	pid_t pid;
	int rfd, sfd;
} ka = {0, -1, -1};

/*
 * Reads a record, to its size (a check's: its start follows on the
 * same pipe) or, the last one (to_end), to EOF; by the deadline. Bytes
 * read or -1. The watchdog is petted each second meanwhile: a slow
 * setup is the deadline's to end, not the hardware's.
 */
static ssize_t
read_record(int fd, struct appmsg *m, int to_end)
{
	char *p = (char *)m;
	char extra;
	size_t got = 0;
	uint64_t end = clock_us() + INIT_APP_SETUP_MS * 1000ull;
	ssize_t n;

	for (;;) {
		struct pollfd pf = {.fd = fd, .events = POLLIN};
		uint64_t now = clock_us(), wait_ms;
		int r;

		if (got == sizeof(*m) && !to_end)
			return (ssize_t)got;
		if (now >= end)
			return errno = ETIMEDOUT, -1;
		wait_ms = (end - now) / 1000 + 1;
		watchdog_pet();
		r = poll(&pf, 1, wait_ms > 1000 ? 1000 : (int)wait_ms);
		if (r < 0 && errno != EINTR)
			return -1;
		if (r <= 0)
			continue; /* nothing yet: never a read that blocks */
		if (got < sizeof(*m))
			n = read(fd, p + got, sizeof(*m) - got);
		else
			n = read(fd, &extra, 1); /* more than one record */
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -1 : (ssize_t)got;
		got += (size_t)n;
		if (got > sizeof(*m))
			return (ssize_t)got;
	}
}

/*
 * The vfork child: exec keel app, or tell the parent why not on efd.
 * A function of its own so that nothing it stores lands in the
 * parent's frame (vfork shares the stack): place_fds rewrites its own
 * copy of the descriptors, not the parent's.
 */
__attribute__((noreturn, noinline)) static void
exec_child(const int *fds, int efd)
{
	char *argv[] = {"keel", "app", NULL};
	int f[6], err;

	memcpy(f, fds, sizeof(f));
	/* out of place_fds' way: the descriptors it fills are 0-5 */
	efd = fcntl(efd, F_DUPFD_CLOEXEC, 64);
	agent_exec_keel(f, 6, argv);
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

static void
close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* Lets go of keel app's pipes; its pid is its caller's to reap. */
static void
drop(void)
{
	close_fd(&ka.rfd);
	close_fd(&ka.sfd);
	ka.pid = 0;
}

/* The waiting keel app, if any, killed and reaped. */
static void
kill_waiting(void)
{
	pid_t pid = ka.pid;

	drop();
	if (pid <= 0)
		return;
	kill(pid, SIGKILL);
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
}

/*
 * Runs `keel app` with fds 0-2 the app's stdio (/dev/null and the log's
 * pipe), 3 the records' pipe, 4 the config, 5 the start's pipe, into ka.
 * 0, or -1 with e: it never ran (no pipe, no fork, no exec).
 */
static int
spawn(int cfd, struct kerr *e)
{
	int fds[6], rp[2] = {-1, -1}, sp[2] = {-1, -1}, ep[2], xerr, err;
	const char *what = "pipe";
	pid_t pid = -1;

	kill_waiting(); /* one run at a time */
	if (null_fd < 0)
		null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (pipe2(rp, O_CLOEXEC) < 0 || pipe2(sp, O_CLOEXEC) < 0 ||
	    pipe2(ep, O_CLOEXEC | O_NONBLOCK) < 0) {
		err = errno;
		goto out;
	}
	fds[0] = null_fd;
	fds[1] = fds[2] = log_app_fd() >= 0 ? log_app_fd() : null_fd;
	fds[3] = rp[1];
	fds[4] = cfd;
	fds[5] = sp[0];
	/* the start is written once: never a write that blocks PID 1 */
	fcntl(sp[1], F_SETFL, O_NONBLOCK);
	/* vfork: PID 1's pages are not copied for a process that only
	 * places six descriptors and execs. SAFE ONLY BECAUSE the child
	 * writes nothing the parent reads (its variables are in
	 * exec_child's frame) and returns from nowhere (it execs or
	 * _exits). */
	pid = vfork();
	if (pid == 0)
		exec_child(fds, ep[1]);
	err = errno;
	what = "fork";
	close(ep[1]);
	/* vfork returned: the child has exec'd or written and gone */
	if (pid > 0 && read(ep[0], &xerr, sizeof(xerr)) == sizeof(xerr)) {
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
		err = xerr;
		what = "exec";
		pid = -1;
	}
	close(ep[0]);
out:
	for (int i = 0; i < 2; i++) {
		if (rp[i] >= 0 && (i == 1 || pid < 0))
			close(rp[i]);
		if (sp[i] >= 0 && (i == 0 || pid < 0))
			close(sp[i]);
	}
	if (pid < 0)
		return kerr_set(e, "keel app", "%s: %s", what,
				kerr_strerror(err));
	ka.pid = pid;
	ka.rfd = rp[0];
	ka.sfd = sp[1];
	return 0;
}

/*
 * keel app's next record into m: its check's (start 0) or its start's.
 * 0 (the record's own refusal is a 0 with m->status set); -1 with e:
 * keel app gave no record that passes the checks (killed by a signal,
 * ended without one, too slow, or junk).
 */
static int
answer(int start, struct appmsg *m, struct kerr *e)
{
	struct kerr bad = {0};
	pid_t pid = ka.pid;
	int st = 0, err;
	ssize_t n;

	memset(m, 0, sizeof(*m));
	n = read_record(ka.rfd, m, start);
	err = errno;
	if (n < 0)
		kill(pid, SIGKILL);
	if (n > 0 && appmsg_check(m, (size_t)n, start, &bad) == 0) {
		if (!start && m->status == APPMSG_OK)
			return 0; /* it waits for its start */
		/* Its last record, then the pipe's end, came before its
		 * exit: not waited for (reaped now if gone, else by the
		 * main loop as any child it does not know). */
		drop();
		waitpid(pid, &st, WNOHANG);
		return 0;
	}
	/* Without a record, its status says why; one that lives on past
	 * a bad record is killed, so that the wait ends, and the record
	 * says why. */
	drop();
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
 * no answer, refuses the slot like any refused config (-1). A run that
 * accepted the config waits for app_start.
 */
int
app_config(int cfd, char *why, size_t cap)
{
	struct appmsg m;
	struct kerr e = {0};

	if (spawn(cfd, &e) < 0)
		return fmt_sn(why, cap, "%s: %s", e.check, e.detail), -3;
	if (answer(0, &m, &e) < 0)
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

/* The supervision settings of a record are the boot's. */
static int
same_settings(const struct appmsg *a, const struct appmsg *b)
{
	size_t from = offsetof(struct appmsg, flags);
	size_t to = offsetof(struct appmsg, check);

	return !memcmp((const char *)a + from, (const char *)b + from,
		       to - from);
}

/* A run of keel app whose check gave the boot's settings, into ka:
 * the boot's own, else a new one. 0, or -1 logged. */
static int
checked_run(void)
{
	struct appmsg m;
	struct kerr e = {0};
	int cfd, rc;

	if (ka.pid > 0)
		return 0;
	cfd = open(IMAGE_DIR IMG_CONFIG_PATH, O_RDONLY | O_CLOEXEC);
	if (cfd < 0) {
		klog("app: %s: %s", IMG_CONFIG_PATH, kerr_strerror(errno));
		return -1;
	}
	rc = spawn(cfd, &e);
	close(cfd);
	if (rc == 0 && answer(0, &m, &e) < 0)
		rc = -1;
	if (rc < 0) {
		klog("app: %s: %s", e.check, e.detail);
		return -1;
	}
	if (m.status != APPMSG_OK) { /* it is gone */
		klog("app: %s: %s", m.check[0] ? m.check : "config", m.text);
		return -1;
	}
	if (!same_settings(&m, &g.app)) {
		klog("app: keel app: record: the settings are not the boot's");
		kill_waiting();
		return -1;
	}
	return 0;
}

/* The start: the paths keel-init owns and env. 0, or -1 (a field too
 * long, or more entries than it holds). */
static int
fill_start(struct appstart *s, char *const *env)
{
	const char *p[APPSTART_PATHS] = {
	    [APPSTART_ROOT] = IMAGE_DIR,
	    [APPSTART_ETC_UPPER] = persist_etc_upper(),
	    [APPSTART_ETC_WORK] = persist_etc_work(),
	    [APPSTART_VAR] = persist_var(),
	    [APPSTART_RUN] = SOCK_DIR,
	    [APPSTART_BIN] = agent_client_path(),
	    [APPSTART_RESOLV] = net_resolv_conf(),
	    [APPSTART_CGROUP] = APP_CGROUP_ROOT,
	};
	int bad = 0;
	uint32_t i;

	memset(s, 0, sizeof(*s));
	s->magic = APPSTART_MAGIC;
	s->version = APPSTART_VERSION;
	for (i = 0; i < APPSTART_PATHS; i++)
		bad |= appstart_set(s->path[i], p[i]);
	for (i = 0; env && env[i] && i < APPSTART_ENV; i++)
		bad |= appstart_set(s->env[i], env[i]);
	s->nenv = i;
	return bad || (env && env[i]) ? -1 : 0;
}

int
app_start(char *const *env)
{
	struct appstart s;
	struct appmsg m;
	siginfo_t si;
	struct kerr e = {0};

	if (checked_run() < 0)
		return -1;
	if (fill_start(&s, env) < 0) {
		klog("app: start: a path or the environment does not fit");
		kill_waiting();
		return -1;
	}
	/* Into an empty pipe, under PIPE_BUF: whole or not at all. A keel
	 * app gone meanwhile fails the write (EPIPE; SIGPIPE stays blocked
	 * and pending, taken by the main loop's signalfd): its answer, no
	 * record, says how it ended. */
	(void)!write(ka.sfd, &s, sizeof(s));
	close_fd(&ka.sfd);
	if (answer(1, &m, &e) < 0) { /* a failed start, whichever way */
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
	drop(); /* a keel app waiting for its start: killed below */
	sys->kill(-1, SIGKILL);
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
	g.app_running = 0;
	log_app_ended(); /* its last words */
	if (rmdir(APP_CGROUP) < 0 && errno != ENOENT && errno != ENOTDIR)
		klog("app: %s: %s", APP_CGROUP, kerr_strerror(errno));
}
