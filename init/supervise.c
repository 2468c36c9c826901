// SPDX-License-Identifier: MIT
/* For the life of the device: start the app, reap, restart, shut down. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "init/init.h"
#include "lib/container/cgroup.h"

#define IMAGE_DIR "/run/keel/image"

static int sig_fd = -1, timer_fd = -1, tick_fd = -1;
static struct cgroup cg;
static int have_cg;

static void
arm_timer(uint32_t ms)
{
	struct itimerspec it = {{0, 0},
				{ms / 1000, (long)(ms % 1000) * 1000000}};

	if (ms == 0)
		it.it_value.tv_nsec = 1;
	timerfd_settime(timer_fd, 0, &it, NULL);
}

static void
setup_cgroup(void)
{
	struct cgroup_warnings w;
	struct kerr e = {0};

	if (have_cg || access("/sys/fs/cgroup/cgroup.controllers", F_OK) < 0)
		return;
	memset(&w, 0, sizeof(w));
	if (cgroup_create(&cg, "/sys/fs/cgroup", "keel/app", &g.cfg, &w, &e) <
	    0) {
		klog("cgroup: %s", e.detail);
		return;
	}
	for (int i = 0; i < w.n; i++)
		klog("cgroup: %s", w.msg[i]);
	have_cg = 1;
}

int
start_app(void)
{
	sigset_t none;
	struct ctr_spec s;
	struct kerr e = {0};

	sigemptyset(&none);
	memset(&s, 0, sizeof(s));
	s.root = IMAGE_DIR;
	s.etc_upper = persist_etc_upper();
	s.etc_work = persist_etc_work();
	s.var_dir = persist_var();
	s.cfg = &g.cfg;
	s.app_mask = &none;
	s.keel_run = "/run/keel/sock";
	s.env = health_app_env();
	setup_cgroup();
	s.cg = have_cg ? &cg : NULL;
	if (ctr_start(&s, &g.ctr, &e) < 0) {
		klog("app: %s: %s", e.check ? e.check : "start", e.detail);
		return -1;
	}
	g.app_running = 1;
	g.app_started_us = init_now_us();
	health_app_started();
	klog("app: started (%s), pid %d", g.cfg.args[0], g.ctr.pid);
	return 0;
}

/* The app ended: restart with backoff, or escalate a crash loop. */
static void
app_ended(int code)
{
	uint64_t ran_ms = (init_now_us() - g.app_started_us) / 1000;
	enum oci_restart r = g.cfg.keel.restart;
	uint32_t first = g.cfg.keel.restart_delay_ms
			     ? g.cfg.keel.restart_delay_ms
			     : INIT_BACKOFF_FIRST_MS;
	uint32_t cap = g.cfg.keel.restart_max_delay_ms
			   ? g.cfg.keel.restart_max_delay_ms
			   : INIT_BACKOFF_MAX_MS;

	g.app_running = 0;
	printf("keel: app exited status=%d\n", code);
	fflush(stdout);
	klog("app: exited with status %d after %llu ms", code,
	     (unsigned long long)ran_ms);
	if (g.board.on_app_exit == BOARD_EXIT_POWEROFF || r == OCI_RESTART_NO ||
	    (r == OCI_RESTART_ON_FAILURE && code == 0))
		init_shutdown(RB_POWER_OFF, "the app ended");
	if (g.trial) {
		/* A trial app that fails is not restarted: the next boot
		 * spends another try, then falls back to the committed slot. */
		init_shutdown(RB_AUTOBOOT, "trial app exited before healthy");
	}
	if (ran_ms >= INIT_STABLE_RUN_MS) {
		g.restarts = 0;
		g.backoff_ms = 0;
	}
	g.backoff_ms = g.backoff_ms ? g.backoff_ms * 2 : first;
	if (g.backoff_ms > cap)
		g.backoff_ms = cap;
	if (++g.restarts > INIT_CRASH_LOOP) {
		klog("app: crash loop (%u restarts)", g.restarts - 1);
		init_slot_failed(g.slot, STATE_FAIL_CRASH, "app crash loop");
		/* restart -> reboot -> the other slot -> the board's end */
		if (g.board.on_failure != BOARD_FAIL_FALLBACK ||
		    !init_can_fall_back())
			init_fatal("app",
				   g.board.on_failure == BOARD_FAIL_FALLBACK
				       ? "crash loop on every slot"
				       : "crash loop");
		init_shutdown(RB_AUTOBOOT, "app crash loop");
	}
	klog("app: restart %u in %u ms", g.restarts, g.backoff_ms);
	arm_timer(g.backoff_ms);
}

static void
reap(void)
{
	int st;
	pid_t pid;

	while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
		if (g.app_running && pid == g.ctr.pid)
			app_ended(ctr_status_code(st));
		else
			control_child_exited(pid, st);
	}
}

static void
on_signal(const struct signalfd_siginfo *si)
{
	switch (si->ssi_signo) {
	case SIGCHLD:
		reap();
		break;
	case SIGTERM:
	case SIGUSR2:
	case SIGPWR:
		init_shutdown(RB_POWER_OFF, "signal");
		break;
	case SIGINT: /* ctrl-alt-del */
	case SIGHUP:
		init_shutdown(RB_AUTOBOOT, "signal");
		break;
	case SIGUSR1:
		init_shutdown(RB_HALT_SYSTEM, "signal");
		break;
	default:
		break;
	}
}

/* Waits up to ms for the app to go, reaping everything meanwhile. */
static void
wait_app_gone(uint32_t ms)
{
	uint64_t end = init_now_us() + (uint64_t)ms * 1000;
	struct signalfd_siginfo si;

	while (g.app_running && init_now_us() < end) {
		struct pollfd p = {sig_fd, POLLIN, 0};
		int left = (int)((end - init_now_us()) / 1000) + 1;
		if (poll(&p, 1, left) > 0 &&
		    read(sig_fd, &si, sizeof(si)) == sizeof(si) &&
		    si.ssi_signo == SIGCHLD) {
			int st;
			pid_t pid;
			while ((pid = waitpid(-1, &st, WNOHANG)) > 0)
				if (pid == g.ctr.pid)
					g.app_running = 0;
		}
	}
}

void
init_shutdown(int how, const char *why)
{
	uint32_t grace = g.cfg.keel.stop_grace_ms ? g.cfg.keel.stop_grace_ms
						  : INIT_STOP_GRACE_MS;

	klog("shutdown (%s): %s", why,
	     how == RB_POWER_OFF  ? "power off"
	     : how == RB_AUTOBOOT ? "reboot"
				  : "halt");
	if (g.app_running) {
		sys->kill(g.ctr.pid, SIGTERM);
		wait_app_gone(grace);
		if (g.app_running)
			klog("shutdown: app still running after %u ms: KILL",
			     grace);
	}
	/* Everything left, in every namespace, goes now. */
	sys->kill(-1, SIGKILL);
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
	g.app_running = 0;
	if (have_cg)
		cgroup_remove(&cg, NULL);
	unmount_persistent();
	sys->umount(IMAGE_DIR, MNT_DETACH);
	sync();
	klog("shutdown: done");
	sys->reboot(how);
	/* Only --test gets here (or a kernel that refused): stay. */
	for (;;)
		pause();
}

void
supervise(void)
{
	struct itimerspec sec = {{1, 0}, {1, 0}};
	struct signalfd_siginfo si;
	sigset_t all;

	sigfillset(&all);
	sig_fd = signalfd(-1, &all, SFD_CLOEXEC);
	timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
	tick_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
	if (sig_fd < 0 || timer_fd < 0 || tick_fd < 0)
		init_fatal("supervise", strerror(errno));
	timerfd_settime(tick_fd, 0, &sec, NULL);
	health_init();
	control_init();
	if (!g.app_running && start_app() < 0)
		app_ended(CTR_EXIT_SETUP);
	reap(); /* anything that ended before the signalfd existed */
	for (;;) {
		struct pollfd p[4 + 1 + INIT_CTL_CONNS] = {
		    {sig_fd, POLLIN, 0},
		    {timer_fd, POLLIN, 0},
		    {tick_fd, POLLIN, 0},
		    {health_notify_fd(), POLLIN, 0},
		};
		int n = 4 + control_pollfds(p + 4, 1 + INIT_CTL_CONNS);
		uint64_t ticks;

		if (poll(p, (nfds_t)n, -1) < 0)
			continue;
		if ((p[0].revents & POLLIN) &&
		    read(sig_fd, &si, sizeof(si)) == sizeof(si))
			on_signal(&si);
		if ((p[1].revents & POLLIN) &&
		    read(timer_fd, &ticks, sizeof(ticks)) == sizeof(ticks) &&
		    !g.app_running && start_app() < 0)
			app_ended(CTR_EXIT_SETUP);
		if (p[3].revents & POLLIN)
			health_on_notify();
		if ((p[2].revents & POLLIN) &&
		    read(tick_fd, &ticks, sizeof(ticks)) == sizeof(ticks))
			health_tick();
		control_poll(p + 4, n - 4);
	}
}
