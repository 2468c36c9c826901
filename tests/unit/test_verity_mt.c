// SPDX-License-Identifier: MIT
/* Unit tests of verity_check on several threads: faults in every share. */
#include <string.h>
#include <sys/stat.h>

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

int
main(void)
{
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 2;
	}
	mt_faults(128 * 9 + 5, 2, 4); /* 10 level 0 blocks, 2 levels */
	mt_faults(16385, 3, 3);	      /* 129 level 0 blocks, 3 levels */
	rmdir(tmpdir);
	return unit_done("verity_mt");
}
