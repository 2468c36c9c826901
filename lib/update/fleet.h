/* SPDX-License-Identifier: MIT */
/* The update agent's decisions, without I/O: config, policy, state, report. */
#ifndef KEEL_FLEET_H
#define KEEL_FLEET_H

#include <stddef.h>
#include <stdint.h>

#include "lib/base/err.h"
#include "lib/net/http.h"
#include "lib/update/manifest.h"

/*
 * The device's update agent (docs/UPDATE.md §6) polls a manifest, decides
 * whether to take the bundle it names, streams it into keel-init's
 * installer, reboots by policy and reports. Everything it decides is
 * here, as pure functions over plain structs, so that the unit tests
 * drive every path; the I/O is the agent's (launcher/).
 *
 * update.conf comes from the signed image or from the etc partition,
 * which the app can write: it is parsed as untrusted input (strict
 * key=value lines, like network.conf). No heap.
 */
#define FLEET_CONF_MAX 4096
#define FLEET_LINE_MAX (HTTP_URL_MAX + 16)
#define FLEET_INTERVAL_MIN 5	   /* seconds between polls, at least */
#define FLEET_INTERVAL_MAX 2592000 /* 30 days */
#define FLEET_INTERVAL_DEF 3600	   /* an hour */
#define FLEET_RETRY_DEF 60	   /* first pause after a failure */
#define FLEET_JITTER_DEF 10	   /* percent of each pause, either way */
#define FLEET_JITTER_MAX 50
#define FLEET_ID_LEN 32	      /* device id: lower-case hex digits */
#define FLEET_FAILED_MAX 8    /* failed versions the agent considers */
#define FLEET_TEXT_MAX 95     /* a status value (agent datagrams) */
#define FLEET_REPORT_MAX 1024 /* a report's JSON body */
#define FLEET_DAY 86400

enum fleet_reboot {
	FLEET_REBOOT_NOW = 1, /* as soon as the install is done */
	FLEET_REBOOT_WINDOW,  /* when the UTC time of day is in the window */
	FLEET_REBOOT_APP,     /* when the app asks (keel reboot) */
};

struct fleet_conf {
	char url[HTTP_URL_MAX + 1];    /* the manifest; "": do not poll */
	char report[HTTP_URL_MAX + 1]; /* "": the manifest's, if any */
	int allow_http;		       /* plain http:// allowed */
	uint32_t interval;	       /* seconds between polls */
	uint32_t retry;		       /* first pause after a failure */
	uint32_t jitter;	       /* percent */
	int reboot;		       /* enum fleet_reboot */
	uint32_t win_start, win_end;   /* window: seconds of the UTC day */
	uint32_t seen;		       /* internal: keys already given */
};

/* The configuration of a device without a file: no URL, hourly polls,
 * reboot at once. */
void fleet_conf_defaults(struct fleet_conf *c);

/* Parses a whole update.conf (defaults first). 0, or -1 with e naming
 * the line and the check. */
int fleet_conf_parse(const char *buf, size_t len, struct fleet_conf *c,
		     struct kerr *e);

/* What the device is, as keel-init's status says. */
struct fleet_device {
	const char *board;
	const char *id;		    /* FLEET_ID_LEN hex digits */
	uint64_t committed_version; /* an update must be above it */
	uint64_t floor;		    /* epochs below are refused */
	int can_install;	    /* 0: a trial is pending (no target) */
	uint64_t pending_version;   /* installed, waiting for reboot; 0 */
	unsigned nfailed;
	uint64_t failed[FLEET_FAILED_MAX]; /* versions that failed here */
};

/*
 * What keel-init's status reply says (docs/CONTROL.md §2.1), gathered
 * line by line into a fleet_device. Keys it does not know are skipped;
 * a known key with a bad value is an error.
 */
struct fleet_sys {
	char board[MANIFEST_BOARD_MAX + 1];
	uint64_t running_version;
	char booted;	    /* 'a', 'b', 0 unknown */
	char committed;	    /* the same */
	int commit_pending; /* the booted slot waits for READY=1 */
	int target_none;    /* update_target=none */
	int have_committed; /* committed_version= was given */
	int slot;	    /* the slot block being read: 0, 1, -1 */
	int trial[2];
	uint64_t version[2];
	struct fleet_device d;
	char last_fail[FLEET_TEXT_MAX + 1]; /* the other slot's, if any */
};

void fleet_sys_init(struct fleet_sys *s);
int fleet_sys_line(struct fleet_sys *s, const char *key, const char *val);
/* After the last line: s->d filled (id from the caller). 0, or -1 when
 * the reply lacked the board or the committed version. */
int fleet_sys_done(struct fleet_sys *s, const char *id);

enum fleet_verdict {
	FLEET_TAKE = 0,
	FLEET_NO_ENTRY,	 /* the manifest names no bundle for the board */
	FLEET_NOT_NEWER, /* not above the committed version */
	FLEET_PENDING,	 /* already installed, waiting for the reboot */
	FLEET_FAILED,	 /* failed its trial here before */
	FLEET_EPOCH,	 /* below the rollback floor */
	FLEET_ROLLOUT,	 /* this device is not in the rollout yet */
	FLEET_NO_TARGET, /* the booted slot is not committed yet */
};

/*
 * Whether to take the manifest's bundle for this device: the entry for
 * its board (*out, also when skipped), newer than the committed version,
 * not pending, not failed here, epoch not below the floor, and the
 * device's bucket below the rollout. Returns the verdict; why gets a
 * line for the log.
 */
int fleet_decide(const struct manifest *m, const struct fleet_device *d,
		 const struct manifest_entry **out, char *why, size_t n);

/* The verdict's name ("take", "not-newer", ...). */
const char *fleet_verdict_name(int v);

/*
 * Seconds to wait before the next poll: the interval after a success
 * (failures 0), else retry doubled per failure in a row, at most the
 * interval; then moved by up to ± jitter percent, picked by rnd (any
 * 32-bit random number), never below 1.
 */
uint32_t fleet_delay(const struct fleet_conf *c, unsigned failures,
		     uint32_t rnd);

/* Seconds from now (UTC seconds since the epoch) until the reboot
 * window opens: 0 inside it, or when the policy has no window. */
uint32_t fleet_window_wait(const struct fleet_conf *c, uint64_t now);

/* The agent's states, as keel status shows them (update.state=). */
enum fleet_state {
	FLEET_IDLE = 0,	   /* waiting for the next poll */
	FLEET_CHECKING,	   /* fetching the manifest */
	FLEET_DOWNLOADING, /* streaming a bundle into the installer */
	FLEET_INSTALLED,   /* the slot holds it; reboot by policy next */
	FLEET_WAITING,	   /* for the window, or for the app */
	FLEET_REBOOTING,   /* asked keel-init to reboot */
	FLEET_FAILED_ST,   /* the last attempt failed: reason kept */
	FLEET_STATES
};

enum fleet_event {
	FLEET_EV_POLL = 0, /* time to poll */
	FLEET_EV_NOTHING,  /* nothing to take */
	FLEET_EV_TAKE,	   /* a bundle to take: download starts */
	FLEET_EV_DONE,	   /* the installer said ok */
	FLEET_EV_WAIT,	   /* the policy says not yet */
	FLEET_EV_REBOOT,   /* the policy says now */
	FLEET_EV_FAIL,	   /* an error (reason set with it) */
	FLEET_EVENTS
};

struct fleet_run {
	int state;	      /* enum fleet_state */
	uint64_t version;     /* of the bundle being taken, or taken */
	uint64_t done, total; /* bundle bytes sent / its size */
	unsigned failures;    /* attempts in a row that failed */
	char error[FLEET_TEXT_MAX + 1]; /* the last failure, cleaned */
};

/* A fresh run: idle. */
void fleet_run_init(struct fleet_run *r);

/*
 * Applies one event: 0 with r->state moved, or -1 when the event is not
 * one this state takes (r unchanged). FAIL keeps why (cleaned, cut to
 * FLEET_TEXT_MAX) and counts the failure; DONE and NOTHING clear the
 * count.
 */
int fleet_step(struct fleet_run *r, int ev, const char *why);

/* The state's name ("idle", "downloading", ...). */
const char *fleet_state_name(int s);

/*
 * The agent's status datagram (docs/AGENTS.md §2): state=, and as they
 * apply version=, bytes=DONE/TOTAL, failures=, error= (empty values
 * remove a key). The length written (< cap), or -1 if it does not fit.
 */
int fleet_status(const struct fleet_run *r, char *buf, size_t cap);

/* A report (docs/UPDATE.md §6.4). */
struct fleet_report {
	const char *id, *board;
	uint64_t running_version;
	const char *result; /* "updated", "installed", "failed", ... */
	uint64_t version;   /* the version it is about; 0: none */
	const char *reason; /* NULL or "" when none */
};

/* The report's JSON body (strings escaped). Length, or -1 if it does not
 * fit in cap. */
int fleet_report_json(const struct fleet_report *r, char *buf, size_t cap);

/* 1 if s (n bytes) is a device id: FLEET_ID_LEN lower-case hex digits. */
int fleet_id_ok(const char *s, size_t n);

/* A device id from 16 random bytes: out gets FLEET_ID_LEN + 1 bytes. */
void fleet_id_make(const uint8_t rnd[16], char out[FLEET_ID_LEN + 1]);

#endif
