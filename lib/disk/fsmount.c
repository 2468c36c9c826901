// SPDX-License-Identifier: MIT
/* A filesystem mounted nowhere: fsopen(2), fsconfig(2), fsmount(2). */
#define _GNU_SOURCE
#include <sys/syscall.h>
#include <unistd.h>

#include "compat/linux_mount.h"
#include "lib/disk/fsmount.h"

int
fs_detached(const char *type, const char *const *opt, unsigned attrs)
{
	int fs = (int)syscall(SYS_fsopen, type, KEEL_FSOPEN_CLOEXEC);
	int fd = -1;

	if (fs < 0)
		return -1;
	for (; opt && opt[0]; opt += 2)
		if (syscall(SYS_fsconfig, fs,
			    opt[1] ? KEEL_FSCONFIG_SET_STRING
				   : KEEL_FSCONFIG_SET_FLAG,
			    opt[0], opt[1], 0))
			goto out;
	if (!syscall(SYS_fsconfig, fs, KEEL_FSCONFIG_CMD_CREATE, NULL, NULL, 0))
		fd = (int)syscall(SYS_fsmount, fs, KEEL_FSMOUNT_CLOEXEC, attrs);
out:
	close(fs); /* keeps errno: it does not fail here */
	return fd;
}
