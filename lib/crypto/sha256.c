// SPDX-License-Identifier: MIT
/*
 * SHA-256 front end: the CPU's SHA-256 instructions if it has them
 * (SHA-NI in sha256_x86.c, ARMv8 SHA-2 in sha256_arm.c), else BearSSL.
 */
#include <string.h>

#if defined(__x86_64__)
#include <cpuid.h>
#elif defined(__aarch64__)
#include <sys/auxv.h>
#endif

#include "lib/crypto/sha256.h"

static const uint32_t sha256_iv[8] = {
    0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
    0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
};

static int allow_hw = 1;

#if defined(__x86_64__)
#define hw_blocks sha256_x86_blocks
#define hw_blocks2 sha256_x86_blocks2

/* SHA (leaf 7 EBX bit 29), SSE4.1 and SSSE3 (leaf 1 ECX bits 19, 9). */
static int
cpu_has_sha(void)
{
	static int cached = -1;
	unsigned a, b, c, d;

	if (cached >= 0)
		return cached;
	cached = 0;
	if (__get_cpuid_max(0, NULL) < 7)
		return 0;
	__cpuid(1, a, b, c, d);
	if (!(c & (1u << 19)) || !(c & (1u << 9)))
		return 0;
	__cpuid_count(7, 0, a, b, c, d);
	cached = (b >> 29) & 1;
	return cached;
}
#elif defined(__aarch64__)
#define hw_blocks sha256_arm_blocks
#define hw_blocks2 sha256_arm_blocks2
#define KEEL_HWCAP_SHA2 (1UL << 6) /* arch/arm64 uapi asm/hwcap.h */

/* The kernel says which instructions EL0 may use: HWCAP_SHA2. */
static int
cpu_has_sha(void)
{
	static int cached = -1;

	if (cached < 0)
		cached = (getauxval(AT_HWCAP) & KEEL_HWCAP_SHA2) != 0;
	return cached;
}
#else
#error "keel runs on x86_64 and aarch64"
#endif

static void
put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static void
ni_update(struct sha256 *c, const uint8_t *p, size_t len)
{
	size_t have = (size_t)(c->u.cpu.count & 63);

	if (len == 0)
		return;
	c->u.cpu.count += len;
	if (have) {
		size_t take = 64 - have < len ? 64 - have : len;
		memcpy(c->u.cpu.buf + have, p, take);
		p += take;
		len -= take;
		if (have + take < 64)
			return;
		hw_blocks(c->u.cpu.h, c->u.cpu.buf, 1);
	}
	if (len >= 64) {
		hw_blocks(c->u.cpu.h, p, len / 64);
		p += len & ~(size_t)63;
		len &= 63;
	}
	memcpy(c->u.cpu.buf, p, len);
}

static void
ni_final(struct sha256 *c, uint8_t out[SHA256_LEN])
{
	size_t have = (size_t)(c->u.cpu.count & 63);
	uint64_t bits = c->u.cpu.count << 3;
	uint8_t *b = c->u.cpu.buf;

	b[have++] = 0x80;
	if (have > 56) {
		memset(b + have, 0, 64 - have);
		hw_blocks(c->u.cpu.h, b, 1);
		have = 0;
	}
	memset(b + have, 0, 56 - have);
	put_be32(b + 56, (uint32_t)(bits >> 32));
	put_be32(b + 60, (uint32_t)bits);
	hw_blocks(c->u.cpu.h, b, 1);
	for (int i = 0; i < 8; i++)
		put_be32(out + 4 * i, c->u.cpu.h[i]);
}

/* The final blocks of one message: tail (have bytes), 0x80, 0s, length. */
static size_t
ni_pad(uint8_t b[128], size_t have, uint64_t count)
{
	size_t nb = have + 9 > 64 ? 2 : 1;
	uint64_t bits = count << 3;

	b[have] = 0x80;
	memset(b + have + 1, 0, nb * 64 - 8 - have - 1);
	put_be32(b + nb * 64 - 8, (uint32_t)(bits >> 32));
	put_be32(b + nb * 64 - 4, (uint32_t)bits);
	return nb;
}

static void
ni_final2(const struct sha256 *c, const uint8_t *a, const uint8_t *b,
	  size_t len, uint8_t oa[SHA256_LEN], uint8_t ob[SHA256_LEN])
{
	uint32_t ha[8], hb[8];
	uint8_t ba[128], bb[128];
	size_t have = (size_t)(c->u.cpu.count & 63), take, full, nb;

	memcpy(ha, c->u.cpu.h, sizeof(ha));
	memcpy(hb, c->u.cpu.h, sizeof(hb));
	memcpy(ba, c->u.cpu.buf, have);
	memcpy(bb, c->u.cpu.buf, have);
	/* Top up the buffered block; then whole blocks straight from a, b. */
	take = 64 - have < len ? 64 - have : len;
	memcpy(ba + have, a, take);
	memcpy(bb + have, b, take);
	if (have + take == 64) {
		hw_blocks2(ha, hb, ba, bb, 1);
		full = (len - take) / 64;
		hw_blocks2(ha, hb, a + take, b + take, full);
		take += full * 64;
		have = len - take;
		memcpy(ba, a + take, have);
		memcpy(bb, b + take, have);
	} else {
		have += take;
	}
	nb = ni_pad(ba, have, c->u.cpu.count + len);
	ni_pad(bb, have, c->u.cpu.count + len);
	hw_blocks2(ha, hb, ba, bb, nb);
	for (int i = 0; i < 8; i++) {
		put_be32(oa + 4 * i, ha[i]);
		put_be32(ob + 4 * i, hb[i]);
	}
}

int
sha256_hw(void)
{
	return allow_hw && cpu_has_sha();
}

void
sha256_allow_hw(int allow)
{
	allow_hw = allow;
}

void
sha256_init(struct sha256 *c)
{
	c->hw = sha256_hw();
	if (c->hw) {
		memcpy(c->u.cpu.h, sha256_iv, sizeof(sha256_iv));
		c->u.cpu.count = 0;
	} else {
		br_sha256_init(&c->u.br);
	}
}

void
sha256_update(struct sha256 *c, const void *data, size_t len)
{
	if (c->hw)
		ni_update(c, data, len);
	else
		br_sha256_update(&c->u.br, data, len);
}

void
sha256_final(struct sha256 *c, uint8_t out[SHA256_LEN])
{
	if (c->hw)
		ni_final(c, out);
	else
		br_sha256_out(&c->u.br, out);
}

void
sha256_final2(const struct sha256 *c, const void *a, const void *b, size_t len,
	      uint8_t oa[SHA256_LEN], uint8_t ob[SHA256_LEN])
{
	struct sha256 t;

	if (c->hw) {
		ni_final2(c, a, b, len, oa, ob);
		return;
	}
	t = *c;
	sha256_update(&t, a, len);
	sha256_final(&t, oa);
	t = *c;
	sha256_update(&t, b, len);
	sha256_final(&t, ob);
}

void
sha256(const void *data, size_t len, uint8_t out[SHA256_LEN])
{
	struct sha256 c;

	sha256_init(&c);
	sha256_update(&c, data, len);
	sha256_final(&c, out);
}
