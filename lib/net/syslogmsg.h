/* SPDX-License-Identifier: MIT */
/* Remote syslog: one line of keel's log as one RFC 5424 message. */
#ifndef KEEL_SYSLOGMSG_H
#define KEEL_SYSLOGMSG_H

#include <stddef.h>
#include <stdint.h>

/*
 * keel net forwards the log (docs/NETWORK.md §8) as UDP datagrams of at
 * most SYSLOGMSG_MAX bytes, one per line:
 *
 *   <PRI>1 TIMESTAMP HOSTNAME APP-NAME - - - MSG
 *
 * PRI is facility * 8 + severity: facility kern (0) for the kernel's
 * lines, user (1) for the app's, daemon (3) for keel's own and its
 * agents'; severity informational (6), critical (2) for keel-init's
 * "FATAL:" lines (the log keeps no other severity). TIMESTAMP is UTC with
 * microseconds, or "-" when unknown; APP-NAME the line's source tag;
 * PROCID, MSGID and STRUCTURED-DATA are "-"; MSG the line's text, control
 * bytes as '?', cut to fit. Nothing here allocates.
 */
#define SYSLOGMSG_MAX 1024
#define SYSLOGMSG_SRC_MAX 15

/* A line as `keel logs` prints it: "[SECONDS.MICROS] SRC: TEXT". */
struct syslogmsg_line {
	uint64_t us; /* when, in µs of the monotonic clock */
	char src[SYSLOGMSG_SRC_MAX + 1];
	const char *text; /* into the parsed line */
	size_t len;
};

/* Parses one log line (n bytes, no newline): 0, or -1 when it is not
 * one (a "-- N lines lost --" note, a cut line). */
int syslogmsg_parse(const char *line, size_t n, struct syslogmsg_line *l);

/*
 * The message for l into out (cap bytes, at most SYSLOGMSG_MAX used, not
 * NUL-terminated): wall_us is the line's time in µs since the epoch (UTC;
 * negative: unknown, "-"), host the device's name ("" or not a valid
 * HOSTNAME: "-"). Returns the length.
 */
size_t syslogmsg_format(char *out, size_t cap, const struct syslogmsg_line *l,
			int64_t wall_us, const char *host);

#endif
