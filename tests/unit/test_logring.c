// SPDX-License-Identifier: MIT
/* Unit tests of lib/log/logring.c against a naive model of the ring. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/log/logring.h"
#include "tests/unit/unit.h"

#define MODEL_MAX 100000
#define SEEDS 64 /* extra short runs on small rings */

/* The model: every line ever added, and the oldest one still kept. */
static struct {
	uint64_t us;
	unsigned src;
	size_t len;
	char text[LOGRING_LINE_MAX];
} model[MODEL_MAX];
static uint64_t madded;

static uint64_t rng = 88172645463325252ull;
static uint64_t
rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static void
add(struct logring *r, size_t len)
{
	char t[LOGRING_LINE_MAX + 64];
	size_t keep = len > LOGRING_LINE_MAX ? LOGRING_LINE_MAX : len;

	for (size_t i = 0; i < len; i++)
		t[i] = (char)('a' + (rnd() % 26));
	model[madded].us = madded * 7;
	model[madded].src = (unsigned)(madded % 3);
	model[madded].len = keep;
	memcpy(model[madded].text, t, keep);
	logring_add(r, model[madded].us, model[madded].src, t, len);
	madded++;
}

/* Every line the ring claims to hold matches the model, and the oldest
 * kept are the newest ones: nothing between first and next is missing. */
static int
consistent(const struct logring *r)
{
	struct logring_cursor c;
	struct logring_line l;
	uint64_t lost, seq;

	if (r->next != madded + 1 || r->first > r->next)
		return 0;
	logring_tail(r, 0, &c);
	seq = r->first;
	while (logring_next(r, &c, &l, &lost) == 1) {
		const __typeof__(model[0]) *m = &model[l.seq - 1];
		if (lost || l.seq != seq || l.len != m->len || l.us != m->us ||
		    l.src != m->src || memcmp(l.text, m->text, l.len))
			return 0;
		seq++;
	}
	return seq == r->next;
}

static void
test_random(size_t cap, int iters)
{
	static uint64_t store[1 << 14];
	struct logring r;
	struct logring_cursor follow, slow, nap;
	struct logring_line l;
	uint64_t lost, total_lost = 0, seen = 0;
	int ok = 1, follow_ok = 1, seek_ok = 1, nap_ok = 1;

	madded = 0;
	logring_init(&r, store, cap);
	logring_tail(&r, 0, &follow);
	logring_tail(&r, 0, &slow);
	logring_tail(&r, 0, &nap);
	for (int i = 0; i < iters && madded < MODEL_MAX; i++) {
		size_t len = rnd() % 4 == 0 ? rnd() % (LOGRING_LINE_MAX + 40)
					    : rnd() % 60;
		add(&r, len);
		if (rnd() % 8 == 0 && !consistent(&r))
			ok = 0;
		/* A follower that keeps up sees every line, in order. */
		while (logring_next(&r, &follow, &l, &lost) == 1) {
			if (lost || l.seq != seen + 1)
				follow_ok = 0;
			seen = l.seq;
		}
		/* A seek anywhere (a restarted reader's mark): the line
		 * asked for, or the oldest with the gap counted, or none. */
		if (i % 50 == 0) {
			struct logring_cursor k;
			uint64_t at = (uint64_t)i * 2654435761u % (r.next + 4);
			int got;
			logring_seek(&r, at, &k);
			got = logring_next(&r, &k, &l, &lost);
			if (at >= r.next   ? got != 0
			    : at < r.first ? got != 1 || l.seq != r.first ||
						 lost != r.first - at
					   : got != 1 || l.seq != at || lost)
				seek_ok = 0;
		}
		/* A reader that wakes now and then and reads all there is:
		 * asleep, it holds the end of the ring. */
		if (i % 7 == 0) {
			uint64_t want = nap.seq;
			while (logring_next(&r, &nap, &l, &lost) == 1) {
				if (l.seq != want + lost)
					nap_ok = 0;
				want = l.seq + 1;
			}
			if (want != r.next)
				nap_ok = 0;
		}
		/* A slow reader that reads once in a while: what it misses is
		 * counted exactly. */
		if (rnd() % 200 == 0) {
			uint64_t want = slow.seq;
			if (logring_next(&r, &slow, &l, &lost) == 1) {
				total_lost += lost;
				if (l.seq != want + lost)
					follow_ok = 0;
			}
		}
	}
	CHECK(ok, "cap %zu: ring matches the model", cap);
	CHECK(consistent(&r), "cap %zu: final state", cap);
	CHECK(seek_ok, "cap %zu: seeks land on the line asked for", cap);
	CHECK(follow_ok && seen == madded, "cap %zu: followers exact", cap);
	CHECK(nap_ok, "cap %zu: a reader that drains now and then is exact",
	      cap);
	CHECK(r.next - r.first > 0, "cap %zu: the newest line is kept", cap);
	CHECK(cap > 8192 || iters < 20000 || total_lost > 0,
	      "cap %zu: a slow reader is overtaken and told", cap);
}

static void
test_basics(void)
{
	static uint64_t store[256];
	struct logring r;
	struct logring_cursor c;
	struct logring_line l;
	char dirty[] = "a\tb\x1b[31mc\x7f\r";
	uint64_t lost;
	size_t n;

	logring_init(&r, store, sizeof(store));
	logring_tail(&r, 5, &c);
	CHECK(logring_next(&r, &c, &l, &lost) == 0, "empty ring: no line");
	logring_add(&r, 1, LOGRING_APP, "one", 3);
	logring_add(&r, 2, LOGRING_KEEL, "two", 3);
	logring_add(&r, 3, LOGRING_KERNEL, "three", 5);
	CHECK(logring_next(&r, &c, &l, &lost) == 1 && l.seq == 1 &&
		  l.len == 3 && !memcmp(l.text, "one", 3) &&
		  l.src == LOGRING_APP,
	      "a cursor made before the lines sees the first");
	logring_tail(&r, 1, &c);
	CHECK(logring_next(&r, &c, &l, &lost) == 1 && l.seq == 3 &&
		  !memcmp(l.text, "three", 5),
	      "tail 1 is the last line");
	CHECK(logring_next(&r, &c, &l, &lost) == 0, "then nothing");
	logring_tail(&r, 0, &c);
	CHECK(logring_next(&r, &c, &l, &lost) == 1 && l.seq == 1,
	      "tail 0 is the oldest line");
	logring_seek(&r, 2, &c);
	CHECK(logring_next(&r, &c, &l, &lost) == 1 && l.seq == 2 && !lost,
	      "seek 2 is the second line");
	logring_seek(&r, 99, &c);
	CHECK(logring_next(&r, &c, &l, &lost) == 0,
	      "seek past the newest: nothing yet");
	logring_add(&r, 4, LOGRING_APP, "four", 4);
	CHECK(logring_next(&r, &c, &l, &lost) == 1 && l.seq == 4 && !lost,
	      "then the next line added");
	n = logring_clean(dirty, sizeof(dirty) - 1);
	CHECK(n == sizeof(dirty) - 2 && !memcmp(dirty, "a b?[31mc?", n),
	      "clean: '%.*s'", (int)n, dirty);
	CHECK(!strcmp(logring_src_name(LOGRING_KERNEL), "kernel") &&
		  !strcmp(logring_src_name(LOGRING_NET), "net") &&
		  !strcmp(logring_src_name(99), "?"),
	      "source names");
	/* A line over the limit is cut, not dropped. */
	{
		static char big[LOGRING_LINE_MAX * 2];
		memset(big, 'x', sizeof(big));
		logring_add(&r, 4, LOGRING_APP, big, sizeof(big));
		logring_tail(&r, 1, &c);
		CHECK(logring_next(&r, &c, &l, &lost) == 1 &&
			  l.len == LOGRING_LINE_MAX,
		      "long line cut at %d", LOGRING_LINE_MAX);
	}
}

/*
 * A reader at the end holds the old tail; the next line wraps to 0 and
 * leaves a marker there; once the lines before it are gone, the line
 * after it covers the marker while the wrapped line is still kept. The
 * reader must get the wrapped line, not the other's text read as a
 * header.
 */
static void
test_marker_covered(void)
{
	static uint64_t store[128];
	static char a[LOGRING_LINE_MAX], b[LOGRING_LINE_MAX];
	static char c[LOGRING_LINE_MAX];
	struct logring r;
	struct logring_cursor k;
	struct logring_line l;
	uint64_t lost;

	memset(a, 'a', sizeof(a));
	memset(b, 'b', sizeof(b));
	memset(c, 'c', sizeof(c));
	logring_init(&r, store, sizeof(store));
	logring_add(&r, 1, LOGRING_APP, a, sizeof(a)); /* 1: [0, 504) */
	logring_add(&r, 2, LOGRING_APP, a, 40);	       /* 2: [504, 568) */
	logring_seek(&r, r.next, &k);		       /* 3 at 568 */
	logring_add(&r, 3, LOGRING_APP, b, sizeof(b)); /* marker; 3: 0 */
	logring_add(&r, 4, LOGRING_APP, c, sizeof(c)); /* 4: [504, 1008) */
	CHECK(r.first == 3 && r.head == 0 && r.tail == 1008,
	      "marker covered: ring as planned");
	CHECK(logring_next(&r, &k, &l, &lost) == 1 && l.seq == 3 && !lost &&
		  l.len == sizeof(b) && !memcmp(l.text, b, l.len),
	      "marker covered: a reader at the end gets the wrapped line");
	CHECK(logring_next(&r, &k, &l, &lost) == 1 && l.seq == 4 && !lost,
	      "marker covered: then the next");
}

/*
 * A cursor whose offset is not its line's (memory gone bad, a bug in a
 * reader): out of the ring, not aligned, inside a line's text, another
 * line's record, a wrap marker. The ring checks the offset against the
 * line's own header and finds the line again by its sequence: the reader
 * gets the line it asked for, nothing is read outside the buffer (ASan).
 */
static void
test_corrupt_cursor(void)
{
	static uint64_t store[128];
	struct logring r;
	struct logring_cursor good, k, other;
	struct logring_line l;
	uint64_t lost;
	int ok = 1;

	madded = 0;
	logring_init(&r, store, sizeof(store));
	for (size_t i = 0; i < 40; i++)
		add(&r, i * 37 % 200);
	CHECK(r.next - r.first > 4 && r.head > r.tail,
	      "corrupt cursor: the ring has wrapped");
	logring_seek(&r, r.first + 2, &good);
	logring_seek(&r, r.first + 3, &other);
	const size_t bad[] = {
	    r.cap + 8,
	    r.cap + 24,
	    (size_t)-1,
	    (size_t)-8,
	    (size_t)-24,
	    (size_t)1 << 63,
	    good.off + 3,
	    good.off + 24 + 8,
	    other.off,
	    r.head,
	    r.tail,
	    r.cap - 8,
	    r.cap - 16,
	    r.cap,
	    0,
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const __typeof__(model[0]) *m = &model[good.seq - 1];

		k = good;
		k.off = bad[i];
		if (logring_next(&r, &k, &l, &lost) != 1 || lost ||
		    l.seq != good.seq || l.len != m->len ||
		    memcmp(l.text, m->text, l.len)) {
			printf("  offset %zu: not line %llu\n", bad[i],
			       (unsigned long long)good.seq);
			ok = 0;
			continue;
		}
		/* and the cursor is whole again: the next line follows */
		if (logring_next(&r, &k, &l, &lost) != 1 ||
		    l.seq != good.seq + 1 || lost)
			ok = 0;
	}
	CHECK(ok, "corrupt cursor: every bad offset reads the line asked for");
	k = good;
	k.seq = r.next + 1000;
	k.off = (size_t)-1;
	CHECK(logring_next(&r, &k, &l, &lost) == 0,
	      "corrupt cursor: a sequence past the newest reads nothing");
}

int
main(void)
{
	test_basics();
	test_marker_covered();
	test_corrupt_cursor();
	test_random(1024, 20000);
	test_random(1032, 20000);
	test_random(4096, 20000);
	test_random(65536, 20000);
	test_random(sizeof(uint64_t) << 14, 20000);
	/* Small rings wrap often: more sequences, shorter. */
	for (uint64_t seed = 1; seed <= SEEDS; seed++) {
		int failed = unit_fail;

		rng = 0x9e3779b97f4a7c15ull * seed;
		test_random(seed % 2 ? 1024 : 1032, 4000);
		if (unit_fail != failed)
			printf("  (seed %llu)\n", (unsigned long long)seed);
	}
	return unit_done("logring");
}
