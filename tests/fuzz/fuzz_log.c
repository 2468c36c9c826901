// SPDX-License-Identifier: MIT
/* libFuzzer target: /dev/kmsg records, and the log ring with its readers. */
#include <stdint.h>
#include <string.h>

#include "lib/log/kmsg.h"
#include "lib/log/logring.h"

#define CAP_MIN                                                                \
	1024 /* logring_init's least: the ring wraps every few lines           \
	      */
#define LINES_MAX 16384 /* libFuzzer's -max_len in tests/fuzz/run.sh */

static uint64_t store[(CAP_MIN + 8 * 15) / 8];
static uint16_t lens[LINES_MAX + 2]; /* each line's length, by sequence */

/* A reader's place and the sequence of the line it expects next. */
struct reader {
	struct logring_cursor c;
	uint64_t want;
};

/* The text of line seq: what every reader must read back. */
static void
line_text(uint64_t seq, size_t len, char *out)
{
	for (size_t i = 0; i < len; i++)
		out[i] = (char)(' ' + (seq * 31 + i) % 95);
}

static void
add(struct logring *r, size_t len)
{
	char text[LOGRING_LINE_MAX];
	struct logring_cursor t;
	struct logring_line l;
	uint64_t seq = r->next, lost;

	line_text(seq, len, text);
	lens[seq] = (uint16_t)len;
	logring_add(r, seq, LOGRING_APP, text, len);
	if (r->next != seq + 1 || r->first >= r->next || r->head >= r->cap ||
	    r->tail > r->cap)
		__builtin_trap();
	/* The newest line reads back as written. */
	logring_tail(r, 1, &t);
	if (logring_next(r, &t, &l, &lost) != 1 || l.seq != seq ||
	    l.len != len || memcmp(l.text, text, len))
		__builtin_trap();
}

/*
 * One line for rd: 1 (checked: the next line or, after a loss, the
 * oldest kept; inside the ring; the text written for its sequence) or 0
 * (rd is at the end).
 */
static int
read_one(const struct logring *r, struct reader *rd)
{
	char text[LOGRING_LINE_MAX];
	struct logring_line l;
	uint64_t lost;

	if (logring_next(r, &rd->c, &l, &lost) != 1) {
		/* nothing new: the reader is at the end of the ring */
		if (rd->c.seq != r->next)
			__builtin_trap();
		rd->want = r->next;
		return 0;
	}
	if (l.seq != rd->want + lost || l.seq < r->first || l.seq >= r->next ||
	    l.us != l.seq || l.len != lens[l.seq] ||
	    l.text < (const char *)r->buf ||
	    l.text + l.len > (const char *)r->buf + r->cap)
		__builtin_trap();
	line_text(l.seq, l.len, text);
	if (memcmp(l.text, text, l.len))
		__builtin_trap();
	rd->want = l.seq + 1;
	return 1;
}

/* rd after a seek or a tail: it expects the line its cursor names. */
static void
placed(const struct logring *r, struct reader *rd)
{
	if (rd->c.seq > r->next)
		__builtin_trap();
	rd->want = rd->c.seq;
}

/*
 * The ring driven by the input: data[0] picks its size (1024..1144
 * bytes), then each byte is a step. Below 0xc0 the writer adds a line
 * of 0..480 bytes; the follower reads it at once (a reader that never
 * falls behind). From 0xc0 the sleeper wakes: it reads a few lines,
 * drains the ring, seeks to a sequence or to the n-th last line, and
 * sleeps again until its next step. A sleeper that drained the ring
 * sits at the end while the writer wraps and overtakes it.
 */
static void
drive(const uint8_t *data, size_t size)
{
	struct logring r;
	struct reader follow, sleeper;

	if (size == 0)
		return;
	logring_init(&r, store, CAP_MIN + 8 * (size_t)(data[0] & 15));
	logring_tail(&r, 0, &follow.c);
	logring_tail(&r, 0, &sleeper.c);
	follow.want = sleeper.want = r.first;
	for (size_t i = 1; i < size && i <= LINES_MAX; i++) {
		unsigned b = data[i], arg = b & 31;

		if (b < 0xc0) {
			add(&r, b * LOGRING_LINE_MAX / 0xbf);
			if (!read_one(&r, &follow) || follow.want != r.next)
				__builtin_trap();
		} else if (b < 0xe0) {
			for (unsigned n = 0; n <= arg; n++)
				read_one(&r, &sleeper);
		} else if (b < 0xf0) {
			while (read_one(&r, &sleeper))
				;
		} else if (b < 0xf8) {
			/* a reader back after a restart: its last sequence */
			logring_seek(&r,
				     r.next > (b & 7) ? r.next - (b & 7) : 0,
				     &sleeper.c);
			placed(&r, &sleeper);
		} else {
			logring_tail(&r, b & 7, &sleeper.c);
			placed(&r, &sleeper);
		}
	}
	while (read_one(&r, &sleeper))
		;
	/* Both have read up to the newest line (the follower every one). */
	if (sleeper.c.seq != r.next || follow.c.seq != r.next ||
	    follow.want != r.next)
		__builtin_trap();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kmsg_rec k;
	char text[LOGRING_LINE_MAX];
	size_t n;

	if (kmsg_parse((const char *)data, size, &k) == 0) {
		/* The text lies inside the record and has no newline. */
		if (k.text < (const char *)data ||
		    k.text + k.len > (const char *)data + size ||
		    memchr(k.text, '\n', k.len) || k.level > 7)
			__builtin_trap();
		n = k.len < sizeof(text) ? k.len : sizeof(text);
		memcpy(text, k.text, n);
		n = logring_clean(text, n);
		for (size_t i = 0; i < n; i++)
			if ((unsigned char)text[i] < 0x20 || text[i] == 0x7f)
				__builtin_trap();
	}
	drive(data, size);
	return 0;
}
