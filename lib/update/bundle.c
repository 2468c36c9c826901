// SPDX-License-Identifier: MIT
/* The streaming bundle installer: every check first, then block by block. */
#define _GNU_SOURCE /* O_DIRECT */
#define LZ4F_STATIC_LINKING_ONLY
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <lz4frame.h>

#include "lib/update/bundle_priv.h"

/* --- writes to the slot ------------------------------------------------ */

/*
 * The first write: zero the footer at the slot's end, the metadata block
 * the old footer points to (when it makes sense) and the new image's
 * metadata block, then fsync. From here on the slot has no metadata, so
 * neither keel-init nor keel image verify takes a half-written slot for
 * an image; the metadata comes back only as the very last write.
 */
static int
wipe_meta(int fd, uint64_t size, const struct img_header *h, uint8_t *zero,
	  struct kerr *e)
{
	uint8_t f[IMG_FOOTER_SIZE];
	uint64_t old = UINT64_MAX;

	if (size >= IMG_META_SIZE &&
	    pread(fd, f, sizeof(f), (off_t)(size - sizeof(f))) ==
		(ssize_t)sizeof(f) &&
	    !memcmp(f, "KEELFTR1", 8)) {
		old = 0;
		for (int i = 7; i >= 0; i--)
			old = old << 8 | f[8 + i];
	}
	memset(zero, 0, IMG_META_SIZE);
	if (bundle_pwrite(fd, zero, IMG_FOOTER_SIZE, size - IMG_FOOTER_SIZE, e))
		return -1;
	if (old % IMG_BLOCK == 0 && old <= size - IMG_META_SIZE &&
	    bundle_pwrite(fd, zero, IMG_META_SIZE, old, e) < 0)
		return -1;
	if (bundle_pwrite(fd, zero, IMG_META_SIZE, h->meta_offset, e) < 0)
		return -1;
	return bundle_slot_sync(fd, e);
}

/* --- the tree ---------------------------------------------------------- */

/* Writes the n tree blocks gathered in w->buf[0], the first at off. */
static int
tree_put(struct bundle_work *w, int fd, const struct bundle_hooks *hooks,
	 uint64_t off, size_t n, struct kerr *e)
{
	if (n && bundle_pwrite(fd, w->buf[0], n * VERITY_BLOCK, off, e) < 0)
		return -1;
	w->sum_written += bundle_sum(w->buf[0], n, off / VERITY_BLOCK);
	bundle_progress(w, hooks, n * VERITY_BLOCK);
	return 0;
}

/*
 * Top level first, as in the slot: each block checked, then written, in
 * runs of up to BUNDLE_CHUNK_BLOCKS. A level is all in the slot before
 * the first block of the level below is checked against it (its entries
 * are read back from there).
 */
static int
copy_tree(struct bundle_work *w, int fd, const struct bundle_hooks *hooks,
	  struct kerr *e)
{
	struct bundle_tree *t = &w->tree;

	for (unsigned L = t->g.levels; L-- > 0;) {
		uint64_t start =
		    t->hash_offset + t->g.level_start[L] * VERITY_BLOCK;
		uint64_t j0 = 0;

		for (uint64_t j = 0; j < t->g.level_blocks[L]; j++) {
			uint8_t *blk = w->buf[0] + (j - j0) * VERITY_BLOCK;

			if (bundle_in_take(w, blk, VERITY_BLOCK,
					   "the hash tree", e))
				return -1;
			if (bundle_tree_check_node(t, L, j, blk, e) != 1)
				return -1;
			if (j + 1 - j0 < BUNDLE_CHUNK_BLOCKS)
				continue;
			if (tree_put(w, fd, hooks, start + j0 * VERITY_BLOCK,
				     (size_t)(j + 1 - j0), e) < 0)
				return -1;
			j0 = j + 1;
		}
		if (tree_put(w, fd, hooks, start + j0 * VERITY_BLOCK,
			     (size_t)(t->g.level_blocks[L] - j0), e) < 0)
			return -1;
	}
	return 0;
}

/* --- the data: one lz4 frame ------------------------------------------ */

static int
frame_header(struct bundle_work *w, LZ4F_dctx *d, uint64_t bytes,
	     struct kerr *e)
{
	LZ4F_frameInfo_t fi;
	size_t hs;

	if (bundle_in_need(w, LZ4F_HEADER_SIZE_MAX, e) < 0)
		return -1;
	hs = LZ4F_headerSize(w->in + w->in_pos, w->in_len - w->in_pos);
	if (LZ4F_isError(hs) || hs > w->in_len - w->in_pos)
		return kerr_set(e, "lz4", "no lz4 frame header after the tree");
	if (LZ4F_isError(LZ4F_getFrameInfo(d, &fi, w->in + w->in_pos, &hs)))
		return kerr_set(e, "lz4", "bad lz4 frame header");
	w->in_pos += hs;
	if (fi.frameType != LZ4F_frame || fi.dictID)
		return kerr_set(e, "lz4", "not a plain lz4 frame");
	if (fi.blockMode != LZ4F_blockIndependent ||
	    fi.blockSizeID != LZ4F_max64KB)
		return kerr_set(e, "lz4",
				"frame must have independent "
				"64 KiB blocks");
	if (fi.contentSize && fi.contentSize != bytes)
		return kerr_set(e, "lz4",
				"frame holds %llu bytes, the image "
				"%llu",
				(unsigned long long)fi.contentSize,
				(unsigned long long)bytes);
	return 0;
}

/* Decodes buffered input into out until it is full or the frame ends. */
static int
inflate_some(struct bundle_work *w, LZ4F_dctx *d, uint8_t *out, size_t *fill,
	     int *end, struct kerr *e)
{
	while (*fill < BUNDLE_CHUNK) {
		size_t src, dst = BUNDLE_CHUNK - *fill, r;

		if (w->in_pos == w->in_len && bundle_in_fill(w, e) < 0)
			return -1;
		src = w->in_len - w->in_pos;
		if (!src)
			return kerr_set(e, "truncated",
					"bundle ends inside "
					"the data");
		r = LZ4F_decompress(d, out + *fill, &dst, w->in + w->in_pos,
				    &src, NULL);
		if (LZ4F_isError(r))
			return kerr_set(e, "lz4", "%s", LZ4F_getErrorName(r));
		w->in_pos += src;
		*fill += dst;
		if (r == 0) {
			*end = 1;
			return 0;
		}
	}
	return 0;
}

/*
 * Decompresses chunk after chunk into the jobs' buffers; a worker checks
 * each chunk against the digests from the authenticated tree and only
 * then writes it, while this thread fills the next.
 */
static int
copy_data(struct bundle_work *w, const struct img_header *h,
	  const struct bundle_hooks *hooks, LZ4F_dctx *d, struct kerr *e)
{
	uint64_t bytes = h->data_blocks * VERITY_BLOCK, at = 0;
	int end = 0;

	if (frame_header(w, d, bytes, e) < 0)
		return -1;
	while (!end) {
		struct bundle_job *j = bundle_next_job(w, hooks);
		size_t fill = 0;

		if (!j)
			return -1;
		if (inflate_some(w, d, j->buf, &fill, &end, e) < 0)
			return -1;
		if (fill > bytes - at)
			return kerr_set(e, "size",
					"more data than the signed "
					"%llu blocks",
					(unsigned long long)h->data_blocks);
		if (end && (at + fill != bytes))
			return kerr_set(e, "truncated",
					"data ends after %llu "
					"of %llu bytes",
					(unsigned long long)(at + fill),
					(unsigned long long)bytes);
		if (!fill)
			break;
		j->op = BUNDLE_JOB_WRITE;
		j->first = at / VERITY_BLOCK;
		j->n = fill / VERITY_BLOCK;
		if (bundle_tree_digests(&w->tree, j->first, j->n, j->want, e))
			return -1;
		bundle_pool_submit(w);
		at += fill;
	}
	/* Nothing may follow the frame. */
	if (bundle_in_need(w, 1, e) < 0)
		return -1;
	if (w->in_len != w->in_pos)
		return kerr_set(e, "trailer", "bytes after the lz4 frame");
	return 0;
}

static int
stream_data(struct bundle_work *w, int fd, const struct img_header *h,
	    const struct bundle_hooks *hooks, struct kerr *e)
{
	LZ4F_CustomMem mem = {bundle_arena_alloc, NULL, bundle_arena_free, w};
	LZ4F_dctx *d;
	int r;

	w->arena_used = 0;
	d = LZ4F_createDecompressionContext_advanced(mem, LZ4F_VERSION);
	if (!d)
		return kerr_set(e, "lz4", "no decoder context");
	bundle_pool_phase(w, fd, &w->tree.salted);
	r = bundle_drain(w, hooks, copy_data(w, h, hooks, d, e), e);
	LZ4F_freeDecompressionContext(d);
	return r;
}

/* --- the whole install ------------------------------------------------- */

/*
 * Bulk slot I/O bypasses the page cache where the file system allows it
 * (not tmpfs before Linux 6.6, not every FUSE): 4096-aligned buffers,
 * sizes and offsets from here on. The footer write at the end of the slot
 * is not aligned; the flags are restored before it.
 */
static void
direct_on(struct bundle_work *w, int fd, int *flags)
{
	*flags = fcntl(fd, F_GETFL);
	w->direct = 0;
	if (*flags < 0 || ((uintptr_t)w->buf | (uintptr_t)w->tree.blk) % 4096)
		return;
	w->direct = fcntl(fd, F_SETFL, *flags | O_DIRECT) == 0;
}

static void
direct_off(struct bundle_work *w, int fd, int flags)
{
	if (w->direct)
		fcntl(fd, F_SETFL, flags);
	w->direct = 0;
}

/* Step 1: the metadata block, and every check of it. */
static int
read_meta(struct bundle_work *w, int fd, const struct bundle_policy *pol,
	  struct img_meta *m, uint64_t *size, struct kerr *e)
{
	uint8_t *blk = w->buf[0];
	struct stat st;

	if (bundle_in_take(w, blk, IMG_META_SIZE, "the metadata block", e) < 0)
		return -1;
	if (img_meta_decode(blk, m, e) < 0)
		return -1;
	if (img_check_sigs(m, pol->ks, e) != 1)
		return -1;
	if (img_slot_size(fd, size, e) < 0 || fstat(fd, &st) < 0)
		return -1;
	/* A regular file may grow to the image's size (keel install). */
	if ((pol->flags & BUNDLE_GROW) && S_ISREG(st.st_mode) &&
	    *size < m->h.meta_offset + IMG_META_SIZE) {
		if (bundle_check_meta(m, pol, UINT64_MAX, e) != 1)
			return -1;
		*size = m->h.meta_offset + IMG_META_SIZE;
		return 1;
	}
	return bundle_check_meta(m, pol, *size, e) == 1 ? 0 : -1;
}

static int
one_range(struct bundle_ranges *r, uint64_t *off, uint64_t *len, struct kerr *e)
{
	if (r->given)
		return 0;
	r->given = 1;
	*off = r->off;
	*len = r->len;
	return 1;
}

/* Asks for [off, off + len) next (len UINT64_MAX: to the end). */
static int
want(struct bundle_work *w, uint64_t off, uint64_t len, struct kerr *e)
{
	memset(&w->ranges, 0, sizeof(w->ranges));
	w->ranges.next = one_range;
	w->ranges.off = off;
	w->ranges.len = len;
	return bundle_want(w, e);
}

/*
 * Block 1 of the bundle: a format-2 header block (decoded and checked
 * here, before anything is written), or the tree's top block of a
 * format-1 bundle, left in the input.
 */
static int
read_format(struct bundle_work *w, const struct img_meta *m, struct kerr *e)
{
	uint8_t *blk = w->buf[0];

	w->stats.format = BUNDLE_FORMAT_1;
	if (want(w, IMG_META_SIZE, BUNDLE_HDR_SIZE, e) < 0 ||
	    bundle_in_need(w, 8, e) < 0)
		return -1;
	if (w->in_len - w->in_pos < 8 ||
	    memcmp(w->in + w->in_pos, BUNDLE_HDR_MAGIC, 8))
		return 0;
	if (bundle_in_take(w, blk, BUNDLE_HDR_SIZE, "the header block", e) ||
	    bundle_hdr_decode(blk, m, &w->bh, e) < 0)
		return -1;
	w->stats.format = BUNDLE_FORMAT_2;
	return 0;
}

/* Steps 3 to 5: the tree, the data, the read-back. 0 or -1. */
static int
write_slot(struct bundle_work *w, int fd, const struct img_header *h,
	   const struct bundle_hooks *hooks, struct kerr *e)
{
	int v2 = w->stats.format == BUNDLE_FORMAT_2;
	uint64_t at = IMG_META_SIZE + BUNDLE_HDR_SIZE, len = UINT64_MAX;

	/* Block 1 is read (format 2) or in the input (format 1's tree). A
	 * delta reads the bundle up to its first lz4 block, then ranges. */
	if (v2 && w->src.want && w->src.from >= 0)
		len = w->bh.frame_offset + w->bh.frame_header_size - at;
	if (want(w, at, len, e) < 0)
		return -1;
	if (bundle_tree_init(&w->tree, fd, h, e) < 0 ||
	    copy_tree(w, fd, hooks, e) < 0)
		return -1;
	if (v2 ? bundle_v2_data(w, fd, h, hooks, e) < 0
	       : stream_data(w, fd, h, hooks, e) < 0)
		return -1;
	return bundle_read_back(w, fd, h, e);
}

/* The delta source must not be the slot itself. */
static int
other_file(int fd, int from, struct kerr *e)
{
	struct stat a, b;

	if (from < 0 || fstat(fd, &a) < 0 || fstat(from, &b) < 0)
		return 0;
	if (a.st_dev == b.st_dev && a.st_ino == b.st_ino &&
	    a.st_rdev == b.st_rdev)
		return kerr_set(e, "delta", "the source is the slot written");
	return 0;
}

static int
install(struct bundle_work *w, int fd, const struct bundle_policy *pol,
	const struct bundle_hooks *hooks, struct img_meta *m, struct kerr *e)
{
	uint64_t size;
	int flags, r, grow;

	if (want(w, 0, IMG_META_SIZE, e) < 0)
		return -1;
	grow = read_meta(w, fd, pol, m, &size, e);
	if (grow < 0 || read_format(w, m, e) < 0 ||
	    other_file(fd, w->src.from, e) < 0)
		return -1;
	w->total = m->h.meta_offset + IMG_META_SIZE;
	if (hooks && hooks->prepare && hooks->prepare(hooks->ctx, m, e) < 0)
		return -1;
	w->touched = 1;
	if (grow && ftruncate(fd, (off_t)size) < 0)
		return kerr_set(e, "write", "growing the slot: %s",
				kerr_strerror(errno));
	if (wipe_meta(fd, size, &m->h, w->buf[0], e) < 0)
		return -1;
	direct_on(w, fd, &flags);
	bundle_pool_start(w);
	r = write_slot(w, fd, &m->h, hooks, e);
	/* No thread of the installer outlives this call. */
	bundle_pool_stop(w);
	direct_off(w, fd, flags);
	if (r < 0)
		return -1;
	if (img_write_meta(fd, m, e) < 0)
		return -1;
	bundle_progress(w, hooks, IMG_META_SIZE);
	return 0;
}

ssize_t
bundle_read_fd(void *ctx, void *buf, size_t len)
{
	return read(*(int *)ctx, buf, len);
}

int
bundle_check_meta(const struct img_meta *m, const struct bundle_policy *pol,
		  uint64_t slot_size, struct kerr *e)
{
	const struct img_header *h = &m->h;

	if (!(pol->flags & BUNDLE_ALLOW_DOWNGRADE) &&
	    h->version <= pol->committed_version) {
		kerr_set(e, "version", "version %llu is not above %llu",
			 (unsigned long long)h->version,
			 (unsigned long long)pol->committed_version);
		return 0;
	}
	if (!img_check_device(h, pol->board, pol->arch, pol->epoch_floor, e))
		return 0;
	if (h->meta_offset + IMG_META_SIZE > slot_size) {
		kerr_set(e, "size",
			 "image of %llu bytes does not fit a slot "
			 "of %llu",
			 (unsigned long long)(h->meta_offset + IMG_META_SIZE),
			 (unsigned long long)slot_size);
		return 0;
	}
	return 1;
}

/* bundle_install's reader as a source: EINTR retried, errno named. */
static ssize_t
legacy_read(void *ctx, void *buf, size_t len, struct kerr *e)
{
	struct bundle_work *w = ctx;
	ssize_t n;

	do
		n = w->read(w->read_ctx, buf, len);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return kerr_set(e, "read", "reading the bundle: %s",
				kerr_strerror(errno));
	return n;
}

int
bundle_install_src(const struct bundle_src *src, int fd,
		   const struct bundle_policy *pol,
		   const struct bundle_hooks *hooks, struct bundle_work *w,
		   struct img_meta *m, struct kerr *e)
{
	/* A hint: without huge pages the buffers fault in page by page. */
	madvise(w->buf, sizeof(w->buf), MADV_HUGEPAGE);
	w->in_pos = w->in_len = 0;
	w->in_eof = 0;
	w->touched = 0;
	w->done = w->total = 0;
	w->sum_written = w->sum_read = 0;
	memset(&w->stats, 0, sizeof(w->stats));
	if (!src || !src->read || !pol || !pol->ks)
		return kerr_set(e, "bundle", "missing reader or key set");
	w->src = *src;
	return install(w, fd, pol, hooks, m, e);
}

int
bundle_install(bundle_read_fn rd, void *rd_ctx, int fd,
	       const struct bundle_policy *pol,
	       const struct bundle_hooks *hooks, struct bundle_work *w,
	       struct img_meta *m, struct kerr *e)
{
	struct bundle_src s = {legacy_read, NULL, w, -1};

	w->read = rd;
	w->read_ctx = rd_ctx;
	if (!rd)
		return kerr_set(e, "bundle", "missing reader or key set");
	return bundle_install_src(&s, fd, pol, hooks, w, m, e);
}

/* --- a file as a source of ranges ---------------------------------- */

ssize_t
bundle_file_read(void *ctx, void *buf, size_t len, struct kerr *e)
{
	struct bundle_file *f = ctx;
	ssize_t n;

	while (!f->done && f->pos == f->end) {
		uint64_t off, l;
		int r = f->r ? f->r->next(f->r, &off, &l, e) : 0;

		if (r < 0)
			return -1;
		if (r == 0) {
			f->done = 1;
			break;
		}
		f->pos = off;
		f->end =
		    l == UINT64_MAX || off + l < off ? UINT64_MAX : off + l;
	}
	if (f->done)
		return 0;
	if (len > f->end - f->pos)
		len = (size_t)(f->end - f->pos);
	do
		n = pread(f->fd, buf, len, (off_t)f->pos);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return kerr_set(e, "read", "reading the bundle: %s",
				kerr_strerror(errno));
	if (n == 0 && f->end != UINT64_MAX)
		return kerr_set(e, "truncated", "the bundle ends at byte %llu",
				(unsigned long long)f->pos);
	if (n == 0)
		f->done = 1;
	f->pos += (uint64_t)n;
	return n;
}

int
bundle_file_want(void *ctx, struct bundle_ranges *r, struct kerr *e)
{
	struct bundle_file *f = ctx;

	f->r = r;
	f->pos = f->end = 0;
	f->done = 0;
	return 0;
}
