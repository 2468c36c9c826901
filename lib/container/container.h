/* SPDX-License-Identifier: MIT */
/* The application container: namespaces, new root, reaper, hardened exec. */
#ifndef KEEL_CONTAINER_H
#define KEEL_CONTAINER_H

#include <signal.h>
#include <sys/types.h>

#include "lib/base/err.h"
#include "lib/config/oci.h"
#include "lib/container/cgroup.h"
#include "lib/container/devcg.h"
#include "lib/container/seccomp.h"

/* Exit codes of a launch that did not reach the app (as container tools). */
#define CTR_EXIT_SETUP 125    /* keel's own failure before the app ran */
#define CTR_EXIT_CANNOT 126   /* the command exists but cannot be run */
#define CTR_EXIT_NOTFOUND 127 /* the command was not found */

/* Bits of ctr.notices: things the caller should tell the user. */
#define CTR_NOTICE_ETC_TMPFS 1u /* /etc changes go to a tmpfs */
#define CTR_NOTICE_VAR_TMPFS 2u /* /var/lib is a tmpfs */

/* The tmpfs at /var/log, /var/cache and /var/tmp: each at most this. */
#define CTR_VAR_TMPFS_SIZE "32m"
/* Set to 0 in the app's own network namespace: ports below 1024 need no
 * capability there. keel-init sets it on a device too (init/net.c). */
#define CTR_PORT_SYSCTL "/proc/sys/net/ipv4/ip_unprivileged_port_start"
/* org.keel.persist's directories, in var_dir (the app's /var/lib):
 * var_dir/.keel-var/log is /var/log, and so on. */
#define CTR_VAR_PERSIST ".keel-var"

struct ctr_spec {
	const char *root;	 /* the verified image, mounted read-only */
	const char *etc_upper;	 /* upper layer of /etc; NULL: tmpfs */
	const char *etc_work;	 /* overlay workdir, same filesystem as upper */
	const char *var_dir;	 /* bound at /var/lib read-write; NULL: tmpfs */
	const char *hostname;	 /* overrides cfg->hostname when not NULL */
	char *const *argv;	 /* overrides cfg->args when not NULL */
	const struct cgroup *cg; /* the container's cgroup (made by the
				  * caller with cgroup_create) or NULL; it
				  * gets the device program (devcg.h) */
	const struct oci_config *cfg;
	const char *keel_run;	  /* bound at /run/keel in the container (the
				   * notify and control sockets); NULL: none */
	const char *keel_bin;	  /* the keel client, bound read-only (exec
				   * allowed) over /run/keel/bin/keel, a file
				   * keel_run holds; NULL: none */
	char *const *env;	  /* the app's environment; NULL: cfg->env */
	const int *stdio;	  /* fds the app gets as 0, 1, 2 (-1: keep that
				   * one), open until ctr_start returns;
				   * NULL: the caller's */
	const sigset_t *app_mask; /* the app's signal mask; NULL: the
				   * caller's at ctr_start (keel-init, which
				   * blocks everything, passes an empty one) */
	/* keel net's resolv.conf, bound read-only at /etc/resolv.conf (over
	 * an empty file of a tmpfs layer if the image has none, never made
	 * on etc_upper; an image's symlink there is left alone); NULL: the
	 * image's own. */
	const char *resolv_conf;
	/* The container's first process is the caller's parent's child
	 * (CLONE_PARENT), not the caller's: keel app, exec'd by keel-init,
	 * sets the container up and exits; keel-init reaps and supervises
	 * the container. ctr_wait is then not for the caller. */
	int clone_parent;
	/* Where root is NULL: the verified image as a detached mount
	 * (fsmount(2), read-only, nosuid, nodev), attached in the container's
	 * own mount namespace only (keel's needs no mount point, nor its
	 * removal); open until ctr_start returns. */
	int root_fd;
};

/*
 * One running container. Caller-owned (it holds the seccomp program, so
 * it is large: keep it static in keel-init). MUST NOT allocate: the
 * launch path uses only this struct and the stack.
 */
struct ctr {
	pid_t pid;	  /* the reaper (the app itself with keel.pid1) */
	int exit_code;	  /* after a failed ctr_start: 125, 126 or 127 */
	unsigned notices; /* CTR_NOTICE_* */
	sigset_t fwd;	  /* signals forwarded to the container */
	sigset_t oldmask; /* the caller's mask, restored in the app */
	mode_t umask;	  /* the caller's umask, restored in the app */
	int report_fd;	  /* the reaper's report of the app's exit, or -1 */
	int wait_gone;	  /* ctr_wait waits for the reaper's own exit */
	struct seccomp_prog prog;
	struct devcg_prog dev;
};

/*
 * Starts the container described by s and returns once the app has
 * exec'd (0) or the launch failed (-1, e names the step, c->exit_code
 * says 125/126/127; the container is gone). Blocks INT TERM HUP QUIT
 * USR1 USR2 and CHLD in the caller: ctr_wait() forwards them.
 * The container gets SIGKILL when the caller dies. It is a session of
 * its own (no controlling terminal), holds no descriptor of the
 * caller's but s->stdio (or 0-2), and its pid 1 is not dumpable.
 * A network namespace of the container's own without a user namespace
 * is made by the caller's process, which stays in it (docs/CONTAINER.md).
 * Needs Linux 5.12 (openat2, open_tree, move_mount, mount_setattr,
 * close_range, pidfd_open, setns on a pidfd).
 */
int ctr_start(const struct ctr_spec *s, struct ctr *c, struct kerr *e);

/*
 * Waits for the container, forwarding the blocked signals to it (also
 * those a terminal sent to the caller's process group: the container is
 * in a session of its own). Returns the app's exit status, 128+N for a
 * signal N.
 * It returns on the reaper's word that the app exited, without waiting
 * for the reaper's own exit, in which the kernel kills what is left in
 * the container and tears its namespaces and mounts down (as bwrap
 * does): the caller should exit then, and the reaper's zombie goes to
 * its parent. With a cgroup (s->cg) or an /etc upper layer
 * (s->etc_upper), which the caller may remove or mount again at once, it
 * waits for the reaper's exit, as with keel.pid1 (no reaper).
 */
int ctr_wait(struct ctr *c);

/* Exit status of a wait status: its code, or 128+N for signal N. */
int ctr_status_code(int status);

#endif
