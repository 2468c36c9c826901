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
 * then (format 2) a header block with the bundle's geometry and the
 * SHA-256 of its block index, then its hash tree as stored in the slot,
 * then (format 2) the block index, then the filesystem data as one lz4
 * frame (independent 64 KiB blocks), and nothing after it. No byte of it
 * is trusted before the signature check; every tree block is
 * authenticated against the signed root and every data block against
 * the authenticated tree before it is written.
 */
#define BUNDLE_LZ4_BLOCK (64 * 1024)   /* the one lz4 block size allowed */
#define BUNDLE_IN_SIZE (128 * 1024)    /* bundle bytes buffered per read */
#define BUNDLE_ARENA_SIZE (160 * 1024) /* lz4 decoder: context + 2 blocks */
/*
 * Data moves in chunks of one level-0 hash block's worth (128 blocks):
 * each chunk is checked and written, or read back and checked, as one
 * job by a worker thread, while the caller's thread fills the next.
 */
#define BUNDLE_CHUNK_BLOCKS VERITY_ARITY
#define BUNDLE_CHUNK (BUNDLE_CHUNK_BLOCKS * VERITY_BLOCK) /* 512 KiB */
/* Chunks in flight, and the threads that check and move them: as many
 * threads as chunks, as a thread waits out each O_DIRECT write or read
 * of its chunk (on 2 cores, 4 threads kept keel install of 256 MiB level
 * with lz4 -dc | dd under load where 2 fell behind). */
#define BUNDLE_JOBS 4
#define BUNDLE_WORKERS 4
#define BUNDLE_STACK_SIZE (128 * 1024) /* each worker's stack */
/*
 * The jobs' buffers, 2 MiB, start on a 2 MiB boundary: one transparent
 * huge page (x86_64, arm64 with 4 KiB pages) when the kernel has them,
 * one fault where each of 512 pages would take its own.
 */
#define BUNDLE_BUF_ALIGN (2 * 1024 * 1024)
/* Level-0 hash blocks read back from the slot at once. */
#define BUNDLE_AHEAD 32

/* Bundle formats: 1 has no header block and no index (no delta). */
#define BUNDLE_FORMAT_1 1
#define BUNDLE_FORMAT_2 2
#define BUNDLE_HDR_MAGIC "KEELBNDL"
#define BUNDLE_HDR_SIZE 4096
/* lz4 blocks of 64 KiB: data blocks per index entry */
#define BUNDLE_LZ4_DATA_BLOCKS (BUNDLE_LZ4_BLOCK / VERITY_BLOCK)
/* a frame block's size word: bit 31 = stored as it is */
#define BUNDLE_LZ4_RAW 0x80000000u
/* The largest lz4 frame header (magic, descriptor, content size, HC). */
#define BUNDLE_FRAME_HDR_MAX 19

/* The header block of a format-2 bundle, decoded (FORMAT.md §4.2). */
struct bundle_hdr {
	uint32_t format;
	uint64_t data_blocks;
	uint8_t image_digest[32]; /* SHA-256 of the image's signed header */
	uint64_t chunks;	  /* lz4 blocks = index entries */
	uint64_t index_offset, index_size;
	uint8_t index_sha256[32];
	uint64_t frame_offset, frame_header_size, frame_size;
	uint64_t bundle_size;
};

/* Reads up to len bytes: the count, 0 at the end, -1 on error (errno). */
typedef ssize_t (*bundle_read_fn)(void *ctx, void *buf, size_t len);

/*
 * Byte ranges of the bundle the installer reads next, in order: next
 * gives one (1), or says there are no more (0), or fails (-1). A length
 * of UINT64_MAX runs to the end of the bundle.
 */
struct bundle_ranges {
	int (*next)(struct bundle_ranges *r, uint64_t *off, uint64_t *len,
		    struct kerr *e);
	uint64_t off, len; /* a single range (bundle_ranges_one) */
	int given;
	void *plan; /* the delta plan's ranges */
	uint64_t at;
};

/*
 * Where the installer reads the bundle from. read returns up to len
 * bytes (the count, 0 at the end, -1 with e). A source with want can
 * serve byte ranges: before each part it reads, the installer calls want
 * with the ranges it will read next, and read then returns exactly their
 * bytes, concatenated; without want it is a stream read once from byte
 * 0 to its end, and the installer never asks for ranges. from is a slot
 * or image open for reading whose blocks a format-2 bundle's data may be
 * copied from (a delta install), or -1.
 */
struct bundle_src {
	ssize_t (*read)(void *ctx, void *buf, size_t len, struct kerr *e);
	int (*want)(void *ctx, struct bundle_ranges *r, struct kerr *e);
	void *ctx;
	int from;
};

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
 * against the signed root) before any digest in it is used. Level 0 is
 * read BUNDLE_AHEAD blocks at a time; each is checked as it is taken.
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
	/* Level-0 blocks as read, not yet authenticated: a copy of the slot. */
	uint8_t ahead[BUNDLE_AHEAD][VERITY_BLOCK]
	    __attribute__((aligned(4096)));
	uint64_t ahead_first, ahead_n;
};

/*
 * One chunk of data blocks and what to do with it: a write job checks
 * buf against want (digests taken from the authenticated tree) and then
 * writes it to the slot; a read job reads the chunk back from the slot
 * and then checks it.
 */
struct bundle_job {
	uint8_t *buf; /* BUNDLE_CHUNK bytes, 4096-aligned */
	uint64_t first;
	size_t n; /* blocks, first .. first + n - 1 */
	/* write jobs: bit k set = block first + k is already in place in the
	 * slot (checked there): neither checked again nor written */
	uint64_t keep[BUNDLE_CHUNK_BLOCKS / 64];
	int op; /* BUNDLE_JOB_* (bundle_priv.h) */
	int done, rc;
	uint64_t sum;  /* the fingerprint of the blocks written or read */
	struct kerr e; /* why, when rc < 0 */
	uint8_t want[BUNDLE_CHUNK_BLOCKS][VERITY_DIGEST];
};

/*
 * The worker threads and their queue: job k (counting from 0 in each
 * install) uses w->job[k % BUNDLE_JOBS]; jobs are taken in order.
 */
struct bundle_pool {
	pthread_mutex_t mu;
	pthread_cond_t wake; /* workers: a job was queued, or stop */
	pthread_cond_t done; /* the caller: a job finished */
	int fd;		     /* the slot */
	struct sha256 salted;
	uint64_t queued, taken, retired; /* jobs counted from 0 */
	int stop;
	int failed;	  /* a job of this phase failed: the first, in order */
	struct kerr err;  /* its reason */
	unsigned threads; /* running; 0: the caller runs every job */
	pthread_t th[BUNDLE_WORKERS];
};

/* What an install did, for reports and benchmarks. */
struct bundle_stats {
	unsigned format;  /* of the bundle */
	int delta;	  /* its data came by ranges, some from `from` */
	uint64_t read;	  /* bundle bytes read from the source */
	uint64_t fetched; /* data blocks decoded from the bundle */
	uint64_t copied;  /* data blocks copied from `from` */
	uint64_t kept;	  /* data blocks found in place in the slot */
};

/*
 * A delta install's plan (lib/update/delta.c): for every data block, where
 * it comes from; for every lz4 block, whether it is fetched. Its tables
 * live in memory mapped for the install (about 4 bytes per data block,
 * and while planning 24 per block of `from`), unmapped at its end.
 */
struct delta_plan {
	void *map;
	size_t map_len;
	uint32_t *from; /* per data block: DELTA_* or a block of `from` */
	uint32_t *word; /* per lz4 block: its size word from the index */
	uint64_t *need; /* bitmap of lz4 blocks to fetch */
	uint64_t chunks;
	uint64_t first; /* bundle offset of the first lz4 block */
	uint64_t fetch; /* bundle bytes the plan fetches */
	int src;	/* the fd blocks are copied from */
};

/*
 * Caller-owned scratch (about 2.7 MiB; on a 2 MiB boundary, it takes 4 MiB
 * of address space, the rest never touched): keel installer (the helper
 * keel-init runs) keeps one in static storage; nothing in the installer
 * allocates. While it runs, the installer switches the slot fd to O_DIRECT
 * where the file system allows it, so the image does not pass through (and
 * evict) the page cache and the read-back reads the medium; it restores the
 * flags. It runs BUNDLE_WORKERS threads on stacks inside w while it writes the
 * tree and the data and reads them back (none if they cannot be started:
 * then the caller's thread does their work), and joins them before it
 * returns; hooks run on the caller's thread only.
 */
struct bundle_work {
	/* Slot I/O may bypass the page cache (O_DIRECT): aligned buffers,
	 * and all of them one huge page where the kernel offers those. */
	uint8_t buf[BUNDLE_JOBS][BUNDLE_CHUNK]
	    __attribute__((aligned(BUNDLE_BUF_ALIGN)));
	struct bundle_tree tree; /* the path the caller's thread walks */
	struct bundle_job job[BUNDLE_JOBS];
	struct bundle_pool pool;
	uint8_t stack[BUNDLE_WORKERS][BUNDLE_STACK_SIZE]
	    __attribute__((aligned(64)));
	uint8_t in[BUNDLE_IN_SIZE];
	uint8_t arena[BUNDLE_ARENA_SIZE];
	size_t in_pos, in_len, arena_used;
	int in_eof;
	struct bundle_src src;
	struct bundle_ranges ranges; /* what the source serves next */
	bundle_read_fn read;	     /* bundle_install's reader */
	void *read_ctx;
	struct bundle_hdr bh; /* format 2 */
	struct delta_plan plan;
	struct bundle_stats stats;
	int direct;	/* slot writes and reads bypass the page cache */
	int touched;	/* 1 once the slot was written to (or grown) */
	uint64_t done;	/* slot bytes written */
	uint64_t total; /* image size: meta_offset + 4096 */
	/* bundle_sum of every block written, and of every block read back */
	uint64_t sum_written, sum_read;
};

/* A bundle_read_fn over a file descriptor (ctx points to the int fd). */
ssize_t bundle_read_fd(void *ctx, void *buf, size_t len);

/*
 * Installs the bundle read by rd into the slot open (read-write) on fd:
 *   1 metadata, signatures and policy (ks, board, version, epoch, size);
 *   2 hooks->prepare; then the slot's old metadata and footer are zeroed;
 *   3 the tree, each block authenticated top-down, written to the slot;
 *   4 the data, each block checked against the tree, then written;
 *   5 fsync, then every data and tree block written read back from the
 *     slot and fingerprinted (docs/FORMAT.md), against the fingerprint of
 *     the checked blocks as written; on a difference, or with blocks
 *     kept in place, checked again from the signed root down;
 *   6 the metadata block and footer written last, fsync.
 * 0 when the slot holds the image, else -1 and e names the failed check.
 * After -1, w->touched says whether the slot was written; if it was, its
 * metadata is gone and it never verifies. m receives the metadata.
 */
int bundle_install(bundle_read_fn rd, void *rd_ctx, int fd,
		   const struct bundle_policy *pol,
		   const struct bundle_hooks *hooks, struct bundle_work *w,
		   struct img_meta *m, struct kerr *e);

/*
 * The same from src. A format-2 bundle from a source that serves ranges,
 * with src->from open, is installed by delta: after the tree, every data
 * block already in place in the slot is kept, every one found in `from`
 * is copied from there, and only the lz4 blocks holding the others are
 * read; each block is still checked against the tree before it is
 * written, and the whole slot read back after. w->stats says how.
 */
int bundle_install_src(const struct bundle_src *src, int fd,
		       const struct bundle_policy *pol,
		       const struct bundle_hooks *hooks, struct bundle_work *w,
		       struct img_meta *m, struct kerr *e);

/*
 * The header block of a format-2 bundle: encoded from h (blk gets 4096
 * bytes), and decoded strictly and checked against the image's signed
 * metadata m and its geometry (0 or -1).
 */
void bundle_hdr_encode(const struct bundle_hdr *h,
		       uint8_t blk[BUNDLE_HDR_SIZE]);
int bundle_hdr_decode(const uint8_t blk[BUNDLE_HDR_SIZE],
		      const struct img_meta *m, struct bundle_hdr *h,
		      struct kerr *e);

/* lz4 blocks (index entries) of an image of data_blocks. */
uint64_t bundle_chunks(uint64_t data_blocks);

/* A bundle being written: the output and the buffers (about 1.1 MiB). */
struct bundle_out {
	int fd;
	uint64_t at; /* bytes written */
	uint8_t in[16 * BUNDLE_LZ4_BLOCK];
	uint8_t z[4 + BUNDLE_LZ4_BLOCK + BUNDLE_LZ4_BLOCK / 255 + 16];
};

/*
 * Writes the bundle of the image open on img (metadata m, as img_read
 * found it) to o->fd: format 1 as a stream, format 2 into a file (its
 * header block and index are written last, in place). level: lz4's, 0
 * (fast) .. 12. words: room for the index (4 bytes per 64 KiB of data)
 * for format 2, else NULL. 0 or -1.
 */
int bundle_write(struct bundle_out *o, int img, const struct img_meta *m,
		 unsigned format, int level, uint32_t *words, struct kerr *e);

/* A source of ranges over a bundle file (ctx: a struct bundle_file). */
struct bundle_file {
	int fd;
	uint64_t pos, end; /* the current range */
	struct bundle_ranges *r;
	int done;
};
ssize_t bundle_file_read(void *ctx, void *buf, size_t len, struct kerr *e);
int bundle_file_want(void *ctx, struct bundle_ranges *r, struct kerr *e);

#endif
