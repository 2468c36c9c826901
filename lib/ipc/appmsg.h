/* SPDX-License-Identifier: MIT */
/* The app's launch record: what `keel app` tells keel-init on a pipe. */
#ifndef KEEL_APPMSG_H
#define KEEL_APPMSG_H

#include <stddef.h>
#include <stdint.h>

#include "lib/base/err.h"

/*
 * keel-init keeps no config parser and no container code: `keel app`
 * (launcher/cmd_app.c), exec'd by keel-init, parses the verified image's
 * config.json and, to start the app, sets up the container whose first
 * process is keel-init's own child (CLONE_PARENT). It answers with one
 * fixed-size record on a pipe: the supervision settings keel-init needs,
 * and either the app's pid or the reason it refused. keel-init reads
 * exactly one record and checks every field (appmsg_check) before it
 * uses one: the record is input, not a promise.
 */
#define APPMSG_MAGIC 0x6b617070u /* "kapp" */
#define APPMSG_VERSION 1u

/* status: what the run of `keel app` came to */
#define APPMSG_OK 0	    /* config accepted (and app started: pid set) */
#define APPMSG_CONFIG 1	    /* the config is refused: the slot's fault */
#define APPMSG_IO 2	    /* the config could not be read (I/O error) */
#define APPMSG_SETUP 125    /* the container setup failed before the app */
#define APPMSG_CANNOT 126   /* the app's command cannot be run */
#define APPMSG_NOTFOUND 127 /* the app's command was not found */

/* flags */
#define APPMSG_NOTIFY 1u	/* org.keel.notify: the app sends READY=1 */
#define APPMSG_OWN_NET 2u	/* the app has a network namespace of its own */
#define APPMSG_MOUNTS_RESOLV 4u /* the config mounts /etc or resolv.conf */
#define APPMSG_FLAGS 7u

/* restart: enum oci_restart's values (org.keel.restart) */
#define APPMSG_RESTART_ALWAYS 0u
#define APPMSG_RESTART_ON_FAILURE 1u
#define APPMSG_RESTART_NO 2u
#define APPMSG_RESTART_MAX 2u
/* every _ms field: the parser's bound for org.keel.*-ms, OCI_KEEL_MS_MAX
 * (lib/config/oci.h; launcher/cmd_app.c asserts they are equal) */
#define APPMSG_MS_MAX 86400000u

struct appmsg {
	uint32_t magic;
	uint32_t version;
	uint32_t status;
	int32_t pid; /* APPMSG_OK from a start: the app's first process */
	uint32_t flags;
	uint32_t restart;
	uint32_t healthy_after_ms;
	uint32_t stop_grace_ms;
	uint32_t watchdog_ms;
	uint32_t restart_delay_ms;
	uint32_t restart_max_delay_ms;
	char check[32]; /* failed: the check's name; NUL-ended */
	char text[200]; /* failed: the reason; OK: the app's argv[0] */
};

/* Fills m from its parts (strings cut to fit, NUL-ended). */
void appmsg_fill(struct appmsg *m, unsigned status, const char *check,
		 const char *text);

/*
 * Checks n bytes read into m: the size, magic and version, status and
 * flags among the known ones, every bound above, both strings NUL-ended
 * and printable, a pid > 1 exactly when a start succeeded (start != 0).
 * 0, or -1 with e naming the field.
 */
int appmsg_check(const struct appmsg *m, size_t n, int start, struct kerr *e);

#endif
