// SPDX-License-Identifier: MIT
/* Unit tests of the bundle installer: tree path, block checks, whole installs.
 */
#define _GNU_SOURCE
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

static void
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

static int
slot_new(void)
{
	return memfd_create("slot", 0);
}

static void
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
static int
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
static void
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

static ssize_t
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

static int
prepare(void *ctx, const struct img_meta *m, struct kerr *e)
{
	prepared++;
	return *(int *)ctx ? kerr_set(e, "state", "refused by the hook") : 0;
}

static int
install(const uint8_t *b, size_t len, int slot, const struct bundle_policy *pol,
	int refuse_prepare, struct kerr *e)
{
	struct mem_src s = {b, len, 0, (unsigned)len};
	struct bundle_hooks h = {prepare, NULL, &refuse_prepare};
	struct img_meta m;

	prepared = 0;
	return bundle_install(mem_read, &s, slot, pol, &h, &bw, &m, e);
}

static int
slot_verifies(int slot)
{
	struct img_meta m;

	return img_verify(slot, &ks, &vw, &m, NULL);
}

static int
slot_equals_image(int slot)
{
	static uint8_t got[MAX_BUNDLE];

	return pread(slot, got, image_len, 0) == (ssize_t)image_len &&
	       !memcmp(got, image, image_len);
}

/* The tree path: every node and data block passes; changes are caught. */
static void
test_tree_path(void)
{
	struct bundle_tree *t = &bw.tree;
	struct img_meta m;
	uint8_t blk[IMG_BLOCK];
	struct kerr e = {0};
	int fd = make_image(&m, 300, 1, 1), ok = 1;

	CHECK(bundle_tree_init(t, fd, &m.h, &e) == 0, "init: %s", e.detail);
	CHECK(t->g.levels == 2, "300 blocks: 2 levels, got %u", t->g.levels);
	for (unsigned L = t->g.levels; L-- > 0;)
		for (uint64_t j = 0; j < t->g.level_blocks[L]; j++) {
			pread(fd, blk, IMG_BLOCK,
			      (off_t)(m.h.hash_offset +
				      (t->g.level_start[L] + j) * IMG_BLOCK));
			ok &= bundle_tree_check_node(t, L, j, blk, &e) == 1;
			blk[j % IMG_BLOCK] ^= 1;
			ok &= bundle_tree_check_node(t, L, j, blk, &e) == 0;
		}
	CHECK(ok, "every tree node passes and its flip fails: %s", e.detail);
	ok = 1;
	for (uint64_t i = 0; i < 300; i++) {
		pread(fd, blk, IMG_BLOCK, (off_t)(i * IMG_BLOCK));
		ok &= bundle_tree_check_data(t, i, blk, &e) == 1;
		blk[4095 - i % 4096] ^= 0x80;
		ok &= bundle_tree_check_data(t, i, blk, &e) == 0;
	}
	CHECK(ok, "every data block passes and its flip fails");
	CHECK(strstr(e.detail, "block 299 does not match") != NULL,
	      "message names the block: %s", e.detail);
	pread(fd, blk, IMG_BLOCK, 0);
	CHECK(bundle_tree_check_data(t, 1, blk, &e) == 0,
	      "block 0 is not block 1");
	CHECK(bundle_tree_check_data(t, 300, blk, &e) == 0, "past the end");
	CHECK(bundle_tree_check_node(t, 0, 3, blk, &e) == 0, "no node 3");
	CHECK(bundle_tree_check_node(t, 2, 0, blk, &e) == 0, "no level 2");

	/* The top block changed: nothing below it is trusted. */
	bundle_tree_init(t, fd, &m.h, NULL);
	pwrite(fd, "x", 1, (off_t)m.h.hash_offset);
	pread(fd, blk, IMG_BLOCK, 0);
	CHECK(bundle_tree_check_data(t, 0, blk, &e) == 0, "top changed");
	close(fd);
}

/*
 * Level 0 is read ahead BUNDLE_AHEAD blocks at a time: a block changed
 * in the slot after its neighbours were checked, past the window, is
 * caught when it is read; and the digests of a run, across windows,
 * are those of the tree.
 */
static void
test_tree_ahead(void)
{
	struct bundle_tree *t = &bw.tree;
	const uint64_t n = (BUNDLE_AHEAD + 2) * VERITY_ARITY;
	static uint8_t want[BUNDLE_CHUNK_BLOCKS][VERITY_DIGEST];
	uint8_t blk[IMG_BLOCK], d[VERITY_DIGEST];
	struct img_meta m;
	struct kerr e = {0};
	int fd = make_image(&m, n, 1, 1), ok = 1;
	uint64_t l0;

	CHECK(bundle_tree_init(t, fd, &m.h, &e) == 0 && t->g.levels == 2,
	      "init: %s", e.detail);
	l0 = m.h.hash_offset + t->g.level_start[0] * IMG_BLOCK;
	for (uint64_t i = 0; i < n; i += 97) {
		uint64_t k = (i / 97) % 7;
		uint64_t first = i + k < n ? i + k : i;
		struct sha256 c = t->salted;

		ok &= bundle_tree_digests(t, first, 1, want, &e) == 0;
		pread(fd, d, VERITY_DIGEST,
		      (off_t)(l0 + first / VERITY_ARITY * IMG_BLOCK +
			      first % VERITY_ARITY * VERITY_DIGEST));
		ok &= !memcmp(d, want[0], VERITY_DIGEST);
		pread(fd, blk, IMG_BLOCK, (off_t)(first * IMG_BLOCK));
		sha256_update(&c, blk, IMG_BLOCK);
		sha256_final(&c, d);
		ok &= !memcmp(d, want[0], VERITY_DIGEST);
	}
	CHECK(ok, "digests across read-ahead windows: %s", e.detail);
	CHECK(bundle_tree_digests(t, n - 1, 2, want, &e) < 0 &&
		  strstr(e.detail, "past the"),
	      "no digest past the last block: %s", e.detail);

	bundle_tree_init(t, fd, &m.h, NULL);
	pread(fd, blk, IMG_BLOCK, 0);
	CHECK(bundle_tree_check_data(t, 0, blk, &e) == 1, "block 0");
	blk[0] = 0;
	pwrite(fd, blk, 1, (off_t)(l0 + (BUNDLE_AHEAD + 1) * IMG_BLOCK));
	pread(fd, blk, IMG_BLOCK,
	      (off_t)((BUNDLE_AHEAD + 1) * VERITY_ARITY * IMG_BLOCK));
	CHECK(bundle_tree_check_data(t, (BUNDLE_AHEAD + 1) * VERITY_ARITY, blk,
				     &e) == 0 &&
		  strstr(e.detail, "changed in the slot"),
	      "a level-0 block read later is authenticated: %s", e.detail);
	/* A short slot: the read-ahead stops at the end and says so. */
	bundle_tree_init(t, fd, &m.h, NULL);
	ftruncate(fd, (off_t)(l0 + IMG_BLOCK * 3 / 2));
	CHECK(bundle_tree_digests(t, VERITY_ARITY, 1, want, &e) < 0 &&
		  strstr(e.detail, "reading level 0 block 1 back"),
	      "short read of the tree: %s", e.detail);
	close(fd);
}

/* Whole installs of several shapes of tree, from uneven reads. */
static void
test_round_trips(void)
{
	static const uint64_t sizes[] = {1, 2, 127, 128, 129, 300, 16513};
	struct bundle_policy pol = {.ks = &ks, .board = "unit-board"};
	struct img_meta m;
	struct kerr e = {0};

	for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		int fd = make_image(&m, sizes[k], 5, 1), slot = slot_new();

		make_bundle(fd, &m);
		/* The slot starts as another, valid image: it is replaced. */
		ftruncate(slot, (off_t)image_len + 3 * IMG_BLOCK);
		CHECK(install(bundle, bundle_len, slot, &pol, 0, &e) == 0,
		      "%llu blocks: %s: %s", (unsigned long long)sizes[k],
		      e.check, e.detail);
		CHECK(prepared == 1, "prepare ran once");
		CHECK(bw.done == bw.total && bw.total == image_len,
		      "progress %llu of %llu", (unsigned long long)bw.done,
		      (unsigned long long)bw.total);
		CHECK(slot_verifies(slot) == 1, "%llu blocks: slot verifies",
		      (unsigned long long)sizes[k]);
		CHECK(slot_equals_image(slot), "slot starts with the image");
		close(slot);
		close(fd);
	}
}

/* Policy checks: refused with nothing written and no hook called. */
static void
test_policy(void)
{
	struct bundle_policy pol = {.ks = &ks, .board = "unit-board"};
	struct img_meta m;
	struct kerr e = {0};
	int fd = make_image(&m, 40, 5, 1), slot = slot_new();
	uint64_t size;

	make_bundle(fd, &m);
	ftruncate(slot, (off_t)image_len);
	pol.committed_version = 5;
	CHECK(install(bundle, bundle_len, slot, &pol, 0, &e) < 0 &&
		  !strcmp(e.check, "version") && !prepared && !bw.touched,
	      "equal version refused first");
	pol.flags = BUNDLE_ALLOW_DOWNGRADE;
	pol.epoch_floor = 3;
	CHECK(install(bundle, bundle_len, slot, &pol, 0, &e) < 0 &&
		  !strcmp(e.check, "epoch") && !bw.touched,
	      "epoch floor");
	pol.epoch_floor = 2;
	pol.board = "other";
	CHECK(install(bundle, bundle_len, slot, &pol, 0, &e) < 0 &&
		  !strcmp(e.check, "board") && !bw.touched,
	      "board");
	pol.board = NULL;
	ftruncate(slot, (off_t)image_len - 1);
	CHECK(install(bundle, bundle_len, slot, &pol, 0, &e) < 0 &&
		  !strcmp(e.check, "size") && !bw.touched,
	      "slot too small");
	pol.flags |= BUNDLE_GROW;
	CHECK(install(bundle, bundle_len, slot, &pol, 0, &e) == 0,
	      "a growable file grows: %s", e.detail);
	img_slot_size(slot, &size, NULL);
	CHECK(size == image_len, "grown to the image size");
	close(fd);
	fd = make_image(&m, 40, 6, 0);
	make_bundle(fd, &m);
	CHECK(install(bundle, bundle_len, slot, &pol, 0, &e) < 0 &&
		  !strcmp(e.check, "signature") && !bw.touched,
	      "unsigned");
	CHECK(slot_verifies(slot) == 1, "slot still holds the old image");
	close(slot);
	close(fd);
}

/* Cut anywhere: refused; past the metadata the slot never verifies. */
static void
test_truncation(void)
{
	struct bundle_policy pol = {.ks = &ks, .flags = BUNDLE_ALLOW_DOWNGRADE};
	struct img_meta m;
	struct kerr e = {0};
	int fd = make_image(&m, 300, 5, 1), slot = slot_new(), bad = 0;

	make_bundle(fd, &m);
	ftruncate(slot, (off_t)image_len);
	for (size_t cut = 0; cut < bundle_len; cut += 1 + cut / 40) {
		if (install(bundle, cut, slot, &pol, 0, &e) == 0)
			bad++;
		else if (bw.touched && slot_verifies(slot))
			bad++;
		else if (!bw.touched && cut >= IMG_META_SIZE)
			bad++;
	}
	for (size_t cut = bundle_len - 12; cut < bundle_len; cut++)
		if (install(bundle, cut, slot, &pol, 0, &e) == 0 ||
		    slot_verifies(slot))
			bad++;
	CHECK(bad == 0, "%d truncated bundles accepted or left a good slot",
	      bad);
	close(slot);
	close(fd);
}

/* A byte changed anywhere in the bundle: refused, slot never verifies. */
static void
test_flips(void)
{
	struct bundle_policy pol = {.ks = &ks, .flags = BUNDLE_ALLOW_DOWNGRADE};
	struct img_meta m;
	struct kerr e = {0};
	int fd = make_image(&m, 300, 5, 1), slot = slot_new(), bad = 0, n = 0;

	make_bundle(fd, &m);
	ftruncate(slot, (off_t)image_len);
	for (size_t off = 0; off < bundle_len; off += 1 + off / 40, n++) {
		bundle[off] ^= 0x10;
		/* Caught while streaming, never first by the read-back. */
		if (install(bundle, bundle_len, slot, &pol, 0, &e) == 0 ||
		    slot_verifies(slot) || !strcmp(e.check, "read-back")) {
			printf("flip at %zu of %zu: %s\n", off, bundle_len,
			       e.check);
			bad++;
		}
		bundle[off] ^= 0x10;
	}
	CHECK(bad == 0, "%d of %d changed bundles accepted", bad, n);
	CHECK(install(bundle, bundle_len, slot, &pol, 0, &e) == 0,
	      "the unchanged bundle still installs: %s", e.detail);
	close(slot);
	close(fd);
}

/*
 * A changed data block that decompresses fine (the bundle of a tampered
 * copy under the original header): refused by the block check, and the
 * buffer holding it never reaches the slot.
 */
static void
test_tampered_block(void)
{
	struct bundle_policy pol = {.ks = &ks, .flags = BUNDLE_ALLOW_DOWNGRADE};
	static uint8_t got[IMG_BLOCK];
	struct img_meta m;
	struct kerr e = {0};
	int fd = make_image(&m, 600, 5, 1), slot = slot_new();

	pwrite(fd, "\xff", 1, 451 * IMG_BLOCK + 77);
	make_bundle(fd, &m);
	ftruncate(slot, (off_t)image_len);
	CHECK(install(bundle, bundle_len, slot, &pol, 0, &e) < 0 &&
		  !strcmp(e.check, "block") &&
		  strstr(e.detail, "block 451 does not match the signed tree"),
	      "tampered block refused by the block check: %s: %s", e.check,
	      e.detail);
	pread(slot, got, IMG_BLOCK, 451 * IMG_BLOCK);
	CHECK(memcmp(got, image + 451 * IMG_BLOCK, IMG_BLOCK) != 0,
	      "the tampered block was not written");
	pread(slot, got, IMG_BLOCK, 0);
	CHECK(memcmp(got, image, IMG_BLOCK) == 0, "blocks before it were");
	CHECK(!slot_verifies(slot), "slot does not verify");
	/* A changed tree block: refused by the tree check. */
	pwrite(fd, "\xff", 1, 451 * IMG_BLOCK + 77);
	make_bundle(fd, &m);
	bundle[IMG_META_SIZE + IMG_BLOCK + 5] ^= 1;
	CHECK(install(bundle, bundle_len, slot, &pol, 0, &e) < 0 &&
		  !strcmp(e.check, "tree"),
	      "changed tree block: %s", e.check);
	close(slot);
	close(fd);
}

/* A refusing prepare hook (the state record) stops before any write. */
static void
test_prepare_refuses(void)
{
	struct bundle_policy pol = {.ks = &ks, .flags = BUNDLE_ALLOW_DOWNGRADE};
	struct img_meta m;
	struct kerr e = {0};
	int fd = make_image(&m, 10, 5, 1), slot = slot_new();

	make_bundle(fd, &m);
	ftruncate(slot, (off_t)image_len);
	CHECK(install(bundle, bundle_len, slot, &pol, 1, &e) < 0 &&
		  !strcmp(e.check, "state") && prepared == 1 && !bw.touched,
	      "hook refusal stops the install");
	CHECK(!slot_verifies(slot) && slot_equals_image(slot) == 0,
	      "empty slot left empty");
	close(slot);
	close(fd);
}

int
main(void)
{
	load_key("keys/test/release/test-release-a.key");
	CHECK(ks_load_dir("keys/test", &ks, NULL) == 0, "keys/test");
	test_tree_path();
	test_tree_ahead();
	test_round_trips();
	test_policy();
	test_truncation();
	test_flips();
	test_tampered_block();
	test_prepare_refuses();
	return unit_done("bundle");
}
