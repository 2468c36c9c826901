// SPDX-License-Identifier: MIT
/* SHA-256's compression function in portable C, for CPUs without SHA-2. */
#include "lib/crypto/sha256.h"

#define ROR(x, n) (((x) >> (n)) | ((x) << (32 - (n))))
#define S0(x) (ROR(x, 2) ^ ROR(x, 13) ^ ROR(x, 22))
#define S1(x) (ROR(x, 6) ^ ROR(x, 11) ^ ROR(x, 25))
#define s0(x) (ROR(x, 7) ^ ROR(x, 18) ^ ((x) >> 3))
#define s1(x) (ROR(x, 17) ^ ROR(x, 19) ^ ((x) >> 10))

/* The message schedule's word t, in a ring of the last 16. */
static inline uint32_t
word(uint32_t w[16], const uint8_t *p, int t)
{
	uint32_t x;

	if (t < 16) {
		p += 4 * t;
		x = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
		    (uint32_t)p[2] << 8 | p[3];
	} else {
		x = w[t & 15] + s0(w[(t - 15) & 15]) + w[(t - 7) & 15] +
		    s1(w[(t - 2) & 15]);
	}
	w[t & 15] = x;
	return x;
}

/* FIPS 180-4 §6.2.2, one round per step, the eight words in registers. */
void
sha256_c_blocks(uint32_t h[8], const uint8_t *data, size_t nblocks)
{
	uint32_t w[16];

	for (; nblocks; nblocks--, data += 64) {
		uint32_t a = h[0], b = h[1], c = h[2], d = h[3];
		uint32_t e = h[4], f = h[5], g = h[6], hh = h[7];

		for (int t = 0; t < 64; t++) {
			uint32_t t1 = hh + S1(e) + ((e & f) ^ (~e & g)) +
				      sha256_k[t] + word(w, data, t);
			uint32_t t2 = S0(a) + ((a & b) ^ (a & c) ^ (b & c));

			hh = g, g = f, f = e, e = d + t1;
			d = c, c = b, b = a, a = t1 + t2;
		}
		h[0] += a, h[1] += b, h[2] += c, h[3] += d;
		h[4] += e, h[5] += f, h[6] += g, h[7] += hh;
	}
}
