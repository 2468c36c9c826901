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
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "lib/container/container_priv.h"

#define MS_SAFE (MS_NOSUID | MS_NODEV | MS_NOEXEC)

static int
ctr_join(char *out, const char *root, const char *rel, struct kerr *e)
{
	int n = snprintf(out, PATH_MAX, "%s%s", root, rel);

	if (n < 0 || n >= PATH_MAX)
		return kerr_set(e, "mount", "%s: path too long", rel);
	return 0;
}

static int
ctr_mount_err(struct kerr *e, const char *rel, int err)
{
	if (err == ENOENT)
		return kerr_set(e, "mount",
				"%s: no such directory in the image", rel);
	return kerr_set(e, "mount", "%s: %s", rel, strerror(err));
}

/* mount(2) onto root/rel; e names the container path. */
static int
ctr_mnt(const char *src, const char *root, const char *rel, const char *type,
	unsigned long fl, const char *data, struct kerr *e)
{
	char p[PATH_MAX];

	if (ctr_join(p, root, rel, e))
		return -1;
	if (mount(src, p, type, fl, data) == 0)
		return 0;
	return ctr_mount_err(e, rel, errno);
}

/*
 * Remounts a bind mount with extra flags. The flags the mount has already
 * are kept: in a user namespace they are locked, and dropping one is EPERM.
 */
static int
ctr_remount(const char *p, unsigned long fl, const char *rel, struct kerr *e)
{
	struct statvfs sv;

	if (statvfs(p, &sv))
		return ctr_mount_err(e, rel, errno);
	if (sv.f_flag & ST_RDONLY)
		fl |= MS_RDONLY;
	if (sv.f_flag & ST_NOSUID)
		fl |= MS_NOSUID;
	if (sv.f_flag & ST_NODEV)
		fl |= MS_NODEV;
	if (sv.f_flag & ST_NOEXEC)
		fl |= MS_NOEXEC;
	if (sv.f_flag & ST_NOATIME)
		fl |= MS_NOATIME;
	if (sv.f_flag & ST_NODIRATIME)
		fl |= MS_NODIRATIME;
	if (sv.f_flag & ST_RELATIME)
		fl |= MS_RELATIME;
	if (mount(NULL, p, NULL, MS_REMOUNT | MS_BIND | fl, NULL))
		return ctr_mount_err(e, rel, errno);
	return 0;
}

static int
ctr_bind(const char *src, const char *root, const char *rel, unsigned long fl,
	 struct kerr *e)
{
	char p[PATH_MAX];
	unsigned long extra = fl & (MS_RDONLY | MS_SAFE | MS_NOATIME |
				    MS_NODIRATIME | MS_RELATIME);

	if (ctr_join(p, root, rel, e))
		return -1;
	if (mount(src, p, NULL, MS_BIND | (fl & MS_REC), NULL))
		return ctr_mount_err(e, rel, errno);
	return extra ? ctr_remount(p, extra, rel, e) : 0;
}

/* /sys: a fresh sysfs needs our own net namespace; else a read-only bind. */
static int
ctr_mount_sys(const struct ctr_spec *s, struct kerr *e)
{
	const struct oci_config *cfg = s->cfg;

	if (cfg->ns_flags & OCI_NS_NET) {
		if (ctr_mnt("sysfs", s->root, "/sys", "sysfs",
			    MS_RDONLY | MS_SAFE, NULL, e))
			return -1;
	} else if (ctr_bind("/sys", s->root, "/sys", MS_RDONLY | MS_SAFE, e)) {
		return -1;
	}
	if (cfg->std_mounts & OCI_STD_CGROUP)
		return ctr_mnt("cgroup2", s->root, "/sys/fs/cgroup", "cgroup2",
			       MS_RDONLY | MS_SAFE, NULL, e);
	return 0;
}

static int
ctr_mount_dev(const struct ctr_spec *s, struct kerr *e)
{
	const struct oci_config *cfg = s->cfg;
	char p[PATH_MAX];

	if (ctr_mnt("tmpfs", s->root, "/dev", "tmpfs", MS_NOSUID | MS_NOEXEC,
		    "mode=755,size=64k", e))
		return -1;
	if (ctr_join(p, s->root, "/dev", e) ||
	    ctr_make_dev(p, cfg, !!(cfg->ns_flags & OCI_NS_USER), e))
		return -1;
	if (ctr_mnt("devpts", s->root, "/dev/pts", "devpts",
		    MS_NOSUID | MS_NOEXEC,
		    "newinstance,ptmxmode=0666,mode=0620", e) ||
	    ctr_mnt("shm", s->root, "/dev/shm", "tmpfs", MS_SAFE,
		    "mode=1777,size=65536k", e))
		return -1;
	if (cfg->std_mounts & OCI_STD_MQUEUE)
		return ctr_mnt("mqueue", s->root, "/dev/mqueue", "mqueue",
			       MS_SAFE, NULL, e);
	return 0;
}

/*
 * /etc = overlay(image /etc, upper). Without an upper dir, the upper and
 * work dirs live on a tmpfs mounted over /etc itself; the image's /etc
 * stays reachable as the lower layer through an fd opened before.
 */
static int
ctr_mount_etc(const struct ctr_spec *s, struct kerr *e)
{
	char etc[PATH_MAX], up[PATH_MAX + 4], opts[3 * PATH_MAX + 64];
	int fd = -1, rc = -1, n;

	if (ctr_join(etc, s->root, "/etc", e))
		return -1;
	if (s->etc_upper) {
		n = snprintf(opts, sizeof(opts),
			     "lowerdir=%s,upperdir=%s,workdir=%s", etc,
			     s->etc_upper, s->etc_work);
	} else {
		fd = open(etc, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0)
			return ctr_mount_err(e, "/etc", errno);
		if (mount("tmpfs", etc, "tmpfs", MS_SAFE, "mode=755")) {
			ctr_mount_err(e, "/etc (tmpfs)", errno);
			goto out;
		}
		snprintf(up, sizeof(up), "%s/u", etc);
		if (mkdir(up, 0755)) {
			ctr_mount_err(e, "/etc (tmpfs)", errno);
			goto out;
		}
		up[strlen(up) - 1] = 'w';
		if (mkdir(up, 0700)) {
			ctr_mount_err(e, "/etc (tmpfs)", errno);
			goto out;
		}
		n = snprintf(opts, sizeof(opts),
			     "lowerdir=/proc/self/fd/%d,upperdir=%s/u,"
			     "workdir=%s/w",
			     fd, etc, etc);
	}
	if (n < 0 || n >= (int)sizeof(opts)) {
		kerr_set(e, "mount", "/etc: paths too long");
		goto out;
	}
	rc = mount("overlay", etc, "overlay", MS_NOSUID | MS_NODEV, opts);
	if (rc)
		rc = ctr_mount_err(e, "/etc (overlay)", errno);
out:
	if (fd >= 0)
		close(fd);
	return rc;
}

/* keel net's resolv.conf, read-only at /etc/resolv.conf (over the /etc
 * overlay). The target is opened without following a symlink (an
 * image's link there is its own arrangement: left alone), made empty
 * on the upper layer if missing, and mounted on by descriptor. */
static int
ctr_mount_resolv(const struct ctr_spec *s, struct kerr *e)
{
	char p[PATH_MAX], at[32];
	int fd, rc;

	if (!s->resolv_conf)
		return 0;
	if (ctr_join(p, s->root, "/etc/resolv.conf", e))
		return -1;
	fd = open(p, O_RDONLY | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC,
		  0644);
	if (fd < 0 && errno == ELOOP)
		return 0;
	if (fd < 0)
		return ctr_mount_err(e, "/etc/resolv.conf", errno);
	snprintf(at, sizeof(at), "/proc/self/fd/%d", fd);
	rc = mount(s->resolv_conf, at, NULL, MS_BIND, NULL);
	close(fd);
	if (rc)
		return ctr_mount_err(e, "/etc/resolv.conf", errno);
	return ctr_remount(p, MS_RDONLY | MS_SAFE, "/etc/resolv.conf", e);
}

static int
ctr_mount_var(const struct ctr_spec *s, struct kerr *e)
{
	if (s->var_dir)
		return ctr_bind(s->var_dir, s->root, "/var/lib",
				MS_NOSUID | MS_NODEV, e);
	return ctr_mnt("tmpfs", s->root, "/var/lib", "tmpfs",
		       MS_NOSUID | MS_NODEV, "mode=755", e);
}

static int
ctr_mount_config(const struct ctr_spec *s, struct kerr *e)
{
	const struct oci_config *cfg = s->cfg;

	for (int i = 0; i < cfg->nmounts; i++) {
		const struct oci_mount *m = &cfg->mounts[i];
		char p[PATH_MAX];
		int rc;

		if (m->type == OCI_MOUNT_BIND)
			rc = ctr_bind(m->source, s->root, m->destination,
				      m->flags, e);
		else
			rc = ctr_mnt("tmpfs", s->root, m->destination, "tmpfs",
				     m->flags, m->data, e);
		if (rc)
			return -1;
		if (!m->propagation)
			continue;
		if (ctr_join(p, s->root, m->destination, e))
			return -1;
		if (mount(NULL, p, NULL, m->propagation, NULL))
			return ctr_mount_err(e, m->destination, errno);
	}
	return 0;
}

/* readonlyPaths, then maskedPaths; paths the image lacks are skipped. */
static int
ctr_mount_paths(const struct ctr_spec *s, struct kerr *e)
{
	const struct oci_config *cfg = s->cfg;
	char p[PATH_MAX], null[PATH_MAX];
	struct stat st;

	for (int i = 0; i < cfg->nreadonly; i++) {
		if (ctr_join(p, s->root, cfg->readonly[i], e))
			return -1;
		if (lstat(p, &st))
			continue;
		if (mount(p, p, NULL, MS_BIND | MS_REC, NULL) ||
		    ctr_remount(p, MS_RDONLY, cfg->readonly[i], e))
			return ctr_mount_err(e, cfg->readonly[i], errno);
	}
	if (ctr_join(null, s->root, "/dev/null", e))
		return -1;
	for (int i = 0; i < cfg->nmasked; i++) {
		int rc;

		if (ctr_join(p, s->root, cfg->masked[i], e))
			return -1;
		if (lstat(p, &st))
			continue;
		if (S_ISDIR(st.st_mode))
			rc = mount("tmpfs", p, "tmpfs", MS_RDONLY | MS_SAFE,
				   "size=0,mode=555");
		else
			rc = mount(null, p, NULL, MS_BIND, NULL);
		if (rc)
			return ctr_mount_err(e, cfg->masked[i], errno);
	}
	return 0;
}

static int
ctr_pivot(const char *root, struct kerr *e)
{
	if (chdir(root))
		return kerr_set(e, "pivot_root", "%s: %s", root,
				strerror(errno));
	/* new and old root on the same dir: the old one is stacked under "." */
	if (syscall(SYS_pivot_root, ".", ".")) {
		if (errno == EINVAL)
			return kerr_set(e, "pivot_root",
					"EINVAL: the current root is not "
					"pivotable (initramfs?)");
		return kerr_set(e, "pivot_root", "%s", strerror(errno));
	}
	if (umount2(".", MNT_DETACH))
		return kerr_set(e, "pivot_root", "detach old root: %s",
				strerror(errno));
	if (chdir("/"))
		return kerr_set(e, "pivot_root", "chdir /: %s",
				strerror(errno));
	return 0;
}

/* keel-init's sockets at /run/keel, on the fresh /run tmpfs. */
static int
ctr_mount_keel_run(const struct ctr_spec *s, struct kerr *e)
{
	char p[PATH_MAX];

	if (!s->keel_run)
		return 0;
	if (ctr_join(p, s->root, "/run/keel", e))
		return -1;
	if (mkdir(p, 0755) && errno != EEXIST)
		return ctr_mount_err(e, "/run/keel", errno);
	return ctr_mnt(s->keel_run, s->root, "/run/keel", NULL,
		       MS_BIND | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL, e);
}

int
ctr_mount_root(const struct ctr_spec *s, struct kerr *e)
{
	const char *root = s->root;

	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL))
		return kerr_set(e, "mount", "make mounts private: %s",
				strerror(errno));
	/* the new root must be a mount point of its own for pivot_root */
	if (mount(root, root, NULL, MS_BIND, NULL))
		return kerr_set(e, "mount", "bind root %s: %s", root,
				strerror(errno));
	if (ctr_mnt("proc", root, "/proc", "proc", MS_SAFE, NULL, e) ||
	    ctr_mount_sys(s, e) || ctr_mount_dev(s, e) ||
	    ctr_mnt("tmpfs", root, "/run", "tmpfs", MS_NOSUID | MS_NODEV,
		    "mode=755", e) ||
	    ctr_mount_keel_run(s, e) ||
	    ctr_mnt("tmpfs", root, "/tmp", "tmpfs", MS_NOSUID | MS_NODEV,
		    "mode=1777", e) ||
	    ctr_mount_etc(s, e) || ctr_mount_resolv(s, e) ||
	    ctr_mount_var(s, e) || ctr_mount_config(s, e) ||
	    ctr_mount_paths(s, e))
		return -1;
	if (ctr_remount(root, MS_RDONLY | MS_NOSUID | MS_NODEV, "/", e))
		return -1;
	return ctr_pivot(root, e);
}
