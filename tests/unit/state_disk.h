// SPDX-License-Identifier: MIT
/* A simulated keel-state partition with power cuts, for the state tests. */
#ifndef KEEL_TESTS_UNIT_STATE_DISK_H
#define KEEL_TESTS_UNIT_STATE_DISK_H

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/types.h>

#include "lib/update/state.h"

/*
 * A simulated keel-state partition. A write budget models a power cut:
 * the write that exhausts it lands only partly (the first bytes, the last
 * bytes, or a random subset, as a torn write might) and every later call
 * fails, as if the machine had stopped there.
 */
enum cut_order { CUT_PREFIX, CUT_SUFFIX, CUT_RANDOM };

struct disk {
	uint8_t b[STATE_MIN_SIZE];
	long budget;   /* bytes that still reach the disk; < 0: no limit */
	int order;     /* enum cut_order */
	int dead;      /* power is off */
	int chunk;     /* > 0: pwrite writes at most this many bytes */
	int fail_read; /* bit i: pread of copy i fails */
	int fail_sync;
	unsigned nwrite; /* pwrite calls */
	unsigned nsync;
	unsigned rnd;
};

static unsigned
rnd(unsigned *s)
{
	*s = *s * 1103515245u + 12345u;
	return *s >> 16;
}

static ssize_t
d_pread(void *ctx, void *buf, size_t n, uint64_t off)
{
	struct disk *d = ctx;

	if (d->fail_read & (1 << (off / STATE_COPY_STRIDE))) {
		errno = EIO;
		return -1;
	}
	if (off >= sizeof(d->b))
		return 0;
	if (n > sizeof(d->b) - off)
		n = sizeof(d->b) - off;
	memcpy(buf, d->b + off, n);
	return (ssize_t)n;
}

static ssize_t
d_pwrite(void *ctx, const void *buf, size_t n, uint64_t off)
{
	struct disk *d = ctx;
	const uint8_t *p = buf;

	d->nwrite++;
	if (d->dead) {
		errno = EIO;
		return -1;
	}
	if (d->chunk > 0 && n > (size_t)d->chunk)
		n = (size_t)d->chunk;
	if (off + n > sizeof(d->b)) {
		errno = ENOSPC;
		return -1;
	}
	if (d->budget < 0 || (size_t)d->budget >= n) {
		memcpy(d->b + off, p, n);
		if (d->budget >= 0)
			d->budget -= (long)n;
		return (ssize_t)n;
	}
	/* The cut: only budget bytes of this write reach the medium. */
	size_t k = (size_t)d->budget;
	if (d->order == CUT_PREFIX) {
		memcpy(d->b + off, p, k);
	} else if (d->order == CUT_SUFFIX) {
		memcpy(d->b + off + n - k, p + n - k, k);
	} else {
		for (size_t i = 0; i < k; i++) {
			size_t j = rnd(&d->rnd) % n;
			d->b[off + j] = p[j];
		}
	}
	d->budget = 0;
	d->dead = 1;
	errno = EIO;
	return -1;
}

static int
d_sync(void *ctx)
{
	struct disk *d = ctx;

	d->nsync++;
	if (d->dead || d->fail_sync) {
		errno = EIO;
		return -1;
	}
	return 0;
}

static void
disk_io(struct disk *d, struct state_io *io)
{
	io->pread = d_pread;
	io->pwrite = d_pwrite;
	io->sync = d_sync;
	io->ctx = d;
}

#endif
