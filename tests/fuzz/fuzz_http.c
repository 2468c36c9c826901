// SPDX-License-Identifier: MIT
/* libFuzzer target: URLs, response heads and chunked bodies of HTTP/1.1. */
#include <stdint.h>
#include <string.h>

#include "lib/net/http.h"

/* Whole and byte by byte must agree on the verdict and the data. */
static void
body(const uint8_t *d, size_t n)
{
	static uint8_t out[2][65536];
	size_t ol[2] = {0, 0}, at[2] = {0, 0};
	int rc[2] = {0, 0};
	struct http_resp r = {.status = 200, .chunked = 1};

	for (int k = 0; k < 2; k++) {
		struct http_body b;

		http_body_init(&b, &r, 0, NULL);
		while (!b.done && at[k] < n) {
			size_t lim = k ? 1 : n - at[k], used, data;

			if (http_body_step(&b, d + at[k], lim, &used, &data,
					   NULL) < 0) {
				rc[k] = -1;
				break;
			}
			if (!used || used > lim || data > used)
				__builtin_trap();
			if (ol[k] + data <= sizeof(out[k]))
				memcpy(out[k] + ol[k], d + at[k], data);
			ol[k] += data;
			at[k] += used;
		}
		if (rc[k] == 0 && b.done != (at[k] <= n && b.done))
			__builtin_trap();
	}
	if (rc[0] != rc[1] ||
	    (rc[0] == 0 && (ol[0] != ol[1] || at[0] != at[1])))
		__builtin_trap();
	if (rc[0] == 0 && ol[0] <= sizeof(out[0]) &&
	    memcmp(out[0], out[1], ol[0]))
		__builtin_trap();
}

static void
head(const uint8_t *d, size_t n)
{
	struct http_resp r;
	long end = http_head_end(d, n);

	if (end > 0 && (size_t)end > n)
		__builtin_trap();
	if (http_parse_head(d, n, &r, NULL) == 0) {
		if (r.status < 100 || r.status > 599 ||
		    (r.chunked && r.has_length))
			__builtin_trap();
		if (r.has_range && (r.range_first > r.range_last ||
				    r.range_last >= r.range_total))
			__builtin_trap();
		if (strlen(r.location) > HTTP_URL_MAX)
			__builtin_trap();
	}
}

/* A parsed URL formats back to text that parses to the same URL. */
static void
url(const uint8_t *d, size_t n)
{
	static const char b[] = "https://h.example:8443/dir/m.txt?x";
	struct http_url base, u, v;
	char buf[HTTP_URL_MAX + 64];

	http_url_parse(b, sizeof(b) - 1, &base, NULL);
	if (http_url_resolve(&base, (const char *)d, n, &u, NULL) < 0)
		return;
	if (u.path[0] != '/' || http_url_format(&u, buf, sizeof(buf)) < 0)
		__builtin_trap();
	if (http_url_parse(buf, strlen(buf), &v, NULL) < 0 || u.tls != v.tls ||
	    u.port != v.port || u.literal != v.literal ||
	    strcmp(u.host, v.host) || strcmp(u.path, v.path))
		__builtin_trap();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!size)
		return 0;
	switch (data[0] % 3) {
	case 0:
		head(data + 1, size - 1);
		break;
	case 1:
		body(data + 1, size - 1);
		break;
	default:
		url(data + 1, size - 1);
	}
	return 0;
}
