// SPDX-License-Identifier: MIT
/* The clock at boot: never before the image was built, never backwards. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "compat/linux_rtc.h"
#include "init/init.h"

/*
 * At boot the clock becomes the latest of: what the kernel set (from the
 * RTC, if it could), the RTC read here, the signed build time of the
 * booted image, and the time keel-init saved on the var partition at its
 * last shutdown or save (keel/clock, its modification time, as
 * systemd-timesyncd does). It only ever moves forward here; keel net's
 * SNTP client sets it right once the network answers.
 */
static const char *source = "system";
static time_t set_to;

static time_t
rtc_time(void)
{
	struct keel_rtc_time r;
	struct tm tm;
	int fd = open("/dev/rtc0", O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	int rc;

	if (fd < 0)
		return -1;
	memset(&r, 0, sizeof(r));
	rc = ioctl(fd, KEEL_RTC_RD_TIME, &r);
	close(fd);
	if (rc < 0)
		return -1;
	memset(&tm, 0, sizeof(tm));
	tm.tm_sec = r.tm_sec;
	tm.tm_min = r.tm_min;
	tm.tm_hour = r.tm_hour;
	tm.tm_mday = r.tm_mday;
	tm.tm_mon = r.tm_mon;
	tm.tm_year = r.tm_year;
	return timegm(&tm); /* the RTC keeps UTC */
}

static time_t
saved_time(char *path, size_t cap)
{
	const char *dir = persist_keel_dir();
	struct stat st;

	if (!dir)
		return -1;
	snprintf(path, cap, "%s/clock", dir);
	if (lstat(path, &st) < 0 || !S_ISREG(st.st_mode))
		return -1;
	return st.st_mtime;
}

static void
take(time_t t, const char *what, time_t *best)
{
	if (t > *best) {
		*best = t;
		source = what;
	}
}

static const char *
utc(time_t t, char *buf, size_t cap)
{
	struct tm tm;

	if (!gmtime_r(&t, &tm) || !strftime(buf, cap, "%Y-%m-%d %H:%M:%S", &tm))
		snprintf(buf, cap, "%lld", (long long)t);
	return buf;
}

void
clock_boot(void)
{
	char path[128], when[32];
	time_t now = time(NULL), best = now;
	struct timespec ts = {0, 0};

	take(rtc_time(), "rtc", &best);
	take((time_t)g.meta.h.build_time, "build", &best);
	take(saved_time(path, sizeof(path)), "saved", &best);
	set_to = best;
	if (best == now) {
		klog("clock: %s UTC", utc(now, when, sizeof(when)));
		return;
	}
	ts.tv_sec = best;
	if (sys->settime(&ts) < 0) {
		klog("clock: cannot set %s UTC (%s time): %s",
		     utc(best, when, sizeof(when)), source, strerror(errno));
		source = "system";
		return;
	}
	klog("clock: set to %s UTC (the %s time; it read %lld)",
	     utc(best, when, sizeof(when)), source, (long long)now);
}

/* Saves now as keel/clock's modification time (once synced, at shutdown,
 * every INIT_CLOCK_SAVE_MS): the floor of the next boot. */
void
clock_save(void)
{
	char path[128];
	const char *dir = persist_keel_dir();
	int fd;

	if (!dir)
		return;
	snprintf(path, sizeof(path), "%s/clock", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return;
	if (futimens(fd, NULL) < 0 || fsync(fd) < 0)
		klog("clock: %s: %s", path, strerror(errno));
	close(fd);
}

void
clock_put_status(char *buf, size_t cap, size_t *off)
{
	control_put(buf, cap, off, "clock", "%lld", (long long)time(NULL));
	control_put(buf, cap, off, "clock.boot", "%s %lld", source,
		    (long long)set_to);
}
