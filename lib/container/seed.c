// SPDX-License-Identifier: MIT
/* /var/lib seeded from the image's /var/lib: copy, never follow, never
 * overwrite. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "lib/container/seed.h"

/* The kernel's struct linux_dirent64: ino(8) off(8) reclen(2) type(1) */
#define SEED_DENT_RECLEN 16
#define SEED_DENT_NAME 19
/* A file being copied, renamed to its name once whole */
#define SEED_TMP ".keel-seed.tmp"
#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE 1 /* renameat2: fail if the target exists */
#endif

static int
skip_name(const char *n)
{
	return !strcmp(n, ".") || !strcmp(n, "..");
}

/* 1 if dir holds no entry but lost+found and .keel-var (keel's own),
 * 0 if it holds one, -1 on error. */
static int
dir_empty(int dir)
{
	char buf[1024];
	int fd = openat(dir, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	long n, off;

	if (fd < 0)
		return -1;
	while ((n = syscall(SYS_getdents64, fd, buf, sizeof(buf))) > 0)
		for (off = 0; off < n;) {
			unsigned short len;
			const char *name = buf + off + SEED_DENT_NAME;

			memcpy(&len, buf + off + SEED_DENT_RECLEN, 2);
			off += len;
			if (!skip_name(name) && strcmp(name, "lost+found") &&
			    strcmp(name, ".keel-var")) {
				close(fd);
				return 0;
			}
		}
	close(fd);
	return n < 0 ? -1 : 1;
}

static int
copy_file(int from, int to, const char *name, const struct stat *st,
	  struct kerr *e)
{
	char buf[4096];
	int in, out, rc = -1;
	ssize_t n;

	unlinkat(to, SEED_TMP, 0); /* a copy a power cut interrupted */
	in = openat(from, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (in < 0)
		return kerr_set(e, "seed", "%s: %s", name,
				kerr_strerror(errno));
	out =
	    openat(to, SEED_TMP,
		   O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (out < 0) {
		close(in);
		return kerr_set(e, "seed", "%s: %s", name,
				kerr_strerror(errno));
	}
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, (size_t)n) != n)
			break;
	/* owners as in the image where they map (not in a user namespace
	 * whose map lacks them: the file stays the copier's) */
	if (n == 0)
		fchown(out, st->st_uid, st->st_gid);
	if (n == 0 && fchmod(out, st->st_mode & 07777) == 0 &&
	    fsync(out) == 0 &&
	    syscall(SYS_renameat2, to, SEED_TMP, to, name, RENAME_NOREPLACE) ==
		0)
		rc = 0;
	else
		kerr_set(e, "seed", "%s: %s", name, kerr_strerror(errno));
	if (rc)
		unlinkat(to, SEED_TMP, 0);
	close(in);
	close(out);
	return rc;
}

static int seed_dir(int from, int to, int depth, struct seed_stats *st,
		    struct kerr *e);

/* One entry of from, made in to unless a name is there already. */
static int
seed_entry(int from, int to, const char *name, int depth, struct seed_stats *st,
	   struct kerr *e)
{
	struct stat s, t;
	char link[PATH_MAX];
	int made = 0;
	ssize_t n;

	if (fstatat(from, name, &s, AT_SYMLINK_NOFOLLOW) < 0)
		return kerr_set(e, "seed", "%s: %s", name,
				kerr_strerror(errno));
	if (fstatat(to, name, &t, AT_SYMLINK_NOFOLLOW) == 0) {
		st->kept++;
		if (!S_ISDIR(s.st_mode) || !S_ISDIR(t.st_mode))
			return 0;
	} else if (S_ISDIR(s.st_mode)) {
		if (depth >= SEED_MAX_DEPTH) {
			st->skipped++;
			return 0;
		}
		if (mkdirat(to, name, 0700) < 0)
			return kerr_set(e, "seed", "%s: %s", name,
					kerr_strerror(errno));
		fchownat(to, name, s.st_uid, s.st_gid, AT_SYMLINK_NOFOLLOW);
		st->copied++;
		made = 1;
	} else if (S_ISREG(s.st_mode)) {
		if (copy_file(from, to, name, &s, e))
			return -1;
		st->copied++;
		return 0;
	} else if (S_ISLNK(s.st_mode)) {
		n = readlinkat(from, name, link, sizeof(link) - 1);
		if (n < 0)
			return kerr_set(e, "seed", "%s: %s", name,
					kerr_strerror(errno));
		link[n] = 0;
		if (symlinkat(link, to, name) < 0)
			return kerr_set(e, "seed", "%s: %s", name,
					kerr_strerror(errno));
		fchownat(to, name, s.st_uid, s.st_gid, AT_SYMLINK_NOFOLLOW);
		st->copied++;
		return 0;
	} else {
		st->skipped++;
		return 0;
	}
	/* A directory: descend without following a link on either side. */
	{
		int f = openat(from, name,
			       O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		int d = openat(to, name,
			       O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		int rc = f < 0 || d < 0 ? kerr_set(e, "seed", "%s: %s", name,
						   kerr_strerror(errno))
					: seed_dir(f, d, depth + 1, st, e);

		/* mode last: a read-only directory is filled first */
		if (!rc && made && fchmod(d, s.st_mode & 07777) < 0)
			rc = kerr_set(e, "seed", "%s: %s", name,
				      kerr_strerror(errno));
		if (f >= 0)
			close(f);
		if (d >= 0)
			close(d);
		return rc;
	}
}

static int
seed_dir(int from, int to, int depth, struct seed_stats *st, struct kerr *e)
{
	char buf[1024];
	long n, off;

	while ((n = syscall(SYS_getdents64, from, buf, sizeof(buf))) > 0)
		for (off = 0; off < n;) {
			unsigned short len;
			const char *name = buf + off + SEED_DENT_NAME;

			memcpy(&len, buf + off + SEED_DENT_RECLEN, 2);
			off += len;
			if (skip_name(name) || !strcmp(name, SEED_TMP))
				continue;
			if (seed_entry(from, to, name, depth, st, e))
				return -1;
		}
	return n < 0 ? kerr_set(e, "seed", "read a directory: %s",
				kerr_strerror(errno))
		     : 0;
}

int
seed_tree(int from_dir, int to_dir, struct seed_stats *st, struct kerr *e)
{
	struct stat m;
	int empty, fd, rc;

	memset(st, 0, sizeof(*st));
	if (fstatat(to_dir, SEED_MARKER, &m, AT_SYMLINK_NOFOLLOW) < 0) {
		empty = dir_empty(to_dir);
		if (empty < 0)
			return kerr_set(e, "seed", "%s", kerr_strerror(errno));
		if (!empty)
			return 0; /* the app's data: never touched */
		/* Nothing to copy: no marker, no sync (every start of an
		 * image without a /var/lib of its own passes here). */
		empty = dir_empty(from_dir);
		if (empty < 0)
			return kerr_set(e, "seed", "the image's /var/lib: %s",
					kerr_strerror(errno));
		if (empty)
			return 0;
		fd = openat(
		    to_dir, SEED_MARKER,
		    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd < 0 || fsync(fd) < 0 || fsync(to_dir) < 0) {
			if (fd >= 0)
				close(fd);
			return kerr_set(e, "seed", SEED_MARKER ": %s",
					kerr_strerror(errno));
		}
		close(fd);
	}
	fd = openat(from_dir, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return kerr_set(e, "seed", "the image's /var/lib: %s",
				kerr_strerror(errno));
	rc = seed_dir(fd, to_dir, 0, st, e);
	close(fd);
	if (rc)
		return -1;
	syncfs(to_dir);
	if (unlinkat(to_dir, SEED_MARKER, 0) < 0 || fsync(to_dir) < 0)
		return kerr_set(e, "seed", SEED_MARKER ": %s",
				kerr_strerror(errno));
	return 0;
}
