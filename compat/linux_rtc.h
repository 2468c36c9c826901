/* SPDX-License-Identifier: MIT */
/* Kernel UAPI for reading the real-time clock (musl lacks linux/rtc.h). */
#ifndef KEEL_COMPAT_LINUX_RTC_H
#define KEEL_COMPAT_LINUX_RTC_H

/* struct rtc_time: the fields of struct tm, in its order. */
struct keel_rtc_time {
	int tm_sec, tm_min, tm_hour, tm_mday, tm_mon, tm_year;
	int tm_wday, tm_yday, tm_isdst;
};

/* _IOR('p', 0x09, struct rtc_time) */
#define KEEL_RTC_RD_TIME 0x80247009u

#endif
