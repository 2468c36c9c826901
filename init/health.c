// SPDX-License-Identifier: MIT
/* App health: systemd's notify protocol, READY and WATCHDOG deadlines. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <unistd.h>

#include "init/init.h"
#include "lib/base/fmt.h"
#include "lib/ipc/notify.h"

static int notify_fd = -1;
static int ready;	    /* READY=1 seen since the app started */
static uint64_t app_pet_us; /* last WATCHDOG=1 (or start) */
static uint64_t due_us;	    /* READY deadline / healthy-after time */
static int hung_noted;	    /* a hung trial's status is in the record */
static char status[NOTIFY_STATUS_MAX + 1];
/* keel-init's part of the app's environment, after its config's (keel
 * app joins them): NOTIFY_SOCKET and WATCHDOG_USEC. */
static char *env[3];
static char wd_env[48];

int
health_init(void)
{
	struct kerr e = {0};

	notify_fd = notify_open(NOTIFY_SOCK, &e);
	if (notify_fd < 0)
		klog("notify: %s", e.detail);
	else
		chmod(NOTIFY_SOCK, 0666); /* the app may run as any uid */
	return notify_fd;
}

int
health_notify_fd(void)
{
	return notify_fd;
}

const char *
health_status(void)
{
	return status;
}

char *const *
health_app_env(void)
{
	int n = 0;

	env[n++] = "NOTIFY_SOCKET=" APP_NOTIFY_PATH;
	if (g.app.watchdog_ms) {
		fmt_sn(wd_env, sizeof(wd_env), "WATCHDOG_USEC=%llu",
		       (unsigned long long)g.app.watchdog_ms * 1000);
		env[n++] = wd_env;
	}
	env[n] = NULL;
	return env;
}

void
health_app_started(void)
{
	uint32_t ms = g.app.healthy_after_ms;

	ready = 0;
	hung_noted = 0;
	status[0] = 0;
	app_pet_us = clock_us();
	if (!ms)
		ms = (g.app.flags & APPMSG_NOTIFY) ? INIT_READY_TIMEOUT_MS
						   : INIT_HEALTHY_AFTER_MS;
	due_us = app_pet_us + (uint64_t)ms * 1000;
}

/* Datagrams on the notify socket: READY, WATCHDOG, STATUS. */
void
health_on_notify(void)
{
	static char buf[NOTIFY_MAX + 1];
	struct notify_msg m;
	struct kerr e = {0};
	pid_t pid;
	int r;

	while ((r = notify_recv(notify_fd, buf, sizeof(buf), &m, &pid, &e)) !=
	       0) {
		if (r < 0) {
			if (!e.check || strcmp(e.check, "notify recv"))
				continue; /* a refused datagram: next */
			break;
		}
		if (m.flags & NOTIFY_STATUS)
			fmt_sn(status, sizeof(status), "%s", m.status);
		if (m.flags & NOTIFY_WATCHDOG)
			app_pet_us = clock_us();
		if ((m.flags & NOTIFY_READY) && !ready && g.app_running) {
			ready = 1;
			klog("app: READY");
			ab_app_healthy();
		}
	}
}

/*
 * Once a second: the READY deadline (or healthy-after time) and the
 * app's WATCHDOG=1 deadline. Returns 1 while keel-init is in control,
 * so the hardware watchdog is petted: the app runs, or is deliberately
 * not running (backoff before a restart: escalation is the restart
 * policy's job, not a reset's). 0 only for a hung app: alive, its
 * WATCHDOG=1 overdue.
 */
int
health_tick(void)
{
	uint64_t now = clock_us();
	int healthy = 1;

	/* A commit whose record write failed: tried again each tick. */
	if (ready && g.commit_pending && g.app_running)
		ab_app_healthy();

	if (g.app_running && !ready && now >= due_us) {
		if (!(g.app.flags & APPMSG_NOTIFY)) {
			ready = 1;
			klog("app: healthy after %llu ms running",
			     (unsigned long long)(now - app_pet_us) / 1000);
			ab_app_healthy();
		} else if (g.commit_pending) {
			ab_app_failed(-1, STATE_FAIL_NOT_READY, 0);
			if (ab_slot_failed(g.slot, STATE_FAIL_NOT_READY,
					   "no READY=1 in time") < 0)
				power_fatal("app", "never became ready, and "
						   "the record cannot say so");
			power_shutdown(RB_AUTOBOOT,
				       "trial app never became ready");
		} else {
			klog("app: still not READY");
			due_us = now + INIT_READY_TIMEOUT_MS * 1000ull;
		}
	}
	if (g.app_running && g.app.watchdog_ms &&
	    now - app_pet_us > g.app.watchdog_ms * 1000ull) {
		healthy = 0;
		klog("app: watchdog: no WATCHDOG=1 for %u ms",
		     g.app.watchdog_ms);
		/* A hung trial ends in a reset: its status first, once. */
		if (g.commit_pending && watchdog_active() && !hung_noted) {
			hung_noted = 1;
			ab_app_failed(-1, STATE_FAIL_WATCHDOG, 1);
		}
		if (!watchdog_active()) {
			/* No hardware to reset us: restart the app instead. */
			sys->kill(g.app_pid, SIGKILL);
			app_pet_us = now;
		}
	}
	return healthy;
}
