// SPDX-License-Identifier: MIT
/* A delta install's client: the ranges keel installer asks for, fetched. */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "launcher/fetch.h"

/* Every complete line received: want= to the queue, others to s->line. */
static int
take_lines(struct fetch_serve *s, struct kerr *e)
{
	struct control_reply c;
	char *nl;

	while (!s->final && (nl = memchr(s->buf, '\n', s->len))) {
		size_t l = (size_t)(nl - s->buf);
		int r = 0;

		if (control_parse_reply(s->buf, l, &c, e) < 0)
			return -1;
		memmove(s->buf, nl + 1, s->len - l - 1);
		s->len -= l + 1;
		if (c.kind == CONTROL_R_KV && !strcmp(c.key, "want"))
			r = want_q_add(&s->q, c.value, strlen(c.value), e);
		else
			r = s->line(s->ctx, &c);
		if (r < 0)
			return -1;
		if (r > 0)
			s->final = 1;
	}
	if (s->len >= sizeof(s->buf))
		return kerr_set(e, "control", "reply line too long");
	return 0;
}

/* Reads what the socket has: 0, or -1 (closed before the final line). */
static int
take(struct fetch_serve *s, struct kerr *e)
{
	ssize_t n = recv(s->sock, s->buf + s->len, sizeof(s->buf) - s->len,
			 MSG_DONTWAIT);

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return 0;
	if (n < 0)
		return kerr_set(e, "control", "%s", strerror(errno));
	if (n == 0)
		return kerr_set(e, "control",
				"keel-init closed the connection without a "
				"reply");
	s->len += (size_t)n;
	return take_lines(s, e);
}

/* Waits for one event of the socket: lines are taken; 1 when it can
 * take bytes (out), 0 otherwise, -1. */
static int
wait_sock(struct fetch_serve *s, int out, struct kerr *e)
{
	struct pollfd p = {s->sock, POLLIN | (out ? POLLOUT : 0), 0};

	if (poll(&p, 1, -1) < 0 && errno != EINTR)
		return kerr_set(e, "control", "%s", strerror(errno));
	if (s->stop && s->stop())
		return kerr_set(e, "stopped", "TERM");
	if (p.revents & (POLLIN | POLLHUP | POLLERR) && take(s, e) < 0)
		return -1;
	return (p.revents & POLLOUT) != 0;
}

int
fetch_serve_final(struct fetch_serve *s, struct kerr *e)
{
	while (!s->final)
		if (wait_sock(s, 0, e) < 0)
			return -1;
	return 0;
}

/* All of buf to keel-init, taking its lines meanwhile. 0 (also when its
 * final line came first), or -1. */
static int
put(struct fetch_serve *s, const void *buf, size_t len, struct kerr *e)
{
	const uint8_t *p = buf;

	while (len && !s->final) {
		ssize_t n;
		int r = wait_sock(s, 1, e);

		if (r <= 0) {
			if (r < 0)
				return -1;
			continue;
		}
		n = send(s->sock, p, len, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (n < 0) /* keel-init gave up: its final line says why */
			return fetch_serve_final(s, e);
		p += n;
		len -= (size_t)n;
		s->sent += (uint64_t)n;
	}
	return 0;
}

/* fetch_head's range source: the bundle's first block, once. */
static int
head_next(void *ctx, uint64_t *off, uint64_t *len, struct kerr *e)
{
	struct fetch *f = ctx;

	(void)e;
	if (f->head_done)
		return 0;
	f->head_done = 1;
	*off = 0;
	*len = IMG_META_SIZE;
	return 1;
}

int
fetch_head(struct fetch *f, uint8_t *blk, int ranged, struct kerr *e)
{
	size_t got = 0;

	if (ranged) {
		f->head_done = 0;
		http_dl_ranges(&f->dl, head_next, f, 0);
	}
	while (got < IMG_META_SIZE) {
		ssize_t n =
		    http_dl_read(&f->dl, blk + got, IMG_META_SIZE - got, e);
		if (n < 0)
			return -1;
		if (n == 0)
			return kerr_set(e, "bundle",
					"%zu bytes: ends inside its metadata",
					got);
		got += (size_t)n;
	}
	return 0;
}

/* The ranges queued that start in s->head: sent from there. 0 or -1. */
static int
serve_head(struct fetch_serve *s, struct kerr *e)
{
	uint64_t off, len, k;

	while (!s->final && want_q_peek(&s->q, &off, &len) &&
	       off < s->head_len) {
		k = s->head_len - off;
		if (len != WANT_TO_END && len < k)
			k = len;
		if (put(s, s->head + off, (size_t)k, e) < 0)
			return -1;
		want_q_skip(&s->q, k);
	}
	return 0;
}

int
fetch_serve(struct fetch_serve *s, struct kerr *e)
{
	static uint8_t buf[64 * 1024];

	want_q_init(&s->q, s->f->dl.size);
	if (put(s, WANT_HELLO, WANT_HELLO_LEN, e) < 0)
		return -1;
	while (!s->final) {
		ssize_t n = 0;

		if (s->f->dl.size != UINT64_MAX)
			s->q.size = s->f->dl.size;
		if (serve_head(s, e) < 0)
			return -1;
		if (!s->q.n) {
			if (s->q.to_end && !s->shut) {
				/* the last range was to the end: so is the
				 * stream */
				shutdown(s->sock, SHUT_WR);
				s->shut = 1;
			}
			if (wait_sock(s, 0, e) < 0)
				return -1;
			continue;
		}
		http_dl_ranges(&s->f->dl, want_q_next, &s->q, s->gap);
		while (!s->final &&
		       (n = http_dl_read(&s->f->dl, buf, sizeof(buf), e)) > 0) {
			s->got += (uint64_t)n;
			if (put(s, buf, (size_t)n, e) < 0)
				return -1;
		}
		if (!s->final && n < 0)
			return -1;
	}
	return 0;
}

int
fetch_serve_whole(struct fetch_serve *s, const void *head, size_t len,
		  struct kerr *e)
{
	static uint8_t buf[64 * 1024];
	ssize_t n = 0;

	if (put(s, head, len, e) < 0)
		return -1;
	while (!s->final &&
	       (n = http_dl_read(&s->f->dl, buf, sizeof(buf), e)) > 0) {
		s->got += (uint64_t)n;
		if (put(s, buf, (size_t)n, e) < 0)
			return -1;
	}
	if (s->final)
		return 0;
	if (n < 0)
		return -1;
	shutdown(s->sock, SHUT_WR);
	s->shut = 1;
	return fetch_serve_final(s, e);
}
