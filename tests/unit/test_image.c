// SPDX-License-Identifier: MIT
/* Slot format: every byte of the metadata matters, policies, truncation. */
#define _GNU_SOURCE /* F_GET_SEALS */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/image/image.h"
#include "lib/crypto/sha256.h"
#include "tests/unit/refuse_call.h"
#include "tests/unit/unit.h"

#define DATA_BLOCKS 300 /* a 2-level tree */

static struct verity_work w;
static struct keyset ks;
static char path[64] = "/tmp/keel-test-image.XXXXXX";

static uint8_t priv_a[EC_PRIV_LEN], pub_a[EC_PUB_LEN], id_a[EC_KEYID_LEN];
static uint8_t priv_b[EC_PRIV_LEN], pub_b[EC_PUB_LEN], id_b[EC_KEYID_LEN];

static void
load_key(const char *file, uint8_t *priv, uint8_t *pub, uint8_t *id)
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
	ec_keyid(pub, id);
}

static void
sign(struct img_meta *m, const uint8_t *priv, const uint8_t *id,
     const char *role)
{
	uint8_t d[32], sig[EC_SIG_LEN];

	img_digest(m, d);
	CHECK(ec_sign(priv, d, sig) == 0, "ec_sign");
	CHECK(img_add_sig(m, role, id, sig, NULL) == 0, "img_add_sig");
}

/* Writes a fresh, signed image of random data; returns its fd. */
static int
make_image(struct img_meta *m, int signers)
{
	struct verity_params p;
	struct verity_geo g;
	uint8_t blk[IMG_BLOCK];
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);

	srand(7);
	for (unsigned b = 0; b < DATA_BLOCKS; b++) {
		for (unsigned i = 0; i < sizeof(blk); i++)
			blk[i] = (uint8_t)rand();
		pwrite(fd, blk, sizeof(blk), (off_t)b * IMG_BLOCK);
	}
	memset(m, 0, sizeof(*m));
	verity_geometry(DATA_BLOCKS, &g);
	m->h.fs = IMG_FS_EROFS;
	m->h.arch = IMG_ARCH_X86_64;
	m->h.version = 42;
	m->h.epoch = 3;
	m->h.data_blocks = DATA_BLOCKS;
	m->h.hash_offset = DATA_BLOCKS * IMG_BLOCK;
	m->h.hash_blocks = g.tree_blocks;
	m->h.meta_offset = m->h.hash_offset + g.tree_blocks * IMG_BLOCK;
	m->h.salt_len = 32;
	memset(m->h.salt, 0x5a, 32);
	strcpy(m->h.board, "qemu-x86_64");
	strcpy(m->h.name, "unit test");
	p.data_blocks = DATA_BLOCKS;
	p.hash_offset = m->h.hash_offset;
	p.salt = m->h.salt;
	p.salt_len = m->h.salt_len;
	CHECK(verity_build(fd, &p, &w, m->h.root, NULL) == 0, "verity_build");
	CHECK(img_header_encode(&m->h, m->tbs, NULL) == 0, "encode");
	if (signers & 1)
		sign(m, priv_a, id_a, "release");
	if (signers & 2)
		sign(m, priv_b, id_b, "release");
	CHECK(img_write_meta(fd, m, NULL) == 0, "img_write_meta");
	return fd;
}

static int
verify(int fd, const struct keyset *k, struct kerr *e)
{
	struct img_meta m;

	return img_verify(fd, k, &w, &m, e);
}

static void
flip(int fd, uint64_t off, uint8_t mask)
{
	uint8_t c;

	pread(fd, &c, 1, (off_t)off);
	c ^= mask;
	pwrite(fd, &c, 1, (off_t)off);
}

/* Every single-byte change in the metadata block and footer is refused. */
static void
test_every_metadata_byte(void)
{
	struct img_meta m;
	struct kerr e;
	int fd = make_image(&m, 1), bad = 0;
	uint64_t start = m.h.meta_offset;

	CHECK(verify(fd, &ks, &e) == 1, "good image verifies: %s", e.detail);
	for (uint64_t off = start; off < start + IMG_META_SIZE; off++) {
		for (int v = 0; v < 2; v++) {
			uint8_t mask = v ? 0xff : 0x01;
			flip(fd, off, mask);
			if (verify(fd, &ks, &e) != 0)
				bad++;
			flip(fd, off, mask);
		}
	}
	CHECK(bad == 0, "%d single-byte changes of the metadata verified", bad);
	CHECK(verify(fd, &ks, &e) == 1, "restored image verifies");
	close(fd);
}

/* Sampled changes in the tree and the data, and truncation. */
static void
test_tree_data_truncation(void)
{
	struct img_meta m;
	struct kerr e;
	int fd = make_image(&m, 1), bad = 0;
	uint64_t size = m.h.meta_offset + IMG_META_SIZE;
	uint8_t *copy = malloc(size);

	CHECK(pread(fd, copy, size, 0) == (ssize_t)size, "read image");
	srand(11);
	for (int i = 0; i < 300; i++) {
		uint64_t off = (uint64_t)rand() % m.h.meta_offset;
		uint8_t mask = (uint8_t)(1 << (rand() % 8));
		flip(fd, off, mask);
		if (verify(fd, &ks, &e) != 0)
			bad++;
		flip(fd, off, mask);
	}
	CHECK(bad == 0, "%d tree/data changes verified", bad);
	CHECK(verify(fd, &ks, &e) == 1, "restored image verifies");

	/* Truncation: every length in the last 12 KiB, sampled before. */
	bad = 0;
	for (uint64_t len = 0; len < size;
	     len += len + 12288 < size ? 4093 : 1) {
		CHECK(ftruncate(fd, (off_t)len) == 0, "ftruncate");
		if (verify(fd, &ks, &e) != 0)
			bad++;
		pwrite(fd, copy + len, size - len, (off_t)len);
	}
	CHECK(bad == 0, "%d truncated images verified", bad);
	CHECK(verify(fd, &ks, &e) == 1, "restored image verifies");
	/* Appended bytes move the footer: refused too. */
	CHECK(ftruncate(fd, (off_t)size + 4096) == 0, "grow");
	CHECK(verify(fd, &ks, &e) == 0, "grown image refused");
	free(copy);
	close(fd);
}

static void
test_signature_policy(void)
{
	struct img_meta m;
	struct kerr e;
	struct keyset two;
	uint8_t blk[IMG_META_SIZE];
	int fd;

	fd = make_image(&m, 0);
	CHECK(verify(fd, &ks, &e) == 0 &&
		  !strcmp(e.detail, "image is unsigned"),
	      "unsigned refused: %s", e.detail);
	close(fd);

	/* A policy that needs two release signatures. */
	two = ks;
	two.role[0].need = 2;
	fd = make_image(&m, 1);
	CHECK(verify(fd, &two, &e) == 0 && !strcmp(e.check, "policy"),
	      "1 of 2 refused: %s", e.detail);
	close(fd);
	fd = make_image(&m, 3);
	CHECK(verify(fd, &two, &e) == 1, "2 of 2 verifies: %s", e.detail);
	close(fd);

	/* The same key twice must not count twice: forge the table. */
	fd = make_image(&m, 1);
	m.sig[1] = m.sig[0];
	m.nsig = 2;
	CHECK(img_meta_encode(&m, blk, NULL) == 0, "encode forged");
	pwrite(fd, blk, sizeof(blk), (off_t)m.h.meta_offset);
	CHECK(verify(fd, &two, &e) == 0 && strstr(e.detail, "twice"),
	      "duplicate refused: %s", e.detail);
	CHECK(img_add_sig(&m, "release", id_a, m.sig[0].sig, NULL) < 0,
	      "img_add_sig refuses a key twice");
	close(fd);

	/* A role the key set does not have, a key it does not have. */
	fd = make_image(&m, 0);
	sign(&m, priv_a, id_a, "platform");
	img_write_meta(fd, &m, NULL);
	CHECK(verify(fd, &ks, &e) == 0 && strstr(e.detail, "role not in"),
	      "unknown role refused: %s", e.detail);
	close(fd);
}

static void
test_header_fields(void)
{
	struct img_header h;
	struct img_meta m;
	struct kerr e;
	uint8_t t[IMG_TBS_SIZE];
	int fd = make_image(&m, 0);

	close(fd);
	h = m.h;
	h.version = UINT64_MAX;
	CHECK(img_header_encode(&h, t, &e) < 0, "encode refuses 2^64-1");
	/* Forge the field in the bytes: decode refuses it as well. */
	memcpy(t, m.tbs, sizeof(t));
	memset(t + 24, 0xff, 8);
	CHECK(img_header_decode(t, &h, &e) < 0 && strstr(e.detail, "version"),
	      "decode refuses version 2^64-1: %s", e.detail);
	memcpy(t, m.tbs, sizeof(t));
	t[20] = 9;
	CHECK(img_header_decode(t, &h, &e) < 0, "unknown fs refused");
	memcpy(t, m.tbs, sizeof(t));
	t[16] = 1;
	CHECK(img_header_decode(t, &h, &e) < 0, "critical flag refused");
	memcpy(t, m.tbs, sizeof(t));
	t[40]++; /* data_blocks no longer matches the geometry */
	CHECK(img_header_decode(t, &h, &e) < 0,
	      "inconsistent geometry refused");
	/* The architecture: x86_64 or aarch64, nothing else, never none. */
	memcpy(t, m.tbs, sizeof(t));
	t[368] = 0;
	CHECK(img_header_decode(t, &h, &e) < 0 && strstr(e.detail, "arch"),
	      "no architecture refused: %s", e.detail);
	t[368] = 3;
	CHECK(img_header_decode(t, &h, &e) < 0, "unknown architecture refused");
	t[368] = 2;
	CHECK(img_header_decode(t, &h, &e) == 0 && h.arch == IMG_ARCH_AARCH64,
	      "aarch64");
	CHECK(!img_check_device(&h, NULL, IMG_ARCH_X86_64, 0, &e) &&
		  !strcmp(e.check, "arch") &&
		  img_check_device(&h, NULL, 0, 0, &e) == 1 &&
		  img_check_device(&h, NULL, IMG_ARCH_AARCH64, 0, &e) == 1,
	      "device arch rule");
	memcpy(t, m.tbs, sizeof(t));
	t[367] = 0x80; /* build time 2^63 */
	CHECK(img_header_decode(t, &h, &e) < 0, "build time 2^63 refused");
	memcpy(t, m.tbs, sizeof(t));
	t[372] = 1;
	CHECK(img_header_decode(t, &h, &e) < 0 && strstr(e.detail, "reserved"),
	      "reserved byte refused");
	h = m.h;
	h.build_time = 1764000000;
	CHECK(img_header_encode(&h, t, &e) == 0 &&
		  img_header_decode(t, &h, &e) == 0 &&
		  h.build_time == 1764000000 && h.arch == IMG_ARCH_X86_64,
	      "build time and arch round trip");
	memcpy(t, m.tbs, sizeof(t));
	CHECK(img_header_decode(t, &h, &e) == 0 && h.version == 42 &&
		  h.epoch == 3 && !strcmp(h.board, "qemu-x86_64"),
	      "round trip");
}

/*
 * What img_verify_copy hands out holds the checked data (the tree is not
 * copied: zeros) and is written by no one from then on: a sealed memfd,
 * or a file with no name on a filesystem mounted nowhere (its path, from
 * /proc, is "/#INODE (deleted)": no directory above it). "" or what is
 * wrong.
 */
static const char *
copy_kind(int c, const struct img_meta *m, const uint8_t *img, int *sealed)
{
	const int all =
	    F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE;
	uint64_t data = m->h.data_blocks * IMG_BLOCK, n = m->h.meta_offset;
	uint8_t *got = calloc(1, n), *zero = calloc(1, n);
	char fd_path[64], target[256] = "";
	const char *bad = "";
	struct stat st;
	int seals = fcntl(c, F_GET_SEALS);

	snprintf(fd_path, sizeof(fd_path), "/proc/self/fd/%d", c);
	*sealed = seals >= 0 && (seals & all) == all;
	if (fstat(c, &st) < 0 || (uint64_t)st.st_size != n)
		bad = "size";
	else if (pread(c, got, n, 0) != (ssize_t)n || memcmp(got, img, data) ||
		 memcmp(got + data, zero, n - data))
		bad = "content";
	else if (!*sealed && st.st_nlink != 0)
		bad = "unsealed, with a name";
	else if (!*sealed &&
		 (readlink(fd_path, target, sizeof(target) - 1) < 0 ||
		  strchr(target + 1, '/')))
		bad = "unsealed, on a mounted filesystem";
	free(got);
	free(zero);
	return bad;
}

/* The child's img_verify_copy with fsopen failing (ENOSYS): the memfd. */
static int
copy_without_fsopen(int fd, const struct img_meta *m, const uint8_t *img)
{
	struct kerr e = {0};
	int sealed = 0, c;

	if (refuse_call(SYS_fsopen, ENOSYS) < 0)
		return 2; /* no seccomp (an emulator): not tested */
	c = img_verify_copy(fd, m, &w, &e);
	return c >= 0 && !copy_kind(c, m, img, &sealed)[0] && sealed ? 0 : 1;
}

static void
test_verify_copy(void)
{
	struct img_meta m;
	struct kerr e = {0};
	int fd = make_image(&m, 1), sealed = 0, st = 0, c;
	uint8_t *img = malloc(m.h.meta_offset);
	pid_t pid;

	CHECK(pread(fd, img, m.h.meta_offset, 0) == (ssize_t)m.h.meta_offset,
	      "read image");
	c = img_verify_copy(fd, &m, &w, &e);
	CHECK(c >= 0, "copy: %s", e.detail);
	if (c >= 0) {
		const char *bad = copy_kind(c, &m, img, &sealed);

		CHECK(!bad[0], "the copy (%s): %s",
		      sealed ? "sealed memfd" : "private file", bad);
		close(c);
	}
	pid = fork();
	if (pid == 0)
		_exit(copy_without_fsopen(fd, &m, img));
	CHECK(pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st) &&
		  WEXITSTATUS(st) != 1,
	      "without fsopen: a sealed memfd holding the data (status %d)",
	      st);
	flip(fd, 5 * IMG_BLOCK, 1);
	CHECK(img_verify_copy(fd, &m, &w, &e) < 0, "a changed block copied");
	free(img);
	close(fd);
}

static void
test_garbage(void)
{
	uint8_t buf[IMG_BLOCK];
	struct kerr e;
	int fd, bad = 0;

	srand(3);
	for (int i = 0; i < 200; i++) {
		fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
		for (int b = 0; b < 1 + i % 5; b++) {
			for (unsigned j = 0; j < sizeof(buf); j++)
				buf[j] = (uint8_t)rand();
			if (i % 3 == 0) /* a footer magic with random fields */
				memcpy(buf + sizeof(buf) - 64, "KEELFTR1", 8);
			write(fd, buf, sizeof(buf) - (size_t)(i % 7));
		}
		if (verify(fd, &ks, &e) != 0)
			bad++;
		close(fd);
	}
	CHECK(bad == 0, "%d garbage files verified", bad);
}

int
main(void)
{
	struct kerr e;
	int fd = mkstemp(path);

	if (fd < 0)
		return 1;
	close(fd);
	load_key("keys/test/release/test-release-a.key", priv_a, pub_a, id_a);
	load_key("keys/test/release/test-release-b.key", priv_b, pub_b, id_b);
	CHECK(ks_load_dir("keys/test", &ks, &e) == 0, "keys/test: %s",
	      e.detail);
	test_header_fields();
	test_signature_policy();
	test_every_metadata_byte();
	test_tree_data_truncation();
	test_verify_copy();
	test_garbage();
	unlink(path);
	return unit_done("image");
}
