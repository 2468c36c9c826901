// SPDX-License-Identifier: MIT
/* Unit tests of the A/B state record: power cuts, codec edges, decisions. */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include "lib/base/crc32.h"
#include "lib/update/state.h"
#include "tests/unit/state_disk.h"
#include "tests/unit/unit.h"

/* Two states hold the same record (seq included, load flags ignored). */
static int
same(const struct state *a, const struct state *b)
{
	uint8_t ra[STATE_REC_SIZE], rb[STATE_REC_SIZE];

	state_encode(a, ra);
	state_encode(b, rb);
	return !memcmp(ra, rb, sizeof(ra));
}

static void
reseal(uint8_t *rec)
{
	uint32_t c = crc32_update(0, rec, STATE_REC_SIZE - 4);

	for (int i = 0; i < 4; i++)
		rec[STATE_REC_SIZE - 4 + i] = (uint8_t)(c >> (8 * i));
}

/* A state that exercises every field. */
static void
busy_state(struct state *st, unsigned salt)
{
	uint8_t dg[STATE_DIGEST];
	struct kerr e;

	for (int i = 0; i < STATE_DIGEST; i++)
		dg[i] = (uint8_t)(0xa0 + i + salt);
	state_default(st);
	st->boot_count = 1000 + salt;
	st->floor = 3;
	CHECK(
	    !state_set_trial(st, 1, 5, 0x1122334455667788ull + salt, 7, dg, &e),
	    "set trial: %s", e.detail);
	st->slot[0].known = 1;
	st->slot[0].version = 41;
	st->slot[0].epoch = 3;
	st->committed_version = 41;
	state_remember_failed(st, 42 + salt, dg);
	state_remember_failed(st, 43, NULL);
	state_set_factory_reset(st, salt & 1);
	CHECK(!state_note_app(st, 0, 41, STATE_APP_SIGNALED, 9,
			      STATE_FAIL_CRASH, &e),
	      "note app: %s", e.detail);
}

/* Power cut at every byte and every write call, three tear orders. */
static void
test_power_cuts(void)
{
	static struct disk d;
	struct state_io io;
	struct state st, old, nw, got;
	struct kerr e;
	unsigned cases = 0;

	for (int order = CUT_PREFIX; order <= CUT_RANDOM; order++) {
		for (int chunk = 0; chunk <= 7; chunk += 7) {
			/* A disk with two valid copies: seq 1 and seq 2. */
			memset(&d, 0, sizeof(d));
			d.budget = -1;
			disk_io(&d, &io);
			busy_state(&st, 0);
			st.copy = -1;
			CHECK(!state_write(&io, &st, &e), "w1 %s", e.detail);
			busy_state(&nw, 1);
			nw.seq = st.seq, nw.copy = st.copy;
			st = nw;
			CHECK(!state_write(&io, &st, &e), "w2 %s", e.detail);
			CHECK(st.seq == 2 && st.copy == 1, "seq %llu copy %d",
			      (unsigned long long)st.seq, st.copy);
			old = st;
			for (long cut = 0; cut <= STATE_REC_SIZE; cut++) {
				struct disk save = d;

				nw = old;
				state_count_boot(&nw);
				CHECK(!state_begin_trial(&nw, 1, &e), "trial");
				d.budget = cut;
				d.order = order;
				d.chunk = chunk;
				d.rnd = (unsigned)cut * 7919u + 1;
				int r = state_write(&io, &nw, &e);
				/* Power comes back: read what the disk holds.
				 */
				d.dead = 0;
				d.budget = -1;
				d.chunk = 0;
				CHECK(!state_read(&io, &got, &e),
				      "order %d cut %ld: no valid copy: %s",
				      order, cut, e.detail);
				/* The record the write was making. */
				struct state want = nw;
				if (r)
					want.seq = old.seq + 1;
				CHECK(same(&got, &old) || same(&got, &want),
				      "order %d cut %ld: neither old nor new",
				      order, cut);
				CHECK(r || same(&got, &nw),
				      "cut %ld: write counted, new not read",
				      cut);
				CHECK(cut < STATE_REC_SIZE || !r,
				      "full budget, write failed");
				CHECK(!r || (nw.seq == old.seq &&
					     nw.copy == old.copy),
				      "failed write changed st");
				if (cut < STATE_REC_SIZE / 2 &&
				    order == CUT_PREFIX)
					CHECK(same(&got, &old),
					      "cut %ld: half a record won",
					      cut);
				d = save;
				cases++;
			}
		}
	}
	/* A failing sync: the write does not count, st stays. */
	memset(&d, 0, sizeof(d));
	d.budget = -1;
	disk_io(&d, &io);
	state_default(&st);
	CHECK(!state_write(&io, &st, &e), "w %s", e.detail);
	old = st;
	d.fail_sync = 1;
	state_count_boot(&st);
	CHECK(state_write(&io, &st, &e) == -1, "sync failure ignored");
	CHECK(st.seq == old.seq && st.copy == old.copy, "st moved on");
	d.fail_sync = 0;
	CHECK(!state_write(&io, &st, &e), "retry %s", e.detail);
	CHECK(!state_read(&io, &got, &e) && same(&got, &st), "retry read");
	CHECK(d.nsync == 3, "syncs %u", d.nsync);
	printf("state: %u power-cut cases\n", cases);
}

/* A run of writes, each cut once at a random byte, then let finish. */
static void
test_write_sequence(void)
{
	static struct disk d;
	struct state_io io;
	struct state st, got;
	struct kerr e;
	unsigned s = 42;

	memset(&d, 0, sizeof(d));
	d.budget = -1;
	disk_io(&d, &io);
	CHECK(state_read(&io, &st, &e) == -1 && st.empty, "blank disk");
	CHECK(!state_write(&io, &st, &e), "first write");
	for (int i = 0; i < 300; i++) {
		struct state before = st;

		state_count_boot(&st);
		/* Half the writes are cut somewhere, half complete. */
		d.budget = (long)(rnd(&s) % (2 * STATE_REC_SIZE + 1));
		d.order = (int)(rnd(&s) % 3);
		d.chunk = (int)(rnd(&s) % 4) * 100;
		int r = state_write(&io, &st, &e);
		d.dead = 0;
		d.budget = -1;
		d.chunk = 0;
		CHECK(!state_read(&io, &got, &e), "step %d: %s", i, e.detail);
		if (r) {
			CHECK(same(&got, &before) || got.seq == before.seq + 1,
			      "step %d: cut left a third record", i);
			st = got; /* reboot: continue from what is on disk */
		} else {
			CHECK(same(&got, &st), "step %d: write lost", i);
		}
	}
	CHECK(got.seq > 100, "too few writes counted: %llu",
	      (unsigned long long)got.seq);
}

static void
test_copies(void)
{
	uint8_t r0[STATE_REC_SIZE], r1[STATE_REC_SIZE];
	struct state a, b, got;
	struct kerr e;

	busy_state(&a, 0);
	busy_state(&b, 1);
	/* Sequence wrap: 0 follows 2^64 - 1. */
	a.seq = UINT64_MAX;
	b.seq = 0;
	state_encode(&a, r0);
	state_encode(&b, r1);
	CHECK(!state_pick(r0, r1, &got, &e) && got.copy == 1 && same(&got, &b),
	      "wrap: copy %d", got.copy);
	CHECK(!state_pick(r1, r0, &got, &e) && got.copy == 0, "wrap swapped");
	a.seq = 5, b.seq = 6;
	state_encode(&a, r0);
	state_encode(&b, r1);
	CHECK(!state_pick(r0, r1, &got, &e) && got.copy == 1, "6 > 5");
	CHECK(!state_pick(r1, r0, &got, &e) && got.copy == 0, "6 > 5 swap");
	/* Equal sequence numbers: copy 0, deterministically. */
	b.seq = 5;
	state_encode(&b, r1);
	CHECK(!state_pick(r0, r1, &got, &e) && got.copy == 0 && same(&got, &a),
	      "equal seq");
	/* The write after an equal pick goes to copy 1. */
	CHECK(!got.other_bad, "other_bad with two valid copies");
	/* One copy corrupt or unreadable. */
	r1[100] ^= 0x40;
	CHECK(!state_pick(r0, r1, &got, &e) && got.copy == 0 && got.other_bad,
	      "corrupt copy 1");
	CHECK(!state_pick(r1, r0, &got, &e) && got.copy == 1 && got.other_bad,
	      "corrupt copy 0");
	CHECK(!state_pick(NULL, r0, &got, &e) && got.copy == 1 && got.other_bad,
	      "unreadable");
	{
		uint8_t blank[STATE_REC_SIZE] = {0};
		CHECK(!state_pick(r0, blank, &got, &e) && got.copy == 0 &&
			  !got.other_bad,
		      "a copy never written is not damaged");
	}
	/* Both corrupt: defaults, flagged, with the reasons. */
	memset(r0, 0, sizeof(r0));
	memset(&got, 0x5a, sizeof(got));
	e.detail[0] = 0;
	CHECK(state_pick(r0, r1, &got, &e) == -1 && got.empty && got.copy == -1,
	      "both bad");
	CHECK(strstr(e.detail, "state magic") && strstr(e.detail, "state crc"),
	      "reasons: %s", e.detail);
	struct state def;
	state_default(&def);
	CHECK(same(&got, &def) && got.committed_slot == 0 &&
		  got.slot[0].bootable && got.slot[0].committed,
	      "defaults");
	CHECK(state_pick(NULL, NULL, &got, &e) == -1 &&
		  strstr(e.detail, "unreadable"),
	      "none readable: %s", e.detail);
}

/*
 * A format 1 record (what keel-init wrote before digests and failed
 * images): read as it is; any byte of format 2 in it is refused.
 */
static void
test_format1(const uint8_t *v2)
{
	uint8_t rec[STATE_REC_SIZE];
	struct state st, got;
	struct kerr e;

	busy_state(&st, 0);
	memset(&st.slot[0].app_end, 0,
	       sizeof(st.slot[0]) - offsetof(struct state_slot, app_end));
	st.nfailed = 0;
	memset(st.failed, 0, sizeof(st.failed));
	memset(st.slot[1].digest, 0, STATE_DIGEST);
	state_encode(&st, rec);
	rec[8] = 1;
	reseal(rec);
	CHECK(!state_decode(rec, &got, &e) && same(&got, &st),
	      "format 1 read: %s", e.detail);
	rec[184 + 80] = 1; /* a digest byte */
	reseal(rec);
	CHECK(state_decode(rec, &got, &e) == -1, "format 1 with a digest");
	memcpy(rec, v2, STATE_REC_SIZE);
	rec[8] = 1;
	reseal(rec);
	CHECK(state_decode(rec, &got, &e) == -1, "format 1 with failed");
	state_default(&st); /* slot B: nothing known */
	state_encode(&st, rec);
	rec[184 + 80 + 9] = 1;
	reseal(rec);
	CHECK(state_decode(rec, &got, &e) == -1, "digest of an unknown image");
}

/*
 * A format 2 record (before app statuses): read as it is; an app status
 * or the reason "exit" in it is refused. The app status round-trips in
 * format 3, and says what the app did.
 */
static void
test_format2(void)
{
	uint8_t rec[STATE_REC_SIZE];
	struct state st, got;
	struct kerr e;
	char text[64];

	busy_state(&st, 1);
	state_encode(&st, rec);
	CHECK(!state_decode(rec, &got, &e) && same(&got, &st) &&
		  got.slot[0].app_end == STATE_APP_SIGNALED &&
		  got.slot[0].app_code == 9 &&
		  got.slot[0].app_why == STATE_FAIL_CRASH &&
		  got.slot[0].app_version == 41 && got.slot[0].app_boot == 1001,
	      "app status round trip: %s", e.detail);
	CHECK(rec[56 + 3] == STATE_APP_SIGNALED && rec[56 + 4] == 9 &&
		  rec[56 + 5] == STATE_FAIL_CRASH && rec[56 + 112] == 41 &&
		  rec[56 + 120] == 0xe9 && rec[56 + 121] == 3,
	      "app status bytes");
	CHECK(state_app_text(&got.slot[0], text, sizeof(text)) == 38 &&
		  !strcmp(text, "v41 killed by signal 9 in a crash loop"),
	      "app text '%s'", text);
	rec[8] = 2;
	reseal(rec);
	CHECK(state_decode(rec, &got, &e) == -1 &&
		  strstr(e.detail, "before format 3"),
	      "format 2 with an app status: %s", e.detail);
	memset(&st.slot[0].app_end, 0,
	       sizeof(st.slot[0]) - offsetof(struct state_slot, app_end));
	state_encode(&st, rec);
	rec[8] = 2;
	reseal(rec);
	CHECK(!state_decode(rec, &got, &e) && same(&got, &st),
	      "format 2 read: %s", e.detail);
	state_mark_bad(&st, 1, STATE_FAIL_EXIT, "exited", &e);
	state_encode(&st, rec);
	CHECK(!state_decode(rec, &got, &e), "reason exit in format 3: %s",
	      e.detail);
	rec[8] = 2;
	reseal(rec);
	CHECK(state_decode(rec, &got, &e) == -1, "reason exit in format 2");
}

static void
test_codec(void)
{
	uint8_t rec[STATE_REC_SIZE], bad[STATE_REC_SIZE];
	struct state st, got;
	struct kerr e;
	int rejected = 0;

	busy_state(&st, 3);
	state_mark_bad(&st, 1, STATE_FAIL_CRASH, "exit status 3\x01\xff", &e);
	state_encode(&st, rec);
	CHECK(!state_decode(rec, &got, &e), "round trip: %s", e.detail);
	CHECK(same(&st, &got) &&
		  !strcmp(got.slot[1].fail_text, "exit status 3??"),
	      "text '%s'", got.slot[1].fail_text);
	CHECK(!memcmp(rec, "KEELSTAT", 8) && rec[8] == 3 && rec[12] == 0 &&
		  rec[13] == 2,
	      "header bytes");
	/* Two remembered by hand, the crash of B's trial image by the mark. */
	CHECK(got.nfailed == 3 && got.failed[0].version == 45 &&
		  got.failed[0].digest[0] == 0xa3 &&
		  got.failed[1].version == 43 &&
		  got.failed[2].version == 0x1122334455667788ull + 3 &&
		  got.failed[2].digest[1] == 0xa4,
	      "failed images: %u", got.nfailed);
	/* Any one byte changed: refused (CRC-32 catches every such burst). */
	for (int i = 0; i < STATE_REC_SIZE; i++) {
		memcpy(bad, rec, sizeof(rec));
		bad[i] ^= (uint8_t)(1 + i % 255);
		rejected += state_decode(bad, &got, NULL) == -1;
	}
	CHECK(rejected == STATE_REC_SIZE, "%d of %d flips refused", rejected,
	      STATE_REC_SIZE);
	/* Structurally wrong but correctly sealed: refused too. */
	static const struct {
		int off;
		uint8_t val;
		const char *what;
	} cases[] = {
	    {8, 4, "format 4"},
	    {8, 0, "format 0"},
	    {13, 0, "size 0"},
	    {48, 2, "slot 2"},
	    {49, 2, "flags"},
	    {50, 1, "reserved"},
	    {480, 1, "tail"},
	    {56, 0x10, "slot flags"},
	    {56 + 6, 1, "slot reserved"},
	    {56 + 7, 1, "slot reserved 7"},
	    {56 + 3, 4, "app end 4"},
	    {56 + 5, STATE_FAIL_TRIES, "app reason tries"},
	    {56 + 5, 0, "app reason none"},
	    {56 + 4, 0, "signal 0"},
	    {56 + 4, 128, "signal 128"},
	    {184 + 4, 1, "app code without an end"},
	    {184 + 127, 1, "app boot without an end"},
	    {184 + 112, 1, "app version without an end"},
	    {56 + 2, 99, "reason"},
	    {184 + 115, 1, "slot tail"},
	    {184 + 1, 101, "tries"},
	    {56 + 1, 1, "tries on committed"},
	    {184 + 32 + 47, 'x', "text unterminated"},
	    {56, 0, "committed flag"},
	    {184, 0x0b, "trial+committed"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memcpy(bad, rec, sizeof(rec));
		bad[cases[i].off] = cases[i].val;
		reseal(bad);
		CHECK(state_decode(bad, &got, &e) == -1, "accepted: %s",
		      cases[i].what);
	}
	memcpy(bad, rec, sizeof(rec));
	bad[184 + 32 + 20] = 'z'; /* a byte after the text's NUL */
	reseal(bad);
	CHECK(state_decode(bad, &got, &e) == -1, "bytes after NUL");
	memcpy(bad, rec, sizeof(rec));
	bad[184 + 32] = '\n';
	reseal(bad);
	CHECK(state_decode(bad, &got, &e) == -1, "newline in text");
	memcpy(bad, rec, sizeof(rec));
	memcpy(bad + 312 + 40, bad + 312, 40); /* the same entry twice */
	reseal(bad);
	CHECK(state_decode(bad, &got, &e) == -1, "failed entry twice");
	memcpy(bad, rec, sizeof(rec));
	memset(bad + 312 + 40, 0, 40); /* a hole before entry 2 */
	reseal(bad);
	CHECK(state_decode(bad, &got, &e) == -1, "failed entry after a hole");
	test_format1(rec);
	test_format2();
	CHECK(!strcmp(state_fail_name(STATE_FAIL_TRIES), "tries") &&
		  !strcmp(state_fail_name(99), "?") &&
		  !strcmp(state_slot_name(1), "b"),
	      "names");
}

/* Random walks of the helpers: every state they make is a valid record. */
static void
test_walk(void)
{
	uint8_t rec[STATE_REC_SIZE];
	struct state st, got;
	struct state_choice c;
	struct kerr e;
	unsigned s = 7, bad = 0;

	state_default(&st);
	for (int i = 0; i < 20000; i++) {
		int slot = (int)(rnd(&s) % 2);

		switch (rnd(&s) % 9) {
		case 0:
			state_choose_slot(&st, &c);
			break;
		case 1:
			state_count_boot(&st);
			break;
		case 2:
			state_begin_trial(&st, slot, NULL);
			break;
		case 3:
			state_commit(&st, slot, NULL);
			break;
		case 4:
			state_mark_bad(&st, slot, 1 + (int)(rnd(&s) % 11),
				       "walk", NULL);
			break;
		case 5:
			state_mark_unbootable(&st, slot, NULL);
			break;
		case 6:
			state_set_trial(&st, slot, 1 + rnd(&s) % 4, rnd(&s),
					st.floor + rnd(&s) % 3,
					rnd(&s) & 1 ? rec : NULL, NULL);
			break;
		case 7:
			state_set_factory_reset(&st, (int)(rnd(&s) & 1));
			break;
		case 8:
			state_note_app(&st, slot, rnd(&s),
				       1 + (int)(rnd(&s) % 3), rnd(&s) % 130,
				       1 + (int)(rnd(&s) % 11), NULL);
			break;
		}
		state_encode(&st, rec);
		if (state_decode(rec, &got, &e) || !same(&got, &st)) {
			if (!bad++)
				printf("walk step %d: %s: %s\n", i, e.check,
				       e.detail);
		}
		if (st.slot[st.committed_slot].committed != 1)
			bad++;
	}
	CHECK(!bad, "%u invalid states from the helpers", bad);
}

/* The real fd-backed io on a file. */
static void
test_fd(void)
{
	char path[] = "/tmp/keel-state-XXXXXX";
	int fd = mkstemp(path);
	struct state_io io;
	struct state st, got;
	struct kerr e;

	CHECK(fd >= 0, "mkstemp");
	if (fd < 0)
		return;
	unlink(path);
	state_io_fd(&io, &fd);
	CHECK(state_read(&io, &st, &e) == -1 && st.empty, "empty file");
	CHECK(strstr(e.detail, "unreadable") != NULL, "short: %s", e.detail);
	for (int i = 0; i < 5; i++) {
		state_count_boot(&st);
		CHECK(!state_write(&io, &st, &e), "write %d: %s", i, e.detail);
		CHECK(!state_read(&io, &got, &e) && same(&got, &st) &&
			  got.copy == i % 2,
		      "read %d copy %d", i, got.copy);
	}
	CHECK(lseek(fd, 0, SEEK_END) == STATE_COPY_STRIDE + STATE_REC_SIZE,
	      "file size");
	close(fd);
}

int
main(void)
{
	test_power_cuts();
	test_write_sequence();
	test_copies();
	test_codec();
	test_walk();
	test_fd();
	return unit_done("state");
}
