/* SPDX-License-Identifier: MIT */
/* Update manifests: which bundle is newest for each board, and where. */
#ifndef KEEL_MANIFEST_H
#define KEEL_MANIFEST_H

#include <stddef.h>
#include <stdint.h>

#include "lib/base/err.h"
#include "lib/net/http.h"

/*
 * A manifest (docs/UPDATE.md §1) is a small text file on the update
 * server: key=value lines, one block per board. It only points to a
 * bundle; the bundle's own signatures decide whether it is installed,
 * and the signed header the manifest names by its SHA-256 must be the
 * bundle's. The parser is strict: known keys only, each once, every
 * value checked, fixed limits.
 */
#define MANIFEST_FORMAT 1
#define MANIFEST_MAX (64 * 1024) /* bytes of a manifest */
#define MANIFEST_ENTRIES 32	 /* boards in one manifest */
#define MANIFEST_LINE_MAX (HTTP_URL_MAX + 32)
#define MANIFEST_BOARD_MAX 63
#define MANIFEST_SIZE_MAX ((uint64_t)1 << 52) /* bundle bytes */

struct manifest_entry {
	char board[MANIFEST_BOARD_MAX + 1];
	uint64_t version, epoch, size;
	char url[HTTP_URL_MAX + 1]; /* as written: absolute or relative */
	uint8_t header_sha256[32];  /* of the bundle's 512 signed bytes */
	unsigned rollout;	    /* percent of devices, 0 .. 100 */
	unsigned seen;		    /* MF_* bits of the keys given */
};

struct manifest {
	unsigned format;
	char report[HTTP_URL_MAX + 1]; /* "" when the manifest names none */
	unsigned n;
	struct manifest_entry e[MANIFEST_ENTRIES];
};

/*
 * Parses len bytes. Refused: a first line other than keel-manifest=1, a
 * line without '=' or a final newline, an unknown or repeated key, a
 * bundle key before the first bundle= line, a board named twice, an
 * entry missing version, epoch, size, url or header_sha256, and any
 * value out of its rules. 0 or -1 (e names the line).
 */
int manifest_parse(const char *buf, size_t len, struct manifest *m,
		   struct kerr *e);

/* The entry for board, or NULL. */
const struct manifest_entry *manifest_find(const struct manifest *m,
					   const char *board);

/*
 * The device's place in a phased rollout of version: a number 0 .. 99
 * from SHA-256 of the device id and the version, so a device's turn is
 * stable for one version and independent across versions. The device
 * takes the version when its number is below the entry's rollout.
 */
unsigned manifest_bucket(const char *device_id, uint64_t version);

#endif
