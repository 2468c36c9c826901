// SPDX-License-Identifier: MIT
/* Partitions found by GPT name on the block devices sysfs lists. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "init/dents.h"
#include "init/init.h"
#include "lib/base/fmt.h"
#include "lib/base/text.h"

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

/* What the scans saw of each role: the partition and the disk it is on. */
static dev_t part_devt[BOARD_NPART], disk_devt[BOARD_NPART];
static char part_kname[BOARD_NPART][32];
static char conflict[200]; /* the first reason to refuse, or "" */

/* A device number from its two decimal parts (text_u64: strict). */
static int
devt_parse(const char *ma, size_t nma, const char *mi, size_t nmi, dev_t *out)
{
	uint64_t a, b;

	if (text_u64(ma, nma, &a) < 0 || text_u64(mi, nmi, &b) < 0 ||
	    a > UINT32_MAX || b > UINT32_MAX)
		return -1;
	*out = makedev((unsigned)a, (unsigned)b);
	return 0;
}

/* MAJOR:MINOR of a sysfs dev file (relative to /sys/class/block). */
static int
read_devt(const char *path, dev_t *out)
{
	char buf[32], *colon;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t r;

	if (fd < 0)
		return -1;
	r = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (r <= 0)
		return -1;
	/* "MAJOR:MINOR\n" */
	if (buf[r - 1] == '\n')
		r--;
	colon = memchr(buf, ':', (size_t)r);
	if (!colon)
		return -1;
	return devt_parse(buf, (size_t)(colon - buf), colon + 1,
			  (size_t)(buf + r - colon - 1), out);
}

/* Block device kname has the GPT name pname: note it for role p. */
static int
take(unsigned p, const char *kname, const char *maj, const char *min)
{
	char path[300];
	dev_t devt, disk = 0;

	if (devt_parse(maj, strlen(maj), min, strlen(min), &devt) < 0)
		return 0;

	if (part_devt[p]) {
		if (part_devt[p] != devt && !conflict[0])
			fmt_sn(conflict, sizeof(conflict),
			       "partition name %s found twice: on %s and "
			       "on %s",
			       g.board.part[p].name, part_kname[p], kname);
		return 0;
	}
	/* A partition's parent directory in sysfs is its disk. */
	fmt_sn(path, sizeof(path), "/sys/class/block/%s/../dev", kname);
	if (read_devt(path, &disk) < 0)
		disk = 0;
	fmt_sn(g.dev[p], sizeof(g.dev[p]), DEV_DIR "/%s", g.board.part[p].name);
	sys->unlink(g.dev[p]);
	if (sys->mknod(g.dev[p], S_IFBLK | 0600, devt) < 0) {
		klog("disk: mknod %s: %s", g.dev[p], kerr_strerror(errno));
		g.dev[p][0] = 0;
		return 0;
	}
	part_devt[p] = devt;
	disk_devt[p] = disk;
	fmt_sn(part_kname[p], sizeof(part_kname[p]), "%s", kname);
	return 1;
}

/*
 * One pass over /sys/class/block: partitions whose PARTNAME is one of
 * the board's names get a node /dev/keel/NAME (made here from the
 * device number, so there is no race with devtmpfs); a name seen on two
 * devices is a conflict. MUST NOT allocate: getdents64 into a stack
 * buffer, not opendir.
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
			fmt_sn(path, sizeof(path), "/sys/class/block/%s/uevent",
			       name);
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
			for (unsigned p = 0; p < BOARD_NPART; p++)
				if (!strcmp(g.board.part[p].name, pname))
					found += take(p, name, maj, min);
		}
	}
	close(dfd);
	return found;
}

/* All partitions found by name must sit on one disk. */
static void
check_one_disk(void)
{
	int first = -1;

	for (unsigned p = 0; p < BOARD_NPART && !conflict[0]; p++) {
		if (!part_devt[p])
			continue;
		if (first < 0) {
			first = (int)p;
		} else if (disk_devt[p] != disk_devt[first] || !disk_devt[p]) {
			fmt_sn(conflict, sizeof(conflict),
			       "%s is on %s, %s on %s: not one disk",
			       g.board.part[p].name, part_kname[p],
			       g.board.part[first].name, part_kname[first]);
		}
	}
}

int
disk_find_partitions(char *why, size_t cap)
{
	uint64_t deadline = clock_us() + (uint64_t)g.board.disk_wait_ms * 1000;
	unsigned want = 0, have = 0, paths;

	for (unsigned p = 0; p < BOARD_NPART; p++) {
		const char *name = g.board.part[p].name;
		if (!name[0])
			continue;
		want++;
		if (name[0] == '/') { /* a device path given by the board */
			fmt_sn(g.dev[p], sizeof(g.dev[p]), "%s", name);
			have++;
		}
	}
	paths = have;
	while (have < want && !conflict[0]) {
		have += scan_block();
		if (have >= want || clock_us() >= deadline)
			break;
		poll(NULL, 0, INIT_DISK_POLL_MS);
	}
	/* Once more over every device: a name found twice is refused.
	 * Nothing to do when the board names every partition by its path
	 * (--test's files): no name to find. */
	if (want > paths) {
		scan_block();
		check_one_disk();
	}
	for (unsigned p = 0; p < BOARD_NPART; p++)
		if (g.board.part[p].name[0])
			klog("disk: %s %s %s%s%s", board_part_role(p),
			     g.board.part[p].name,
			     g.dev[p][0] ? g.dev[p] : "NOT FOUND",
			     part_kname[p][0] ? " on " : "", part_kname[p]);
	if (conflict[0]) {
		fmt_sn(why, cap, "%s: refusing to boot", conflict);
		return -2;
	}
	return have == want ? 0 : -1;
}

/*
 * Whether the etc or var partition shows that the device has booted
 * before (the state record cannot say so when it is lost): an ext4
 * file system that was mounted read-write (its superblock's mount
 * count), or, in --test, a directory holding anything. 1 and what, or 0.
 */
int
disk_used_before(char *what, size_t cap)
{
	static const unsigned roles[] = {BOARD_PART_VAR, BOARD_PART_ETC};

	for (unsigned i = 0; i < 2; i++) {
		const char *dev = g.dev[roles[i]];
		unsigned char sb[64];
		struct stat st;
		int fd;

		if (!dev[0] || stat(dev, &st) < 0)
			continue;
		fd = open(dev, O_RDONLY | O_CLOEXEC |
				   (S_ISDIR(st.st_mode) ? O_DIRECTORY : 0));
		if (fd < 0)
			continue;
		if (S_ISDIR(st.st_mode)) {
			char buf[1024];
			const char *name;
			unsigned char type;
			long n = dents_read(fd, buf, sizeof(buf)), off = 0;
			int any = 0;

			while (n > 0 && dents_next(buf, n, &off, &name, &type))
				any |= strcmp(name, ".") &&
				       strcmp(name, "..") &&
				       strcmp(name, "lost+found");
			close(fd);
			if (any) {
				fmt_sn(what, cap, "%s holds files", dev);
				return 1;
			}
			continue;
		}
		/* ext4 superblock at 1024: s_mnt_count at 0x34, magic 0x38 */
		if (pread(fd, sb, sizeof(sb), 1024) == (ssize_t)sizeof(sb) &&
		    sb[0x38] == 0x53 && sb[0x39] == 0xef &&
		    (sb[0x34] | sb[0x35] << 8)) {
			fmt_sn(what, cap, "%s was mounted %u times",
			       g.board.part[roles[i]].name,
			       sb[0x34] | sb[0x35] << 8);
			close(fd);
			return 1;
		}
		close(fd);
	}
	return 0;
}
