// SPDX-License-Identifier: MIT
/* The container's minimal /dev: a few nodes, pts, shm and granted devices. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "lib/base/fmt.h"
#include "lib/container/container_priv.h"

/* Only these, the console and linux.devices: the cgroup device program
 * (devcg.c) allows exactly the same set. */
static const struct {
	const char *name;
	unsigned major, minor;
} ctr_nodes[] = {
    {"null", 1, 3},   {"zero", 1, 5},	 {"full", 1, 7},
    {"random", 1, 8}, {"urandom", 1, 9}, {"tty", 5, 0},
};

static const struct {
	const char *name, *target;
} ctr_links[] = {
    {"ptmx", "pts/ptmx"},	   {"fd", "/proc/self/fd"},
    {"stdin", "/proc/self/fd/0"},  {"stdout", "/proc/self/fd/1"},
    {"stderr", "/proc/self/fd/2"},
};

/* An empty file at dev/name with keel's src bound on it. */
static int
ctr_bind_node(int dev, const char *name, const char *src, struct kerr *e)
{
	int fd = openat(dev, name, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC,
			0666),
	    s, rc;

	if (fd < 0)
		return kerr_set(e, "dev", "%s: %s", name, kerr_strerror(errno));
	close(fd);
	fd = ctr_open_at(dev, name, CTR_NO_LINKS, "", e);
	s = fd < 0 ? -1 : ctr_open_at(AT_FDCWD, src, CTR_HOST, "", e);
	rc = s < 0 ? -1 : ctr_bind_at(s, fd, 0, 0, src, e);
	if (s >= 0)
		close(s);
	if (fd >= 0)
		close(fd);
	return rc;
}

/*
 * Makes path ("/dev/..."): a node, or in a user namespace (no mknod
 * there) a bind of the host's node at the same path.
 */
static int
ctr_node(int dev, const char *path, mode_t type, unsigned major, unsigned minor,
	 mode_t perm, uid_t uid, gid_t gid, int userns, struct kerr *e)
{
	char p[PATH_MAX];

	fmt_sn(p, sizeof(p), "%s", path + 5);
	/* parents of e.g. /dev/dri/card0, on the fresh tmpfs */
	for (char *q = p; (q = strchr(q, '/')); q++) {
		*q = 0;
		if (mkdirat(dev, p, 0755) && errno != EEXIST)
			return kerr_set(e, "dev", "/dev/%s: %s", p,
					kerr_strerror(errno));
		*q = '/';
	}
	if (userns && type != S_IFIFO)
		return ctr_bind_node(dev, p, path, e);
	/* the launch runs with umask 0: perm is exact */
	if (mknodat(dev, p, type | perm, makedev(major, minor)) ||
	    ((uid | gid) && fchownat(dev, p, uid, gid, AT_SYMLINK_NOFOLLOW)))
		return kerr_set(e, "dev", "%s: %s", path, kerr_strerror(errno));
	return 0;
}

/*
 * /dev/console: the terminal the app's stdio is on, else the null device.
 * The terminal is bound by the name it has in this mount namespace, and
 * only if that name still is the same file.
 */
static int
ctr_console(int dev, struct kerr *e)
{
	char link[32], tty[PATH_MAX];

	for (int fd = 0; fd < 3; fd++) {
		struct stat a, b;
		ssize_t n;
		int t;

		if (!isatty(fd) || fstat(fd, &a))
			continue;
		fmt_sn(link, sizeof(link), "/proc/self/fd/%d", fd);
		n = readlink(link, tty, sizeof(tty) - 1);
		if (n <= 0 || tty[0] != '/')
			continue;
		tty[n] = 0;
		t = ctr_open_at(AT_FDCWD, tty, CTR_HOST, "", e);
		if (t < 0)
			continue;
		n = fstat(t, &b) == 0 && a.st_rdev == b.st_rdev &&
		    a.st_ino == b.st_ino;
		close(t);
		if (n)
			return ctr_bind_node(dev, "console", tty, e);
	}
	return ctr_bind_node(dev, "console", "/dev/null", e);
}

int
ctr_make_dev(int dev, const struct oci_config *cfg, int userns, struct kerr *e)
{
	const size_t nn = sizeof(ctr_nodes) / sizeof(ctr_nodes[0]);
	const size_t nl = sizeof(ctr_links) / sizeof(ctr_links[0]);
	char p[PATH_MAX];

	for (size_t i = 0; i < nn; i++) {
		fmt_sn(p, sizeof(p), "/dev/%s", ctr_nodes[i].name);
		if (ctr_node(dev, p, S_IFCHR, ctr_nodes[i].major,
			     ctr_nodes[i].minor, 0666, 0, 0, userns, e))
			return -1;
	}
	if (mkdirat(dev, "pts", 0755) || mkdirat(dev, "shm", 01777))
		return kerr_set(e, "dev", "pts, shm: %s", kerr_strerror(errno));
	if ((cfg->std_mounts & OCI_STD_MQUEUE) && mkdirat(dev, "mqueue", 0755))
		return kerr_set(e, "dev", "mqueue: %s", kerr_strerror(errno));
	/* before keel's symlinks: no granted path goes through one */
	for (int i = 0; i < cfg->ndevices; i++) {
		const struct oci_device *d = &cfg->devices[i];
		mode_t t = d->type == 'b'   ? S_IFBLK
			   : d->type == 'p' ? S_IFIFO
					    : S_IFCHR;

		if (ctr_node(dev, d->path, t, d->major, d->minor,
			     d->mode & 07777, d->uid, d->gid, userns, e))
			return -1;
	}
	for (size_t i = 0; i < nl; i++)
		if (symlinkat(ctr_links[i].target, dev, ctr_links[i].name))
			return kerr_set(e, "dev", "%s: %s", ctr_links[i].name,
					kerr_strerror(errno));
	return ctr_console(dev, e);
}
