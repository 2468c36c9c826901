/* SPDX-License-Identifier: MIT */
/* Strict parsing of small text fields of untrusted input. */
#ifndef KEEL_TEXT_H
#define KEEL_TEXT_H

#include <stddef.h>
#include <stdint.h>

/* Decimal: no sign, no spaces, no leading zero, no overflow. 0 or -1. */
static inline int
text_u64(const char *p, size_t n, uint64_t *v)
{
	uint64_t x = 0;

	if (!n || n > 20 || (n > 1 && p[0] == '0'))
		return -1;
	for (size_t i = 0; i < n; i++) {
		unsigned d = (unsigned char)p[i] - '0';
		if (d > 9 || x > (UINT64_MAX - d) / 10)
			return -1;
		x = x * 10 + d;
	}
	*v = x;
	return 0;
}

/* Lower-case hex of n bytes into out (2n + 1 bytes, NUL-terminated). */
static inline void
text_hex(const uint8_t *in, size_t n, char *out)
{
	static const char d[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = d[in[i] >> 4];
		out[2 * i + 1] = d[in[i] & 15];
	}
	out[2 * n] = 0;
}

#endif
