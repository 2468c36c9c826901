// SPDX-License-Identifier: MIT
/* The A/B state record: strict codec, two-copy reader and writer. */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "lib/base/bytes.h"
#include "lib/base/crc32.h"
#include "lib/update/state.h"

/* Byte offsets inside the record and a slot entry (docs/FORMAT.md §3). */
#define R_MAGIC 0
#define R_FORMAT 8
#define R_SIZE 12
#define R_SEQ 16
#define R_BOOTS 24
#define R_FLOOR 32
#define R_CVERSION 40
#define R_CSLOT 48
#define R_FLAGS 49
#define R_SLOT0 56
#define R_SLOT_SIZE 128
#define R_FAILED (R_SLOT0 + STATE_NSLOTS * R_SLOT_SIZE) /* 312 */
#define R_FAILED_SIZE 40				/* version, digest */
#define R_TAIL (R_FAILED + STATE_FAILED_MAX * R_FAILED_SIZE) /* 472 */
#define R_CRC (STATE_REC_SIZE - 4)			     /* 508 */

#define S_FLAGS 0
#define S_TRIES 1
#define S_FAIL 2
#define S_APP_END 3 /* format 3: the app's last failure, 3 bytes */
#define S_APP_CODE 4
#define S_APP_WHY 5
#define S_VERSION 8
#define S_EPOCH 16
#define S_FAILBOOT 24
#define S_TEXT 32
#define S_TEXT_SIZE (STATE_FAIL_TEXT + 1)	/* 48 */
#define S_DIGEST (S_TEXT + S_TEXT_SIZE)		/* 80 */
#define S_APP_VERSION (S_DIGEST + STATE_DIGEST) /* 112, format 3 */
#define S_APP_BOOT (S_APP_VERSION + 8)		/* 120, format 3 */
_Static_assert(S_APP_BOOT + 8 == R_SLOT_SIZE, "the slot entry is full");

#define RF_FACTORY_RESET 0x01
#define SF_BOOTABLE 0x01
#define SF_COMMITTED 0x02
#define SF_KNOWN 0x04
#define SF_TRIAL 0x08

static const char state_magic[8] = {'K', 'E', 'E', 'L', 'S', 'T', 'A', 'T'};

static void
encode_slot(const struct state_slot *s, uint8_t *p)
{
	size_t n = strnlen(s->fail_text, STATE_FAIL_TEXT);

	p[S_FLAGS] =
	    (uint8_t)((s->bootable ? SF_BOOTABLE : 0) |
		      (s->committed ? SF_COMMITTED : 0) |
		      (s->known ? SF_KNOWN : 0) | (s->trial ? SF_TRIAL : 0));
	p[S_TRIES] = s->tries;
	p[S_FAIL] = s->fail;
	le_put64(p + S_VERSION, s->version);
	le_put64(p + S_EPOCH, s->epoch);
	le_put64(p + S_FAILBOOT, s->fail_boot);
	memcpy(p + S_TEXT, s->fail_text, n);
	memcpy(p + S_DIGEST, s->digest, STATE_DIGEST);
	p[S_APP_END] = s->app_end;
	p[S_APP_CODE] = s->app_code;
	p[S_APP_WHY] = s->app_why;
	le_put64(p + S_APP_VERSION, s->app_version);
	le_put64(p + S_APP_BOOT, s->app_boot);
}

/* The reasons an app status may give (state_note_app). */
static int
app_why_ok(unsigned why)
{
	return why == STATE_FAIL_EXIT || why == STATE_FAIL_CRASH ||
	       why == STATE_FAIL_WATCHDOG || why == STATE_FAIL_NOT_READY ||
	       why == STATE_FAIL_CORRUPT;
}

/* The app status bytes: all zero, or an end, a code that fits it and a
 * reason an app status gives. Format 3 only (before: zero). */
static int
decode_app(const uint8_t *p, int i, unsigned format, struct state_slot *s,
	   struct kerr *e)
{
	const char *bad = NULL;

	s->app_end = p[S_APP_END];
	s->app_code = p[S_APP_CODE];
	s->app_why = p[S_APP_WHY];
	s->app_version = le_get64(p + S_APP_VERSION);
	s->app_boot = le_get64(p + S_APP_BOOT);
	if (s->app_end == STATE_APP_NONE) {
		if (s->app_code || s->app_why || s->app_version || s->app_boot)
			bad = "app status without an end";
	} else if (format < 3) {
		bad = "app status in a record before format 3";
	} else if (s->app_end >= STATE_APP_END_MAX) {
		bad = "unknown app end";
	} else if (!app_why_ok(s->app_why)) {
		bad = "app status with a reason it cannot give";
	} else if ((s->app_end == STATE_APP_SIGNALED &&
		    (!s->app_code || s->app_code > 127)) ||
		   (s->app_end == STATE_APP_RUNNING && s->app_code)) {
		bad = "app code does not fit its end";
	}
	if (bad)
		return kerr_set(e, "state slot", "%s: %s", state_slot_name(i),
				bad);
	return 0;
}

static int
decode_slot(const uint8_t *p, int i, unsigned format, struct state_slot *s,
	    struct kerr *e)
{
	const uint8_t *t = p + S_TEXT;
	size_t n;

	memset(s, 0, sizeof(*s));
	if (p[S_FLAGS] & ~(SF_BOOTABLE | SF_COMMITTED | SF_KNOWN | SF_TRIAL))
		return kerr_set(e, "state slot", "%s: unknown flags 0x%02x",
				state_slot_name(i), p[S_FLAGS]);
	if (!bytes_zero(p + S_APP_WHY + 1, S_VERSION - S_APP_WHY - 1))
		return kerr_set(e, "state slot", "%s: reserved bytes not zero",
				state_slot_name(i));
	s->bootable = !!(p[S_FLAGS] & SF_BOOTABLE);
	s->committed = !!(p[S_FLAGS] & SF_COMMITTED);
	s->known = !!(p[S_FLAGS] & SF_KNOWN);
	s->trial = !!(p[S_FLAGS] & SF_TRIAL);
	s->tries = p[S_TRIES];
	s->fail = p[S_FAIL];
	s->version = le_get64(p + S_VERSION);
	s->epoch = le_get64(p + S_EPOCH);
	s->fail_boot = le_get64(p + S_FAILBOOT);
	if (s->tries > STATE_MAX_TRIES || (s->tries && !s->trial))
		return kerr_set(e, "state slot", "%s: tries %u on a non-trial",
				state_slot_name(i), s->tries);
	if (s->trial && (!s->bootable || s->committed || !s->known))
		return kerr_set(e, "state slot", "%s: bad trial flags 0x%02x",
				state_slot_name(i), p[S_FLAGS]);
	if (s->fail >= STATE_FAIL_MAX ||
	    (format < 3 && s->fail >= STATE_FAIL_EXIT))
		return kerr_set(e, "state slot", "%s: unknown failure %u",
				state_slot_name(i), s->fail);
	memcpy(s->digest, p + S_DIGEST, STATE_DIGEST);
	if (!s->known &&
	    (s->version || s->epoch || !bytes_zero(s->digest, STATE_DIGEST)))
		return kerr_set(e, "state slot", "%s: version of unknown image",
				state_slot_name(i));
	n = strnlen((const char *)t, S_TEXT_SIZE);
	if (n == S_TEXT_SIZE || !bytes_zero(t + n, S_TEXT_SIZE - n))
		return kerr_set(e, "state slot",
				"%s: failure text unterminated",
				state_slot_name(i));
	for (size_t k = 0; k < n; k++)
		if (t[k] < 0x20 || t[k] >= 0x7f)
			return kerr_set(e, "state slot",
					"%s: failure text not printable",
					state_slot_name(i));
	if (s->fail == STATE_FAIL_NONE && (n || s->fail_boot))
		return kerr_set(e, "state slot", "%s: text without failure",
				state_slot_name(i));
	memcpy(s->fail_text, t, n);
	return decode_app(p, i, format, s, e);
}

/* The failed-image table: entries in use first, each once, then zeros. */
static int
decode_failed(const uint8_t *p, struct state *st, struct kerr *e)
{
	st->nfailed = 0;
	for (int i = 0; i < STATE_FAILED_MAX; i++) {
		const uint8_t *q = p + i * R_FAILED_SIZE;
		struct state_failed *f = &st->failed[st->nfailed];

		if (bytes_zero(q, R_FAILED_SIZE))
			continue;
		if (st->nfailed != (unsigned)i)
			return kerr_set(e, "state failed",
					"entry %d after an empty one", i);
		f->version = le_get64(q);
		memcpy(f->digest, q + 8, STATE_DIGEST);
		for (unsigned k = 0; k < st->nfailed; k++)
			if (st->failed[k].version == f->version &&
			    !memcmp(st->failed[k].digest, f->digest,
				    STATE_DIGEST))
				return kerr_set(e, "state failed",
						"entry %d twice", i);
		st->nfailed++;
	}
	return 0;
}

/* Serial number arithmetic: a is newer than b (modulo 2^64). */
static int
seq_newer(uint64_t a, uint64_t b)
{
	return a != b && a - b < ((uint64_t)1 << 63);
}

static int
io_full(const struct state_io *io, int wr, uint8_t *buf, size_t n, uint64_t off)
{
	size_t done = 0;

	while (done < n) {
		ssize_t r =
		    wr ? io->pwrite(io->ctx, buf + done, n - done, off + done)
		       : io->pread(io->ctx, buf + done, n - done, off + done);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (r == 0) {
			errno = wr ? ENOSPC : EIO;
			return -1;
		}
		done += (size_t)r;
	}
	return 0;
}

static ssize_t
fd_pread(void *ctx, void *buf, size_t n, uint64_t off)
{
	return pread(*(int *)ctx, buf, n, (off_t)off);
}

static ssize_t
fd_pwrite(void *ctx, const void *buf, size_t n, uint64_t off)
{
	return pwrite(*(int *)ctx, buf, n, (off_t)off);
}

static int
fd_sync(void *ctx)
{
	return fdatasync(*(int *)ctx);
}

void
state_io_fd(struct state_io *io, int *fd)
{
	io->pread = fd_pread;
	io->pwrite = fd_pwrite;
	io->sync = fd_sync;
	io->ctx = fd;
}

void
state_default(struct state *st)
{
	memset(st, 0, sizeof(*st));
	st->committed_slot = 0;
	st->slot[0].bootable = 1;
	st->slot[0].committed = 1;
	st->slot[1].bootable = 1;
	st->copy = -1;
}

void
state_encode(const struct state *st, uint8_t rec[STATE_REC_SIZE])
{
	memset(rec, 0, STATE_REC_SIZE);
	memcpy(rec + R_MAGIC, state_magic, sizeof(state_magic));
	le_put32(rec + R_FORMAT, STATE_FORMAT);
	le_put32(rec + R_SIZE, STATE_REC_SIZE);
	le_put64(rec + R_SEQ, st->seq);
	le_put64(rec + R_BOOTS, st->boot_count);
	le_put64(rec + R_FLOOR, st->floor);
	le_put64(rec + R_CVERSION, st->committed_version);
	rec[R_CSLOT] = (uint8_t)st->committed_slot;
	rec[R_FLAGS] = st->factory_reset ? RF_FACTORY_RESET : 0;
	for (int i = 0; i < STATE_NSLOTS; i++)
		encode_slot(&st->slot[i], rec + R_SLOT0 + i * R_SLOT_SIZE);
	for (unsigned i = 0; i < st->nfailed && i < STATE_FAILED_MAX; i++) {
		uint8_t *q = rec + R_FAILED + i * R_FAILED_SIZE;

		le_put64(q, st->failed[i].version);
		memcpy(q + 8, st->failed[i].digest, STATE_DIGEST);
	}
	le_put32(rec + R_CRC, crc32_update(0, rec, R_CRC));
}

int
state_decode(const uint8_t rec[STATE_REC_SIZE], struct state *st,
	     struct kerr *e)
{
	uint32_t crc = crc32_update(0, rec, R_CRC);
	uint32_t format = le_get32(rec + R_FORMAT);

	memset(st, 0, sizeof(*st));
	st->copy = -1;
	if (memcmp(rec + R_MAGIC, state_magic, sizeof(state_magic)))
		return kerr_set(e, "state magic", "not a keel state record");
	if (le_get32(rec + R_CRC) != crc)
		return kerr_set(e, "state crc", "stored %08x, computed %08x",
				le_get32(rec + R_CRC), crc);
	if (format < 1 || format > STATE_FORMAT)
		return kerr_set(e, "state format", "format %u, want 1 to %u",
				format, STATE_FORMAT);
	/* Format 1 had no digests and no failed images: zero there. */
	if (format == 1 &&
	    (!bytes_zero(rec + R_FAILED, R_CRC - R_FAILED) ||
	     !bytes_zero(rec + R_SLOT0 + S_DIGEST, STATE_DIGEST) ||
	     !bytes_zero(rec + R_SLOT0 + R_SLOT_SIZE + S_DIGEST, STATE_DIGEST)))
		return kerr_set(e, "state format",
				"format 1 with bytes of format 2");
	if (le_get32(rec + R_SIZE) != STATE_REC_SIZE)
		return kerr_set(e, "state format", "record size %u",
				le_get32(rec + R_SIZE));
	if (rec[R_CSLOT] > 1 || (rec[R_FLAGS] & ~RF_FACTORY_RESET))
		return kerr_set(e, "state format", "committed slot %u flags %u",
				rec[R_CSLOT], rec[R_FLAGS]);
	if (!bytes_zero(rec + R_FLAGS + 1, R_SLOT0 - R_FLAGS - 1) ||
	    !bytes_zero(rec + R_TAIL, R_CRC - R_TAIL))
		return kerr_set(e, "state format", "reserved bytes not zero");
	st->seq = le_get64(rec + R_SEQ);
	st->boot_count = le_get64(rec + R_BOOTS);
	st->floor = le_get64(rec + R_FLOOR);
	st->committed_version = le_get64(rec + R_CVERSION);
	st->committed_slot = rec[R_CSLOT];
	st->factory_reset = !!(rec[R_FLAGS] & RF_FACTORY_RESET);
	for (int i = 0; i < STATE_NSLOTS; i++) {
		if (decode_slot(rec + R_SLOT0 + i * R_SLOT_SIZE, i, format,
				&st->slot[i], e))
			return -1;
		if (st->slot[i].committed != (i == st->committed_slot))
			return kerr_set(e, "state slot",
					"%s: committed flag disagrees",
					state_slot_name(i));
	}
	return decode_failed(rec + R_FAILED, st, e);
}

int
state_pick(const uint8_t *rec0, const uint8_t *rec1, struct state *st,
	   struct kerr *e)
{
	struct state s[2];
	struct kerr err[2];
	int ok[2], pick;

	ok[0] = rec0 && !state_decode(rec0, &s[0], &err[0]);
	ok[1] = rec1 && !state_decode(rec1, &s[1], &err[1]);
	if (!ok[0] && !ok[1]) {
		state_default(st);
		st->empty = 1;
		return kerr_set(e, "state",
				"no valid copy (0: %s%s%.60s; "
				"1: %s%s%.60s); using defaults",
				rec0 ? err[0].check : "unreadable",
				rec0 ? ": " : "", rec0 ? err[0].detail : "",
				rec1 ? err[1].check : "unreadable",
				rec1 ? ": " : "", rec1 ? err[1].detail : "");
	}
	if (ok[0] && ok[1])
		pick = seq_newer(s[1].seq, s[0].seq) ? 1 : 0;
	else
		pick = ok[0] ? 0 : 1;
	*st = s[pick];
	st->copy = pick;
	/* A copy never written (all zero) is not a damaged one. */
	st->other_bad =
	    !ok[!pick] && !(pick ? rec0 && bytes_zero(rec0, STATE_REC_SIZE)
				 : rec1 && bytes_zero(rec1, STATE_REC_SIZE));
	return 0;
}

int
state_read(const struct state_io *io, struct state *st, struct kerr *e)
{
	uint8_t rec[2][STATE_REC_SIZE];
	int rd[2];

	for (int i = 0; i < 2; i++)
		rd[i] = !io_full(io, 0, rec[i], STATE_REC_SIZE,
				 (uint64_t)i * STATE_COPY_STRIDE);
	return state_pick(rd[0] ? rec[0] : NULL, rd[1] ? rec[1] : NULL, st, e);
}

int
state_write(const struct state_io *io, struct state *st, struct kerr *e)
{
	uint8_t rec[STATE_REC_SIZE];
	struct state next = *st;
	int target = st->copy == 0 ? 1 : 0;

	/*
	 * HAZARD: the copy st came from is the only record that counts
	 * until the sync below returns. Never write it here.
	 */
	next.seq = st->seq + 1;
	state_encode(&next, rec);
	if (io_full(io, 1, rec, sizeof(rec),
		    (uint64_t)target * STATE_COPY_STRIDE))
		return kerr_set(e, "state write", "copy %d: %s", target,
				kerr_strerror(errno));
	if (io->sync(io->ctx))
		return kerr_set(e, "state write", "copy %d: sync: %s", target,
				kerr_strerror(errno));
	next.copy = target;
	next.empty = 0;
	next.other_bad = 0;
	*st = next;
	return 0;
}
