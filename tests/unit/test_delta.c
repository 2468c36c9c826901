// SPDX-License-Identifier: MIT
/* Unit tests: format-2 bundles, whole and by ranges, and delta installs. */
#define _GNU_SOURCE
#include "tests/unit/bundle_fixture.h"

static uint8_t b2[MAX_BUNDLE];
static size_t b2_len;
static struct bundle_out bo;
static uint32_t words[MAX_BUNDLE / BUNDLE_LZ4_BLOCK + 1];

/* The format-2 bundle of the image on fd into b2[]. */
static void
make_v2(int fd, const struct img_meta *m)
{
	int out = memfd_create("b2", 0);

	bo.fd = out;
	CHECK(bundle_write(&bo, fd, m, BUNDLE_FORMAT_2, 0, words, NULL) == 0,
	      "bundle_write");
	b2_len = (size_t)bo.at;
	CHECK(pread(out, b2, b2_len, 0) == (ssize_t)b2_len, "read b2");
	close(out);
}

/*
 * A source of ranges over b[] that counts what it served; flip (if not
 * ~0) changes that byte as it passes; on the first want of more than two
 * ranges (the fourth want: the data), hook runs once.
 */
struct rsrc {
	const uint8_t *b;
	size_t len;
	struct bundle_ranges *r;
	uint64_t pos, end, served, flip;
	unsigned wants;
	int done;
	void (*hook)(void);
};

static ssize_t
r_read(void *ctx, void *buf, size_t len, struct kerr *e)
{
	struct rsrc *s = ctx;

	while (!s->done && s->pos == s->end) {
		uint64_t off, l;
		int r = s->r->next(s->r, &off, &l, e);

		if (r < 0)
			return -1;
		if (r == 0) {
			s->done = 1;
			return 0;
		}
		s->pos = off;
		s->end = l == UINT64_MAX ? s->len : off + l;
		if (s->end > s->len)
			return kerr_set(e, "test", "range past the end");
	}
	if (s->done)
		return 0;
	if (len > s->end - s->pos)
		len = (size_t)(s->end - s->pos);
	if (len > 5000)
		len = 5000;
	memcpy(buf, s->b + s->pos, len);
	if (s->flip >= s->pos && s->flip < s->pos + len)
		((uint8_t *)buf)[s->flip - s->pos] ^= 0x40;
	s->pos += len;
	s->served += len;
	return (ssize_t)len;
}

static int
r_want(void *ctx, struct bundle_ranges *r, struct kerr *e)
{
	struct rsrc *s = ctx;

	s->r = r;
	s->pos = s->end = 0;
	s->done = 0;
	if (++s->wants == 4 && s->hook)
		s->hook();
	return 0;
}

static struct bundle_policy pol;

static int
install2(struct rsrc *s, int slot, int from, struct kerr *e)
{
	struct bundle_src src = {r_read, r_want, s, from};
	struct img_meta m;

	return bundle_install_src(&src, slot, &pol, NULL, &bw, &m, e);
}

static int src_fd = -1;

/* Changes two blocks of the source (copied, not fetched) after the plan. */
static void
spoil_source(void)
{
	uint8_t x[IMG_BLOCK];

	memset(x, 0x77, sizeof(x));
	pwrite(src_fd, x, sizeof(x), 41 * IMG_BLOCK);
	pwrite(src_fd, x, sizeof(x), 500 * IMG_BLOCK);
}

static void
test_format2(void)
{
	struct img_meta m, m2;
	struct kerr e = {0};
	struct rsrc s;
	int fd = make_image(&m, 1000, 7, 1), slot, old;
	uint64_t prefix;

	make_bundle(fd, &m);
	make_v2(fd, &m);
	CHECK(!memcmp(b2 + IMG_META_SIZE, BUNDLE_HDR_MAGIC, 8),
	      "format 2 header block");
	slot = slot_new();
	CHECK(install(b2, b2_len, slot, &pol, 0, &e) == 0 &&
		  slot_equals_image(slot) && bw.stats.format == 2,
	      "format 2 as a stream: %s", e.detail);
	close(slot);
	slot = slot_new();
	s = (struct rsrc){b2, b2_len, .flip = ~0ull};
	CHECK(install2(&s, slot, -1, &e) == 0 && slot_equals_image(slot) &&
		  s.served == b2_len && !bw.stats.delta,
	      "format 2 by ranges, no source: %s", e.detail);
	close(slot);
	slot = slot_new();
	s = (struct rsrc){bundle, bundle_len, .flip = ~0ull};
	CHECK(install2(&s, slot, fd, &e) == 0 && slot_equals_image(slot) &&
		  bw.stats.format == 1 && !bw.stats.delta,
	      "format 1 by ranges: whole, never delta: %s", e.detail);
	close(slot);

	/* delta from the same image: only the prefix is read */
	{
		struct bundle_hdr bh;
		bundle_hdr_decode(b2 + IMG_META_SIZE, &m, &bh, NULL);
		prefix = bh.frame_offset + bh.frame_header_size;
	}
	slot = slot_new();
	s = (struct rsrc){b2, b2_len, .flip = ~0ull};
	e.detail[0] = 0;
	CHECK(install2(&s, slot, fd, &e) == 0 && slot_equals_image(slot) &&
		  bw.stats.delta && bw.stats.copied + bw.stats.kept == 1000 &&
		  bw.stats.copied > 600 && bw.stats.fetched == 0 &&
		  s.served == prefix,
	      "delta from the same image: %llu read (prefix %llu): %s",
	      (unsigned long long)s.served, (unsigned long long)prefix,
	      e.detail);
	/* again into the slot that has it: all kept in place */
	s = (struct rsrc){b2, b2_len, .flip = ~0ull};
	CHECK(install2(&s, slot, -1, &e) == 0 && slot_equals_image(slot) &&
		  bw.stats.delta == 0,
	      "no source: whole");
	{
		int none = open("/dev/null", O_RDONLY);
		s = (struct rsrc){b2, b2_len, .flip = ~0ull};
		CHECK(install2(&s, slot, none, &e) == 0 &&
			  slot_equals_image(slot) && bw.stats.kept == 1000 &&
			  bw.stats.copied == 0 && bw.stats.fetched == 0,
		      "delta onto itself: all kept (%llu): %s",
		      (unsigned long long)bw.stats.kept, e.detail);
		close(none);
	}
	s = (struct rsrc){b2, b2_len, .flip = ~0ull};
	CHECK(install2(&s, slot, slot, &e) < 0 && failed_at(&e, "delta") &&
		  !bw.touched,
	      "the slot as its own source: refused, untouched");
	close(slot);

	/* an older image with some blocks changed: those are fetched */
	old = make_image(&m2, 1000, 6, 1);
	{
		uint8_t x[IMG_BLOCK];
		for (int b = 0; b < 1000; b += 97) {
			memset(x, b, sizeof(x));
			pwrite(old, x, sizeof(x), (off_t)b * IMG_BLOCK);
		}
	}
	slot = slot_new();
	s = (struct rsrc){b2, b2_len, .flip = ~0ull};
	e.detail[0] = 0;
	/* changed: 11 blocks; the 4 that are zero in the new image are
	 * found elsewhere in the old one (or in place) */
	CHECK(install2(&s, slot, old, &e) == 0 && slot_equals_image(slot) &&
		  bw.stats.fetched == 7 * 16 &&
		  bw.stats.copied + bw.stats.kept == 1000 - 7 * 16,
	      "delta: 7 lz4 blocks fetched (%llu blocks), %llu copied: %s",
	      (unsigned long long)bw.stats.fetched,
	      (unsigned long long)bw.stats.copied, e.detail);
	close(slot);

	/* the source changes after the plan: the copies fail their check */
	src_fd = old;
	slot = slot_new();
	s = (struct rsrc){b2, b2_len, .flip = ~0ull, .hook = spoil_source};
	e.detail[0] = 0;
	CHECK(install2(&s, slot, old, &e) < 0 && failed_at(&e, "block") &&
		  !slot_verifies(slot),
	      "a source block changed after the plan: refused: %s", e.detail);
	close(slot);
	close(old);

	/* a byte changed in a fetched lz4 block */
	slot = slot_new();
	s = (struct rsrc){b2, b2_len, .flip = b2_len - 100};
	CHECK(install2(&s, slot, -1, &e) < 0 && !slot_verifies(slot),
	      "a changed data byte: refused: %s", e.detail);
	close(slot);
	close(fd);
}

/* Installs b2 with one byte changed, as a stream; e gets why it failed. */
static int
tampered(size_t off, uint8_t x, struct kerr *e)
{
	static uint8_t t[MAX_BUNDLE];
	int slot = slot_new(), r;

	memcpy(t, b2, b2_len);
	t[off] ^= x;
	r = install(t, b2_len, slot, &pol, 0, e);
	close(slot);
	return r;
}

static void
test_refusals(void)
{
	struct img_meta m;
	struct kerr e = {0};
	int fd = make_image(&m, 300, 7, 1);
	size_t idx, hdr = IMG_META_SIZE;
	struct bundle_hdr bh;

	make_v2(fd, &m);
	bundle_hdr_decode(b2 + hdr, &m, &bh, NULL);
	idx = (size_t)bh.index_offset;
	CHECK(tampered(hdr + 8, 1, &e) < 0 && strstr(e.detail, "format 3") &&
		  !bw.touched,
	      "format 3: refused, nothing written: %s", e.detail);
	CHECK(tampered(hdr + 16, 1, &e) < 0 && !bw.touched,
	      "a flag: refused: %s", e.detail);
	CHECK(tampered(hdr + 40, 1, &e) < 0 && strstr(e.detail, "another") &&
		  !bw.touched,
	      "header of another image: %s", e.detail);
	CHECK(tampered(hdr + 64, 1, &e) < 0 && !bw.touched,
	      "wrong block count: %s", e.detail);
	CHECK(tampered(hdr + 200, 1, &e) < 0 && !bw.touched,
	      "a reserved byte: %s", e.detail);
	CHECK(tampered(hdr + 100, 1, &e) < 0 && failed_at(&e, "index"),
	      "index digest: %s", e.detail);
	CHECK(tampered(idx + 1, 1, &e) < 0 && failed_at(&e, "index"),
	      "an index word: %s", e.detail);
	CHECK(tampered(idx + 3, 0x80, &e) < 0 && failed_at(&e, "index"),
	      "an index word's raw bit: %s", e.detail);
	CHECK(tampered((size_t)bh.frame_offset + 4, 0x10, &e) < 0 &&
		  failed_at(&e, "lz4"),
	      "a frame flag: %s", e.detail);
	{
		int slot = slot_new();
		CHECK(install(b2, b2_len - 1, slot, &pol, 0, &e) < 0 &&
			  !slot_verifies(slot),
		      "cut short: %s", e.detail);
		memcpy(b2 + b2_len, "x", 1);
		CHECK(install(b2, b2_len + 1, slot, &pol, 0, &e) < 0 &&
			  failed_at(&e, "trailer"),
		      "a byte after it: %s", e.detail);
		close(slot);
	}
	close(fd);
}

int
main(void)
{
	fixture_keys();
	pol.ks = &ks;
	pol.flags = BUNDLE_ALLOW_DOWNGRADE | BUNDLE_GROW;
	test_format2();
	test_refusals();
	return unit_done("delta");
}
