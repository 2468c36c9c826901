// SPDX-License-Identifier: MIT
/* Downloads that resume where a cut connection stopped, whole or by ranges. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "lib/base/fmt.h"
#include "lib/net/http_client.h"

#define TRIES 6	      /* attempts in a row that bring no byte */
#define RETRY_MS 1000 /* first pause; doubles, at most RETRY_MAX_MS */
#define RETRY_MAX_MS 30000

void
http_dl_init(struct http_dl *d, struct http_client *c, const struct http_url *u)
{
	memset(d, 0, sizeof(*d));
	d->c = c;
	d->url = *u;
	d->size = UINT64_MAX;
	d->tries = TRIES;
	d->retry_ms = RETRY_MS;
}

void
http_dl_ranges(struct http_dl *d,
	       int (*next)(void *ctx, uint64_t *off, uint64_t *len,
			   struct kerr *e),
	       void *ctx, uint64_t gap_max)
{
	d->next = next;
	d->next_ctx = ctx;
	d->gap_max = gap_max;
	d->run_n = d->run_i = 0;
	d->src_done = d->peeked = 0;
	if (d->open)
		http_close(d->c);
	d->open = 0;
}

static void
note(struct http_dl *d, const char *fmt, unsigned long long a, const char *s)
{
	char buf[320];

	if (!d->note)
		return;
	fmt_sn(buf, sizeof(buf), fmt, a, s);
	d->note(d->note_ctx, buf);
}

static void
pause_ms(unsigned ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000};

	while (nanosleep(&ts, &ts) < 0)
		;
}

/* The next range from the source, 1, or 0 when there is none. */
static int
peek(struct http_dl *d, struct kerr *e)
{
	int r;

	if (d->peeked)
		return 1;
	if (d->src_done)
		return 0;
	r = d->next(d->next_ctx, &d->peek_off, &d->peek_len, e);
	if (r < 0)
		return -1;
	if (r == 0 || !d->peek_len) {
		d->src_done = 1;
		return 0;
	}
	if (d->peek_len == UINT64_MAX) {
		if (d->size != UINT64_MAX && d->peek_off >= d->size)
			return kerr_set(e, "range", "range past the end");
	} else if ((d->run_n && d->peek_off < d->run_off[d->run_n - 1] +
						  d->run_len[d->run_n - 1]) ||
		   d->peek_off + d->peek_len < d->peek_off ||
		   (d->size != UINT64_MAX &&
		    d->peek_off + d->peek_len > d->size)) {
		return kerr_set(e, "range", "ranges out of order or too long");
	}
	d->peeked = 1;
	return 1;
}

/* Gathers the next ranges that one request fetches. 1, 0 at the end. */
static int
gather(struct http_dl *d, struct kerr *e)
{
	int r;

	d->run_n = d->run_i = 0;
	while (d->run_n < HTTP_RUN_MAX && (r = peek(d, e)) == 1) {
		uint64_t end = d->run_n ? d->run_off[d->run_n - 1] +
					      d->run_len[d->run_n - 1]
					: 0;

		if (d->run_n && d->peek_off - end > d->gap_max)
			break;
		d->run_off[d->run_n] = d->peek_off;
		d->run_len[d->run_n++] = d->peek_len;
		d->peeked = 0;
		if (d->peek_len == UINT64_MAX)
			break; /* to the end: the last of its request */
	}
	if (r < 0 && !d->run_n)
		return -1;
	if (d->run_n)
		d->pos = d->run_off[0];
	return d->run_n > 0;
}

/* Checks the response to a request for [first, last] (or to the end). */
static int
check_resp(struct http_dl *d, int range, uint64_t first, uint64_t last,
	   struct kerr *e)
{
	const struct http_resp *r = &d->c->resp;

	if (r->status == 200 && !range) {
		if (r->has_length)
			d->size = r->length;
		d->req_end = d->size;
		if (r->etag[0])
			fmt_sn(d->validator, sizeof(d->validator), "%s",
			       r->etag);
		else
			fmt_sn(d->validator, sizeof(d->validator), "%s",
			       r->last_modified);
		return 0;
	}
	if (r->status == 200) {
		d->no_ranges = !d->validator[0];
		return kerr_set(e, "range",
				d->validator[0] ? "the file changed on the "
						  "server"
						: "the server ignores ranges");
	}
	if (r->status != 206)
		return kerr_set(e, "http", "server answered %d", r->status);
	if (!r->has_range || r->range_first != first ||
	    (last != UINT64_MAX && r->range_last != last) ||
	    (d->size != UINT64_MAX && r->range_total != d->size))
		return kerr_set(e, "range", "206 for other bytes than asked");
	if (r->range_total != UINT64_MAX)
		d->size = r->range_total;
	d->req_end = r->range_last + 1;
	if (!d->validator[0])
		fmt_sn(d->validator, sizeof(d->validator), "%s",
		       r->etag[0] ? r->etag : r->last_modified);
	return 0;
}

/* Opens a request from d->pos to the end of the run (or the file). */
static int
open_req(struct http_dl *d, struct kerr *e)
{
	uint64_t last = UINT64_MAX;
	int range = d->pos > 0 || d->next;

	if (d->next) {
		if (d->run_i == d->run_n) {
			int r = gather(d, e);

			if (r <= 0)
				return r;
		}
		last = d->run_len[d->run_n - 1] == UINT64_MAX
			   ? UINT64_MAX
			   : d->run_off[d->run_n - 1] +
				 d->run_len[d->run_n - 1] - 1;
	} else if (d->size != UINT64_MAX && d->pos >= d->size) {
		return 0;
	}
	if (http_get(d->c, &d->url, range, d->pos, last, d->validator, e) < 0)
		return -1;
	if (check_resp(d, range, d->pos, last, e) < 0) {
		http_close(d->c);
		return -1;
	}
	d->open = 1;
	return 1;
}

/* Reads from the open request: the bytes of the current range. */
static ssize_t
take(struct http_dl *d, uint8_t *buf, size_t len, struct kerr *e)
{
	uint64_t end = d->req_end;
	ssize_t n;

	if (d->next) {
		uint64_t off = d->run_off[d->run_i];

		while (d->pos < off) { /* the gap before the range */
			uint8_t sink[4096];
			uint64_t k = off - d->pos;

			n = http_read(d->c, sink,
				      k < sizeof(sink) ? k : sizeof(sink), e);
			if (n <= 0)
				return n < 0 ? -1
					     : kerr_set(e, "net",
							"body ended early");
			d->pos += (uint64_t)n;
		}
		end = d->run_len[d->run_i] == UINT64_MAX
			  ? d->req_end
			  : off + d->run_len[d->run_i];
	}
	if (end != UINT64_MAX && len > end - d->pos)
		len = (size_t)(end - d->pos);
	n = len ? http_read(d->c, buf, len, e) : 0;
	if (n < 0)
		return -1;
	if (n == 0 && end != UINT64_MAX && d->pos < end)
		return kerr_set(e, "net", "body ended early");
	d->pos += (uint64_t)n;
	if (d->next && d->pos == end && ++d->run_i == d->run_n)
		d->open = 0;
	else if (n == 0)
		d->open = 0;
	return n;
}

/* A failure: 1 to try again after a pause, 0 to give up. */
static int
retry(struct http_dl *d, const struct kerr *why, unsigned attempt)
{
	int s = d->c->resp.status;
	unsigned ms = d->retry_ms;

	if (attempt + 1 >= d->tries || d->no_ranges)
		return 0; /* a server ignoring ranges will go on doing so */
	/* a refusal that asking again will not change */
	if (why->check && !strcmp(why->check, "http") && s >= 400 && s < 500 &&
	    s != 408 && s != 429)
		return 0;
	if (why->check &&
	    (!strcmp(why->check, "https") || !strcmp(why->check, "url") ||
	     !strcmp(why->check, "tls")))
		return 0;
	for (unsigned i = 0; i < attempt && ms < RETRY_MAX_MS; i++)
		ms *= 2;
	if (d->c->resp.retry_after && d->c->resp.retry_after * 1000u > ms)
		ms = d->c->resp.retry_after * 1000u;
	if (ms > RETRY_MAX_MS)
		ms = RETRY_MAX_MS;
	note(d, "resuming at byte %llu after: %s", (unsigned long long)d->pos,
	     why->detail);
	pause_ms(ms);
	return 1;
}

ssize_t
http_dl_read(struct http_dl *d, void *buf, size_t len, struct kerr *e)
{
	unsigned fails = 0;

	for (;;) {
		struct kerr why = {0};
		ssize_t n = 0;
		int r = 1;

		if (!d->open)
			r = open_req(d, &why);
		if (r == 0)
			return 0;
		if (r > 0)
			n = take(d, buf, len, &why);
		if (r > 0 && n > 0)
			return n;
		if (r > 0 && n == 0 && !d->next)
			return 0;
		if (r > 0 && n == 0)
			continue; /* the next run of ranges */
		http_close(d->c);
		d->open = 0;
		if (!retry(d, &why, fails++)) {
			d->err = why;
			if (e)
				*e = why;
			return -1;
		}
		d->resumed++;
	}
}
