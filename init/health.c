// SPDX-License-Identifier: MIT
/* App health: systemd's notify protocol, and the hardware watchdog. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <unistd.h>

#include "init/init.h"
#include "lib/disk/dm.h"
#include "lib/ipc/notify.h"

#define NOTIFY_PATH "/run/keel/sock/notify"
#define WDIOC_KEEPALIVE _IOR('W', 5, int)
#define WDIOC_SETTIMEOUT _IOWR('W', 6, int)

static int notify_fd = -1, wd_fd = -1;
static int ready;	    /* READY=1 seen since the app started */
static uint64_t app_pet_us; /* last WATCHDOG=1 (or start) */
static uint64_t due_us;	    /* READY deadline / healthy-after time */
static char status[NOTIFY_STATUS_MAX + 1];
/* The app's environment: its config's, plus NOTIFY_SOCKET and friends. */
static char *env[OCI_MAX_ENV + 3];
static char wd_env[48];

int
health_init(void)
{
	struct kerr e = {0};
	int timeout = g.board.watchdog_timeout ? (int)g.board.watchdog_timeout
					       : INIT_WATCHDOG_SEC;

	notify_fd = notify_open(NOTIFY_PATH, &e);
	if (notify_fd < 0)
		klog("notify: %s", e.detail);
	else
		chmod(NOTIFY_PATH, 0666); /* the app may run as any uid */
	if (!g.board.watchdog[0] || g.test)
		return notify_fd;
	wd_fd = open(g.board.watchdog, O_WRONLY | O_CLOEXEC);
	if (wd_fd < 0) {
		klog("watchdog: %s: %s", g.board.watchdog, strerror(errno));
	} else {
		if (ioctl(wd_fd, WDIOC_SETTIMEOUT, &timeout) < 0)
			klog("watchdog: set timeout: %s", strerror(errno));
		klog("watchdog: %s, %d s, petted while the app is healthy",
		     g.board.watchdog, timeout);
	}
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

	for (int i = 0; i < g.cfg.nenv && n < OCI_MAX_ENV; i++)
		env[n++] = g.cfg.env[i];
	env[n++] = "NOTIFY_SOCKET=/run/keel/notify";
	if (g.cfg.keel.watchdog_ms) {
		snprintf(wd_env, sizeof(wd_env), "WATCHDOG_USEC=%llu",
			 (unsigned long long)g.cfg.keel.watchdog_ms * 1000);
		env[n++] = wd_env;
	}
	env[n] = NULL;
	return env;
}

void
health_app_started(void)
{
	uint32_t ms = g.cfg.keel.healthy_after_ms;

	ready = 0;
	status[0] = 0;
	app_pet_us = init_now_us();
	if (!ms)
		ms = g.cfg.keel.notify ? INIT_READY_TIMEOUT_MS
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
			snprintf(status, sizeof(status), "%s", m.status);
		if (m.flags & NOTIFY_WATCHDOG)
			app_pet_us = init_now_us();
		if ((m.flags & NOTIFY_READY) && !ready && g.app_running) {
			ready = 1;
			klog("app: READY");
			init_app_healthy();
		}
	}
}

/*
 * A halted device stays halted: stop the watchdog with its magic close
 * ('V'), or it would reset into the same failure over and over.
 */
void
health_disarm(void)
{
	if (wd_fd < 0)
		return;
	(void)!write(wd_fd, "V", 1);
	close(wd_fd);
	wd_fd = -1;
}

/*
 * dm-verity saw a block that does not match the signed tree: the slot
 * is marked bad once, so the next boot takes the other slot. The app
 * keeps running; every bad read it makes fails with EIO.
 */
static void
check_corruption(void)
{
	static int reported;
	struct kerr e = {0};
	char name[16];

	/* Only a dm-verity mapping made at boot has a status to poll. */
	if (reported || g.dm_ctl < 0)
		return;
	snprintf(name, sizeof(name), "keel-%c", 'a' + g.slot);
	if (dm_verity_corrupted(sys->dm_ioctl, g.dm_ctl, name, &e) != 1)
		return;
	reported = 1;
	klog("slot %c: dm-verity saw a corrupted block: slot marked bad, the "
	     "next boot takes the other slot",
	     'a' + g.slot);
	init_slot_failed(g.slot, STATE_FAIL_CORRUPT, "dm-verity corruption");
}

/* Once a second: health deadlines, and the hardware watchdog. */
void
health_tick(void)
{
	uint64_t now = init_now_us();
	int healthy = g.app_running;

	check_corruption();
	if (g.app_running && !ready && now >= due_us) {
		if (!g.cfg.keel.notify) {
			ready = 1;
			klog("app: healthy after %llu ms running",
			     (unsigned long long)(now - app_pet_us) / 1000);
			init_app_healthy();
		} else if (g.commit_pending) {
			init_slot_failed(g.slot, STATE_FAIL_NOT_READY,
					 "no READY=1 in time");
			init_shutdown(RB_AUTOBOOT,
				      "trial app never became ready");
		} else {
			klog("app: still not READY");
			due_us = now + INIT_READY_TIMEOUT_MS * 1000ull;
		}
	}
	if (g.app_running && g.cfg.keel.watchdog_ms &&
	    now - app_pet_us > g.cfg.keel.watchdog_ms * 1000ull) {
		healthy = 0;
		klog("app: watchdog: no WATCHDOG=1 for %u ms",
		     g.cfg.keel.watchdog_ms);
		if (wd_fd < 0) {
			/* No hardware to reset us: restart the app instead. */
			sys->kill(g.ctr.pid, SIGKILL);
			app_pet_us = now;
		}
	}
	if (wd_fd >= 0 && healthy)
		(void)!write(wd_fd, "k", 1);
}
