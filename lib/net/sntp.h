/* SPDX-License-Identifier: MIT */
/* SNTP client messages (RFC 4330, RFC 5905 client mode): build and check. */
#ifndef KEEL_SNTP_H
#define KEEL_SNTP_H

#include <stddef.h>
#include <stdint.h>

#include "lib/base/err.h"

#define SNTP_PORT 123
#define SNTP_LEN 48   /* the header; extension fields may follow */
#define SNTP_MAX 1024 /* a reply longer than this is refused */
/* Seconds between the NTP era 0 (1900) and the Unix epoch (1970). */
#define SNTP_UNIX_OFFSET 2208988800u
/* RFC 5905's MAXDISP: a server whose root distance reaches it is not
 * synchronized (ms). */
#define SNTP_MAX_DISTANCE_MS 16000

enum sntp_kiss {
	SNTP_KISS_NONE,
	SNTP_KISS_RATE, /* poll less often */
	SNTP_KISS_DENY, /* DENY or RSTR: never ask this server again */
	SNTP_KISS_OTHER,
};

struct sntp_reply {
	int leap, version, stratum;
	int kiss;	   /* enum sntp_kiss; stratum 0 */
	char refid[5];	   /* the kiss code, or "" */
	uint64_t rec, xmt; /* the server's receive and transmit stamps */
	uint32_t root_delay, root_disp; /* NTP short format (16.16 s) */
};

/*
 * A client request (mode 3, version 4) into out[SNTP_LEN]. Its transmit
 * timestamp is nonce, random bits the server copies into its reply's
 * origin field: a reply that does not echo it is not ours.
 */
void sntp_request(uint8_t out[SNTP_LEN], uint64_t nonce);

/*
 * Checks a reply: at least SNTP_LEN bytes (at most SNTP_MAX), mode 4,
 * version 1..4, origin == nonce. A kiss-o'-death (stratum 0) is returned
 * as such (r->kiss); otherwise the server must be synchronized (leap
 * indicator not 3, stratum 1..15, root distance below the maximum) and
 * its receive and transmit stamps non-zero and in order. 0, or -1 with e.
 */
int sntp_parse(const uint8_t *p, size_t n, uint64_t nonce, struct sntp_reply *r,
	       struct kerr *e);

/*
 * An NTP timestamp as nanoseconds since 1970, in the era (136 years)
 * that puts it within 68 years of pivot_s (Unix seconds: keel uses the
 * image's build time, so any era works for 68 years after a build).
 */
int64_t sntp_to_unix_ns(uint64_t ts, int64_t pivot_s);

/*
 * Clock offset and round-trip delay (ns) from the reply and the local
 * send and receive times t1_ns and t4_ns (Unix ns, the clock to be set):
 * offset = ((T2 - T1) + (T3 - T4)) / 2, delay = (T4 - T1) - (T3 - T2).
 * -1 if the delay is negative or the times are out of range.
 */
int sntp_offset(const struct sntp_reply *r, int64_t t1_ns, int64_t t4_ns,
		int64_t pivot_s, int64_t *offset_ns, int64_t *delay_ns);

#endif
