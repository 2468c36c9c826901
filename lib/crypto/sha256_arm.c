// SPDX-License-Identifier: MIT
/* SHA-256 compression with the ARMv8 SHA-2 instructions, 64-byte blocks. */
#include "lib/crypto/sha256.h"

#if defined(__aarch64__)
#include <arm_neon.h>

/*
 * Built with -march=armv8-a+crypto (lib/crypto/Kbuild). Nothing else
 * lives in this file, so no code the compiler writes with those
 * instructions can run before sha256.c has read HWCAP_SHA2. Callers MUST
 * check first.
 *
 * The state stays in two vectors, (A,B,C,D) and (E,F,G,H), lane 0 first:
 * SHA256H gives the next (A,B,C,D) after four rounds, SHA256H2 the next
 * (E,F,G,H) from the (A,B,C,D) before them. SHA256SU0 and SHA256SU1 make
 * the next four schedule words from the last sixteen.
 */

/* Four message words, big endian in memory, as lanes. */
static inline uint32x4_t
load_be(const uint8_t *p)
{
	return vreinterpretq_u32_u8(vrev32q_u8(vld1q_u8(p)));
}

/* Four rounds: w holds message words 4g..4g+3 (already scheduled). */
#define ROUNDS4(g, w)                                                          \
	do {                                                                   \
		const uint32x4_t wk_ =                                         \
		    vaddq_u32(w, vld1q_u32(&sha256_k[4 * (g)]));               \
		const uint32x4_t abcd_ = abcd;                                 \
		abcd = vsha256hq_u32(abcd, efgh, wk_);                         \
		efgh = vsha256h2q_u32(efgh, abcd_, wk_);                       \
	} while (0)

/*
 * Next four schedule words into a, from the last sixteen (a oldest, d
 * newest): W[t] = s1(W[t-2]) + W[t-7] + s0(W[t-15]) + W[t-16].
 */
#define SCHED4(a, b, c, d) (a = vsha256su1q_u32(vsha256su0q_u32(a, b), c, d))

#define STEP(g, a, b, c, d)                                                    \
	do {                                                                   \
		SCHED4(a, b, c, d);                                            \
		ROUNDS4(g, a);                                                 \
	} while (0)

void
sha256_arm_blocks(uint32_t h[8], const uint8_t *data, size_t nblocks)
{
	uint32x4_t abcd = vld1q_u32(&h[0]), efgh = vld1q_u32(&h[4]);
	uint32x4_t m0, m1, m2, m3;

	for (; nblocks > 0; nblocks--, data += 64) {
		const uint32x4_t abcd0 = abcd, efgh0 = efgh;

		m0 = load_be(data);
		m1 = load_be(data + 16);
		m2 = load_be(data + 32);
		m3 = load_be(data + 48);
		ROUNDS4(0, m0);
		ROUNDS4(1, m1);
		ROUNDS4(2, m2);
		ROUNDS4(3, m3);
		STEP(4, m0, m1, m2, m3);
		STEP(5, m1, m2, m3, m0);
		STEP(6, m2, m3, m0, m1);
		STEP(7, m3, m0, m1, m2);
		STEP(8, m0, m1, m2, m3);
		STEP(9, m1, m2, m3, m0);
		STEP(10, m2, m3, m0, m1);
		STEP(11, m3, m0, m1, m2);
		STEP(12, m0, m1, m2, m3);
		STEP(13, m1, m2, m3, m0);
		STEP(14, m2, m3, m0, m1);
		STEP(15, m3, m0, m1, m2);
		abcd = vaddq_u32(abcd, abcd0);
		efgh = vaddq_u32(efgh, efgh0);
	}
	vst1q_u32(&h[0], abcd);
	vst1q_u32(&h[4], efgh);
}

/* ROUNDS4 and STEP on two independent states: x and y suffixes. */
#define ROUNDS4X(g, wx, wy)                                                    \
	do {                                                                   \
		const uint32x4_t k_ = vld1q_u32(&sha256_k[4 * (g)]);           \
		const uint32x4_t wkx_ = vaddq_u32(wx, k_);                     \
		const uint32x4_t wky_ = vaddq_u32(wy, k_);                     \
		const uint32x4_t abcdx_ = abcdx, abcdy_ = abcdy;               \
		abcdx = vsha256hq_u32(abcdx, efghx, wkx_);                     \
		abcdy = vsha256hq_u32(abcdy, efghy, wky_);                     \
		efghx = vsha256h2q_u32(efghx, abcdx_, wkx_);                   \
		efghy = vsha256h2q_u32(efghy, abcdy_, wky_);                   \
	} while (0)

#define STEPX(g, a, b, c, d)                                                   \
	do {                                                                   \
		SCHED4(a##x, b##x, c##x, d##x);                                \
		SCHED4(a##y, b##y, c##y, d##y);                                \
		ROUNDS4X(g, a##x, a##y);                                       \
	} while (0)

void
sha256_arm_blocks2(uint32_t hx[8], uint32_t hy[8], const uint8_t *dx,
		   const uint8_t *dy, size_t nblocks)
{
	uint32x4_t abcdx = vld1q_u32(&hx[0]), efghx = vld1q_u32(&hx[4]);
	uint32x4_t abcdy = vld1q_u32(&hy[0]), efghy = vld1q_u32(&hy[4]);
	uint32x4_t m0x, m1x, m2x, m3x, m0y, m1y, m2y, m3y;

	for (; nblocks > 0; nblocks--, dx += 64, dy += 64) {
		const uint32x4_t abcdx0 = abcdx, efghx0 = efghx;
		const uint32x4_t abcdy0 = abcdy, efghy0 = efghy;

		m0x = load_be(dx);
		m0y = load_be(dy);
		m1x = load_be(dx + 16);
		m1y = load_be(dy + 16);
		m2x = load_be(dx + 32);
		m2y = load_be(dy + 32);
		m3x = load_be(dx + 48);
		m3y = load_be(dy + 48);
		ROUNDS4X(0, m0x, m0y);
		ROUNDS4X(1, m1x, m1y);
		ROUNDS4X(2, m2x, m2y);
		ROUNDS4X(3, m3x, m3y);
		STEPX(4, m0, m1, m2, m3);
		STEPX(5, m1, m2, m3, m0);
		STEPX(6, m2, m3, m0, m1);
		STEPX(7, m3, m0, m1, m2);
		STEPX(8, m0, m1, m2, m3);
		STEPX(9, m1, m2, m3, m0);
		STEPX(10, m2, m3, m0, m1);
		STEPX(11, m3, m0, m1, m2);
		STEPX(12, m0, m1, m2, m3);
		STEPX(13, m1, m2, m3, m0);
		STEPX(14, m2, m3, m0, m1);
		STEPX(15, m3, m0, m1, m2);
		abcdx = vaddq_u32(abcdx, abcdx0);
		efghx = vaddq_u32(efghx, efghx0);
		abcdy = vaddq_u32(abcdy, abcdy0);
		efghy = vaddq_u32(efghy, efghy0);
	}
	vst1q_u32(&hx[0], abcdx);
	vst1q_u32(&hx[4], efghx);
	vst1q_u32(&hy[0], abcdy);
	vst1q_u32(&hy[4], efghy);
}

#endif
