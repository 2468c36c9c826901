/* SPDX-License-Identifier: MIT */
/* /var/lib seeded from the image's own /var/lib on first use. */
#ifndef KEEL_SEED_H
#define KEEL_SEED_H

#include "lib/base/err.h"

/* The marker in the destination while a seed is under way: a start that
 * finds it (a power cut during the copy) finishes the copy. */
#define SEED_MARKER ".keel-seeding"
/* Deeper directories of the image are not copied (counted as skipped). */
#define SEED_MAX_DEPTH 24

struct seed_stats {
	unsigned copied;  /* files, directories and symlinks made */
	unsigned kept;	  /* already there: left as they are */
	unsigned skipped; /* devices, sockets, fifos, too deep */
};

/*
 * Copies the tree at from_dir (the image's /var/lib) into to_dir (the
 * app's /var/lib) if to_dir is empty, or holds SEED_MARKER; otherwise
 * copies nothing and returns 0 with st all zero. The copy never follows a
 * symlink (a link is copied as a link), never overwrites or changes an
 * entry that exists, keeps modes and owners, and writes each file under
 * a temporary name renamed into place once whole and synced. MUST NOT
 * allocate (keel-init calls it): the stack only, bounded by
 * SEED_MAX_DEPTH. Both descriptors are directories opened O_RDONLY.
 * 0, or -1 with e naming the entry.
 */
int seed_tree(int from_dir, int to_dir, struct seed_stats *st, struct kerr *e);

#endif
