/* SPDX-License-Identifier: MIT */
/* The parts of the launch, for lib/container/ only (container_*.c, reaper.c).
 */
#ifndef KEEL_CONTAINER_PRIV_H
#define KEEL_CONTAINER_PRIV_H

#include "lib/container/container.h"

/* Builds the new root under s->root and pivots into it (the child). */
int ctr_mount_root(const struct ctr_spec *s, struct kerr *e);
/* Creates the minimal /dev under root/dev (mounted already). */
int ctr_make_dev(const char *dev, const struct oci_config *cfg, int userns,
		 struct kerr *e);
/* Identity, limits, capabilities, seccomp, exec; returns only on error. */
int ctr_exec_app(const struct ctr_spec *s, struct ctr *c, struct kerr *e);
/* The pid 1 of the container: forwards signals, reaps, exits. */
__attribute__((noreturn)) void ctr_reaper(pid_t app, const sigset_t *fwd);

#endif
