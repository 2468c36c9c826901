// SPDX-License-Identifier: MIT
/* libFuzzer target: the A/B state record reader and the boot decisions. */
#include <stdint.h>
#include <string.h>

#include "lib/base/crc32.h"
#include "lib/update/state.h"

/* Gives rec a correct header and CRC, so the checks behind them run. */
static void
reseal(uint8_t *rec)
{
	static const uint8_t head[16] = {'K', 'E', 'E', 'L', 'S', 'T', 'A', 'T',
					 1,   0,   0,	0,   0,	  2,   0,   0};
	uint32_t c;

	memcpy(rec, head, sizeof(head));
	c = crc32_update(0, rec, STATE_REC_SIZE - 4);
	for (int i = 0; i < 4; i++)
		rec[STATE_REC_SIZE - 4 + i] = (uint8_t)(c >> (8 * i));
}

/* A valid record with every field in use, for mode bit 2. */
static void
base(uint8_t rec[STATE_REC_SIZE], uint64_t seq)
{
	static const uint8_t dg[STATE_DIGEST] = {1, 2, 3};
	struct state st;

	state_default(&st);
	st.seq = seq;
	st.boot_count = 9;
	st.floor = 2;
	state_set_trial(&st, 1, 3, 12, 4, dg, NULL);
	state_remember_failed(&st, 11, dg);
	state_mark_bad(&st, 0, STATE_FAIL_CORRUPT, "dm-verity", NULL);
	state_encode(&st, rec);
}

/* A decoded (or helper-made) state must re-encode to a valid record. */
static void
roundtrip(const struct state *st)
{
	uint8_t rec[STATE_REC_SIZE], again[STATE_REC_SIZE];
	struct state got;

	state_encode(st, rec);
	if (state_decode(rec, &got, NULL))
		__builtin_trap();
	state_encode(&got, again);
	if (memcmp(rec, again, sizeof(rec)))
		__builtin_trap();
}

/*
 * Input: one mode byte, then up to two records. Mode bit 0: reseal both
 * records; bit 1: copy 1 unreadable; bit 2: the input is XORed onto
 * valid records (mutations near real ones); bits 3..: operations.
 */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t rec[2][STATE_REC_SIZE] = {{0}};
	struct state st;
	struct state_choice c;
	struct kerr e;
	uint8_t mode;

	if (size < 1)
		return 0;
	mode = data[0];
	data++, size--;
	if (mode & 4) {
		base(rec[0], 7);
		base(rec[1], 8);
	}
	for (size_t i = 0; i < size && i < 2 * STATE_REC_SIZE; i++)
		rec[i / STATE_REC_SIZE][i % STATE_REC_SIZE] ^= data[i];
	if (mode & 1) {
		reseal(rec[0]);
		reseal(rec[1]);
	}
	if (state_pick(rec[0], mode & 2 ? NULL : rec[1], &st, &e) == 0) {
		uint8_t back[STATE_REC_SIZE];

		/* A record that decodes re-encodes to the very same bytes
		 * (format 1 ones as format 2: the format word aside). */
		state_encode(&st, back);
		if (rec[st.copy][8] == 1) {
			back[8] = 1;
			reseal(back);
		}
		if (memcmp(back, rec[st.copy], sizeof(back)))
			__builtin_trap();
	} else if (!st.empty || st.copy != -1) {
		__builtin_trap();
	}
	/* Whatever was read, the decisions keep it a valid record. */
	state_choose_slot(&st, &c);
	if (c.slot != 0 && c.slot != 1)
		__builtin_trap();
	roundtrip(&st);
	state_count_boot(&st);
	if (c.kind == STATE_BOOT_TRIAL && state_begin_trial(&st, c.slot, &e))
		__builtin_trap();
	if (mode & 8)
		state_commit(&st, c.slot, &e);
	if (mode & 16)
		state_mark_bad(&st, c.slot, STATE_FAIL_CRASH, "fuzz", &e);
	if (mode & 32)
		state_set_trial(&st, !st.committed_slot, 1 + (mode >> 6),
				st.floor, st.floor, rec[0], &e);
	roundtrip(&st);
	/* What the slots prove, from the input: never lowers the floor. */
	if (size >= 2 * STATE_REC_SIZE + 36) {
		struct state_proof p[2];
		const uint8_t *q = data + 2 * STATE_REC_SIZE;
		uint64_t floor = st.floor;
		int was_empty = st.empty;

		for (int i = 0; i < 2; i++) {
			p[i].valid = q[0] >> i & 1;
			p[i].version = q[1 + i];
			p[i].epoch = q[3 + i];
			memcpy(p[i].digest, q + 4, STATE_DIGEST);
		}
		state_apply_proof(&st, p);
		if (!was_empty && st.floor < floor)
			__builtin_trap();
		state_choose_slot(&st, &c);
		roundtrip(&st);
	}
	return 0;
}
