// SPDX-License-Identifier: MIT
/* The clock at boot: never before the image was built, never backwards. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "compat/linux_rtc.h"
#include "init/init.h"
#include "lib/base/fmt.h"

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

/* Calendar arithmetic without libc's time zone machinery (tzset and
 * strftime weigh more than all of this file): UTC, years 1970 .. 9999. */
static int
leap(long y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int
month_days(long y, int m) /* m 0..11 */
{
	static const unsigned char n[12] = {31, 28, 31, 30, 31, 30,
					    31, 31, 30, 31, 30, 31};

	return n[m] + (m == 1 && leap(y));
}

static time_t
from_utc(long y, int mon, int mday, int h, int mi, int sec)
{
	long days = mday - 1;

	if (y < 1970 || y > 9999 || mon < 0 || mon > 11 || mday < 1 ||
	    mday > 31)
		return -1;
	for (long k = 1970; k < y; k++)
		days += 365 + leap(k);
	for (int k = 0; k < mon; k++)
		days += month_days(y, k);
	return (time_t)days * 86400 + h * 3600 + mi * 60 + sec;
}

/* "YYYY-MM-DD hh:mm:ss" of t (a number outside 1970 .. 9999). */
#define UTC_TEXT 64
#define UTC_MAX 253402300799LL /* 9999-12-31 23:59:59 */
static const char *
utc(time_t t, char buf[UTC_TEXT])
{
	long days = (long)(t / 86400), y = 1970;
	unsigned rem = (unsigned)(t % 86400);
	int m = 0;

	if (t < 0 || t > UTC_MAX) {
		fmt_sn(buf, UTC_TEXT, "%lld", (long long)t);
		return buf;
	}
	while (days >= 365 + leap(y))
		days -= 365 + leap(y++);
	while (days >= month_days(y, m))
		days -= month_days(y, m++);
	fmt_sn(buf, UTC_TEXT, "%04ld-%02d-%02ld %02u:%02u:%02u", y, m + 1,
	       days + 1, rem / 3600, rem / 60 % 60, rem % 60);
	return buf;
}

static time_t
rtc_time(void)
{
	struct keel_rtc_time r;
	int fd = open("/dev/rtc0", O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	int rc;

	if (fd < 0)
		return -1;
	memset(&r, 0, sizeof(r));
	rc = ioctl(fd, KEEL_RTC_RD_TIME, &r);
	close(fd);
	if (rc < 0)
		return -1;
	/* the RTC keeps UTC */
	return from_utc(1900L + r.tm_year, r.tm_mon, r.tm_mday, r.tm_hour,
			r.tm_min, r.tm_sec);
}

static time_t
saved_time(char *path, size_t cap)
{
	const char *dir = persist_keel_dir();
	struct stat st;

	if (!dir)
		return -1;
	fmt_sn(path, cap, "%s/clock", dir);
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

void
clock_boot(void)
{
	char path[128], when[UTC_TEXT];
	time_t now = time(NULL), best = now;
	struct timespec ts = {0, 0};

	if (!g.test) /* a host's RTC is not the device's */
		take(rtc_time(), "rtc", &best);
	take((time_t)g.meta.h.build_time, "build", &best);
	take(saved_time(path, sizeof(path)), "saved", &best);
	set_to = best;
	if (best == now) {
		klog("clock: %s UTC", utc(now, when));
		return;
	}
	ts.tv_sec = best;
	if (sys->settime(&ts) < 0) {
		klog("clock: cannot set %s UTC (%s time): %s", utc(best, when),
		     source, kerr_strerror(errno));
		source = "system";
		return;
	}
	klog("clock: set to %s UTC (the %s time; it read %lld)",
	     utc(best, when), source, (long long)now);
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
	fmt_sn(path, sizeof(path), "%s/clock", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return;
	/* futimens(fd, NULL), without libc's fallbacks for old kernels */
	if (syscall(SYS_utimensat, fd, NULL, NULL, 0) < 0 || fsync(fd) < 0)
		klog("clock: %s: %s", path, kerr_strerror(errno));
	close(fd);
}

void
clock_put_status(char *buf, size_t cap, size_t *off)
{
	control_put(buf, cap, off, "clock", "%lld", (long long)time(NULL));
	control_put(buf, cap, off, "clock.boot", "%s %lld", source,
		    (long long)set_to);
}
