/* SPDX-License-Identifier: MIT */
/* A persistent partition's old trees: their names and their removal. */
#ifndef KEEL_TRASH_H
#define KEEL_TRASH_H

/*
 * The root of a persistent partition (docs/FORMAT.md §5) holds its live
 * generation .keel-gen-N and the old trees .keel-trash-N that a factory
 * reset or a migration left: keel-init renames them (init/reset.c), `keel
 * trash`, which keel-init runs, removes them.
 */
#define TRASH_GEN ".keel-gen-"
#define TRASH_PREFIX ".keel-trash-"
#define TRASH_RM_NAME                                                          \
	".keel-rm" /* the directory being emptied, in its parent */

/* "PREFIXnumber" -> number (decimal, no leading zero, below 2^62); -1
 * for any other name. */
long long trash_numbered(const char *name, const char *prefix);

/*
 * Removes every .keel-trash-N of the root directory open at root (read
 * to its end, not closed), each tree at any depth and whatever its names
 * and flags, holding two descriptors and no memory per level; the root
 * is synced after each tree. 0, or -1 with errno (what was removed
 * stays removed; the rest is left for the next call).
 */
int trash_collect(int root);

#endif
