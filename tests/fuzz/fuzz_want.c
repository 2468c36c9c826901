// SPDX-License-Identifier: MIT
/* libFuzzer target: the want= lines a client takes from keel installer. */
#include <stdint.h>
#include <string.h>

#include "lib/update/want.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct want_q q;
	uint64_t bundle = WANT_TO_END, off, len, end = 0;
	const char *p = (const char *)data;

	/* The first byte picks the bundle's size: unknown, or a small one. */
	if (size && data[0] & 1)
		bundle = (uint64_t)data[0] * 4099;
	want_q_init(&q, bundle);
	while (size) {
		const char *nl = memchr(p, '\n', size);
		size_t n = nl ? (size_t)(nl - p) : size;

		if (want_q_add(&q, p, n, NULL) == 0) {
			/* What was taken obeys every rule the queue promises.
			 */
			if (q.n > WANT_AHEAD ||
			    (bundle != WANT_TO_END && q.asked > bundle))
				__builtin_trap();
		}
		if (q.n == WANT_AHEAD || (q.n && (data[0] & 2))) {
			if (want_q_next(&q, &off, &len, NULL) != 1 ||
			    off < end || !len ||
			    (len != WANT_TO_END && len > WANT_LEN_MAX) ||
			    (bundle != WANT_TO_END && len != WANT_TO_END &&
			     off + len > bundle))
				__builtin_trap();
			end = len == WANT_TO_END ? UINT64_MAX : off + len;
		}
		if (!nl)
			break;
		size -= n + 1;
		p = nl + 1;
	}
	return 0;
}
