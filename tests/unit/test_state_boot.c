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
	CHECK(state_set_trial(&st, 0, 3, 2, 1, &e) == -1, "trial over A");
	CHECK(state_mark_unbootable(&st, 0, &e) == -1, "unbootable A");
	CHECK(state_set_trial(&st, 1, 0, 2, 1, &e) == -1, "0 tries");
	CHECK(state_set_trial(&st, 1, 101, 2, 1, &e) == -1, "101 tries");
	CHECK(state_set_trial(&st, 2, 3, 2, 1, &e) == -1, "slot 2");
	/* Install: unbootable first, then trial after read-back. */
	CHECK(!state_mark_unbootable(&st, 1, &e), "unbootable B");
	CHECK(!st.slot[1].bootable && st.slot[1].fail == STATE_FAIL_INSTALL,
	      "install mark");
	state_choose_slot(&st, &c);
	CHECK(c.slot == 0 && c.kind == STATE_BOOT_COMMITTED, "during install");
	CHECK(!state_set_trial(&st, 1, 3, 2, 1, &e), "trial B: %s", e.detail);
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
	CHECK(state_set_trial(&st, 1, 2, 3, 0, &e) == -1, "epoch below floor");
	CHECK(!state_set_trial(&st, 1, 2, 3, 4, &e), "trial v3");
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
	CHECK(!state_set_trial(&st, 1, 3, 9, 0, &e), "trial");
	CHECK(!state_mark_bad(&st, 1, STATE_FAIL_NOT_READY, "no READY", &e),
	      "not ready");
	state_choose_slot(&st, &c);
	CHECK(c.slot == 0 && c.kind == STATE_BOOT_COMMITTED && !c.changed,
	      "after not-ready");
	st.boot_count = UINT64_MAX;
	state_count_boot(&st);
	CHECK(st.boot_count == UINT64_MAX, "boot count wrapped");
}

int
main(void)
{
	test_decisions();
	return unit_done("state_boot");
}
