/* SPDX-License-Identifier: MIT */
/* The names a config may use for capabilities and system calls. */
#ifndef KEEL_NAMES_H
#define KEEL_NAMES_H

#define CAPS_LAST 40 /* CAP_CHECKPOINT_RESTORE */

/* "CAP_CHOWN" → 0 ... ; -1 if unknown (lib/config/caps_names.c) */
int caps_from_name(const char *name);
/* 0 → "CAP_CHOWN"; NULL if out of range */
const char *caps_name(int cap);

/* x86_64 system call name ↔ number (lib/config/syscalls_x86_64.c, made
 * by scripts/gen-syscalls.sh); -1 / NULL if unknown */
int syscall_nr(const char *name);
const char *syscall_name(int nr);

#endif
