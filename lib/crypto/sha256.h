/* SPDX-License-Identifier: MIT */
/* SHA-256: the CPU's SHA-256 instructions where it has them, else C. */
#ifndef KEEL_SHA256_H
#define KEEL_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define SHA256_LEN 32

/* Caller-allocated context; no allocation anywhere. */
struct sha256 {
	int hw; /* 1: SHA instructions, 0: the portable C code */
	uint32_t h[8];
	uint64_t count; /* bytes fed so far */
	uint8_t buf[64];
};

void sha256_init(struct sha256 *c);
void sha256_update(struct sha256 *c, const void *data, size_t len);
void sha256_final(struct sha256 *c, uint8_t out[SHA256_LEN]);
void sha256(const void *data, size_t len, uint8_t out[SHA256_LEN]);

/* 1 when the SHA instructions are in use (SHA-NI on x86_64, the SHA-2
 * extension of ARMv8 on aarch64, as the kernel's HWCAP_SHA2 says). */
int sha256_hw(void);
/* Tests and benchmarks: 0 forces the portable path, 1 restores detection. */
void sha256_allow_hw(int allow);

/*
 * The compression functions of the instructions: nblocks 64-byte blocks
 * into h[] (A..H), SHA-NI (lib/crypto/sha256_x86.c, x86_64 builds) or
 * ARMv8 SHA-2 (lib/crypto/sha256_arm.c, aarch64 builds). Only when
 * sha256_hw() says 1.
 */
/* The 64 round constants (lib/crypto/sha256_k.c), 16-byte aligned. */
/* Portable C (lib/crypto/sha256_c.c): the same, on every CPU. */
void sha256_c_blocks(uint32_t h[8], const uint8_t *data, size_t nblocks);
extern const uint32_t sha256_k[64];
void sha256_x86_blocks(uint32_t h[8], const uint8_t *data, size_t nblocks);
void sha256_arm_blocks(uint32_t h[8], const uint8_t *data, size_t nblocks);
/*
 * The same on two independent states at once (hx from dx, hy from dy,
 * nblocks each): the rounds of one fill the other's latency.
 */
void sha256_x86_blocks2(uint32_t hx[8], uint32_t hy[8], const uint8_t *dx,
			const uint8_t *dy, size_t nblocks);
void sha256_arm_blocks2(uint32_t hx[8], uint32_t hy[8], const uint8_t *dx,
			const uint8_t *dy, size_t nblocks);

/*
 * Digests of (c's input || a) and (c's input || b), a and b of len bytes
 * each, hashed side by side by the SHA instructions; c is left unchanged.
 */
void sha256_final2(const struct sha256 *c, const void *a, const void *b,
		   size_t len, uint8_t oa[SHA256_LEN], uint8_t ob[SHA256_LEN]);

#endif
