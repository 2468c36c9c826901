/* SPDX-License-Identifier: MIT */
/* A fixed-size ring of log lines: keel-init's RAM log, no allocation. */
#ifndef KEEL_LOGRING_H
#define KEEL_LOGRING_H

#include <stddef.h>
#include <stdint.h>

/*
 * Lines are stored whole in a caller-owned byte buffer, oldest first; a
 * line that does not fit pushes out the oldest ones. Every line gets a
 * sequence number (1, 2, ...) that never repeats, so a reader keeps its
 * place with a cursor and learns how many lines it lost when the ring
 * overtook it. Lines are cleaned on the way in (logring_clean): what the
 * ring holds is printable and safe to send to a terminal.
 */
#define LOGRING_LINE_MAX 480 /* text bytes of one line; longer is split */

/* Where a line came from: keel-init, the app, the kernel, or one of the
 * agents keel-init supervises (docs/AGENTS.md), each with its own tag. */
enum logring_src {
	LOGRING_KEEL = 0,   /* keel-init itself */
	LOGRING_APP = 1,    /* the app's stdout and stderr */
	LOGRING_KERNEL = 2, /* the kernel's log (/dev/kmsg) */
	LOGRING_NET = 3,    /* keel net, the network agent */
	LOGRING_UPDATE = 4, /* the update agent */
	LOGRING_TRASH = 5,  /* keel trash, a factory reset's old trees */
	LOGRING_NSRC
};

struct logring {
	uint8_t *buf;
	size_t cap;	      /* bytes of buf, a multiple of 8 */
	size_t head, tail;    /* oldest record; where the next one goes */
	uint64_t first, next; /* sequence of the oldest line; of the next */
};

struct logring_line {
	uint64_t seq;
	uint64_t us;  /* the writer's clock: µs since keel-init started */
	unsigned src; /* enum logring_src */
	size_t len;
	const char *text; /* len bytes inside the ring, no NUL */
};

/* A reader's place: the next line it wants. */
struct logring_cursor {
	uint64_t seq;
	size_t off; /* where that line is: a hint logring_next checks */
};

/* buf must be 8-byte aligned; cap at least 1 KiB. */
void logring_init(struct logring *r, void *buf, size_t cap);

/*
 * Appends one line (len bytes, cut at LOGRING_LINE_MAX; the caller has
 * split at newlines and cleaned it). Never fails: old lines make room.
 */
void logring_add(struct logring *r, uint64_t us, unsigned src, const char *text,
		 size_t len);

/*
 * Makes untrusted bytes safe to store and print, in place: control
 * bytes and DEL become '?', a tab a space, a trailing '\r' goes; bytes
 * >= 0x80 stay (UTF-8). Returns the new length.
 */
size_t logring_clean(char *text, size_t len);

/* A cursor at the n-th last line (n = 0: at the oldest line kept). */
void logring_tail(const struct logring *r, uint64_t n,
		  struct logring_cursor *c);

/*
 * A cursor at line seq: the oldest kept when seq is older (logring_next
 * then reports the lines lost), after the newest when seq is newer (a
 * reader that claims lines the ring never had waits for new ones).
 */
void logring_seek(const struct logring *r, uint64_t seq,
		  struct logring_cursor *c);

/*
 * The line at c: 1 (l filled, c advanced), 0 (no new line yet). When the
 * ring has overtaken c, c jumps to the oldest line and *lost (if not
 * NULL) gets how many lines were skipped; then the line is returned.
 * c's offset is followed only when the record there is line c->seq;
 * any other offset (corrupted) is found again from c->seq.
 */
int logring_next(const struct logring *r, struct logring_cursor *c,
		 struct logring_line *l, uint64_t *lost);

/* "kernel", "keel", "app"; "?" for others. */
const char *logring_src_name(unsigned src);

#endif
