// SPDX-License-Identifier: MIT
/* Writes a bundle (format 1 or 2) from a slot image: build machines only. */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <lz4.h>
#include <lz4frame.h>
#include <lz4hc.h>

#include "lib/base/bytes.h"
#include "lib/update/bundle_priv.h"

/* Writes all of len bytes to the output, appending. */
static int
out_put(struct bundle_out *o, const void *p, size_t len, struct kerr *e)
{
	const uint8_t *b = p;

	while (len) {
		ssize_t n = write(o->fd, b, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return kerr_set(e, "write", "writing the bundle: %s",
					n < 0 ? kerr_strerror(errno)
					      : "no progress");
		b += n;
		len -= (size_t)n;
		o->at += (uint64_t)n;
	}
	return 0;
}

/* Copies [off, off + len) of the image to the output as it is. */
static int
copy_raw(struct bundle_out *o, int img, uint64_t off, uint64_t len,
	 struct kerr *e)
{
	while (len) {
		size_t n = len < sizeof(o->in) ? (size_t)len : sizeof(o->in);

		if (io_pread_e(img, o->in, n, off, "read", "image at", e) < 0 ||
		    out_put(o, o->in, n, e) < 0)
			return -1;
		off += n;
		len -= n;
	}
	return 0;
}

/* The frame header for data_bytes of content, into hdr; its size. */
static int
frame_header(uint64_t data_bytes, uint8_t *hdr, size_t cap, struct kerr *e)
{
	LZ4F_preferences_t pr = {0};
	LZ4F_cctx *c;
	size_t r;

	pr.frameInfo.blockSizeID = LZ4F_max64KB;
	pr.frameInfo.blockMode = LZ4F_blockIndependent;
	pr.frameInfo.contentSize = data_bytes;
	if (LZ4F_isError(LZ4F_createCompressionContext(&c, LZ4F_VERSION)))
		return kerr_set(e, "lz4", "no compression context");
	r = LZ4F_compressBegin(c, hdr, cap, &pr);
	LZ4F_freeCompressionContext(c);
	if (LZ4F_isError(r))
		return kerr_set(e, "lz4", "%s", LZ4F_getErrorName(r));
	return (int)r;
}

/* One lz4 block of the frame: its size word and its bytes. */
static int
put_block(struct bundle_out *o, const uint8_t *src, uint32_t bytes, int level,
	  uint32_t *word, struct kerr *e)
{
	int n;

	if (level >= 3)
		n = LZ4_compress_HC((const char *)src, (char *)o->z + 4,
				    (int)bytes, (int)sizeof(o->z) - 4, level);
	else
		n = LZ4_compress_default((const char *)src, (char *)o->z + 4,
					 (int)bytes, (int)sizeof(o->z) - 4);
	/* What does not shrink is stored as it is. */
	if (n <= 0 || (uint32_t)n >= bytes) {
		*word = bytes | BUNDLE_LZ4_RAW;
		memcpy(o->z + 4, src, bytes);
		n = (int)bytes;
	} else {
		*word = (uint32_t)n;
	}
	le_put32(o->z, *word);
	return out_put(o, o->z, (size_t)n + 4, e);
}

/* The lz4 frame of the image's data; each block's word into words. */
static int
put_frame(struct bundle_out *o, int img, const struct img_header *h, int level,
	  uint32_t *words, uint64_t *hdr_size, struct kerr *e)
{
	uint64_t bytes = h->data_blocks * VERITY_BLOCK, k = 0;
	uint8_t hdr[LZ4F_HEADER_SIZE_MAX], end[4] = {0};
	int hn = frame_header(bytes, hdr, sizeof(hdr), e);

	if (hn < 0 || out_put(o, hdr, (size_t)hn, e) < 0)
		return -1;
	*hdr_size = (uint64_t)hn;
	for (uint64_t off = 0; off < bytes; off += sizeof(o->in)) {
		size_t n = bytes - off < sizeof(o->in) ? (size_t)(bytes - off)
						       : sizeof(o->in);

		if (io_pread_e(img, o->in, n, off, "read", "image at", e) < 0)
			return -1;
		for (size_t at = 0; at < n; at += BUNDLE_LZ4_BLOCK, k++) {
			uint32_t b = bundle_chunk_bytes(h->data_blocks, k), w;

			if (put_block(o, o->in + at, b, level, &w, e) < 0)
				return -1;
			if (words)
				words[k] = w;
		}
	}
	return out_put(o, end, sizeof(end), e);
}

int
bundle_write(struct bundle_out *o, int img, const struct img_meta *m,
	     unsigned format, int level, uint32_t *words, struct kerr *e)
{
	const struct img_header *h = &m->h;
	struct bundle_hdr bh = {0};
	uint8_t blk[BUNDLE_HDR_SIZE];
	struct sha256 c;
	uint64_t fh;

	o->at = 0;
	if (format != BUNDLE_FORMAT_1 && format != BUNDLE_FORMAT_2)
		return kerr_set(e, "bundle", "no bundle format %u", format);
	if (copy_raw(o, img, h->meta_offset, IMG_META_SIZE, e) < 0)
		return -1;
	if (format == BUNDLE_FORMAT_1)
		return copy_raw(o, img, h->hash_offset,
				h->hash_blocks * IMG_BLOCK, e) < 0 ||
			       put_frame(o, img, h, level, NULL, &fh, e) < 0
			   ? -1
			   : 0;
	/* Format 2: the header block and the index are written last, in
	 * the places kept for them, once the block sizes are known. */
	bh.data_blocks = h->data_blocks;
	bh.chunks = bundle_chunks(h->data_blocks);
	bh.index_offset = 2 * IMG_BLOCK + h->hash_blocks * IMG_BLOCK;
	bh.index_size = bh.chunks * 4;
	bh.frame_offset = bh.index_offset + bh.index_size;
	img_digest(m, bh.image_digest);
	memset(blk, 0, sizeof(blk));
	if (out_put(o, blk, sizeof(blk), e) < 0 ||
	    copy_raw(o, img, h->hash_offset, h->hash_blocks * IMG_BLOCK, e) <
		0 ||
	    lseek(o->fd, (off_t)bh.frame_offset, SEEK_SET) < 0)
		return kerr_set(e, "write", "the bundle must be a file: %s",
				kerr_strerror(errno));
	o->at = bh.frame_offset;
	if (put_frame(o, img, h, level, words, &bh.frame_header_size, e) < 0)
		return -1;
	bh.frame_size = o->at - bh.frame_offset;
	bh.bundle_size = o->at;
	sha256_init(&c);
	for (uint64_t k = 0; k < bh.chunks; k++) {
		uint8_t w[4];

		le_put32(w, words[k]);
		sha256_update(&c, w, 4);
		le_put32((uint8_t *)&words[k], words[k]);
	}
	sha256_final(&c, bh.index_sha256);
	bundle_hdr_encode(&bh, blk);
	if (io_pwrite_e(o->fd, words, (size_t)bh.index_size, bh.index_offset,
			"write", "bundle at", e) < 0 ||
	    io_pwrite_e(o->fd, blk, sizeof(blk), IMG_META_SIZE, "write",
			"bundle at", e) < 0)
		return -1;
	return 0;
}
