/* SPDX-License-Identifier: MIT */
/* Classic BPF seccomp filters: keel's default filter and the config's. */
#ifndef KEEL_SECCOMP_H
#define KEEL_SECCOMP_H

#include "compat/linux_seccomp.h"
#include "lib/base/err.h"
#include "lib/config/oci.h"

#define SECCOMP_MAX_INSNS KEEL_BPF_MAXINSNS

struct seccomp_prog {
	unsigned short len;
	struct sock_filter insns[SECCOMP_MAX_INSNS];
};

/*
 * Builds the filter: the config's seccomp section, or keel's default
 * filter (deny escape syscalls with EPERM, re-allowed by the matching
 * granted capability; clone3 → ENOSYS; unshare/clone with CLONE_NEWUSER →
 * EPERM). Both kill a call of another architecture than this build's
 * (x86_64: also x32 calls; aarch64: 32-bit ARM calls).
 */
int seccomp_build(const struct oci_config *c, struct seccomp_prog *p,
		  struct kerr *e);

/* Sets no_new_privs and installs p on the calling thread. */
int seccomp_install(const struct seccomp_prog *p, struct kerr *e);

#endif
