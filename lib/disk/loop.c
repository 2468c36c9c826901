// SPDX-License-Identifier: MIT
/* Read-only loop devices over a slot image file. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "compat/linux_loop.h"
#include "lib/base/fmt.h"
#include "lib/disk/loop.h"

#define LOOP_TRIES 16 /* another process may take the free device first */

static int
loop_open_free(struct loop_dev *ld, struct kerr *e)
{
	int ctl, nr;

	ctl = open("/dev/loop-control", O_RDWR | O_CLOEXEC);
	if (ctl < 0)
		return kerr_set(e, "loop", "/dev/loop-control: %s",
				kerr_strerror(errno));
	nr = ioctl(ctl, LOOP_CTL_GET_FREE);
	if (nr < 0) {
		int err = errno;
		close(ctl);
		return kerr_set(e, "loop", "no free loop device: %s",
				kerr_strerror(err));
	}
	close(ctl);
	ld->nr = nr;
	fmt_sn(ld->path, sizeof(ld->path), "/dev/loop%d", nr);
	ld->fd = open(ld->path, O_RDONLY | O_CLOEXEC);
	if (ld->fd < 0)
		return kerr_set(e, "loop", "%s: %s", ld->path,
				kerr_strerror(errno));
	return 0;
}

/* Older kernels (< 5.8): two steps, with a window a racer may use. */
static int
loop_set_fd(struct loop_dev *ld, int file_fd, const struct loop_info64 *info)
{
	if (ioctl(ld->fd, LOOP_SET_FD, file_fd))
		return -1;
	if (ioctl(ld->fd, LOOP_SET_STATUS64, info)) {
		int err = errno;
		ioctl(ld->fd, LOOP_CLR_FD, 0);
		errno = err;
		return -1;
	}
	return 0;
}

int
loop_attach(int file_fd, uint64_t sizelimit, struct loop_dev *ld,
	    struct kerr *e)
{
	struct loop_config lc;
	int err = 0;

	memset(&lc, 0, sizeof(lc));
	lc.fd = (uint32_t)file_fd;
	lc.info.lo_offset = 0;
	lc.info.lo_sizelimit = sizelimit;
	lc.info.lo_flags = LO_FLAGS_READ_ONLY | LO_FLAGS_AUTOCLEAR;
	ld->fd = -1;
	for (int i = 0; i < LOOP_TRIES; i++) {
		if (loop_open_free(ld, e))
			return -1;
		if (!ioctl(ld->fd, LOOP_CONFIGURE, &lc))
			return 0;
		err = errno;
		if (err == EINVAL || err == ENOTTY) {
			if (!loop_set_fd(ld, file_fd, &lc.info))
				return 0;
			err = errno;
		}
		close(ld->fd);
		ld->fd = -1;
		if (err != EBUSY)
			break;
	}
	return kerr_set(e, "loop", "attach to %s: %s", ld->path,
			kerr_strerror(err));
}

void
loop_release(struct loop_dev *ld, int detach)
{
	if (ld->fd < 0)
		return;
	if (detach)
		ioctl(ld->fd, LOOP_CLR_FD, 0);
	close(ld->fd);
	ld->fd = -1;
}
