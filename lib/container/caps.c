// SPDX-License-Identifier: MIT
// Switching to the config's identity and capability sets.
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "compat/linux_capability.h"
#include "lib/config/names.h"
#include "lib/container/caps.h"

static int
cap_set3(uint64_t eff, uint64_t perm, uint64_t inh)
{
	struct keel_cap_header h = {KEEL_CAP_VERSION_3, 0};
	struct keel_cap_data d[2] = {
	    {(uint32_t)eff, (uint32_t)perm, (uint32_t)inh},
	    {(uint32_t)(eff >> 32), (uint32_t)(perm >> 32),
	     (uint32_t)(inh >> 32)},
	};

	return (int)syscall(SYS_capset, &h, d);
}

int
caps_bounding(uint64_t keep, struct kerr *e)
{
	for (int cap = 0; cap < 64; cap++) {
		if (keep & (1ULL << cap))
			continue;
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) == 0)
			continue;
		if (errno == EINVAL)
			break; /* past the kernel's last capability */
		return kerr_set(e, "caps", "drop %s from bounding set: %s",
				caps_name(cap) ? caps_name(cap) : "?",
				kerr_strerror(errno));
	}
	return 0;
}

static int
switch_ids(const struct oci_config *c, struct kerr *e)
{
	gid_t groups[OCI_MAX_GROUPS];

	for (int i = 0; i < c->ngroups; i++)
		groups[i] = c->groups[i];
	/* The system calls themselves: libc's wrappers would stop every
	 * thread around each (two signal-mask calls each), and the caller
	 * is one thread, between vfork and execve. */
	if (syscall(SYS_setgroups, (size_t)c->ngroups, groups) < 0 &&
	    !(errno == EPERM && !c->ngroups))
		return kerr_set(e, "user", "setgroups: %s",
				kerr_strerror(errno));
	if (syscall(SYS_setresgid, c->gid, c->gid, c->gid) < 0)
		return kerr_set(e, "user", "setresgid %u: %s", c->gid,
				kerr_strerror(errno));
	if (syscall(SYS_setresuid, c->uid, c->uid, c->uid) < 0)
		return kerr_set(e, "user", "setresuid %u: %s", c->uid,
				kerr_strerror(errno));
	return 0;
}

#define CAP_BIT(n) (1ULL << (n))
#define CAP_SETGID_ 6
#define CAP_SETUID_ 7
#define CAP_SETPCAP_ 8
#define CAP_SYS_RESOURCE_ 24

uint64_t
caps_needed(const struct oci_config *c)
{
	uint64_t need = c->cap_effective | c->cap_permitted;
	uid_t ru, eu, su;
	gid_t rg, eg, sg;

	if (c->cap_inheritable & ~c->cap_permitted)
		need |= CAP_BIT(CAP_SETPCAP_);
	/* setresuid/setresgid to the ids a process has already need none */
	if (c->ngroups || getresgid(&rg, &eg, &sg) || rg != c->gid ||
	    eg != c->gid || sg != c->gid)
		need |= CAP_BIT(CAP_SETGID_);
	if (getresuid(&ru, &eu, &su) || ru != c->uid || eu != c->uid ||
	    su != c->uid)
		need |= CAP_BIT(CAP_SETUID_);
	if (c->nrlimits || c->has_oom_score_adj)
		need |= CAP_BIT(CAP_SYS_RESOURCE_);
	return need;
}

int
caps_narrow(uint64_t keep)
{
	struct keel_cap_header h = {KEEL_CAP_VERSION_3, 0};
	struct keel_cap_data d[2];
	uint64_t have;

	if (syscall(SYS_capget, &h, d))
		return -1;
	have = d[0].permitted | (uint64_t)d[1].permitted << 32;
	return cap_set3(keep & have, keep & have, 0);
}

int
caps_apply(const struct oci_config *c, struct kerr *e)
{
	if (caps_bounding(c->cap_bounding, e) < 0)
		return -1;
	return caps_switch(c, e);
}

int
caps_switch(const struct oci_config *c, struct kerr *e)
{
	/*
	 * HAZARD: setresuid() away from 0 clears the permitted set unless
	 * keep-caps is on; with it, permitted survives and capset() below
	 * can raise effective again. keep-caps is reset by execve anyway.
	 */
	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
		return kerr_set(e, "caps", "keep-caps: %s",
				kerr_strerror(errno));
	if (switch_ids(c, e) < 0)
		return -1;
	if (cap_set3(c->cap_effective, c->cap_permitted, c->cap_inheritable) <
	    0)
		return kerr_set(e, "caps", "capset: %s", kerr_strerror(errno));
	if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0)
		return kerr_set(e, "caps", "keep-caps: %s",
				kerr_strerror(errno));
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 &&
	    c->cap_ambient)
		return kerr_set(e, "caps", "ambient: %s", kerr_strerror(errno));
	for (int cap = 0; cap <= CAPS_LAST; cap++) {
		if (!(c->cap_ambient & (1ULL << cap)))
			continue;
		if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) < 0)
			return kerr_set(e, "caps", "raise ambient %s: %s",
					caps_name(cap), kerr_strerror(errno));
	}
	return 0;
}
