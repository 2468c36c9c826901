// SPDX-License-Identifier: MIT
/* verity_check on several cores: level 0 split among threads, no heap. */
#include <pthread.h>
#include <string.h>

#include "lib/image/verity_priv.h"

#define PER_IO (VERITY_IO_SIZE / VERITY_BLOCK) /* blocks per pread */

/*
 * One thread's share of a run of level 0 blocks: of the hash blocks
 * [first, end), every step-th (the n threads take them in turn, so what
 * they read and copy stays within a few blocks of each other), each
 * recomputed from its 128 data blocks, compared with the stored one, and
 * its digest written into digests[h - base]. The digest is of the
 * RECOMPUTED block, the one the data proved: the stored block is read
 * once, into a buffer that is only compared, never hashed. The threads
 * share only *failed, the lowest block found at fault: a thread stops
 * once a block below its own has failed, since the lowest is the one
 * reported whatever the others find.
 */
struct share {
	const struct verity_job *j;
	uint64_t *failed;
	uint64_t base, first, end, bad;
	unsigned step;
	uint8_t *digests;
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

static void
fail(struct share *s, uint64_t h)
{
	uint64_t cur = __atomic_load_n(s->failed, __ATOMIC_RELAXED);

	s->rc = -1;
	s->bad = h;
	while (h < cur &&
	       !__atomic_compare_exchange_n(s->failed, &cur, h, 0,
					    __ATOMIC_RELAXED, __ATOMIC_RELAXED))
		;
}

/* Level 0 block h: recomputed into s->blk, compared, digest handed up. */
static int
group(struct share *s, uint64_t h)
{
	const struct verity_job *j = s->j;
	uint64_t b0 = h * VERITY_ARITY, left = j->g.data_blocks - b0;
	size_t nb = left < VERITY_ARITY ? (size_t)left : VERITY_ARITY;
	/* Within the tree, whose end pass_setup bounded. */
	uint64_t off =
	    j->hash_offset + (j->g.level_start[0] + h) * VERITY_BLOCK;

	const uint8_t *d;

	for (size_t at = 0; at < nb;) {
		size_t n = nb - at < PER_IO ? nb - at : PER_IO;

		d = verity_get(&j->src, s->io, n * VERITY_BLOCK,
			       (b0 + at) * VERITY_BLOCK, &s->e);
		if (!d)
			return -1;
		hash_run(j->salted, d, n, s->blk + at * VERITY_DIGEST);
		at += n;
	}
	memset(s->blk + nb * VERITY_DIGEST, 0,
	       VERITY_BLOCK - nb * VERITY_DIGEST);
	d = verity_get(&j->src, s->stored, VERITY_BLOCK, off, &s->e);
	if (!d)
		return -1;
	if (memcmp(d, s->blk, VERITY_BLOCK))
		return kerr_set(&s->e, VERITY_CHECK_NAME,
				"level 0 block %llu differs",
				(unsigned long long)h);
	hash_block(j->salted, s->blk,
		   s->digests + (h - s->base) * VERITY_DIGEST);
	return 0;
}

static void *
share_run(void *arg)
{
	struct share *s = arg;

	for (uint64_t h = s->first; h < s->end; h += s->step) {
		if (__atomic_load_n(s->failed, __ATOMIC_RELAXED) < h)
			break;
		if (group(s, h) < 0) {
			fail(s, h);
			break;
		}
	}
	return NULL;
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
verity_mt_level0(const struct verity_job *j, uint64_t base, unsigned count,
		 unsigned n, uint8_t *digests, struct kerr *e)
{
	struct share s[VERITY_MAX_WORKERS];
	struct verity_work *w = j->w;
	uint64_t failed = UINT64_MAX;
	unsigned ran = 1;

	if (n > VERITY_MAX_WORKERS)
		n = VERITY_MAX_WORKERS;
	if (n > count)
		n = count;
	if (n == 0)
		n = 1;
	memset(s, 0, sizeof(s));
	for (unsigned k = 0; k < n; k++) {
		s[k].j = j;
		s[k].failed = &failed;
		s[k].base = base;
		s[k].digests = digests;
		s[k].first = base + k;
		s[k].end = base + count;
		s[k].step = n;
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
	for (unsigned k = 0; k < n; k++)
		if (s[k].rc < 0 && s[k].bad == failed) {
			if (e)
				*e = s[k].e;
			return -1;
		}
	return (int)ran;
}
