/* SPDX-License-Identifier: MIT */
/* The range protocol between keel installer and the client that feeds it. */
#ifndef KEEL_WANT_H
#define KEEL_WANT_H

#include <stddef.h>
#include <stdint.h>

#include "lib/base/err.h"
#include "lib/update/bundle.h"

/*
 * A delta install on a device (docs/UPDATE.md §4.1). The client (the
 * update agent, or keel update URL) can fetch byte ranges of the bundle;
 * keel installer can read the running slot but not the network. The
 * client starts its stream with the 8 bytes WANT_HELLO instead of the
 * bundle; from then on the installer names, on the client's connection,
 * each range of the bundle it reads next, as a line
 *
 *     want=OFF+LEN       LEN bytes from byte OFF (LEN 1 .. 2^52)
 *     want=OFF-          from byte OFF to the bundle's end
 *
 * and the client sends exactly those bytes, in the order asked, one
 * range after the other, nothing between them. Ranges ascend and never
 * overlap; a range to the end is the last one, and the client closes its
 * sending side after it. At most WANT_AHEAD ranges are named and not yet
 * read completely: the installer names more as it reads. A stream that
 * does not start with WANT_HELLO is a whole bundle, read as before.
 * Neither side trusts the other: the installer checks every block it
 * reads or copies against the signed tree, the client every line.
 */
#define WANT_HELLO "KEELWNT1"
#define WANT_HELLO_LEN 8
#define WANT_AHEAD 64 /* ranges named, not yet read */
#define WANT_LEN_MAX ((uint64_t)1 << 52)
#define WANT_TO_END UINT64_MAX /* a range's length: to the bundle's end */
#define WANT_LINE_MAX 48       /* "want=" OFF "+" LEN "\n" */

/* The line naming [off, off + len) (len WANT_TO_END: to the end) into
 * buf (WANT_LINE_MAX bytes). Its length. */
size_t want_line(char *buf, uint64_t off, uint64_t len);

/* --- the installer's side: a bundle source over the client ------------ */

struct want_src {
	int data;    /* the client's stream (keel installer's fd 5) */
	int lines;   /* the client's connection (fd 4): want= lines */
	int idle_ms; /* the longest wait for the client (0: no limit) */
	int ranged;  /* the client sent WANT_HELLO */
	/* a stream: the bytes read while looking for the hello */
	uint8_t pre[WANT_HELLO_LEN];
	size_t pre_len, pre_pos;
	/* ranged: what the source must serve, and what was named */
	struct bundle_ranges *r;
	int more; /* r may give more */
	uint64_t off[WANT_AHEAD], len[WANT_AHEAD];
	unsigned head, n;
	uint64_t left; /* bytes of the head range not read (or WANT_TO_END) */
	uint64_t named, ranges; /* bytes and ranges named, for reports */
};

/*
 * Reads the first bytes of the client's stream (blocking) and sets src
 * up: a source of ranges over the protocol, copying from `from`, when
 * they are WANT_HELLO; else a stream of the whole bundle (from unused).
 * 0, or -1 with e when the stream cannot be read. Every wait for the
 * client, here and in the source's reads, lasts at most idle_ms (0: no
 * limit): a client that sends no byte (or takes no want= line) for that
 * long fails the read, -1 with e "client: no byte for N s: abandoned".
 */
int want_src_open(struct want_src *s, int data, int lines, int from,
		  int idle_ms, struct bundle_src *src, struct kerr *e);

/* --- the client's side: the ranges asked, checked --------------------- */

struct want_q {
	uint64_t size; /* the bundle's size, or WANT_TO_END when unknown */
	uint64_t off[WANT_AHEAD], len[WANT_AHEAD];
	unsigned head, n;
	uint64_t end;	/* the next range must not start before this */
	uint64_t asked; /* bytes asked in all (a range to the end: to size) */
	uint64_t ranges;
	int to_end; /* a range to the end was asked: no other may follow */
};

void want_q_init(struct want_q *q, uint64_t size);

/*
 * Takes the value of one want= line (text, len bytes, no newline): the
 * range must parse strictly, ascend, lie within the bundle, and fit the
 * queue. 0, or -1 with e: the installer broke the protocol.
 */
int want_q_add(struct want_q *q, const char *v, size_t len, struct kerr *e);

/* Takes the oldest range (1), or says there is none queued (0): as an
 * http_dl range source (ctx: the queue). */
int want_q_next(void *ctx, uint64_t *off, uint64_t *len, struct kerr *e);
/* The oldest range, left queued (1), or none (0). */
int want_q_peek(const struct want_q *q, uint64_t *off, uint64_t *len);
/* The oldest range without its first n bytes (sent from elsewhere): it
 * leaves the queue when nothing of it is left. */
void want_q_skip(struct want_q *q, uint64_t n);

#endif
