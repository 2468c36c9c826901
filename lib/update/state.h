/* SPDX-License-Identifier: MIT */
/* The A/B state record on the keel-state partition, and boot decisions. */
#ifndef KEEL_STATE_H
#define KEEL_STATE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "lib/base/err.h"

/*
 * The keel-state partition holds two copies of one 512-byte record, copy 0
 * at byte 0 and copy 1 at byte 4096 (docs/FORMAT.md §3 has every byte).
 * Each copy carries a magic, a format version, a sequence number and a
 * CRC-32. The reader takes the valid copy with the newer sequence number;
 * a write goes to the other copy with the sequence number plus one and
 * counts only once fdatasync has returned. A power cut at any byte of a
 * write therefore leaves the untouched copy valid: the reader finds either
 * the old record or, once the new copy is complete, the new one.
 *
 * Time: devices may have no RTC, so failures are stamped with boot_count,
 * the number of boots keel-init has counted (state_count_boot), not a date.
 *
 * Nothing here allocates; every buffer is the caller's. Usable by PID 1.
 */
#define STATE_REC_SIZE 512
#define STATE_COPY_STRIDE 4096 /* copy i lives at i * STATE_COPY_STRIDE */
#define STATE_MIN_SIZE (2 * STATE_COPY_STRIDE) /* partition size needed */
#define STATE_FORMAT 2 /* written; format 1 is still read */
#define STATE_NSLOTS 2
#define STATE_NO_SLOT (-1)
#define STATE_MAX_TRIES 100 /* tries given to a trial slot: 1..100 */
#define STATE_FAIL_TEXT 47  /* failure text: printable ASCII, <= 47 */
#define STATE_DIGEST 32	    /* an image's digest: SHA-256 of its header */
#define STATE_FAILED_MAX 4  /* failed images remembered */

/* Why a slot was last marked bad (stored as one byte). */
enum state_fail {
	STATE_FAIL_NONE = 0,
	STATE_FAIL_TRIES,     /* trial slot ran out of tries */
	STATE_FAIL_VERIFY,    /* signature, policy or hash tree refused */
	STATE_FAIL_CORRUPT,   /* dm-verity reported corruption at run time */
	STATE_FAIL_CRASH,     /* app crash loop */
	STATE_FAIL_WATCHDOG,  /* app stopped notifying / watchdog reset */
	STATE_FAIL_NOT_READY, /* no READY=1 within the configured time */
	STATE_FAIL_INSTALL,   /* install started and did not finish */
	STATE_FAIL_ROLLBACK,  /* epoch below the rollback floor */
	STATE_FAIL_MOUNT,     /* image verified but could not be mounted */
	STATE_FAIL_OTHER,
	STATE_FAIL_MAX /* first invalid value */
};

struct state_slot {
	uint8_t bootable;  /* 1: may be chosen */
	uint8_t committed; /* 1: this is the committed slot */
	uint8_t trial;	   /* 1: installed, not yet committed */
	uint8_t tries;	   /* trial boots left (0 when not a trial) */
	uint8_t known;	   /* 1: version and epoch below are known */
	uint64_t version;  /* of the image installed here */
	uint64_t epoch;	   /* its security epoch */
	uint8_t digest[STATE_DIGEST]; /* its digest (zero: not recorded) */
	uint8_t fail;		      /* enum state_fail of the last failure */
	uint64_t fail_boot;	      /* boot_count when it was recorded */
	char fail_text[STATE_FAIL_TEXT + 1]; /* NUL-terminated */
};

/* An image that failed on this device (docs/FORMAT.md §3.5). */
struct state_failed {
	uint64_t version;
	uint8_t digest[STATE_DIGEST]; /* zero: not recorded */
};

struct state {
	uint64_t seq;	     /* of the copy this was read from / written */
	uint64_t boot_count; /* boots counted so far */
	uint64_t floor;	     /* rollback floor: lowest epoch accepted */
	uint64_t committed_version; /* version of the committed image */
	int committed_slot;	    /* 0 (A) or 1 (B) */
	uint8_t factory_reset;	    /* 1: wipe etc and var on the next boot */
	struct state_slot slot[STATE_NSLOTS];
	unsigned nfailed; /* entries in use, first in failed[] */
	struct state_failed failed[STATE_FAILED_MAX];
	/* Not stored: where the record came from (set by state_read). */
	int copy;	   /* copy read from; -1 when defaults */
	uint8_t empty;	   /* 1: no valid copy, defaults in use */
	uint8_t other_bad; /* 1: the other copy was damaged or unreadable
			      (not merely never written: all zero) */
};

/* Storage access, interposable by tests. Return as pread/pwrite/fdatasync. */
struct state_io {
	ssize_t (*pread)(void *ctx, void *buf, size_t n, uint64_t off);
	ssize_t (*pwrite)(void *ctx, const void *buf, size_t n, uint64_t off);
	int (*sync)(void *ctx);
	void *ctx;
};

/* io backed by the open file or block device *fd (fdatasync to flush). */
void state_io_fd(struct state_io *io, int *fd);

/*
 * Fresh state: slot A committed and bootable; slot B bootable as a
 * fallback (it is still verified before use); floor 0, nothing known.
 */
void state_default(struct state *st);

/* Record bytes <-> struct. decode is strict: magic, format, CRC, every
 * reserved byte zero, enums and flags in range, strings NUL-terminated
 * and printable, exactly the committed slot flagged committed. It reads
 * format 1 (no digests, no failed images) and 2; encode writes 2. */
void state_encode(const struct state *st, uint8_t rec[STATE_REC_SIZE]);
int state_decode(const uint8_t rec[STATE_REC_SIZE], struct state *st,
		 struct kerr *e);

/*
 * Picks the newer valid record of two copies (either may be NULL = not
 * readable). Newer: sequence numbers compared modulo 2^64 (serial number
 * arithmetic); equal numbers pick copy 0. Returns 0 with st filled, or -1
 * with st = state_default() plus st->empty and e saying why both failed.
 */
int state_pick(const uint8_t *rec0, const uint8_t *rec1, struct state *st,
	       struct kerr *e);

/* state_pick over the two copies read through io. Same return. */
int state_read(const struct state_io *io, struct state *st, struct kerr *e);

/*
 * Writes st to the copy it was not read from (the older or invalid one)
 * with seq + 1, then syncs. Only after the sync does st take the new seq
 * and copy; on failure (-1) st is unchanged and the other copy still
 * holds the last record that counted.
 */
int state_write(const struct state_io *io, struct state *st, struct kerr *e);

/* --- decisions: pure, no I/O; the caller writes st when they change it */

enum state_boot {
	STATE_BOOT_COMMITTED = 1, /* the committed slot */
	STATE_BOOT_TRIAL,    /* a trial slot: begin_trial, commit on health */
	STATE_BOOT_FALLBACK, /* committed slot is bad: the other, commit
				it once healthy */
	STATE_BOOT_RESCUE,   /* nothing bootable: the committed slot
				anyway (it is still verified) */
};

struct state_choice {
	int slot;    /* 0 or 1 */
	int kind;    /* enum state_boot */
	int changed; /* 1: st was changed (a trial ran out of
			tries and was marked bad): write it */
};

/*
 * The slot to boot: the other slot if it is a trial with tries left;
 * else the committed slot if bootable; else the other slot if bootable
 * and its known epoch is not below the floor (fallback); else the
 * committed slot (rescue). A trial with no tries left is marked bad
 * (STATE_FAIL_TRIES, "trial" flag set and tries 0) first. Never
 * changes which slot is committed.
 */
void state_choose_slot(struct state *st, struct state_choice *c);

/* boot_count + 1 (saturating). */
void state_count_boot(struct state *st);

/* Before a trial slot's app starts: tries - 1. -1 if slot is no trial. */
int state_begin_trial(struct state *st, int slot, struct kerr *e);

/*
 * The app on slot is healthy: slot becomes the committed slot (the other
 * loses the flag), tries 0, committed_version = its version, and the
 * floor rises to its epoch (never falls). -1 if slot is not bootable.
 */
int state_commit(struct state *st, int slot, struct kerr *e);

/* Slot failed: not bootable, no tries, reason and text (may be NULL,
 * truncated to STATE_FAIL_TEXT, non-printable bytes become '?') stamped
 * with boot_count. Works on the committed slot too (it stays committed,
 * so state_choose_slot falls back). A failure of the image itself (tries,
 * crash, watchdog, not-ready, mount) of a known slot also remembers the
 * image as failed (state_remember_failed). -1 on a bad slot or reason. */
int state_mark_bad(struct state *st, int slot, int reason, const char *text,
		   struct kerr *e);

/* Installer, before the first byte is written: the (non-committed) slot
 * is not bootable, version unknown, reason STATE_FAIL_INSTALL. */
int state_mark_unbootable(struct state *st, int slot, struct kerr *e);

/* Installer, after the read-back check: slot is a trial with tries
 * (1..STATE_MAX_TRIES) and the image's version, epoch and digest (NULL:
 * not recorded); failure cleared. -1 for the committed slot or an epoch
 * below the floor. */
int state_set_trial(struct state *st, int slot, unsigned tries,
		    uint64_t version, uint64_t epoch,
		    const uint8_t digest[STATE_DIGEST], struct kerr *e);

/*
 * Remembers that the image (version, digest; digest NULL: not known)
 * failed on this device, once; when the table is full the entry with the
 * lowest version makes room. state_commit forgets every entry whose
 * version is not above the newly committed one (the version rule refuses
 * those anyway).
 */
void state_remember_failed(struct state *st, uint64_t version,
			   const uint8_t digest[STATE_DIGEST]);

/* The remembered failure an offered image matches (the same version, or
 * the same digest), or NULL. */
const struct state_failed *
state_image_failed(const struct state *st, uint64_t version,
		   const uint8_t digest[STATE_DIGEST]);

/* What a slot's signed header proves, read at boot (docs/FORMAT.md §3.4). */
struct state_proof {
	int valid; /* the header decoded, its signatures and board passed */
	uint64_t version, epoch;
	uint8_t digest[STATE_DIGEST];
};

/*
 * Brings st in line with what the slots' signed headers prove, before a
 * slot is chosen. A record read from disk: the floor and the committed
 * version are raised to the committed slot's image (never lowered), and a
 * slot whose image differs from the record is learnt (version, epoch,
 * digest; its flags stay). An empty record (st->empty: blank, garbage or
 * unreadable): rebuilt from the slots: the valid image with the highest
 * epoch, then version, is taken as committed (slot A on a tie), the floor
 * becomes its epoch and the committed version its version, the other
 * slot is bootable only if it is valid and not below that floor, and a
 * slot without a valid image is marked failed (verify). Returns 1 if st
 * changed.
 */
int state_apply_proof(struct state *st,
		      const struct state_proof p[STATE_NSLOTS]);

/* Factory reset pending on the next boot: set (1) or done (0). */
void state_set_factory_reset(struct state *st, int on);

/* "a" / "b" (or "?"), and a failure reason's name ("tries", ...). */
const char *state_slot_name(int slot);
const char *state_fail_name(int reason);

#endif
