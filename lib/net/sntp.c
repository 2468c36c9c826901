// SPDX-License-Identifier: MIT
/* SNTP client messages (RFC 4330, RFC 5905 client mode): build and check. */
#include <string.h>

#include "lib/net/sntp.h"

#define MODE_CLIENT 3
#define MODE_SERVER 4
#define NS 1000000000LL
/* Unix times keel accepts: 1970 .. 2^32 s (year 2106); a server's stamp
 * is then within 2^32 + 2^31 s, and every difference below fits int64
 * nanoseconds. */
#define UNIX_MAX_S (1LL << 32)

static uint64_t
get64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

static uint32_t
get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

void
sntp_request(uint8_t out[SNTP_LEN], uint64_t nonce)
{
	memset(out, 0, SNTP_LEN);
	out[0] = 4 << 3 | MODE_CLIENT; /* LI 0, VN 4, client */
	for (int i = 0; i < 8; i++)
		out[40 + i] = (uint8_t)(nonce >> (56 - 8 * i));
}

static int
kiss_of(const char *code)
{
	if (!strcmp(code, "RATE"))
		return SNTP_KISS_RATE;
	if (!strcmp(code, "DENY") || !strcmp(code, "RSTR"))
		return SNTP_KISS_DENY;
	return SNTP_KISS_OTHER;
}

int
sntp_parse(const uint8_t *p, size_t n, uint64_t nonce, struct sntp_reply *r,
	   struct kerr *e)
{
	uint64_t dist_ms;

	memset(r, 0, sizeof(*r));
	if (n < SNTP_LEN || n > SNTP_MAX)
		return kerr_set(e, "sntp", "length %zu", n);
	r->leap = p[0] >> 6;
	r->version = (p[0] >> 3) & 7;
	if ((p[0] & 7) != MODE_SERVER)
		return kerr_set(e, "sntp", "mode %d is not a server's",
				p[0] & 7);
	if (r->version < 1 || r->version > 4)
		return kerr_set(e, "sntp", "version %d", r->version);
	if (get64(p + 24) != nonce)
		return kerr_set(e, "sntp", "not a reply to our request");
	r->stratum = p[1];
	if (r->stratum == 0) {
		for (int i = 0; i < 4; i++)
			r->refid[i] = p[12 + i] >= 'A' && p[12 + i] <= 'Z'
					  ? (char)p[12 + i]
					  : '?';
		r->kiss = kiss_of(r->refid);
		return 0;
	}
	if (r->leap == 3 || r->stratum > 15)
		return kerr_set(e, "sntp", "server not synchronized");
	r->root_delay = get32(p + 4);
	r->root_disp = get32(p + 8);
	dist_ms = ((uint64_t)r->root_delay / 2 + r->root_disp) * 1000 >> 16;
	if (dist_ms >= SNTP_MAX_DISTANCE_MS)
		return kerr_set(e, "sntp", "root distance %llu ms",
				(unsigned long long)dist_ms);
	r->rec = get64(p + 32);
	r->xmt = get64(p + 40);
	if (!r->rec || !r->xmt)
		return kerr_set(e, "sntp", "no server timestamps");
	return 0;
}

int64_t
sntp_to_unix_ns(uint64_t ts, int64_t pivot_s)
{
	uint32_t sec = (uint32_t)(ts >> 32);
	uint32_t pivot = (uint32_t)((uint64_t)pivot_s + SNTP_UNIX_OFFSET);
	int64_t s = pivot_s + (int32_t)(sec - pivot);
	int64_t frac = (int64_t)(((ts & 0xffffffffu) * (uint64_t)NS) >> 32);

	return s * NS + frac;
}

int
sntp_offset(const struct sntp_reply *r, int64_t t1, int64_t t4, int64_t pivot_s,
	    int64_t *offset, int64_t *delay)
{
	int64_t t2, t3;

	if (pivot_s < 0 || pivot_s > UNIX_MAX_S || t1 < 0 || t4 < t1 ||
	    t4 / NS > UNIX_MAX_S)
		return -1;
	t2 = sntp_to_unix_ns(r->rec, pivot_s);
	t3 = sntp_to_unix_ns(r->xmt, pivot_s);
	if (t3 < t2)
		return -1;
	*delay = (t4 - t1) - (t3 - t2);
	if (*delay < 0)
		return -1; /* the server spent longer than the round trip */
	*offset = (t2 - t1) / 2 + (t3 - t4) / 2;
	return 0;
}
