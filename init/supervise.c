// SPDX-License-Identifier: MIT
/* For the life of the device: start the app, reap, restart, escalate. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/reboot.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "init/init.h"

static int sig_fd = -1, timer_fd = -1, tick_fd = -1;

static void
arm_timer(uint32_t ms)
{
	struct itimerspec it = {{0, 0},
				{ms / 1000, (long)(ms % 1000) * 1000000}};

	if (ms == 0)
		it.it_value.tv_nsec = 1;
	timerfd_settime(timer_fd, 0, &it, NULL);
}

static int
start(void)
{
	if (app_start(health_app_env()) < 0)
		return -1;
	health_app_started();
	return 0;
}

/*
 * The image under the app is corrupted (slot.c marked it): the app does
 * not start on it again. The other slot, if it can boot and the board
 * falls back; else the board's on_failure.
 */
static void
corrupt_escalate(int corrupt)
{
	if (corrupt == 1 && g.board.on_failure == BOARD_FAIL_FALLBACK &&
	    ab_can_fall_back())
		power_shutdown(RB_AUTOBOOT, "the slot's image is corrupted");
	power_fatal("slot", corrupt == 1 ? "the image is corrupted and no "
					   "other slot can boot"
					 : "the image is corrupted and the "
					   "record cannot say so");
}

/* The app ended: restart with backoff, or escalate a crash loop. */
static void
app_ended(int code)
{
	uint64_t ran_ms = (clock_us() - g.app_started_us) / 1000;
	uint32_t r = g.app.restart;
	uint32_t first = g.app.restart_delay_ms ? g.app.restart_delay_ms
						: INIT_BACKOFF_FIRST_MS;
	uint32_t cap = g.app.restart_max_delay_ms ? g.app.restart_max_delay_ms
						  : INIT_BACKOFF_MAX_MS;

	/* Before anything else: did it end on a corrupted block? */
	int corrupt = slot_check_corruption();

	g.app_running = 0;
	log_app_ended();
	klog_status("app exited status=%d", code);
	klog("app: exited with status %d after %llu ms", code,
	     (unsigned long long)ran_ms);
	if (g.board.on_app_exit == BOARD_EXIT_POWEROFF ||
	    r == APPMSG_RESTART_NO ||
	    (r == APPMSG_RESTART_ON_FAILURE && code == 0))
		power_shutdown(RB_POWER_OFF, "the app ended");
	if (corrupt)
		corrupt_escalate(corrupt);
	if (g.trial) {
		/* A trial app that fails is not restarted: the next boot
		 * spends another try, then falls back to the committed slot.
		 * How it ended is kept for the mark of its last try. */
		ab_app_failed(code, STATE_FAIL_EXIT, 1);
		power_shutdown(RB_AUTOBOOT, "trial app exited before healthy");
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
		ab_app_failed(code, STATE_FAIL_CRASH, 0);
		if (ab_slot_failed(g.slot, STATE_FAIL_CRASH, "app crash loop") <
		    0)
			power_fatal("app", "crash loop, and the record cannot "
					   "say so: not booting it again");
		/* restart -> reboot -> the other slot -> the board's end */
		if (g.board.on_failure != BOARD_FAIL_FALLBACK ||
		    !ab_can_fall_back())
			power_fatal("app",
				    g.board.on_failure == BOARD_FAIL_FALLBACK
					? "crash loop on every slot"
					: "crash loop");
		power_shutdown(RB_AUTOBOOT, "app crash loop");
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
		if (g.app_running && pid == g.app_pid)
			app_ended(init_status_code(st));
		else
			agent_child_exited(pid, st);
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
		power_shutdown(RB_POWER_OFF, "signal");
		break;
	case SIGINT: /* ctrl-alt-del */
	case SIGHUP:
		power_shutdown(RB_AUTOBOOT, "signal");
		break;
	case SIGUSR1:
		power_shutdown(RB_HALT_SYSTEM, "signal");
		break;
	default:
		break;
	}
}

/* Once a second: corruption, health deadlines, the hardware watchdog,
 * agents to restart, the saved log and clock. */
static void
tick(void)
{
	static uint64_t next_save, next_clock;
	uint64_t now = clock_us();

	if (now >= next_save) {
		if (next_save)
			logfile_flush(0);
		next_save = now + INIT_LOG_FLUSH_MS * 1000ull;
	}
	if (now >= next_clock) {
		if (next_clock)
			clock_save();
		next_clock = now + INIT_CLOCK_SAVE_MS * 1000ull;
	}
	agent_tick();
	slot_check_corruption();
	if (health_tick())
		watchdog_pet();
}

void
supervise(void)
{
	struct itimerspec sec = {{1, 0}, {1, 0}};
	struct signalfd_siginfo si;
	sigset_t all;
	int rc;

	sigfillset(&all);
	sig_fd = signalfd(-1, &all, SFD_CLOEXEC);
	timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
	tick_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
	if (sig_fd < 0 || timer_fd < 0 || tick_fd < 0) {
		rc = errno; /* the reason, before the log's renames */
		logfile_open();
		power_fatal("supervise", kerr_strerror(rc));
	}
	timerfd_settime(tick_fd, 0, &sec, NULL);
	if (health_init() < 0)
		klog("notify: no socket: READY=1 cannot arrive");
	watchdog_open();
	if (ctl_init() < 0)
		klog("control: no socket: no status, no updates");
	net_start(); /* never waited for: the app starts at once */
	update_start();
	rc = g.app_running ? 0 : start();
	/* The saved log's file (its rotation: ten renames on /var/lib)
	 * once the app is on its way; it gets every line since the boot. */
	logfile_open();
	if (rc < 0)
		app_ended(APPMSG_SETUP);
	reap(); /* anything that ended before the signalfd existed */
	for (;;) {
		struct pollfd p[4 + 1 + INIT_CTL_CONNS + 2 + INIT_LOG_READERS +
				2 * INIT_AGENTS] = {
		    {sig_fd, POLLIN, 0},
		    {timer_fd, POLLIN, 0},
		    {tick_fd, POLLIN, 0},
		    {health_notify_fd(), POLLIN, 0},
		};
		int nc = ctl_pollfds(p + 4, 1 + INIT_CTL_CONNS);
		int nl = log_pollfds(p + 4 + nc, 2);
		int nr = logsrv_pollfds(p + 4 + nc + nl, INIT_LOG_READERS);
		int na = agent_pollfds(p + 4 + nc + nl + nr, 2 * INIT_AGENTS);
		int n = 4 + nc + nl + nr + na;
		uint64_t ticks;

		if (poll(p, (nfds_t)n, -1) < 0)
			continue;
		if ((p[0].revents & POLLIN) &&
		    read(sig_fd, &si, sizeof(si)) == sizeof(si))
			on_signal(&si);
		if ((p[1].revents & POLLIN) &&
		    read(timer_fd, &ticks, sizeof(ticks)) == sizeof(ticks) &&
		    !g.app_running && start() < 0)
			app_ended(APPMSG_SETUP);
		if (p[3].revents & POLLIN)
			health_on_notify();
		if ((p[2].revents & POLLIN) &&
		    read(tick_fd, &ticks, sizeof(ticks)) == sizeof(ticks))
			tick();
		log_poll(p + 4 + nc, nl);
		ctl_poll(p + 4, nc);
		logsrv_poll(p + 4 + nc + nl, nr);
		agent_poll(p + 4 + nc + nl + nr, na);
	}
}
