// SPDX-License-Identifier: MIT
/* The container's root: the image, read-only, with its fresh mounts. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "lib/base/fmt.h"
#include "lib/container/container_priv.h"
#include "lib/container/seed.h"

/* /sys: a fresh sysfs needs our own net namespace; else a read-only bind. */
static int
ctr_mount_sys(const struct ctr_spec *s, int root, struct kerr *e)
{
	const struct oci_config *cfg = s->cfg;

	if (cfg->ns_flags & OCI_NS_NET) {
		if (ctr_mnt(root, "sysfs", "/sys", "sysfs", MS_RDONLY | MS_SAFE,
			    NULL, e))
			return -1;
	} else if (ctr_bind_host("/sys", root, "/sys", 0, MS_RDONLY | MS_SAFE,
				 e)) {
		return -1;
	}
	if (cfg->std_mounts & OCI_STD_CGROUP)
		return ctr_mnt(root, "cgroup2", "/sys/fs/cgroup", "cgroup2",
			       MS_RDONLY | MS_SAFE, NULL, e);
	return 0;
}

static int
ctr_mount_dev(const struct ctr_spec *s, int root, struct kerr *e)
{
	const struct oci_config *cfg = s->cfg;
	int dev, rc;

	/* device nodes live here: nosuid and noexec, not nodev */
	if (ctr_mnt(root, "tmpfs", "/dev", "tmpfs", MS_NOSUID | MS_NOEXEC,
		    "mode=755,size=64k", e))
		return -1;
	dev = ctr_open_at(root, "/dev", CTR_IN_ROOT, "", e);
	if (dev < 0)
		return -1;
	rc = ctr_make_dev(dev, cfg, !!(cfg->ns_flags & OCI_NS_USER), e);
	close(dev);
	if (rc ||
	    ctr_mnt(root, "devpts", "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC,
		    "newinstance,ptmxmode=0666,mode=0620", e) ||
	    ctr_mnt(root, "shm", "/dev/shm", "tmpfs", MS_SAFE,
		    "mode=1777,size=65536k", e))
		return -1;
	if (cfg->std_mounts & OCI_STD_MQUEUE)
		return ctr_mnt(root, "mqueue", "/dev/mqueue", "mqueue", MS_SAFE,
			       NULL, e);
	return 0;
}

/*
 * A tmpfs over the image's /etc (still open as low) for what the overlay
 * needs beside the image: its upper and work dirs when there is no etc
 * partition (u, w), and an empty resolv.conf for keel net's bind when
 * the image has none (in l, a lower layer above the image's). The
 * overlay then covers the tmpfs. Its fd, or -1.
 */
static int
ctr_etc_tmpfs(int root, int low, int upper, int resolv, struct kerr *e)
{
	int top, fd;

	if (ctr_mount_at("tmpfs", low, "tmpfs", MS_SAFE, "mode=755",
			 "/etc (tmpfs)", e))
		return -1;
	top = ctr_open_at(root, "/etc", CTR_NO_LINKS, "", e);
	if (top < 0)
		return -1;
	if ((upper && (mkdirat(top, "u", 0755) || mkdirat(top, "w", 0700))) ||
	    (resolv && mkdirat(top, "l", 0755)))
		goto fail;
	if (resolv) {
		fd = openat(top, "l/resolv.conf",
			    O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
		if (fd < 0)
			goto fail;
		close(fd);
	}
	return top;
fail:
	kerr_set(e, "mount", "/etc (tmpfs): %s", kerr_strerror(errno));
	close(top);
	return -1;
}

/*
 * /etc = overlay(image /etc, upper). Without an upper dir, the upper and
 * work dirs live on a tmpfs mounted over /etc itself; the image's /etc
 * stays reachable as the lower layer through the fd opened before. With
 * one (the etc partition), a bind of keel net's resolv.conf over an
 * image without the file gets its empty file from that tmpfs too, never
 * from the etc partition: nothing of keel's persists there. The image's
 * /etc itself must be a directory, not a symlink.
 */
static int
ctr_mount_etc(const struct ctr_spec *s, int root, struct kerr *e)
{
	char opts[3 * PATH_MAX + 128], low_s[64];
	int low, top = -1, rc = -1, n, resolv;
	struct stat st;

	low = ctr_open_at(root, "/etc", CTR_NO_LINKS, "", e);
	if (low < 0)
		return errno == ENOENT ? kerr_set(e, "mount",
						  "/etc: no such directory "
						  "in the image")
				       : -1;
	resolv = s->etc_upper && s->resolv_conf &&
		 fstatat(low, "resolv.conf", &st, AT_SYMLINK_NOFOLLOW) < 0 &&
		 errno == ENOENT;
	top = low;
	if (!s->etc_upper || resolv) {
		top = ctr_etc_tmpfs(root, low, !s->etc_upper, resolv, e);
		if (top < 0)
			goto out;
	}
	if (resolv)
		fmt_sn(low_s, sizeof(low_s),
		       "/proc/self/fd/%d/l:/proc/self/fd/%d", top, low);
	else
		fmt_sn(low_s, sizeof(low_s), "/proc/self/fd/%d", low);
	if (s->etc_upper)
		n = fmt_sn(opts, sizeof(opts),
			   "lowerdir=%s,upperdir=%s,workdir=%s", low_s,
			   s->etc_upper, s->etc_work);
	else
		n = fmt_sn(opts, sizeof(opts),
			   "lowerdir=%s,upperdir=/proc/self/fd/%d/u,"
			   "workdir=/proc/self/fd/%d/w",
			   low_s, top, top);
	if (n < 0 || n >= (int)sizeof(opts)) {
		kerr_set(e, "mount", "/etc: paths too long");
		goto out;
	}
	rc = ctr_mount_at("overlay", top, "overlay", MS_NOSUID | MS_NODEV, opts,
			  "/etc (overlay)", e);
out:
	if (top >= 0 && top != low)
		close(top);
	close(low);
	return rc;
}

/* keel net's resolv.conf, read-only at /etc/resolv.conf (over the /etc
 * overlay). The target is opened without following a symlink (an
 * image's link there is its own arrangement: left alone); an image
 * without the file has an empty one from ctr_mount_etc's tmpfs layer (or
 * its tmpfs upper layer, made here), the bind goes onto that. */
static int
ctr_mount_resolv(const struct ctr_spec *s, int root, struct kerr *e)
{
	int etc, dst, src, rc;

	if (!s->resolv_conf)
		return 0;
	etc = ctr_open_at(root, "/etc", CTR_IN_ROOT, "", e);
	if (etc < 0)
		return -1;
	dst = openat(etc, "resolv.conf",
		     O_RDONLY | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC,
		     0644);
	close(etc);
	if (dst < 0 && errno == ELOOP)
		return 0;
	if (dst < 0)
		return kerr_set(e, "mount", "/etc/resolv.conf: %s",
				kerr_strerror(errno));
	src = ctr_open_at(AT_FDCWD, s->resolv_conf, CTR_HOST, "bind source", e);
	rc = src < 0 ? -1
		     : ctr_bind_at(src, dst, 0, MS_RDONLY | MS_SAFE,
				   "/etc/resolv.conf", e);
	if (src >= 0)
		close(src);
	close(dst);
	return rc;
}

/* A directory at rel in root, opened to read (O_PATH cannot list). */
static int
ctr_open_dir(int root, const char *rel, struct kerr *e)
{
	int p = ctr_open_at(root, rel, CTR_NO_LINKS, "", e), fd;

	if (p < 0)
		return -1;
	fd = openat(p, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	close(p);
	if (fd < 0)
		kerr_set(e, "mount", "%s: %s", rel, kerr_strerror(errno));
	return fd;
}

/*
 * /var/lib: the var dir, or a tmpfs; seeded from the image's own
 * /var/lib (held open before it is covered) when it is empty (seed.h).
 */
static int
ctr_mount_var(const struct ctr_spec *s, int root, struct kerr *e)
{
	struct seed_stats st;
	int img = ctr_open_dir(root, "/var/lib", e), dst, rc;

	if (img < 0)
		return -1;
	rc = s->var_dir ? ctr_bind_host(s->var_dir, root, "/var/lib", 0,
					MS_NOSUID | MS_NODEV, e)
			: ctr_mnt(root, "tmpfs", "/var/lib", "tmpfs",
				  MS_NOSUID | MS_NODEV, "mode=755", e);
	dst = rc ? -1 : ctr_open_dir(root, "/var/lib", e);
	if (dst >= 0) {
		rc = seed_tree(img, dst, &st, e);
		close(dst);
	} else {
		rc = -1;
	}
	close(img);
	return rc;
}

/* /var/log, /var/cache, /var/tmp: a bounded tmpfs each, or (persist)
 * a directory beside the app's data, made here (keel's side, no symlink
 * followed: a planted one makes the bind refuse); each seeded from the
 * image's own directory when empty, as /var/lib is (a tmpfs always is:
 * Debian's nginx needs /var/log/nginx to exist). */
static const struct {
	unsigned bit;
	const char *dest, *name, *opts;
} ctr_var_dirs[] = {
    {OCI_VAR_LOG, "/var/log", "log", "mode=755,size=" CTR_VAR_TMPFS_SIZE},
    {OCI_VAR_CACHE, "/var/cache", "cache", "mode=755,size=" CTR_VAR_TMPFS_SIZE},
    {OCI_VAR_TMP, "/var/tmp", "tmp", "mode=1777,size=" CTR_VAR_TMPFS_SIZE},
};

static int
ctr_var_persist(const struct ctr_spec *s, int root, int i, struct kerr *e)
{
	char rel[sizeof(CTR_VAR_PERSIST) + 8], path[PATH_MAX];
	int dir = ctr_open_at(AT_FDCWD, s->var_dir, CTR_HOST, "var", e);

	if (dir < 0)
		return -1;
	fmt_sn(rel, sizeof(rel), CTR_VAR_PERSIST "/%s", ctr_var_dirs[i].name);
	if ((mkdirat(dir, CTR_VAR_PERSIST, 0755) && errno != EEXIST) ||
	    (mkdirat(dir, rel, 0755) && errno != EEXIST)) {
		close(dir);
		return kerr_set(e, "mount", "%s/%s: %s", s->var_dir, rel,
				kerr_strerror(errno));
	}
	close(dir);
	if (fmt_sn(path, sizeof(path), "%s/%s", s->var_dir, rel) >=
	    (int)sizeof(path))
		return kerr_set(e, "mount", "%s: path too long", s->var_dir);
	return ctr_bind_host(path, root, ctr_var_dirs[i].dest, 0,
			     MS_NOSUID | MS_NODEV, e);
}

/* Mounts the i-th of ctr_var_dirs over img (the image's directory, held
 * open) and seeds it from img. */
static int
ctr_mount_var_dir(const struct ctr_spec *s, int root, int i, int img,
		  struct kerr *e)
{
	struct seed_stats st;
	int dst, rc;

	if (s->var_dir && s->cfg->keel.persist & ctr_var_dirs[i].bit)
		rc = ctr_var_persist(s, root, i, e);
	else
		rc = ctr_mnt(root, "tmpfs", ctr_var_dirs[i].dest, "tmpfs",
			     MS_NOSUID | MS_NODEV, ctr_var_dirs[i].opts, e);
	if (rc)
		return -1;
	dst = ctr_open_dir(root, ctr_var_dirs[i].dest, e);
	if (dst < 0)
		return -1;
	rc = seed_tree(img, dst, &st, e);
	close(dst);
	return rc;
}

static int
ctr_mount_var_dirs(const struct ctr_spec *s, int root, struct kerr *e)
{
	for (int i = 0; i < 3; i++) {
		int img = ctr_open_dir(root, ctr_var_dirs[i].dest, e), rc;

		if (img < 0) {
			if (errno == ENOENT)
				continue; /* an image from before keel made
					   * it: nothing is mounted there */
			return -1;
		}
		rc = ctr_mount_var_dir(s, root, i, img, e);
		close(img);
		if (rc)
			return -1;
	}
	return 0;
}

/*
 * The config's mounts, in order. A bind source is a path of keel's own
 * namespace with no symlink anywhere on it (refused otherwise: the app
 * may have planted one in /var/lib); the destination is resolved inside
 * the container's root.
 */
static int
ctr_mount_config(const struct ctr_spec *s, int root, struct kerr *e)
{
	const struct oci_config *cfg = s->cfg;

	for (int i = 0; i < cfg->nmounts; i++) {
		const struct oci_mount *m = &cfg->mounts[i];
		int rc, fd;

		if (m->type == OCI_MOUNT_BIND)
			rc = ctr_bind_host(m->source, root, m->destination,
					   !!(m->flags & MS_REC), m->flags, e);
		else
			rc = ctr_mnt(root, "tmpfs", m->destination, "tmpfs",
				     m->flags, m->data, e);
		if (rc)
			return -1;
		if (!m->propagation)
			continue;
		fd = ctr_open_at(root, m->destination, CTR_IN_ROOT, "", e);
		if (fd < 0)
			return -1;
		rc = ctr_mount_at(NULL, fd, NULL, m->propagation, NULL,
				  m->destination, e);
		close(fd);
		if (rc)
			return -1;
	}
	return 0;
}

/* keel-init's sockets at /run/keel, read-only: connect works (a socket
 * needs write permission on its inode, not a writable mount), but no
 * name in the directory can be removed, replaced or added. */
static int
ctr_mount_keel_run(const struct ctr_spec *s, int root, struct kerr *e)
{
	int run, dst, rc;

	if (!s->keel_run)
		return 0;
	run = ctr_open_at(root, "/run", CTR_IN_ROOT, "", e);
	if (run < 0)
		return -1;
	if (mkdirat(run, "keel", 0755) && errno != EEXIST) {
		close(run);
		return kerr_set(e, "mount", "/run/keel: %s",
				kerr_strerror(errno));
	}
	dst = ctr_open_at(run, "keel", CTR_NO_LINKS, "", e);
	close(run);
	if (dst < 0)
		return -1;
	run = ctr_open_at(AT_FDCWD, s->keel_run, CTR_HOST, "", e);
	rc = run < 0 ? -1
		     : ctr_bind_at(run, dst, 0, MS_RDONLY | MS_SAFE,
				   "/run/keel", e);
	if (run >= 0)
		close(run);
	close(dst);
	if (rc || !s->keel_bin)
		return rc;
	/* The client: the one file under /run/keel the app may execute. */
	dst = ctr_open_at(root, "/run/keel/bin/keel", CTR_NO_LINKS, "", e);
	if (dst < 0)
		return -1;
	run = ctr_open_at(AT_FDCWD, s->keel_bin, CTR_HOST, "", e);
	rc = run < 0
		 ? -1
		 : ctr_bind_at(run, dst, 0, MS_RDONLY | MS_NOSUID | MS_NODEV,
			       "/run/keel/bin/keel", e);
	if (run >= 0)
		close(run);
	close(dst);
	return rc;
}

static int
ctr_pivot(int root, struct kerr *e)
{
	if (fchdir(root))
		return kerr_set(e, "pivot_root", "%s", kerr_strerror(errno));
	/* new and old root on the same dir: the old one is stacked under "." */
	if (syscall(SYS_pivot_root, ".", ".")) {
		if (errno == EINVAL)
			return kerr_set(e, "pivot_root",
					"EINVAL: the current root is not "
					"pivotable (initramfs?)");
		return kerr_set(e, "pivot_root", "%s", kerr_strerror(errno));
	}
	if (umount2(".", MNT_DETACH))
		return kerr_set(e, "pivot_root", "detach old root: %s",
				kerr_strerror(errno));
	if (chdir("/"))
		return kerr_set(e, "pivot_root", "chdir /: %s",
				kerr_strerror(errno));
	return 0;
}

/* The image bound onto itself, read-only, nosuid, nodev: the new root is
 * a mount point of its own (pivot_root needs one). Returns its fd. */
static int
ctr_new_root(const char *path, struct kerr *e)
{
	int fd = ctr_open_at(AT_FDCWD, path, CTR_HOST, "root", e), rc;

	if (fd < 0)
		return -1;
	rc = ctr_bind_at(fd, fd, 0, MS_RDONLY | MS_NOSUID | MS_NODEV, "/", e);
	close(fd);
	if (rc)
		return -1;
	return ctr_open_at(AT_FDCWD, path, CTR_HOST, "root", e);
}

/*
 * The image's detached mount (fsmount: read-only, nosuid, nodev already)
 * attached over this namespace's "/", which it covers until ctr_pivot
 * swaps the two: a mount point of its own that needs no directory of
 * the host's. Only once every mount here is private: "/" is the host's
 * copy, and a shared one would propagate the image to the host. Takes
 * fd; returns it, or -1.
 */
static int
ctr_attach_root(int fd, struct kerr *e)
{
	if (syscall(SYS_move_mount, fd, "", AT_FDCWD, "/",
		    KEEL_MOVE_MOUNT_F_EMPTY_PATH) == 0)
		return fd;
	kerr_set(e, "mount", "/ (the image): %s", kerr_strerror(errno));
	close(fd);
	return -1;
}

/*
 * /sys comes after the mounts that do not need the container's network
 * namespace: keel makes it meanwhile (ctr_net_ahead), and a fresh sysfs
 * shows the network namespace of the process that mounts it.
 */
int
ctr_mount_root(const struct ctr_spec *s, int rootfd, const struct ctr_net *n,
	       struct kerr *e)
{
	int root, rc;

	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL))
		return kerr_set(e, "mount", "make mounts private: %s",
				kerr_strerror(errno));
	root = s->root ? ctr_new_root(s->root, e) : ctr_attach_root(rootfd, e);
	if (root < 0)
		return -1;
	rc = ctr_mnt(root, "proc", "/proc", "proc", MS_SAFE, NULL, e) ||
	     ctr_mount_dev(s, root, e) ||
	     ctr_mnt(root, "tmpfs", "/run", "tmpfs", MS_NOSUID | MS_NODEV,
		     "mode=755", e) ||
	     ctr_mount_keel_run(s, root, e) ||
	     ctr_mnt(root, "tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV,
		     "mode=1777", e) ||
	     ctr_mount_etc(s, root, e) || ctr_mount_resolv(s, root, e) ||
	     ctr_mount_var(s, root, e) || ctr_mount_var_dirs(s, root, e) ||
	     ctr_net_join(n, e) || ctr_mount_sys(s, root, e) ||
	     ctr_mount_config(s, root, e) || ctr_mount_paths(s, root, e) ||
	     ctr_pivot(root, e);
	close(root);
	return rc ? -1 : 0;
}
