// SPDX-License-Identifier: MIT
/* The installer's read-back: the slot read again after the last write. */
#define _GNU_SOURCE /* posix_fadvise */
#include <fcntl.h>
#include <string.h>

#include "lib/update/bundle_priv.h"

/* Reads the data back in chunks, each checked on a worker thread. */
static int
read_chunks(struct bundle_work *w, struct kerr *e)
{
	uint64_t blocks = w->tree.g.data_blocks;

	for (uint64_t i = 0; i < blocks; i += BUNDLE_CHUNK_BLOCKS) {
		struct bundle_job *j = bundle_next_job(w, NULL);

		if (!j)
			return -1;
		j->op = BUNDLE_JOB_READ;
		j->first = i;
		j->n = blocks - i < BUNDLE_CHUNK_BLOCKS ? (size_t)(blocks - i)
							: BUNDLE_CHUNK_BLOCKS;
		if (bundle_tree_digests(&w->tree, i, j->n, j->want, e) < 0)
			return -1;
		bundle_pool_submit(w);
	}
	return 0;
}

/* Jobs that read back and fingerprint blocks first .. first + n - 1. */
static int
sum_run(struct bundle_work *w, uint64_t first, uint64_t n)
{
	for (uint64_t i = 0; i < n; i += BUNDLE_CHUNK_BLOCKS) {
		struct bundle_job *j = bundle_next_job(w, NULL);

		if (!j)
			return -1;
		j->op = BUNDLE_JOB_SUM;
		j->first = first + i;
		j->n = n - i < BUNDLE_CHUNK_BLOCKS ? (size_t)(n - i)
						   : BUNDLE_CHUNK_BLOCKS;
		bundle_pool_submit(w);
	}
	return 0;
}

/* Every block written, the data and each level of the tree, read back
 * and fingerprinted on the workers into w->sum_read. */
static int
sum_slot(struct bundle_work *w)
{
	struct bundle_tree *t = &w->tree;

	w->sum_read = 0;
	if (sum_run(w, 0, t->g.data_blocks) < 0)
		return -1;
	for (unsigned L = 0; L < t->g.levels; L++)
		if (sum_run(w,
			    t->hash_offset / VERITY_BLOCK + t->g.level_start[L],
			    t->g.level_blocks[L]) < 0)
			return -1;
	return 0;
}

/* Before a read-back pass: what it reads comes from the slot itself. */
static int
read_fresh(struct bundle_work *w, int fd, struct kerr *e)
{
	if (bundle_slot_sync(fd, e) < 0)
		return -1;
	if (!w->direct)
		posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
	return 0;
}

/*
 * The full check: every data block is read from the slot and checked
 * through a tree path started afresh, so every tree block is read back
 * too and authenticated from the signed root down: the same verdict as a
 * full recomputation of the tree, in one pass.
 */
static int
read_verify(struct bundle_work *w, int fd, const struct img_header *h,
	    struct kerr *e)
{
	struct kerr te = {0};

	if (read_fresh(w, fd, e) < 0 ||
	    bundle_tree_init(&w->tree, fd, h, e) < 0)
		return -1;
	bundle_pool_phase(w, fd, &w->tree.salted);
	if (bundle_drain(w, NULL, read_chunks(w, &te), &te) == 0)
		return 0;
	/* A read that failed says so; anything else is a changed block. */
	if (te.check && !strcmp(te.check, "read-back")) {
		if (e)
			*e = te;
		return -1;
	}
	return kerr_set(e, "read-back", "slot differs after writing: %s",
			te.detail);
}

/*
 * The read-back, after the last write and a flush: every block written
 * (data and tree) is read from the slot, and the fingerprint of what was
 * read must equal that of what was written, each block of which had
 * passed its check against the signed tree first. Reads bypass the page
 * cache (O_DIRECT), or follow a request to drop it. For bad flash (a
 * flipped bit, a block not written, an address that lands elsewhere)
 * this is the full check's verdict at a fraction of its cost: a changed
 * block goes unseen with a chance of 2^-64. Any difference, and a delta
 * install that kept blocks in place (never written, so not
 * fingerprinted), take the full check, which names the block; if that
 * finds none after a difference, two reads of the slot disagreed: the
 * slot is refused all the same.
 */
int
bundle_read_back(struct bundle_work *w, int fd, const struct img_header *h,
		 struct kerr *e)
{
	struct kerr te = {0};

	if (w->stats.kept)
		return read_verify(w, fd, h, e);
	if (read_fresh(w, fd, e) < 0)
		return -1;
	bundle_pool_phase(w, fd, &w->tree.salted);
	if (bundle_drain(w, NULL, sum_slot(w), &te) < 0) {
		if (e)
			*e = te;
		return -1;
	}
	if (w->sum_read == w->sum_written)
		return 0;
	if (read_verify(w, fd, h, e) < 0)
		return -1;
	return kerr_set(e, "read-back",
			"slot differs after writing: two reads of it "
			"disagree");
}
