// SPDX-License-Identifier: MIT
/* Unit tests of the A/B boot decisions: which slot boots, trials, commits. */
#include <stdint.h>
#include <string.h>

#include "lib/update/state.h"
#include "tests/unit/unit.h"

/* The decision table: a fresh device, an update, its trial, the end. */
static void
test_decisions(void)
{
	struct state st;
	struct state_choice c;
	struct kerr e;

	state_default(&st);
	state_choose_slot(&st, &c);
	CHECK(c.slot == 0 && c.kind == STATE_BOOT_COMMITTED && !c.changed,
	      "fresh: %d %d", c.slot, c.kind);
	CHECK(state_begin_trial(&st, 0, &e) == -1, "trial on committed");
	CHECK(state_set_trial(&st, 0, 3, 2, 1, NULL, &e) == -1, "trial over A");
	CHECK(state_mark_unbootable(&st, 0, &e) == -1, "unbootable A");
	CHECK(state_set_trial(&st, 1, 0, 2, 1, NULL, &e) == -1, "0 tries");
	CHECK(state_set_trial(&st, 1, 101, 2, 1, NULL, &e) == -1, "101 tries");
	CHECK(state_set_trial(&st, 2, 3, 2, 1, NULL, &e) == -1, "slot 2");
	/* Install: unbootable first, then trial after read-back. */
	CHECK(!state_mark_unbootable(&st, 1, &e), "unbootable B");
	CHECK(!st.slot[1].bootable && st.slot[1].fail == STATE_FAIL_INSTALL,
	      "install mark");
	state_choose_slot(&st, &c);
	CHECK(c.slot == 0 && c.kind == STATE_BOOT_COMMITTED, "during install");
	CHECK(!state_set_trial(&st, 1, 3, 2, 1, NULL, &e), "trial B: %s",
	      e.detail);
	CHECK(st.slot[1].fail == STATE_FAIL_NONE && !st.slot[1].fail_text[0],
	      "install mark cleared");
	/* Three trial boots that never become healthy. */
	for (int i = 0; i < 3; i++) {
		state_count_boot(&st);
		state_choose_slot(&st, &c);
		CHECK(c.slot == 1 && c.kind == STATE_BOOT_TRIAL && !c.changed,
		      "trial boot %d: %d %d", i, c.slot, c.kind);
		CHECK(!state_begin_trial(&st, 1, &e), "begin %d", i);
		CHECK(st.slot[1].tries == 2 - i, "tries %u", st.slot[1].tries);
		CHECK(st.committed_slot == 0 && st.slot[0].bootable,
		      "committed demoted");
	}
	state_count_boot(&st);
	state_choose_slot(&st, &c);
	CHECK(c.slot == 0 && c.kind == STATE_BOOT_COMMITTED && c.changed,
	      "tries used up: %d %d %d", c.slot, c.kind, c.changed);
	CHECK(!st.slot[1].bootable && st.slot[1].fail == STATE_FAIL_TRIES &&
		  st.slot[1].fail_boot == 4 && st.slot[1].fail_text[0],
	      "reason recorded: %u at %llu", st.slot[1].fail,
	      (unsigned long long)st.slot[1].fail_boot);
	state_choose_slot(&st, &c);
	CHECK(c.slot == 0 && !c.changed, "stable after fallback");
	/* A second update that becomes healthy: commit raises the floor. */
	st.floor = 1;
	CHECK(state_set_trial(&st, 1, 2, 3, 0, NULL, &e) == -1,
	      "epoch below floor");
	CHECK(!state_set_trial(&st, 1, 2, 3, 4, NULL, &e), "trial v3");
	state_choose_slot(&st, &c);
	CHECK(c.slot == 1 && c.kind == STATE_BOOT_TRIAL, "trial v3 boot");
	CHECK(!state_begin_trial(&st, 1, &e), "begin v3");
	CHECK(!state_commit(&st, 1, &e), "commit: %s", e.detail);
	CHECK(st.committed_slot == 1 && st.slot[1].committed &&
		  !st.slot[0].committed && st.floor == 4 &&
		  st.committed_version == 3 && !st.slot[1].tries &&
		  !st.slot[1].trial,
	      "committed B v3 floor %llu", (unsigned long long)st.floor);
	state_choose_slot(&st, &c);
	CHECK(c.slot == 1 && c.kind == STATE_BOOT_COMMITTED && !c.changed,
	      "boots committed B");
	/* Power cuts during committed boots never change the choice. */
	for (int i = 0; i < 50; i++) {
		state_count_boot(&st);
		state_choose_slot(&st, &c);
		CHECK(c.slot == 1 && c.kind == STATE_BOOT_COMMITTED, "boot %d",
		      i);
	}
	/* Floor never falls. */
	st.slot[0].known = 1, st.slot[0].epoch = 2, st.slot[0].bootable = 1;
	CHECK(!state_commit(&st, 0, &e) && st.floor == 4, "floor fell");
	CHECK(!state_commit(&st, 1, &e), "recommit B");
	/* Corruption on the committed slot: fall back only above floor. */
	CHECK(state_mark_bad(&st, 1, STATE_FAIL_NONE, "x", &e) == -1,
	      "reason none");
	CHECK(state_mark_bad(&st, 1, STATE_FAIL_MAX, "x", &e) == -1, "reason");
	CHECK(!state_mark_bad(&st, 1, STATE_FAIL_CORRUPT, "dm-verity", &e),
	      "mark B");
	CHECK(st.committed_slot == 1 && st.slot[1].committed, "B still com");
	state_choose_slot(&st, &c);
	CHECK(c.slot == 1 && c.kind == STATE_BOOT_RESCUE, "A below floor: %d",
	      c.kind);
	st.slot[0].epoch = 4;
	state_choose_slot(&st, &c);
	CHECK(c.slot == 0 && c.kind == STATE_BOOT_FALLBACK, "fallback A");
	CHECK(state_commit(&st, 1, &e) == -1, "commit unbootable");
	CHECK(!state_commit(&st, 0, &e) && st.committed_slot == 0,
	      "commit fallback");
	/* A fresh device whose slot A fails verification tries B. */
	state_default(&st);
	CHECK(!state_mark_bad(&st, 0, STATE_FAIL_VERIFY, "no signature", &e),
	      "mark A");
	state_choose_slot(&st, &c);
	CHECK(c.slot == 1 && c.kind == STATE_BOOT_FALLBACK, "fresh fallback");
	CHECK(!state_mark_bad(&st, 1, STATE_FAIL_VERIFY, NULL, &e), "mark B");
	state_choose_slot(&st, &c);
	CHECK(c.slot == 0 && c.kind == STATE_BOOT_RESCUE, "rescue");
	/* A trial marked bad at run time. */
	state_default(&st);
	CHECK(!state_set_trial(&st, 1, 3, 9, 0, NULL, &e), "trial");
	CHECK(!state_mark_bad(&st, 1, STATE_FAIL_NOT_READY, "no READY", &e),
	      "not ready");
	state_choose_slot(&st, &c);
	CHECK(c.slot == 0 && c.kind == STATE_BOOT_COMMITTED && !c.changed,
	      "after not-ready");
	st.boot_count = UINT64_MAX;
	state_count_boot(&st);
	CHECK(st.boot_count == UINT64_MAX, "boot count wrapped");
}

static void
digest(uint8_t d[STATE_DIGEST], int v)
{
	for (int i = 0; i < STATE_DIGEST; i++)
		d[i] = (uint8_t)(v * 31 + i);
}

/* Images that failed are remembered, matched and forgotten by a commit. */
static void
test_failed(void)
{
	uint8_t d3[STATE_DIGEST], d4[STATE_DIGEST], dx[STATE_DIGEST];
	struct state st;
	struct state_choice c;
	struct kerr e;

	digest(d3, 3);
	digest(d4, 4);
	digest(dx, 99);
	state_default(&st);
	st.committed_version = 2;
	/* A trial that uses up its tries is remembered with its digest. */
	CHECK(!state_set_trial(&st, 1, 1, 3, 0, d3, &e), "trial v3");
	state_choose_slot(&st, &c);
	CHECK(!state_begin_trial(&st, 1, &e), "begin");
	state_choose_slot(&st, &c);
	CHECK(c.slot == 0 && st.slot[1].fail == STATE_FAIL_TRIES, "tries");
	CHECK(st.nfailed == 1 && st.failed[0].version == 3 &&
		  !memcmp(st.failed[0].digest, d3, STATE_DIGEST),
	      "v3 remembered");
	CHECK(state_image_failed(&st, 3, d3) == &st.failed[0], "same image");
	CHECK(state_image_failed(&st, 3, dx) != NULL, "same version");
	CHECK(state_image_failed(&st, 3, NULL) != NULL, "version only");
	CHECK(state_image_failed(&st, 4, d3) != NULL, "same digest");
	CHECK(state_image_failed(&st, 4, d4) == NULL, "a newer image");
	/* Failures of the medium or the install are not the image's. */
	CHECK(!state_set_trial(&st, 1, 3, 4, 0, d4, &e), "trial v4");
	CHECK(!state_mark_bad(&st, 1, STATE_FAIL_CORRUPT, "dm", &e), "corrupt");
	CHECK(!state_mark_bad(&st, 1, STATE_FAIL_VERIFY, "sig", &e), "verify");
	CHECK(st.nfailed == 1, "corrupt/verify not remembered: %u", st.nfailed);
	CHECK(!state_set_trial(&st, 1, 3, 4, 0, d4, &e), "trial v4 again");
	CHECK(!state_mark_bad(&st, 1, STATE_FAIL_NOT_READY, "no", &e), "nr");
	CHECK(!state_mark_bad(&st, 1, STATE_FAIL_CRASH, "no", &e), "twice");
	CHECK(st.nfailed == 2 && state_image_failed(&st, 4, d4), "v4");
	/* Full: the lowest version makes room. */
	for (int v = 10; v < 14; v++) {
		uint8_t d[STATE_DIGEST];
		digest(d, v);
		state_remember_failed(&st, (uint64_t)v, d);
	}
	CHECK(st.nfailed == STATE_FAILED_MAX &&
		  !state_image_failed(&st, 3, d3) &&
		  !state_image_failed(&st, 4, d4) &&
		  state_image_failed(&st, 10, NULL) &&
		  state_image_failed(&st, 13, NULL),
	      "full table keeps the newest");
	state_remember_failed(&st, 0, NULL);
	CHECK(st.nfailed == STATE_FAILED_MAX, "an empty entry is not kept");
	/* A commit forgets what the version rule refuses anyway. */
	CHECK(!state_set_trial(&st, 1, 3, 12, 0, dx, &e), "trial v12");
	CHECK(!state_commit(&st, 1, &e), "commit v12");
	CHECK(st.nfailed == 1 && st.failed[0].version == 13 &&
		  !st.failed[1].version,
	      "after commit: %u", st.nfailed);
}

static struct state_proof
proof(int valid, uint64_t version, uint64_t epoch)
{
	struct state_proof p = {valid, version, epoch, {0}};

	digest(p.digest, (int)version);
	return p;
}

/* The floor never falls below what the slots' signed headers prove. */
static void
test_proof(void)
{
	struct state_proof p[2];
	struct state st;
	struct state_choice c;
	struct kerr e;

	/* A blank record: the newest valid image is committed. */
	state_default(&st);
	st.empty = 1;
	p[0] = proof(1, 1, 1), p[1] = proof(1, 2, 2);
	CHECK(state_apply_proof(&st, p) == 1, "rebuilt");
	CHECK(st.committed_slot == 1 && st.floor == 2 &&
		  st.committed_version == 2 && st.slot[1].committed &&
		  !st.slot[0].committed && !st.slot[0].bootable &&
		  st.slot[0].known && st.slot[0].version == 1,
	      "blank: B v2 committed, floor %llu",
	      (unsigned long long)st.floor);
	state_choose_slot(&st, &c);
	CHECK(c.slot == 1 && c.kind == STATE_BOOT_COMMITTED, "boots B");
	state_mark_bad(&st, 1, STATE_FAIL_CRASH, "x", &e);
	state_choose_slot(&st, &c);
	CHECK(c.slot == 1 && c.kind == STATE_BOOT_RESCUE,
	      "A below the floor never boots");
	/* Equal epochs: the higher version; a tie: A; the other bootable. */
	state_default(&st);
	st.empty = 1;
	p[0] = proof(1, 5, 3), p[1] = proof(1, 4, 3);
	state_apply_proof(&st, p);
	CHECK(st.committed_slot == 0 && st.floor == 3 && st.slot[1].bootable,
	      "A v5, B v4 bootable");
	state_default(&st);
	st.empty = 1;
	p[0] = proof(1, 5, 3), p[1] = proof(1, 5, 3);
	state_apply_proof(&st, p);
	CHECK(st.committed_slot == 0 && st.slot[1].bootable, "tie: A");
	/* One valid slot; none. */
	state_default(&st);
	st.empty = 1;
	p[0] = proof(0, 9, 9), p[1] = proof(1, 2, 7);
	state_apply_proof(&st, p);
	CHECK(st.committed_slot == 1 && st.floor == 7 && !st.slot[0].bootable &&
		  !st.slot[0].known && st.slot[0].fail == STATE_FAIL_VERIFY &&
		  st.slot[1].fail == STATE_FAIL_NONE,
	      "only B valid");
	state_default(&st);
	st.empty = 1;
	p[0] = proof(0, 0, 0), p[1] = proof(0, 0, 0);
	CHECK(state_apply_proof(&st, p) == 0 && st.committed_slot == 0 &&
		  st.floor == 0,
	      "no valid slot: defaults");
	/* A record read from disk: raised to the committed image. */
	state_default(&st);
	st.floor = 1;
	p[0] = proof(1, 6, 4), p[1] = proof(0, 0, 0);
	CHECK(state_apply_proof(&st, p) == 1 && st.floor == 4 &&
		  st.committed_version == 6 && st.slot[0].known,
	      "raised to A: floor %llu", (unsigned long long)st.floor);
	CHECK(state_apply_proof(&st, p) == 0, "then stable");
	p[0] = proof(1, 2, 1);
	state_apply_proof(&st, p);
	CHECK(st.floor == 4 && st.committed_version == 6,
	      "an older image in the slot lowers nothing");
	/* A trial whose image was replaced loses its tries. */
	state_default(&st);
	p[0] = proof(0, 0, 0), p[1] = proof(1, 8, 0);
	CHECK(!state_set_trial(&st, 1, 3, 8, 0, p[1].digest, &e), "trial");
	state_apply_proof(&st, p);
	CHECK(st.slot[1].trial && st.slot[1].tries == 3, "same image: trial");
	p[1] = proof(1, 9, 0);
	state_apply_proof(&st, p);
	CHECK(!st.slot[1].trial && !st.slot[1].tries && st.slot[1].version == 9,
	      "other image: no trial");
	/* A format 1 record (no digest) learns the digest, keeps the trial. */
	state_default(&st);
	CHECK(!state_set_trial(&st, 1, 3, 8, 0, NULL, &e), "trial, no digest");
	p[1] = proof(1, 8, 0);
	CHECK(state_apply_proof(&st, p) == 1 && st.slot[1].trial &&
		  !memcmp(st.slot[1].digest, p[1].digest, STATE_DIGEST),
	      "digest learnt");
}

int
main(void)
{
	test_decisions();
	test_failed();
	test_proof();
	return unit_done("state_boot");
}
