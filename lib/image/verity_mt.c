// SPDX-License-Identifier: MIT
/* verity_check on several cores: level 0 split among threads, no heap. */
#include <pthread.h>
#include <string.h>

#include "lib/image/verity_priv.h"

#define PER_IO (VERITY_IO_SIZE / VERITY_BLOCK) /* blocks per pread */

/*
 * One thread's share of level 0: the hash blocks [first, end), each
 * recomputed from its 128 data blocks and compared with the stored one.
 * The threads share only *failed, the lowest id that found a fault: a
 * thread stops once a lower one has failed, since that fault is the one
 * reported whatever the higher ones find.
 */
struct share {
	const struct verity_job *j;
	unsigned id;
	unsigned *failed;
	uint64_t first, end;
	uint8_t *io, *blk, *stored;
	int rc, started;
	struct kerr e;
	pthread_t th;
};

static void
hash_block(const struct sha256 *salted, const uint8_t *block, uint8_t *out)
{
	struct sha256 c = *salted;

	sha256_update(&c, block, VERITY_BLOCK);
	sha256_final(&c, out);
}

/* Digests of n blocks at buf into out, two at a time. */
static void
hash_run(const struct sha256 *salted, const uint8_t *buf, size_t n,
	 uint8_t *out)
{
	size_t i = 0;

	for (; i + 1 < n; i += 2)
		sha256_final2(salted, buf + i * VERITY_BLOCK,
			      buf + (i + 1) * VERITY_BLOCK, VERITY_BLOCK,
			      out + i * VERITY_DIGEST,
			      out + (i + 1) * VERITY_DIGEST);
	if (i < n)
		hash_block(salted, buf + i * VERITY_BLOCK,
			   out + i * VERITY_DIGEST);
}

/* Compares blk with the stored block idx of level L. */
static int
compare(const struct verity_job *j, unsigned L, uint64_t idx,
	const uint8_t *blk, uint8_t *stored, struct kerr *e)
{
	/* Within the tree, whose end pass_setup bounded. */
	uint64_t off =
	    j->hash_offset + (j->g.level_start[L] + idx) * VERITY_BLOCK;

	if (verity_read_full(j->fd, stored, VERITY_BLOCK, off, e) < 0)
		return -1;
	if (memcmp(stored, blk, VERITY_BLOCK))
		return kerr_set(e, VERITY_CHECK_NAME,
				"level %u block %llu differs", L,
				(unsigned long long)idx);
	return 0;
}

static void
fail(struct share *s)
{
	unsigned cur = __atomic_load_n(s->failed, __ATOMIC_RELAXED);

	s->rc = -1;
	while (s->id < cur &&
	       !__atomic_compare_exchange_n(s->failed, &cur, s->id, 0,
					    __ATOMIC_RELAXED, __ATOMIC_RELAXED))
		;
}

/* Level 0 block h: its data blocks hashed into s->blk, then compared. */
static int
group(struct share *s, uint64_t h)
{
	const struct verity_job *j = s->j;
	uint64_t b0 = h * VERITY_ARITY, left = j->g.data_blocks - b0;
	size_t nb = left < VERITY_ARITY ? (size_t)left : VERITY_ARITY;

	for (size_t at = 0; at < nb;) {
		size_t n = nb - at < PER_IO ? nb - at : PER_IO;

		if (verity_read_full(j->fd, s->io, n * VERITY_BLOCK,
				     (b0 + at) * VERITY_BLOCK, &s->e) < 0)
			return -1;
		hash_run(j->salted, s->io, n, s->blk + at * VERITY_DIGEST);
		at += n;
	}
	memset(s->blk + nb * VERITY_DIGEST, 0,
	       VERITY_BLOCK - nb * VERITY_DIGEST);
	return compare(j, 0, h, s->blk, s->stored, &s->e);
}

static void *
share_run(void *arg)
{
	struct share *s = arg;

	for (uint64_t h = s->first; h < s->end; h++) {
		if (__atomic_load_n(s->failed, __ATOMIC_RELAXED) < s->id)
			break;
		if (group(s, h) < 0) {
			fail(s);
			break;
		}
	}
	return NULL;
}

/*
 * Level L + 1 recomputed from the stored level L, which the pass below
 * has already proved equal to its recomputation.
 */
static int
level_up(const struct verity_job *j, unsigned L, struct kerr *e)
{
	struct verity_work *w = j->w;
	uint64_t count = j->g.level_blocks[L], idx = 0;
	size_t fill = 0;

	for (uint64_t i = 0; i < count;) {
		size_t n = count - i < PER_IO ? (size_t)(count - i) : PER_IO;
		uint64_t off =
		    j->hash_offset + (j->g.level_start[L] + i) * VERITY_BLOCK;

		if (verity_read_full(j->fd, w->io, n * VERITY_BLOCK, off, e) <
		    0)
			return -1;
		for (size_t k = 0; k < n; k++, i++) {
			hash_block(j->salted, w->io + k * VERITY_BLOCK,
				   w->level[1] + fill * VERITY_DIGEST);
			if (++fill < VERITY_ARITY)
				continue;
			if (compare(j, L + 1, idx++, w->level[1], w->stored,
				    e) < 0)
				return -1;
			fill = 0;
		}
	}
	if (!fill)
		return 0;
	memset(w->level[1] + fill * VERITY_DIGEST, 0,
	       VERITY_BLOCK - fill * VERITY_DIGEST);
	return compare(j, L + 1, idx, w->level[1], w->stored, e);
}

/* Starts shares 1.. on helper threads; a share that cannot start is 0's. */
static void
start(struct share *s, unsigned n, struct verity_work *w)
{
	for (unsigned k = 1; k < n; k++) {
		pthread_attr_t at;

		if (pthread_attr_init(&at))
			continue;
		s[k].started =
		    pthread_attr_setstack(&at, w->wk[k - 1].stack,
					  VERITY_STACK) == 0 &&
		    pthread_create(&s[k].th, &at, share_run, &s[k]) == 0;
		pthread_attr_destroy(&at);
	}
}

int
verity_mt_check(const struct verity_job *j, unsigned n,
		uint8_t root[VERITY_DIGEST], struct kerr *e)
{
	struct share s[VERITY_MAX_WORKERS];
	struct verity_work *w = j->w;
	uint64_t groups = j->g.level_blocks[0];
	unsigned failed = VERITY_MAX_WORKERS, ran = 1;

	if (n > VERITY_MAX_WORKERS)
		n = VERITY_MAX_WORKERS;
	if (n > groups)
		n = (unsigned)groups;
	memset(s, 0, sizeof(s));
	for (unsigned k = 0; k < n; k++) {
		s[k].j = j;
		s[k].id = k;
		s[k].failed = &failed;
		/* Contiguous ranges of level 0 blocks, sizes within one. */
		s[k].first = groups * k / n;
		s[k].end = groups * (k + 1) / n;
		s[k].io = k ? w->wk[k - 1].io : w->io;
		s[k].blk = k ? w->wk[k - 1].blk : w->level[0];
		s[k].stored = k ? w->wk[k - 1].stored : w->stored;
	}
	start(s, n, w);
	share_run(&s[0]);
	for (unsigned k = 1; k < n; k++)
		if (!s[k].started)
			share_run(&s[k]);
	for (unsigned k = 1; k < n; k++)
		if (s[k].started && !pthread_join(s[k].th, NULL))
			ran++;
	if (failed < n) {
		if (e)
			*e = s[failed].e;
		return -1;
	}
	for (unsigned L = 0; L + 1 < j->g.levels; L++)
		if (level_up(j, L, e) < 0)
			return -1;
	/* The top level is one block, just checked (or level 0's only). */
	if (verity_read_full(j->fd, w->stored, VERITY_BLOCK,
			     j->hash_offset +
				 j->g.level_start[j->g.levels - 1] *
				     VERITY_BLOCK,
			     e) < 0)
		return -1;
	hash_block(j->salted, w->stored, root);
	return (int)ran;
}
