// SPDX-License-Identifier: MIT
/* keel-init's side of the A/B record: which slot boots, what happened to it. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "init/init.h"

static struct state st;
static struct state_io io;
static struct state_choice choice;
static int state_fd = -1;

static const char *const kind_name[] = {
    [STATE_BOOT_COMMITTED] = "committed",
    [STATE_BOOT_TRIAL] = "trial",
    [STATE_BOOT_FALLBACK] = "fallback",
    [STATE_BOOT_RESCUE] = "rescue",
};

/* Every change is written (to the older copy, synced) before it counts. */
static void
save(void)
{
	struct kerr e = {0};

	if (state_fd >= 0 && state_write(&io, &st, &e) < 0)
		klog("state: write: %s", e.detail);
}

const struct state *
ab_state(void)
{
	return &st;
}

void
ab_load(void)
{
	const char *dev = g.dev[BOARD_PART_STATE];
	struct kerr e = {0};

	state_default(&st);
	if (dev[0])
		state_fd = open(dev, O_RDWR | O_CLOEXEC | O_SYNC);
	if (state_fd < 0) {
		klog("state: %s: %s: booting without a record",
		     dev[0] ? dev : "no partition",
		     dev[0] ? strerror(errno) : "not found");
	} else {
		state_io_fd(&io, &state_fd);
		if (state_read(&io, &st, &e) < 0) {
			klog("state: %s", e.detail);
			state_default(&st);
		}
		if (st.empty)
			klog(
			    "state: no valid record (a new device?): defaults");
		else if (st.other_bad)
			klog("state: one copy was invalid (a cut write?)");
	}
	state_count_boot(&st);
	state_choose_slot(&st, &choice);
	klog("state: boot %llu, committed %s (version %llu), floor %llu: "
	     "booting %s as %s",
	     (unsigned long long)st.boot_count,
	     state_slot_name(st.committed_slot),
	     (unsigned long long)st.committed_version,
	     (unsigned long long)st.floor, state_slot_name(choice.slot),
	     kind_name[choice.kind]);
	save();
}

int
ab_choose_slot(void)
{
	if (g.force_slot >= 0) {
		choice.slot = g.force_slot;
		choice.kind = g.force_slot == st.committed_slot
				  ? STATE_BOOT_COMMITTED
				  : STATE_BOOT_FALLBACK;
	}
	return choice.slot;
}

uint64_t
ab_floor(void)
{
	return st.floor;
}

int
ab_factory_reset_pending(void)
{
	return st.factory_reset;
}

void
ab_factory_reset_done(void)
{
	state_set_factory_reset(&st, 0);
	save();
}

void
ab_request_factory_reset(void)
{
	state_set_factory_reset(&st, 1);
	save();
}

/*
 * The slot verified and is mounted; the app is about to start. A trial
 * loses one try NOW, before the app runs, so that a trial that hangs or
 * resets the device runs out of tries.
 */
void
ab_slot_booting(int slot)
{
	struct kerr e = {0};

	if (slot != choice.slot) /* the choice failed, the other one boots */
		choice.kind = slot == st.committed_slot ? STATE_BOOT_COMMITTED
							: STATE_BOOT_FALLBACK;
	choice.slot = slot;
	if (choice.kind == STATE_BOOT_TRIAL) {
		if (state_begin_trial(&st, slot, &e) < 0)
			klog("state: trial: %s", e.detail);
		klog("state: trial boot of %s, %u tries left",
		     state_slot_name(slot), st.slot[slot].tries);
	}
	g.commit_pending = choice.kind != STATE_BOOT_COMMITTED;
	g.trial = choice.kind == STATE_BOOT_TRIAL;
	if (!st.slot[slot].known) { /* the factory image: learn it */
		st.slot[slot].known = 1;
		st.slot[slot].version = g.meta.h.version;
		st.slot[slot].epoch = g.meta.h.epoch;
		if (choice.kind == STATE_BOOT_COMMITTED &&
		    !st.committed_version)
			st.committed_version = g.meta.h.version;
	}
	save();
}

void
ab_slot_failed(int slot, int reason, const char *why)
{
	struct kerr e = {0};

	if (state_mark_bad(&st, slot, reason, why, &e) < 0)
		klog("state: mark %s bad: %s", state_slot_name(slot), e.detail);
	save();
}

/*
 * After a slot failed: would the next boot still have a good slot to try,
 * or only the committed one as a last resort (rescue)?
 */
int
ab_can_fall_back(void)
{
	struct state next = st;
	struct state_choice c;

	state_choose_slot(&next, &c);
	return c.kind != STATE_BOOT_RESCUE;
}

/* The app is healthy: a trial or fallback slot becomes the committed one. */
void
ab_app_healthy(void)
{
	struct kerr e = {0};

	if (!g.commit_pending)
		return;
	g.commit_pending = 0;
	g.trial = 0;
	if (state_commit(&st, g.slot, &e) < 0) {
		klog("state: commit %s: %s", state_slot_name(g.slot), e.detail);
		return;
	}
	save();
	klog("state: %s committed: version %llu, floor %llu",
	     state_slot_name(g.slot), (unsigned long long)st.committed_version,
	     (unsigned long long)st.floor);
}

/* After a successful install into slot: a trial with tries. */
int
ab_slot_installed(int slot, uint64_t version, uint64_t epoch)
{
	struct kerr e = {0};

	if (state_set_trial(&st, slot, INIT_TRIAL_TRIES, version, epoch, &e) <
	    0)
		return klog("state: %s", e.detail), -1;
	save();
	return 0;
}

/* Before the first byte of an install is written. */
void
ab_slot_installing(int slot)
{
	struct kerr e = {0};

	if (state_mark_unbootable(&st, slot, &e) < 0)
		klog("state: %s", e.detail);
	save();
}
