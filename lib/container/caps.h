/* SPDX-License-Identifier: MIT */
/* The app's identity and capability sets, from its config. */
#ifndef KEEL_CAPS_H
#define KEEL_CAPS_H

#include "lib/base/err.h"
#include "lib/config/oci.h"

/*
 * Switches the calling process (must be root in its user namespace, with
 * every capability) to the config's identity and capability sets:
 * drops every capability outside c->cap_bounding from the bounding set,
 * sets keep-caps, setgroups(additionalGids), setresgid, setresuid, then
 * capset(effective, permitted, inheritable) and raises the ambient set.
 * The caller MUST NOT change uid/gid itself before. Call it after all
 * privileged setup (mounts, pivot_root, hostname) and before
 * seccomp_install.
 */
int caps_apply(const struct oci_config *c, struct kerr *e);

/* caps_apply's first step alone: every capability outside keep leaves
 * the bounding set (a process's children inherit it). */
int caps_bounding(uint64_t keep, struct kerr *e);

/* caps_apply without its first step, for a caller whose bounding set is
 * c->cap_bounding already (caps_bounding): the same rules apply. */
int caps_switch(const struct oci_config *c, struct kerr *e);

/* What the calling process (root, no supplementary group) needs in its
 * effective and permitted sets for caps_switch(c) and the config's
 * limits to succeed: c's effective and permitted sets, CAP_SETPCAP for
 * an inheritable set beyond permitted, CAP_SETGID / CAP_SETUID for
 * groups and ids other than its own, CAP_SYS_RESOURCE for rlimits and
 * oom_score_adj. */
uint64_t caps_needed(const struct oci_config *c);

/* Effective and permitted sets cut to keep (what of it the process has),
 * the inheritable set emptied. 0, or -1 with errno. */
int caps_narrow(uint64_t keep);

#endif
