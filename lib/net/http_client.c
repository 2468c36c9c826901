// SPDX-License-Identifier: MIT
/* HTTP/1.1 over TCP or TLS: connections, requests, redirects, bodies. */
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lib/base/fmt.h"
#include "lib/net/http_client.h"

#define REQ_MAX (HTTP_URL_MAX + 1024) /* a request head */

void
http_init(struct http_client *c, const struct tls_anchors *anchors,
	  int allow_http, int timeout_ms)
{
	memset(c, 0, sizeof(*c));
	c->fd = -1;
	c->anchors = anchors;
	c->allow_http = allow_http;
	c->timeout_ms = timeout_ms > 0 ? timeout_ms : 30000;
	c->body.done = 1;
}

uint64_t
http_rx(const struct http_client *c)
{
	return c->rx_closed + (c->fd >= 0 ? c->tls.rx : 0);
}

void
http_close(struct http_client *c)
{
	if (c->fd < 0)
		return;
	if (c->tls_on)
		tls_close(&c->tls);
	close(c->fd);
	c->rx_closed += c->tls.rx;
	c->tls.rx = 0;
	c->fd = -1;
	c->pos = c->len = 0;
}

static int
wait_fd(struct http_client *c, short ev, struct kerr *e)
{
	struct pollfd p = {c->fd, ev, 0};
	int r;

	do
		r = poll(&p, 1, c->timeout_ms);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return kerr_set(e, "net", "poll: %s", kerr_strerror(errno));
	if (r == 0)
		return kerr_set(e, "timeout", "%s: no progress in %d ms",
				c->origin.host, c->timeout_ms);
	return 0;
}

/* A non-blocking connect to one address, within the timeout. */
static int
dial_one(struct http_client *c, const struct addrinfo *ai, struct kerr *e)
{
	int err = 0, one = 1;
	socklen_t el = sizeof(err);

	c->fd = socket(ai->ai_family,
		       SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (c->fd < 0)
		return kerr_set(e, "connect", "socket: %s",
				kerr_strerror(errno));
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(c->fd, ai->ai_addr, ai->ai_addrlen) < 0 &&
	    errno != EINPROGRESS)
		err = errno;
	else if (wait_fd(c, POLLOUT, e) < 0)
		err = ETIMEDOUT;
	else if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &el) < 0)
		err = errno;
	if (!err)
		return 0;
	close(c->fd);
	c->fd = -1;
	return kerr_set(e, "connect", "%s port %u: %s", c->origin.host,
			(unsigned)c->origin.port, kerr_strerror(err));
}

/* Connects to u's origin: each address in turn, then TLS if https. */
static int
dial(struct http_client *c, const struct http_url *u, struct kerr *e)
{
	struct addrinfo hints = {0}, *res = NULL;
	char port[8];
	int r;

	http_close(c);
	c->origin = *u;
	c->tls_on = u->tls;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = u->literal ? AI_NUMERICHOST : 0;
	fmt_sn(port, sizeof(port), "%u", (unsigned)u->port);
	r = getaddrinfo(u->host, port, &hints, &res);
	if (r)
		return kerr_set(e, "connect", "%s: %s", u->host,
				gai_strerror(r));
	r = -1;
	for (const struct addrinfo *ai = res; ai && r < 0; ai = ai->ai_next)
		r = dial_one(c, ai, e);
	freeaddrinfo(res);
	if (r < 0)
		return -1;
	c->tls.rx = 0;
	if (u->tls &&
	    tls_start(&c->tls, c->fd, c->anchors, u->host, c->timeout_ms, e)) {
		c->tls_on = 0; /* nothing to close_notify */
		http_close(c);
		return -1;
	}
	return 0;
}

/* Up to len bytes from the connection: the count, 0 at EOF, or -1. */
static ssize_t
raw_read(struct http_client *c, void *buf, size_t len, struct kerr *e)
{
	ssize_t n;

	if (c->tls_on)
		return tls_read(&c->tls, buf, len, e);
	for (;;) {
		n = recv(c->fd, buf, len, MSG_DONTWAIT);
		if (n >= 0) {
			c->tls.rx += (uint64_t)n;
			return n;
		}
		if (errno != EAGAIN && errno != EINTR)
			return kerr_set(e, "net", "%s: %s", c->origin.host,
					kerr_strerror(errno));
		if (wait_fd(c, POLLIN, e) < 0)
			return -1;
	}
}

static int
raw_write(struct http_client *c, const void *buf, size_t len, struct kerr *e)
{
	const uint8_t *p = buf;

	if (c->tls_on)
		return tls_write(&c->tls, buf, len, e);
	while (len) {
		ssize_t n = send(c->fd, p, len, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n > 0) {
			p += n;
			len -= (size_t)n;
		} else if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
			if (wait_fd(c, POLLOUT, e) < 0)
				return -1;
		} else {
			return kerr_set(e, "net", "%s: %s", c->origin.host,
					kerr_strerror(errno));
		}
	}
	return 0;
}

/* Reads and parses one response head; informational ones are skipped. */
static int
read_head(struct http_client *c, struct kerr *e)
{
	for (int info = 0; info < 8; info++) {
		long end;

		while ((end = http_head_end(c->buf + c->pos,
					    c->len - c->pos)) == 0) {
			ssize_t n;

			if (c->pos) {
				memmove(c->buf, c->buf + c->pos,
					c->len - c->pos);
				c->len -= c->pos;
				c->pos = 0;
			}
			n = raw_read(c, c->buf + c->len, HTTP_BUF - c->len, e);
			if (n < 0)
				return -1;
			if (n == 0)
				return kerr_set(e, "net",
						"%s: connection closed before "
						"a response",
						c->origin.host);
			c->len += (size_t)n;
		}
		if (end < 0)
			return kerr_set(e, "http",
					"response head over %d bytes",
					HTTP_HEAD_MAX);
		if (http_parse_head(c->buf + c->pos, (size_t)end, &c->resp, e))
			return -1;
		c->pos += (size_t)end;
		if (c->resp.status == 101)
			return kerr_set(e, "http", "101: protocol switch");
		if (c->resp.status >= 200)
			return 0;
	}
	return kerr_set(e, "http", "too many informational responses");
}

/* The request head for method and u into buf: its length, or -1. */
static int
format_request(struct http_client *c, const char *method,
	       const struct http_url *u, const char *extra, char *buf,
	       struct kerr *e)
{
	const char *l = u->literal == 6 ? "[" : "",
		   *r = u->literal == 6 ? "]" : "";
	char port[8] = "";
	int n;

	if (u->port != (u->tls ? 443 : 80))
		fmt_sn(port, sizeof(port), ":%u", (unsigned)u->port);
	n = fmt_sn(buf, REQ_MAX,
		   "%s %s HTTP/1.1\r\nHost: %s%s%s%s\r\n"
		   "User-Agent: %s\r\nAccept-Encoding: identity\r\n%s\r\n",
		   method, u->path, l, u->host, r, port,
		   c->agent ? c->agent : "keel", extra);
	if (n < 0 || n >= REQ_MAX)
		return kerr_set(e, "http", "request too long");
	return n;
}

/*
 * Sends the request over the kept connection, or a new one; a kept
 * connection the server closed meanwhile is replaced once.
 */
static int
exchange(struct http_client *c, const struct http_url *u, const char *req,
	 size_t n, const void *body, size_t blen, struct kerr *e)
{
	for (int fresh = 0; fresh < 2; fresh++) {
		int kept = c->fd >= 0 && c->body.done && !c->resp.close &&
			   c->pos == c->len && c->origin.tls == u->tls &&
			   c->origin.port == u->port &&
			   !strcmp(c->origin.host, u->host);

		if (!kept && dial(c, u, e) < 0)
			return -1;
		c->pos = c->len = 0;
		if (raw_write(c, req, n, e) == 0 &&
		    (!blen || raw_write(c, body, blen, e) == 0) &&
		    read_head(c, e) == 0)
			return 0;
		http_close(c);
		if (!kept)
			return -1;
	}
	return -1;
}

/* Reads a small body to its end (keeping the connection), or closes. */
static void
drain(struct http_client *c)
{
	static uint8_t sink[4096];
	size_t total = 0;
	ssize_t n;

	while (total < HTTP_DRAIN_MAX &&
	       (n = http_read(c, sink, sizeof(sink), NULL)) > 0)
		total += (size_t)n;
	if (!c->body.done)
		http_close(c);
}

static int
allowed(const struct http_client *c, const struct http_url *u, struct kerr *e)
{
	if (u->tls && (!c->anchors || !c->anchors->n))
		return kerr_set(e, "https", "no trust anchors for %s", u->host);
	if (!u->tls && !c->allow_http)
		return kerr_set(e, "https",
				"plain http:// to %s is not allowed", u->host);
	return 0;
}

static int
redirect(struct http_client *c, struct http_url *cur, struct kerr *e)
{
	struct http_url next;

	if (++c->redirects > HTTP_REDIRECTS_MAX)
		return kerr_set(e, "http", "more than %d redirects",
				HTTP_REDIRECTS_MAX);
	if (http_url_resolve(cur, c->resp.location, strlen(c->resp.location),
			     &next, e) < 0)
		return -1;
	if (cur->tls && !next.tls && !c->allow_http)
		return kerr_set(e, "https", "redirect from https to http");
	drain(c);
	*cur = next;
	return 0;
}

int
http_get(struct http_client *c, const struct http_url *u, int range,
	 uint64_t first, uint64_t last, const char *validator, struct kerr *e)
{
	struct http_url cur = *u;
	char extra[HTTP_TAG_MAX + 96], req[REQ_MAX];
	int n;

	c->redirects = 0;
	for (;;) {
		int s;

		if (allowed(c, &cur, e) < 0)
			return -1;
		extra[0] = 0;
		if (range && last != UINT64_MAX)
			fmt_sn(extra, sizeof(extra),
			       "Range: bytes=%llu-%llu\r\n",
			       (unsigned long long)first,
			       (unsigned long long)last);
		else if (range)
			fmt_sn(extra, sizeof(extra), "Range: bytes=%llu-\r\n",
			       (unsigned long long)first);
		if (range && validator && validator[0])
			fmt_sn(extra + strlen(extra),
			       sizeof(extra) - strlen(extra),
			       "If-Range: %s\r\n", validator);
		n = format_request(c, "GET", &cur, extra, req, e);
		if (n < 0 || exchange(c, &cur, req, (size_t)n, NULL, 0, e) < 0)
			return -1;
		c->url = cur;
		if (http_body_init(&c->body, &c->resp, 0, e) < 0) {
			http_close(c);
			return -1;
		}
		s = c->resp.status;
		if ((s == 301 || s == 302 || s == 303 || s == 307 ||
		     s == 308) &&
		    c->resp.has_location) {
			if (redirect(c, &cur, e) < 0)
				return -1;
			continue;
		}
		return 0;
	}
}

ssize_t
http_read(struct http_client *c, void *buf, size_t len, struct kerr *e)
{
	while (!c->body.done && len) {
		size_t used, data, avail;

		if (c->pos == c->len) {
			ssize_t n = raw_read(c, c->buf, HTTP_BUF, e);

			if (n <= 0) {
				http_close(c);
				return n < 0 ? -1
					     : kerr_set(e, "net",
							"%s: connection closed "
							"inside the body",
							c->origin.host);
			}
			c->pos = 0;
			c->len = (size_t)n;
		}
		avail = c->len - c->pos < len ? c->len - c->pos : len;
		if (http_body_step(&c->body, c->buf + c->pos, avail, &used,
				   &data, e) < 0) {
			http_close(c);
			return -1;
		}
		if (data)
			memcpy(buf, c->buf + c->pos, data);
		c->pos += used;
		if (c->body.done && (c->resp.close || c->pos != c->len))
			http_close(c);
		if (data)
			return (ssize_t)data;
	}
	return 0;
}

int
http_post(struct http_client *c, const struct http_url *u, const char *ctype,
	  const void *body, size_t len, struct kerr *e)
{
	char extra[160], req[REQ_MAX];
	int n;

	if (allowed(c, u, e) < 0)
		return -1;
	fmt_sn(extra, sizeof(extra),
	       "Content-Type: %s\r\nContent-Length: %zu\r\n", ctype, len);
	n = format_request(c, "POST", u, extra, req, e);
	if (n < 0 || exchange(c, u, req, (size_t)n, body, len, e) < 0)
		return -1;
	c->url = *u;
	if (http_body_init(&c->body, &c->resp, 0, e) < 0) {
		http_close(c);
		return -1;
	}
	drain(c);
	return c->resp.status;
}
