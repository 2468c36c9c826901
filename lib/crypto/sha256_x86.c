// SPDX-License-Identifier: MIT
/* SHA-256 compression with the x86 SHA extensions (SHA-NI), 64-byte blocks. */
#include "lib/crypto/sha256.h"

#if defined(__x86_64__)
#include <immintrin.h>

/*
 * Built with -msha -msse4.1 -mssse3 (lib/crypto/Kbuild). Nothing else lives in
 * this file, so no code the compiler writes with those instructions can
 * run before sha256.c has checked CPUID. Callers MUST check first.
 */

/* Four rounds: w holds message words 4g..4g+3 (already scheduled). */
#define ROUNDS4(g, w)                                                          \
	do {                                                                   \
		__m128i t_ = _mm_add_epi32(                                    \
		    w, _mm_load_si128((const __m128i *)&sha256_k[4 * (g)]));   \
		cdgh = _mm_sha256rnds2_epu32(cdgh, abef, t_);                  \
		t_ = _mm_shuffle_epi32(t_, 0x0e);                              \
		abef = _mm_sha256rnds2_epu32(abef, cdgh, t_);                  \
	} while (0)

/*
 * Next four schedule words into a, from the last sixteen (a oldest, d
 * newest): W[t] = s1(W[t-2]) + W[t-7] + s0(W[t-15]) + W[t-16].
 */
#define SCHED4(a, b, c, d)                                                     \
	(a = _mm_sha256msg2_epu32(_mm_add_epi32(_mm_sha256msg1_epu32(a, b),    \
						_mm_alignr_epi8(d, c, 4)),     \
				  d))

#define STEP(g, a, b, c, d)                                                    \
	do {                                                                   \
		SCHED4(a, b, c, d);                                            \
		ROUNDS4(g, a);                                                 \
	} while (0)

/* h[] (A..H) to the instructions' (A,B,E,F) and (C,D,G,H) and back. */
static inline void
state_in(const uint32_t h[8], __m128i *abef, __m128i *cdgh)
{
	__m128i t =
	    _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)&h[0]), 0xb1);

	*cdgh =
	    _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)&h[4]), 0x1b);
	*abef = _mm_alignr_epi8(t, *cdgh, 8);
	*cdgh = _mm_blend_epi16(*cdgh, t, 0xf0);
}

static inline void
state_out(uint32_t h[8], __m128i abef, __m128i cdgh)
{
	__m128i t = _mm_shuffle_epi32(abef, 0x1b);

	cdgh = _mm_shuffle_epi32(cdgh, 0xb1);
	_mm_storeu_si128((__m128i *)&h[0], _mm_blend_epi16(t, cdgh, 0xf0));
	_mm_storeu_si128((__m128i *)&h[4], _mm_alignr_epi8(cdgh, t, 8));
}

/* ROUNDS4 and STEP on two independent states: x and y suffixes. */
#define ROUNDS4X(g, wx, wy)                                                    \
	do {                                                                   \
		const __m128i k_ =                                             \
		    _mm_load_si128((const __m128i *)&sha256_k[4 * (g)]);       \
		__m128i tx_ = _mm_add_epi32(wx, k_);                           \
		__m128i ty_ = _mm_add_epi32(wy, k_);                           \
		cdghx = _mm_sha256rnds2_epu32(cdghx, abefx, tx_);              \
		cdghy = _mm_sha256rnds2_epu32(cdghy, abefy, ty_);              \
		tx_ = _mm_shuffle_epi32(tx_, 0x0e);                            \
		ty_ = _mm_shuffle_epi32(ty_, 0x0e);                            \
		abefx = _mm_sha256rnds2_epu32(abefx, cdghx, tx_);              \
		abefy = _mm_sha256rnds2_epu32(abefy, cdghy, ty_);              \
	} while (0)

#define STEPX(g, a, b, c, d)                                                   \
	do {                                                                   \
		SCHED4(a##x, b##x, c##x, d##x);                                \
		SCHED4(a##y, b##y, c##y, d##y);                                \
		ROUNDS4X(g, a##x, a##y);                                       \
	} while (0)

void
sha256_x86_blocks2(uint32_t hx[8], uint32_t hy[8], const uint8_t *dx,
		   const uint8_t *dy, size_t nblocks)
{
	const __m128i bswap =
	    _mm_set_epi64x(0x0c0d0e0f08090a0bULL, 0x0405060700010203ULL);
	__m128i abefx, cdghx, abefy, cdghy;
	__m128i m0x, m1x, m2x, m3x, m0y, m1y, m2y, m3y;

	state_in(hx, &abefx, &cdghx);
	state_in(hy, &abefy, &cdghy);
	for (; nblocks > 0; nblocks--, dx += 64, dy += 64) {
		__m128i abefx0 = abefx, cdghx0 = cdghx;
		__m128i abefy0 = abefy, cdghy0 = cdghy;
		const __m128i *px = (const __m128i *)dx;
		const __m128i *py = (const __m128i *)dy;

		m0x = _mm_shuffle_epi8(_mm_loadu_si128(px + 0), bswap);
		m0y = _mm_shuffle_epi8(_mm_loadu_si128(py + 0), bswap);
		m1x = _mm_shuffle_epi8(_mm_loadu_si128(px + 1), bswap);
		m1y = _mm_shuffle_epi8(_mm_loadu_si128(py + 1), bswap);
		m2x = _mm_shuffle_epi8(_mm_loadu_si128(px + 2), bswap);
		m2y = _mm_shuffle_epi8(_mm_loadu_si128(py + 2), bswap);
		m3x = _mm_shuffle_epi8(_mm_loadu_si128(px + 3), bswap);
		m3y = _mm_shuffle_epi8(_mm_loadu_si128(py + 3), bswap);
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
		abefx = _mm_add_epi32(abefx, abefx0);
		cdghx = _mm_add_epi32(cdghx, cdghx0);
		abefy = _mm_add_epi32(abefy, abefy0);
		cdghy = _mm_add_epi32(cdghy, cdghy0);
	}
	state_out(hx, abefx, cdghx);
	state_out(hy, abefy, cdghy);
}

void
sha256_x86_blocks(uint32_t h[8], const uint8_t *data, size_t nblocks)
{
	const __m128i bswap =
	    _mm_set_epi64x(0x0c0d0e0f08090a0bULL, 0x0405060700010203ULL);
	__m128i abef, cdgh, t, m0, m1, m2, m3;

	/* h[] is A..H; the instructions want (A,B,E,F) and (C,D,G,H). */
	t = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)&h[0]), 0xb1);
	cdgh = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)&h[4]), 0x1b);
	abef = _mm_alignr_epi8(t, cdgh, 8);
	cdgh = _mm_blend_epi16(cdgh, t, 0xf0);

	for (; nblocks > 0; nblocks--, data += 64) {
		__m128i abef0 = abef, cdgh0 = cdgh;
		const __m128i *p = (const __m128i *)data;

		m0 = _mm_shuffle_epi8(_mm_loadu_si128(p + 0), bswap);
		m1 = _mm_shuffle_epi8(_mm_loadu_si128(p + 1), bswap);
		m2 = _mm_shuffle_epi8(_mm_loadu_si128(p + 2), bswap);
		m3 = _mm_shuffle_epi8(_mm_loadu_si128(p + 3), bswap);
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
		abef = _mm_add_epi32(abef, abef0);
		cdgh = _mm_add_epi32(cdgh, cdgh0);
	}

	/* Back to A..H order. */
	t = _mm_shuffle_epi32(abef, 0x1b);
	cdgh = _mm_shuffle_epi32(cdgh, 0xb1);
	_mm_storeu_si128((__m128i *)&h[0], _mm_blend_epi16(t, cdgh, 0xf0));
	_mm_storeu_si128((__m128i *)&h[4], _mm_alignr_epi8(cdgh, t, 8));
}

#endif
