// SPDX-License-Identifier: MIT
/* Builds and checks dm-verity hash trees in one streaming pass. */
#define _GNU_SOURCE /* sched_getaffinity, CPU_COUNT */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "lib/image/verity_priv.h"

#define CHECK_NAME VERITY_CHECK_NAME
#define OFF_MAX ((uint64_t)INT64_MAX) /* largest offset pread accepts */
/* Below 4 MiB of data a check stays on one thread: starting more costs. */
#define VERITY_MT_MIN_BLOCKS 1024

/*
 * One pass over the data: level[L] holds the hash block of level L being
 * filled; a full (or, at the end, zero-padded) block is written (build) or
 * compared with the stored one (check), then its digest goes up one level.
 */
struct vpass {
	int fd;
	struct verity_src src; /* what a check reads */
	int check; /* 1: compare with the stored tree, 0: write it */
	uint64_t hash_offset;
	struct verity_geo g;
	struct verity_work *w;
	struct sha256 salted; /* context after the salt: copied per block */
	unsigned fill[VERITY_MAX_LEVELS]; /* digests in w->level[L] */
	uint64_t done[VERITY_MAX_LEVELS]; /* blocks finished at level L */
	uint8_t root[VERITY_DIGEST];
	struct kerr *e;
};

static unsigned workers_forced, workers_used = 1;

/*
 * Every offset the pass will touch is checked here, once: the data area
 * [0, data_blocks * 4096) and the tree [hash_offset, + tree_blocks * 4096)
 * must fit in an off_t and must not overlap. The tree must start on a
 * block boundary because the kernel's table gives its start in blocks.
 */
static int
pass_setup(struct vpass *s, int fd, int check, const struct verity_params *p,
	   struct verity_work *w, struct kerr *e)
{
	uint64_t data_bytes, tree_bytes;

	memset(s, 0, sizeof(*s));
	s->fd = fd;
	s->src.fd = fd;
	s->src.out = -1;
	s->check = check;
	s->w = w;
	s->e = e;
	if (!p || !w)
		return kerr_set(e, CHECK_NAME, "missing parameters");
	if (p->salt_len > VERITY_MAX_SALT)
		return kerr_set(e, CHECK_NAME, "salt of %zu bytes (at most %d)",
				p->salt_len, VERITY_MAX_SALT);
	if (p->salt_len && !p->salt)
		return kerr_set(e, CHECK_NAME, "missing salt");
	if (verity_geometry(p->data_blocks, &s->g) < 0)
		return kerr_set(e, CHECK_NAME, "bad data block count %llu",
				(unsigned long long)p->data_blocks);
	if (p->data_blocks > OFF_MAX / VERITY_BLOCK)
		return kerr_set(e, CHECK_NAME, "data area too large");
	data_bytes = p->data_blocks * VERITY_BLOCK;
	if (p->hash_offset % VERITY_BLOCK)
		return kerr_set(
		    e, CHECK_NAME, "hash offset %llu not a multiple of %d",
		    (unsigned long long)p->hash_offset, VERITY_BLOCK);
	if (p->hash_offset < data_bytes)
		return kerr_set(e, CHECK_NAME,
				"hash offset %llu inside the data area",
				(unsigned long long)p->hash_offset);
	if (s->g.tree_blocks > OFF_MAX / VERITY_BLOCK)
		return kerr_set(e, CHECK_NAME, "hash tree too large");
	tree_bytes = s->g.tree_blocks * VERITY_BLOCK;
	if (p->hash_offset > OFF_MAX - tree_bytes)
		return kerr_set(e, CHECK_NAME, "hash area past the end");
	s->hash_offset = p->hash_offset;

	sha256_init(&s->salted);
	if (p->salt_len)
		sha256_update(&s->salted, p->salt, p->salt_len);
	return 0;
}

/* SHA-256(salt || block), resuming from the saved state after the salt. */
static inline void
pass_hash(const struct vpass *s, const uint8_t *block, uint8_t *out)
{
	struct sha256 c = s->salted;

	sha256_update(&c, block, VERITY_BLOCK);
	sha256_final(&c, out);
}

/* Level L's current block is complete: store or compare it. */
static int
block_done(struct vpass *s, unsigned L)
{
	const uint8_t *blk = s->w->level[L], *stored;
	uint64_t idx = s->done[L];
	uint64_t off;

	if (idx >= s->g.level_blocks[L])
		return kerr_set(s->e, CHECK_NAME, "level %u overflows", L);
	/* Within the tree, whose end pass_setup bounded. */
	off = s->hash_offset + (s->g.level_start[L] + idx) * VERITY_BLOCK;
	if (!s->check)
		return io_pwrite_e(s->fd, blk, VERITY_BLOCK, off, CHECK_NAME,
				   "write at offset", s->e);
	stored = verity_get(&s->src, s->w->stored, VERITY_BLOCK, off, s->e);
	if (!stored)
		return -1;
	if (memcmp(stored, blk, VERITY_BLOCK))
		return kerr_set(s->e, CHECK_NAME, "level %u block %llu differs",
				L, (unsigned long long)idx);
	return 0;
}

/*
 * Finishes level L's current block (zero-padding a partial one) and feeds
 * its digest upward; a block completed on the way up is finished the same
 * way. A loop rather than recursion: at most g.levels steps.
 */
static int
level_flush(struct vpass *s, unsigned L)
{
	uint8_t d[VERITY_DIGEST];

	for (;;) {
		uint8_t *blk = s->w->level[L];

		memset(blk + (size_t)s->fill[L] * VERITY_DIGEST, 0,
		       VERITY_BLOCK - (size_t)s->fill[L] * VERITY_DIGEST);
		if (block_done(s, L) < 0)
			return -1;
		pass_hash(s, blk, d);
		s->fill[L] = 0;
		s->done[L]++;
		if (++L == s->g.levels) {
			memcpy(s->root, d, VERITY_DIGEST);
			return 0;
		}
		memcpy(s->w->level[L] + (size_t)s->fill[L] * VERITY_DIGEST, d,
		       VERITY_DIGEST);
		if (++s->fill[L] < VERITY_ARITY)
			return 0;
	}
}

/* Hashes n data blocks from buf into level 0 (or the root, if no tree). */
static int
pass_data(struct vpass *s, const uint8_t *buf, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const uint8_t *blk = buf + i * VERITY_BLOCK;
		uint8_t *d;

		if (s->g.levels == 0) {
			pass_hash(s, blk, s->root);
			continue;
		}
		d = s->w->level[0] + (size_t)s->fill[0] * VERITY_DIGEST;
		/* Two blocks side by side when both land in this hash block. */
		if (i + 1 < n && s->fill[0] + 1 < VERITY_ARITY) {
			sha256_final2(&s->salted, blk, blk + VERITY_BLOCK,
				      VERITY_BLOCK, d, d + VERITY_DIGEST);
			s->fill[0]++;
			i++;
		} else {
			pass_hash(s, blk, d);
		}
		if (++s->fill[0] == VERITY_ARITY && level_flush(s, 0) < 0)
			return -1;
	}
	return 0;
}

/* Bottom up, so a flushed block's digest lands before its parent's. */
static int
pass_finish(struct vpass *s)
{
	for (unsigned L = 0; L < s->g.levels; L++)
		if (s->fill[L] && level_flush(s, L) < 0)
			return -1;
	for (unsigned L = 0; L < s->g.levels; L++)
		if (s->done[L] != s->g.level_blocks[L])
			return kerr_set(
			    s->e, CHECK_NAME,
			    "level %u has %llu blocks, not %llu", L,
			    (unsigned long long)s->done[L],
			    (unsigned long long)s->g.level_blocks[L]);
	return 0;
}

static int
pass_run(struct vpass *s)
{
	uint64_t total = s->g.data_blocks, off = 0;
	const size_t per_io = VERITY_IO_SIZE / VERITY_BLOCK;

	/*
	 * The last data byte must exist before the pass starts: tree blocks
	 * are written as the data streams by, and a write past the end of a
	 * short file would fill the missing data with a hole of zeros.
	 */
	if (verity_probe(&s->src, s->w->stored, total * VERITY_BLOCK, s->e))
		return -1;
	/* A hint for readahead on cold devices; failure changes nothing. */
	if (!s->src.mem)
		posix_fadvise(s->fd, 0, (off_t)(total * VERITY_BLOCK),
			      POSIX_FADV_SEQUENTIAL);
	while (total) {
		size_t n = total < per_io ? (size_t)total : per_io;
		const uint8_t *d =
		    verity_get(&s->src, s->w->io, n * VERITY_BLOCK, off, s->e);

		if (!d || pass_data(s, d, n) < 0)
			return -1;
		total -= n;
		off += n * VERITY_BLOCK;
	}
	return pass_finish(s);
}

/* Threads for a check: 0 for the single-thread pass. */
static unsigned
pass_workers(const struct vpass *s)
{
	uint64_t groups = s->g.level_blocks[0];
	cpu_set_t set;
	long cpus;
	unsigned n = workers_forced;

	if (s->g.levels == 0 || n == 1)
		return 0;
	if (!n) {
		if (s->g.data_blocks < VERITY_MT_MIN_BLOCKS)
			return 0;
		/* The CPUs this process may run on (a cpuset or taskset
		 * narrows them), not all that are online. */
		cpus = sched_getaffinity(0, sizeof(set), &set) == 0
			   ? CPU_COUNT(&set)
			   : 1;
		n = cpus < 1 ? 1 : (unsigned)cpus;
	}
	if (n > VERITY_MAX_WORKERS)
		n = VERITY_MAX_WORKERS;
	if (n > groups)
		n = (unsigned)groups;
	/* Auto on one CPU: the pass that reads each tree block once. */
	return n > 1 || workers_forced ? n : 0;
}

/*
 * The check on n threads, once the data is known to exist: level 0 in
 * runs of up to 128 blocks (one level 1 block) on n threads
 * (verity_mt.c), whose digests fill w->level[1]; from level 1 up, this
 * pass's own blocks, as in the single-thread pass. Every stored block is
 * read once and only compared; what goes up is always recomputed.
 */
static int
mt_run(struct vpass *s, unsigned n)
{
	struct verity_job j = {s->src, s->g, s->hash_offset, &s->salted, s->w};
	uint64_t total = s->g.data_blocks, groups = s->g.level_blocks[0];
	unsigned most = 1;

	if (verity_probe(&s->src, s->w->stored, total * VERITY_BLOCK, s->e))
		return -1;
	if (!s->src.mem)
		posix_fadvise(s->fd, 0, (off_t)(total * VERITY_BLOCK),
			      POSIX_FADV_SEQUENTIAL);
	for (uint64_t h = 0; h < groups; h += VERITY_ARITY) {
		unsigned k = groups - h < VERITY_ARITY ? (unsigned)(groups - h)
						       : VERITY_ARITY;
		int rc = verity_mt_level0(&j, h, k, n, s->w->level[1], s->e);

		if (rc < 0)
			return -1;
		if ((unsigned)rc > most)
			most = (unsigned)rc;
		s->done[0] += k;
		if (s->g.levels == 1) { /* level 0's one block is the top */
			memcpy(s->root, s->w->level[1], VERITY_DIGEST);
			break;
		}
		s->fill[1] = k;
		if (k == VERITY_ARITY && level_flush(s, 1) < 0)
			return -1;
	}
	workers_used = most;
	return pass_finish(s);
}

int
verity_geometry(uint64_t data_blocks, struct verity_geo *g)
{
	uint64_t count = data_blocks, pos = 0;
	unsigned levels = 0;

	memset(g, 0, sizeof(*g));
	if (data_blocks == 0)
		return -1;
	g->data_blocks = data_blocks;
	while (count > 1) {
		if (levels == VERITY_MAX_LEVELS)
			return -1;
		count = count / VERITY_ARITY + (count % VERITY_ARITY != 0);
		g->level_blocks[levels++] = count;
	}
	g->levels = levels;
	/* The top level comes first; sums stay below 2 * data_blocks. */
	for (unsigned L = levels; L-- > 0;) {
		g->level_start[L] = pos;
		pos += g->level_blocks[L];
	}
	g->tree_blocks = pos;
	return 0;
}

int
verity_build(int fd, const struct verity_params *p, struct verity_work *w,
	     uint8_t root[VERITY_DIGEST], struct kerr *e)
{
	struct vpass s;

	if (pass_setup(&s, fd, 0, p, w, e) < 0 || pass_run(&s) < 0)
		return -1;
	memcpy(root, s.root, VERITY_DIGEST);
	return 0;
}

void
verity_set_workers(unsigned n)
{
	workers_forced = n;
}

unsigned
verity_workers_used(void)
{
	return workers_used;
}

/* verity_check on s, set up (its source chosen) by the caller. */
static int
check_run(struct vpass *s, const uint8_t root[VERITY_DIGEST], struct kerr *e)
{
	unsigned n = pass_workers(s);

	workers_used = 1;
	if (n ? mt_run(s, n) < 0 : pass_run(s) < 0)
		return 0;
	if (memcmp(s->root, root, VERITY_DIGEST)) {
		kerr_set(e, CHECK_NAME, "root hash differs");
		return 0;
	}
	return 1;
}

int
verity_check_mem(const uint8_t *mem, uint64_t len,
		 const struct verity_params *p, struct verity_work *w,
		 const uint8_t root[VERITY_DIGEST], struct kerr *e)
{
	struct vpass s;

	if (pass_setup(&s, -1, 1, p, w, e) < 0)
		return 0;
	s.src.mem = mem;
	s.src.len = len;
	return check_run(&s, root, e);
}

int
verity_check_copy(int fd, int out, const struct verity_params *p,
		  struct verity_work *w, const uint8_t root[VERITY_DIGEST],
		  struct kerr *e)
{
	struct vpass s;

	if (pass_setup(&s, fd, 1, p, w, e) < 0)
		return 0;
	s.src.out = out;
	s.src.out_end = p->data_blocks * VERITY_BLOCK; /* pass_setup bounded */
	return check_run(&s, root, e);
}

int
verity_check(int fd, const struct verity_params *p, struct verity_work *w,
	     const uint8_t root[VERITY_DIGEST], struct kerr *e)
{
	struct vpass s;

	if (pass_setup(&s, fd, 1, p, w, e) < 0)
		return 0;
	return check_run(&s, root, e);
}
