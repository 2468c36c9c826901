/* SPDX-License-Identifier: MIT */
/* The installer's parts, for lib/update/bundle*.c (and white-box tests). */
#ifndef KEEL_BUNDLE_PRIV_H
#define KEEL_BUNDLE_PRIV_H

#include "lib/base/io.h"
#include "lib/update/bundle.h"

/* Slot I/O: whole transfers, 0 or -1 with e naming the offset. */
static inline int
bundle_pwrite(int fd, const void *buf, size_t len, uint64_t off, struct kerr *e)
{
	return io_pwrite_e(fd, buf, len, off, "write", "slot at", e);
}

static inline int
bundle_pread(int fd, void *buf, size_t len, uint64_t off, struct kerr *e)
{
	return io_pread_e(fd, buf, len, off, "read-back", "slot at", e);
}

/* bundle_job.op */
#define BUNDLE_JOB_WRITE 1 /* check buf, then write it to the slot */
#define BUNDLE_JOB_READ 2  /* read buf back from the slot, then check it */
#define BUNDLE_JOB_SUM 3   /* read buf back from the slot, fingerprint it */

/*
 * The read-back's fingerprint of n blocks at buf, the first being block
 * `first` of the slot (its offset / 4096): a sum of each block's 64-bit
 * XXH64 seeded with its block number, so the sum does not depend on how
 * the blocks are grouped, and a block read from the wrong place differs.
 */
uint64_t bundle_sum(const uint8_t *buf, size_t n, uint64_t first);

/*
 * The worker pool (bundle_io.c), driven from the caller's thread only.
 * start runs the threads (as many as can be started; none is not an
 * error: then pool_retire runs each job itself); stop retires any job
 * still out and joins them. A phase (the stream, the read-back) first
 * sets the slot fd and the salted hash context with pool_phase, while no
 * job is out. Then, in a loop: pool_next gives the job to fill next, or
 * NULL while BUNDLE_JOBS are out; pool_submit queues that job; and
 * pool_retire waits for the oldest job out (running queued jobs on the
 * caller's thread meanwhile) and returns it, finished, with its rc and
 * e. Every job submitted is retired, in order, whether it failed or not.
 */
void bundle_pool_start(struct bundle_work *w);
void bundle_pool_stop(struct bundle_work *w);
void bundle_pool_phase(struct bundle_work *w, int fd,
		       const struct sha256 *salted);
struct bundle_job *bundle_pool_next(struct bundle_work *w);
void bundle_pool_submit(struct bundle_work *w);
unsigned bundle_pool_out(const struct bundle_work *w);
struct bundle_job *bundle_pool_retire(struct bundle_work *w);

/*
 * The policy checks of step 1 on decoded metadata (after the signatures),
 * for a slot of slot_size bytes (UINT64_MAX: a file that may grow). 1 if
 * accepted, else 0 and e says why.
 */
int bundle_check_meta(const struct img_meta *m, const struct bundle_policy *pol,
		      uint64_t slot_size, struct kerr *e);

/* The tree path over the slot fd for header h (bundle_tree.c). 0 or -1. */
int bundle_tree_init(struct bundle_tree *t, int fd, const struct img_header *h,
		     struct kerr *e);
/* 1 if block j of tree level L hashes to its authenticated digest. */
int bundle_tree_check_node(struct bundle_tree *t, unsigned L, uint64_t j,
			   const uint8_t block[VERITY_BLOCK], struct kerr *e);
/* 1 if data block i hashes to its authenticated digest. */
int bundle_tree_check_data(struct bundle_tree *t, uint64_t i,
			   const uint8_t block[VERITY_BLOCK], struct kerr *e);
/*
 * Copies the authenticated digests of data blocks first .. first + n - 1
 * (n <= BUNDLE_CHUNK_BLOCKS) into want. 0 or -1.
 */
int bundle_tree_digests(struct bundle_tree *t, uint64_t first, size_t n,
			uint8_t want[][VERITY_DIGEST], struct kerr *e);
/*
 * 1 if each of the n blocks of buf, the first being data block first,
 * hashes (after the salt in salted) to its digest in want; else 0 and e
 * names the first that does not.
 */
int bundle_check_run(const struct sha256 *salted, uint64_t first,
		     const uint8_t *buf, size_t n,
		     const uint8_t want[][VERITY_DIGEST], struct kerr *e);

/* fsync of the slot (bundle_io.c); a file type without sync is no
 * error. 0 or -1. */
int bundle_slot_sync(int fd, struct kerr *e);
/*
 * Step 5 (bundle_back.c), after the last write of the data, with the
 * pool running and no job out: every block written read back and
 * checked (bundle.h). 0, or -1 with e naming the check or the block.
 */
int bundle_read_back(struct bundle_work *w, int fd, const struct img_header *h,
		     struct kerr *e);

/* --- format 2 (bundle_index.c, bundle_v2.c) and delta (delta.c) --- */

/* The bytes in lz4 block k of an image of data_blocks. */
uint32_t bundle_chunk_bytes(uint64_t data_blocks, uint64_t k);
/* An index entry (a frame block's size word) is possible for block k. */
int bundle_word_check(uint32_t word, uint64_t data_blocks, uint64_t k,
		      struct kerr *e);
/* The frame header's n bytes at p, decoded with d. 0 or -1. */
struct LZ4F_dctx_s;
int bundle_frame_check(struct LZ4F_dctx_s *d, const uint8_t *p, size_t n,
		       const struct bundle_hdr *h, struct kerr *e);

/* The input buffer (bundle.c): at least n bytes, or fewer at the end. */
/* Refills the input buffer after keeping the unread bytes. 0 or -1. */
int bundle_in_fill(struct bundle_work *w, struct kerr *e);
int bundle_in_need(struct bundle_work *w, size_t n, struct kerr *e);
/* n more bytes of the slot written: the caller's progress hook. */
void bundle_progress(struct bundle_work *w, const struct bundle_hooks *h,
		     uint64_t n);
int bundle_in_take(struct bundle_work *w, void *dst, size_t n, const char *what,
		   struct kerr *e);
/* The lz4 decoder's allocator over the work arena (bundle.c). */
void *bundle_arena_alloc(void *opaque, size_t size);
void bundle_arena_free(void *opaque, void *p);
/* Asks the source for the ranges in w->ranges (no-op for a stream). */
int bundle_want(struct bundle_work *w, struct kerr *e);
/* The pool's hand-outs with progress (bundle.c). */
struct bundle_job *bundle_next_job(struct bundle_work *w,
				   const struct bundle_hooks *hooks);
int bundle_drain(struct bundle_work *w, const struct bundle_hooks *hooks, int r,
		 struct kerr *e);

/*
 * A format-2 bundle after its tree: the index, the frame header, then
 * the data, whole or by delta from `from` (>= 0) when the source serves
 * ranges. Leaves the input at the bundle's end. 0 or -1.
 */
int bundle_v2_data(struct bundle_work *w, int fd, const struct img_header *h,
		   const struct bundle_hooks *hooks, struct kerr *e);

/* delta_plan.from values other than a block of `from` */
#define DELTA_FETCH 0xffffffffu	   /* decoded from the bundle */
#define DELTA_KEEP 0xfffffffeu	   /* found in place in the slot */
#define DELTA_FROM_MAX 0xfff00000u /* blocks of `from` that can be named */

/* Maps p's tables for an image of h (from[] only for a delta). */
int delta_map(struct delta_plan *p, const struct img_header *h, int delta,
	      struct kerr *e);
void delta_unmap(struct delta_plan *p);
/*
 * Fills p->from and p->need: each data block found in place in the slot
 * (fd) is kept, each found in `from` is copied, each lz4 block holding
 * another is fetched. Reads the authenticated level 0 through w->tree,
 * the slot and `from` whole; no job may be out. 0 or -1.
 */
int delta_plan(struct bundle_work *w, int fd, int from,
	       const struct img_header *h, struct kerr *e);
/* The bundle ranges the plan fetches, for w->ranges. */
void delta_ranges(struct delta_plan *p, struct bundle_ranges *r);

#endif
