// SPDX-License-Identifier: MIT
/* Persistent partitions by generation: factory reset, old trees removed. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "lib/base/dents.h"
#include "init/init.h"
#include "lib/base/fmt.h"
#include "lib/disk/trash.h"

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
#define MIGRATING ".keel-migrating"
#define OWN_LOGS ".keel-init/log" /* keel-init's saved logs */
#define TRASH_UID 64103		  /* and gid: keel trash's own */
#define TRASH_CAPS                                                             \
	(1ull << 1 | 1ull << 2 | 1ull << 3 | 1ull << 9) /* DAC_OVERRIDE,       \
		DAC_READ_SEARCH, FOWNER, LINUX_IMMUTABLE */

static const char *trash_dirs[2]; /* the roots keel trash empties */
static int ntrash_dirs;
static int collecting; /* 1 while keel trash runs */

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
			if ((v = trash_numbered(name, TRASH_GEN)) >= 0) {
				if (v > r->gen)
					r->gen = v;
			} else if ((v = trash_numbered(name, TRASH_PREFIX)) >=
				   0) {
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
				long long v = trash_numbered(name, TRASH_GEN);
				if (v < 0 || v >= keep)
					continue;
				fmt_sn(to, sizeof(to), TRASH_PREFIX "%lld",
				       ++*trash);
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
		fmt_sn(to, sizeof(to), TRASH_PREFIX "%lld", r->trash + 1);
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
	    renameat(root, MIGRATING, root, TRASH_GEN "1") < 0)
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
			fmt_sn(live, cap, "%s/" TRASH_GEN "%lld", dir, gen);
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
			   : "moved into " TRASH_GEN "1");
		if (reset) /* a fresh generation 1 below */
			r.trash++, reset = 0;
		else
			gen = 1;
	}
	/* The saved logs hold the app's output: a reset removes them too
	 * (the saved clock stays). */
	if (reset && fstatat(root, OWN_LOGS, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		fmt_sn(name, sizeof(name), TRASH_PREFIX "%lld", ++r.trash);
		if (renameat(root, OWN_LOGS, root, name) < 0)
			goto fail;
		dirty = 1;
	}
	if (gen < 0 || reset) {
		/* The switch: a fresh, empty generation above every other. */
		fmt_sn(name, sizeof(name), TRASH_GEN "%lld",
		       gen < 0 ? 1 : gen + 1);
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
	fmt_sn(live, cap, "%s/" TRASH_GEN "%lld", dir, gen);
	close(root);
	return r.trash >= 0;
fail:
	klog("%s: the partition's layout: %s", dir, kerr_strerror(errno));
	if (root >= 0)
		close(root);
	return -1;
}

/* keel trash's words: the roots whose old trees it removes. */
static int
trash_prepare(char **argv, int max, int *fds)
{
	int n = 0;

	for (int i = 0; i < ntrash_dirs && n < max; i++)
		argv[n++] = (char *)trash_dirs[i];
	return n;
}

/* keel trash says only why a removal failed; its end is told here, so
 * that the line is keel-init's, in the ring and the saved log (a
 * shutdown that stops it says so too). */
static void
trash_exited(int code)
{
	collecting = 0;
	if (code)
		klog("factory reset: old trees not all removed (tried again "
		     "at the next boot)");
	else
		klog("factory reset: old trees removed");
}

static const struct agent_def trash_agent = {
    .name = "trash", /* keel trash DIR... */
    .log_src = LOGRING_TRASH,
    .caps = TRASH_CAPS, /* the old trees are the app's, any owner, flags */
    .uid = TRASH_UID,
    .gid = TRASH_UID,
    .prepare = trash_prepare,
    .once = 1,
    .on_exit = trash_exited,
};

/*
 * Removes the trash trees of the partitions: `keel trash`, an agent run
 * once (docs/AGENTS.md), so that the main loop never waits on it and the
 * walk of the app's old trees runs outside PID 1; a removal cut short (a
 * shutdown) goes on at the next boot.
 */
void
reset_collect(const char *const *dirs, int n)
{
	ntrash_dirs = 0;
	for (int i = 0; i < n && i < 2; i++)
		if (dirs[i])
			trash_dirs[ntrash_dirs++] = dirs[i];
	collecting = agent_add(&trash_agent) == 0;
	if (!collecting)
		klog("factory reset: old trees not removed: keel trash does "
		     "not start (tried again at the next boot)");
}

int
reset_collecting(void)
{
	return collecting;
}
