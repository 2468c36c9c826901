// SPDX-License-Identifier: MIT
/* The hardware watchdog: opened once, petted while the device is healthy. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "init/init.h"

#define WDIOC_GETBOOTSTATUS _IOR('W', 2, int)
#define WDIOC_SETTIMEOUT _IOWR('W', 6, int)
#define WDIOF_CARDRESET 0x0020 /* the card reset the machine last time */

static int wd_fd = -1;
static int was_reset;

void
watchdog_open(void)
{
	int timeout = g.board.watchdog_timeout ? (int)g.board.watchdog_timeout
					       : INIT_WATCHDOG_SEC;
	int status = 0;

	if (!g.board.watchdog[0] || g.test)
		return;
	wd_fd = open(g.board.watchdog, O_WRONLY | O_CLOEXEC);
	if (wd_fd < 0) {
		klog("watchdog: %s: %s", g.board.watchdog,
		     kerr_strerror(errno));
		return;
	}
	if (ioctl(wd_fd, WDIOC_SETTIMEOUT, &timeout) < 0)
		klog("watchdog: set timeout: %s", kerr_strerror(errno));
	klog("watchdog: %s, %d s, petted unless the app hangs",
	     g.board.watchdog, timeout);
	/* The driver keeps what the hardware said at power-on. */
	if (ioctl(wd_fd, WDIOC_GETBOOTSTATUS, &status) == 0 &&
	    (status & WDIOF_CARDRESET)) {
		was_reset = 1;
		klog("watchdog: THE LAST BOOT ENDED IN A WATCHDOG RESET "
		     "(boot status 0x%x)",
		     (unsigned)status);
	}
}

/* 1 if the watchdog reset the device at the end of the last boot. */
int
watchdog_was_reset(void)
{
	return was_reset;
}

int
watchdog_active(void)
{
	return wd_fd >= 0;
}

void
watchdog_pet(void)
{
	if (wd_fd >= 0)
		(void)!write(wd_fd, "k", 1);
}

/*
 * Waits for a SIGCHLD (blocked, so it stays pending) until END_US on
 * clock_us(), petting the watchdog every second meanwhile: a stop's grace
 * period is the policy's, however much longer than the hardware's timeout
 * (at least 2 s) it is, and a shutdown must not end in a reset.
 */
void
watchdog_wait_child(uint64_t end_us)
{
	uint64_t now = clock_us();
	uint64_t left = end_us > now ? end_us - now : 0;
	struct timespec ts;
	sigset_t chld;

	if (left > 1000000)
		left = 1000000;
	ts.tv_sec = (time_t)(left / 1000000);
	ts.tv_nsec = (long)(left % 1000000) * 1000;
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	watchdog_pet();
	sigtimedwait(&chld, NULL, &ts);
	watchdog_pet();
}

/*
 * A halted device stays halted: stop the watchdog with its magic close
 * ('V'), or it would reset into the same failure over and over.
 */
void
watchdog_disarm(void)
{
	if (wd_fd < 0)
		return;
	(void)!write(wd_fd, "V", 1);
	close(wd_fd);
	wd_fd = -1;
}
