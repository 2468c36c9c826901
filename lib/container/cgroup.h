/* SPDX-License-Identifier: MIT */
/* The container's cgroup v2: limits from the config, membership. */
#ifndef KEEL_CGROUP_H
#define KEEL_CGROUP_H

#include <stdint.h>
#include <sys/types.h>

#include "lib/base/err.h"
#include "lib/config/oci.h"

#define CGROUP_PATH_MAX 256
#define CGROUP_WARN_MAX 8   /* warnings one cgroup setup may return */
#define CGROUP_WARN_LEN 120 /* one warning line */

struct cgroup {
	char path[CGROUP_PATH_MAX]; /* root/name, the container's cgroup */
	int created;
};

struct cgroup_warnings {
	int n;
	char msg[CGROUP_WARN_MAX][CGROUP_WARN_LEN];
};

/*
 * Creates root/name (name may hold '/'; parents are created), enables the
 * controllers the config's limits need in each ancestor's
 * cgroup.subtree_control, and writes memory.max, pids.max, cpu.weight,
 * cpu.max. A controller missing from cgroup.controllers goes into w once
 * (the caller prints them) and is an error only when the limit is
 * required. root is a cgroup2 mount (tests pass a fake tree). The cgroup
 * is created when a limit can be applied or the container needs the
 * device program (devcg_needed), which it carries. Otherwise (or where
 * root has no cgroup.controllers) nothing is created and
 * cgroup_add_pid/remove do nothing.
 */
int cgroup_create(struct cgroup *cg, const char *root, const char *name,
		  const struct oci_config *c, struct cgroup_warnings *w,
		  struct kerr *e);

/* An O_PATH descriptor of the cgroup's directory (close-on-exec), for
 * clone3's CLONE_INTO_CGROUP; -1 when not created (or with errno). */
int cgroup_open(const struct cgroup *cg);

/* Moves pid into the cgroup (cgroup.procs). On Linux 6.x this write takes
 * cgroup_threadgroup_rwsem for writing, which waits for an RCU grace
 * period (5-20 ms on the bench's 6.18 host): a process born in the
 * cgroup (cgroup_open, clone3) does not. */
int cgroup_add_pid(const struct cgroup *cg, pid_t pid, struct kerr *e);

/* Removes the cgroup dir (it must be empty of processes); no-op when not
 * created. */
int cgroup_remove(struct cgroup *cg, struct kerr *e);

/* OCI cpu shares → cgroup v2 cpu.weight (1..10000) */
uint64_t cgroup_shares_to_weight(uint64_t shares);

#endif
