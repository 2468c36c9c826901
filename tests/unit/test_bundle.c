// SPDX-License-Identifier: MIT
/* Unit tests of the bundle installer: tree path, block checks, whole installs.
 */
#define _GNU_SOURCE
#include "tests/unit/bundle_fixture.h"

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
	fixture_keys();
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
