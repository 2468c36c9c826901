// SPDX-License-Identifier: MIT
/* The authenticated path from the signed root down to each block's digest. */
#include <errno.h>
#include <stddef.h>
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

/*
 * Reads block j of level L from the slot into buf. Level 0, which the
 * installer walks in order, is read BUNDLE_AHEAD blocks at a time into
 * t->ahead and copied from there: one read instead of one per block.
 * Nothing read here is trusted: the caller authenticates buf.
 */
static int
load(struct bundle_tree *t, unsigned L, uint64_t j, uint8_t *buf,
     struct kerr *e)
{
	uint64_t off =
	    t->hash_offset + (t->g.level_start[L] + j) * VERITY_BLOCK;
	uint64_t n = 1, at;
	uint8_t *to = buf;
	int r;

	if (L == 0 && j - t->ahead_first < t->ahead_n) {
		memcpy(buf, t->ahead[j - t->ahead_first], VERITY_BLOCK);
		return 0;
	}
	if (L == 0) {
		n = t->g.level_blocks[0] - j;
		n = n < BUNDLE_AHEAD ? n : BUNDLE_AHEAD;
		to = t->ahead[0];
		t->ahead_n = 0;
	}
	r = io_pread_full(t->fd, to, n * VERITY_BLOCK, off, &at);
	if (r)
		return kerr_set(e, "tree",
				"reading level %u block %llu back: %s", L,
				(unsigned long long)j, io_strerror(r));
	if (L == 0) {
		t->ahead_first = j;
		t->ahead_n = n;
		memcpy(buf, t->ahead[0], VERITY_BLOCK);
	}
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
	/* Not the block buffers: each is filled before it is read, and a
	 * page first touched costs more than the 160 KiB it would clear. */
	memset(t, 0, offsetof(struct bundle_tree, blk));
	t->ahead_first = t->ahead_n = 0;
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

int
bundle_tree_digests(struct bundle_tree *t, uint64_t first, size_t n,
		    uint8_t want[][VERITY_DIGEST], struct kerr *e)
{
	for (size_t k = 0; k < n; k++) {
		const uint8_t *d;

		if (first + k >= t->g.data_blocks)
			return kerr_set(e, "block",
					"block %llu past the %llu of the image",
					(unsigned long long)(first + k),
					(unsigned long long)t->g.data_blocks);
		d = expected(t, 0, first + k, e);
		if (!d)
			return -1;
		memcpy(want[k], d, VERITY_DIGEST);
	}
	return 0;
}

/*
 * Blocks are hashed two at a time, side by side (SHA-NI fills one's
 * latency with the other's rounds).
 */
int
bundle_check_run(const struct sha256 *salted, uint64_t first,
		 const uint8_t *buf, size_t n,
		 const uint8_t want[][VERITY_DIGEST], struct kerr *e)
{
	uint8_t d[2][VERITY_DIGEST];

	for (size_t i = 0; i < n; i += 2) {
		const uint8_t *b = buf + i * VERITY_BLOCK;
		size_t two = n - i >= 2;

		if (two) {
			sha256_final2(salted, b, b + VERITY_BLOCK, VERITY_BLOCK,
				      d[0], d[1]);
		} else {
			struct sha256 c = *salted;

			sha256_update(&c, b, VERITY_BLOCK);
			sha256_final(&c, d[0]);
		}
		for (size_t k = 0; k <= two; k++)
			if (memcmp(d[k], want[i + k], VERITY_DIGEST)) {
				kerr_set(e, "block",
					 "block %llu does not match the signed "
					 "tree",
					 (unsigned long long)(first + i + k));
				return 0;
			}
	}
	return 1;
}
