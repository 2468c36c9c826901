// SPDX-License-Identifier: MIT
/* The authenticated path from the signed root down to each block's digest. */
#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <unistd.h>

#include "lib/update/bundle_priv.h"

#define NONE UINT64_MAX

static void
salted_hash(const struct bundle_tree *t, const uint8_t *block, uint8_t *out)
{
	struct sha256 c = t->salted;

	sha256_update(&c, block, VERITY_BLOCK);
	sha256_final(&c, out);
}

static int
load(const struct bundle_tree *t, unsigned L, uint64_t j, uint8_t *buf,
     struct kerr *e)
{
	uint64_t off =
	    t->hash_offset + (t->g.level_start[L] + j) * VERITY_BLOCK;
	uint64_t at;
	int r = io_pread_full(t->fd, buf, VERITY_BLOCK, off, &at);

	if (r)
		return kerr_set(e, "tree",
				"reading level %u block %llu back: %s", L,
				(unsigned long long)j, io_strerror(r));
	return 0;
}

/*
 * Makes blk[P] hold block j of level P, authenticated: every level from
 * the lowest one still cached upward is reloaded top-down, each block
 * hashed and compared with its parent's entry (the top with the root)
 * before it is used. A loop over at most g.levels steps; no recursion.
 */
static int
path_to(struct bundle_tree *t, unsigned P, uint64_t j, struct kerr *e)
{
	uint64_t need[VERITY_MAX_LEVELS];
	uint8_t d[VERITY_DIGEST];
	unsigned top = P;

	need[P] = j;
	while (top < t->g.levels && t->cur[top] != need[top]) {
		if (top + 1 < t->g.levels)
			need[top + 1] = need[top] / VERITY_ARITY;
		top++;
	}
	for (unsigned L = top; L-- > P;) {
		const uint8_t *want = t->root;

		if (L + 1 < t->g.levels)
			want = t->blk[L + 1] +
			       (need[L] % VERITY_ARITY) * VERITY_DIGEST;
		t->cur[L] = NONE;
		if (load(t, L, need[L], t->blk[L], e) < 0)
			return -1;
		salted_hash(t, t->blk[L], d);
		if (memcmp(d, want, VERITY_DIGEST))
			return kerr_set(e, "tree",
					"level %u block %llu changed "
					"in the slot after it was checked",
					L, (unsigned long long)need[L]);
		t->cur[L] = need[L];
	}
	return 0;
}

/* The checked digest of item i of the level below P (levels: the root). */
static const uint8_t *
expected(struct bundle_tree *t, unsigned P, uint64_t i, struct kerr *e)
{
	if (P == t->g.levels)
		return i == 0 ? t->root : NULL;
	if (path_to(t, P, i / VERITY_ARITY, e) < 0)
		return NULL;
	return t->blk[P] + (i % VERITY_ARITY) * VERITY_DIGEST;
}

int
bundle_tree_init(struct bundle_tree *t, int fd, const struct img_header *h,
		 struct kerr *e)
{
	memset(t, 0, sizeof(*t));
	t->fd = fd;
	t->hash_offset = h->hash_offset;
	if (verity_geometry(h->data_blocks, &t->g) < 0 ||
	    t->g.tree_blocks != h->hash_blocks)
		return kerr_set(e, "tree", "geometry of %llu data blocks",
				(unsigned long long)h->data_blocks);
	if (h->salt_len > VERITY_MAX_SALT)
		return kerr_set(e, "tree", "salt too long");
	memcpy(t->root, h->root, VERITY_DIGEST);
	sha256_init(&t->salted);
	if (h->salt_len)
		sha256_update(&t->salted, h->salt, h->salt_len);
	for (unsigned L = 0; L < VERITY_MAX_LEVELS; L++)
		t->cur[L] = NONE;
	return 0;
}

int
bundle_tree_check_node(struct bundle_tree *t, unsigned L, uint64_t j,
		       const uint8_t block[VERITY_BLOCK], struct kerr *e)
{
	const uint8_t *want;
	uint8_t d[VERITY_DIGEST];

	if (L >= t->g.levels || j >= t->g.level_blocks[L]) {
		kerr_set(e, "tree", "no block %llu at level %u",
			 (unsigned long long)j, L);
		return 0;
	}
	want = expected(t, L + 1, j, e);
	if (!want)
		return 0;
	salted_hash(t, block, d);
	if (memcmp(d, want, VERITY_DIGEST)) {
		if (L + 1 == t->g.levels)
			kerr_set(e, "tree",
				 "top block does not match the "
				 "signed root hash");
		else
			kerr_set(e, "tree",
				 "level %u block %llu does not "
				 "match the signed tree",
				 L, (unsigned long long)j);
		return 0;
	}
	return 1;
}

int
bundle_tree_check_data(struct bundle_tree *t, uint64_t i,
		       const uint8_t block[VERITY_BLOCK], struct kerr *e)
{
	const uint8_t *want;
	uint8_t d[VERITY_DIGEST];

	if (i >= t->g.data_blocks) {
		kerr_set(e, "block", "block %llu past the %llu of the image",
			 (unsigned long long)i,
			 (unsigned long long)t->g.data_blocks);
		return 0;
	}
	want = expected(t, 0, i, e);
	if (!want)
		return 0;
	salted_hash(t, block, d);
	if (memcmp(d, want, VERITY_DIGEST)) {
		kerr_set(e, "block",
			 "block %llu does not match the signed "
			 "tree",
			 (unsigned long long)i);
		return 0;
	}
	return 1;
}

/*
 * Blocks i and i+1 when their digests share one level-0 hash block: both
 * hashed side by side (SHA-NI fills one's latency with the other's
 * rounds). 1 if both match the signed tree.
 */
static int
check_pair(struct bundle_tree *t, uint64_t i, const uint8_t *blocks,
	   struct kerr *e)
{
	uint8_t d[2][VERITY_DIGEST];
	const uint8_t *want;

	if (i + 1 >= t->g.data_blocks || (i + 1) % VERITY_ARITY == 0)
		return bundle_tree_check_data(t, i, blocks, e) == 1 &&
		       bundle_tree_check_data(t, i + 1, blocks + VERITY_BLOCK,
					      e) == 1;
	want = expected(t, 0, i, e);
	if (!want)
		return 0;
	sha256_final2(&t->salted, blocks, blocks + VERITY_BLOCK, VERITY_BLOCK,
		      d[0], d[1]);
	for (int k = 0; k < 2; k++)
		if (memcmp(d[k], want + k * VERITY_DIGEST, VERITY_DIGEST)) {
			kerr_set(e, "block",
				 "block %llu does not match the signed tree",
				 (unsigned long long)(i + (uint64_t)k));
			return 0;
		}
	return 1;
}

/* One half of bundle_check_blocks' work. */
struct half {
	struct bundle_tree *t;
	const uint8_t *buf;
	uint64_t first;
	size_t n;
	int ok;
	struct kerr e;
};

static void *
half_run(void *arg)
{
	struct half *h = arg;

	size_t i = 0;

	h->ok = 1;
	for (; i + 1 < h->n && h->ok; i += 2)
		h->ok = check_pair(h->t, h->first + i,
				   h->buf + i * VERITY_BLOCK, &h->e);
	if (i < h->n && h->ok)
		h->ok = bundle_tree_check_data(h->t, h->first + i,
					       h->buf + i * VERITY_BLOCK,
					       &h->e) == 1;
	return NULL;
}

int
bundle_check_blocks(struct bundle_work *w, uint64_t first, const uint8_t *buf,
		    size_t n, struct kerr *e)
{
	struct half a = {&w->tree, buf, first, n / 2, 0, {0}};
	struct half b = {
	    &w->tree2, buf + n / 2 * VERITY_BLOCK, first + n / 2, n - n / 2, 0,
	    {0}};
	pthread_attr_t at;
	pthread_t th;
	int two = 0;

	/* No thread, no heap: the helper runs on the caller's stack area. */
	if (n >= 16 && pthread_attr_init(&at) == 0) {
		two = pthread_attr_setstack(&at, w->stack, sizeof(w->stack)) ==
			  0 &&
		      pthread_create(&th, &at, half_run, &b) == 0;
		pthread_attr_destroy(&at);
	}
	if (!two)
		a.n = n;
	half_run(&a);
	if (two)
		pthread_join(th, NULL);
	if (!a.ok || (two && !b.ok)) {
		if (e)
			*e = !a.ok ? a.e : b.e;
		return 0;
	}
	return 1;
}
