// SPDX-License-Identifier: MIT
/* HTTP/1.1 response heads and body framing (length or chunked), strictly. */
#include <string.h>

#include "lib/base/text.h"
#include "lib/net/http.h"

/* Chunked framing states (struct http_body.state). */
enum {
	C_SIZE,	      /* hex digits of a chunk size */
	C_EXT,	      /* after the size: extensions up to CR */
	C_SIZE_LF,    /* LF after the size line */
	C_DATA,	      /* chunk data */
	C_DATA_CR,    /* CR after the data */
	C_DATA_LF,    /* LF after the data */
	C_TRAILER,    /* start of a trailer line, or the final CRLF */
	C_TRAILER_IN, /* inside a trailer line */
	C_TRAILER_LF, /* LF ending a trailer line */
	C_END_LF,     /* LF of the final empty line */
};

static int
lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

static int
token_char(int c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9'))
		return 1;
	return c && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

/* Field values: visible bytes, space, tab and obs-text; no other control. */
static int
value_ok(const uint8_t *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((v[i] < 0x20 && v[i] != '\t') || v[i] == 0x7f)
			return 0;
	return 1;
}

static int
name_is(const uint8_t *name, size_t n, const char *want)
{
	if (strlen(want) != n)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (lower(name[i]) != want[i])
			return 0;
	return 1;
}

static int
value_is(const uint8_t *v, size_t n, const char *want)
{
	return name_is(v, n, want);
}

/* "bytes FIRST-LAST/TOTAL" (TOTAL may be "*"), FIRST <= LAST < TOTAL. */
static int
content_range(const uint8_t *v, size_t n, struct http_resp *r)
{
	const char *s = (const char *)v;
	size_t i = 6, d, sl;

	if (n < 10 || memcmp(s, "bytes ", 6))
		return -1;
	for (d = i; d < n && s[d] != '-'; d++)
		;
	for (sl = d; sl < n && s[sl] != '/'; sl++)
		;
	if (d >= n || sl >= n || text_u64(s + i, d - i, &r->range_first) < 0 ||
	    text_u64(s + d + 1, sl - d - 1, &r->range_last) < 0)
		return -1;
	if (n - sl - 1 == 1 && s[sl + 1] == '*')
		r->range_total = UINT64_MAX;
	else if (text_u64(s + sl + 1, n - sl - 1, &r->range_total) < 0 ||
		 r->range_last >= r->range_total)
		return -1;
	if (r->range_first > r->range_last)
		return -1;
	r->has_range = 1;
	return 0;
}

/* Keeps a validator value of at most HTTP_TAG_MAX bytes, else nothing. */
static void
keep(char *dst, const uint8_t *v, size_t n)
{
	if (n > HTTP_TAG_MAX)
		return;
	memcpy(dst, v, n);
	dst[n] = 0;
}

/* Connection: a comma-separated list of tokens; "close" is acted on. */
static int
connection(const uint8_t *v, size_t n, struct http_resp *r)
{
	size_t i = 0;

	while (i < n) {
		size_t a, b;

		while (i < n && (v[i] == ' ' || v[i] == '\t' || v[i] == ','))
			i++;
		for (a = i; i < n && v[i] != ','; i++)
			if (!token_char(v[i]) && v[i] != ' ' && v[i] != '\t')
				return -1;
		for (b = i; b > a && (v[b - 1] == ' ' || v[b - 1] == '\t'); b--)
			;
		if (value_is(v + a, b - a, "close"))
			r->close = 1;
		else if (value_is(v + a, b - a, "keep-alive") && r->minor == 0)
			r->close = 0;
	}
	return 0;
}

/* One header line (name and trimmed value); the ones keel acts on. */
static int
header(const uint8_t *nm, size_t nn, const uint8_t *v, size_t n,
       struct http_resp *r, int *te, struct kerr *e)
{
	uint64_t x;

	if (name_is(nm, nn, "content-length")) {
		if (text_u64((const char *)v, n, &x) < 0 ||
		    (r->has_length && x != r->length))
			return kerr_set(e, "http", "bad Content-Length");
		r->has_length = 1;
		r->length = x;
	} else if (name_is(nm, nn, "transfer-encoding")) {
		if (*te || !value_is(v, n, "chunked"))
			return kerr_set(e, "http",
					"transfer coding other than chunked");
		*te = r->chunked = 1;
	} else if (name_is(nm, nn, "content-encoding")) {
		if (!value_is(v, n, "identity"))
			return kerr_set(e, "http", "content coding '%.*s'",
					(int)(n > 32 ? 32 : n),
					(const char *)v);
	} else if (name_is(nm, nn, "content-range")) {
		if (r->has_range || content_range(v, n, r) < 0)
			return kerr_set(e, "http", "bad Content-Range");
	} else if (name_is(nm, nn, "location")) {
		if (r->has_location || !n || n > HTTP_URL_MAX)
			return kerr_set(e, "http", "bad Location");
		memcpy(r->location, v, n);
		r->location[n] = 0;
		r->has_location = 1;
	} else if (name_is(nm, nn, "connection")) {
		if (connection(v, n, r) < 0)
			return kerr_set(e, "http", "bad Connection");
	} else if (name_is(nm, nn, "etag")) {
		/* A weak tag cannot guard a range: kept only when strong. */
		if (n >= 2 && v[0] == '"' && v[n - 1] == '"')
			keep(r->etag, v, n);
	} else if (name_is(nm, nn, "last-modified")) {
		keep(r->last_modified, v, n);
	} else if (name_is(nm, nn, "retry-after")) {
		/* delta-seconds only; a date is ignored */
		if (text_u64((const char *)v, n, &x) == 0)
			r->retry_after = x > 86400 ? 86400 : (uint32_t)x;
	}
	return 0;
}

/* "HTTP/1.x SSS reason": the line without its CRLF. */
static int
status_line(const uint8_t *l, size_t n, struct http_resp *r, struct kerr *e)
{
	if (n < 12 || memcmp(l, "HTTP/1.", 7) || (l[7] != '0' && l[7] != '1') ||
	    l[8] != ' ')
		return kerr_set(e, "http", "not an HTTP/1.x status line");
	for (int i = 9; i < 12; i++)
		if (l[i] < '0' || l[i] > '9')
			return kerr_set(e, "http", "bad status code");
	r->minor = l[7] - '0';
	r->status = (l[9] - '0') * 100 + (l[10] - '0') * 10 + (l[11] - '0');
	if (r->status < 100 || r->status > 599)
		return kerr_set(e, "http", "status %d", r->status);
	if ((n > 12 && l[12] != ' ') || !value_ok(l + 12, n - 12))
		return kerr_set(e, "http", "bad reason phrase");
	r->close = r->minor == 0;
	return 0;
}

/* One "name: value" line without its CRLF. */
static int
field_line(const uint8_t *l, size_t n, struct http_resp *r, int *te,
	   struct kerr *e)
{
	const uint8_t *colon = memchr(l, ':', n);
	size_t nn, a, b;

	if (n && (l[0] == ' ' || l[0] == '\t'))
		return kerr_set(e, "http", "obsolete header line folding");
	if (!colon || colon == l)
		return kerr_set(e, "http", "header line without a name");
	nn = (size_t)(colon - l);
	for (size_t i = 0; i < nn; i++)
		if (!token_char(l[i]))
			return kerr_set(e, "http", "bad header name");
	for (a = nn + 1; a < n && (l[a] == ' ' || l[a] == '\t'); a++)
		;
	for (b = n; b > a && (l[b - 1] == ' ' || l[b - 1] == '\t'); b--)
		;
	if (!value_ok(l + a, b - a))
		return kerr_set(e, "http", "control byte in a header value");
	return header(l, nn, l + a, b - a, r, te, e);
}

long
http_head_end(const uint8_t *buf, size_t len)
{
	size_t n = len < HTTP_HEAD_MAX ? len : HTTP_HEAD_MAX;

	for (size_t i = 3; i < n; i++)
		if (buf[i] == '\n' && buf[i - 1] == '\r' &&
		    buf[i - 2] == '\n' && buf[i - 3] == '\r')
			return (long)(i + 1);
	return len >= HTTP_HEAD_MAX ? -1 : 0;
}

int
http_parse_head(const uint8_t *buf, size_t len, struct http_resp *r,
		struct kerr *e)
{
	size_t at = 0;
	int lines = 0, te = 0;

	memset(r, 0, sizeof(*r));
	if (len > HTTP_HEAD_MAX)
		return kerr_set(e, "http", "response head too long");
	for (;;) {
		const uint8_t *l = buf + at;
		const uint8_t *cr = memchr(l, '\r', len - at);
		size_t n;

		if (!cr || cr + 1 >= buf + len || cr[1] != '\n')
			return kerr_set(e, "http", "line without CRLF");
		n = (size_t)(cr - l);
		if (memchr(l, '\n', n))
			return kerr_set(e, "http", "bare LF in the head");
		at += n + 2;
		if (lines == 0) {
			if (status_line(l, n, r, e) < 0)
				return -1;
		} else if (n == 0) {
			break;
		} else if (lines > HTTP_HEADERS_MAX) {
			return kerr_set(e, "http", "more than %d headers",
					HTTP_HEADERS_MAX);
		} else if (field_line(l, n, r, &te, e) < 0) {
			return -1;
		}
		lines++;
	}
	if (at != len)
		return kerr_set(e, "http", "bytes after the head");
	if (r->chunked && r->has_length)
		return kerr_set(e, "http",
				"both Content-Length and Transfer-Encoding");
	return 0;
}

int
http_body_init(struct http_body *b, const struct http_resp *r, int head_only,
	       struct kerr *e)
{
	memset(b, 0, sizeof(*b));
	b->mode = HTTP_BODY_LENGTH;
	if (head_only || r->status < 200 || r->status == 204 ||
	    r->status == 304) {
		b->done = 1;
		return 0;
	}
	if (r->chunked) {
		b->mode = HTTP_BODY_CHUNKED;
		b->state = C_SIZE;
		return 0;
	}
	if (!r->has_length)
		return kerr_set(e, "http",
				"response of unknown length (no "
				"Content-Length, not chunked)");
	b->left = r->length;
	b->done = b->left == 0;
	return 0;
}

/* One framing byte of a chunked body. 0 or -1. */
static int
chunk_byte(struct http_body *b, uint8_t c, struct kerr *e)
{
	int hex =
	    (c >= '0' && c <= '9') || (lower(c) >= 'a' && lower(c) <= 'f');

	if (++b->line > HTTP_CHUNK_LINE_MAX && b->state <= C_SIZE_LF)
		return kerr_set(e, "http", "chunk size line too long");
	switch (b->state) {
	case C_SIZE:
		if (hex && b->digits < 16) {
			b->left = b->left << 4 |
				  (uint64_t)(c <= '9' ? c - '0'
						      : lower(c) - 'a' + 10);
			b->digits++;
			return 0;
		}
		if (!b->digits)
			return kerr_set(e, "http", "bad chunk size");
		if (c == '\r')
			b->state = C_SIZE_LF;
		else if (c == ';' || c == ' ' || c == '\t')
			b->state = C_EXT;
		else
			return kerr_set(e, "http", "bad chunk size");
		return 0;
	case C_EXT:
		if (c == '\r')
			b->state = C_SIZE_LF;
		else if ((c < 0x20 && c != '\t') || c == 0x7f)
			return kerr_set(e, "http", "bad chunk extension");
		return 0;
	case C_SIZE_LF:
		if (c != '\n')
			return kerr_set(e, "http",
					"chunk size line without LF");
		b->state = b->left ? C_DATA : C_TRAILER;
		return 0;
	case C_DATA_CR:
		if (c != '\r')
			return kerr_set(e, "http", "chunk data too long");
		b->state = C_DATA_LF;
		return 0;
	case C_DATA_LF:
		if (c != '\n')
			return kerr_set(e, "http", "no CRLF after chunk data");
		b->state = C_SIZE;
		b->line = b->digits = 0;
		b->left = 0;
		return 0;
	}
	/* the trailer section: lines, checked for syntax and size only */
	if (++b->trailer > HTTP_TRAILER_MAX)
		return kerr_set(e, "http", "trailer too long");
	switch (b->state) {
	case C_TRAILER:
		b->state = c == '\r' ? C_END_LF : C_TRAILER_IN;
		if (c == '\n' || c == ' ' || c == '\t' || c == ':')
			return kerr_set(e, "http", "bad trailer line");
		return 0;
	case C_TRAILER_IN:
		if (c == '\r')
			b->state = C_TRAILER_LF;
		else if ((c < 0x20 && c != '\t') || c == 0x7f)
			return kerr_set(e, "http", "bad trailer line");
		return 0;
	case C_TRAILER_LF:
	case C_END_LF:
		if (c != '\n')
			return kerr_set(e, "http", "trailer line without LF");
		b->done = b->state == C_END_LF;
		b->state = C_TRAILER;
		return 0;
	}
	return kerr_set(e, "http", "chunk state");
}

int
http_body_step(struct http_body *b, const uint8_t *in, size_t n, size_t *used,
	       size_t *data, struct kerr *e)
{
	size_t k = 0;

	*used = *data = 0;
	if (b->done || !n)
		return 0;
	if (b->mode == HTTP_BODY_LENGTH || b->state == C_DATA) {
		uint64_t take = b->left < n ? b->left : n;

		*used = *data = (size_t)take;
		b->left -= take;
		if (b->mode == HTTP_BODY_LENGTH)
			b->done = b->left == 0;
		else if (!b->left)
			b->state = C_DATA_CR;
		return 0;
	}
	while (k < n && !b->done && b->state != C_DATA)
		if (chunk_byte(b, in[k++], e) < 0)
			return -1;
	*used = k;
	return 0;
}
