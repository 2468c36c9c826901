// SPDX-License-Identifier: MIT
/* Unit tests of the bundle installer's worker threads and their faults. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include "tests/unit/bundle_fixture.h"

/* Threads of this process now. */
static int
threads(void)
{
	DIR *d = opendir("/proc/self/task");
	struct dirent *de;
	int n = 0;

	if (!d)
		return -1;
	while ((de = readdir(d)))
		n += de->d_name[0] != '.';
	closedir(d);
	return n;
}

/*
 * The progress hook of these tests: it notes the thread it runs on and
 * the workers running, and once `at` bytes are written does act (to the
 * slot, through a description of its own, without O_DIRECT).
 */
struct watch {
	int slot;
	uint64_t at, arg;
	void (*act)(struct watch *);
	int acted, foreign;
	pid_t tid;
	unsigned workers;
};

static void
watch_progress(void *ctx, uint64_t done, uint64_t total)
{
	struct watch *wa = ctx;

	wa->foreign |= gettid() != wa->tid;
	if (bw.pool.threads > wa->workers)
		wa->workers = bw.pool.threads;
	if (wa->act && !wa->acted && done >= wa->at) {
		wa->acted = 1;
		wa->act(wa);
	}
}

/* A reader over the bundle that fails with errno `err` at byte `fail`. */
struct bad_src {
	struct mem_src m;
	size_t fail;
	int err, calls;
};

static ssize_t
bad_read(void *ctx, void *buf, size_t len)
{
	struct bad_src *s = ctx;

	/* EINTR comes every third call and is retried by the installer. */
	if (s->err == EINTR ? ++s->calls % 3 == 0 : s->m.pos == s->fail) {
		errno = s->err;
		return -1;
	}
	if (s->err != EINTR && len > s->fail - s->m.pos)
		len = s->fail - s->m.pos;
	return mem_read(&s->m, buf, len);
}

static int
install_watched(struct bad_src *src, int slot, struct watch *wa, struct kerr *e)
{
	struct bundle_policy pol = {
	    .ks = &ks, .flags = BUNDLE_ALLOW_DOWNGRADE | BUNDLE_GROW};
	struct bad_src whole = {{bundle, bundle_len, 0, 7}, SIZE_MAX, 0, 0};
	struct bundle_hooks h = {NULL, watch_progress, wa};
	struct img_meta m;

	memset(e, 0, sizeof(*e));
	wa->tid = gettid();
	wa->slot = -1;
	if (!src)
		src = &whole;
	if (wa->act) {
		char path[64];

		snprintf(path, sizeof(path), "/proc/self/fd/%d", slot);
		wa->slot = open(path, O_RDWR);
	}
	int r = bundle_install(bad_read, src, slot, &pol, &h, &bw, &m, e);
	if (wa->slot >= 0)
		close(wa->slot);
	return r;
}

/* A slot that can be sealed against writes. */
static int
sealable_slot(void)
{
	return memfd_create("slot", MFD_ALLOW_SEALING);
}

static void
act_flip(struct watch *wa)
{
	uint8_t b;

	pread(wa->slot, &b, 1, (off_t)wa->arg);
	b ^= 0x40;
	pwrite(wa->slot, &b, 1, (off_t)wa->arg);
}

/* Block 1500 of the slot gets block 500's bytes: a flash whose address
 * lines wrap writes a later block over an earlier one. */
static void
act_wrap(struct watch *wa)
{
	uint8_t b[IMG_BLOCK];

	pread(wa->slot, b, sizeof(b), 500 * IMG_BLOCK);
	pwrite(wa->slot, b, sizeof(b), 1500 * IMG_BLOCK);
}

static void
act_seal(struct watch *wa)
{
	CHECK(fcntl(wa->slot, F_ADD_SEALS, F_SEAL_WRITE) == 0, "seal: %s",
	      strerror(errno));
}

static void
act_cut(struct watch *wa)
{
	ftruncate(wa->slot, (off_t)wa->arg);
}

/* Hooks on the caller's thread, workers running, none left after. */
static void
test_threads(void)
{
	struct img_meta m;
	struct kerr e = {0};
	int fd = make_image(&m, 16513, 5, 1), slot = slot_new();
	int before = threads();

	make_bundle(fd, &m);
	for (int round = 0; round < 2; round++) {
		struct watch wa = {0};

		CHECK(install_watched(NULL, slot, &wa, &e) == 0, "install: %s",
		      e.detail);
		CHECK(!wa.foreign, "progress ran on the caller's thread only");
		CHECK(wa.workers == BUNDLE_WORKERS, "%u workers ran",
		      wa.workers);
		CHECK(threads() == before, "threads after: %d, before %d",
		      threads(), before);
		CHECK(slot_verifies(slot) == 1 && slot_equals_image(slot),
		      "slot holds the image");
	}
	close(slot);
	close(fd);
}

/*
 * The slot changes after the last write and before the read-back (bad
 * flash): a worker, a tree block or the top: refused, metadata never
 * written.
 */
static void
test_readback_faults(void)
{
	struct img_meta m;
	struct kerr e = {0};
	int fd = make_image(&m, 2000, 5, 1), slot = slot_new();
	uint64_t data = m.h.hash_offset, l0 = data + IMG_BLOCK;
	const struct {
		uint64_t off;
		const char *says;
	} cases[] = {
	    {1500 * IMG_BLOCK + 9, "block 1500 does not match"},
	    {5, "block 0 does not match"},
	    {data - 1, "block 1999 does not match"},
	    {l0 + 7 * IMG_BLOCK + 100, "level 0 block 7 changed"},
	    {data + 3, "level 1 block 0 changed"},
	};

	make_bundle(fd, &m);
	for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		struct watch wa = {.at = image_len - IMG_META_SIZE,
				   .arg = cases[k].off,
				   .act = act_flip};
		int r = install_watched(NULL, slot, &wa, &e);

		CHECK(r < 0 && wa.acted && failed_at(&e, "read-back") &&
			  strstr(e.detail, cases[k].says),
		      "flip at %llu: %d %s: %s",
		      (unsigned long long)cases[k].off, r,
		      e.check ? e.check : "-", e.detail);
		CHECK(bw.done == image_len - IMG_META_SIZE &&
			  !slot_verifies(slot),
		      "no metadata after a failed read-back");
	}
	{
		struct watch wa = {.at = image_len - IMG_META_SIZE,
				   .act = act_wrap};
		int r = install_watched(NULL, slot, &wa, &e);

		CHECK(r < 0 && wa.acted && failed_at(&e, "read-back") &&
			  strstr(e.detail, "block 1500 does not match"),
		      "a block written over another: %d %s", r, e.detail);
	}
	close(slot);
	close(fd);
}

/*
 * The read-back's fingerprint: the same however the blocks are grouped;
 * a changed byte, two blocks swapped, or a block's bytes at another
 * block's place change it.
 */
static void
test_sum(void)
{
	static uint8_t b[4][IMG_BLOCK], c[4][IMG_BLOCK];
	uint64_t s;

	for (size_t i = 0; i < sizeof(b); i++)
		b[i / IMG_BLOCK][i % IMG_BLOCK] = (uint8_t)(i * 131 + i / 7);
	s = bundle_sum(b[0], 4, 10);
	CHECK(s == bundle_sum(b[0], 1, 10) + bundle_sum(b[1], 3, 11),
	      "grouping changed the sum");
	CHECK(s != bundle_sum(b[0], 4, 11), "the sum ignores the place");
	memcpy(c, b, sizeof(c));
	c[2][77] ^= 1;
	CHECK(bundle_sum(c[0], 4, 10) != s, "a flipped bit goes unseen");
	memcpy(c[1], b[2], IMG_BLOCK);
	memcpy(c[2], b[1], IMG_BLOCK);
	CHECK(bundle_sum(c[0], 4, 10) != s, "two swapped blocks go unseen");
	memcpy(c, b, sizeof(c));
	memcpy(c[3], b[0], IMG_BLOCK);
	CHECK(bundle_sum(c[0], 4, 10) != s, "a copied block goes unseen");
}

/* Writes fail on the workers (the slot sealed after the tree). */
static void
test_write_faults(void)
{
	struct img_meta m;
	struct kerr e = {0};
	int fd = make_image(&m, 3000, 5, 1);
	uint64_t tree = m.h.hash_blocks * IMG_BLOCK;
	unsigned long long at;
	int before = threads();

	make_bundle(fd, &m);
	for (int k = 0; k < 2; k++) {
		/* From the first data chunk, or from the sixth on. */
		struct watch wa = {.at = tree + (uint64_t)k * 5 * BUNDLE_CHUNK,
				   .act = act_seal};
		int slot = sealable_slot();

		ftruncate(slot, (off_t)image_len);
		CHECK(install_watched(NULL, slot, &wa, &e) < 0 && wa.acted &&
			  failed_at(&e, "write") &&
			  sscanf(e.detail, "slot at %llu", &at) == 1,
		      "write refused on a worker: %s: %s",
		      e.check ? e.check : "-", e.detail);
		CHECK(k ? at >= 5 * BUNDLE_CHUNK : at == 0,
		      "first failed write in stream order: %s", e.detail);
		CHECK(bw.touched && !slot_verifies(slot) && threads() == before,
		      "slot left without metadata, workers joined");
		close(slot);
	}
	close(fd);
}

/* The slot is cut short after the tree: its read on the caller's thread. */
static void
test_tree_cut(void)
{
	struct img_meta m;
	struct kerr e = {0};
	int fd = make_image(&m, 700, 5, 1), slot = slot_new();
	struct watch wa = {.at = m.h.hash_blocks * IMG_BLOCK, .act = act_cut};

	wa.arg = m.h.hash_offset;
	make_bundle(fd, &m);
	CHECK(install_watched(NULL, slot, &wa, &e) < 0 && wa.acted &&
		  failed_at(&e, "tree") &&
		  strstr(e.detail, "reading level 0 block 0 back"),
	      "tree cut: %s: %s", e.check ? e.check : "-", e.detail);
	CHECK(!slot_verifies(slot), "slot does not verify");
	close(slot);
	close(fd);
}

/*
 * A bad block in the first chunk and the bundle cut in the third: the
 * first failure in stream order is reported, though the caller's thread
 * met the cut while a worker still held the bad chunk.
 */
static void
test_error_order(void)
{
	struct img_meta m;
	struct kerr e = {0};
	int fd = make_image(&m, 1000, 5, 1), slot = slot_new();
	struct bad_src src = {{bundle, 0, 0, 3}, SIZE_MAX, 0, 0};
	struct watch wa = {0};

	pwrite(fd, "\x01", 1, IMG_BLOCK + 10);
	make_bundle(fd, &m);
	src.m.len = bundle_len - (bundle_len - m.h.hash_blocks * IMG_BLOCK) / 2;
	CHECK(install_watched(&src, slot, &wa, &e) < 0 &&
		  failed_at(&e, "block") &&
		  strstr(e.detail, "block 1 does not match"),
	      "first failure wins: %s: %s", e.check ? e.check : "-", e.detail);
	close(slot);
	close(fd);
}

/* The bundle's reader fails at each stage; EINTR is retried. */
static void
test_reader_faults(void)
{
	struct img_meta m;
	struct kerr e = {0};
	int fd = make_image(&m, 600, 5, 1), slot = slot_new(), before;
	size_t tree, at[8];

	make_bundle(fd, &m);
	tree = IMG_META_SIZE + m.h.hash_blocks * IMG_BLOCK;
	at[0] = 0, at[1] = 2000, at[2] = IMG_META_SIZE + 100, at[3] = tree;
	at[4] = tree + 3, at[5] = bundle_len / 2, at[6] = bundle_len - 1;
	at[7] = bundle_len;
	before = threads();
	for (size_t k = 0; k < 8; k++) {
		struct bad_src src = {
		    {bundle, bundle_len, 0, 9}, at[k], EIO, 0};
		struct watch wa = {0};

		if (k < 2)
			CHECK(install_watched(NULL, slot, &wa, &e) == 0,
			      "a good image first");
		CHECK(install_watched(&src, slot, &wa, &e) < 0 &&
			  failed_at(&e, "read") &&
			  (strstr(e.detail, "Input/output error") ||
			   strstr(e.detail, "I/O error")), /* glibc, musl */
		      "read error at %zu: %s: %s", at[k],
		      e.check ? e.check : "-", e.detail);
		CHECK(at[k] < IMG_META_SIZE
			  ? !bw.touched && slot_verifies(slot)
			  : bw.touched && !slot_verifies(slot),
		      "read error at %zu: slot %s", at[k],
		      bw.touched ? "touched" : "untouched");
		CHECK(threads() == before, "threads joined");
	}
	struct bad_src intr = {{bundle, bundle_len, 0, 9}, SIZE_MAX, EINTR, 0};
	struct watch wa = {0};

	CHECK(install_watched(&intr, slot, &wa, &e) == 0 && intr.calls > 3,
	      "EINTR retried: %s", e.detail);
	close(slot);
	close(fd);
}

/* One byte per read: every boundary of every stage falls between reads. */
static ssize_t
byte_read(void *ctx, void *buf, size_t len)
{
	return mem_read(ctx, buf, len ? 1 : 0);
}

static void
test_byte_reads(void)
{
	struct bundle_policy pol = {
	    .ks = &ks, .flags = BUNDLE_ALLOW_DOWNGRADE | BUNDLE_GROW};
	struct img_meta m;
	struct kerr e = {0};
	int fd = make_image(&m, 129, 5, 1), slot = slot_new();
	struct mem_src s = {bundle, 0, 0, 1};

	make_bundle(fd, &m);
	s.len = bundle_len;
	CHECK(bundle_install(byte_read, &s, slot, &pol, NULL, &bw, &m, &e) ==
		      0 &&
		  slot_verifies(slot) == 1,
	      "one byte at a time: %s", e.detail);
	close(slot);
	close(fd);
}

/*
 * No thread can be started (RLIMIT_NPROC, as a user that cannot exceed
 * it): the caller's thread does every job, and the image installs.
 */
static void
test_no_threads(void)
{
	struct img_meta m;
	int fd = make_image(&m, 2000, 5, 1), slot = slot_new(), st = -1;
	pid_t pid;

	make_bundle(fd, &m);
	pid = fork();
	if (pid == 0) {
		struct rlimit none = {0, 0};
		struct watch wa = {0};
		struct kerr e = {0};

		alarm(120);
		if (setrlimit(RLIMIT_NPROC, &none) < 0 ||
		    (getuid() == 0 && (setgid(65534) < 0 || setuid(65534) < 0)))
			_exit(10);
		if (install_watched(NULL, slot, &wa, &e) < 0) {
			printf("no threads: %s: %s\n", e.check ? e.check : "-",
			       e.detail);
			_exit(11);
		}
		_exit(wa.workers != 0 ? 12 : slot_verifies(slot) != 1 ? 13 : 0);
	}
	waitpid(pid, &st, 0);
	/* The kernel never limits real uid 0: a root that cannot leave it. */
	if (WIFEXITED(st) && WEXITSTATUS(st) == 10) {
		printf("SKIP install without threads: cannot drop to uid "
		       "65534 under RLIMIT_NPROC\n");
		close(slot);
		close(fd);
		return;
	}
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0,
	      "install without threads: status %#x", st);
	CHECK(slot_verifies(slot) == 1, "the slot verifies");
	close(slot);
	close(fd);
}

int
main(void)
{
	fixture_keys();
	test_threads();
	test_sum();
	test_readback_faults();
	test_write_faults();
	test_tree_cut();
	test_error_order();
	test_reader_faults();
	test_byte_reads();
	test_no_threads();
	return unit_done("bundle_mt");
}
