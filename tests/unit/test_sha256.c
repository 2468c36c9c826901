// SPDX-License-Identifier: MIT
/*
 * SHA-256: NIST known answers fed every way, the CPU's SHA instructions
 * (SHA-NI, ARMv8 SHA-2) against keel's C code and that against BearSSL,
 * speed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <bearssl_hash.h>

#include "lib/crypto/sha256.h"
#include "unit.h"

/* The path of the CPU's SHA-256 instructions. */
#if defined(__aarch64__)
#define HW "armv8-sha2"
#else
#define HW "sha-ni"
#endif

/* FIPS 180-2 / NIST CAVP example messages and their digests. */
static const struct {
	const char *msg;
	const char *hex;
} kat[] = {
    {"", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
    {"abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
    {"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
     "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"},
    {"abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmn"
     "hijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu",
     "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1"},
};
static const char million_a_hex[] =
    "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0";

static unsigned long long rng_state = 0x6b65656c2d736861ULL;

static unsigned
rnd(void)
{
	rng_state = rng_state * 6364136223846793005ULL + 1442695040888963407ULL;
	return (unsigned)(rng_state >> 33);
}

/* Digest of msg fed in pieces split at the given offsets (ascending). */
static void
digest_split(const uint8_t *msg, size_t len, const size_t *cuts, size_t ncuts,
	     uint8_t out[32])
{
	struct sha256 c;
	size_t at = 0;

	sha256_init(&c);
	for (size_t i = 0; i < ncuts; i++) {
		sha256_update(&c, msg + at, cuts[i] - at);
		at = cuts[i];
	}
	sha256_update(&c, msg + at, len - at);
	sha256_final(&c, out);
}

static void
test_kat(const char *path)
{
	uint8_t want[32], got[32];

	for (size_t k = 0; k < sizeof(kat) / sizeof(kat[0]); k++) {
		const uint8_t *m = (const uint8_t *)kat[k].msg;
		size_t len = strlen(kat[k].msg);
		struct sha256 c;
		int bad = 0;

		unit_hex(kat[k].hex, want, 32);
		sha256(m, len, got);
		CHECK(!memcmp(got, want, 32), "%s: whole \"%.10s\"", path,
		      kat[k].msg);

		sha256_init(&c);
		for (size_t i = 0; i < len; i++)
			sha256_update(&c, m + i, 1);
		sha256_final(&c, got);
		CHECK(!memcmp(got, want, 32), "%s: byte by byte \"%.10s\"",
		      path, kat[k].msg);

		for (size_t cut = 0; cut <= len; cut++) {
			digest_split(m, len, &cut, 1, got);
			bad += memcmp(got, want, 32) != 0;
		}
		for (size_t a = 0; a <= len; a++)
			for (size_t b = a; b <= len; b++) {
				size_t cuts[2] = {a, b};
				digest_split(m, len, cuts, 2, got);
				bad += memcmp(got, want, 32) != 0;
			}
		CHECK(bad == 0, "%s: %d bad splits of \"%.10s\"", path, bad,
		      kat[k].msg);
	}
}

static void
test_million(const char *path)
{
	static uint8_t a[1000000];
	uint8_t want[32], got[32];
	struct sha256 c;
	int bad = 0;

	unit_hex(million_a_hex, want, 32);
	memset(a, 'a', sizeof(a));
	sha256(a, sizeof(a), got);
	CHECK(!memcmp(got, want, 32), "%s: one million 'a' whole", path);

	sha256_init(&c);
	for (size_t i = 0; i < sizeof(a); i++)
		sha256_update(&c, a + i, 1);
	sha256_final(&c, got);
	CHECK(!memcmp(got, want, 32), "%s: one million 'a' byte by byte", path);

	/* Every split offset, walking the window through the input. */
	for (size_t cut = 0; cut <= 200; cut++) {
		size_t cuts[1] = {cut};
		digest_split(a, sizeof(a), cuts, 1, got);
		bad += memcmp(got, want, 32) != 0;
	}
	for (size_t cut = sizeof(a) - 200; cut <= sizeof(a); cut++) {
		size_t cuts[1] = {cut};
		digest_split(a, sizeof(a), cuts, 1, got);
		bad += memcmp(got, want, 32) != 0;
	}
	for (int i = 0; i < 100; i++) {
		size_t cuts[1] = {rnd() % (sizeof(a) + 1)};
		digest_split(a, sizeof(a), cuts, 1, got);
		bad += memcmp(got, want, 32) != 0;
	}
	CHECK(bad == 0, "%s: %d bad splits of one million 'a'", path, bad);
}

/* The instructions and BearSSL agree on random lengths, contents, splits. */
static void
test_cross(void)
{
	static uint8_t buf[9000];
	uint8_t hw[32], sw[32], ref[32];
	br_sha256_context br;
	int bad = 0, bad_ref = 0;

	for (int n = 0; n < 4000; n++) {
		size_t len = n < 300 ? (size_t)n : rnd() % sizeof(buf);
		size_t cuts[3];
		for (size_t i = 0; i < len; i++)
			buf[i] = (uint8_t)rnd();
		for (int i = 0; i < 3; i++)
			cuts[i] = len ? rnd() % (len + 1) : 0;
		/* ascending */
		for (int i = 0; i < 2; i++)
			for (int j = i + 1; j < 3; j++)
				if (cuts[j] < cuts[i]) {
					size_t t = cuts[i];
					cuts[i] = cuts[j];
					cuts[j] = t;
				}
		sha256_allow_hw(1);
		digest_split(buf, len, cuts, 3, hw);
		sha256_allow_hw(0);
		sha256(buf, len, sw);
		bad += memcmp(hw, sw, 32) != 0;
		/* and keel's C code against another implementation's */
		br_sha256_init(&br);
		br_sha256_update(&br, buf, len);
		br_sha256_out(&br, ref);
		bad_ref += memcmp(sw, ref, 32) != 0;
	}
	sha256_allow_hw(1);
	CHECK(bad == 0, "%d of 4000 random inputs differ between paths", bad);
	CHECK(bad_ref == 0, "%d of 4000 random inputs differ from BearSSL's",
	      bad_ref);
}

/*
 * sha256_final2 against two one-shot digests: every prefix length up to
 * 130 (empty, partial and whole buffered blocks) with message lengths
 * either side of the block and padding edges, and 4096-byte blocks.
 */
static void
test_final2(const char *path)
{
	static uint8_t pre[130], a[4200], b[4200], ja[4400];
	static const size_t lens[] = {0,  1,   55,  56,	 63,  64,
				      65, 119, 120, 200, 4096};
	uint8_t da[32], db[32], wa[32], wb[32];
	struct sha256 c;
	int bad = 0, n = 0;

	for (size_t i = 0; i < sizeof(a); i++) {
		a[i] = (uint8_t)rnd();
		b[i] = (uint8_t)rnd();
	}
	for (size_t i = 0; i < sizeof(pre); i++)
		pre[i] = (uint8_t)rnd();
	for (size_t p = 0; p <= sizeof(pre); p++) {
		for (size_t k = 0; k < sizeof(lens) / sizeof(lens[0]); k++) {
			size_t len = lens[k];

			sha256_init(&c);
			sha256_update(&c, pre, p);
			sha256_final2(&c, a, b, len, da, db);
			memcpy(ja, pre, p);
			memcpy(ja + p, a, len);
			sha256(ja, p + len, wa);
			memcpy(ja + p, b, len);
			sha256(ja, p + len, wb);
			bad += memcmp(da, wa, 32) || memcmp(db, wb, 32);
			n++;
		}
	}
	CHECK(bad == 0, "%s: final2: %d of %d prefix/length pairs differ", path,
	      bad, n);
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Informational: MB/s hashing 4 KiB blocks (never asserted). */
static double
speed(void)
{
	static uint8_t blk[4096];
	uint8_t out[32];
	double t0 = now(), t;
	size_t n = 0;

	memset(blk, 0x5a, sizeof(blk));
	do {
		for (int i = 0; i < 256; i++) {
			sha256(blk, sizeof(blk), out);
			blk[0] ^= out[0];
		}
		n += 256;
		t = now() - t0;
	} while (t < 0.3);
	return (double)n * sizeof(blk) / t / 1e6;
}

int
main(void)
{
	int hw = sha256_hw();

	printf("sha256: %s %s\n", HW, hw ? "in use" : "not available");
	sha256_allow_hw(0);
	CHECK(sha256_hw() == 0, "allow_hw(0) forces the portable path");
	test_kat("bearssl");
	test_million("bearssl");
	test_final2("bearssl");
	sha256_allow_hw(1);
	CHECK(sha256_hw() == hw, "allow_hw(1) restores detection");
	if (hw) {
		test_kat(HW);
		test_million(HW);
		test_cross();
		test_final2(HW);
	}

	sha256_allow_hw(0);
	printf("sha256: bearssl %.0f MB/s on 4 KiB blocks\n", speed());
	sha256_allow_hw(1);
	if (hw)
		printf("sha256: %s %.0f MB/s on 4 KiB blocks\n", HW, speed());
	return unit_done("sha256");
}
