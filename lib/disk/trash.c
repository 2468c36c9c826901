// SPDX-License-Identifier: MIT
/* A persistent partition's old trees: their names and their removal. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h> /* renameat */
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/base/dents.h"
#include "lib/base/fmt.h"
#include "lib/base/text.h"
#include "lib/disk/trash.h"

#define FS_IOC_GETFLAGS _IOR('f', 1, long)
#define FS_IOC_SETFLAGS _IOW('f', 2, long)
#define FS_IMMUTABLE_FL 0x10
#define FS_APPEND_FL 0x20

long long
trash_numbered(const char *name, const char *prefix)
{
	size_t n = strlen(prefix);
	uint64_t v = 0;

	if (strncmp(name, prefix, n) ||
	    text_u64(name + n, strlen(name + n), &v) < 0 || v >= 1ull << 62)
		return -1;
	return (long long)v;
}

/* Clears the immutable and append-only flags of fd (the app may set them
 * with CAP_LINUX_IMMUTABLE), so that what it made can be removed. */
static void
unpin(int fd)
{
	long f = 0;

	if (fd >= 0 && ioctl(fd, FS_IOC_GETFLAGS, &f) == 0 &&
	    (f & (FS_IMMUTABLE_FL | FS_APPEND_FL))) {
		f &= ~(long)(FS_IMMUTABLE_FL | FS_APPEND_FL);
		ioctl(fd, FS_IOC_SETFLAGS, &f);
	}
}

/* Removes the entry name of dir d (not a directory, or an empty one). */
static int
remove_entry(int d, const char *name, int isdir)
{
	int fd;

	if (unlinkat(d, name, isdir ? AT_REMOVEDIR : 0) == 0)
		return 0;
	if (errno != EPERM)
		return -1;
	unpin(d);
	fd = openat(d, name,
		    O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	unpin(fd);
	if (fd >= 0)
		close(fd);
	return unlinkat(d, name, isdir ? AT_REMOVEDIR : 0);
}

/*
 * One pass over d: every file goes, every empty directory goes. Returns
 * 1 with TRASH_RM_NAME naming a non-empty directory to descend into, 0 when d
 * is empty, -1 on an error. A non-empty directory is renamed TRASH_RM_NAME in
 * its parent first, so the way back up needs no name: "..", then remove
 * TRASH_RM_NAME.
 */
static int
empty_pass(int d)
{
	char buf[4096];
	const char *name;
	unsigned char type;
	long n;

	lseek(d, 0, SEEK_SET);
	while ((n = dents_read(d, buf, sizeof(buf))) > 0) {
		long off = 0;
		while (dents_next(buf, n, &off, &name, &type)) {
			struct stat st;
			int isdir = type == DENT_DIR;

			if (!strcmp(name, ".") || !strcmp(name, ".."))
				continue;
			if (type == 0) { /* DT_UNKNOWN */
				if (fstatat(d, name, &st, AT_SYMLINK_NOFOLLOW))
					return -1;
				isdir = S_ISDIR(st.st_mode);
			}
			if (remove_entry(d, name, isdir) == 0)
				continue;
			if (!isdir || (errno != ENOTEMPTY && errno != EEXIST))
				return -1;
			if (strcmp(name, TRASH_RM_NAME) &&
			    renameat(d, name, d, TRASH_RM_NAME) < 0)
				return -1;
			return 1;
		}
	}
	return n < 0 ? -1 : 0;
}

/*
 * Removes everything below top, at any depth and whatever the names,
 * holding two descriptors and no memory per level. Nothing but this
 * process touches a trash tree (the app never sees it). 0 or -1.
 */
static int
remove_tree(int top)
{
	int d = dup(top), depth = 0;

	while (d >= 0) {
		int r = empty_pass(d), next;

		if (r < 0)
			break;
		if (r == 1) {
			next = openat(d, TRASH_RM_NAME,
				      O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
					  O_CLOEXEC);
			depth++;
		} else if (depth == 0) {
			close(d);
			return 0;
		} else {
			next =
			    openat(d, "..", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
			depth--;
			if (next >= 0 &&
			    remove_entry(next, TRASH_RM_NAME, 1) < 0) {
				close(next);
				next = -1;
			}
		}
		close(d);
		d = next;
	}
	if (d >= 0)
		close(d);
	return -1;
}

int
trash_collect(int root)
{
	char buf[2048], name[48];
	int found = 1;

	while (found) {
		const char *n0;
		unsigned char type;
		long n, off = 0;

		found = 0;
		lseek(root, 0, SEEK_SET);
		n = dents_read(root, buf, sizeof(buf));
		while (n > 0 && !found && dents_next(buf, n, &off, &n0, &type))
			if (trash_numbered(n0, TRASH_PREFIX) >= 0) {
				fmt_sn(name, sizeof(name), "%s", n0);
				found = 1;
			}
		if (!found)
			break;
		int t = openat(root, name,
			       O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (t < 0 || remove_tree(t) < 0 ||
		    remove_entry(root, name, 1) < 0 || fsync(root) < 0) {
			int err = errno;

			if (t >= 0)
				close(t);
			errno = err;
			return -1;
		}
		close(t);
	}
	return 0;
}
