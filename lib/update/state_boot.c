// SPDX-License-Identifier: MIT
/* A/B boot decisions on the state record: pure functions, no I/O. */
#include <stdio.h>
#include <string.h>

#include "lib/base/fmt.h"
#include "lib/update/state.h"

static const char *const fail_names[STATE_FAIL_MAX] = {
    [STATE_FAIL_NONE] = "none",		  [STATE_FAIL_TRIES] = "tries",
    [STATE_FAIL_VERIFY] = "verify",	  [STATE_FAIL_CORRUPT] = "corrupt",
    [STATE_FAIL_CRASH] = "crash",	  [STATE_FAIL_WATCHDOG] = "watchdog",
    [STATE_FAIL_NOT_READY] = "not-ready", [STATE_FAIL_INSTALL] = "install",
    [STATE_FAIL_ROLLBACK] = "rollback",	  [STATE_FAIL_MOUNT] = "mount",
    [STATE_FAIL_OTHER] = "other",	  [STATE_FAIL_EXIT] = "exit",
};

/* After an app status's end: why it counts (state_app_text). */
static const char *const app_why_text[STATE_FAIL_MAX] = {
    [STATE_FAIL_EXIT] = " before healthy",
    [STATE_FAIL_CRASH] = " in a crash loop",
    [STATE_FAIL_WATCHDOG] = ", no WATCHDOG=1",
    [STATE_FAIL_NOT_READY] = ", no READY=1 in time",
    [STATE_FAIL_CORRUPT] = " on a corrupted image",
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

/* Failures that say something about the image, not the medium. */
static int
image_failure(int reason)
{
	return reason == STATE_FAIL_TRIES || reason == STATE_FAIL_CRASH ||
	       reason == STATE_FAIL_WATCHDOG ||
	       reason == STATE_FAIL_NOT_READY || reason == STATE_FAIL_MOUNT;
}

static void
forget_app(struct state_slot *s)
{
	s->app_end = STATE_APP_NONE;
	s->app_code = 0;
	s->app_why = 0;
	s->app_version = 0;
	s->app_boot = 0;
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
	if (s->known && image_failure(reason))
		state_remember_failed(st, s->version, s->digest);
}

static int
digest_zero(const uint8_t d[STATE_DIGEST])
{
	for (int i = 0; i < STATE_DIGEST; i++)
		if (d[i])
			return 0;
	return 1;
}

void
state_choose_slot(struct state *st, struct state_choice *c)
{
	int cs = st->committed_slot == 1 ? 1 : 0;
	int other = !cs;
	const struct state_slot *o = &st->slot[other];

	c->changed = 0;
	/* A trial that has used its last try did not become healthy: the
	 * mark says what its app did last, if that is known. */
	if (o->trial && !o->tries) {
		char why[STATE_FAIL_TEXT + 1], app[sizeof(why) - 15];

		if (o->app_version == o->version &&
		    state_app_text(o, app, sizeof(app)))
			fmt_sn(why, sizeof(why), "tries used up: %s", app);
		else
			fmt_sn(why, sizeof(why),
			       "trial boots used up; back to committed slot");
		mark_bad(st, other, STATE_FAIL_TRIES, why);
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
	/* Versions not above the committed one are refused anyway. */
	for (unsigned i = 0; i < st->nfailed;) {
		if (st->failed[i].version > st->committed_version) {
			i++;
			continue;
		}
		memmove(&st->failed[i], &st->failed[i + 1],
			(st->nfailed - i - 1) * sizeof(st->failed[0]));
		st->nfailed--;
		memset(&st->failed[st->nfailed], 0, sizeof(st->failed[0]));
	}
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
state_note_app(struct state *st, int slot, uint64_t version, int end,
	       unsigned code, int why, struct kerr *e)
{
	struct state_slot *s;

	if (check_slot(slot, e))
		return -1;
	if (end <= STATE_APP_NONE || end >= STATE_APP_END_MAX || why < 0 ||
	    why >= STATE_FAIL_MAX || !app_why_text[why])
		return kerr_set(e, "state app", "no app end %d, reason %d", end,
				why);
	if (code > 255 ||
	    (end == STATE_APP_SIGNALED && (!code || code > 127)) ||
	    (end == STATE_APP_RUNNING && code))
		return kerr_set(e, "state app", "code %u with end %d", code,
				end);
	s = &st->slot[slot];
	s->app_end = (uint8_t)end;
	s->app_code = (uint8_t)code;
	s->app_why = (uint8_t)why;
	s->app_version = version;
	s->app_boot = st->boot_count;
	return 0;
}

size_t
state_app_text(const struct state_slot *s, char *buf, size_t cap)
{
	const char *why =
	    s->app_why < STATE_FAIL_MAX ? app_why_text[s->app_why] : NULL;
	int n;

	if (!cap)
		return 0;
	buf[0] = 0;
	if (s->app_end == STATE_APP_EXITED)
		n = fmt_sn(buf, cap, "v%llu exited %u%s",
			   (unsigned long long)s->app_version, s->app_code,
			   why ? why : "");
	else if (s->app_end == STATE_APP_SIGNALED)
		n = fmt_sn(buf, cap, "v%llu killed by signal %u%s",
			   (unsigned long long)s->app_version, s->app_code,
			   why ? why : "");
	else if (s->app_end == STATE_APP_RUNNING)
		n = fmt_sn(buf, cap, "v%llu still running%s",
			   (unsigned long long)s->app_version, why ? why : "");
	else
		return 0;
	if (n < 0)
		return buf[0] = 0, 0;
	return (size_t)n < cap ? (size_t)n : cap - 1;
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
	forget_app(s); /* it was about the image now overwritten */
	s->known = 0;
	s->version = 0;
	s->epoch = 0;
	memset(s->digest, 0, sizeof(s->digest));
	return 0;
}

int
state_set_trial(struct state *st, int slot, unsigned tries, uint64_t version,
		uint64_t epoch, const uint8_t digest[STATE_DIGEST],
		struct kerr *e)
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
	forget_app(s);
	s->bootable = 1;
	s->committed = 0;
	s->trial = 1;
	s->tries = (uint8_t)tries;
	s->known = 1;
	s->version = version;
	s->epoch = epoch;
	if (digest)
		memcpy(s->digest, digest, STATE_DIGEST);
	else
		memset(s->digest, 0, STATE_DIGEST);
	return 0;
}

void
state_remember_failed(struct state *st, uint64_t version,
		      const uint8_t digest[STATE_DIGEST])
{
	static const uint8_t none[STATE_DIGEST];
	struct state_failed *f;
	unsigned low = 0;

	if (!digest)
		digest = none;
	if (!version && digest_zero(digest))
		return; /* an entry of zeros would read as unused */
	for (unsigned i = 0; i < st->nfailed; i++) {
		f = &st->failed[i];
		if (f->version == version &&
		    !memcmp(f->digest, digest, STATE_DIGEST))
			return;
		if (f->version < st->failed[low].version)
			low = i;
	}
	if (st->nfailed < STATE_FAILED_MAX)
		f = &st->failed[st->nfailed++];
	else
		f = &st->failed[low];
	f->version = version;
	memcpy(f->digest, digest, STATE_DIGEST);
}

const struct state_failed *
state_image_failed(const struct state *st, uint64_t version,
		   const uint8_t digest[STATE_DIGEST])
{
	for (unsigned i = 0; i < st->nfailed && i < STATE_FAILED_MAX; i++) {
		const struct state_failed *f = &st->failed[i];

		if (f->version == version ||
		    (digest && !digest_zero(f->digest) &&
		     !memcmp(f->digest, digest, STATE_DIGEST)))
			return f;
	}
	return NULL;
}

/*
 * Slot s now holds the image p says, its flags unchanged. 0: as
 * recorded; 1: the record lacked only the digest (format 1); 2: another
 * image than the record knew.
 */
static int
learn(struct state_slot *s, const struct state_proof *p)
{
	if (s->known && s->version == p->version && s->epoch == p->epoch) {
		if (!memcmp(s->digest, p->digest, STATE_DIGEST))
			return 0;
		if (digest_zero(s->digest)) {
			memcpy(s->digest, p->digest, STATE_DIGEST);
			return 1;
		}
	}
	s->known = 1;
	s->version = p->version;
	s->epoch = p->epoch;
	memcpy(s->digest, p->digest, STATE_DIGEST);
	return 2;
}

/* An empty record: the slots' signed headers are all there is. */
static int
rebuild(struct state *st, const struct state_proof p[STATE_NSLOTS])
{
	int c;

	if (!p[0].valid && !p[1].valid)
		return 0;
	c = !p[0].valid ||
	    (p[1].valid &&
	     (p[1].epoch > p[0].epoch ||
	      (p[1].epoch == p[0].epoch && p[1].version > p[0].version)));
	for (int i = 0; i < STATE_NSLOTS; i++) {
		struct state_slot *s = &st->slot[i];

		memset(s, 0, sizeof(*s));
		if (p[i].valid)
			learn(s, &p[i]);
		else
			mark_bad(st, i, STATE_FAIL_VERIFY,
				 "no valid signed image when rebuilt");
	}
	st->committed_slot = c;
	st->slot[c].committed = 1;
	st->slot[c].bootable = 1;
	st->floor = p[c].epoch;
	st->committed_version = p[c].version;
	st->slot[!c].bootable = p[!c].valid && p[!c].epoch >= st->floor;
	return 1;
}

int
state_apply_proof(struct state *st, const struct state_proof p[STATE_NSLOTS])
{
	int c = st->committed_slot == 1 ? 1 : 0, changed = 0;

	if (st->empty)
		return rebuild(st, p);
	for (int i = 0; i < STATE_NSLOTS; i++) {
		struct state_slot *s = &st->slot[i];
		int r = p[i].valid ? learn(s, &p[i]) : 0;

		changed |= r != 0;
		/* A trial's tries were for the image it had. */
		if (r == 2 && s->trial) {
			s->trial = 0;
			s->tries = 0;
		}
	}
	if (p[c].valid && p[c].epoch > st->floor) {
		st->floor = p[c].epoch;
		changed = 1;
	}
	if (p[c].valid && p[c].version > st->committed_version) {
		st->committed_version = p[c].version;
		changed = 1;
	}
	return changed;
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
