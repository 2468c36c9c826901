// SPDX-License-Identifier: MIT
/* Format-2 data: the index, then each lz4 block decoded, copied or kept. */
#define LZ4F_STATIC_LINKING_ONLY
#include <errno.h>
#include <string.h>

#include <lz4.h>
#include <lz4frame.h>

#include "lib/base/bytes.h"
#include "lib/update/bundle_priv.h"

static int
needed(const struct delta_plan *p, uint64_t k)
{
	return !p->from || (p->need[k / 64] >> (k % 64) & 1);
}

/*
 * The index: one size word per lz4 block, each possible for its block,
 * hashing to the header block's digest, and adding up with the frame
 * header and end mark to the frame's size.
 */
static int
read_index(struct bundle_work *w, struct kerr *e)
{
	struct delta_plan *p = &w->plan;
	const struct bundle_hdr *bh = &w->bh;
	uint64_t frame = bh->frame_header_size + 4;
	struct sha256 c;
	uint8_t d[32];

	sha256_init(&c);
	for (uint64_t k = 0; k < p->chunks; k += 1024) {
		uint8_t raw[4096];
		size_t n =
		    p->chunks - k < 1024 ? (size_t)(p->chunks - k) : 1024;

		if (bundle_in_take(w, raw, n * 4, "the block index", e) < 0)
			return -1;
		sha256_update(&c, raw, n * 4);
		for (size_t i = 0; i < n; i++) {
			p->word[k + i] = le_get32(raw + 4 * i);
			if (bundle_word_check(p->word[k + i], bh->data_blocks,
					      k + i, e) < 0)
				return -1;
			frame += 4 + (p->word[k + i] & ~BUNDLE_LZ4_RAW);
		}
	}
	sha256_final(&c, d);
	if (memcmp(d, bh->index_sha256, 32))
		return kerr_set(e, "index", "does not match its digest");
	if (frame != bh->frame_size)
		return kerr_set(e, "index", "does not add up to the frame");
	return 0;
}

/* The frame header, checked with a decoder in the work arena. */
static int
frame_header(struct bundle_work *w, struct kerr *e)
{
	uint8_t hdr[BUNDLE_FRAME_HDR_MAX];
	LZ4F_CustomMem mem = {bundle_arena_alloc, NULL, bundle_arena_free, w};
	LZ4F_dctx *d;
	size_t n = (size_t)w->bh.frame_header_size;
	int r;

	if (bundle_in_take(w, hdr, n, "the lz4 frame header", e) < 0)
		return -1;
	w->arena_used = 0;
	d = LZ4F_createDecompressionContext_advanced(mem, LZ4F_VERSION);
	if (!d)
		return kerr_set(e, "lz4", "no decoder context");
	r = bundle_frame_check(d, hdr, n, &w->bh, e);
	LZ4F_freeDecompressionContext(d);
	return r;
}

/* lz4 block k from the input into dst (bytes long). */
static int
decode(struct bundle_work *w, uint64_t k, uint8_t *dst, uint32_t bytes,
       struct kerr *e)
{
	uint8_t wb[4];
	uint32_t word, size;
	const char *src;

	if (bundle_in_take(w, wb, 4, "the data", e) < 0)
		return -1;
	word = le_get32(wb);
	if (word != w->plan.word[k])
		return kerr_set(e, "lz4", "block %llu is not the index's",
				(unsigned long long)k);
	size = word & ~BUNDLE_LZ4_RAW;
	if (bundle_in_need(w, size, e) < 0)
		return -1;
	if (w->in_len - w->in_pos < size)
		return kerr_set(e, "truncated", "bundle ends inside the data");
	src = (const char *)w->in + w->in_pos;
	if (word & BUNDLE_LZ4_RAW)
		memcpy(dst, src, size);
	else if (LZ4_decompress_safe(src, (char *)dst, (int)size, (int)bytes) !=
		 (int)bytes)
		return kerr_set(e, "lz4",
				"block %llu does not decode to %u "
				"bytes",
				(unsigned long long)k, bytes);
	w->in_pos += size;
	w->stats.fetched += bytes / VERITY_BLOCK;
	return 0;
}

/* The data blocks of lz4 block k from the slot (kept) or `from`. */
static int
copy(struct bundle_work *w, struct bundle_job *j, uint64_t k, uint8_t *dst,
     uint32_t bytes, struct kerr *e)
{
	const uint32_t *from = w->plan.from;
	uint64_t i0 = k * BUNDLE_LZ4_DATA_BLOCKS, n = bytes / VERITY_BLOCK;

	for (uint64_t a = 0, b; a < n; a = b) {
		uint64_t i = i0 + a, at = i - j->first;
		int r;

		if (from[i] == DELTA_KEEP) {
			j->keep[at / 64] |= 1ull << (at % 64);
			w->stats.kept++;
			b = a + 1;
			continue;
		}
		for (b = a + 1; b < n && from[i0 + b] == from[i] + (b - a); b++)
			;
		r = io_pread_full(w->plan.src, dst + a * VERITY_BLOCK,
				  (size_t)(b - a) * VERITY_BLOCK,
				  (uint64_t)from[i] * VERITY_BLOCK, NULL);
		if (r)
			return kerr_set(e, "delta",
					"reading block %u of the "
					"source: %s",
					from[i], io_strerror(r));
		w->stats.copied += b - a;
	}
	return 0;
}

/* Fills job j (n blocks from first), one lz4 block at a time. */
static int
fill(struct bundle_work *w, const struct img_header *h, struct bundle_job *j,
     struct kerr *e)
{
	for (uint64_t k = j->first / BUNDLE_LZ4_DATA_BLOCKS;
	     k * BUNDLE_LZ4_DATA_BLOCKS < j->first + j->n; k++) {
		uint32_t bytes = bundle_chunk_bytes(h->data_blocks, k);
		uint8_t *dst =
		    j->buf +
		    (k * BUNDLE_LZ4_DATA_BLOCKS - j->first) * VERITY_BLOCK;
		int r = needed(&w->plan, k) ? decode(w, k, dst, bytes, e)
					    : copy(w, j, k, dst, bytes, e);

		if (r < 0)
			return -1;
	}
	return 0;
}

static int
data(struct bundle_work *w, const struct img_header *h,
     const struct bundle_hooks *hooks, struct kerr *e)
{
	uint8_t end[4];

	for (uint64_t i = 0; i < h->data_blocks; i += BUNDLE_CHUNK_BLOCKS) {
		struct bundle_job *j = bundle_next_job(w, hooks);

		if (!j)
			return -1;
		j->op = BUNDLE_JOB_WRITE;
		j->first = i;
		j->n = h->data_blocks - i < BUNDLE_CHUNK_BLOCKS
			   ? (size_t)(h->data_blocks - i)
			   : BUNDLE_CHUNK_BLOCKS;
		if (fill(w, h, j, e) < 0 ||
		    bundle_tree_digests(&w->tree, i, j->n, j->want, e) < 0)
			return -1;
		bundle_pool_submit(w);
	}
	/* A whole frame ends with its end mark; a delta's last range ends
	 * with its last needed block. Nothing may follow either. */
	if (!w->plan.from) {
		if (bundle_in_take(w, end, 4, "the lz4 end mark", e) < 0)
			return -1;
		if (le_get32(end))
			return kerr_set(e, "lz4", "no end mark after the data");
	}
	if (bundle_in_need(w, 1, e) < 0)
		return -1;
	if (w->in_len != w->in_pos)
		return kerr_set(e, "trailer", "bytes after the lz4 frame");
	return 0;
}

int
bundle_v2_data(struct bundle_work *w, int fd, const struct img_header *h,
	       const struct bundle_hooks *hooks, struct kerr *e)
{
	int delta = w->src.want && w->src.from >= 0;
	int r;

	if (delta_map(&w->plan, h, delta, e) < 0)
		return -1;
	w->plan.first = w->bh.frame_offset + w->bh.frame_header_size;
	r = read_index(w, e) < 0 || frame_header(w, e) < 0 ? -1 : 0;
	if (r == 0 && delta) {
		r = delta_plan(w, fd, w->src.from, h, e);
		w->stats.delta = 1;
		delta_ranges(&w->plan, &w->ranges);
		if (r == 0)
			r = bundle_want(w, e);
	}
	if (r == 0) {
		bundle_pool_phase(w, fd, &w->tree.salted);
		r = bundle_drain(w, hooks, data(w, h, hooks, e), e);
	}
	delta_unmap(&w->plan);
	return r;
}
