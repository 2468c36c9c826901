// SPDX-License-Identifier: MIT
/* Mounts by descriptor: every path opened with openat2 under rules that
 * name what a symlink may do, and every mount attached to what was opened. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "lib/base/fmt.h"
#include "lib/container/container_priv.h"

/*
 * HAZARD: /etc's upper layer and /var/lib are written by the app and kept
 * across starts, so the app can leave a symlink anywhere in them for the
 * next start. A path is therefore never handed to mount(2) as a string:
 * it is opened here (O_PATH) under its rules, and the mount goes onto
 * or comes from that descriptor.
 */
int
ctr_open_at(int dirfd, const char *path, uint64_t resolve, const char *what,
	    struct kerr *e)
{
	struct keel_open_how how = {
	    .flags = O_PATH | O_CLOEXEC, .mode = 0, .resolve = resolve};
	long fd;
	int err;

	/* BENEATH and IN_ROOT take relative paths: "/proc" is root's "proc" */
	if (dirfd != AT_FDCWD)
		while (*path == '/')
			path++;
	fd = syscall(SYS_openat2, dirfd, *path ? path : ".", &how, sizeof(how));
	if (fd >= 0)
		return (int)fd;
	err = errno;
	if (err == ELOOP)
		kerr_set(e, "mount",
			 "%s%s/%s: a symlink on the way (keel follows none "
			 "here)",
			 what, *what ? " " : "", path + (*path == '/'));
	else if (err == EXDEV)
		kerr_set(e, "mount", "%s%s/%s: leads out of its root", what,
			 *what ? " " : "", path + (*path == '/'));
	else
		kerr_set(e, "mount", "%s%s/%s: %s", what, *what ? " " : "",
			 path + (*path == '/'), kerr_strerror(err));
	errno = err; /* callers tell ENOENT (skip, or name the image) */
	return -1;
}

uint64_t
ctr_attrs(unsigned long ms)
{
	uint64_t a = 0;

	if (ms & MS_RDONLY)
		a |= KEEL_MOUNT_ATTR_RDONLY;
	if (ms & MS_NOSUID)
		a |= KEEL_MOUNT_ATTR_NOSUID;
	if (ms & MS_NODEV)
		a |= KEEL_MOUNT_ATTR_NODEV;
	if (ms & MS_NOEXEC)
		a |= KEEL_MOUNT_ATTR_NOEXEC;
	if (ms & MS_NODIRATIME)
		a |= KEEL_MOUNT_ATTR_NODIRATIME;
	return a;
}

/* The atime mode of MS_* flags, or -1 when they name none. */
static int64_t
ctr_atime(unsigned long ms)
{
	if (ms & MS_NOATIME)
		return KEEL_MOUNT_ATTR_NOATIME;
	if (ms & MS_STRICTATIME)
		return KEEL_MOUNT_ATTR_STRICTATIME;
	if (ms & MS_RELATIME)
		return KEEL_MOUNT_ATTR_RELATIME;
	return -1;
}

/*
 * A copy of the tree at src (with its submounts when rec), given the
 * attributes of ms (added to every mount of the copy: a flag the source
 * has, or has locked in a user namespace, is never cleared), then
 * attached on dst. Nothing is resolved by name on the way.
 */
int
ctr_bind_at(int src, int dst, int rec, unsigned long ms, const char *name,
	    struct kerr *e)
{
	struct keel_mount_attr at = {.attr_set = ctr_attrs(ms)};
	int64_t atime = ctr_atime(ms);
	long t;
	int rc = 0;

	t = syscall(SYS_open_tree, src, "",
		    KEEL_OPEN_TREE_CLONE | O_CLOEXEC | AT_EMPTY_PATH |
			(rec ? AT_RECURSIVE : 0));
	if (t < 0)
		return kerr_set(e, "mount", "%s: copy the source: %s", name,
				kerr_strerror(errno));
	if (atime >= 0) {
		at.attr_set |= (uint64_t)atime;
		at.attr_clr = KEEL_MOUNT_ATTR__ATIME;
	}
	if ((at.attr_set || at.attr_clr) &&
	    syscall(SYS_mount_setattr, t, "",
		    AT_EMPTY_PATH | (rec ? AT_RECURSIVE : 0), &at,
		    sizeof(at)) < 0)
		rc = kerr_set(e, "mount", "%s: set flags: %s", name,
			      kerr_strerror(errno));
	if (!rc && syscall(SYS_move_mount, t, "", dst, "",
			   KEEL_MOVE_MOUNT_F_EMPTY_PATH |
			       KEEL_MOVE_MOUNT_T_EMPTY_PATH) < 0)
		rc = kerr_set(e, "mount", "%s: %s", name, kerr_strerror(errno));
	close((int)t);
	return rc;
}

/*
 * mount(2) of a new filesystem onto the opened dst: the kernel follows
 * the /proc/self/fd magic link to exactly what dst is (keel's own /proc,
 * never the container's).
 */
int
ctr_mount_at(const char *src, int dst, const char *type, unsigned long ms,
	     const char *data, const char *name, struct kerr *e)
{
	char p[32];

	fmt_sn(p, sizeof(p), "/proc/self/fd/%d", dst);
	if (mount(src, p, type, ms, data) == 0)
		return 0;
	return kerr_set(e, "mount", "%s: %s", name, kerr_strerror(errno));
}

int
ctr_mnt(int root, const char *src, const char *rel, const char *type,
	unsigned long ms, const char *data, struct kerr *e)
{
	int fd = ctr_open_at(root, rel, CTR_IN_ROOT, "", e), rc;

	if (fd < 0) {
		if (errno == ENOENT)
			kerr_set(e, "mount",
				 "%s: no such directory in the image", rel);
		return -1;
	}
	rc = ctr_mount_at(src, fd, type, ms, data, rel, e);
	close(fd);
	return rc;
}

int
ctr_bind_host(const char *src, int root, const char *rel, int rec,
	      unsigned long ms, struct kerr *e)
{
	int s, d, rc;

	s = ctr_open_at(AT_FDCWD, src, CTR_HOST, "bind source", e);
	if (s < 0)
		return -1;
	d = ctr_open_at(root, rel, CTR_IN_ROOT, "", e);
	if (d < 0) {
		if (errno == ENOENT)
			kerr_set(e, "mount",
				 "%s: no such file or directory "
				 "in the image",
				 rel);
		close(s);
		return -1;
	}
	rc = ctr_bind_at(s, d, rec, ms, rel, e);
	close(s);
	close(d);
	return rc;
}
