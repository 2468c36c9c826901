// SPDX-License-Identifier: MIT
/* A/B boot decisions on the state record: pure functions, no I/O. */
#include <string.h>

#include "lib/update/state.h"

static const char *const fail_names[STATE_FAIL_MAX] = {
    [STATE_FAIL_NONE] = "none",		  [STATE_FAIL_TRIES] = "tries",
    [STATE_FAIL_VERIFY] = "verify",	  [STATE_FAIL_CORRUPT] = "corrupt",
    [STATE_FAIL_CRASH] = "crash",	  [STATE_FAIL_WATCHDOG] = "watchdog",
    [STATE_FAIL_NOT_READY] = "not-ready", [STATE_FAIL_INSTALL] = "install",
    [STATE_FAIL_ROLLBACK] = "rollback",	  [STATE_FAIL_MOUNT] = "mount",
    [STATE_FAIL_OTHER] = "other",
};

static int
check_slot(int slot, struct kerr *e)
{
	if (slot == 0 || slot == 1)
		return 0;
	return kerr_set(e, "state slot", "no slot %d", slot);
}

static int
is_trial(const struct state *st, int slot)
{
	const struct state_slot *s = &st->slot[slot];

	return slot != st->committed_slot && s->trial && s->bootable &&
	       !s->committed && s->tries > 0;
}

static void
mark_bad(struct state *st, int slot, int reason, const char *text)
{
	struct state_slot *s = &st->slot[slot];
	size_t i = 0;

	s->bootable = 0;
	s->trial = 0;
	s->tries = 0;
	s->fail = (uint8_t)reason;
	s->fail_boot = st->boot_count;
	memset(s->fail_text, 0, sizeof(s->fail_text));
	for (; text && text[i] && i < STATE_FAIL_TEXT; i++) {
		unsigned char c = (unsigned char)text[i];
		s->fail_text[i] = c >= 0x20 && c < 0x7f ? (char)c : '?';
	}
	/* The record format ties an empty text and stamp to "none". */
	if (reason == STATE_FAIL_NONE) {
		memset(s->fail_text, 0, sizeof(s->fail_text));
		s->fail_boot = 0;
	}
}

void
state_choose_slot(struct state *st, struct state_choice *c)
{
	int cs = st->committed_slot == 1 ? 1 : 0;
	int other = !cs;
	const struct state_slot *o = &st->slot[other];

	c->changed = 0;
	/* A trial that has used its last try did not become healthy. */
	if (o->trial && !o->tries) {
		mark_bad(st, other, STATE_FAIL_TRIES,
			 "trial boots used up; back to committed slot");
		c->changed = 1;
	}
	if (is_trial(st, other)) {
		c->slot = other;
		c->kind = STATE_BOOT_TRIAL;
	} else if (st->slot[cs].bootable) {
		c->slot = cs;
		c->kind = STATE_BOOT_COMMITTED;
	} else if (o->bootable && !(o->known && o->epoch < st->floor)) {
		c->slot = other;
		c->kind = STATE_BOOT_FALLBACK;
	} else {
		c->slot = cs;
		c->kind = STATE_BOOT_RESCUE;
	}
}

void
state_count_boot(struct state *st)
{
	if (st->boot_count != UINT64_MAX)
		st->boot_count++;
}

int
state_begin_trial(struct state *st, int slot, struct kerr *e)
{
	if (check_slot(slot, e))
		return -1;
	if (!is_trial(st, slot))
		return kerr_set(e, "state trial", "slot %s is not a trial",
				state_slot_name(slot));
	st->slot[slot].tries--;
	return 0;
}

int
state_commit(struct state *st, int slot, struct kerr *e)
{
	struct state_slot *s;

	if (check_slot(slot, e))
		return -1;
	s = &st->slot[slot];
	if (!s->bootable)
		return kerr_set(e, "state commit", "slot %s is not bootable",
				state_slot_name(slot));
	st->slot[!slot].committed = 0;
	st->slot[!slot].trial = 0;
	st->slot[!slot].tries = 0;
	s->committed = 1;
	s->trial = 0;
	s->tries = 0;
	st->committed_slot = slot;
	st->committed_version = s->known ? s->version : 0;
	if (s->known && s->epoch > st->floor)
		st->floor = s->epoch;
	return 0;
}

int
state_mark_bad(struct state *st, int slot, int reason, const char *text,
	       struct kerr *e)
{
	if (check_slot(slot, e))
		return -1;
	if (reason <= STATE_FAIL_NONE || reason >= STATE_FAIL_MAX)
		return kerr_set(e, "state mark", "no failure reason %d",
				reason);
	mark_bad(st, slot, reason, text);
	return 0;
}

int
state_mark_unbootable(struct state *st, int slot, struct kerr *e)
{
	struct state_slot *s;

	if (check_slot(slot, e))
		return -1;
	if (slot == st->committed_slot)
		return kerr_set(e, "state install", "slot %s is committed",
				state_slot_name(slot));
	mark_bad(st, slot, STATE_FAIL_INSTALL, "install started, not finished");
	s = &st->slot[slot];
	s->known = 0;
	s->version = 0;
	s->epoch = 0;
	return 0;
}

int
state_set_trial(struct state *st, int slot, unsigned tries, uint64_t version,
		uint64_t epoch, struct kerr *e)
{
	struct state_slot *s;

	if (check_slot(slot, e))
		return -1;
	if (slot == st->committed_slot)
		return kerr_set(e, "state install", "slot %s is committed",
				state_slot_name(slot));
	if (tries < 1 || tries > STATE_MAX_TRIES)
		return kerr_set(e, "state install", "tries %u not in 1..%u",
				tries, STATE_MAX_TRIES);
	if (epoch < st->floor)
		return kerr_set(
		    e, "state install", "epoch %llu below the floor %llu",
		    (unsigned long long)epoch, (unsigned long long)st->floor);
	s = &st->slot[slot];
	mark_bad(st, slot, STATE_FAIL_NONE, NULL);
	s->bootable = 1;
	s->committed = 0;
	s->trial = 1;
	s->tries = (uint8_t)tries;
	s->known = 1;
	s->version = version;
	s->epoch = epoch;
	return 0;
}

void
state_set_factory_reset(struct state *st, int on)
{
	st->factory_reset = on ? 1 : 0;
}

const char *
state_slot_name(int slot)
{
	return slot == 0 ? "a" : slot == 1 ? "b" : "?";
}

const char *
state_fail_name(int reason)
{
	if (reason < 0 || reason >= STATE_FAIL_MAX)
		return "?";
	return fail_names[reason];
}
