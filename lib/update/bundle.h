/* SPDX-License-Identifier: MIT */
/* Update bundles: checked and installed into a slot in one streaming pass. */
#ifndef KEEL_BUNDLE_H
#define KEEL_BUNDLE_H

#include <stddef.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/types.h>

#include "lib/base/err.h"
#include "lib/image/image.h"
#include "lib/crypto/keyset.h"
#include "lib/crypto/sha256.h"
#include "lib/image/verity.h"

/*
 * A bundle (docs/FORMAT.md §4) is the image's 4096-byte metadata block,
 * then its hash tree as stored in the slot, then the filesystem data as
 * one lz4 frame (independent 64 KiB blocks), and nothing after it. No
 * byte of it is trusted before the signature check; every tree block is
 * authenticated against the signed root and every data block against the
 * authenticated tree before it is written.
 */
#define BUNDLE_LZ4_BLOCK (64 * 1024)   /* the one lz4 block size allowed */
#define BUNDLE_IN_SIZE (128 * 1024)    /* bundle bytes buffered per read */
#define BUNDLE_OUT_SIZE (512 * 1024)   /* data checked and written at once */
#define BUNDLE_ARENA_SIZE (160 * 1024) /* lz4 decoder: context + 2 blocks */
#define BUNDLE_STACK_SIZE (128 * 1024) /* the helper thread that hashes */

/* Reads up to len bytes: the count, 0 at the end, -1 on error (errno). */
typedef ssize_t (*bundle_read_fn)(void *ctx, void *buf, size_t len);

/* flags of struct bundle_policy */
#define BUNDLE_ALLOW_DOWNGRADE 1u /* skip the version check */
#define BUNDLE_GROW 2u		  /* a regular-file slot may be extended */

/* What the device accepts; all checked before the first write. */
struct bundle_policy {
	const struct keyset *ks;    /* signatures and roles */
	const char *board;	    /* NULL or "": any board */
	uint32_t arch;		    /* enum img_arch; 0: any */
	uint64_t committed_version; /* the image's version must be above */
	uint64_t epoch_floor;	    /* the image's epoch must not be below */
	unsigned flags;		    /* BUNDLE_* */
};

/*
 * Caller hooks. prepare runs once every check of the header has passed
 * and before the first byte is written: keel-init marks the target slot
 * not bootable there (0, or -1 to stop with nothing written). progress
 * reports slot bytes written so far out of the image size. Both optional.
 */
struct bundle_hooks {
	int (*prepare)(void *ctx, const struct img_meta *m, struct kerr *e);
	void (*progress)(void *ctx, uint64_t done, uint64_t total);
	void *ctx;
};

/*
 * The authenticated path through the tree: one cached block per level,
 * each loaded back from the slot and checked against its parent (the top
 * against the signed root) before any digest in it is used.
 */
struct bundle_tree {
	int fd;
	uint64_t hash_offset;
	struct verity_geo g;
	struct sha256 salted; /* context after the salt */
	uint8_t root[VERITY_DIGEST];
	uint64_t cur[VERITY_MAX_LEVELS]; /* block held in blk[L], or ~0 */
	uint8_t blk[VERITY_MAX_LEVELS][VERITY_BLOCK]
	    __attribute__((aligned(4096)));
};

/* One slot transfer running beside the installer (bundle_io.c). */
struct bundle_io {
	int fd, write, busy, rc;
	uint8_t *buf;
	size_t len;
	uint64_t off;
	struct kerr e;
	pthread_t th;
};

/*
 * Caller-owned scratch (about 1.7 MiB): keel-init's installer child keeps
 * one in static storage; nothing in the installer allocates. While it
 * runs, the installer switches the slot fd to O_DIRECT where the file
 * system allows it, so the image does not pass through (and evict) the
 * page cache and the read-back reads the medium; it restores the flags.
 * It also runs up to two short-lived threads on stacks inside w (one
 * hashes half of each buffer, one moves the previous buffer to or from
 * the slot) and joins them before it returns; hooks run on the caller's
 * thread only.
 */
struct bundle_work {
	/* Blocks are hashed on two cores: a tree path for each. */
	struct bundle_tree tree, tree2;
	uint8_t stack[BUNDLE_STACK_SIZE] __attribute__((aligned(64)));
	/* Slot I/O may bypass the page cache (O_DIRECT): aligned buffers. */
	uint8_t out[BUNDLE_OUT_SIZE] __attribute__((aligned(4096)));
	uint8_t out2[BUNDLE_OUT_SIZE] __attribute__((aligned(4096)));
	uint8_t iostack[BUNDLE_STACK_SIZE] __attribute__((aligned(64)));
	struct bundle_io io; /* out or out2 going to or from the slot */
	uint8_t in[BUNDLE_IN_SIZE];
	uint8_t arena[BUNDLE_ARENA_SIZE];
	size_t in_pos, in_len, arena_used;
	int in_eof;
	bundle_read_fn read;
	void *read_ctx;
	int direct;	/* slot writes and reads bypass the page cache */
	int touched;	/* 1 once the slot was written to (or grown) */
	uint64_t done;	/* slot bytes written */
	uint64_t total; /* image size: meta_offset + 4096 */
};

/* A bundle_read_fn over a file descriptor (ctx points to the int fd). */
ssize_t bundle_read_fd(void *ctx, void *buf, size_t len);

/*
 * Installs the bundle read by rd into the slot open (read-write) on fd:
 *   1 metadata, signatures and policy (ks, board, version, epoch, size);
 *   2 hooks->prepare; then the slot's old metadata and footer are zeroed;
 *   3 the tree, each block authenticated top-down, written to the slot;
 *   4 the data, each block checked against the tree, then written;
 *   5 fsync, then every data and tree block read back from the slot and
 *     checked again from the signed root down;
 *   6 the metadata block and footer written last, fsync.
 * 0 when the slot holds the image, else -1 and e names the failed check.
 * After -1, w->touched says whether the slot was written; if it was, its
 * metadata is gone and it never verifies. m receives the metadata.
 */
int bundle_install(bundle_read_fn rd, void *rd_ctx, int fd,
		   const struct bundle_policy *pol,
		   const struct bundle_hooks *hooks, struct bundle_work *w,
		   struct img_meta *m, struct kerr *e);

#endif
