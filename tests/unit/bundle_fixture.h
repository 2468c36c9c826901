/* SPDX-License-Identifier: MIT */
/* Shared by the bundle unit tests: keys, signed images, bundles, readers. */
#ifndef KEEL_BUNDLE_FIXTURE_H
#define KEEL_BUNDLE_FIXTURE_H

#include <fcntl.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include <lz4frame.h>

#include "lib/update/bundle_priv.h"
#include "tests/unit/unit.h"

#define MAX_BUNDLE (70 * 1024 * 1024) /* 16513 blocks: a 3-level tree */

static struct keyset ks;
static struct bundle_work bw;
static struct verity_work vw;
static uint8_t priv[EC_PRIV_LEN], pub[EC_PUB_LEN], kid[EC_KEYID_LEN];
static uint8_t bundle[MAX_BUNDLE], image[MAX_BUNDLE];
static size_t bundle_len, image_len;

static inline void
load_key(const char *file)
{
	char text[KS_TEXT_MAX];
	int fd = open(file, O_RDONLY);
	ssize_t n = fd < 0 ? -1 : read(fd, text, sizeof(text));

	if (fd >= 0)
		close(fd);
	if (n <= 0 || ec_priv_parse(text, (size_t)n, priv, pub, NULL) < 0) {
		printf("FAIL cannot load %s (run from the top of the tree)\n",
		       file);
		exit(1);
	}
	ec_keyid(pub, kid);
}

static inline int
slot_new(void)
{
	return memfd_create("slot", 0);
}

static inline void
fill_data(int fd, uint64_t blocks, unsigned seed)
{
	uint8_t blk[IMG_BLOCK];

	srand(seed);
	for (uint64_t b = 0; b < blocks; b++) {
		/* Every third block zero, so lz4 has something to squeeze. */
		for (unsigned i = 0; i < sizeof(blk); i++)
			blk[i] = b % 3 == 1 ? 0 : (uint8_t)rand();
		pwrite(fd, blk, sizeof(blk), (off_t)(b * IMG_BLOCK));
	}
}

/* A signed image of `blocks` data blocks in a memfd, and its metadata. */
static inline int
make_image(struct img_meta *m, uint64_t blocks, uint64_t version, int sign)
{
	struct verity_params p = {0};
	struct verity_geo g;
	uint8_t d[32], sig[EC_SIG_LEN];
	int fd = slot_new();

	fill_data(fd, blocks, (unsigned)blocks);
	memset(m, 0, sizeof(*m));
	verity_geometry(blocks, &g);
	m->h.fs = IMG_FS_EROFS;
	m->h.arch = IMG_ARCH_X86_64;
	m->h.version = version;
	m->h.epoch = 2;
	m->h.data_blocks = blocks;
	m->h.hash_offset = blocks * IMG_BLOCK;
	m->h.hash_blocks = g.tree_blocks;
	m->h.meta_offset = m->h.hash_offset + g.tree_blocks * IMG_BLOCK;
	m->h.salt_len = 17;
	memset(m->h.salt, 0xa5, 17);
	strcpy(m->h.board, "unit-board");
	p.data_blocks = blocks;
	p.hash_offset = m->h.hash_offset;
	p.salt = m->h.salt;
	p.salt_len = m->h.salt_len;
	CHECK(verity_build(fd, &p, &vw, m->h.root, NULL) == 0, "verity_build");
	CHECK(img_header_encode(&m->h, m->tbs, NULL) == 0, "encode");
	if (sign) {
		img_digest(m, d);
		CHECK(ec_sign(priv, d, sig) == 0, "ec_sign");
		CHECK(img_add_sig(m, "release", kid, sig, NULL) == 0, "sig");
	}
	CHECK(img_write_meta(fd, m, NULL) == 0, "img_write_meta");
	return fd;
}

/* The bundle of the image on fd, into bundle[]; the image into image[]. */
static inline void
make_bundle(int fd, const struct img_meta *m)
{
	LZ4F_preferences_t pr = {0};
	size_t data = m->h.hash_offset, head;
	size_t r;

	image_len = m->h.meta_offset + IMG_META_SIZE;
	if (image_len > MAX_BUNDLE) {
		printf("FAIL image too large for the test\n");
		exit(1);
	}
	pread(fd, image, image_len, 0);
	memcpy(bundle, image + m->h.meta_offset, IMG_META_SIZE);
	memcpy(bundle + IMG_META_SIZE, image + data,
	       m->h.hash_blocks * IMG_BLOCK);
	head = IMG_META_SIZE + m->h.hash_blocks * IMG_BLOCK;
	pr.frameInfo.blockSizeID = LZ4F_max64KB;
	pr.frameInfo.blockMode = LZ4F_blockIndependent;
	pr.frameInfo.contentSize = data;
	r = LZ4F_compressFrame(bundle + head, MAX_BUNDLE - head, image, data,
			       &pr);
	CHECK(!LZ4F_isError(r), "LZ4F_compressFrame");
	bundle_len = head + r;
}

/* A reader over a byte range that hands out short, uneven pieces. */
struct mem_src {
	const uint8_t *p;
	size_t len, pos;
	unsigned step;
};

static inline ssize_t
mem_read(void *ctx, void *buf, size_t len)
{
	struct mem_src *s = ctx;
	size_t n = s->len - s->pos;

	s->step = s->step * 1103515245u + 12345u;
	if (n > len)
		n = len;
	if (n > 1 + (s->step >> 8) % 70000)
		n = 1 + (s->step >> 8) % 70000;
	memcpy(buf, s->p + s->pos, n);
	s->pos += n;
	return (ssize_t)n;
}

static int prepared;

static inline int
prepare(void *ctx, const struct img_meta *m, struct kerr *e)
{
	prepared++;
	return *(int *)ctx ? kerr_set(e, "state", "refused by the hook") : 0;
}

static inline int
install(const uint8_t *b, size_t len, int slot, const struct bundle_policy *pol,
	int refuse_prepare, struct kerr *e)
{
	struct mem_src s = {b, len, 0, (unsigned)len};
	struct bundle_hooks h = {prepare, NULL, &refuse_prepare};
	struct img_meta m;

	prepared = 0;
	return bundle_install(mem_read, &s, slot, pol, &h, &bw, &m, e);
}

static inline int
slot_verifies(int slot)
{
	struct img_meta m;

	return img_verify(slot, &ks, &vw, &m, NULL);
}

static inline int
slot_equals_image(int slot)
{
	static uint8_t got[MAX_BUNDLE];

	return pread(slot, got, image_len, 0) == (ssize_t)image_len &&
	       !memcmp(got, image, image_len);
}

/* 1 if e names the check `check` (a failure that set none names none). */
static inline int
failed_at(const struct kerr *e, const char *check)
{
	return e->check && !strcmp(e->check, check);
}

/* Loads the test key set and the signing key; run from the top of the tree. */
static inline void
fixture_keys(void)
{
	load_key("keys/test/release/test-release-a.key");
	CHECK(ks_load_dir("keys/test", &ks, NULL) == 0, "keys/test");
}

#endif
