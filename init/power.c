// SPDX-License-Identifier: MIT
/* The ends of the road: clean shutdown, and the fatal path that never exits. */
#include <errno.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "init/init.h"

static void
sleep_ms(uint32_t ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000};

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/*
 * The end of every road keel-init cannot continue on. It never returns
 * and never exits (that would panic the kernel): it reboots after the
 * board's delay, or halts with the reason on the console and then only
 * answers power signals.
 */
void
power_fatal(const char *step, const char *detail)
{
	sigset_t set;
	int sig;

	klog("FATAL: %s: %s", step, detail);
	logfile_flush(1);
	sync();
	if (g.board.on_failure == BOARD_FAIL_REBOOT) {
		klog("rebooting in %u s", g.board.fail_delay);
		/* The delay is the policy's: the watchdog must not cut it. */
		for (uint32_t s = 0; s < g.board.fail_delay; s++) {
			watchdog_pet();
			sleep_ms(1000);
		}
		sys->reboot(RB_AUTOBOOT);
	}
	watchdog_disarm();
	klog_status("halted: %s: %s", step, detail);
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGUSR2);
	sigaddset(&set, SIGPWR);
	sigaddset(&set, SIGINT);
	for (;;) {
		sig = sigwaitinfo(&set, NULL);
		if (sig == SIGINT)
			sys->reboot(RB_AUTOBOOT);
		else if (sig > 0)
			sys->reboot(RB_POWER_OFF);
	}
}

void
power_shutdown(int how, const char *why)
{
	uint32_t grace =
	    g.app.stop_grace_ms ? g.app.stop_grace_ms : INIT_STOP_GRACE_MS;

	klog("shutdown (%s): %s", why,
	     how == RB_POWER_OFF  ? "power off"
	     : how == RB_AUTOBOOT ? "reboot"
				  : "halt");
	watchdog_pet();
	/* The agents first (leases released; addresses stay to power off),
	 * then the app: app_stop ends with a KILL to every process. */
	agent_stop_all(INIT_AGENT_STOP_MS);
	app_stop(grace);
	/* What the app read last may have been a corrupted block: the slot
	 * is marked before the device goes down, or it would boot again. */
	if (slot_check_corruption() == 2 && how == RB_AUTOBOOT)
		power_fatal("slot", "the image is corrupted and the record "
				    "cannot say so");
	clock_save();
	klog("shutdown: saving the log");
	logfile_close();
	persist_unmount();
	sys->umount(IMAGE_DIR, MNT_DETACH);
	sync();
	klog("shutdown: done");
	sys->reboot(how);
	/* Only --test gets here (or a kernel that refused): stay. */
	for (;;)
		pause();
}
