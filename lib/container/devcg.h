/* SPDX-License-Identifier: MIT */
/* The container's device allowlist: a cgroup v2 eBPF device program. */
#ifndef KEEL_DEVCG_H
#define KEEL_DEVCG_H

#include <sys/types.h>

#include "compat/linux_bpf.h"
#include "lib/base/err.h"
#include "lib/config/oci.h"

#define DEVCG_ANY (-1) /* any major or minor */
/* keel's own nodes, the console, and every linux.devices entry */
#define DEVCG_MAX_RULES (12 + OCI_MAX_DEVICES)
/* a 6-instruction head, at most 6 per rule, a 2-instruction tail */
#define DEVCG_MAX_INSNS (8 + 6 * DEVCG_MAX_RULES)

struct devcg_prog {
	unsigned len;
	struct keel_bpf_insn insns[DEVCG_MAX_INSNS];
};

/*
 * Builds the program: read, write and mknod of keel's own nodes (null
 * zero full random urandom tty ptmx, the devpts slaves 136:*), of the
 * console's char device when console is not 0, and of each linux.devices
 * entry (its type and exact major:minor) are allowed; every other char
 * or block device is refused. Fifos never reach a device program.
 * MUST NOT allocate.
 */
int devcg_build(const struct oci_config *c, dev_t console, struct devcg_prog *p,
		struct kerr *e);

/*
 * Whether the app could reach a device beyond the nodes keel makes: it
 * holds CAP_MKNOD outside a user namespace, or a bind mount of the config
 * allows device nodes (no "nodev"). Only then is the program needed:
 * elsewhere /dev's contents are the whole allowlist already, and a
 * program costs each start a load (a few hundred microseconds).
 */
int devcg_needed(const struct oci_config *c);

/* Loads p into the kernel (BPF_PROG_TYPE_CGROUP_DEVICE); returns its fd. */
int devcg_load(const struct devcg_prog *p, struct kerr *e);

/*
 * Loads p and attaches it to the cgroup v2 directory dir, without
 * BPF_F_ALLOW_OVERRIDE or _MULTI: it replaces the program a previous
 * start attached there, and no cgroup below may attach one of its own.
 * The program lives as long as the cgroup.
 */
int devcg_attach(const struct devcg_prog *p, const char *dir, struct kerr *e);

#endif
