// SPDX-License-Identifier: MIT
/* libFuzzer target: SNTP replies and the offset computed from them. */
#include <stdint.h>
#include <string.h>

#include "lib/net/sntp.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t p[SNTP_MAX + 16];
	struct sntp_reply r;
	struct kerr e;
	int64_t off, delay, t1 = 0, t4 = 0;
	size_t n = size < sizeof(p) ? size : sizeof(p);

	memcpy(p, data, n);
	if (n > 32)
		memcpy(p + 24, "\x01\x23\x45\x67\x89\xab\xcd\xef", 8);
	if (n >= 16) {
		memcpy(&t1, data + n - 16, 8);
		memcpy(&t4, data + n - 8, 8);
	}
	if (sntp_parse(p, n, 0x0123456789abcdefull, &r, &e) < 0)
		return 0;
	if (r.stratum == 0 ? r.kiss == SNTP_KISS_NONE
			   : r.stratum > 15 || r.leap == 3 || !r.xmt)
		__builtin_trap();
	if (sntp_offset(&r, t1, t4, 1700000000, &off, &delay) == 0 && delay < 0)
		__builtin_trap();
	return 0;
}
