// SPDX-License-Identifier: MIT
/* Factory reset: empty the /etc upper layer and /var/lib, on request only. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "init/dents.h"
#include "init/init.h"

/*
 * Removes everything below dirfd. Depth-bounded recursion over getdents64
 * into a stack buffer (MUST NOT allocate); a tree deeper than the bound
 * is left in part and reported. Returns the number of entries left.
 */
static unsigned
wipe(int dirfd, int depth)
{
	char buf[2048];
	unsigned left = 0, removed = 1;
	long n;

	/* Entries go from under the cursor: read from the top until a pass
	 * removes nothing. */
	while (removed && (n = dents_read(dirfd, buf, sizeof(buf))) > 0) {
		const char *name;
		unsigned char type;
		long off = 0;

		removed = 0;
		while (dents_next(buf, n, &off, &name, &type)) {
			if (!strcmp(name, ".") || !strcmp(name, ".."))
				continue;
			if (type == DENT_DIR) {
				int sub =
				    depth > 0
					? openat(dirfd, name,
						 O_RDONLY | O_DIRECTORY |
						     O_NOFOLLOW | O_CLOEXEC)
					: -1;
				if (sub >= 0) {
					left += wipe(sub, depth - 1);
					close(sub);
				}
				if (unlinkat(dirfd, name, AT_REMOVEDIR) < 0)
					left++;
				else
					removed++;
			} else if (unlinkat(dirfd, name, 0) < 0) {
				left++;
			} else {
				removed++;
			}
		}
		lseek(dirfd, 0, SEEK_SET);
	}
	return left;
}

/* Removes everything below dir; returns the number of entries left. */
unsigned
reset_wipe(const char *dir)
{
	unsigned left;
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0) {
		klog("factory reset: %s: %s", dir, strerror(errno));
		return 1;
	}
	left = wipe(fd, INIT_WIPE_DEPTH);
	close(fd);
	return left;
}
