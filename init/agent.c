// SPDX-License-Identifier: MIT
/* Agents: children keel-init starts, hears, restarts and stops (AGENTS.md). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "compat/linux_capability.h"
#include "init/init.h"
#include "lib/base/fmt.h"

#define CLOSE_RANGE_CLOEXEC (1u << 2)

/*
 * An agent is `keel NAME ARGS...` (the keel binary of the initramfs,
 * kept open before the root moved), run as its own uid with only the
 * capabilities its definition names (bounding set too), no_new_privs, a
 * seccomp filter, and these descriptors and no other: 0 /dev/null,
 * 1 and 2 a pipe into the log (its own source tag), 3 a SOCK_SEQPACKET
 * socket for its status (lib/ipc/agentmsg.h), 4.. what its prepare()
 * opened. PID 1 reads both ends without blocking, with a budget per
 * turn; an agent that dies is restarted with backoff, never escalated.
 */
struct agent {
	const struct agent_def *def;
	pid_t pid;	   /* 0: not running */
	int st_fd, log_fd; /* PID 1's ends while it runs */
	uint64_t started_us;
	uint64_t next_us; /* a start is due then (0: none) */
	uint32_t backoff_ms;
	unsigned restarts;
	int stopping;
	unsigned refused;	     /* status datagrams refused */
	char part[LOGRING_LINE_MAX]; /* its log line in progress */
	size_t part_len;
	struct agentmsg_table st;
};

static struct agent agents[INIT_AGENTS];
static unsigned nagents;
static int keel_fd = -1; /* the keel binary, O_PATH */
static char keel_path[256];
static int client_bound; /* SOCK_KEEL_BIN is a bind of /bin/keel */

/* Before the root moves off the initramfs: keep /bin/keel open (a
 * --test run uses the keel next to keel-init). */
void
agent_open_binary(void)
{
	ssize_t n;
	char *slash;

	if (!g.test) {
		fmt_sn(keel_path, sizeof(keel_path), "%s", AGENT_BINARY);
	} else if ((n = readlink("/proc/self/exe", keel_path,
				 sizeof(keel_path) - 6)) > 0) {
		keel_path[n] = 0;
		slash = strrchr(keel_path, '/');
		strcpy(slash ? slash + 1 : keel_path, "keel");
	}
	keel_fd = open(keel_path, O_PATH | O_CLOEXEC);
	if (keel_fd < 0) {
		klog("agents: %s: %s: no agent can run", keel_path,
		     kerr_strerror(errno));
		return;
	}
	/* The app's client: bound over the empty file in the sockets'
	 * directory now, it moves with /run; each container binds it at
	 * /run/keel/bin/keel (lib/container, keel_bin). */
	if (g.test ||
	    sys->mount(keel_path, SOCK_KEEL_BIN, NULL, MS_BIND, NULL) < 0)
		return;
	if (sys->mount(NULL, SOCK_KEEL_BIN, NULL,
		       MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV,
		       NULL) < 0) {
		klog("agents: %s read-only: %s", SOCK_KEEL_BIN,
		     kerr_strerror(errno));
		sys->umount(SOCK_KEEL_BIN, MNT_DETACH);
		return;
	}
	client_bound = 1;
}

const char *
agent_client_path(void)
{
	return client_bound ? SOCK_KEEL_BIN : NULL;
}

/* --- in the child, between fork and exec: _exit only ------------------- */

static int
cap_set(uint64_t caps)
{
	struct keel_cap_header h = {KEEL_CAP_VERSION_3, 0};
	struct keel_cap_data d[2] = {
	    {(uint32_t)caps, (uint32_t)caps, (uint32_t)caps},
	    {(uint32_t)(caps >> 32), (uint32_t)(caps >> 32),
	     (uint32_t)(caps >> 32)},
	};

	return (int)syscall(SYS_capset, &h, d);
}

/* Bounding set, ids, capability sets, ambient: only def->caps remain
 * (kept across exec by the ambient set, as the uid is not 0). The ids and
 * the core limit are set by the system calls themselves: the child of
 * fork has one thread, and libc's wrappers would link its machinery for
 * setting them in every thread of a process (about 1 KiB of PID 1). */
static int
drop_privileges(const struct agent_def *d)
{
	struct rlimit core = {0, 0};
	long uid = d->uid, gid = d->gid;

	for (int cap = 0; cap < 64; cap++)
		if (!(d->caps & (1ull << cap)) &&
		    prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno == EINVAL)
			break;
	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0 ||
	    syscall(SYS_setgroups, 0, NULL) < 0 ||
	    syscall(SYS_setresgid, gid, gid, gid) < 0 ||
	    syscall(SYS_setresuid, uid, uid, uid) < 0 || cap_set(d->caps) < 0)
		return -1;
	for (int cap = 0; cap < 64; cap++)
		if ((d->caps & (1ull << cap)) &&
		    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) < 0)
			return -1;
	syscall(SYS_prlimit64, 0, RLIMIT_CORE, &core, NULL);
	return prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
}

/* fds[] onto 0.. in order (-1: closed); every other descriptor closes
 * at exec (marked, not closed: the keel binary's is needed until then). */
static int
place_fds(int *fds, int n)
{
	for (int i = 0; i < n; i++)
		if (fds[i] >= 0 &&
		    (fds[i] = fcntl(fds[i], F_DUPFD_CLOEXEC, 64)) < 0)
			return -1;
	for (int i = 0; i < n; i++) {
		if (fds[i] < 0)
			close(i);
		else if (dup2(fds[i], i) < 0)
			return -1;
	}
	if (syscall(SYS_close_range, (unsigned)n, ~0u, CLOSE_RANGE_CLOEXEC) < 0)
		for (int fd = n; fd < 1024; fd++)
			fcntl(fd, F_SETFD, FD_CLOEXEC);
	return 0;
}

__attribute__((noreturn)) static void
child(const struct agent_def *d, int st, int lg, const int *extra, char **argv)
{
	static char *const envp[] = {"PATH=/bin", NULL};
	int fds[4 + AGENT_FDS];
	sigset_t none;
	char msg[160];
	int n, exe;

	fds[0] = open("/dev/null", O_RDWR | O_CLOEXEC);
	fds[1] = fds[2] = lg;
	fds[3] = st;
	for (int i = 0; i < AGENT_FDS; i++)
		fds[4 + i] = extra[i];
	sigemptyset(&none);
	exe = fcntl(keel_fd, F_DUPFD_CLOEXEC, 64); /* out of place_fds' way */
	if (exe < 0 || place_fds(fds, 4 + AGENT_FDS) < 0 || setsid() < 0 ||
	    sigprocmask(SIG_SETMASK, &none, NULL) < 0 ||
	    drop_privileges(d) < 0 || agent_seccomp() < 0) {
		n = fmt_sn(msg, sizeof(msg), "cannot drop privileges: %s\n",
			   kerr_strerror(errno));
		(void)!write(2, msg, (size_t)n);
		_exit(126);
	}
	umask(022);
	syscall(SYS_execveat, exe, "", argv, envp, AT_EMPTY_PATH);
	n = fmt_sn(msg, sizeof(msg), "exec %s: %s\n", keel_path,
		   kerr_strerror(errno));
	(void)!write(2, msg, (size_t)n);
	_exit(127);
}

/* In a child of PID 1 that keeps its privileges (`keel app`): fds[]
 * onto 0.., an empty signal mask, then exec keel. Returns only on
 * failure (errno set). */
int
agent_exec_keel(int *fds, int n, char **argv)
{
	static char *const envp[] = {"PATH=/bin", NULL};
	sigset_t none;
	int exe;

	sigemptyset(&none);
	if (keel_fd < 0)
		return errno = ENOENT, -1; /* agent_open_binary said why */
	exe = fcntl(keel_fd, F_DUPFD_CLOEXEC, 64);
	if (exe < 0 || place_fds(fds, n) < 0 ||
	    sigprocmask(SIG_SETMASK, &none, NULL) < 0)
		return -1;
	syscall(SYS_execveat, exe, "", argv, envp, AT_EMPTY_PATH);
	return -1;
}

/*
 * Reads a record of a keel helper (size bytes), to its size (keel app's
 * check: its start follows on the same pipe) or, the last one (to_end),
 * to EOF; by ms from now. Bytes read or -1. The watchdog is petted each
 * second meanwhile: a slow helper is the deadline's to end, not the
 * hardware's.
 */
ssize_t
init_read_record(int fd, void *m, size_t size, int to_end, uint32_t ms)
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

		if (got == size && !to_end)
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

/* --- in PID 1 ---------------------------------------------------------- */

static void
close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

static int
start(struct agent *a)
{
	char *argv[AGENT_ARGS + 3];
	int extra[AGENT_FDS], sp[2] = {-1, -1}, lp[2] = {-1, -1}, argc;
	pid_t pid;

	a->next_us = 0;
	for (int i = 0; i < AGENT_FDS; i++)
		extra[i] = -1;
	argv[0] = "keel";
	argv[1] = (char *)a->def->name;
	argc = a->def->prepare(argv + 2, AGENT_ARGS, extra);
	if (keel_fd < 0 || argc < 0 ||
	    socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0 ||
	    pipe2(lp, O_CLOEXEC) < 0) {
		klog("agent %s: cannot start: %s", a->def->name,
		     keel_fd < 0 ? "no keel binary" : kerr_strerror(errno));
		goto out;
	}
	argv[2 + argc] = NULL;
	/* _Fork: fork without libc's atfork handlers and lock resets, which
	 * are for threads; PID 1 has none when it forks (the check joins its
	 * workers before it returns), and the child only sets itself up and
	 * execs. */
	pid = _Fork();
	if (pid == 0)
		child(a->def, sp[1], lp[1], extra, argv);
	if (pid < 0) {
		klog("agent %s: fork: %s", a->def->name, kerr_strerror(errno));
		goto out;
	}
	fcntl(sp[0], F_SETFL, O_NONBLOCK);
	fcntl(lp[0], F_SETFL, O_NONBLOCK);
	a->pid = pid;
	a->st_fd = sp[0];
	a->log_fd = lp[0];
	sp[0] = lp[0] = -1;
	a->started_us = clock_us();
	a->part_len = 0;
	klog("agent %s: started, pid %d", a->def->name, pid);
out:
	close_fd(&sp[0]);
	close_fd(&sp[1]);
	close_fd(&lp[0]);
	close_fd(&lp[1]);
	for (int i = 0; i < AGENT_FDS; i++)
		close_fd(&extra[i]);
	/* Could not start: try again later, unless there is no binary or
	 * its job was for now only. */
	if (!a->pid && keel_fd >= 0 && !a->def->once)
		a->next_us = clock_us() + INIT_AGENT_BACKOFF_MAX_MS * 1000ull;
	return a->pid ? 0 : -1;
}

/* Registers d and starts it; for a d registered already (an agent run
 * on demand, e.g. one that exits 0 when its work is done), starts it
 * again unless it runs. */
int
agent_add(const struct agent_def *d)
{
	struct agent *a;

	for (unsigned i = 0; i < nagents; i++) {
		a = &agents[i];
		if (a->def != d)
			continue;
		if (a->pid || a->stopping)
			return -1;
		a->backoff_ms = 0;
		return start(a);
	}
	if (nagents == INIT_AGENTS) {
		klog("agent %s: more than %d agents", d->name, INIT_AGENTS);
		return -1;
	}
	a = &agents[nagents++];
	memset(a, 0, sizeof(*a));
	a->def = d;
	a->st_fd = a->log_fd = -1;
	return start(a);
}

/* Up to a budget per turn: an agent that floods cannot hold PID 1. */
static void
drain_log(struct agent *a, size_t budget)
{
	char buf[4096];
	ssize_t n;

	while (a->log_fd >= 0 && budget &&
	       (n = read(a->log_fd, buf,
			 budget < sizeof(buf) ? budget : sizeof(buf))) > 0) {
		budget -= (size_t)n;
		for (ssize_t i = 0; i < n; i++) {
			if (buf[i] != '\n')
				a->part[a->part_len++] = buf[i];
			if (buf[i] == '\n' || a->part_len == sizeof(a->part)) {
				log_line(a->def->log_src, a->part, a->part_len);
				a->part_len = 0;
			}
		}
	}
}

static void
read_status(struct agent *a)
{
	char buf[AGENTMSG_MAX + 1];
	struct kerr e = {0};
	int changed = 0;

	for (int k = 0; k < INIT_AGENT_MSGS && a->st_fd >= 0; k++) {
		ssize_t n =
		    recv(a->st_fd, buf, sizeof(buf), MSG_DONTWAIT | MSG_TRUNC);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			break;
		if (n <= 0) {
			close_fd(&a->st_fd); /* it closed its end */
			break;
		}
		if (agentmsg_apply(&a->st, buf,
				   n > AGENTMSG_MAX ? sizeof(buf) : (size_t)n,
				   &e) < 0) {
			if (a->refused++ < 3) /* told, not flooded */
				klog("agent %s: status refused: %s",
				     a->def->name, e.detail);
			continue;
		}
		changed = 1;
	}
	if (changed && a->def->on_status)
		a->def->on_status(&a->st);
}

int
agent_pollfds(struct pollfd *p, int max)
{
	int n = 0;

	for (unsigned i = 0; i < nagents; i++) {
		if (agents[i].st_fd >= 0 && n < max)
			p[n++] = (struct pollfd){agents[i].st_fd, POLLIN, 0};
		if (agents[i].log_fd >= 0 && n < max)
			p[n++] = (struct pollfd){agents[i].log_fd, POLLIN, 0};
	}
	return n;
}

void
agent_poll(const struct pollfd *p, int n)
{
	for (int k = 0; k < n; k++) {
		if (!(p[k].revents & (POLLIN | POLLHUP | POLLERR)))
			continue;
		for (unsigned i = 0; i < nagents; i++) {
			struct agent *a = &agents[i];
			if (p[k].fd == a->st_fd)
				read_status(a);
			else if (p[k].fd == a->log_fd)
				drain_log(a, INIT_AGENT_LOG_BUDGET);
			if (p[k].fd == a->log_fd && (p[k].revents & POLLHUP) &&
			    !(p[k].revents & POLLIN))
				close_fd(&a->log_fd); /* all writers gone */
		}
	}
}

/* Its last words, and its ends closed. */
static void
ended(struct agent *a)
{
	drain_log(a, INIT_AGENT_LOG_BUDGET);
	if (a->part_len) {
		log_line(a->def->log_src, a->part, a->part_len);
		a->part_len = 0;
	}
	close_fd(&a->log_fd);
	close_fd(&a->st_fd);
	agentmsg_clear(&a->st); /* what it said holds no longer */
	a->pid = 0;
}

/* Called by the reaper: 1 if pid was an agent's. */
int
agent_child_exited(pid_t pid, int status)
{
	int code = init_status_code(status);
	uint64_t ran_ms;
	struct agent *a = NULL;

	for (unsigned i = 0; i < nagents && !a; i++)
		if (agents[i].pid == pid)
			a = &agents[i];
	if (!a)
		return 0;
	ended(a);
	ran_ms = (clock_us() - a->started_us) / 1000;
	klog("agent %s: exited with status %d after %llu ms", a->def->name,
	     code, (unsigned long long)ran_ms);
	if (a->def->on_exit)
		a->def->on_exit(code);
	if (a->stopping || code == 0 || a->def->once)
		return 1; /* stopped, or done with its work */
	if (ran_ms >= INIT_STABLE_RUN_MS)
		a->backoff_ms = 0;
	a->backoff_ms =
	    a->backoff_ms ? a->backoff_ms * 2 : INIT_AGENT_BACKOFF_FIRST_MS;
	if (a->backoff_ms > INIT_AGENT_BACKOFF_MAX_MS)
		a->backoff_ms = INIT_AGENT_BACKOFF_MAX_MS;
	a->restarts++;
	a->next_us = clock_us() + a->backoff_ms * 1000ull;
	klog("agent %s: restart %u in %u ms", a->def->name, a->restarts,
	     a->backoff_ms);
	return 1;
}

/* Once a second: the restarts that are due. */
void
agent_tick(void)
{
	uint64_t now = clock_us();

	for (unsigned i = 0; i < nagents; i++)
		if (!agents[i].pid && !agents[i].stopping &&
		    agents[i].next_us && now >= agents[i].next_us)
			start(&agents[i]);
}

static int
running(void)
{
	for (unsigned i = 0; i < nagents; i++)
		if (agents[i].pid)
			return 1;
	return 0;
}

/* Reaps only agents: the app's end is app_stop's to see. */
static void
reap_agents(void)
{
	int st;

	for (unsigned i = 0; i < nagents; i++)
		if (agents[i].pid &&
		    waitpid(agents[i].pid, &st, WNOHANG) == agents[i].pid)
			agent_child_exited(agents[i].pid, st);
}

/*
 * Shutdown: TERM to every agent (the network agent releases its leases),
 * up to grace_ms for them to go, then KILL. Signals are blocked in PID
 * 1, so SIGCHLD waits in watchdog_wait_child, as in app_stop.
 */
void
agent_stop_all(uint32_t grace_ms)
{
	uint64_t end = clock_us() + (uint64_t)grace_ms * 1000;

	for (unsigned i = 0; i < nagents; i++) {
		agents[i].stopping = 1;
		if (agents[i].pid)
			kill(agents[i].pid, SIGTERM); /* its own child */
	}
	reap_agents();
	while (running() && clock_us() < end) {
		watchdog_wait_child(end);
		reap_agents();
	}
	for (unsigned i = 0; i < nagents; i++)
		if (agents[i].pid) {
			klog("agent %s: still running after %u ms: KILL",
			     agents[i].def->name, grace_ms);
			kill(agents[i].pid, SIGKILL);
			ended(&agents[i]);
		}
}

/* "NAME=running", "NAME.restarts=N", then its own keys as NAME.KEY. */
void
agent_put_status(char *buf, size_t cap, size_t *off)
{
	char key[AGENTMSG_KEY_MAX + 32];

	for (unsigned i = 0; i < nagents; i++) {
		const struct agent *a = &agents[i];
		const char *nm = a->def->name;

		control_put(buf, cap, off, nm, "%s",
			    a->pid	  ? "running"
			    : a->stopping ? "stopped"
			    : a->next_us  ? "restarting"
					  : "done");
		fmt_sn(key, sizeof(key), "%s.restarts", nm);
		control_put(buf, cap, off, key, "%u", a->restarts);
		for (unsigned k = 0; k < a->st.n; k++) {
			fmt_sn(key, sizeof(key), "%s.%s", nm, a->st.kv[k].key);
			control_put(buf, cap, off, key, "%s", a->st.kv[k].val);
		}
	}
}
