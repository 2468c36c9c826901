/* SPDX-License-Identifier: MIT */
/* Typed errors of lib/: the check that failed and a short detail. */
#ifndef KEEL_ERR_H
#define KEEL_ERR_H

/*
 * lib/ never prints and never exits: a failing function fills a kerr (when
 * the caller passed one) and returns a negative value (or 0 for 1/0-style
 * checks). Only the keel command layer turns it into a message:
 *   keel: image verify: slot.img: signature: no valid signature for role
 * release
 */
struct kerr {
	const char *check; /* static string naming the check, e.g. "footer" */
	char detail[200];  /* human-readable reason, may be empty */
};

/* Fills e (if not NULL) and returns -1. */
int kerr_set(struct kerr *e, const char *check, const char *fmt, ...)
    __attribute__((format(__printf__, 3, 4)));

/*
 * The one-line reason for an errno value, as strerror gives it, for the
 * errnos keel's calls can meet; any other reads "errno N" (in a buffer of
 * the calling thread's). keel-init links no stdio: this is its strerror.
 */
const char *kerr_strerror(int errnum);

#endif
