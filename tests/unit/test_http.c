// SPDX-License-Identifier: MIT
/* Unit tests: URLs, response heads and body framing, split at every offset. */
#include <stdint.h>
#include <string.h>

#include "lib/net/http.h"
#include "tests/unit/unit.h"

static int
url(const char *s, struct http_url *u)
{
	return http_url_parse(s, strlen(s), u, NULL);
}

static void
test_url(void)
{
	struct http_url u, r;
	char buf[HTTP_URL_MAX + 32];
	char big[HTTP_URL_MAX + 8];

	CHECK(url("https://Example.COM/a/b?x=1", &u) == 0 && u.tls &&
		  !strcmp(u.host, "example.com") && u.port == 443 &&
		  !strcmp(u.path, "/a/b?x=1"),
	      "https URL");
	CHECK(url("http://10.0.2.2:8080", &u) == 0 && !u.tls &&
		  u.literal == 4 && u.port == 8080 && !strcmp(u.path, "/"),
	      "address, port, empty path");
	CHECK(url("http://[::1]:81/x", &u) == 0 && u.literal == 6 &&
		  !strcmp(u.host, "::1") && u.port == 81,
	      "IPv6 literal");
	CHECK(url("HTTP://h?q", &u) == 0 && !strcmp(u.path, "/?q"),
	      "query without path");
	CHECK(url("http://a/%41%2f", &u) == 0, "percent escapes");
	static const char *badurls[] = {
	    "ftp://h/",		"http://",
	    "http:///x",	"http://u@h/",
	    "http://h/#f",	"http://h:0/",
	    "http://h:65536/",	"http://h:080/",
	    "http://h:/",	"http://h x/",
	    "http://h/ x",	"http://h/%4",
	    "http://h/%zz",	"http://-h/",
	    "http://h-/",	"http://h_/",
	    "http://[::1/",	"http://[zz]/",
	    "http://[::1]x/",	"http://h/\x01",
	    "http://a..b/",	"http://1.2.3.256.5/",
	    "https://h:99999/", "http://h/\x7f",
	};
	for (size_t i = 0; i < sizeof(badurls) / sizeof(*badurls); i++)
		CHECK(url(badurls[i], &u) < 0, "refused: %s", badurls[i]);
	CHECK(url("http://1.2.3.256/", &u) < 0 || u.literal == 0,
	      "not an address: 1.2.3.256");
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = 0;
	memcpy(big, "http://h/", 9);
	CHECK(url(big, &u) < 0, "over HTTP_URL_MAX");

	url("https://h.example:8443/dir/m.txt?x", &u);
	CHECK(http_url_resolve(&u, "b.bundle", 8, &r, NULL) == 0 && r.tls &&
		  r.port == 8443 && !strcmp(r.path, "/dir/b.bundle"),
	      "relative path");
	CHECK(http_url_resolve(&u, "../up/b", 7, &r, NULL) == 0 &&
		  !strcmp(r.path, "/up/b"),
	      "dot segments");
	CHECK(http_url_resolve(&u, "/abs?y", 6, &r, NULL) == 0 &&
		  !strcmp(r.path, "/abs?y"),
	      "absolute path");
	CHECK(http_url_resolve(&u, "?z", 2, &r, NULL) == 0 &&
		  !strcmp(r.path, "/dir/m.txt?z"),
	      "query only");
	CHECK(http_url_resolve(&u, "//cdn.example/b", 15, &r, NULL) == 0 &&
		  r.tls && !strcmp(r.host, "cdn.example") && r.port == 443,
	      "network path");
	CHECK(http_url_resolve(&u, "http://o/p", 10, &r, NULL) == 0 && !r.tls &&
		  !strcmp(r.host, "o"),
	      "absolute URL");
	CHECK(http_url_resolve(&u, "mailto:x", 8, &r, NULL) < 0,
	      "other scheme refused");
	CHECK(http_url_resolve(&u, "a b", 3, &r, NULL) < 0, "space refused");
	CHECK(http_url_format(&u, buf, sizeof(buf)) == 0 &&
		  !strcmp(buf, "https://h.example:8443/dir/m.txt?x"),
	      "format: %s", buf);
	url("http://[fe80::1]/", &u);
	CHECK(http_url_format(&u, buf, sizeof(buf)) == 0 &&
		  !strcmp(buf, "http://[fe80::1]/"),
	      "format IPv6: %s", buf);
	CHECK(http_url_format(&u, buf, 8) < 0, "format: cut is an error");
}

static int
head(const char *s, struct http_resp *r)
{
	return http_parse_head((const uint8_t *)s, strlen(s), r, NULL);
}

static void
test_head(void)
{
	struct http_resp r;
	static const char ok[] =
	    "HTTP/1.1 206 Partial Content\r\n"
	    "Server: nginx/1.22.1\r\n"
	    "Content-Length: 100\r\n"
	    "Content-Range: bytes 100-199/1000\r\n"
	    "ETag: \"6541-1a2b\"\r\n"
	    "Last-Modified: Sun, 29 Nov 2026 20:00:00 GMT\r\n"
	    "Connection: keep-alive\r\n\r\n";

	CHECK(head(ok, &r) == 0 && r.status == 206 && r.minor == 1 &&
		  r.has_length && r.length == 100 && r.has_range &&
		  r.range_first == 100 && r.range_last == 199 &&
		  r.range_total == 1000 && !r.close &&
		  !strcmp(r.etag, "\"6541-1a2b\""),
	      "nginx 206");
	CHECK(http_head_end((const uint8_t *)ok, sizeof(ok) - 1) ==
		  (long)sizeof(ok) - 1,
	      "head end");
	CHECK(http_head_end((const uint8_t *)ok, sizeof(ok) - 2) == 0,
	      "head not all there");
	CHECK(head("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n"
		   "Connection: close\r\n\r\n",
		   &r) == 0 &&
		  r.chunked && r.close,
	      "chunked, close");
	CHECK(head("HTTP/1.0 200 OK\r\n\r\n", &r) == 0 && r.close,
	      "1.0 closes by default");
	CHECK(head("HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\n\r\n", &r) ==
		      0 &&
		  !r.close,
	      "1.0 keep-alive");
	CHECK(head("HTTP/1.1 302 Found\r\nLocation: /x\r\nRetry-After: 7"
		   "\r\nETag: W/\"x\"\r\n\r\n",
		   &r) == 0 &&
		  r.has_location && !strcmp(r.location, "/x") &&
		  r.retry_after == 7 && !r.etag[0],
	      "location, retry-after, weak etag dropped");
	CHECK(head("HTTP/1.1 206 x\r\nContent-Range: bytes 0-9/*\r\n\r\n",
		   &r) == 0 &&
		  r.range_total == UINT64_MAX,
	      "unknown total");
	CHECK(head("HTTP/1.1 200\r\n\r\n", &r) == 0, "no reason phrase");
	static const char *badheads[] = {
	    "HTTP/1.1 200 OK\n\n",
	    "HTTP/1.1 200 OK\r\nA: b\n\r\n",
	    "HTTP/2 200 OK\r\n\r\n",
	    "HTTP/1.1 600 X\r\n\r\n",
	    "HTTP/1.1 099 X\r\n\r\n",
	    "HTTP/1.1 2x0 X\r\n\r\n",
	    "HTTP/1.1 200 OK\r\n folded\r\n\r\n",
	    "HTTP/1.1 200 OK\r\nBad Name: x\r\n\r\n",
	    "HTTP/1.1 200 OK\r\n: x\r\n\r\n",
	    "HTTP/1.1 200 OK\r\nNoColon\r\n\r\n",
	    "HTTP/1.1 200 OK\r\nX: a\x01\r\n\r\n",
	    "HTTP/1.1 200 OK\r\nContent-Length: 01\r\n\r\n",
	    "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
	    "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
	    "HTTP/1.1 200 OK\r\nContent-Length: 1, 1\r\n\r\n",
	    "HTTP/1.1 200 OK\r\nContent-Length: "
	    "99999999999999999999999\r\n\r\n",
	    "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
	    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n"
	    "Content-Length: 5\r\n\r\n",
	    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n"
	    "Transfer-Encoding: chunked\r\n\r\n",
	    "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\n\r\n",
	    "HTTP/1.1 206 x\r\nContent-Range: bytes 9-1/10\r\n\r\n",
	    "HTTP/1.1 206 x\r\nContent-Range: bytes 0-10/10\r\n\r\n",
	    "HTTP/1.1 206 x\r\nContent-Range: items 0-1/10\r\n\r\n",
	    "HTTP/1.1 206 x\r\nContent-Range: bytes */10\r\n\r\n",
	    "HTTP/1.1 302 x\r\nLocation: \r\n\r\n",
	    "HTTP/1.1 200 OK\r\nConnection: a b\x7f\r\n\r\n",
	    "HTTP/1.1 200 OK\r\n\r\nextra",
	    "HTTP/1.1 200 OK\r\n",
	};
	for (size_t i = 0; i < sizeof(badheads) / sizeof(*badheads); i++)
		CHECK(head(badheads[i], &r) < 0, "refused head %zu", i);
	{
		char many[HTTP_HEAD_MAX];
		size_t n =
		    (size_t)snprintf(many, sizeof(many), "HTTP/1.1 200 OK\r\n");
		for (int i = 0; i <= HTTP_HEADERS_MAX; i++)
			n += (size_t)snprintf(many + n, sizeof(many) - n,
					      "X-%d: y\r\n", i);
		n += (size_t)snprintf(many + n, sizeof(many) - n, "\r\n");
		CHECK(http_parse_head((uint8_t *)many, n, &r, NULL) < 0,
		      "too many headers");
	}
	{
		static uint8_t big[HTTP_HEAD_MAX + 10];
		memset(big, 'a', sizeof(big));
		CHECK(http_head_end(big, sizeof(big)) < 0, "head too long");
	}
}

/*
 * Feeds body bytes to the framing in pieces of step bytes (0: whole),
 * then checks the data and that nothing after the body was taken.
 */
static int
run_body(const struct http_resp *r, const char *in, size_t n, size_t step,
	 char *out, size_t *outlen, size_t *taken)
{
	struct http_body b;
	size_t at = 0;

	*outlen = 0;
	if (http_body_init(&b, r, 0, NULL) < 0)
		return -1;
	while (!b.done) {
		size_t lim = step ? step : n - at, used, data;

		if (lim > n - at)
			lim = n - at;
		if (!lim)
			return -2; /* ran out of input */
		if (http_body_step(&b, (const uint8_t *)in + at, lim, &used,
				   &data, NULL) < 0)
			return -1;
		memcpy(out + *outlen, in + at, data);
		*outlen += data;
		at += used;
	}
	*taken = at;
	return 0;
}

static void
test_body(void)
{
	struct http_resp r = {.status = 200, .chunked = 1};
	static const char ch[] = "5;ext=\"a b\"\r\nhello\r\n"
				 "0000000000000006\r\n world\r\n"
				 "A \r\n0123456789\r\n"
				 "0\r\nX-Trailer: t\r\n\r\n"
				 "NEXT";
	char out[64];
	size_t ol, taken;
	int ok = 1;

	for (size_t step = 0; step < sizeof(ch); step++) {
		int rc =
		    run_body(&r, ch, sizeof(ch) - 1, step, out, &ol, &taken);
		if (rc != 0 || ol != 21 ||
		    memcmp(out, "hello world0123456789", 21) ||
		    taken != sizeof(ch) - 5)
			ok = 0;
	}
	CHECK(ok, "chunked body, fed in every step size");
	static const char *badchunks[] = {
	    "5\r\nhelloX\r\n0\r\n\r\n",
	    "5\r\nhello\n0\r\n\r\n",
	    "g\r\n",
	    "\r\n",
	    "5\n",
	    "10000000000000000\r\n",
	    "5;\x01\r\n",
	    "0\r\n\nX\r\n\r\n",
	    "0\r\n: x\r\n\r\n",
	    "0\r\nX\r\r\n",
	    "0\r\n\r\r",
	    ";x\r\n",
	};
	for (size_t i = 0; i < sizeof(badchunks) / sizeof(*badchunks); i++) {
		int rc = run_body(&r, badchunks[i], strlen(badchunks[i]), 1,
				  out, &ol, &taken);
		CHECK(rc == -1, "refused chunked %zu (rc %d)", i, rc);
	}
	{
		char line[HTTP_CHUNK_LINE_MAX + 16] = "1;";
		memset(line + 2, 'x', HTTP_CHUNK_LINE_MAX);
		strcpy(line + 2 + HTTP_CHUNK_LINE_MAX, "\r\n");
		CHECK(run_body(&r, line, strlen(line), 0, out, &ol, &taken) ==
			  -1,
		      "chunk line too long");
	}
	{
		static char tr[HTTP_TRAILER_MAX + 64];
		size_t n = (size_t)snprintf(tr, sizeof(tr), "0\r\n");
		while (n < HTTP_TRAILER_MAX + 8)
			n += (size_t)snprintf(tr + n, sizeof(tr) - n,
					      "A: b\r\n");
		n += (size_t)snprintf(tr + n, sizeof(tr) - n, "\r\n");
		CHECK(run_body(&r, tr, n, 0, out, &ol, &taken) == -1,
		      "trailer too long");
	}
	r = (struct http_resp){.status = 200, .has_length = 1, .length = 3};
	CHECK(run_body(&r, "abcdef", 6, 1, out, &ol, &taken) == 0 && ol == 3 &&
		  taken == 3,
	      "length body stops at its end");
	r = (struct http_resp){.status = 200};
	{
		struct http_body b;
		CHECK(http_body_init(&b, &r, 0, NULL) < 0,
		      "no length: refused");
		CHECK(http_body_init(&b, &r, 1, NULL) == 0 && b.done,
		      "head-only: no body");
		r.status = 204;
		CHECK(http_body_init(&b, &r, 0, NULL) == 0 && b.done,
		      "204: no body");
	}
}

int
main(void)
{
	test_url();
	test_head();
	test_body();
	return unit_done("http");
}
