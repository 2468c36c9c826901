/* SPDX-License-Identifier: MIT */
/* Read-only loop devices over a slot image file. */
#ifndef KEEL_LOOP_H
#define KEEL_LOOP_H

#include <stdint.h>

#include "lib/base/err.h"

struct loop_dev {
	int fd;	       /* open on the device, O_RDONLY|O_CLOEXEC; -1 if none */
	int nr;	       /* N of /dev/loopN */
	char path[24]; /* "/dev/loopN" */
};

/*
 * Attaches file_fd to a free loop device: offset 0, sizelimit bytes
 * visible (the filesystem only; the hash tree and header stay hidden),
 * read-only and autoclear (the kernel detaches the device when its last
 * user, the mount or ld->fd, goes away). 0 or -1.
 */
int loop_attach(int file_fd, uint64_t sizelimit, struct loop_dev *ld,
		struct kerr *e);

/*
 * Lets go of the device: with detach, clears it now (a failure half-way,
 * before anything was mounted from it); else only closes ld->fd and lets
 * autoclear detach it when its mount goes. Never fails.
 */
void loop_release(struct loop_dev *ld, int detach);

#endif
