// SPDX-License-Identifier: MIT
/* libFuzzer target: /dev/kmsg records, and the log ring fed from them. */
#include <stdint.h>
#include <string.h>

#include "lib/log/kmsg.h"
#include "lib/log/logring.h"

static uint64_t store[512]; /* 4 KiB: the ring wraps often */

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct logring r;
	static struct logring_cursor c;
	static int started;
	struct kmsg_rec k;
	struct logring_line l;
	char text[LOGRING_LINE_MAX];
	uint64_t lost, before;
	size_t n;

	if (!started) {
		logring_init(&r, store, sizeof(store));
		logring_tail(&r, 0, &c);
		started = 1;
	}
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
		before = r.next;
		logring_add(&r, k.ts_us, k.facility % LOGRING_NSRC, text, n);
		if (r.next != before + 1 || r.first >= r.next)
			__builtin_trap();
		/* The newest line reads back as written. */
		struct logring_cursor t;
		logring_tail(&r, 1, &t);
		if (logring_next(&r, &t, &l, &lost) != 1 || l.len != n ||
		    memcmp(l.text, text, n) || l.us != k.ts_us)
			__builtin_trap();
	}
	/* A reader that reads one line per input: sequences only go up. */
	before = c.seq;
	if (logring_next(&r, &c, &l, &lost) == 1 &&
	    (l.seq != before + lost || l.seq < r.first || l.seq >= r.next))
		__builtin_trap();
	return 0;
}
