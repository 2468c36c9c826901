/* SPDX-License-Identifier: MIT */
/* Records of the kernel's log as /dev/kmsg hands them out. */
#ifndef KEEL_KMSG_H
#define KEEL_KMSG_H

#include <stddef.h>
#include <stdint.h>

struct kmsg_rec {
	unsigned facility; /* 0 = the kernel; others were written by users */
	unsigned level;	   /* 0 (emerg) .. 7 (debug) */
	uint64_t seq;
	uint64_t ts_us;	  /* µs since boot */
	const char *text; /* the message, without its newline */
	size_t len;
};

/*
 * Parses one record of n bytes as read(2) returned it from /dev/kmsg:
 * "PRI,SEQ,TS_USEC,FLAGS[,...];TEXT\n" and optional " KEY=VALUE\n"
 * lines after (ignored). r->text points into buf. 0, or -1 if the
 * record is not in that form.
 */
int kmsg_parse(const char *buf, size_t n, struct kmsg_rec *r);

#endif
