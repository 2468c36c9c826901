// SPDX-License-Identifier: MIT
/* The application container: clone into namespaces, sync, wait, forward. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "compat/linux_capability.h"
#include "lib/base/fmt.h"
#include "lib/container/caps.h"
#include "lib/container/container_priv.h"
#include "lib/container/devcg.h"

/* Default user namespace mapping when the config gives none. */
#define CTR_USERNS_BASE 100000u
#define CTR_USERNS_SIZE 65536u

/* A child between clone and exec leaves only through here or _exit. */
static __attribute__((noreturn)) void
ctr_fail(int errfd, const struct kerr *e, int code)
{
	struct ctr_msg m;

	memset(&m, 0, sizeof(m));
	m.code = code;
	m.e = *e;
	if (write(errfd, &m, sizeof(m)) < 0)
		_exit(code);
	_exit(code);
}

/* Whether every write end of the pipe fd reads from is closed. */
static int
ctr_hung_up(int fd)
{
	struct pollfd p = {.fd = fd, .events = 0};

	return poll(&p, 1, 0) != 0;
}

/*
 * Before the app's fork: no supplementary group (keel's caller's stay
 * out of the container: the app sets its own, and with none the
 * capability to do so can go), then the capability sets cut to the
 * app's needs, CAP_KILL for the reaper and CAP_SETPCAP while the app's
 * bounding set is left for the reaper to drop.
 */
static int
ctr_reaper_narrow(const struct oci_config *cfg, struct kerr *e)
{
	uint64_t keep = caps_needed(cfg) | (1ULL << KEEL_CAP_KILL);

	if (syscall(SYS_setgroups, 0, NULL) && errno != EPERM)
		return kerr_set(e, "user", "setgroups: %s",
				kerr_strerror(errno));
	if (cfg->cap_bounding)
		keep |= 1ULL << 8; /* CAP_SETPCAP */
	if (caps_narrow(keep))
		return kerr_set(e, "caps", "reaper: %s", kerr_strerror(errno));
	return 0;
}

/* What ctr_start hands its child (on the child's stack, or in its copy). */
struct ctr_args {
	const struct ctr_spec *s;
	struct ctr *c;
	int syncfd, errfd, close1, close2;
	int keelfd; /* a pidfd of keel: its network namespace (ctr_net) */
	int rootfd; /* s->root_fd where s->root is NULL, else -1 */
	int report; /* the reaper reports on errfd (CTR_MSG_*) */
};

/*
 * The child's first steps, before anything the container could see: the
 * go, its own descriptors, a session, the user namespace's root. n: the
 * sync pipe and keel's pidfd while keel makes the network namespace,
 * else -1 -1 (the sync pipe closed).
 */
static void
ctr_child_begin(struct ctr_args *a, struct ctr_net *n)
{
	int *keep[CTR_KEEP_MAX] = {&a->errfd}, nkeep = 1;
	struct kerr e = {0};
	char b;

	/* Die with keel. The pipe closes the race: keel holds its end open
	 * until the app runs, so if keel died before the prctl the read
	 * returns 0 (no "go") or the poll sees the pipe hung up. */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	/* Nothing in the container may read this process (its memory, its
	 * /proc/1/fd, root, cwd); the app's execve makes it dumpable. */
	prctl(PR_SET_DUMPABLE, 0);
	if (read(a->syncfd, &b, 1) != 1 || ctr_hung_up(a->syncfd))
		_exit(CTR_EXIT_SETUP);
	if (a->keelfd < 0) {
		close(a->syncfd);
	} else {
		keep[nkeep++] = &a->syncfd;
		keep[nkeep++] = &a->keelfd;
	}
	if (a->rootfd >= 0)
		keep[nkeep++] = &a->rootfd;
	/* Before anything the container could see, or that looks at fds
	 * 0-2 (the /dev/console bind): the app's stdio from the caller
	 * (keel-init: /dev/null and its log pipe), and nothing else of
	 * keel's left open (keel only waits on errfd from here on). */
	if (ctr_own_fds(a->s, keep, nkeep)) {
		kerr_set(&e, "descriptors", "%s", kerr_strerror(errno));
		ctr_fail(a->errfd, &e, CTR_EXIT_SETUP);
	}
	n->syncfd = a->keelfd < 0 ? -1 : a->syncfd;
	n->keelfd = a->keelfd;
	/* A new session: keel's caller's terminal is not the container's
	 * controlling terminal (TIOCSTI, job-control signals). */
	if (setsid() < 0) {
		kerr_set(&e, "session", "setsid: %s", kerr_strerror(errno));
		ctr_fail(a->errfd, &e, CTR_EXIT_SETUP);
	}
	/* Become the namespace's root (mapped now): until then keel's ids
	 * are unmapped there, and files it makes would be EOVERFLOW. */
	if ((a->s->cfg->ns_flags & OCI_NS_USER) &&
	    (setgroups(0, NULL) || setresgid(0, 0, 0) || setresuid(0, 0, 0))) {
		kerr_set(&e, "user namespace", "become root: %s",
			 kerr_strerror(errno));
		ctr_fail(a->errfd, &e, CTR_EXIT_SETUP);
	}
}

/* The first process of the new namespaces: pid 1 of the container. */
static __attribute__((noreturn)) void
ctr_child(struct ctr_args *a)
{
	const struct ctr_spec *s = a->s;
	const struct oci_config *cfg = s->cfg;
	const char *host = s->hostname ? s->hostname : cfg->hostname;
	struct ctr *c = a->c;
	int errfd, report = a->report, net = !!(cfg->ns_flags & OCI_NS_NET);
	struct kerr e = {0};
	struct ctr_net n;
	pid_t app;

	ctr_child_begin(a, &n);
	errfd = a->errfd;
	/* the network namespace's own steps: here when the clone made it,
	 * else keel's (ctr_net_ahead) */
	if (net && n.keelfd < 0 && ctr_net_setup(1, 0, &e))
		ctr_fail(errfd, &e, CTR_EXIT_SETUP);
	if (s->cg && (cfg->ns_flags & OCI_NS_CGROUP) &&
	    unshare(CLONE_NEWCGROUP)) {
		kerr_set(&e, "cgroup namespace", "%s", kerr_strerror(errno));
		ctr_fail(errfd, &e, CTR_EXIT_SETUP);
	}
	/* modes of the nodes and dirs made below are exact; the app gets
	 * the caller's umask back (or the config's) */
	c->umask = umask(0);
	if (ctr_mount_root(s, a->rootfd, &n, &e))
		ctr_fail(errfd, &e, CTR_EXIT_SETUP);
	if (net && n.keelfd < 0 && ctr_net_setup(0, 1, &e))
		ctr_fail(errfd, &e, CTR_EXIT_SETUP);
	if (!host)
		host = "keel";
	if (sethostname(host, strlen(host))) {
		kerr_set(&e, "hostname", "%s: %s", host, kerr_strerror(errno));
		ctr_fail(errfd, &e, CTR_EXIT_SETUP);
	}
	if (cfg->domainname &&
	    setdomainname(cfg->domainname, strlen(cfg->domainname))) {
		kerr_set(&e, "domainname", "%s", kerr_strerror(errno));
		ctr_fail(errfd, &e, CTR_EXIT_SETUP);
	}
	/* The app's bounding set, here once for the app and the reaper (it
	 * drops the rest): nothing from here to the app's execve needs a
	 * capability outside it (a bounding set bounds only what execve and
	 * capset may grant, not what this process holds). */
	if (caps_bounding(cfg->cap_bounding, &e))
		ctr_fail(errfd, &e, CTR_EXIT_SETUP);
	if (cfg->keel.pid1) {
		ctr_exec_app(s, c, &e);
		ctr_fail(errfd, &e, c->exit_code);
	}
	/*
	 * This process is the container's pid 1 for the app's whole life
	 * and the app sees it from its first instruction (/proc/1), while
	 * the reaper's own steps (ctr_reaper) run only once vfork returns:
	 * its name, and capabilities cut to what the app's own steps need
	 * (none, for an app that is root with none), come before the fork.
	 */
	prctl(PR_SET_NAME, "keel-reaper");
	if (ctr_reaper_narrow(cfg, &e))
		ctr_fail(errfd, &e, CTR_EXIT_SETUP);
	/*
	 * vfork: the app shares this process's memory until its execve, so
	 * no page table is copied for it and none torn down at the exec
	 * (~2 ms of a 10 ms launch on a paravirtualised MMU). This process
	 * is suspended until then. SAFE ONLY BECAUSE the child never
	 * returns from here (ctr_exec_app execs or ctr_fail _exits), keel
	 * installs no signal handler, and what the child writes (c, e) the
	 * reaper never reads.
	 */
	app = vfork();
	if (app < 0) {
		kerr_set(&e, "fork", "app: %s", kerr_strerror(errno));
		ctr_fail(errfd, &e, CTR_EXIT_SETUP);
	}
	if (app == 0) {
		ctr_exec_app(s, c, &e);
		ctr_fail(errfd, &e, c->exit_code);
	}
	if (report) {
		struct ctr_msg m = {.code = CTR_MSG_RUNNING};

		if (write(errfd, &m, sizeof(m)) != (ssize_t)sizeof(m))
			report = 0; /* keel is gone: its death signal follows */
	}
	ctr_reaper(app, &c->fwd, cfg->cap_bounding, report ? errfd : -1);
}

static int
ctr_child_entry(void *arg)
{
	struct ctr_args a = *(struct ctr_args *)arg;

	close(a.close1);
	close(a.close2);
	ctr_child(&a);
}

static int
ctr_write_map(pid_t pid, const char *file, const struct oci_idmap *map, int n,
	      struct kerr *e)
{
	char path[48], buf[OCI_MAX_IDMAPS * 36 + 1];
	int len = 0, fd, rc = 0;

	if (n == 0)
		len = fmt_sn(buf, sizeof(buf), "0 %u %u\n", CTR_USERNS_BASE,
			     CTR_USERNS_SIZE);
	for (int i = 0; i < n; i++)
		len +=
		    fmt_sn(buf + len, sizeof(buf) - (size_t)len, "%u %u %u\n",
			   map[i].container_id, map[i].host_id, map[i].size);
	fmt_sn(path, sizeof(path), "/proc/%d/%s", (int)pid, file);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, buf, (size_t)len) != len)
		rc = kerr_set(e, "user namespace", "%s: %s", file,
			      kerr_strerror(errno));
	if (fd >= 0)
		close(fd);
	return rc;
}

/* Parent side between clone and "go": id maps, cgroup membership (unless
 * the child was born in its cgroup: placed). */
static int
ctr_parent_setup(const struct ctr_spec *s, pid_t pid, int placed,
		 struct kerr *e)
{
	const struct oci_config *cfg = s->cfg;

	if (cfg->ns_flags & OCI_NS_USER) {
		if (ctr_write_map(pid, "uid_map", cfg->uid_map, cfg->nuid_map,
				  e) ||
		    ctr_write_map(pid, "gid_map", cfg->gid_map, cfg->ngid_map,
				  e))
			return -1;
	}
	if (s->cg && !placed && cgroup_add_pid(s->cg, pid, e))
		return -1;
	return 0;
}

/* The char device of the app's terminal (its stdio), or 0. */
static dev_t
ctr_console_dev(const struct ctr_spec *s)
{
	struct stat st;

	for (int i = 0; i < 3; i++) {
		int fd = s->stdio && s->stdio[i] >= 0 ? s->stdio[i] : i;

		if (isatty(fd) && fstat(fd, &st) == 0 && S_ISCHR(st.st_mode))
			return st.st_rdev;
	}
	return 0;
}

/*
 * The cgroup v2 device program, on the container's cgroup, when the app
 * could reach a device beyond /dev's nodes (devcg_needed); refused when
 * it could and there is no cgroup v2 to hold the program.
 */
static int
ctr_devices(const struct ctr_spec *s, struct ctr *c, struct kerr *e)
{
	if (!devcg_needed(s->cfg))
		return 0;
	if (!s->cg || !s->cg->created)
		return kerr_set(e, "devices",
				"CAP_MKNOD or a bind mount without nodev "
				"needs the cgroup v2 device program, and "
				"this container has no cgroup v2");
	if (devcg_build(s->cfg, ctr_console_dev(s), &c->dev, e) ||
	    devcg_attach(&c->dev, s->cg->path, e))
		return -1;
	return 0;
}

static void
ctr_close4(const int a[2], const int b[2])
{
	close(a[0]);
	close(a[1]);
	close(b[0]);
	close(b[1]);
}

/* The signals ctr_wait forwards, and CHLD, blocked in the caller. */
static void
ctr_block_signals(const struct ctr_spec *s, struct ctr *c)
{
	static const int fwd[] = {SIGINT,  SIGTERM, SIGHUP,
				  SIGQUIT, SIGUSR1, SIGUSR2};
	sigset_t blk;

	sigemptyset(&c->fwd);
	for (size_t i = 0; i < sizeof(fwd) / sizeof(fwd[0]); i++)
		sigaddset(&c->fwd, fwd[i]);
	blk = c->fwd;
	sigaddset(&blk, SIGCHLD);
	sigprocmask(SIG_BLOCK, &blk, &c->oldmask);
	if (s->app_mask)
		c->oldmask = *s->app_mask;
}

/*
 * How the start went, from the first message on the error pipe fd (or
 * its EOF: the app exec'd, its copy was close-on-exec). 0: the app runs;
 * after CTR_MSG_RUNNING (the reaper reports to keel) fd is kept as
 * c->report_fd for the app's status. -1 with e set: a step failed, and
 * the container is gone unless the caller's parent is to reap it.
 */
static int
ctr_started(const struct ctr_spec *s, struct ctr *c, pid_t pid, int fd,
	    struct kerr *e)
{
	struct ctr_msg m;
	ssize_t n;
	int st;

	do
		n = read(fd, &m, sizeof(m));
	while (n < 0 && errno == EINTR);
	c->pid = pid;
	if (n == (ssize_t)sizeof(m) && m.code == CTR_MSG_RUNNING) {
		c->report_fd = fd;
		return 0;
	}
	if (n != (ssize_t)sizeof(m)) {
		close(fd);
		return 0;
	}
	*e = m.e;
	c->exit_code = m.code;
	if (!s->clone_parent) /* else the parent's to reap */
		waitpid(pid, &st, 0);
	close(fd); /* after: the reaper's last report finds a reader */
	c->pid = -1;
	return -1;
}

/*
 * keel's side between the clone and the child's mounts: the parent's
 * setup, the go (unless it was in the pipe before the clone), and with
 * net, the network namespace made here while the child mounts (its
 * largest single cost of a launch: ~0.4 ms on this kind of machine,
 * now beside the child's work instead of in the clone; on a machine
 * with a CPU to spare, at the same time). The child, which shares
 * keel's memory and errno, sets errno meanwhile in calls that fail (an
 * absent path it skips): a failure of keel's here is read at once, and
 * its reason could then be the child's.
 */
static int
ctr_go(const struct ctr_spec *s, pid_t pid, int placed, int syncfd, int go,
       int net, struct kerr *e)
{
	if (ctr_parent_setup(s, pid, placed, e))
		return -1;
	if (go && write(syncfd, "g", 1) != 1)
		return kerr_set(e, "sync", "%s", kerr_strerror(errno));
	return net ? ctr_net_ahead(syncfd, e) : 0;
}

/*
 * Whether keel makes the container's network namespace (ctr_go) rather
 * than the clone: not in a user namespace of the container's own, which
 * must own it. A pidfd of keel for the child to join it by, or -1.
 */
static int
ctr_net_fd(const struct oci_config *cfg)
{
	if (!(cfg->ns_flags & OCI_NS_NET) || (cfg->ns_flags & OCI_NS_USER))
		return -1;
	return (int)syscall(SYS_pidfd_open, getpid(), 0);
}

int
ctr_start(const struct ctr_spec *s, struct ctr *c, struct kerr *e)
{
	const struct oci_config *cfg = s->cfg;
	unsigned long flags = cfg->ns_flags | OCI_NS_ALWAYS;
	int syncp[2], errp[2], st, early_go, keelfd, placed, rc;
	struct ctr_args args;
	pid_t pid;

	c->exit_code = CTR_EXIT_SETUP;
	c->pid = -1;
	c->report_fd = -1;
	/* the caller removes the cgroup, or may mount the /etc upper layer
	 * again, once ctr_wait returns: the container must be gone by then */
	c->wait_gone = s->cg || s->etc_upper;
	c->notices = (s->etc_upper ? 0 : CTR_NOTICE_ETC_TMPFS) |
		     (s->var_dir ? 0 : CTR_NOTICE_VAR_TMPFS);
	if (seccomp_build(cfg, &c->prog, e) || ctr_devices(s, c, e))
		return -1;
	ctr_block_signals(s, c);
	if (pipe2(syncp, O_CLOEXEC))
		return kerr_set(e, "pipe", "%s", kerr_strerror(errno));
	if (pipe2(errp, O_CLOEXEC)) {
		close(syncp[0]);
		close(syncp[1]);
		return kerr_set(e, "pipe", "%s", kerr_strerror(errno));
	}
	/* A cgroup namespace is made once the child sits in its cgroup. */
	if (s->cg)
		flags &= ~(unsigned long)OCI_NS_CGROUP;
	if (s->clone_parent)
		flags |= CLONE_PARENT;
	/* Nothing for keel to do between clone and "go" (ctr_parent_setup):
	 * the go is in the pipe before the child looks, which then never
	 * sleeps on it (a wake-up less on every start). */
	early_go = !(cfg->ns_flags & OCI_NS_USER) && !s->cg;
	if (early_go && write(syncp[1], "g", 1) != 1) {
		kerr_set(e, "sync", "%s", kerr_strerror(errno));
		ctr_close4(syncp, errp);
		return -1;
	}
	keelfd = ctr_net_fd(cfg);
	if (keelfd >= 0)
		flags &= ~(unsigned long)OCI_NS_NET;
	/* keel's caller waits (ctr_wait) for the reaper's report */
	args = (struct ctr_args){.s = s,
				 .c = c,
				 .syncfd = syncp[0],
				 .errfd = errp[1],
				 .close1 = syncp[1],
				 .close2 = errp[0],
				 .keelfd = keelfd,
				 .rootfd = s->root ? -1 : s->root_fd,
				 .report = !s->clone_parent && !cfg->keel.pid1};
	pid = ctr_clone(cfg, flags, s->cg, ctr_child_entry, &args, sizeof(args),
			&placed, e);
	close(errp[1]);
	if (keelfd >= 0)
		close(keelfd);
	if (pid < 0) {
		close(syncp[0]);
		close(syncp[1]);
		close(errp[0]);
		return -1;
	}
	/* keel's read end stays open until the go and "n" are written: a
	 * child gone meanwhile (it says why on the error pipe) makes no
	 * SIGPIPE */
	rc = ctr_go(s, pid, placed, syncp[1], !early_go, keelfd >= 0, e);
	close(syncp[0]);
	if (rc) {
		close(syncp[1]); /* the child reads EOF and leaves */
		close(errp[0]);
		kill(pid, SIGKILL);
		waitpid(pid, &st, 0);
		return -1;
	}
	rc = ctr_started(s, c, pid, errp[0], e);
	close(syncp[1]); /* open until here: the child's check of keel */
	return rc;
}
