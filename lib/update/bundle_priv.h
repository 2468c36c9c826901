/* SPDX-License-Identifier: MIT */
/* The installer's parts, for lib/update/bundle*.c (and white-box tests). */
#ifndef KEEL_BUNDLE_PRIV_H
#define KEEL_BUNDLE_PRIV_H

#include "lib/base/io.h"
#include "lib/update/bundle.h"

/*
 * Checks n data blocks of buf, the first being block first, against the
 * tree paths of w (set up by bundle_tree_init on w->tree and w->tree2):
 * the second half on a helper thread whose stack is w->stack, when one
 * can be started. 1 if all match, else 0 and e names the first bad one.
 */
int bundle_check_blocks(struct bundle_work *w, uint64_t first,
			const uint8_t *buf, size_t n, struct kerr *e);

/*
 * Slot I/O (bundle_io.c): whole transfers, 0 or -1. io_start runs one
 * transfer on a thread with w->iostack (or at once, if none can start);
 * io_wait finishes it and returns its result. One at a time.
 */
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

void bundle_io_start(struct bundle_work *w, int fd, int write, uint8_t *buf,
		     size_t len, uint64_t off);
int bundle_io_wait(struct bundle_work *w, struct kerr *e);

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

#endif
