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

#endif
