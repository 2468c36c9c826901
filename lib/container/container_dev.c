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

#include "lib/container/container_priv.h"

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

/* An empty file at dev/name with src bound on it (user namespaces). */
static int
ctr_bind_node(const char *dev, const char *name, const char *src,
	      struct kerr *e)
{
	char p[PATH_MAX];
	int fd;

	snprintf(p, sizeof(p), "%s/%s", dev, name);
	fd = open(p, O_CREAT | O_WRONLY | O_CLOEXEC, 0666);
	if (fd < 0)
		return kerr_set(e, "dev", "%s: %s", name, strerror(errno));
	close(fd);
	if (mount(src, p, NULL, MS_BIND, NULL))
		return kerr_set(e, "dev", "bind %s: %s", src, strerror(errno));
	return 0;
}

/*
 * Makes dev/path (path is "/dev/..."): a node, or in a user namespace
 * (no mknod there) a bind of the host's node at the same path.
 */
static int
ctr_node(const char *dev, const char *path, mode_t type, unsigned major,
	 unsigned minor, mode_t perm, uid_t uid, gid_t gid, int userns,
	 struct kerr *e)
{
	const char *name = path + 5;
	char p[PATH_MAX];

	snprintf(p, sizeof(p), "%s/%s", dev, name);
	/* parents of e.g. /dev/dri/card0 */
	for (char *q = p + strlen(dev) + 1; (q = strchr(q, '/')); q++) {
		*q = 0;
		if (mkdir(p, 0755) && errno != EEXIST)
			return kerr_set(e, "dev", "%s: %s", p, strerror(errno));
		*q = '/';
	}
	if (userns && type != S_IFIFO)
		return ctr_bind_node(dev, name, path, e);
	/* the launch runs with umask 0: perm is exact */
	if (mknod(p, type | perm, makedev(major, minor)) ||
	    ((uid | gid) && chown(p, uid, gid)))
		return kerr_set(e, "dev", "%s: %s", path, strerror(errno));
	return 0;
}

/* /dev/console: the terminal keel's stdio is on, else the null device. */
static int
ctr_console(const char *dev, struct kerr *e)
{
	char link[32], tty[PATH_MAX];

	for (int fd = 0; fd < 3; fd++) {
		ssize_t n;

		if (!isatty(fd))
			continue;
		snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
		n = readlink(link, tty, sizeof(tty) - 1);
		if (n <= 0 || tty[0] != '/')
			continue;
		tty[n] = 0;
		return ctr_bind_node(dev, "console", tty, e);
	}
	return ctr_bind_node(dev, "console", "/dev/null", e);
}

int
ctr_make_dev(const char *dev, const struct oci_config *cfg, int userns,
	     struct kerr *e)
{
	const size_t nn = sizeof(ctr_nodes) / sizeof(ctr_nodes[0]);
	const size_t nl = sizeof(ctr_links) / sizeof(ctr_links[0]);
	char p[PATH_MAX];

	for (size_t i = 0; i < nn; i++) {
		snprintf(p, sizeof(p), "/dev/%s", ctr_nodes[i].name);
		if (ctr_node(dev, p, S_IFCHR, ctr_nodes[i].major,
			     ctr_nodes[i].minor, 0666, 0, 0, userns, e))
			return -1;
	}
	for (size_t i = 0; i < nl; i++) {
		snprintf(p, sizeof(p), "%s/%s", dev, ctr_links[i].name);
		if (symlink(ctr_links[i].target, p))
			return kerr_set(e, "dev", "%s: %s", ctr_links[i].name,
					strerror(errno));
	}
	snprintf(p, sizeof(p), "%s/pts", dev);
	if (mkdir(p, 0755))
		return kerr_set(e, "dev", "pts: %s", strerror(errno));
	snprintf(p, sizeof(p), "%s/shm", dev);
	if (mkdir(p, 01777))
		return kerr_set(e, "dev", "shm: %s", strerror(errno));
	if (cfg->std_mounts & OCI_STD_MQUEUE) {
		snprintf(p, sizeof(p), "%s/mqueue", dev);
		if (mkdir(p, 0755))
			return kerr_set(e, "dev", "mqueue: %s",
					strerror(errno));
	}
	if (ctr_console(dev, e))
		return -1;
	for (int i = 0; i < cfg->ndevices; i++) {
		const struct oci_device *d = &cfg->devices[i];
		mode_t t = d->type == 'b'   ? S_IFBLK
			   : d->type == 'p' ? S_IFIFO
					    : S_IFCHR;

		if (ctr_node(dev, d->path, t, d->major, d->minor,
			     d->mode & 07777, d->uid, d->gid, userns, e))
			return -1;
	}
	return 0;
}
