/* SPDX-License-Identifier: MIT */
/* Directory entries from getdents64 without opendir (which allocates). */
#ifndef KEEL_DENTS_H
#define KEEL_DENTS_H

#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

/* The kernel's struct linux_dirent64: ino(8) off(8) reclen(2) type(1) name */
#define DENT_RECLEN 16
#define DENT_TYPE 18
#define DENT_NAME 19
#define DENT_DIR 4 /* DT_DIR */

/* Fills buf from dirfd: bytes read, 0 at the end, -1 on error. */
static inline long
dents_read(int dirfd, char *buf, size_t cap)
{
	return syscall(SYS_getdents64, dirfd, buf, cap);
}

/*
 * The entry at *off of n bytes: its name and type; advances *off.
 * 0 when the buffer is used up.
 */
static inline int
dents_next(const char *buf, long n, long *off, const char **name,
	   unsigned char *type)
{
	unsigned short reclen;

	if (*off >= n)
		return 0;
	memcpy(&reclen, buf + *off + DENT_RECLEN, sizeof(reclen));
	*name = buf + *off + DENT_NAME;
	*type = (unsigned char)buf[*off + DENT_TYPE];
	*off += reclen;
	return 1;
}

#endif
