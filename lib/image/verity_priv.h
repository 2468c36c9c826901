/* SPDX-License-Identifier: MIT */
/* What lib/verity.c and lib/verity_mt.c share; not for other modules. */
#ifndef KEEL_VERITY_PRIV_H
#define KEEL_VERITY_PRIV_H

#include "lib/base/io.h"
#include "lib/crypto/sha256.h"
#include "lib/image/verity.h"

#define VERITY_CHECK_NAME "hash tree"

/* The whole of len bytes at off, or -1 with e naming the offset. */
static inline int
verity_read_full(int fd, uint8_t *buf, size_t len, uint64_t off, struct kerr *e)
{
	return io_pread_e(fd, buf, len, off, VERITY_CHECK_NAME,
			  "read at offset", e);
}

/* What a check reads: a file, or a mapping of one (read without a copy). */
struct verity_src {
	int fd;
	const uint8_t *mem; /* NULL: read fd */
	uint64_t len;	    /* bytes at mem */
	/*
	 * -1, or a file (verity_check_copy's copy) that gets every data
	 * byte read from fd (those below out_end), at the same offset,
	 * from the very buffer the check then hashes: what it holds is
	 * what was checked. The tree is read once and compared, not copied:
	 * nothing reads it from the copy.
	 */
	int out;
	uint64_t out_end;
};

/*
 * len bytes at off: a pointer into the mapping, or buf filled from the
 * file (and written to src->out). NULL, with e naming the offset, if
 * they are not all there.
 */
static inline const uint8_t *
verity_get(const struct verity_src *src, uint8_t *buf, size_t len, uint64_t off,
	   struct kerr *e)
{
	if (!src->mem) {
		if (verity_read_full(src->fd, buf, len, off, e) < 0)
			return NULL;
		if (src->out >= 0 && off < src->out_end &&
		    io_pwrite_e(src->out, buf, len, off, VERITY_COPY_CHECK,
				"at offset", e) < 0)
			return NULL;
		return buf;
	}
	if (off > src->len || len > src->len - off) {
		kerr_set(e, VERITY_CHECK_NAME,
			 "read at offset %llu: the image ends there",
			 (unsigned long long)off);
		return NULL;
	}
	return src->mem + off;
}

/* The last byte of [0, end) is there: read, never copied. 0 or -1. */
static inline int
verity_probe(const struct verity_src *src, uint8_t *buf, uint64_t end,
	     struct kerr *e)
{
	struct verity_src plain = *src;

	plain.out = -1;
	return verity_get(&plain, buf, 1, end - 1, e) ? 0 : -1;
}

/* A bounds-checked tree (see pass_setup in verity.c) to check. */
struct verity_job {
	struct verity_src src;
	struct verity_geo g;
	uint64_t hash_offset;
	const struct sha256 *salted; /* context after the salt */
	struct verity_work *w;
};

/*
 * Level 0 blocks [base, base + count) of the check (count <= 128: the
 * blocks under one level 1 block) on up to n threads, which take them
 * in turn (thread k the blocks base + k, + k + n, ...): each block is
 * recomputed from its data, compared with the stored one, and the
 * digest of the recomputed block is written to digests[(h - base) * 32],
 * so the level above is built only from blocks the data proved; no
 * stored block is read twice. The number of threads that ran (a helper
 * that cannot start leaves its share to the caller), or -1 with e naming
 * the block that differs: the lowest block at fault.
 */
int verity_mt_level0(const struct verity_job *j, uint64_t base, unsigned count,
		     unsigned n, uint8_t *digests, struct kerr *e);

#endif
