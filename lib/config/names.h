/* SPDX-License-Identifier: MIT */
/* The names a config may use for capabilities and system calls. */
#ifndef KEEL_NAMES_H
#define KEEL_NAMES_H

#include <stdint.h>

#define CAPS_LAST 40 /* CAP_CHECKPOINT_RESTORE */

/* "CAP_CHOWN" → 0 ... ; -1 if unknown (lib/config/caps_names.c) */
int caps_from_name(const char *name);
/* 0 → "CAP_CHOWN"; NULL if out of range */
const char *caps_name(int cap);

struct syscall_ent {
	const char *name;
	int nr;
};

/*
 * One CPU's system calls: lib/config/syscalls_ARCH.c, written by
 * scripts/gen-syscalls.sh. A binary links only the tables it names: the
 * lookups of this build's CPU name one.
 */
struct syscall_abi {
	const char *arch;		 /* "x86_64", "aarch64" */
	const char *scmp_arch;		 /* libseccomp's: "SCMP_ARCH_X86_64" */
	const struct syscall_ent *table; /* sorted by name (C locale) */
	unsigned n;
};
extern const struct syscall_abi syscall_abi_x86_64;
extern const struct syscall_abi syscall_abi_aarch64;

/* name ↔ number on abi's CPU; -1 / NULL if that CPU has no such call */
int syscall_abi_nr(const struct syscall_abi *abi, const char *name);
const char *syscall_abi_name(const struct syscall_abi *abi, int nr);
/* The table of an image header's architecture (IMG_ARCH_*), or NULL. */
const struct syscall_abi *syscall_abi_of(uint32_t img_arch);
/* This build's CPU */
const struct syscall_abi *syscall_abi_native(void);
int syscall_nr(const char *name);
const char *syscall_name(int nr);

#endif
