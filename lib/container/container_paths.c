// SPDX-License-Identifier: MIT
/* Masked and read-only paths: keel's floor, then the config's additions. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/container/container_priv.h"

/*
 * The floor, applied to every container whatever its config says (a
 * config can add paths, never remove these): runc's and Docker's sets.
 * Masked: an empty read-only tmpfs over a directory, /dev/null over a
 * file. Read-only: the host kernel's knobs, which no namespace owns.
 */
static const char *const ctr_masked[] = {
    "/proc/acpi",
    "/proc/asound",
    "/proc/kcore",
    "/proc/keys",
    "/proc/latency_stats",
    "/proc/sched_debug",
    "/proc/scsi",
    "/proc/timer_list",
    "/proc/timer_stats",
    "/sys/firmware",
    "/sys/devices/virtual/powercap",
};
static const char *const ctr_readonly[] = {
    "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger",
};

#define NFLOOR(a) (sizeof(a) / sizeof((a)[0]))

static int
ctr_in_floor(const char *p, const char *const *floor, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(p, floor[i]))
			return 1;
	return 0;
}

/*
 * The target is opened beneath the new root with no symlink on its path:
 * a mask must land exactly where it is named, never where a link the app
 * left in /etc or /var/lib points. A path the container lacks is skipped.
 */
static int
ctr_target(int root, const char *path, const char *what, struct kerr *e)
{
	int fd = ctr_open_at(root, path, CTR_NO_LINKS, what, e);

	if (fd < 0 && errno == ENOENT)
		return -2;
	return fd;
}

static int
ctr_readonly_path(int root, const char *path, struct kerr *e)
{
	int fd = ctr_target(root, path, "read-only path", e), rc;

	if (fd == -2)
		return 0;
	if (fd < 0)
		return -1;
	rc = ctr_bind_at(fd, fd, 1, MS_RDONLY, path, e);
	close(fd);
	return rc;
}

static int
ctr_mask_path(int root, int null, const char *path, struct kerr *e)
{
	int fd = ctr_target(root, path, "masked path", e), rc;
	struct stat st;

	if (fd == -2)
		return 0;
	if (fd < 0)
		return -1;
	if (fstat(fd, &st))
		rc = kerr_set(e, "mount", "masked path %s: %s", path,
			      kerr_strerror(errno));
	else if (S_ISDIR(st.st_mode))
		rc = ctr_mount_at("tmpfs", fd, "tmpfs", MS_RDONLY | MS_SAFE,
				  "size=0,mode=555", path, e);
	else
		rc = ctr_bind_at(null, fd, 0, 0, path, e);
	close(fd);
	return rc;
}

int
ctr_mount_paths(const struct ctr_spec *s, int root, struct kerr *e)
{
	const struct oci_config *cfg = s->cfg;
	int null, rc = 0;

	for (size_t i = 0; i < NFLOOR(ctr_readonly); i++)
		if (ctr_readonly_path(root, ctr_readonly[i], e))
			return -1;
	for (int i = 0; i < cfg->nreadonly; i++)
		if (!ctr_in_floor(cfg->readonly[i], ctr_readonly,
				  NFLOOR(ctr_readonly)) &&
		    ctr_readonly_path(root, cfg->readonly[i], e))
			return -1;
	null = ctr_open_at(root, "/dev/null", CTR_NO_LINKS, "", e);
	if (null < 0)
		return -1;
	for (size_t i = 0; !rc && i < NFLOOR(ctr_masked); i++)
		rc = ctr_mask_path(root, null, ctr_masked[i], e);
	for (int i = 0; !rc && i < cfg->nmasked; i++)
		if (!ctr_in_floor(cfg->masked[i], ctr_masked,
				  NFLOOR(ctr_masked)))
			rc = ctr_mask_path(root, null, cfg->masked[i], e);
	close(null);
	return rc;
}
