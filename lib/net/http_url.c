// SPDX-License-Identifier: MIT
/* http:// and https:// URLs: strict parsing, references, formatting. */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "lib/base/fmt.h"
#include "lib/net/http.h"

static int
lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

static int
is_hex(int c)
{
	return (c >= '0' && c <= '9') || (lower(c) >= 'a' && lower(c) <= 'f');
}

/* RFC 3986 pchar, '/' and '?' (path and query); '%' is checked apart. */
static int
path_char(int c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9'))
		return 1;
	return c && strchr("-._~!$&'()*+,;=:@/?", c) != NULL;
}

/* Path and query: allowed bytes and well-formed percent escapes. */
static int
check_path(const char *p, size_t n, struct kerr *e)
{
	for (size_t i = 0; i < n; i++) {
		if (p[i] == '%') {
			if (i + 2 >= n || !is_hex(p[i + 1]) ||
			    !is_hex(p[i + 2]))
				return kerr_set(e, "url", "bad %% escape");
			i += 2;
			continue;
		}
		if (p[i] == '#')
			return kerr_set(e, "url", "a fragment (#) in the URL");
		if (!path_char((unsigned char)p[i]))
			return kerr_set(e, "url", "byte 0x%02x in the path",
					(unsigned char)p[i]);
	}
	return 0;
}

/* Dotted quad, each part 0 .. 255 without leading zeros. 1 if it is. */
static int
ipv4(const char *h, size_t n)
{
	unsigned parts = 0, v = 0, digits = 0;

	for (size_t i = 0; i <= n; i++) {
		if (i == n || h[i] == '.') {
			if (!digits || v > 255 ||
			    (digits > 1 && h[i - digits] == '0'))
				return 0;
			parts++;
			v = digits = 0;
			continue;
		}
		if (h[i] < '0' || h[i] > '9' || ++digits > 3)
			return 0;
		v = v * 10 + (unsigned)(h[i] - '0');
	}
	return parts == 4;
}

/*
 * A DNS name: labels of [a-z0-9-], 1 .. 63 bytes, no '-' at either end,
 * and a last label that is not all digits (that would be an address).
 */
static int
dns_name(const char *h, size_t n)
{
	size_t label = 0, digits = 0;

	if (!n || n > HTTP_HOST_MAX)
		return 0;
	for (size_t i = 0; i <= n; i++) {
		if (i == n || h[i] == '.') {
			if (!label || label > 63 || h[i - 1] == '-' ||
			    h[i - label] == '-')
				return 0;
			if (i == n && digits == label)
				return 0;
			label = digits = 0;
			continue;
		}
		if (!((h[i] >= 'a' && h[i] <= 'z') ||
		      (h[i] >= '0' && h[i] <= '9') || h[i] == '-'))
			return 0;
		digits += h[i] >= '0' && h[i] <= '9';
		label++;
	}
	return 1;
}

static int
parse_port(const char *p, size_t n, uint16_t *port, struct kerr *e)
{
	unsigned v = 0;

	if (!n || n > 5 || p[0] == '0')
		return kerr_set(e, "url", "bad port");
	for (size_t i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return kerr_set(e, "url", "bad port");
		v = v * 10 + (unsigned)(p[i] - '0');
	}
	if (v > 65535)
		return kerr_set(e, "url", "bad port");
	*port = (uint16_t)v;
	return 0;
}

/* host[:port] or [v6][:port], n bytes at a. */
static int
parse_authority(const char *a, size_t n, struct http_url *u, struct kerr *e)
{
	const char *hp = a, *colon;
	size_t hn;

	if (memchr(a, '@', n))
		return kerr_set(e, "url", "user info in the URL");
	if (n && a[0] == '[') {
		const char *end = memchr(a, ']', n);
		struct in6_addr a6;

		if (!end)
			return kerr_set(e, "url", "no ']' after an IPv6 host");
		hp = a + 1;
		hn = (size_t)(end - hp);
		colon = end + 1 < a + n ? end + 1 : NULL;
		if (colon && *colon != ':')
			return kerr_set(e, "url", "bytes after ']'");
		if (hn > 45)
			return kerr_set(e, "url", "bad IPv6 address");
		for (size_t i = 0; i < hn; i++)
			u->host[i] = (char)lower(hp[i]);
		u->host[hn] = 0;
		if (inet_pton(AF_INET6, u->host, &a6) != 1)
			return kerr_set(e, "url", "bad IPv6 address");
		u->literal = 6;
	} else {
		colon = memchr(a, ':', n);
		hn = colon ? (size_t)(colon - a) : n;
		if (!hn || hn > HTTP_HOST_MAX)
			return kerr_set(e, "url",
					"no host, or a host too long");
		for (size_t i = 0; i < hn; i++)
			u->host[i] = (char)lower(a[i]);
		u->host[hn] = 0;
		if (ipv4(u->host, hn))
			u->literal = 4;
		else if (!dns_name(u->host, hn))
			return kerr_set(e, "url", "bad host name");
	}
	if (colon)
		return parse_port(colon + 1, (size_t)(a + n - colon - 1),
				  &u->port, e);
	return 0;
}

int
http_url_parse(const char *s, size_t n, struct http_url *u, struct kerr *e)
{
	size_t skip, auth;

	memset(u, 0, sizeof(*u));
	if (n > HTTP_URL_MAX)
		return kerr_set(e, "url", "longer than %d bytes", HTTP_URL_MAX);
	if (n >= 7 && !strncasecmp(s, "http://", 7)) {
		skip = 7;
	} else if (n >= 8 && !strncasecmp(s, "https://", 8)) {
		skip = 8;
		u->tls = 1;
	} else {
		return kerr_set(e, "url", "not an http:// or https:// URL");
	}
	u->port = u->tls ? 443 : 80;
	for (auth = skip;
	     auth < n && s[auth] != '/' && s[auth] != '?' && s[auth] != '#';
	     auth++)
		;
	if (parse_authority(s + skip, auth - skip, u, e) < 0)
		return -1;
	if (check_path(s + auth, n - auth, e) < 0)
		return -1;
	if (auth == n || s[auth] != '/')
		u->path[0] = '/';
	memcpy(u->path + (auth == n || s[auth] != '/'), s + auth, n - auth);
	return 0;
}

/* RFC 3986 §5.2.4 on path[0 .. n) (no query), in place. New length. */
static size_t
remove_dots(char *p, size_t n)
{
	size_t out = 0, i = 0;

	while (i < n) {
		size_t seg = i + 1;

		while (seg < n && p[seg] != '/')
			seg++;
		/* p[i] is '/', the segment is p[i + 1 .. seg) */
		if (seg - i == 2 && p[i + 1] == '.') {
			if (seg == n)
				p[out++] = '/';
		} else if (seg - i == 3 && p[i + 1] == '.' && p[i + 2] == '.') {
			while (out > 0 && p[--out] != '/')
				;
			if (seg == n)
				p[out++] = '/';
		} else {
			memmove(p + out, p + i, seg - i);
			out += seg - i;
		}
		i = seg;
	}
	if (!out)
		p[out++] = '/';
	return out;
}

/* Joins base's directory (or whole path) with a relative reference. */
static int
join(const struct http_url *base, const char *ref, size_t n,
     struct http_url *out, struct kerr *e)
{
	char buf[2 * HTTP_URL_MAX + 2];
	size_t keep, plen, qlen;
	const char *q;

	*out = *base;
	q = strchr(base->path, '?');
	plen = q ? (size_t)(q - base->path) : strlen(base->path);
	if (n && ref[0] == '?') {
		keep = plen;
	} else if (n && ref[0] == '/') {
		keep = 0;
	} else {
		keep = plen;
		while (keep > 0 && base->path[keep - 1] != '/')
			keep--;
	}
	memcpy(buf, base->path, keep);
	memcpy(buf + keep, ref, n);
	buf[keep + n] = 0;
	q = strchr(buf, '?');
	plen = q ? (size_t)(q - buf) : keep + n;
	qlen = keep + n - plen;
	plen = remove_dots(buf, plen);
	if (q)
		memmove(buf + plen, q, qlen);
	if (plen + qlen > HTTP_URL_MAX)
		return kerr_set(e, "url", "resolved URL too long");
	memset(out->path, 0, sizeof(out->path));
	memcpy(out->path, buf, plen + qlen);
	out->path[plen + qlen] = 0;
	return 0;
}

int
http_url_resolve(const struct http_url *base, const char *ref, size_t n,
		 struct http_url *out, struct kerr *e)
{
	char abs[HTTP_URL_MAX + 16];
	size_t i;

	if (!n) { /* the base itself */
		*out = *base;
		return 0;
	}
	for (i = 0; i < n && ref[i] != '/' && ref[i] != '?' && ref[i] != ':';
	     i++)
		;
	if (i < n && ref[i] == ':' && i > 0)
		return http_url_parse(ref, n, out, e);
	if (n >= 2 && ref[0] == '/' && ref[1] == '/') {
		if (n > HTTP_URL_MAX)
			return kerr_set(e, "url", "reference too long");
		i = (size_t)fmt_sn(abs, sizeof(abs), "%s:%.*s",
				   base->tls ? "https" : "http", (int)n, ref);
		return http_url_parse(abs, i, out, e);
	}
	if (n > HTTP_URL_MAX)
		return kerr_set(e, "url", "reference too long");
	if (check_path(ref, n, e) < 0 || join(base, ref, n, out, e) < 0)
		return -1;
	/* Whatever is resolved can be written out and parsed again. */
	if (http_url_format(out, abs, HTTP_URL_MAX + 1) < 0)
		return kerr_set(e, "url", "resolved URL too long");
	return 0;
}

int
http_url_format(const struct http_url *u, char *buf, size_t cap)
{
	const char *l = u->literal == 6 ? "[" : "",
		   *r = u->literal == 6 ? "]" : "";
	int n;

	if (u->port == (u->tls ? 443 : 80))
		n = fmt_sn(buf, cap, "%s://%s%s%s%s", u->tls ? "https" : "http",
			   l, u->host, r, u->path);
	else
		n = fmt_sn(buf, cap, "%s://%s%s%s:%u%s",
			   u->tls ? "https" : "http", l, u->host, r,
			   (unsigned)u->port, u->path);
	return n < 0 || (size_t)n >= cap ? -1 : 0;
}
