// SPDX-License-Identifier: MIT
/* The lines of a strict key=value file (board.conf, network.conf). */
#ifndef KEEL_BASE_KVFILE_H
#define KEEL_BASE_KVFILE_H

#include <stddef.h>

#include "lib/base/err.h"

/* Takes one key and its value (neither NUL-terminated); 0 or -1 with e. */
typedef int (*kv_set_fn)(void *ctx, const char *key, size_t klen,
			 const char *val, size_t vlen, struct kerr *e);

/*
 * Feeds each "key=value" line of buf to set, in order. Refused, with the
 * line's number, under the check what: a file over file_max bytes, a
 * line over line_max, a control or non-ASCII byte, a line that is not
 * key=value; empty lines and lines starting with '#' are skipped. A
 * refusal of set is returned under set's own check. No heap.
 */
int kv_parse(const char *buf, size_t len, size_t file_max, size_t line_max,
	     const char *what, kv_set_fn set, void *ctx, struct kerr *e);

#endif
