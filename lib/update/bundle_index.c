// SPDX-License-Identifier: MIT
/* Format-2 bundles: the header block, the block index and the frame header. */
#define LZ4F_STATIC_LINKING_ONLY
#include <string.h>

#include <lz4frame.h>

#include "lib/base/bytes.h"
#include "lib/update/bundle_priv.h"

void
bundle_hdr_encode(const struct bundle_hdr *h, uint8_t blk[BUNDLE_HDR_SIZE])
{
	memset(blk, 0, BUNDLE_HDR_SIZE);
	memcpy(blk, BUNDLE_HDR_MAGIC, 8);
	le_put32(blk + 8, BUNDLE_FORMAT_2);
	le_put32(blk + 12, BUNDLE_HDR_SIZE);
	le_put32(blk + 20, BUNDLE_LZ4_BLOCK);
	le_put64(blk + 24, h->data_blocks);
	memcpy(blk + 32, h->image_digest, 32);
	le_put64(blk + 64, h->chunks);
	le_put64(blk + 72, h->index_offset);
	le_put64(blk + 80, h->index_size);
	memcpy(blk + 88, h->index_sha256, 32);
	le_put64(blk + 120, h->frame_offset);
	le_put64(blk + 128, h->frame_header_size);
	le_put64(blk + 136, h->frame_size);
	le_put64(blk + 144, h->bundle_size);
}

/* Every size the signed geometry implies must be the one written. */
static int
check_geometry(const struct bundle_hdr *h, const struct img_meta *m,
	       struct kerr *e)
{
	uint8_t d[32];
	uint64_t min, max;

	img_digest(m, d);
	if (memcmp(d, h->image_digest, 32))
		return kerr_set(e, "bundle",
				"header block is for another image");
	if (h->data_blocks != m->h.data_blocks ||
	    h->chunks != bundle_chunks(m->h.data_blocks))
		return kerr_set(e, "bundle",
				"header block: wrong block counts");
	if (h->index_offset != IMG_META_SIZE + BUNDLE_HDR_SIZE +
				   m->h.hash_blocks * IMG_BLOCK ||
	    h->index_size != h->chunks * 4 ||
	    h->frame_offset != h->index_offset + h->index_size)
		return kerr_set(e, "bundle", "header block: wrong offsets");
	min = h->frame_header_size + 5 * h->chunks + 4;
	max = h->frame_header_size + (4 + BUNDLE_LZ4_BLOCK) * h->chunks + 4;
	if (h->frame_header_size < 7 ||
	    h->frame_header_size > BUNDLE_FRAME_HDR_MAX ||
	    h->frame_size < min || h->frame_size > max ||
	    h->bundle_size != h->frame_offset + h->frame_size)
		return kerr_set(e, "bundle", "header block: wrong frame size");
	return 0;
}

int
bundle_hdr_decode(const uint8_t blk[BUNDLE_HDR_SIZE], const struct img_meta *m,
		  struct bundle_hdr *h, struct kerr *e)
{
	memset(h, 0, sizeof(*h));
	if (memcmp(blk, BUNDLE_HDR_MAGIC, 8))
		return kerr_set(e, "bundle", "no bundle header block");
	h->format = le_get32(blk + 8);
	if (h->format != BUNDLE_FORMAT_2)
		return kerr_set(e, "bundle",
				"bundle format %u: this keel reads formats 1 "
				"and 2",
				h->format);
	if (le_get32(blk + 12) != BUNDLE_HDR_SIZE || le_get32(blk + 16) ||
	    le_get32(blk + 20) != BUNDLE_LZ4_BLOCK ||
	    !bytes_zero(blk + 152, BUNDLE_HDR_SIZE - 152))
		return kerr_set(e, "bundle",
				"header block: unknown flags or fields");
	h->data_blocks = le_get64(blk + 24);
	memcpy(h->image_digest, blk + 32, 32);
	h->chunks = le_get64(blk + 64);
	h->index_offset = le_get64(blk + 72);
	h->index_size = le_get64(blk + 80);
	memcpy(h->index_sha256, blk + 88, 32);
	h->frame_offset = le_get64(blk + 120);
	h->frame_header_size = le_get64(blk + 128);
	h->frame_size = le_get64(blk + 136);
	h->bundle_size = le_get64(blk + 144);
	return check_geometry(h, m, e);
}

uint64_t
bundle_chunks(uint64_t data_blocks)
{
	return (data_blocks + BUNDLE_LZ4_DATA_BLOCKS - 1) /
	       BUNDLE_LZ4_DATA_BLOCKS;
}

uint32_t
bundle_chunk_bytes(uint64_t data_blocks, uint64_t k)
{
	uint64_t first = k * BUNDLE_LZ4_DATA_BLOCKS;
	uint64_t n = data_blocks - first < BUNDLE_LZ4_DATA_BLOCKS
			 ? data_blocks - first
			 : BUNDLE_LZ4_DATA_BLOCKS;

	return (uint32_t)(n * VERITY_BLOCK);
}

int
bundle_word_check(uint32_t word, uint64_t data_blocks, uint64_t k,
		  struct kerr *e)
{
	uint32_t size = word & ~BUNDLE_LZ4_RAW;

	if (!size || size > BUNDLE_LZ4_BLOCK ||
	    ((word & BUNDLE_LZ4_RAW) &&
	     size != bundle_chunk_bytes(data_blocks, k)))
		return kerr_set(e, "index", "lz4 block %llu: bad size word",
				(unsigned long long)k);
	return 0;
}

/*
 * The frame header of a format-2 bundle (n bytes at p, the header block's
 * size): a plain frame of independent 64 KiB blocks with neither block
 * nor content checksums (every block is checked against the tree), the
 * content size absent or right.
 */
int
bundle_frame_check(LZ4F_dctx *d, const uint8_t *p, size_t n,
		   const struct bundle_hdr *h, struct kerr *e)
{
	LZ4F_frameInfo_t fi;
	size_t hs = n;

	if (LZ4F_headerSize(p, n) != n)
		return kerr_set(e, "lz4", "frame header of the wrong size");
	if (LZ4F_isError(LZ4F_getFrameInfo(d, &fi, p, &hs)) || hs != n)
		return kerr_set(e, "lz4", "bad lz4 frame header");
	if (fi.frameType != LZ4F_frame || fi.dictID ||
	    fi.blockMode != LZ4F_blockIndependent ||
	    fi.blockSizeID != LZ4F_max64KB ||
	    fi.blockChecksumFlag != LZ4F_noBlockChecksum ||
	    fi.contentChecksumFlag != LZ4F_noContentChecksum)
		return kerr_set(e, "lz4",
				"frame must be plain, of independent 64 KiB "
				"blocks, without checksums");
	if (fi.contentSize && fi.contentSize != h->data_blocks * VERITY_BLOCK)
		return kerr_set(e, "lz4",
				"frame content size is not the image's");
	return 0;
}
