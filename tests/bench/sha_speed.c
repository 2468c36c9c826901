// SPDX-License-Identifier: MIT
/* SHA-256 throughput of libkeel's sha256() over 4096-byte messages. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/crypto/sha256.h"

/*
 * Usage: sha_speed [SECONDS]
 * Prints "sha256 hw|portable MB/s" lines: one-shot hashes of 4096-byte
 * buffers (init, update, final each time), as `openssl speed -evp sha256
 * -bytes 4096` measures them, so the two figures compare directly.
 */

#define MSG 4096

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static double
speed(double seconds)
{
	static unsigned char buf[MSG];
	unsigned char out[SHA256_LEN];
	unsigned long long n = 0;
	double t0 = now(), t;

	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (unsigned char)(i * 131 + 7);
	do {
		for (int i = 0; i < 256; i++, n++) {
			sha256(buf, sizeof(buf), out);
			buf[0] ^= out[0]; /* keep each hash live */
		}
		t = now() - t0;
	} while (t < seconds);
	return n * (double)MSG / t / 1e6;
}

int
main(int argc, char **argv)
{
	double seconds = argc > 1 ? atof(argv[1]) : 2.0;

	if (sha256_hw())
		printf("sha256 hw %.0f MB/s\n", speed(seconds));
	else
		printf("sha256 hw none (no SHA-NI on this CPU)\n");
	sha256_allow_hw(0);
	printf("sha256 portable %.0f MB/s\n", speed(seconds));
	sha256_allow_hw(1);
	return 0;
}
