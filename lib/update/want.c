// SPDX-License-Identifier: MIT
/* The range protocol: the installer names ranges, the client serves them. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lib/base/fmt.h"
#include "lib/base/text.h"
#include "lib/update/want.h"

size_t
want_line(char *buf, uint64_t off, uint64_t len)
{
	int n;

	if (len == WANT_TO_END)
		n = fmt_sn(buf, WANT_LINE_MAX, "want=%llu-\n",
			   (unsigned long long)off);
	else
		n = fmt_sn(buf, WANT_LINE_MAX, "want=%llu+%llu\n",
			   (unsigned long long)off, (unsigned long long)len);
	return n < 0 ? 0 : (size_t)n;
}

/* --- the installer's side ---------------------------------------------- */

/*
 * Waits until fd is ready for ev, at most s->idle_ms (0: for ever). 0,
 * or -1 with e naming the stall (what: what the client did not do).
 */
static int
wait_client(const struct want_src *s, int fd, short ev, const char *what,
	    struct kerr *e)
{
	struct pollfd p = {fd, ev, 0};
	int ms = s->idle_ms > 0 ? s->idle_ms : -1, r;

	do
		r = poll(&p, 1, ms);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return kerr_set(e, "client", "poll: %s", kerr_strerror(errno));
	if (r > 0)
		return 0;
	if (ms % 1000)
		return kerr_set(e, "client", "%s for %d ms: abandoned", what,
				ms);
	return kerr_set(e, "client", "%s for %d s: abandoned", what, ms / 1000);
}

/* All of buf to the client, waiting while its socket is full. */
static int
send_line(const struct want_src *s, const char *buf, size_t len, struct kerr *e)
{
	while (len) {
		ssize_t n =
		    send(s->lines, buf, len, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0 && errno == EAGAIN) {
			if (wait_client(s, s->lines, POLLOUT,
					"no want= line taken", e) < 0)
				return -1;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return kerr_set(e, "client", "asking for a range: %s",
					kerr_strerror(errno));
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Names ranges of s->r until WANT_AHEAD are out or there are no more. */
static int
name_more(struct want_src *s, struct kerr *e)
{
	while (s->more && s->n < WANT_AHEAD) {
		char line[WANT_LINE_MAX];
		uint64_t off, len;
		unsigned at;
		int r = s->r->next(s->r, &off, &len, e);

		if (r < 0)
			return -1;
		if (r == 0 || len == WANT_TO_END)
			s->more = 0;
		if (r == 0)
			break;
		if (!len)
			continue;
		if (len != WANT_TO_END && len > WANT_LEN_MAX)
			return kerr_set(e, "range", "%llu bytes at once",
					(unsigned long long)len);
		at = (s->head + s->n) % WANT_AHEAD;
		s->off[at] = off;
		s->len[at] = len;
		if (!s->n++)
			s->left = len;
		s->ranges++;
		if (len != WANT_TO_END)
			s->named += len;
		if (send_line(s, line, want_line(line, off, len), e) < 0)
			return -1;
	}
	return 0;
}

/* Up to len bytes of the client's stream, waiting at most s->idle_ms. */
static ssize_t
read_some(const struct want_src *s, void *buf, size_t len, struct kerr *e)
{
	ssize_t n;

	if (wait_client(s, s->data, POLLIN, "no byte", e) < 0)
		return -1;
	do
		n = read(s->data, buf, len);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return kerr_set(e, "read", "reading the bundle: %s",
				kerr_strerror(errno));
	return n;
}

static ssize_t
ranged_read(struct want_src *s, void *buf, size_t len, struct kerr *e)
{
	ssize_t n;

	if (name_more(s, e) < 0)
		return -1;
	if (!s->n)
		return 0;
	if (s->left != WANT_TO_END && len > s->left)
		len = (size_t)s->left;
	n = read_some(s, buf, len, e);
	if (n < 0)
		return -1;
	if (n == 0 && s->left != WANT_TO_END)
		return kerr_set(e, "truncated",
				"the client's stream ends inside the range "
				"at byte %llu",
				(unsigned long long)s->off[s->head]);
	if (s->left != WANT_TO_END)
		s->left -= (uint64_t)n;
	if (n == 0 || s->left == 0) {
		/* the head range is read: the next is */
		s->head = (s->head + 1) % WANT_AHEAD;
		if (--s->n)
			s->left = s->len[s->head];
	}
	return n;
}

static ssize_t
src_read(void *ctx, void *buf, size_t len, struct kerr *e)
{
	struct want_src *s = ctx;
	size_t k;

	if (s->ranged)
		return ranged_read(s, buf, len, e);
	if (s->pre_pos < s->pre_len) {
		k = s->pre_len - s->pre_pos < len ? s->pre_len - s->pre_pos
						  : len;
		memcpy(buf, s->pre + s->pre_pos, k);
		s->pre_pos += k;
		return (ssize_t)k;
	}
	return read_some(s, buf, len, e);
}

/* The installer reads r next: everything named before must be read. */
static int
src_want(void *ctx, struct bundle_ranges *r, struct kerr *e)
{
	struct want_src *s = ctx;

	if (s->n)
		return kerr_set(e, "range",
				"new ranges before the last were read");
	s->r = r;
	s->more = 1;
	return 0;
}

int
want_src_open(struct want_src *s, int data, int lines, int from, int idle_ms,
	      struct bundle_src *src, struct kerr *e)
{
	memset(s, 0, sizeof(*s));
	s->data = data;
	s->lines = lines;
	s->idle_ms = idle_ms;
	while (s->pre_len < WANT_HELLO_LEN) {
		ssize_t n = read_some(s, s->pre + s->pre_len,
				      WANT_HELLO_LEN - s->pre_len, e);

		if (n < 0)
			return -1;
		if (n == 0)
			break;
		s->pre_len += (size_t)n;
	}
	memset(src, 0, sizeof(*src));
	src->read = src_read;
	src->ctx = s;
	src->from = -1;
	if (s->pre_len == WANT_HELLO_LEN &&
	    !memcmp(s->pre, WANT_HELLO, WANT_HELLO_LEN)) {
		s->ranged = 1;
		s->pre_len = 0;
		src->want = src_want;
		src->from = from;
	}
	return 0;
}

/* --- the client's side ------------------------------------------------- */

void
want_q_init(struct want_q *q, uint64_t size)
{
	memset(q, 0, sizeof(*q));
	q->size = size;
}

/* "OFF+LEN" or "OFF-" into off and len (WANT_TO_END). 0 or -1. */
static int
parse(const char *v, size_t n, uint64_t *off, uint64_t *len)
{
	const char *plus = memchr(v, '+', n);

	if (n && v[n - 1] == '-' && !plus) {
		*len = WANT_TO_END;
		return text_u64(v, n - 1, off);
	}
	if (!plus || text_u64(v, (size_t)(plus - v), off) < 0 ||
	    text_u64(plus + 1, n - (size_t)(plus - v) - 1, len) < 0)
		return -1;
	return *len && *len <= WANT_LEN_MAX ? 0 : -1;
}

int
want_q_add(struct want_q *q, const char *v, size_t n, struct kerr *e)
{
	uint64_t off, len,
	    cap = q->size == WANT_TO_END ? WANT_LEN_MAX : q->size;
	uint64_t bytes;
	unsigned at;

	if (parse(v, n, &off, &len) < 0)
		return kerr_set(e, "want", "not a range: %.*s",
				n > 60 ? 60 : (int)n, v);
	if (q->to_end)
		return kerr_set(e, "want", "a range after the one to the end");
	if (off < q->end)
		return kerr_set(e, "want", "range at %llu before byte %llu",
				(unsigned long long)off,
				(unsigned long long)q->end);
	if (off >= cap || (len != WANT_TO_END && len > cap - off))
		return kerr_set(e, "want", "range at %llu past the bundle",
				(unsigned long long)off);
	bytes = len == WANT_TO_END ? cap - off : len;
	if (bytes > cap - q->asked)
		return kerr_set(e, "want", "more than the bundle asked");
	if (q->n == WANT_AHEAD)
		return kerr_set(e, "want", "more than %d ranges ahead",
				WANT_AHEAD);
	at = (q->head + q->n++) % WANT_AHEAD;
	q->off[at] = off;
	q->len[at] = len;
	q->asked += bytes;
	q->ranges++;
	q->end = len == WANT_TO_END ? cap : off + len;
	q->to_end = len == WANT_TO_END;
	return 0;
}

int
want_q_peek(const struct want_q *q, uint64_t *off, uint64_t *len)
{
	if (!q->n)
		return 0;
	*off = q->off[q->head];
	*len = q->len[q->head];
	return 1;
}

void
want_q_skip(struct want_q *q, uint64_t n)
{
	uint64_t *off = &q->off[q->head], *len = &q->len[q->head];

	if (!q->n)
		return;
	*off += n;
	if (*len != WANT_TO_END)
		*len -= n < *len ? n : *len;
	if (!*len || (*len == WANT_TO_END && q->size != WANT_TO_END &&
		      *off >= q->size)) {
		q->head = (q->head + 1) % WANT_AHEAD;
		q->n--;
	}
}

int
want_q_next(void *ctx, uint64_t *off, uint64_t *len, struct kerr *e)
{
	struct want_q *q = ctx;

	(void)e;
	if (!q->n)
		return 0;
	*off = q->off[q->head];
	*len = q->len[q->head];
	q->head = (q->head + 1) % WANT_AHEAD;
	q->n--;
	return 1;
}
