// SPDX-License-Identifier: MIT
/* Persistent partitions by generation: factory reset, old trees removed. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "init/dents.h"
#include "init/init.h"
#include "lib/base/fmt.h"
#include "lib/base/text.h"

/*
 * The root of a persistent partition is keel-init's; the app sees one
 * directory below it (docs/FORMAT.md §5):
 *   .keel-gen-N     the live tree, N the highest generation present
 *   .keel-trash-N   trees being removed, never mounted again
 *   .keel-migrating the app's tree of the old layout, being moved
 *   lost+found
 * A factory reset makes generation N+1 (that mkdir, synced, is the
 * switch) and renames N to trash: complete by construction, whatever
 * the old tree holds. keel-init's saved logs (.keel-init/log: they hold
 * the app's output) go to trash with it. Other names
 * starting ".keel-" are keel-init's too (left alone here). Anything else at the
 * root is the old layout (the app's tree was the root itself) and becomes
 * generation 1.
 */
#define KEEL_PREFIX ".keel-" /* the root's names that are keel-init's */
#define GEN ".keel-gen-"
#define TRASH ".keel-trash-"
#define MIGRATING ".keel-migrating"
#define RM_NAME ".keel-rm" /* the directory being emptied, in its parent */
#define OWN_LOGS ".keel-init/log" /* keel-init's saved logs */

#define FS_IOC_GETFLAGS _IOR('f', 1, long)
#define FS_IOC_SETFLAGS _IOW('f', 2, long)
#define FS_IMMUTABLE_FL 0x10
#define FS_APPEND_FL 0x20

static pid_t collector = -1;

/* "PREFIXnumber" -> number; -1 for any other name. */
static long long
numbered(const char *name, const char *prefix)
{
	size_t n = strlen(prefix);
	uint64_t v = 0;

	if (strncmp(name, prefix, n) ||
	    text_u64(name + n, strlen(name + n), &v) < 0 || v >= 1ull << 62)
		return -1;
	return (long long)v;
}

/* What the root holds. */
struct root_scan {
	long long gen, trash; /* highest of each, -1 for none */
	unsigned legacy;      /* entries of the old layout */
	int migrating;
};

static int
scan_root(int root, struct root_scan *r)
{
	char buf[2048];
	const char *name;
	unsigned char type;
	long n;

	memset(r, 0, sizeof(*r));
	r->gen = r->trash = -1;
	lseek(root, 0, SEEK_SET);
	while ((n = dents_read(root, buf, sizeof(buf))) > 0) {
		long off = 0;
		while (dents_next(buf, n, &off, &name, &type)) {
			long long v;
			if (!strcmp(name, ".") || !strcmp(name, "..") ||
			    !strcmp(name, "lost+found"))
				continue;
			if ((v = numbered(name, GEN)) >= 0) {
				if (v > r->gen)
					r->gen = v;
			} else if ((v = numbered(name, TRASH)) >= 0) {
				if (v > r->trash)
					r->trash = v;
			} else if (!strcmp(name, MIGRATING)) {
				r->migrating = 1;
			} else if (strncmp(name, KEEL_PREFIX,
					   sizeof(KEEL_PREFIX) - 1)) {
				r->legacy++;
			}
		}
	}
	return n < 0 ? -1 : 0;
}

/*
 * An entry of the old layout (what move_legacy moves): anything but
 * lost+found and keel's own names (".keel-" and more: generations, trash,
 * and whatever else keel-init keeps at the root, never the app's).
 */
static int
legacy(const char *name, const char *into, int with_migrating)
{
	return strcmp(name, ".") && strcmp(name, "..") &&
	       strcmp(name, "lost+found") && strcmp(name, into) &&
	       (strncmp(name, KEEL_PREFIX, sizeof(KEEL_PREFIX) - 1) ||
		(with_migrating && !strcmp(name, MIGRATING)));
}

/*
 * Moves every entry of the old layout (and the migrating directory too
 * when into is a trash tree) from root into the directory into. One entry
 * per rename, so a power cut leaves each entry in one place, and running
 * it again finishes the move. Passes until one moves nothing: entries
 * renamed away while the directory is read may hide others.
 */
static int
move_legacy(int root, const char *into, int with_migrating)
{
	char buf[2048];
	const char *name;
	unsigned char type;
	int moved = 1, d;
	long n = 0;

	d = openat(root, into, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (d < 0)
		return -1;
	while (moved && n >= 0) {
		moved = 0;
		lseek(root, 0, SEEK_SET);
		while ((n = dents_read(root, buf, sizeof(buf))) > 0) {
			long off = 0;
			while (dents_next(buf, n, &off, &name, &type)) {
				if (!legacy(name, into, with_migrating))
					continue;
				if (renameat(root, name, d, name) < 0) {
					close(d);
					return -1;
				}
				moved = 1;
			}
		}
	}
	close(d);
	return n < 0 ? -1 : 0;
}

static int
make_dir(int root, const char *name, mode_t mode)
{
	if (mkdirat(root, name, mode) < 0 && errno != EEXIST)
		return -1;
	return 0;
}

/* Generations below keep: renamed to trash (a cut reset left them). */
static int
retire_old(int root, long long keep, long long *trash)
{
	char buf[2048], to[48];
	const char *name;
	unsigned char type;
	int again = 1;
	long n;

	while (again) {
		again = 0;
		lseek(root, 0, SEEK_SET);
		while ((n = dents_read(root, buf, sizeof(buf))) > 0) {
			long off = 0;
			while (dents_next(buf, n, &off, &name, &type)) {
				long long v = numbered(name, GEN);
				if (v < 0 || v >= keep)
					continue;
				fmt_sn(to, sizeof(to), TRASH "%lld", ++*trash);
				if (renameat(root, name, root, to) < 0)
					return -1;
				again = 1;
				break;
			}
			if (again)
				break;
		}
	}
	return 0;
}

/*
 * The old layout: the app's tree moves into generation 1, through the
 * migrating directory (renamed last, so a cut move resumes), keeping the
 * root's owner and mode. With a reset pending it goes to trash instead.
 */
static int
migrate(int root, const struct root_scan *r, int reset)
{
	char to[48];
	struct stat st;

	if (reset) {
		fmt_sn(to, sizeof(to), TRASH "%lld", r->trash + 1);
		/* (the caller counts this trash tree in r->trash) */
		if (make_dir(root, to, 0700) < 0 ||
		    move_legacy(root, to, 1) < 0)
			return -1;
		return 0;
	}
	if (make_dir(root, MIGRATING, 0755) < 0 || fstat(root, &st) < 0)
		return -1;
	fchownat(root, MIGRATING, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW);
	/* fchmodat with no flags, without libc's code for the flag */
	syscall(SYS_fchmodat, root, MIGRATING, st.st_mode & 07777);
	if (move_legacy(root, MIGRATING, 0) < 0 || fsync(root) < 0 ||
	    renameat(root, MIGRATING, root, GEN "1") < 0)
		return -1;
	return 0;
}

int
reset_prepare(const char *dir, int rw, int reset, char *live, size_t cap)
{
	struct root_scan r;
	struct stat st;
	long long gen, trash;
	char name[48];
	int dirty = 0; /* the root changed since its last fsync */
	int root = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (root < 0 || scan_root(root, &r) < 0)
		goto fail;
	gen = r.gen;
	if (!rw) { /* read-only: what is there, as it is */
		if (gen >= 0)
			fmt_sn(live, cap, "%s/" GEN "%lld", dir, gen);
		else
			fmt_sn(live, cap, "%s", dir);
		close(root);
		return 0;
	}
	if (gen < 0 && (r.legacy || r.migrating)) {
		if (migrate(root, &r, reset) < 0)
			goto fail;
		dirty = 1;
		klog("%s: the old layout %s", dir,
		     reset ? "moved to trash (factory reset)"
			   : "moved into " GEN "1");
		if (reset) /* a fresh generation 1 below */
			r.trash++, reset = 0;
		else
			gen = 1;
	}
	/* The saved logs hold the app's output: a reset removes them too
	 * (the saved clock stays). */
	if (reset && fstatat(root, OWN_LOGS, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		fmt_sn(name, sizeof(name), TRASH "%lld", ++r.trash);
		if (renameat(root, OWN_LOGS, root, name) < 0)
			goto fail;
		dirty = 1;
	}
	if (gen < 0 || reset) {
		/* The switch: a fresh, empty generation above every other. */
		fmt_sn(name, sizeof(name), GEN "%lld", gen < 0 ? 1 : gen + 1);
		if (make_dir(root, name, 0755) < 0 || fsync(root) < 0)
			goto fail;
		gen = gen < 0 ? 1 : gen + 1;
		dirty = 0;
	}
	trash = r.trash;
	if (retire_old(root, gen, &r.trash) < 0)
		goto fail;
	/* Synced when something at the root changed: on a boot that changed
	 * nothing, a directory's fsync still flushes the device's cache. */
	if ((dirty || r.trash != trash) && fsync(root) < 0)
		goto fail;
	fmt_sn(live, cap, "%s/" GEN "%lld", dir, gen);
	close(root);
	return r.trash >= 0;
fail:
	klog("%s: the partition's layout: %s", dir, kerr_strerror(errno));
	if (root >= 0)
		close(root);
	return -1;
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
 * 1 with RM_NAME naming a non-empty directory to descend into, 0 when d
 * is empty, -1 on an error. A non-empty directory is renamed RM_NAME in
 * its parent first, so the way back up needs no name: "..", then remove
 * RM_NAME.
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
			if (strcmp(name, RM_NAME) &&
			    renameat(d, name, d, RM_NAME) < 0)
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
			next = openat(d, RM_NAME,
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
			if (next >= 0 && remove_entry(next, RM_NAME, 1) < 0) {
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

/* In the child: every trash tree of dir. */
static int
collect_dir(const char *dir)
{
	char buf[2048], name[48];
	int root = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), found = 1;

	if (root < 0)
		return -1;
	while (found) {
		const char *n0;
		unsigned char type;
		long n, off = 0;

		found = 0;
		lseek(root, 0, SEEK_SET);
		n = dents_read(root, buf, sizeof(buf));
		while (n > 0 && !found && dents_next(buf, n, &off, &n0, &type))
			if (numbered(n0, TRASH) >= 0) {
				fmt_sn(name, sizeof(name), "%s", n0);
				found = 1;
			}
		if (!found)
			break;
		int t = openat(root, name,
			       O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (t < 0 || remove_tree(t) < 0 ||
		    remove_entry(root, name, 1) < 0 || fsync(root) < 0) {
			if (t >= 0)
				close(t);
			close(root);
			return -1;
		}
		close(t);
	}
	close(root);
	return 0;
}

/*
 * Removes the trash trees of the partitions in a child of PID 1, so the
 * main loop never waits on it; a removal cut short (a shutdown) goes on at
 * the next boot. The child says why it failed; its end is told by PID 1
 * (reset_child_exited), whose lines reach the ring and the saved log.
 */
void
reset_collect(const char *const *dirs, int n)
{
	pid_t pid = _Fork(); /* fork without threads: see agent.c */

	if (pid != 0) {
		if (pid > 0)
			collector = pid;
		return;
	}
	int rc = 0;

	for (int i = 0; i < n; i++)
		if (dirs[i] && collect_dir(dirs[i]) < 0) {
			klog("factory reset: removing old trees of %s: %s",
			     dirs[i], kerr_strerror(errno));
			rc = 1;
		}
	_exit(rc);
}

int
reset_collecting(void)
{
	return collector > 0;
}

int
reset_child_exited(pid_t pid, int st)
{
	if (pid != collector || pid <= 0)
		return 0;
	collector = -1;
	if (st)
		klog("factory reset: old trees not all removed (tried again "
		     "at the next boot)");
	else
		klog("factory reset: old trees removed");
	return 1;
}
