// SPDX-License-Identifier: MIT
/* Unit tests of lib/image/verity.c against a naive in-memory tree builder. */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lib/crypto/sha256.h"
#include "lib/image/verity.h"
#include "unit.h"
#include "verity_fixture.h"

/* mode: threads forced on verity_check (0: its choice) */
static unsigned mode;

/* ---- the reference: whole levels in memory, built by recursion ---- */

struct ref_tree {
	uint8_t *tree; /* top level first, level 0 last */
	uint64_t blocks;
	uint8_t root[32];
};

static void
ref_hash(const uint8_t *salt, size_t salt_len, const uint8_t *blk,
	 uint8_t out[32])
{
	uint8_t *buf = malloc(salt_len + BS);

	memcpy(buf, salt, salt_len);
	memcpy(buf + salt_len, blk, BS);
	sha256(buf, salt_len + BS, out);
	free(buf);
}

/* Hashes n blocks into the level above; prepends it; recurses upward. */
static void
ref_level(const uint8_t *below, uint64_t n, const uint8_t *salt,
	  size_t salt_len, struct ref_tree *t)
{
	uint64_t up;
	uint8_t *lvl, *joined;

	if (n == 1) {
		ref_hash(salt, salt_len, below, t->root);
		return;
	}
	up = (n + 127) / 128;
	lvl = calloc(up, BS);
	for (uint64_t i = 0; i < n; i++)
		ref_hash(salt, salt_len, below + i * BS, lvl + i * 32);
	joined = malloc((up + t->blocks) * BS);
	memcpy(joined, lvl, up * BS);
	if (t->blocks)
		memcpy(joined + up * BS, t->tree, t->blocks * BS);
	free(t->tree);
	t->tree = joined;
	t->blocks += up;
	ref_level(lvl, up, salt, salt_len, t);
	free(lvl);
}

static void
ref_build(const uint8_t *data, uint64_t n, const uint8_t *salt, size_t salt_len,
	  struct ref_tree *t)
{
	memset(t, 0, sizeof(*t));
	ref_level(data, n, salt, salt_len, t);
}

/* Geometry as cryptsetup describes it: bit shifts, no iteration. */
static void
geometry_cases(void)
{
	static const uint64_t extra[] = {
	    16383,
	    16384,
	    16385,
	    128ull * 128 * 128,
	    128ull * 128 * 128 + 1,
	    1ull << 40,
	    (1ull << 40) + 1,
	    1ull << 56,
	    0x123456789ull,
	    4611686018427387ull,
	};
	uint64_t counts[300 + sizeof(extra) / sizeof(extra[0])];
	size_t nc = 0;
	struct verity_geo g;

	for (uint64_t n = 1; n <= 300; n++)
		counts[nc++] = n;
	for (size_t i = 0; i < sizeof(extra) / sizeof(extra[0]); i++)
		counts[nc++] = extra[i];
	for (size_t i = 0; i < nc; i++) {
		uint64_t n = counts[i], pos = 0;
		unsigned levels = 0;
		int ok = 1;

		while (7 * levels < 64 && ((n - 1) >> (7 * levels)))
			levels++;
		if (verity_geometry(n, &g) < 0) {
			CHECK(0, "geometry(%llu) refused",
			      (unsigned long long)n);
			continue;
		}
		ok &= g.data_blocks == n && g.levels == levels;
		for (int L = (int)levels - 1; L >= 0 && ok; L--) {
			unsigned sh = 7 * (L + 1);
			uint64_t sz =
			    (n >> sh) + ((n & ((1ull << sh) - 1)) != 0);

			ok &=
			    g.level_blocks[L] == sz && g.level_start[L] == pos;
			pos += sz;
		}
		ok &= g.tree_blocks == pos;
		CHECK(ok, "geometry of %llu blocks", (unsigned long long)n);
	}
	CHECK(verity_geometry(0, &g) < 0, "0 blocks refused");
	CHECK(verity_geometry((1ull << 56) + 1, &g) < 0, "9 levels refused");
	CHECK(verity_geometry(UINT64_MAX, &g) < 0, "2^64-1 blocks refused");
	verity_geometry(2, &g);
	CHECK(g.levels == 1 && g.tree_blocks == 1, "2 blocks: one hash block");
	verity_geometry(16385, &g);
	CHECK(g.levels == 3 && g.tree_blocks == 129 + 2 + 1,
	      "16385 blocks: 3 levels");
}

/*
 * Threads a check must run on: one per level 0 block at most; by its own
 * choice, one per CPU (at most 4) from 1024 blocks on.
 */
static unsigned
want_workers(uint64_t n)
{
	uint64_t groups = (n + 127) / 128;
	unsigned want = mode;

	if (!mode) {
		long cpus = sysconf(_SC_NPROCESSORS_ONLN);

		want = n < 1024 ? 1 : cpus > 4 ? 4 : (unsigned)cpus;
	}
	if (n == 1 || want <= 1)
		return 1;
	return groups < want ? (unsigned)groups : want;
}

static int
tree_matches(int fd, uint64_t off, const struct ref_tree *t)
{
	uint8_t blk[BS];

	for (uint64_t i = 0; i < t->blocks; i++) {
		if (pread(fd, blk, BS, (off_t)(off + i * BS)) != BS)
			return 0;
		if (memcmp(blk, t->tree + i * BS, BS))
			return 0;
	}
	return 1;
}

static void
roundtrip(uint64_t n, size_t salt_len, uint64_t gap)
{
	uint8_t salt[VERITY_MAX_SALT], root[32];
	uint8_t *data = malloc(n * BS);
	struct verity_params p = {
	    .data_blocks = n,
	    .hash_offset = n * BS + gap,
	    .salt = salt,
	    .salt_len = salt_len,
	};
	struct ref_tree t;
	struct kerr e = {0};
	char path[256];
	int fd;

	fill_random(salt, sizeof(salt));
	fill_random(data, n * BS);
	ref_build(data, n, salt, salt_len, &t);
	fd = make_file("rt", data, n, path);
	CHECK(verity_build(fd, &p, &work, root, &e) == 0,
	      "build %llu blocks: %s", (unsigned long long)n, e.detail);
	CHECK(!memcmp(root, t.root, 32), "root of %llu blocks, salt %zu",
	      (unsigned long long)n, salt_len);
	CHECK(tree_matches(fd, p.hash_offset, &t),
	      "tree bytes of %llu blocks, salt %zu", (unsigned long long)n,
	      salt_len);
	CHECK(verity_check(fd, &p, &work, t.root, &e) == 1,
	      "check %llu blocks: %s", (unsigned long long)n, e.detail);
	CHECK(verity_workers_used() == want_workers(n),
	      "%llu blocks on %u threads, not %u", (unsigned long long)n,
	      verity_workers_used(), want_workers(n));
	root[5] ^= 0x40;
	e.detail[0] = 0;
	CHECK(verity_check(fd, &p, &work, root, &e) == 0 &&
		  strstr(e.detail, "root"),
	      "wrong root of %llu blocks: '%s'", (unsigned long long)n,
	      e.detail);
	close(fd);
	unlink(path);
	free(t.tree);
	free(data);
}

/* Flips each listed byte of the file in turn: check must say 0 each time. */
static void
flips(int fd, const struct verity_params *p, const uint8_t root[32],
      const uint64_t *offs, size_t n, const char *what)
{
	size_t bad = 0;
	struct kerr e;

	for (size_t i = 0; i < n; i++) {
		uint8_t b, x;

		pread(fd, &b, 1, (off_t)offs[i]);
		x = b ^ (uint8_t)(1u << (i % 8));
		pwrite(fd, &x, 1, (off_t)offs[i]);
		e.detail[0] = 0;
		if (verity_check(fd, p, &work, root, &e) != 0 ||
		    !strstr(e.detail, "differs")) {
			if (bad++ < 5)
				CHECK(0, "%s: flip at %llu accepted ('%s')",
				      what, (unsigned long long)offs[i],
				      e.detail);
		}
		pwrite(fd, &b, 1, (off_t)offs[i]);
	}
	CHECK(bad == 0, "%s: %zu of %zu flips accepted", what, bad, n);
	CHECK(verity_check(fd, p, &work, root, &e) == 1, "%s: restored: %s",
	      what, e.detail);
}

static void
tamper(uint64_t n, size_t tree_stride, size_t data_samples)
{
	uint8_t salt[32], root[32];
	uint8_t *data = malloc(n * BS);
	struct verity_params p = {
	    .data_blocks = n,
	    .hash_offset = n * BS,
	    .salt = salt,
	    .salt_len = sizeof(salt),
	};
	struct verity_geo g;
	struct kerr e;
	uint64_t *offs;
	size_t k = 0;
	char path[256];
	int fd;

	fill_random(salt, sizeof(salt));
	fill_random(data, n * BS);
	verity_geometry(n, &g);
	fd = make_file("tamper", data, n, path);
	CHECK(verity_build(fd, &p, &work, root, &e) == 0, "tamper build");
	offs = malloc((g.tree_blocks * BS / tree_stride + 2) * sizeof(*offs));
	for (uint64_t o = 0; o < g.tree_blocks * BS; o += tree_stride)
		offs[k++] = p.hash_offset + o;
	offs[k++] = p.hash_offset + g.tree_blocks * BS - 1;
	flips(fd, &p, root, offs, k, "tree");
	free(offs);

	offs = malloc((data_samples + 2) * sizeof(*offs));
	k = 0;
	offs[k++] = 0;
	offs[k++] = n * BS - 1;
	for (size_t i = 0; i < data_samples; i++)
		offs[k++] = rng() % (n * BS);
	flips(fd, &p, root, offs, k, "data");
	free(offs);
	close(fd);
	unlink(path);
	free(data);
}

/* Short files, bad parameters: clean errors, never a 1. */
static void
refusals(void)
{
	uint64_t n = 300;
	uint8_t salt[VERITY_MAX_SALT + 1] = {1}, root[32];
	uint8_t *data = calloc(n, BS);
	struct verity_params p = {
	    .data_blocks = n,
	    .hash_offset = n * BS,
	    .salt = salt,
	    .salt_len = 8,
	};
	struct verity_params q;
	struct verity_geo g;
	struct kerr e;
	char path[256];
	int fd;

	verity_geometry(n, &g);
	fd = make_file("short", data, n, path);
	CHECK(verity_build(fd, &p, &work, root, &e) == 0, "build: %s",
	      e.detail);
	CHECK(verity_check(fd, &p, &work, root, &e) == 1, "check");

	/* The tree cut short by one byte, then gone, then data cut too. */
	ftruncate(fd, (off_t)(p.hash_offset + g.tree_blocks * BS - 1));
	e.detail[0] = 0;
	CHECK(verity_check(fd, &p, &work, root, &e) == 0 &&
		  strstr(e.detail, "read at offset") &&
		  strstr(e.detail, "short read"),
	      "cut tree: '%s'", e.detail);
	ftruncate(fd, (off_t)p.hash_offset);
	CHECK(verity_check(fd, &p, &work, root, &e) == 0 &&
		  strstr(e.detail, "short read"),
	      "no tree: '%s'", e.detail);
	ftruncate(fd, (off_t)(n * BS - 100));
	e.detail[0] = 0;
	CHECK(verity_check(fd, &p, &work, root, &e) == 0 &&
		  strstr(e.detail, "read at offset 1228799: short read"),
	      "cut data, check: '%s'", e.detail);
	e.detail[0] = 0;
	CHECK(verity_build(fd, &p, &work, root, &e) == -1 &&
		  strstr(e.detail, "read at offset 1228799: short read"),
	      "cut data, build: '%s'", e.detail);
	CHECK(verity_build(-1, &p, &work, root, &e) == -1 &&
		  strstr(e.detail, "Bad file descriptor"),
	      "bad fd: '%s'", e.detail);

	q = p, q.data_blocks = 0;
	CHECK(verity_build(fd, &q, &work, root, &e) == -1, "0 blocks");
	q = p, q.hash_offset += 1;
	CHECK(verity_build(fd, &q, &work, root, &e) == -1 &&
		  strstr(e.detail, "multiple"),
	      "unaligned: '%s'", e.detail);
	q = p, q.hash_offset -= BS;
	CHECK(verity_check(fd, &q, &work, root, &e) == 0 &&
		  strstr(e.detail, "inside the data"),
	      "overlap: '%s'", e.detail);
	q = p, q.salt_len = VERITY_MAX_SALT + 1;
	CHECK(verity_build(fd, &q, &work, root, &e) == -1 &&
		  strstr(e.detail, "salt"),
	      "long salt: '%s'", e.detail);
	q = p, q.hash_offset = (UINT64_MAX / BS) * BS;
	CHECK(verity_build(fd, &q, &work, root, &e) == -1 &&
		  strstr(e.detail, "past the end"),
	      "offset overflow: '%s'", e.detail);
	q = p, q.hash_offset = ((uint64_t)INT64_MAX / BS) * BS;
	CHECK(verity_check(fd, &q, &work, root, &e) == 0 &&
		  strstr(e.detail, "past the end"),
	      "offset past off_t: '%s'", e.detail);
	q = p, q.data_blocks = UINT64_MAX / BS + 1, q.hash_offset = 0;
	CHECK(verity_check(fd, &q, &work, root, &e) == 0 &&
		  strstr(e.detail, "too large"),
	      "data overflow: '%s'", e.detail);
	q = p, q.data_blocks = 1ull << 56;
	q.hash_offset = q.data_blocks * BS;
	CHECK(verity_check(fd, &q, &work, root, &e) == 0, "2^56 blocks");
	close(fd);
	unlink(path);
	free(data);
}

/*
 * Known answers from `veritysetup format --no-superblock` (2.6.1) for
 * blocks whose every byte is (block index & 0xff), salt 00 01 .. 1f.
 */
static void
known_answers(void)
{
	static const struct {
		uint64_t n;
		size_t salt_len;
		const char *root;
	} kat[] = {
	    {1, 0,
	     "ad7facb2586fc6e966c004d7d1d16b02"
	     "4f5805ff7cb47c7a85dabd8b48892ca7"},
	    {1, 32,
	     "4ce3ecf32c133bf6321901b609221947"
	     "4b6ac91a19d0304621d629e6bb9987dc"},
	    {129, 0,
	     "f0dbc433d6188c4e8e30ee2de31ee90a"
	     "b1edf2fd7438d97feab12f75375886ad"},
	    {129, 32,
	     "6093a2333523050b628581510028976d"
	     "3d3e9c62458642a83727e6df641397a4"},
	};

	for (size_t i = 0; i < sizeof(kat) / sizeof(kat[0]); i++) {
		uint64_t n = kat[i].n;
		uint8_t salt[32], want[32], root[32];
		uint8_t *data = malloc(n * BS);
		struct verity_params p = {
		    .data_blocks = n,
		    .hash_offset = n * BS,
		    .salt = salt,
		    .salt_len = kat[i].salt_len,
		};
		struct kerr e;
		char path[256];
		int fd;

		for (int j = 0; j < 32; j++)
			salt[j] = (uint8_t)j;
		for (uint64_t b = 0; b < n; b++)
			memset(data + b * BS, (int)(b & 0xff), BS);
		unit_hex(kat[i].root, want, 32);
		fd = make_file("kat", data, n, path);
		CHECK(verity_build(fd, &p, &work, root, &e) == 0 &&
			  !memcmp(root, want, 32),
		      "known answer %zu", i);
		CHECK(verity_check(fd, &p, &work, want, &e) == 1,
		      "known answer %zu, check: %s", i, e.detail);
		close(fd);
		unlink(path);
		free(data);
	}
}

/* ---- modes for shell tests and the benchmark ---- */

static int
parse_params(char **av, struct verity_params *p, uint8_t *salt)
{
	size_t len = strcmp(av[3], "-") ? strlen(av[3]) : 0;

	if (len % 2 || len / 2 > VERITY_MAX_SALT)
		return -1;
	unit_hex(av[3], salt, len / 2);
	p->data_blocks = strtoull(av[1], NULL, 0);
	p->hash_offset = strtoull(av[2], NULL, 0);
	p->salt = salt;
	p->salt_len = len / 2;
	return 0;
}

/* build FILE BLOCKS OFFSET SALT | check FILE BLOCKS OFFSET SALT ROOT */
static int
tool(int ac, char **av)
{
	int check = !strcmp(av[1], "check");
	uint8_t salt[VERITY_MAX_SALT], root[32];
	struct verity_params p;
	struct kerr e = {0};
	struct timespec t0, t1;
	double s;
	int fd, ok;

	if (ac != 6 + check || parse_params(av + 2, &p, salt) < 0 ||
	    (check && strlen(av[6]) != 64)) {
		fprintf(stderr, "usage: test_verity build|check FILE BLOCKS "
				"OFFSET SALTHEX|- [ROOTHEX]\n");
		return 2;
	}
	fd = open(av[2], check ? O_RDONLY : O_RDWR);
	if (fd < 0) {
		perror(av[2]);
		return 2;
	}
	if (getenv("KEEL_VERITY_WORKERS"))
		verity_set_workers(
		    (unsigned)atoi(getenv("KEEL_VERITY_WORKERS")));
	/* for figures: BearSSL's code where the CPU has SHA instructions */
	if (getenv("KEEL_SHA256_SOFT") && *getenv("KEEL_SHA256_SOFT"))
		sha256_allow_hw(0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (check) {
		unit_hex(av[6], root, 32);
		ok = verity_check(fd, &p, &work, root, &e);
	} else {
		ok = verity_build(fd, &p, &work, root, &e) == 0;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	close(fd);
	if (!ok) {
		fprintf(stderr, "test_verity: %s: %s\n", e.check, e.detail);
		return 1;
	}
	s = (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
	if (!check) {
		for (int i = 0; i < 32; i++)
			printf("%02x", root[i]);
		printf("\n");
	}
	fprintf(stderr,
		"%s: %llu blocks in %.3f s (%.0f blocks/s, sha hw %d, "
		"threads %u)\n",
		av[1], (unsigned long long)p.data_blocks, s,
		(double)p.data_blocks / s, sha256_hw(),
		check ? verity_workers_used() : 1);
	return 0;
}

int
main(int argc, char **argv)
{
	static const uint64_t counts[] = {1, 2, 127, 128, 129, 1000, 1029};
	static const unsigned modes[] = {1, 2, 3, 4, 0};

	if (argc > 1 &&
	    (!strcmp(argv[1], "build") || !strcmp(argv[1], "check")))
		return tool(argc, argv);
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 2;
	}
	geometry_cases();
	/* The single-thread pass, forced threads, and verity_check's choice. */
	for (size_t m = 0; m < sizeof(modes) / sizeof(modes[0]); m++) {
		mode = modes[m];
		verity_set_workers(mode);
		for (size_t i = 0; i < sizeof(counts) / sizeof(counts[0]);
		     i++) {
			roundtrip(counts[i], 0, 0);
			roundtrip(counts[i], 32, BS);
			roundtrip(counts[i], VERITY_MAX_SALT, 0);
			roundtrip(counts[i], 7, 3 * BS);
		}
		tamper(2, 1, 64); /* every byte of a one-block tree */
		/* every 7th byte of a two-level tree, or every 61st */
		tamper(130, mode == 1 ? 7 : 61, 64);
		tamper(700, 257, 16); /* six level 0 blocks */
		refusals();
		known_answers();
	}
	mode = 0;
	verity_set_workers(0);
	roundtrip(16385, 32, 0);
	/* The saved post-salt context must work on the portable path too. */
	sha256_allow_hw(0);
	verity_set_workers(1);
	roundtrip(129, 32, 0);
	known_answers();
	verity_set_workers(4);
	mode = 4;
	roundtrip(1000, 32, 0);
	known_answers();
	sha256_allow_hw(1);
	rmdir(tmpdir);
	return unit_done("verity");
}
