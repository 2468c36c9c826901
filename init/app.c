// SPDX-License-Identifier: MIT
/* The app's container: started from the verified image, stopped cleanly. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "init/init.h"
#include "lib/container/cgroup.h"

static struct cgroup cg;
static int have_cg;
static int null_fd = -1;

/* The app's cgroup (limits and the device program); a failure is the
 * start's: the app never runs without the cgroup it should have. */
static int
setup_cgroup(void)
{
	struct cgroup_warnings w;
	struct kerr e = {0};

	if (have_cg || access("/sys/fs/cgroup/cgroup.controllers", F_OK) < 0)
		return 0;
	memset(&w, 0, sizeof(w));
	if (cgroup_create(&cg, "/sys/fs/cgroup", "keel/app", &g.cfg, &w, &e) <
	    0) {
		klog("cgroup: %s", e.detail);
		return -1;
	}
	for (int i = 0; i < w.n; i++)
		klog("cgroup: %s", w.msg[i]);
	have_cg = 1;
	return 0;
}

int
app_start(char *const *env)
{
	sigset_t none;
	struct ctr_spec s;
	int stdio[3];
	struct kerr e = {0};

	sigemptyset(&none);
	memset(&s, 0, sizeof(s));
	s.root = IMAGE_DIR;
	s.etc_upper = persist_etc_upper();
	s.etc_work = persist_etc_work();
	s.var_dir = persist_var();
	s.cfg = &g.cfg;
	s.app_mask = &none;
	s.keel_run = SOCK_DIR;
	s.keel_bin = agent_client_path();
	s.resolv_conf = net_resolv_conf();
	s.env = env;
	/* stdin /dev/null; stdout and stderr the log's pipe, never the
	 * console: nothing the app does with its output can stall PID 1. */
	if (null_fd < 0)
		null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	stdio[0] = null_fd;
	stdio[1] = stdio[2] = log_app_fd() >= 0 ? log_app_fd() : null_fd;
	s.stdio = stdio;
	if (setup_cgroup() < 0)
		return -1;
	s.cg = have_cg ? &cg : NULL;
	if (ctr_start(&s, &g.ctr, &e) < 0) {
		klog("app: %s: %s", e.check ? e.check : "start", e.detail);
		return -1;
	}
	g.app_running = 1;
	g.app_started_us = clock_us();
	klog("app: started (%s), pid %d", g.cfg.args[0], g.ctr.pid);
	return 0;
}

/* Reaps whatever has ended; notes the app's end. */
static void
reap_all(void)
{
	pid_t pid;

	while ((pid = waitpid(-1, NULL, WNOHANG)) > 0)
		if (g.app_running && pid == g.ctr.pid)
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
		sys->kill(g.ctr.pid, SIGTERM);
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
	if (have_cg)
		cgroup_remove(&cg, NULL);
}
