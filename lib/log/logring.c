// SPDX-License-Identifier: MIT
/* A fixed-size ring of log lines in a caller-owned buffer. */
#include <string.h>

#include "lib/log/logring.h"

/*
 * A record: this header, then the text padded to 8 bytes. A header of
 * kind WRAP (or less than a header's room before the end) sends readers
 * back to offset 0: the writer wrapped there.
 */
struct rec {
	uint16_t len;
	uint8_t src;
	uint8_t kind;
	uint32_t pad;
	uint64_t seq;
	uint64_t us;
};
#define HDR sizeof(struct rec)
#define KIND_LINE 0
#define KIND_WRAP 1

static size_t
rec_size(size_t len)
{
	return HDR + ((len + 7) & ~(size_t)7);
}

static void
get(const struct logring *r, size_t off, struct rec *h)
{
	memcpy(h, r->buf + off, HDR);
}

/* Where a reader at off finds the record there: off, or 0 past a wrap. */
static size_t
resolve(const struct logring *r, size_t off)
{
	struct rec h;

	if (r->cap - off < HDR)
		return 0;
	get(r, off, &h);
	return h.kind == KIND_WRAP ? 0 : off;
}

/* The offset after the (resolved) record at off. */
static size_t
after(const struct logring *r, size_t off)
{
	struct rec h;

	get(r, off, &h);
	return off + rec_size(h.len);
}

/*
 * Where a reader's cursor finds its line: the record at c->off (past a
 * wrap marker) when it is line c->seq, whole inside the ring; then
 * c->off is set to it and h filled: 0. Else -1, nothing read outside the
 * ring: the offset is only a hint the ring checks (out of the buffer,
 * not aligned, another line's record or text read as a header: memory
 * gone bad or a bug in a reader), never followed blindly.
 */
static int
cursor_line(const struct logring *r, struct logring_cursor *c, struct rec *h)
{
	size_t off = c->off;

	if (off > r->cap || off % 8)
		return -1;
	off = resolve(r, off);
	get(r, off, h);
	if (h->kind != KIND_LINE || h->seq != c->seq ||
	    h->len > LOGRING_LINE_MAX || rec_size(h->len) > r->cap - off)
		return -1;
	c->off = off;
	return 0;
}

static void
evict(struct logring *r)
{
	r->first++;
	r->head = r->first == r->next ? r->tail : resolve(r, after(r, r->head));
}

void
logring_init(struct logring *r, void *buf, size_t cap)
{
	r->buf = buf;
	r->cap = cap & ~(size_t)7;
	r->head = r->tail = 0;
	r->first = r->next = 1;
}

/*
 * Finds room for s bytes, evicting the oldest lines; returns the place.
 * HAZARD: a reader whose cursor sits at the end holds the old tail as
 * the place of the next line: when the line goes to 0 instead, a wrap
 * marker at the old tail sends it there. The marker is never under the
 * new line: s <= head <= tail, or (empty ring) s < cap / 2 < tail. It
 * lasts while older lines do (new ones go below head); once the line
 * at 0 is the oldest, later lines may cover it: a reader at the oldest
 * line goes by head, never by its offset (logring_next).
 */
static size_t
make_room(struct logring *r, size_t s)
{
	for (;;) {
		int empty = r->first == r->next;

		if (empty || r->head < r->tail) {
			if (r->tail + s <= r->cap)
				return r->tail;
			if (empty || s <= r->head) {
				if (r->cap - r->tail >= HDR) {
					struct rec w = {0, 0, KIND_WRAP,
							0, 0, 0};
					memcpy(r->buf + r->tail, &w, HDR);
				}
				return 0;
			}
		} else if (r->tail + s <= r->head) {
			return r->tail;
		}
		evict(r);
	}
}

void
logring_add(struct logring *r, uint64_t us, unsigned src, const char *text,
	    size_t len)
{
	struct rec h = {0};
	size_t s, at;

	if (len > LOGRING_LINE_MAX)
		len = LOGRING_LINE_MAX;
	s = rec_size(len);
	at = make_room(r, s);
	h.len = (uint16_t)len;
	h.src = (uint8_t)src;
	h.kind = KIND_LINE;
	h.seq = r->next;
	h.us = us;
	memcpy(r->buf + at, &h, HDR);
	memcpy(r->buf + at + HDR, text, len);
	if (r->first == r->next)
		r->head = at;
	r->tail = at + s;
	r->next++;
}

size_t
logring_clean(char *text, size_t len)
{
	if (len && text[len - 1] == '\r')
		len--;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)text[i];
		if (c == '\t')
			text[i] = ' ';
		else if (c < 0x20 || c == 0x7f)
			text[i] = '?';
	}
	return len;
}

void
logring_tail(const struct logring *r, uint64_t n, struct logring_cursor *c)
{
	uint64_t total = r->next - r->first, skip;

	c->seq = r->first;
	c->off = r->head;
	skip = n && n < total ? total - n : 0;
	while (skip--) {
		c->off = resolve(r, after(r, c->off));
		c->seq++;
	}
}

void
logring_seek(const struct logring *r, uint64_t seq, struct logring_cursor *c)
{
	if (seq >= r->next) {
		c->seq = r->next;
		c->off = r->tail;
	} else if (seq < r->first) {
		c->seq = seq; /* logring_next counts the gap */
		c->off = r->head;
	} else {
		logring_tail(r, r->next - seq, c);
	}
}

int
logring_next(const struct logring *r, struct logring_cursor *c,
	     struct logring_line *l, uint64_t *lost)
{
	struct rec h;

	if (lost)
		*lost = 0;
	/*
	 * At the oldest line (or before it) the reader goes by head: its
	 * offset may be a wrap marker the writer has since written over
	 * (make_room), or a line that was pushed out.
	 */
	if (c->seq <= r->first) {
		if (lost)
			*lost = r->first - c->seq;
		c->seq = r->first;
		c->off = r->head;
	}
	if (c->seq >= r->next)
		return 0;
	/* A cursor whose offset is not its line's: the line by sequence. */
	if (cursor_line(r, c, &h) < 0) {
		logring_seek(r, c->seq, c);
		if (cursor_line(r, c, &h) < 0)
			return 0;
	}
	l->seq = h.seq;
	l->us = h.us;
	l->src = h.src;
	l->len = h.len;
	l->text = (const char *)r->buf + c->off + HDR;
	c->off += rec_size(h.len);
	c->seq++;
	return 1;
}

const char *
logring_src_name(unsigned src)
{
	static const char *const names[LOGRING_NSRC] = {
	    "keel", "app", "kernel", "net", "update", "trash"};

	return src < LOGRING_NSRC ? names[src] : "?";
}
