/* SPDX-License-Identifier: MIT */
/* The keel command layer: the only code that prints errors and exits. */
#ifndef KEEL_KEEL_H
#define KEEL_KEEL_H

#include "lib/base/err.h"
#include "lib/crypto/keyset.h"
#include "lib/base/text.h"

/* Exit codes of keel's own failures (keel run: 125, like container tools). */
#define KEEL_EXIT_FAIL 1
#define KEEL_EXIT_USAGE 2

struct keel_cmd {
	const char *name;
	int (*main)(int argc, char **argv); /* argv[0] is the command name */
	const char *summary;
};

/* "keel: ACTION: OBJ: CHECK: DETAIL" on stderr; returns KEEL_EXIT_FAIL. */
int keel_err(const char *action, const char *obj, const struct kerr *e);
/* "keel: ACTION: OBJ: printf-text" on stderr; returns KEEL_EXIT_FAIL. */
int keel_errf(const char *action, const char *obj, const char *fmt, ...)
    __attribute__((format(__printf__, 3, 4)));
/* Prints a usage error and returns KEEL_EXIT_USAGE. */
int keel_usage(const char *usage);

/* The key set a command checks against: --keys DIR, else the baked one. */
int keel_keyset(const char *dir, struct keyset *ks, const char *action);

/* Reads a whole (small) file; returns its length or -1 (errno set). */
long keel_read_file(const char *path, void *buf, size_t cap);
/*
 * Opens path inside the tree at rootfd (a directory's or a mount's fd)
 * as a container on that tree would see it: its symlinks, absolute ones
 * too, resolve inside the tree, never on the host, and no /proc magic
 * link. fd (close-on-exec) or -1 (errno set).
 */
int keel_root_open(int rootfd, const char *path, int flags);
/* keel_read_file of path inside the tree at rootfd (keel_root_open). */
long keel_root_read_file(int rootfd, const char *path, void *buf, size_t cap);
/* Writes a whole file atomically (temp + rename) with mode. 0 or -1. */
int keel_write_file(const char *path, const void *buf, size_t len, int mode);

/* Hex to bytes: 0 or -1 (bytes to hex: text_hex in lib/base/text.h). */
int keel_unhex(const char *hex, uint8_t *out, size_t max, size_t *len);

#endif
