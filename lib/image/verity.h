/* SPDX-License-Identifier: MIT */
/* dm-verity hash tree (format 1, sha256, 4096-byte blocks), as veritysetup. */
#ifndef KEEL_VERITY_H
#define KEEL_VERITY_H

#include <stddef.h>
#include <stdint.h>

#include "lib/base/err.h"

#define VERITY_BLOCK 4096
#define VERITY_DIGEST 32
#define VERITY_ARITY (VERITY_BLOCK / VERITY_DIGEST) /* digests per block */
#define VERITY_MAX_LEVELS 8 /* 128^8 data blocks: far past any disk */
#define VERITY_MAX_SALT 64
#define VERITY_IO_SIZE (128 * 1024) /* data read per pread */
#define VERITY_MAX_WORKERS 4	 /* threads of verity_check, caller included */
#define VERITY_STACK (64 * 1024) /* each helper thread's stack */

/*
 * Tree layout: level 0 hashes the data blocks, level L+1 hashes level L;
 * the top level (one block) comes first at the hash offset, level 0 last,
 * exactly as veritysetup and the kernel lay it out.
 */
struct verity_geo {
	uint64_t data_blocks;
	unsigned levels; /* 0 when there is a single data block */
	uint64_t level_blocks[VERITY_MAX_LEVELS];
	uint64_t level_start[VERITY_MAX_LEVELS]; /* block index in the tree */
	uint64_t tree_blocks;
};

/* 0, or -1 for 0 blocks or a tree too deep. */
int verity_geometry(uint64_t data_blocks, struct verity_geo *g);

struct verity_params {
	uint64_t data_blocks;
	uint64_t hash_offset; /* bytes from the start of fd */
	const uint8_t *salt;
	size_t salt_len;
};

/* One helper thread of verity_check: its stack and buffers. */
struct verity_worker {
	uint8_t io[VERITY_IO_SIZE];
	uint8_t blk[VERITY_BLOCK];
	uint8_t stored[VERITY_BLOCK];
	uint8_t stack[VERITY_STACK] __attribute__((aligned(64)));
};

/*
 * Caller-owned scratch (about 750 KiB, of which a check touches only what
 * its threads use): keel-init keeps one in static storage, so nothing
 * here allocates. verity_check runs up to VERITY_MAX_WORKERS - 1 helper
 * threads on the stacks in wk[] and joins them before it returns.
 */
struct verity_work {
	uint8_t level[VERITY_MAX_LEVELS][VERITY_BLOCK];
	uint8_t stored[VERITY_BLOCK];
	uint8_t io[VERITY_IO_SIZE];
	struct verity_worker wk[VERITY_MAX_WORKERS - 1];
};

/* Computes the tree of fd's data, writes it at hash_offset, returns root. */
int verity_build(int fd, const struct verity_params *p, struct verity_work *w,
		 uint8_t root[VERITY_DIGEST], struct kerr *e);

/*
 * Recomputes the whole tree from the data and compares every hash block
 * with the stored one and the top with root. 1 if all match, else 0.
 */
int verity_check(int fd, const struct verity_params *p, struct verity_work *w,
		 const uint8_t root[VERITY_DIGEST], struct kerr *e);

/*
 * verity_check that also copies: every data byte it reads from fd is
 * written to out at the same offset, from the buffer it then hashes, and
 * each byte of data and tree is read once (on every thread), so when it
 * returns 1 out holds exactly the data that was checked, even if fd
 * answered two reads of a block differently. The tree is compared, not
 * copied: out's bytes past the data are not written. Writes stay near
 * the end of what was written so far (the threads take level 0 blocks in
 * turn), so a tmpfs with huge=within_size fills out in folios of up to
 * a few hundred KiB. On 0 out's content is undefined, and e->check is
 * VERITY_COPY_CHECK when writing to out failed.
 */
#define VERITY_COPY_CHECK "copy" /* e->check of a failed write to out */
int verity_check_copy(int fd, int out, const struct verity_params *p,
		      struct verity_work *w, const uint8_t root[VERITY_DIGEST],
		      struct kerr *e);

/*
 * verity_check of an image in memory (len bytes at mem, e.g. a read-only
 * mapping of a sealed memfd): data and tree hashed and compared where
 * they are, with no copy. Offsets past len are refused as a short file's.
 */
int verity_check_mem(const uint8_t *mem, uint64_t len,
		     const struct verity_params *p, struct verity_work *w,
		     const uint8_t root[VERITY_DIGEST], struct kerr *e);

/*
 * Threads verity_check uses, caller included: 0 (the default) picks one
 * per online CPU (at most VERITY_MAX_WORKERS) for images of 4 MiB and
 * more; n forces n (1: the single-thread pass). For tests and benchmarks.
 */
void verity_set_workers(unsigned n);
/* Threads the last verity_check ran on (1 for the single-thread pass). */
unsigned verity_workers_used(void);

#endif
