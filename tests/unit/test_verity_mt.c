// SPDX-License-Identifier: MIT
/* Unit tests of verity_check on several threads: faults in every share. */
#define _GNU_SOURCE
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "lib/image/verity.h"
#include "unit.h"
#include "verity_fixture.h"

static const unsigned mode; /* verity_check's own choice after each test */

/* Flips the bytes at offs[0..k): check must fail naming exactly want. */
static void
expect_fault(int fd, const struct verity_params *p, const uint8_t root[32],
	     const uint64_t *offs, size_t k, const char *want, const char *what)
{
	uint8_t b[4], x;
	struct kerr e = {0};
	int ok;

	for (size_t i = 0; i < k; i++) {
		pread(fd, &b[i], 1, (off_t)offs[i]);
		x = b[i] ^ 0x10;
		pwrite(fd, &x, 1, (off_t)offs[i]);
	}
	ok = verity_check(fd, p, &work, root, &e);
	CHECK(ok == 0 && !strcmp(e.detail, want), "%s: %d '%s', not '%s'", what,
	      ok, e.detail, want);
	for (size_t i = k; i-- > 0;)
		pwrite(fd, &b[i], 1, (off_t)offs[i]);
}

/* A random byte of the data hashed into level 0 block h. */
static uint64_t
data_byte(uint64_t n, uint64_t h)
{
	uint64_t first = h * 128, count = n - first < 128 ? n - first : 128;

	return (first + rng() % count) * BS + rng() % BS;
}

/*
 * Faults in each thread's share of level 0 and in every level above, on
 * wmin to wmax threads: the report names the faulty block; of faults in
 * two shares, the one in the lower share.
 */
static void
mt_faults(uint64_t n, unsigned wmin, unsigned wmax)
{
	uint8_t salt[32], root[32];
	uint8_t *data = malloc(n * BS);
	struct verity_params p = {n, n * BS, salt, sizeof(salt)};
	struct verity_geo g;
	struct kerr e = {0};
	uint64_t groups, lvl0, offs[2];
	char path[256], want[80], what[80];
	int fd;

	fill_random(salt, sizeof(salt));
	fill_random(data, n * BS);
	verity_geometry(n, &g);
	groups = g.level_blocks[0];
	lvl0 = p.hash_offset + g.level_start[0] * BS;
	fd = make_file("mt", data, n, path);
	CHECK(verity_build(fd, &p, &work, root, &e) == 0, "mt build");
	for (unsigned w = wmin; w <= wmax; w++) {
		verity_set_workers(w);
		CHECK(verity_check(fd, &p, &work, root, &e) == 1 &&
			  verity_workers_used() == w,
		      "%llu blocks on %u threads: %s (%u ran)",
		      (unsigned long long)n, w, e.detail,
		      verity_workers_used());
		for (unsigned k = 0; k < w; k++) {
			uint64_t first = groups * k / w;
			uint64_t end = groups * (k + 1) / w;
			uint64_t h = first + rng() % (end - first);

			snprintf(want, sizeof(want),
				 "level 0 block %llu differs",
				 (unsigned long long)h);
			snprintf(what, sizeof(what), "%u threads, share %u", w,
				 k);
			offs[0] = data_byte(n, h);
			expect_fault(fd, &p, root, offs, 1, want, what);
			offs[0] = lvl0 + h * BS + rng() % BS;
			expect_fault(fd, &p, root, offs, 1, want, what);
			if (k + 1 == w)
				continue;
			/* The last share's fault is found too; k's wins. */
			offs[0] = data_byte(n, groups - 1);
			offs[1] = data_byte(n, h);
			expect_fault(fd, &p, root, offs, 2, want, what);
		}
		for (unsigned L = 1; L < g.levels; L++) {
			uint64_t idx = g.level_blocks[L] - 1;

			snprintf(want, sizeof(want),
				 "level %u block %llu differs", L,
				 (unsigned long long)idx);
			offs[0] = p.hash_offset +
				  (g.level_start[L] + idx) * BS + rng() % BS;
			expect_fault(fd, &p, root, offs, 1, want, "upper");
		}
		root[31] ^= 1;
		CHECK(verity_check(fd, &p, &work, root, &e) == 0 &&
			  !strcmp(e.detail, "root hash differs"),
		      "%u threads, wrong root: '%s'", w, e.detail);
		root[31] ^= 1;
	}
	verity_set_workers(mode);
	close(fd);
	unlink(path);
	free(data);
}

/*
 * A file that answers two reads of one block differently, as a FUSE or
 * NFS server can: the first read of each level 0 tree block gets the
 * forged tree, every later read the genuine one; data reads get the
 * forged data. A check that compares one read of a block but builds the
 * level above from another accepts the forged data.
 */
static struct {
	int fd; /* the file served so; -1: none */
	const uint8_t *forged;
	uint64_t data_end, lvl0, lvl0_end;
	unsigned reads[64]; /* per level 0 block */
} two_face = {.fd = -1};

static void
two_face_apply(uint8_t *buf, size_t n, uint64_t off)
{
	for (size_t i = 0; i < n;) {
		uint64_t at = off + i, b;
		size_t run;

		if (at < two_face.data_end) {
			run = (size_t)(two_face.data_end - at);
			run = run < n - i ? run : n - i;
			memcpy(buf + i, two_face.forged + at, run);
			i += run;
			continue;
		}
		if (at < two_face.lvl0 || at >= two_face.lvl0_end) {
			i++;
			continue;
		}
		b = (at - two_face.lvl0) / BS;
		run = (size_t)(BS - (at - two_face.lvl0) % BS);
		run = run < n - i ? run : n - i;
		if (b < 64 && two_face.reads[b] == 0)
			memcpy(buf + i, two_face.forged + at, run);
		if (b < 64 && at + run == two_face.lvl0 + (b + 1) * BS)
			two_face.reads[b]++;
		i += run;
	}
}

/*
 * A medium that answers the first read of each block with the genuine
 * bytes and every later one with the forged (reads shorter than a block,
 * the check's probe of the last byte, are not counted): what a copy made
 * by a second read would hold.
 */
static struct {
	int fd; /* -1: none */
	const uint8_t *forged;
	unsigned char reads[1 << 15]; /* per block of the file */
} later = {.fd = -1};

static void
later_apply(uint8_t *buf, size_t n, uint64_t off)
{
	for (uint64_t b = off / BS; n >= BS && b * BS < off + n; b++) {
		uint64_t from = b * BS > off ? b * BS : off;
		uint64_t to = (b + 1) * BS < off + n ? (b + 1) * BS : off + n;

		if (b >= sizeof(later.reads))
			break;
		if (__atomic_load_n(&later.reads[b], __ATOMIC_RELAXED))
			memcpy(buf + (from - off), later.forged + from,
			       (size_t)(to - from));
		__atomic_add_fetch(&later.reads[b], 1, __ATOMIC_RELAXED);
	}
}

/* lib/base/io.c reads through pread: this one serves two_face.fd and
 * later.fd. */
ssize_t
pread(int fd, void *buf, size_t n, off_t off)
{
	ssize_t r = syscall(SYS_pread64, fd, buf, n, off);

	if (fd == two_face.fd && r > 0)
		two_face_apply(buf, (size_t)r, (uint64_t)off);
	if (fd == later.fd && r > 0)
		later_apply(buf, (size_t)r, (uint64_t)off);
	return r;
}

/* Forged data with its own level 0, genuine levels above: refused. */
static void
split_reads(uint64_t n)
{
	uint8_t salt[16], root[32], froot[32];
	uint8_t *data = malloc(n * BS);
	struct verity_params p = {n, n * BS, salt, sizeof(salt)};
	struct verity_geo g;
	struct kerr e = {0};
	char path[256], fpath[256];
	uint64_t size;
	uint8_t *forged;
	int fd, ffd;

	fill_random(salt, sizeof(salt));
	fill_random(data, n * BS);
	verity_geometry(n, &g);
	fd = make_file("genuine", data, n, path);
	data[5 * BS + 17] ^= 0x55; /* the forged data: one byte of block 5 */
	ffd = make_file("forged", data, n, fpath);
	CHECK(verity_build(fd, &p, &work, root, &e) == 0 &&
		  verity_build(ffd, &p, &work, froot, &e) == 0,
	      "split reads: build");
	size = n * BS + g.tree_blocks * BS;
	forged = malloc(size);
	CHECK(pread(ffd, forged, size, 0) == (ssize_t)size, "read forged");
	two_face.forged = forged;
	two_face.data_end = n * BS;
	two_face.lvl0 = p.hash_offset + g.level_start[0] * BS;
	two_face.lvl0_end = two_face.lvl0 + g.level_blocks[0] * BS;
	for (unsigned w = 1; w <= VERITY_MAX_WORKERS; w++) {
		verity_set_workers(w);
		memset(two_face.reads, 0, sizeof(two_face.reads));
		two_face.fd = fd;
		strcpy(e.detail, "accepted");
		CHECK(verity_check(fd, &p, &work, root, &e) == 0 &&
			  !strcmp(e.detail, "level 1 block 0 differs"),
		      "%u threads: forged data with a level 0 read twice: "
		      "'%s'",
		      w, e.detail);
		two_face.fd = -1;
		CHECK(verity_check(fd, &p, &work, root, &e) == 1,
		      "%u threads: the genuine file: %s", w, e.detail);
	}
	verity_set_workers(mode);
	close(fd);
	close(ffd);
	unlink(path);
	unlink(fpath);
	free(forged);
	free(data);
}

/* verity_check_mem: the same verdicts on an image in memory, no file. */
static void
in_memory(uint64_t n)
{
	uint8_t salt[8], root[32];
	uint8_t *data = malloc(n * BS), *img;
	struct verity_params p = {n, n * BS, salt, sizeof(salt)};
	struct verity_geo g;
	struct kerr e = {0};
	char path[256];
	uint64_t size;
	int fd;

	fill_random(salt, sizeof(salt));
	fill_random(data, n * BS);
	verity_geometry(n, &g);
	fd = make_file("mem", data, n, path);
	CHECK(verity_build(fd, &p, &work, root, &e) == 0, "mem: build");
	size = n * BS + g.tree_blocks * BS;
	img = malloc(size);
	CHECK(pread(fd, img, size, 0) == (ssize_t)size, "mem: read");
	for (unsigned w = 1; w <= VERITY_MAX_WORKERS; w++) {
		verity_set_workers(w);
		CHECK(verity_check_mem(img, size, &p, &work, root, &e) == 1,
		      "mem, %u threads: %s", w, e.detail);
		img[7 * BS + 3] ^= 1;
		CHECK(verity_check_mem(img, size, &p, &work, root, &e) == 0 &&
			  !strcmp(e.detail, "level 0 block 0 differs"),
		      "mem, %u threads, a data byte: '%s'", w, e.detail);
		img[7 * BS + 3] ^= 1;
		img[size - 1] ^= 1; /* level 0 comes last */
		CHECK(verity_check_mem(img, size, &p, &work, root, &e) == 0 &&
			  strstr(e.detail, "differs"),
		      "mem, %u threads, a tree byte: '%s'", w, e.detail);
		img[size - 1] ^= 1;
		CHECK(verity_check_mem(img, size - BS, &p, &work, root, &e) ==
			      0 &&
			  strstr(e.detail, "the image ends there"),
		      "mem, %u threads, one block short: '%s'", w, e.detail);
	}
	verity_set_workers(mode);
	close(fd);
	unlink(path);
	free(img);
	free(data);
}

/*
 * verity_check_copy: the copy holds exactly the data checked (and not
 * the tree), each block read once, on one to four threads, even from a
 * medium that answers a second read of a block with forged bytes; a
 * fault is refused.
 */
static void
copy_once(uint64_t n)
{
	uint8_t salt[8], root[32];
	uint8_t *data = malloc(n * BS), *img, *got, *forged;
	struct verity_params p = {n, n * BS, salt, sizeof(salt)};
	struct verity_geo g;
	struct kerr e = {0};
	char path[256];
	uint64_t size;
	int fd, out;

	fill_random(salt, sizeof(salt));
	fill_random(data, n * BS);
	verity_geometry(n, &g);
	fd = make_file("copy", data, n, path);
	CHECK(verity_build(fd, &p, &work, root, &e) == 0, "copy: build");
	size = n * BS + g.tree_blocks * BS;
	img = malloc(size);
	got = malloc(size);
	forged = malloc(size);
	CHECK(pread(fd, img, size, 0) == (ssize_t)size, "copy: read");
	for (uint64_t i = 0; i < size; i++)
		forged[i] = img[i] ^ 0x5a;
	later.forged = forged;
	for (unsigned w = 1; w <= VERITY_MAX_WORKERS; w++) {
		unsigned most = 0;

		verity_set_workers(w);
		out = memfd_create("copy", MFD_CLOEXEC);
		CHECK(out >= 0 && ftruncate(out, (off_t)size) == 0,
		      "copy: memfd");
		memset(later.reads, 0, sizeof(later.reads));
		later.fd = fd;
		CHECK(verity_check_copy(fd, out, &p, &work, root, &e) == 1,
		      "copy, %u threads, second reads forged: %s", w, e.detail);
		later.fd = -1;
		for (size_t b = 0; b < size / BS && b < sizeof(later.reads);
		     b++)
			most = later.reads[b] > most ? later.reads[b] : most;
		CHECK(most == 1, "copy, %u threads: a block read %u times", w,
		      most);
		CHECK(pread(out, got, size, 0) == (ssize_t)size &&
			  !memcmp(got, img, n * BS),
		      "copy, %u threads: the copy is the checked data", w);
		/* the tree is compared, never copied: a hole of zeros */
		memset(img + n * BS, 0, size - n * BS);
		CHECK(!memcmp(got + n * BS, img + n * BS, size - n * BS),
		      "copy, %u threads: the tree not copied", w);
		CHECK(pread(fd, img + n * BS, size - n * BS, n * BS) ==
			  (ssize_t)(size - n * BS),
		      "copy: read the tree");
		close(out);
		out = memfd_create("copy", MFD_CLOEXEC);
		ftruncate(out, (off_t)size);
		data[0] ^= 1;
		pwrite(fd, data, 1, 0);
		CHECK(verity_check_copy(fd, out, &p, &work, root, &e) == 0 &&
			  !strcmp(e.detail, "level 0 block 0 differs"),
		      "copy, %u threads, a data byte: '%s'", w, e.detail);
		data[0] ^= 1;
		pwrite(fd, data, 1, 0);
		close(out);
	}
	verity_set_workers(mode);
	close(fd);
	unlink(path);
	free(img);
	free(got);
	free(forged);
	free(data);
}

int
main(void)
{
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 2;
	}
	mt_faults(128 * 9 + 5, 2, 4); /* 10 level 0 blocks, 2 levels */
	mt_faults(16385, 3, 3);	      /* 129 level 0 blocks, 3 levels */
	split_reads(128 * 9 + 5);
	in_memory(128 * 9 + 5);
	copy_once(128 * 9 + 5);
	copy_once(16385);
	rmdir(tmpdir);
	return unit_done("verity_mt");
}
