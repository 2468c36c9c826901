// SPDX-License-Identifier: MIT
/* Delta installs: which blocks the slot or another image already hold. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/update/bundle_priv.h"

/*
 * Blocks are matched by their digest under the NEW image's salt: every
 * block of `from` is hashed with it, so images built with different
 * salts still share their unchanged blocks, and nothing is trusted but
 * the new signed tree (each copied block is checked against it before it
 * is written, like any other). The table holds the first 8 bytes of each
 * digest; the full digest is what the check compares.
 */
struct table {
	uint64_t *key;
	uint32_t *val; /* block of `from` + 1; 0: empty */
	uint64_t mask;
	void *map;
	size_t len;
};

static void *
map(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

int
delta_map(struct delta_plan *p, const struct img_header *h, int delta,
	  struct kerr *e)
{
	uint64_t chunks = bundle_chunks(h->data_blocks);
	size_t words = ((size_t)chunks * 4 + 7) & ~(size_t)7;
	size_t need = (size_t)(chunks + 63) / 64 * 8;
	size_t from = delta ? (size_t)h->data_blocks * 4 : 0;

	memset(p, 0, sizeof(*p));
	p->src = -1;
	p->chunks = chunks;
	if (h->data_blocks >= DELTA_FROM_MAX)
		return kerr_set(e, "delta", "image too large");
	p->map_len = (words + need + from + 4095) & ~(size_t)4095;
	p->map = map(p->map_len);
	if (!p->map)
		return kerr_set(e, "delta", "mapping %zu bytes: %s", p->map_len,
				kerr_strerror(errno));
	p->word = p->map;
	p->need = (uint64_t *)((uint8_t *)p->map + words);
	p->from = delta ? (uint32_t *)((uint8_t *)p->need + need) : NULL;
	return 0;
}

void
delta_unmap(struct delta_plan *p)
{
	if (p->map)
		munmap(p->map, p->map_len);
	memset(p, 0, sizeof(*p));
	p->src = -1;
}

static void
put(struct table *t, const uint8_t d[VERITY_DIGEST], uint32_t block)
{
	uint64_t k, i;

	memcpy(&k, d, 8);
	for (i = k & t->mask; t->val[i]; i = (i + 1) & t->mask)
		if (t->key[i] == k)
			return; /* the first of equal blocks is enough */
	t->key[i] = k;
	t->val[i] = block + 1;
}

/* The block of `from` whose digest starts like d, or DELTA_FETCH. */
static uint32_t
get(const struct table *t, const uint8_t d[VERITY_DIGEST])
{
	uint64_t k, i;

	if (!t->map)
		return DELTA_FETCH;
	memcpy(&k, d, 8);
	for (i = k & t->mask; t->val[i]; i = (i + 1) & t->mask)
		if (t->key[i] == k)
			return t->val[i] - 1;
	return DELTA_FETCH;
}

/* Digests of n blocks at buf under the salted context s. */
static void
digests(const struct sha256 *s, const uint8_t *buf, size_t n,
	uint8_t out[][VERITY_DIGEST])
{
	for (size_t i = 0; i < n; i += 2) {
		const uint8_t *b = buf + i * VERITY_BLOCK;

		if (n - i >= 2) {
			sha256_final2(s, b, b + VERITY_BLOCK, VERITY_BLOCK,
				      out[i], out[i + 1]);
		} else {
			struct sha256 c = *s;

			sha256_update(&c, b, VERITY_BLOCK);
			sha256_final(&c, out[i]);
		}
	}
}

/* How many blocks of `from` to index: its image's data, else all of it. */
static uint64_t
from_blocks(int from)
{
	struct img_meta m;
	struct stat st;
	uint64_t size = 0;

	if (img_read(from, &m, NULL) == 0)
		return m.h.data_blocks;
	if (fstat(from, &st) == 0 && S_ISREG(st.st_mode))
		size = (uint64_t)st.st_size;
	else
		img_slot_size(from, &size, NULL);
	return size / VERITY_BLOCK;
}

/* The table of every block of `from`, hashed with the new salt. */
static int
index_from(struct bundle_work *w, int from, struct table *t, struct kerr *e)
{
	uint64_t n = from_blocks(from), cap = 1024;
	uint8_t *buf = w->buf[0];
	uint8_t(*d)[VERITY_DIGEST] = w->job[0].want;

	if (n >= DELTA_FROM_MAX)
		n = DELTA_FROM_MAX - 1;
	while (cap < 2 * n)
		cap *= 2;
	t->len = (size_t)cap * 12;
	t->map = map(t->len);
	if (!t->map)
		return kerr_set(e, "delta", "mapping the block table: %s",
				kerr_strerror(errno));
	t->key = t->map;
	t->val = (uint32_t *)(t->key + cap);
	t->mask = cap - 1;
	posix_fadvise(from, 0, 0, POSIX_FADV_SEQUENTIAL);
	for (uint64_t i = 0; i < n; i += BUNDLE_CHUNK_BLOCKS) {
		size_t k = n - i < BUNDLE_CHUNK_BLOCKS ? (size_t)(n - i)
						       : BUNDLE_CHUNK_BLOCKS;
		int r = io_pread_full(from, buf, k * VERITY_BLOCK,
				      i * VERITY_BLOCK, NULL);

		if (r == -ENODATA)
			break; /* a file shorter than its claim: what is there
				*/
		if (r)
			return kerr_set(e, "delta", "reading the source: %s",
					io_strerror(r));
		digests(&w->tree.salted, buf, k, d);
		for (size_t j = 0; j < k; j++)
			put(t, d[j], (uint32_t)(i + j));
	}
	return 0;
}

/* One chunk of the new image: kept, copied, or its lz4 block fetched. */
static int
plan_chunk(struct bundle_work *w, int fd, const struct table *t, uint64_t i0,
	   size_t n, struct kerr *e)
{
	struct delta_plan *p = &w->plan;
	uint8_t(*want)[VERITY_DIGEST] = w->job[0].want;
	uint8_t(*have)[VERITY_DIGEST] = w->job[1].want;
	uint8_t *buf = w->buf[1];
	int in_place;

	if (bundle_tree_digests(&w->tree, i0, n, want, e) < 0)
		return -1;
	/* The slot's own blocks at their places (a former or cut install). */
	in_place = io_pread_full(fd, buf, n * VERITY_BLOCK, i0 * VERITY_BLOCK,
				 NULL) == 0;
	if (in_place)
		digests(&w->tree.salted, buf, n, have);
	for (size_t j = 0; j < n; j++) {
		uint64_t i = i0 + j;

		if (in_place && !memcmp(have[j], want[j], VERITY_DIGEST))
			p->from[i] = DELTA_KEEP;
		else
			p->from[i] = get(t, want[j]);
		if (p->from[i] == DELTA_FETCH) {
			uint64_t k = i / BUNDLE_LZ4_DATA_BLOCKS;

			p->need[k / 64] |= 1ull << (k % 64);
		}
	}
	return 0;
}

int
delta_plan(struct bundle_work *w, int fd, int from, const struct img_header *h,
	   struct kerr *e)
{
	struct delta_plan *p = &w->plan;
	struct table t = {0};
	int r = 0;

	p->src = from;
	if (from >= 0)
		r = index_from(w, from, &t, e);
	for (uint64_t i = 0; r == 0 && i < h->data_blocks;
	     i += BUNDLE_CHUNK_BLOCKS) {
		size_t n = h->data_blocks - i < BUNDLE_CHUNK_BLOCKS
			       ? (size_t)(h->data_blocks - i)
			       : BUNDLE_CHUNK_BLOCKS;

		r = plan_chunk(w, fd, &t, i, n, e);
	}
	if (t.map)
		munmap(t.map, t.len);
	if (r < 0)
		return -1;
	p->fetch = 0;
	for (uint64_t k = 0; k < p->chunks; k++)
		if (p->need[k / 64] >> (k % 64) & 1)
			p->fetch += 4 + (p->word[k] & ~BUNDLE_LZ4_RAW);
	return 0;
}

/* Runs of adjacent lz4 blocks to fetch, as bundle byte ranges. */
static int
next_range(struct bundle_ranges *r, uint64_t *off, uint64_t *len,
	   struct kerr *e)
{
	struct delta_plan *p = r->plan;
	uint64_t k = r->at, start;

	/* r->off: the bundle offset of lz4 block r->at */
	while (k < p->chunks && !(p->need[k / 64] >> (k % 64) & 1)) {
		r->off += 4 + (p->word[k] & ~BUNDLE_LZ4_RAW);
		k++;
	}
	if (k == p->chunks) {
		r->at = k;
		return 0;
	}
	start = r->off;
	while (k < p->chunks && (p->need[k / 64] >> (k % 64) & 1)) {
		r->off += 4 + (p->word[k] & ~BUNDLE_LZ4_RAW);
		k++;
	}
	r->at = k;
	*off = start;
	*len = r->off - start;
	return 1;
}

void
delta_ranges(struct delta_plan *p, struct bundle_ranges *r)
{
	memset(r, 0, sizeof(*r));
	r->next = next_range;
	r->plan = p;
	r->off = p->first;
}
