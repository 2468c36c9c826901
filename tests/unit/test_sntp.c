// SPDX-License-Identifier: MIT
/* SNTP: the request, the reply's checks, eras, offset and delay. */
#include "lib/net/sntp.h"
#include "tests/unit/unit.h"

#define NS 1000000000LL

static struct kerr e;
static const uint64_t nonce = 0x0123456789abcdefull;

static void
put64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (56 - 8 * i));
}

/* An NTP stamp of Unix seconds s and nanoseconds ns (era by wrap). */
static uint64_t
stamp(int64_t s, int64_t ns)
{
	uint64_t sec = (uint64_t)(s + SNTP_UNIX_OFFSET) & 0xffffffffu;

	return sec << 32 | (uint64_t)((ns << 32) / NS);
}

static void
reply(uint8_t *p, int stratum, uint64_t rec, uint64_t xmt)
{
	memset(p, 0, SNTP_LEN);
	p[0] = 0 << 6 | 4 << 3 | 4;
	p[1] = (uint8_t)stratum;
	p[7] = 0x10; /* root delay 16/65536 s */
	memcpy(p + 12, "GPS\0", 4);
	put64(p + 24, nonce);
	put64(p + 32, rec);
	put64(p + 40, xmt);
}

static void
refused(const uint8_t *p, size_t n, const char *want, const char *what)
{
	struct sntp_reply r;
	int rc;

	memset(&e, 0, sizeof(e));
	rc = sntp_parse(p, n, nonce, &r, &e);
	CHECK(rc == -1, "%s: accepted", what);
	CHECK(rc == 0 || strstr(e.detail, want), "%s: '%s' lacks '%s'", what,
	      e.detail, want);
}

static void
test_request(void)
{
	uint8_t q[SNTP_LEN];

	sntp_request(q, nonce);
	CHECK(q[0] == 0x23, "LI 0, VN 4, mode 3: %02x", q[0]);
	CHECK(q[40] == 0x01 && q[47] == 0xef, "nonce as transmit stamp");
	for (int i = 1; i < 40; i++)
		CHECK(q[i] == 0, "byte %d zero", i);
}

static void
test_parse(void)
{
	uint8_t p[SNTP_LEN + 8];
	struct sntp_reply r;
	const int64_t t = 1700000000;

	reply(p, 2, stamp(t, 0), stamp(t, 1000));
	CHECK(sntp_parse(p, SNTP_LEN, nonce, &r, &e) == 0, "good: %s",
	      e.detail);
	CHECK(r.stratum == 2 && r.kiss == SNTP_KISS_NONE && r.version == 4,
	      "fields");
	CHECK(sntp_parse(p, SNTP_LEN + 8, nonce, &r, &e) == 0,
	      "extension bytes after the header");
	for (size_t n = 0; n < SNTP_LEN; n++)
		refused(p, n, "length", "short");
	refused(p, SNTP_MAX + 1, "length", "long");
	p[0] = 4 << 3 | 3;
	refused(p, SNTP_LEN, "mode", "a client's packet");
	p[0] = 4 << 3 | 5;
	refused(p, SNTP_LEN, "mode", "broadcast mode");
	p[0] = 0 << 3 | 4;
	refused(p, SNTP_LEN, "version", "version 0");
	p[0] = 3 << 6 | 4 << 3 | 4;
	refused(p, SNTP_LEN, "not synchronized", "leap 3");
	p[0] = 4 << 3 | 4;
	p[1] = 16;
	refused(p, SNTP_LEN, "not synchronized", "stratum 16");
	p[1] = 1;
	p[26] ^= 1;
	refused(p, SNTP_LEN, "not a reply", "other origin");
	p[26] ^= 1;
	memset(p + 40, 0, 8);
	refused(p, SNTP_LEN, "timestamps", "no transmit stamp");
	reply(p, 2, stamp(t, 0), stamp(t, 0));
	p[9] = 0x10; /* root dispersion 16 s (16.16) */
	refused(p, SNTP_LEN, "root distance", "dispersion 16 s");
	p[9] = 0x0f;
	CHECK(sntp_parse(p, SNTP_LEN, nonce, &r, &e) == 0, "15 s dispersion");

	/* kiss-o'-death: stratum 0 with a code */
	reply(p, 0, 0, 0);
	memcpy(p + 12, "RATE", 4);
	CHECK(sntp_parse(p, SNTP_LEN, nonce, &r, &e) == 0 &&
		  r.kiss == SNTP_KISS_RATE && !strcmp(r.refid, "RATE"),
	      "RATE");
	memcpy(p + 12, "DENY", 4);
	CHECK(sntp_parse(p, SNTP_LEN, nonce, &r, &e) == 0 &&
		  r.kiss == SNTP_KISS_DENY,
	      "DENY");
	memcpy(p + 12, "RSTR", 4);
	CHECK(sntp_parse(p, SNTP_LEN, nonce, &r, &e) == 0 &&
		  r.kiss == SNTP_KISS_DENY,
	      "RSTR");
	memcpy(p + 12, "x\033YZ", 4);
	CHECK(sntp_parse(p, SNTP_LEN, nonce, &r, &e) == 0 &&
		  r.kiss == SNTP_KISS_OTHER && !strcmp(r.refid, "??YZ"),
	      "other kiss, cleaned: %s", r.refid);
	put64(p + 24, nonce + 1);
	refused(p, SNTP_LEN, "not a reply", "a kiss for someone else");
}

static void
test_eras(void)
{
	const int64_t build = 1700000000;   /* 2023 */
	const int64_t y2040 = 2208988800LL; /* 2040-01-01, era 1 */

	CHECK(sntp_to_unix_ns(stamp(build, 5), build) == build * NS + 4 ||
		  sntp_to_unix_ns(stamp(build, 5), build) == build * NS + 5,
	      "same time");
	CHECK(sntp_to_unix_ns(stamp(y2040, 0), build) == y2040 * NS,
	      "2040 (NTP era 1) from a 2023 pivot: %lld",
	      (long long)sntp_to_unix_ns(stamp(y2040, 0), build));
	CHECK(sntp_to_unix_ns(stamp(build + 2000000000LL, 0), build) ==
		  (build + 2000000000LL) * NS,
	      "63 years after the pivot");
	CHECK(sntp_to_unix_ns(stamp(0, 0), build) == 0, "1970");
	CHECK(sntp_to_unix_ns(stamp(y2040, 0), y2040 + 10) == y2040 * NS,
	      "pivot in era 1");
}

static void
test_offset(void)
{
	struct sntp_reply r;
	int64_t off, delay;
	const int64_t t1 = 1700000100LL * NS;

	memset(&r, 0, sizeof(r));
	/* server 10 s ahead: T2 = T1 + 10 s + 1 s path, T3 = T2, T4 = T1+2 */
	r.rec = stamp(1700000111LL, 0);
	r.xmt = stamp(1700000111LL, 0);
	CHECK(sntp_offset(&r, t1, t1 + 2 * NS, 1700000000, &off, &delay) == 0,
	      "offset");
	CHECK(off == 10 * NS && delay == 2 * NS, "offset %lld delay %lld",
	      (long long)off, (long long)delay);
	/* a clock in 1970 and a server in 2030 */
	r.rec = r.xmt = stamp(1900000000LL, 0);
	CHECK(sntp_offset(&r, 1 * NS, 1 * NS, 1700000000, &off, &delay) == 0 &&
		  off == (1900000000LL - 1) * NS,
	      "from 1970: %lld", (long long)off);
	/* the server says it spent longer than the round trip */
	r.rec = stamp(1700000111LL, 0);
	r.xmt = stamp(1700000115LL, 0);
	CHECK(sntp_offset(&r, t1, t1 + 2 * NS, 1700000000, &off, &delay) < 0,
	      "negative delay refused");
	r.xmt = stamp(1700000110LL, 0);
	CHECK(sntp_offset(&r, t1, t1 + 2 * NS, 1700000000, &off, &delay) < 0,
	      "transmit before receive refused");
	r.xmt = r.rec;
	CHECK(sntp_offset(&r, t1, t1 - 1, 1700000000, &off, &delay) < 0,
	      "received before sent refused");
	CHECK(sntp_offset(&r, t1, t1, 1LL << 33, &off, &delay) < 0,
	      "pivot out of range");
	CHECK(sntp_offset(&r, -1, t1, 1700000000, &off, &delay) < 0,
	      "clock before 1970");
}

int
main(void)
{
	test_request();
	test_parse();
	test_eras();
	test_offset();
	return unit_done("sntp");
}
