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

/* Called with the persistent partitions mounted, before the app starts. */
void
factory_reset(const char *etc, const char *var)
{
	const char *dirs[2] = {etc, var};

	for (int i = 0; i < 2; i++) {
		int fd;
		unsigned left;

		if (!dirs[i])
			continue;
		fd = open(dirs[i], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0) {
			klog("factory reset: %s: %s", dirs[i], strerror(errno));
			continue;
		}
		left = wipe(fd, INIT_WIPE_DEPTH);
		close(fd);
		klog("factory reset: %s emptied%s", dirs[i],
		     left ? " (some entries could not be removed)" : "");
	}
	sync();
	init_factory_reset_done();
}
