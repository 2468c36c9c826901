// SPDX-License-Identifier: MIT
/* The time of one P-256 signature check by libkeel's ec_verify(). */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/crypto/ec.h"

/*
 * Usage: ec_speed [SECONDS]
 * Prints "p256 verify US us" (the mean over SECONDS of checks of one
 * valid signature, as keel checks an image's) and "verify/s N", the
 * unit `openssl speed ecdsap256` prints. Which P-256 code runs is the
 * link's: keel's (-O3, libbearssl-p256fast.a first) or keel-init's (-Os).
 * Exit 1 if a check says no, or a key or signature cannot be made.
 */

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int
main(int argc, char **argv)
{
	double seconds = argc > 1 ? atof(argv[1]) : 1.0, t0, t;
	uint8_t priv[EC_PRIV_LEN], pub[EC_PUB_LEN], sig[EC_SIG_LEN], hash[32];
	unsigned long n = 0;
	struct kerr e = {0};

	memset(hash, 0x5a, sizeof(hash));
	if (ec_keygen(priv, pub, &e) < 0 || ec_sign(priv, hash, sig) < 0) {
		fputs("ec_speed: no key or signature\n", stderr);
		return 1;
	}
	t0 = now();
	do {
		for (int i = 0; i < 16; i++, n++)
			if (ec_verify(pub, hash, sig) != 1) {
				fputs("ec_speed: a valid signature refused\n",
				      stderr);
				return 1;
			}
		t = now() - t0;
	} while (t < seconds);
	printf("p256 verify %.1f us\nverify/s %.0f\n", t / n * 1e6, n / t);
	return 0;
}
