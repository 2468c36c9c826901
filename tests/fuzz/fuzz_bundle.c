// SPDX-License-Identifier: MIT
/* libFuzzer target: the bundle installer, fed arbitrary bytes, into a memfd. */
#define _GNU_SOURCE
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "lib/update/bundle.h"

/*
 * The first input byte picks what the rest is:
 *   even: a whole bundle, checked against the baked (test) key set;
 *   odd:  the lz4 part of a bundle whose metadata and tree come from an
 *         image of zero blocks signed here, so the data path is reached
 *         (a frame of zeros installs completely).
 */
#define DATA_BLOCKS 200 /* a two-level tree: three hash blocks */

static struct keyset baked, own;
static struct bundle_work w;
static struct verity_work vw;
static uint8_t prefix[IMG_META_SIZE + 3 * IMG_BLOCK];
static uint8_t joined[IMG_META_SIZE + 3 * IMG_BLOCK + 65536];
static uint64_t image_size;
static int slot = -1;

struct src {
	const uint8_t *p;
	size_t len, pos;
};

static ssize_t
src_read(void *ctx, void *buf, size_t len)
{
	struct src *s = ctx;
	size_t n = s->len - s->pos;

	/* Uneven pieces, as from a pipe. */
	if (n > len)
		n = len;
	if (n > 1000 + s->pos % 3000)
		n = 1000 + s->pos % 3000;
	memcpy(buf, s->p + s->pos, n);
	s->pos += n;
	return (ssize_t)n;
}

/* A signed image of zeros in the slot; its metadata block and tree. */
static void
setup(void)
{
	uint8_t priv[EC_PRIV_LEN], d[32], sig[EC_SIG_LEN];
	struct verity_params p = {DATA_BLOCKS, DATA_BLOCKS * IMG_BLOCK, 0, 0};
	struct verity_geo g;
	struct img_meta m = {0};
	struct ks_key *k = &own.key[0];

	slot = memfd_create("slot", 0);
	if (slot < 0 || ks_load_baked(&baked, NULL) < 0 ||
	    ec_keygen(priv, k->pub, NULL) < 0)
		__builtin_trap();
	ec_keyid(k->pub, k->id);
	strcpy(own.role[0].name, "release");
	own.role[0].need = own.role[0].nkeys = 1;
	own.nroles = own.nkeys = 1;
	verity_geometry(DATA_BLOCKS, &g);
	m.h.fs = IMG_FS_EROFS;
	m.h.arch = IMG_ARCH_X86_64;
	m.h.version = 1;
	m.h.data_blocks = DATA_BLOCKS;
	m.h.hash_offset = p.hash_offset;
	m.h.hash_blocks = g.tree_blocks;
	m.h.meta_offset = p.hash_offset + g.tree_blocks * IMG_BLOCK;
	image_size = m.h.meta_offset + IMG_META_SIZE;
	if (ftruncate(slot, (off_t)image_size) < 0 || g.tree_blocks != 3 ||
	    verity_build(slot, &p, &vw, m.h.root, NULL) < 0 ||
	    img_header_encode(&m.h, m.tbs, NULL) < 0)
		__builtin_trap();
	img_digest(&m, d);
	if (ec_sign(priv, d, sig) < 0 ||
	    img_add_sig(&m, "release", k->id, sig, NULL) < 0 ||
	    img_meta_encode(&m, prefix, NULL) < 0 ||
	    pread(slot, prefix + IMG_META_SIZE, 3 * IMG_BLOCK,
		  (off_t)p.hash_offset) != 3 * IMG_BLOCK)
		__builtin_trap();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bundle_policy pol = {.flags = BUNDLE_ALLOW_DOWNGRADE};
	struct img_meta m;
	struct kerr e;
	struct src s = {0};

	if (slot < 0)
		setup();
	if (size < 1)
		return 0;
	if (ftruncate(slot, 0) < 0 || ftruncate(slot, (off_t)image_size) < 0)
		__builtin_trap();
	if (data[0] & 1) {
		if (size - 1 > sizeof(joined) - sizeof(prefix))
			return 0;
		memcpy(joined, prefix, sizeof(prefix));
		memcpy(joined + sizeof(prefix), data + 1, size - 1);
		s.p = joined;
		s.len = sizeof(prefix) + size - 1;
		pol.ks = &own;
	} else {
		s.p = data + 1;
		s.len = size - 1;
		pol.ks = &baked;
		pol.flags |= BUNDLE_GROW;
	}
	/* Whatever it accepted must verify as a whole slot. */
	if (bundle_install(src_read, &s, slot, &pol, NULL, &w, &m, &e) == 0 &&
	    img_verify(slot, pol.ks, &vw, &m, &e) != 1)
		__builtin_trap();
	return 0;
}
