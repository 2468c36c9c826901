/* SPDX-License-Identifier: MIT */
/* keel update-agent: the device's update agent (docs/UPDATE.md §6). */
#ifndef KEEL_UPD_H
#define KEEL_UPD_H

#include "launcher/fetch.h"
#include "lib/update/fleet.h"

#define UPD_TIMEOUT_MS 30000 /* each network wait */
#define UPD_CA_MAX 4	     /* --ca files */
#define UPD_CONF_MAX 2	     /* update.conf sources: image, device */

struct upd {
	const char *sock; /* keel-init's control socket */
	const char *id;	  /* the device id */
	const char *ca[UPD_CA_MAX];
	int nca;
	int status_fd; /* keel-init's status socket, or -1 */
	int once;      /* one poll, then exit (tests, provisioning) */
	struct fleet_conf conf;
	struct fleet_run run;
	struct fetch f;
	uint64_t last_status_ms; /* the last progress datagram */
	uint64_t got;		 /* the last install's bundle bytes fetched */
	char stats[200];	 /* its installer's account (installed=) */
};

/* keel-init's status into sys (its device filled for u->id). 0 or -1. */
int upd_status(struct upd *u, struct fleet_sys *sys, struct kerr *e);
/* Installs the bundle at url (the manifest's entry x) through keel-init's
 * installer, fetching the ranges it asks for (a delta, lib/update/want.h):
 * 0 once it answered ok, else -1 with e. */
int upd_install(struct upd *u, const struct manifest_entry *x, const char *url,
		struct kerr *e);
/* Asks keel-init to reboot. 0 or -1. */
int upd_reboot(struct upd *u, struct kerr *e);

/* The installer's progress (slot bytes written): a status now and then. */
void upd_progress(struct upd *u, uint64_t done, uint64_t total);
/* 1 once TERM arrived: stop what is under way and exit 0. */
int upd_stopping(void);

#endif
