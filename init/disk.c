// SPDX-License-Identifier: MIT
/* Partitions found by GPT name on the block devices sysfs lists. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "init/dents.h"
#include "init/init.h"

/* From a uevent file: the value of KEY= into out. 1 if found. */
static int
uevent_get(const char *buf, const char *key, char *out, size_t cap)
{
	size_t klen = strlen(key);
	const char *p = buf;

	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		if (len > klen && !strncmp(p, key, klen) && p[klen] == '=') {
			size_t v = len - klen - 1;
			if (v >= cap)
				return 0;
			memcpy(out, p + klen + 1, v);
			out[v] = 0;
			return 1;
		}
		p += len + (nl ? 1 : 0);
	}
	return 0;
}

/*
 * One pass over /sys/class/block: partitions whose PARTNAME is one of
 * the board's names get a node /dev/keel/NAME (made here from the
 * device number, so there is no race with devtmpfs). MUST NOT allocate:
 * getdents64 into a stack buffer, not opendir.
 */
static unsigned
scan_block(void)
{
	char dents[4096], path[300], buf[1024], maj[16], min[16];
	char pname[BOARD_PARTNAME_MAX + 1];
	unsigned found = 0;
	int dfd = open("/sys/class/block", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	long n;

	if (dfd < 0)
		return 0;
	while ((n = dents_read(dfd, dents, sizeof(dents))) > 0) {
		const char *name;
		unsigned char type;
		long off = 0;

		while (dents_next(dents, n, &off, &name, &type)) {
			int fd;
			ssize_t r;

			if (name[0] == '.')
				continue;
			snprintf(path, sizeof(path),
				 "/sys/class/block/%s/uevent", name);
			fd = open(path, O_RDONLY | O_CLOEXEC);
			if (fd < 0)
				continue;
			r = read(fd, buf, sizeof(buf) - 1);
			close(fd);
			if (r <= 0)
				continue;
			buf[r] = 0;
			if (!uevent_get(buf, "PARTNAME", pname,
					sizeof(pname)) ||
			    !uevent_get(buf, "MAJOR", maj, sizeof(maj)) ||
			    !uevent_get(buf, "MINOR", min, sizeof(min)))
				continue;
			for (unsigned p = 0; p < BOARD_NPART; p++) {
				if (g.dev[p][0] ||
				    strcmp(g.board.part[p].name, pname))
					continue;
				snprintf(g.dev[p], sizeof(g.dev[p]),
					 DEV_DIR "/%s", pname);
				sys->unlink(g.dev[p]);
				if (sys->mknod(
					g.dev[p], S_IFBLK | 0600,
					makedev(strtoul(maj, NULL, 10),
						strtoul(min, NULL, 10))) < 0) {
					klog("disk: mknod %s: %s", g.dev[p],
					     strerror(errno));
					g.dev[p][0] = 0;
					continue;
				}
				found++;
			}
		}
	}
	close(dfd);
	return found;
}

int
disk_find_partitions(void)
{
	uint64_t deadline = clock_us() + (uint64_t)g.board.disk_wait_ms * 1000;
	unsigned want = 0, have = 0;

	for (unsigned p = 0; p < BOARD_NPART; p++) {
		const char *name = g.board.part[p].name;
		if (!name[0])
			continue;
		want++;
		if (name[0] == '/') { /* a device path given by the board */
			snprintf(g.dev[p], sizeof(g.dev[p]), "%s", name);
			have++;
		}
	}
	while (have < want) {
		have += scan_block();
		if (have >= want || clock_us() >= deadline)
			break;
		poll(NULL, 0, INIT_DISK_POLL_MS);
	}
	for (unsigned p = 0; p < BOARD_NPART; p++)
		if (g.board.part[p].name[0])
			klog("disk: %s %s %s", board_part_role(p),
			     g.board.part[p].name,
			     g.dev[p][0] ? g.dev[p] : "NOT FOUND");
	return have == want ? 0 : -1;
}
