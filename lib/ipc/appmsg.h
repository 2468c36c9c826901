/* SPDX-License-Identifier: MIT */
/* keel app and keel-init's messages: the app's record and its start. */
#ifndef KEEL_APPMSG_H
#define KEEL_APPMSG_H

#include <stddef.h>
#include <stdint.h>

#include "lib/base/err.h"

/*
 * keel-init keeps no config parser and no container code: `keel app`
 * (launcher/cmd_app.c), exec'd by keel-init once for each start of the
 * app, parses the verified image's config.json and answers with a
 * fixed-size record on a pipe: the supervision settings keel-init needs,
 * or the reason it refused. It then waits for the start (struct
 * appstart, below), sets up the container whose first process is
 * keel-init's own child (CLONE_PARENT) and answers with a second record:
 * the app's pid, or why not. keel-init checks every field of each record
 * (appmsg_check) before it uses one: a record is input, not a promise.
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

/*
 * The start: what keel-init tells that same `keel app` on a second pipe
 * once the record of its check is in and /etc and /var/lib are mounted.
 * The paths keel-init owns and its environment entries for the app,
 * each NUL-ended in a field of its own (an empty path: not there). keel
 * app reads exactly one and checks every field (appstart_check) before
 * it sets up anything with it.
 */
#define APPSTART_MAGIC 0x6b737472u /* "kstr" */
#define APPSTART_VERSION 1u
#define APPSTART_TEXT 128 /* each field, its NUL included */
#define APPSTART_ENV 4	  /* environment entries, at most */

/* path[]: which is which */
enum {
	APPSTART_ROOT,	    /* the mounted image (required) */
	APPSTART_ETC_UPPER, /* /etc's overlay layers: both or neither */
	APPSTART_ETC_WORK,
	APPSTART_VAR,	 /* the live tree of /var/lib */
	APPSTART_RUN,	 /* the sockets' directory, /run/keel in the app */
	APPSTART_BIN,	 /* the app's keel client */
	APPSTART_RESOLV, /* resolv.conf for the app */
	APPSTART_CGROUP, /* the cgroup v2 root */
	APPSTART_PATHS
};

struct appstart {
	uint32_t magic;
	uint32_t version;
	uint32_t nenv;	   /* env[] entries in use, the rest empty */
	uint32_t reserved; /* 0 */
	char path[APPSTART_PATHS][APPSTART_TEXT]; /* absolute, or "" */
	char env[APPSTART_ENV][APPSTART_TEXT];	  /* "NAME=value" */
};

/* Sets one field to s (NULL: empty): 0, or -1 when it does not fit. */
int appstart_set(char *field, const char *s);

/*
 * Checks n bytes read into s: the size, magic, version and reserved
 * word, every field NUL-ended and printable with nothing after its NUL,
 * each path absolute or empty, the image's given, /etc's layers both or
 * neither, nenv within APPSTART_ENV and exactly the first nenv entries
 * set, each NAME=value. 0, or -1 with e naming the field.
 */
int appstart_check(const struct appstart *s, size_t n, struct kerr *e);

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
