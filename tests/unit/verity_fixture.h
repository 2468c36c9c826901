/* SPDX-License-Identifier: MIT */
/* Shared by the verity unit tests: data, scratch and temporary files. */
#ifndef KEEL_VERITY_FIXTURE_H
#define KEEL_VERITY_FIXTURE_H

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "lib/image/verity.h"

#define BS VERITY_BLOCK

static struct verity_work work; /* too big for the stack */
static char tmpdir[] = "/tmp/keel-test-verity.XXXXXX";
static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static inline uint64_t
rng(void)
{
	/* xorshift64*: reproducible data, no libc state */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dull;
}

static inline void
fill_random(uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(rng() >> 56);
}

/* ---- files ---- */

static inline int
make_file(const char *name, const uint8_t *data, uint64_t n, char *path)
{
	int fd;

	snprintf(path, 256, "%s/%s", tmpdir, name);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || pwrite(fd, data, n * BS, 0) != (ssize_t)(n * BS)) {
		perror(path);
		exit(2);
	}
	return fd;
}

#endif
