// SPDX-License-Identifier: MIT
/* A sealed private copy of a slot's data and tree, checked as it is made. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "lib/image/image.h"

#define COPY_CHECK "private copy"
#define SEALS_SIZE (F_SEAL_SHRINK | F_SEAL_GROW)
#define SEALS_ALL (SEALS_SIZE | F_SEAL_WRITE | F_SEAL_SEAL)

/* A memfd of len bytes that can neither grow nor shrink, or -1. */
static int
copy_open(uint64_t len, struct kerr *e)
{
	int mfd;

	if (len == 0 || len > (uint64_t)INT64_MAX)
		return kerr_set(e, COPY_CHECK, "no data to copy");
	mfd = memfd_create("keel-image", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (mfd < 0)
		return kerr_set(e, COPY_CHECK, "memfd_create: %s",
				kerr_strerror(errno));
	if (ftruncate(mfd, (off_t)len) < 0 ||
	    fcntl(mfd, F_ADD_SEALS, SEALS_SIZE) < 0) {
		kerr_set(e, COPY_CHECK, "size %llu: %s",
			 (unsigned long long)len, kerr_strerror(errno));
		close(mfd);
		return -1;
	}
	return mfd;
}

/* No write, by anyone, keel included, from now on. 0 or -1. */
static int
copy_seal(int mfd, struct kerr *e)
{
	int seals;

	if (fcntl(mfd, F_ADD_SEALS, F_SEAL_WRITE | F_SEAL_SEAL) < 0)
		return kerr_set(e, COPY_CHECK, "seal: %s",
				kerr_strerror(errno));
	seals = fcntl(mfd, F_GET_SEALS);
	if (seals < 0 || (seals & SEALS_ALL) != SEALS_ALL)
		return kerr_set(e, COPY_CHECK, "seals 0x%x, not 0x%x", seals,
				SEALS_ALL);
	return 0;
}

int
img_verify_copy(int fd, const struct img_meta *m, struct verity_work *w,
		struct kerr *e)
{
	struct verity_params p = {m->h.data_blocks, m->h.hash_offset, m->h.salt,
				  m->h.salt_len};
	uint64_t len = m->h.meta_offset; /* data, then tree: see FORMAT.md */
	int mfd = copy_open(len, e), ok;

	if (mfd < 0)
		return -1;
	/*
	 * One pass: each block is read from fd once, written to the copy
	 * from the buffer that is hashed or compared, on every thread
	 * (verity_check_copy). Only keel holds the memfd, and it is sealed
	 * before anyone is given it: the loop device serves the bytes the
	 * check saw, whatever fd answers later.
	 */
	ok = verity_check_copy(fd, mfd, &p, w, m->h.root, e);
	if (ok == 1 && copy_seal(mfd, e) == 0)
		return mfd;
	/* A write to the sized memfd fails only for want of memory. */
	if (ok != 1 && e && e->check && !strcmp(e->check, VERITY_COPY_CHECK))
		kerr_set(e, COPY_CHECK,
			 "%llu bytes do not fit in memory: a kernel with "
			 "dm-verity maps the image without a copy",
			 (unsigned long long)len);
	close(mfd);
	return -1;
}
