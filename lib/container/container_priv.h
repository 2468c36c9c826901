/* SPDX-License-Identifier: MIT */
/* The parts of the launch, for lib/container/ only (container_*.c, reaper.c).
 */
#ifndef KEEL_CONTAINER_PRIV_H
#define KEEL_CONTAINER_PRIV_H

#include <stdint.h>

#include "compat/linux_mount.h"
#include "lib/container/container.h"

#define MS_SAFE (MS_NOSUID | MS_NODEV | MS_NOEXEC)

/* How ctr_open_at resolves a path (openat2 RESOLVE_* sets): */
/* beneath a root, symlinks followed as if that root were "/" */
#define CTR_IN_ROOT (KEEL_RESOLVE_IN_ROOT | KEEL_RESOLVE_NO_MAGICLINKS)
/* beneath a root, and no symlink anywhere on the path */
#define CTR_NO_LINKS (KEEL_RESOLVE_BENEATH | KEEL_RESOLVE_NO_SYMLINKS)
/* an absolute path of keel's own namespace, no symlink on it */
#define CTR_HOST KEEL_RESOLVE_NO_SYMLINKS

/*
 * Opens path (O_PATH) under dirfd (AT_FDCWD for keel's own absolute
 * paths) with the resolve rules above. Returns the fd, or -1 with e
 * saying "WHAT PATH: reason" and errno kept (ENOENT: absent).
 */
int ctr_open_at(int dirfd, const char *path, uint64_t resolve, const char *what,
		struct kerr *e);
/* MS_RDONLY/NOSUID/NODEV/NOEXEC/NODIRATIME as MOUNT_ATTR_* bits. */
uint64_t ctr_attrs(unsigned long ms);
/* A copy of the tree at fd src (submounts too if rec), with the flags of
 * ms added to each of its mounts, attached on fd dst. */
int ctr_bind_at(int src, int dst, int rec, unsigned long ms, const char *name,
		struct kerr *e);
/* mount(2) of a new filesystem onto fd dst (through /proc/self/fd). */
int ctr_mount_at(const char *src, int dst, const char *type, unsigned long ms,
		 const char *data, const char *name, struct kerr *e);
/* ctr_mount_at onto rel resolved in root (CTR_IN_ROOT). */
int ctr_mnt(int root, const char *src, const char *rel, const char *type,
	    unsigned long ms, const char *data, struct kerr *e);
/* The tree at keel's absolute path src bound at rel in root. */
int ctr_bind_host(const char *src, int root, const char *rel, int rec,
		  unsigned long ms, struct kerr *e);

/*
 * What the container tells keel on the error pipe, one message per
 * write (smaller than PIPE_BUF: one write, one read):
 *  - a failed step before the app ran: code 125, 126 or 127 and e (its
 *    check string is a static string of this binary: the child runs in
 *    keel's memory (ctr_may_share) or in a copy of it, so the pointer
 *    means the same in both);
 *  - CTR_MSG_RUNNING from the reaper once its vfork has returned (the
 *    app exec'd, or said why not in a message before this one);
 *  - CTR_MSG_EXIT + the app's exit status from the reaper, before it
 *    exits (the container's teardown then follows in its exit).
 * The reaper writes only when keel waits for it (ctr_wait), else the
 * pipe's EOF says the app exec'd.
 */
struct ctr_msg {
	int code;
	struct kerr e;
};
#define CTR_MSG_RUNNING 0x100
#define CTR_MSG_EXIT 0x200

/*
 * The container's first process, running entry on a copy of the len
 * bytes at args: in keel's memory (on a stack of its own, args at its
 * top) or in a copy of it. Its pid, or -1 with e set. With a cgroup
 * (cg->created), *placed says whether the child was born in it (clone3
 * CLONE_INTO_CGROUP), else the caller moves it there (cgroup_add_pid)
 * before the child's first step.
 */
pid_t ctr_clone(const struct oci_config *cfg, unsigned long flags,
		const struct cgroup *cg, int (*entry)(void *), const void *args,
		size_t len, int *placed, struct kerr *e);

/* s->stdio (or the caller's 0-2) on 0-2 and every other descriptor
 * closed but the n (<= CTR_KEEP_MAX) in keep, moved above 2
 * (close-on-exec). */
#define CTR_KEEP_MAX 4
int ctr_own_fds(const struct ctr_spec *s, int *const *keep, int n);

/*
 * The container's network namespace when keel makes it while the child
 * mounts (no user namespace: see ctr_start): syncfd, the read end of
 * the sync pipe, on which keel says "n" once its own network namespace
 * is the container's, ready; keelfd, a pidfd of keel. keelfd -1: the
 * clone made it, or there is none.
 */
struct ctr_net {
	int syncfd, keelfd;
};
/* The child's steps in its network namespace: the low ports the app's
 * (ports), loopback up (lo). */
int ctr_net_setup(int ports, int lo, struct kerr *e);
/* keel's side: a new network namespace of its own, set up, then "n" on
 * syncfd (the write end). */
int ctr_net_ahead(int syncfd, struct kerr *e);
/* The child's side: waits for keel's "n" and joins keel's network
 * namespace; closes n's fds. Nothing to do when n->keelfd is -1. */
int ctr_net_join(const struct ctr_net *n, struct kerr *e);

/* Builds the new root on s->root (or, where s->root is NULL, on rootfd,
 * the child's copy of s->root_fd) and pivots into it (the child),
 * joining the network namespace (n) before /sys is mounted. */
int ctr_mount_root(const struct ctr_spec *s, int rootfd,
		   const struct ctr_net *n, struct kerr *e);
/* keel's floor of masked and read-only paths, then the config's. */
int ctr_mount_paths(const struct ctr_spec *s, int root, struct kerr *e);
/* Creates the minimal /dev in the tmpfs dev (an fd; mounted already). */
int ctr_make_dev(int dev, const struct oci_config *cfg, int userns,
		 struct kerr *e);
/* Identity, limits, capabilities, seccomp, exec; returns only on error.
 * The caller's bounding set MUST be s->cfg->cap_bounding already. */
int ctr_exec_app(const struct ctr_spec *s, struct ctr *c, struct kerr *e);
/* The pid 1 of the container: forwards signals, reaps, exits. bset: the
 * capabilities still in its bounding set (the app's), dropped there.
 * report: the error pipe to keel, kept to send the app's exit status
 * (CTR_MSG_EXIT), or -1. */
__attribute__((noreturn)) void ctr_reaper(pid_t app, const sigset_t *fwd,
					  uint64_t bset, int report);

#endif
