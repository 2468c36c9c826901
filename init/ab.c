// SPDX-License-Identifier: MIT
/* keel-init's side of the A/B record: which slot boots, what happened to it. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "init/init.h"
#include "lib/base/fmt.h"
#include "lib/update/counter.h"

static struct state st;
static struct state_io io;
static struct state_choice choice;
static int state_fd = -1;
/* each slot's header as ab_load read it; proof_signed[s]: its
 * signatures verified against the baked keys */
static struct img_meta proof_meta[STATE_NSLOTS];
static int proof_signed[STATE_NSLOTS];
static int hw_ok; /* 1: the board's rollback counter was read at boot */

static const char *const kind_name[] = {
    [STATE_BOOT_COMMITTED] = "committed",
    [STATE_BOOT_TRIAL] = "trial",
    [STATE_BOOT_FALLBACK] = "fallback",
    [STATE_BOOT_RESCUE] = "rescue",
};

static void
sleep_ms(uint32_t ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000};

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/*
 * Every change is written (to the older copy, synced) before it counts.
 * A write that fails is tried again INIT_STATE_TRIES times in all (a
 * failed fdatasync may have dropped the dirty pages: the next attempt
 * writes them again); then the caller's policy decides. 0 or -1.
 */
static int
save(const char *what)
{
	struct kerr e = {0};

	if (state_fd < 0) {
		klog("state: %s NOT RECORDED: no state partition", what);
		return -1;
	}
	for (int i = 1; i <= INIT_STATE_TRIES; i++) {
		if (state_write(&io, &st, &e) == 0)
			return 0;
		klog("state: write (%s), attempt %d of %d: %s", what, i,
		     INIT_STATE_TRIES, e.detail);
		if (i < INIT_STATE_TRIES)
			sleep_ms(INIT_STATE_RETRY_MS);
	}
	klog("state: %s NOT RECORDED: the state partition refuses writes",
	     what);
	return -1;
}

int
ab_header_signed(int s, const struct img_meta *m)
{
	return s >= 0 && s < STATE_NSLOTS && proof_signed[s] &&
	       !memcmp(m, &proof_meta[s], sizeof(*m));
}

const struct state *
ab_state(void)
{
	return &st;
}

/* Slot s's signatures, on a thread (thread_start) or here; why not in
 * proof_why[s] (set by every check that fails). */
static struct kerr proof_why[STATE_NSLOTS];

static void *
check_sigs(void *arg)
{
	int s = (int)(intptr_t)arg;

	proof_signed[s] =
	    img_check_sigs(&proof_meta[s], &g.keys, &proof_why[s]) == 1;
	return NULL;
}

/*
 * What each slot's signed header proves (FORMAT.md §3.4); no tree check.
 * The second slot's signatures (an ECDSA verification, 0.65 ms on the
 * bench's host) are checked on a thread while the first's are, here.
 */
static void
prove(struct state_proof p[STATE_NSLOTS])
{
	static struct thread th;
	int rd[STATE_NSLOTS]; /* 1: no slot to read, -1: no header, 0 */

	_Static_assert(STATE_NSLOTS == 2, "one thread for the second slot");
	memset(p, 0, sizeof(*p) * STATE_NSLOTS);
	for (int s = 0; s < STATE_NSLOTS; s++) {
		int fd =
		    g.dev[s][0] ? open(g.dev[s], O_RDONLY | O_CLOEXEC) : -1;

		proof_signed[s] = 0;
		rd[s] =
		    fd < 0 ? 1 : img_read(fd, &proof_meta[s], &proof_why[s]);
		if (fd >= 0)
			close(fd);
	}
	if (rd[1] == 0)
		thread_start(&th, check_sigs, (void *)1);
	if (rd[0] == 0)
		check_sigs((void *)0);
	if (rd[1] == 0)
		thread_join(&th);
	for (int s = 0; s < STATE_NSLOTS; s++) {
		const struct img_meta *m = &proof_meta[s];
		struct kerr *e = &proof_why[s];

		if (rd[s] == 0 && proof_signed[s] &&
		    img_check_device(&m->h, g.board.name, IMG_ARCH_HOST, 0,
				     e)) {
			p[s].valid = 1;
			p[s].version = m->h.version;
			p[s].epoch = m->h.epoch;
			img_digest(m, p[s].digest);
		} else if (rd[s] <= 0) {
			klog("state: slot %s proves nothing: %s: %s",
			     state_slot_name(s), e->check, e->detail);
		}
	}
}

/*
 * The board's hardware rollback counter (rollback.counter=): the floor
 * it holds. A board that has one and cannot read it does not boot: the
 * floor it promises could not be kept (docs/SECURITY-device.md). -1 and
 * why.
 */
static int
hw_floor(uint64_t *floor, char *why, size_t cap)
{
	struct kerr e = {0};

	*floor = 0;
	if (g.board.counter != BOARD_COUNTER_TPM2 &&
	    g.board.counter != BOARD_COUNTER_FILE)
		return 0;
	if (rollback_counter_run(0, floor, &e) < 0) {
		fmt_sn(why, cap, "the board's rollback counter: %s: %s",
		       e.check, e.detail);
		return -1;
	}
	hw_ok = 1;
	klog("state: rollback counter (%s): floor %llu",
	     g.board.counter == BOARD_COUNTER_TPM2 ? "TPM 2.0 NV index"
						   : "test file",
	     (unsigned long long)*floor);
	return 0;
}

/* The counter follows the record's floor up (never down). */
static void
hw_advance(void)
{
	struct kerr e = {0};
	uint64_t floor = st.floor;

	if (!hw_ok)
		return;
	if (rollback_counter_run(1, &floor, &e) < 0)
		klog("state: ROLLBACK COUNTER NOT ADVANCED to %llu: %s: %s "
		     "(tried again at the next boot)",
		     (unsigned long long)st.floor, e.check, e.detail);
	else
		klog("state: rollback counter: floor %llu",
		     (unsigned long long)st.floor);
}

/* Opens and reads the record; a blank, garbage or missing one is empty. */
static void
read_record(void)
{
	const char *dev = g.dev[BOARD_PART_STATE];
	struct kerr e = {0};

	state_default(&st);
	st.empty = 1;
	/* No O_SYNC: state_write's fdatasync is the point a write counts
	 * (docs/FORMAT.md §3.1); O_SYNC flushed every write twice. */
	if (dev[0])
		state_fd = open(dev, O_RDWR | O_CLOEXEC);
	if (state_fd < 0) {
		klog("state: %s: %s: no record can be read or written",
		     dev[0] ? dev : "no partition",
		     dev[0] ? kerr_strerror(errno) : "not found");
		return;
	}
	state_io_fd(&io, &state_fd);
	if (state_read(&io, &st, &e) < 0)
		klog("state: %s", e.detail);
	else if (st.other_bad)
		klog("state: one copy was invalid (a cut write?)");
}

/*
 * No valid record: the slots' signed headers rebuilt it. Loud when the
 * device has booted before, and the board's on_blank_state decides.
 * -1 when the board says halt.
 */
static int
blank_record(char *why, size_t cap)
{
	char used[96];
	int before = disk_used_before(used, sizeof(used));

	if (!before) {
		klog("state: no valid record (a new device): rebuilt from the "
		     "slots: %s committed, version %llu, floor %llu",
		     state_slot_name(st.committed_slot),
		     (unsigned long long)st.committed_version,
		     (unsigned long long)st.floor);
		return 0;
	}
	klog("state: NO VALID RECORD ON A DEVICE THAT HAS BOOTED BEFORE (%s): "
	     "the record was erased or damaged",
	     used);
	if (g.board.on_blank_state == BOARD_BLANK_HALT) {
		fmt_sn(why, cap,
		       "the A/B record is lost on a device that has booted "
		       "before (%s); board on_blank_state=halt",
		       used);
		return -1;
	}
	klog("state: rebuilt from the slots' signed headers: %s committed, "
	     "version %llu, floor %llu; earlier failures, trials and "
	     "failed images are forgotten",
	     state_slot_name(st.committed_slot),
	     (unsigned long long)st.committed_version,
	     (unsigned long long)st.floor);
	return 0;
}

/*
 * The write at boot (count, a trial's try) failed after its retries: a
 * trial whose tries cannot be counted could hang or reset forever, so it
 * does not start; the committed slot boots instead (docs/FORMAT.md §3.6).
 */
static void
boot_unrecorded(const struct state *before)
{
	int cs = st.committed_slot;

	if (choice.kind != STATE_BOOT_TRIAL)
		return;
	klog("state: the trial of %s does not start: its tries cannot be "
	     "recorded; booting the committed slot %s",
	     state_slot_name(choice.slot), state_slot_name(cs));
	st = *before;
	choice.slot = cs;
	choice.kind =
	    st.slot[cs].bootable ? STATE_BOOT_COMMITTED : STATE_BOOT_RESCUE;
}

int
ab_load(char *why, size_t cap)
{
	struct state_proof p[STATE_NSLOTS];
	struct state before;
	uint64_t hwf;
	int blank;

	if (hw_floor(&hwf, why, cap) < 0)
		return -1;
	read_record();
	blank = st.empty;
	prove(p);
	if (state_apply_proof(&st, p) && !blank)
		klog("state: the record learnt from the slots' headers: floor "
		     "%llu, committed version %llu",
		     (unsigned long long)st.floor,
		     (unsigned long long)st.committed_version);
	if (blank && blank_record(why, cap) < 0)
		return -1;
	if (hwf > st.floor) {
		klog("state: the rollback counter holds floor %llu, above the "
		     "record's %llu: the floor is %llu",
		     (unsigned long long)hwf, (unsigned long long)st.floor,
		     (unsigned long long)hwf);
		st.floor = hwf;
	}
	before = st;
	state_count_boot(&st);
	state_choose_slot(&st, &choice);
	if (g.force_slot >= 0 && g.force_slot != choice.slot) {
		choice.slot = g.force_slot;
		choice.kind = g.force_slot == st.committed_slot
				  ? STATE_BOOT_COMMITTED
				  : STATE_BOOT_FALLBACK;
	}
	/* A trial loses one try NOW, before anything of it runs, so that a
	 * trial that hangs or resets the device runs out of tries. */
	if (choice.kind == STATE_BOOT_TRIAL)
		state_begin_trial(&st, choice.slot, NULL);
	klog("state: boot %llu, committed %s (version %llu), floor %llu: "
	     "booting %s as %s",
	     (unsigned long long)st.boot_count,
	     state_slot_name(st.committed_slot),
	     (unsigned long long)st.committed_version,
	     (unsigned long long)st.floor, state_slot_name(choice.slot),
	     kind_name[choice.kind]);
	if (choice.kind == STATE_BOOT_TRIAL)
		klog("state: trial boot of %s, %u tries left",
		     state_slot_name(choice.slot), st.slot[choice.slot].tries);
	if (save("boot") < 0)
		boot_unrecorded(&before);
	if (hwf < st.floor)
		hw_advance(); /* a commit whose advance failed, or a rebuild */
	return 0;
}

int
ab_choose_slot(void)
{
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

int
ab_factory_reset_done(void)
{
	state_set_factory_reset(&st, 0);
	return save("factory reset done");
}

int
ab_request_factory_reset(void)
{
	state_set_factory_reset(&st, 1);
	return save("factory reset request");
}

/* The slot verified and is mounted; the app is about to start. */
void
ab_slot_booting(int slot)
{
	if (slot != choice.slot) /* the choice failed, the other one boots */
		choice.kind = slot == st.committed_slot ? STATE_BOOT_COMMITTED
							: STATE_BOOT_FALLBACK;
	choice.slot = slot;
	g.commit_pending = choice.kind != STATE_BOOT_COMMITTED;
	g.trial = choice.kind == STATE_BOOT_TRIAL;
}

int
ab_slot_failed(int slot, int reason, const char *why)
{
	struct kerr e = {0};

	if (state_mark_bad(&st, slot, reason, why, &e) < 0) {
		klog("state: mark %s bad: %s", state_slot_name(slot), e.detail);
		return -1;
	}
	return save("a slot failure");
}

/*
 * The app of the booted slot failed (why: STATE_FAIL_EXIT, _CRASH,
 * _WATCHDOG, _NOT_READY): how it ended, from its status code
 * (init_status_code: above 128 a signal; -1 still running), and the
 * version it ran go into the record, and into the log as the line that
 * says why. now: written at once (0 or -1 as save); else the next write
 * (ab_slot_failed) carries it.
 */
int
ab_app_failed(int code, int why, int now)
{
	struct kerr e = {0};
	struct state_slot *s;
	char text[80];
	int end = code < 0	? STATE_APP_RUNNING
		  : code <= 128 ? STATE_APP_EXITED
				: STATE_APP_SIGNALED;
	unsigned c = code < 0	   ? 0
		     : code <= 128 ? (unsigned)code
				   : (unsigned)code - 128;

	if (g.slot < 0 || g.slot >= STATE_NSLOTS)
		return -1;
	s = &st.slot[g.slot];
	if (state_note_app(&st, g.slot, g.meta.h.version, end, c, why, &e) <
	    0) {
		klog("state: app status of %s: %s", state_slot_name(g.slot),
		     e.detail);
		return -1;
	}
	state_app_text(s, text, sizeof(text));
	if (g.trial)
		klog("state: the trial of %s failed: %s (%u tries left)",
		     state_slot_name(g.slot), text, s->tries);
	else
		klog("state: the app of %s failed: %s", state_slot_name(g.slot),
		     text);
	return now ? save("the app's status") : 0;
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

/*
 * The app is healthy: a trial or fallback slot becomes the committed one.
 * -1 when the record could not be written: commit_pending stays, and the
 * next health tick tries again.
 */
int
ab_app_healthy(void)
{
	struct kerr e = {0};

	if (!g.commit_pending)
		return 0;
	if (state_commit(&st, g.slot, &e) < 0) {
		/* a rule of the record (rescue boot): nothing to retry */
		g.commit_pending = 0;
		klog("state: commit %s: %s", state_slot_name(g.slot), e.detail);
		return 0;
	}
	if (save("the commit") < 0)
		return -1;
	hw_advance();
	g.commit_pending = 0;
	g.trial = 0;
	klog("state: %s committed: version %llu, floor %llu",
	     state_slot_name(g.slot), (unsigned long long)st.committed_version,
	     (unsigned long long)st.floor);
	return 0;
}

/*
 * The slot an update may write: neither the committed slot nor the one
 * booted as a trial or fallback (until it is committed). -1 and why.
 */
int
ab_update_target(char *why, size_t cap)
{
	int cs = st.committed_slot;

	if (g.slot < 0) {
		fmt_sn(why, cap, "no slot booted");
		return -1;
	}
	if (g.slot != cs) {
		fmt_sn(why, cap,
		       "slot %s is booted as a %s and not committed yet; "
		       "slot %s is committed: no slot to install into until "
		       "%s is committed",
		       state_slot_name(g.slot), g.trial ? "trial" : "fallback",
		       state_slot_name(cs), state_slot_name(g.slot));
		return -1;
	}
	return !cs;
}

/* After a successful install into slot: a trial with tries. */
int
ab_slot_installed(int slot, uint64_t version, uint64_t epoch,
		  const uint8_t digest[STATE_DIGEST])
{
	struct kerr e = {0};

	if (state_set_trial(&st, slot, INIT_TRIAL_TRIES, version, epoch, digest,
			    &e) < 0)
		return klog("state: %s", e.detail), -1;
	return save("the installed trial");
}

/*
 * Before the first byte of an install is written: the slot is not
 * bootable, and that is synced. -1 (nothing may be written) if the slot
 * is no longer the update target or the record refuses the write.
 */
int
ab_slot_installing(int slot)
{
	char why[160];
	struct kerr e = {0};

	if (ab_update_target(why, sizeof(why)) != slot) {
		klog("state: install into %s refused: %s",
		     state_slot_name(slot), why);
		return -1;
	}
	if (state_mark_unbootable(&st, slot, &e) < 0)
		return klog("state: %s", e.detail), -1;
	return save("the install mark");
}
