// SPDX-License-Identifier: MIT
/* The device's /etc and /var/lib partitions: mounted, never formatted. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "init/dents.h"
#include "init/init.h"

#define RENAME_NOREPLACE 1 /* renameat2: fail if the target exists */

/*
 * Mounts a persistent partition. A device is ext4 (a directory, in
 * --test, is bound). HAZARD: whatever happens, nothing here formats or
 * repairs the partition: data that cannot be mounted stays as it is.
 * Returns 1 read-write, 0 read-only (board policy), -1 not mounted.
 */
static int
mount_part(unsigned part, const char *dir)
{
	const unsigned long flags = MS_NOSUID | MS_NODEV | MS_NOATIME;
	const char *dev = g.dev[part];
	struct stat st;

	mkdir(dir, 0755);
	if (!dev[0]) {
		klog("%s: partition %s not found", dir,
		     g.board.part[part].name);
		return -1;
	}
	if (stat(dev, &st) == 0 && S_ISDIR(st.st_mode))
		return sys->mount(dev, dir, NULL, MS_BIND, NULL) < 0 ? -1 : 1;
	if (sys->mount(dev, dir, "ext4", flags, "errors=remount-ro") == 0)
		return 1;
	klog("%s: cannot mount %s as ext4: %s", dir, dev, strerror(errno));
	if (g.board.on_bad_persist == BOARD_PERSIST_READONLY &&
	    sys->mount(dev, dir, "ext4", flags | MS_RDONLY, "noload") == 0) {
		klog("%s: mounted READ-ONLY (board policy)", dir);
		return 0;
	}
	return -1;
}

/*
 * The var partition holds the app's /var/lib in app/ and keel-init's own
 * files in keel/ (its saved logs and clock), which the app never sees. A
 * partition from before this layout has the app's files at its top: each
 * moves into app/ with one rename, so a power cut leaves every file in
 * one place or the other, and the next boot finishes the move. MUST NOT
 * allocate: getdents64 into a stack buffer.
 */
static int
var_layout(void)
{
	char buf[2048], from[300], to[300];
	unsigned moved = 0;
	int dfd;
	long n;

	if ((mkdir(VAR_APP_DIR, 0755) < 0 && errno != EEXIST) ||
	    (mkdir(VAR_KEEL_DIR, 0700) < 0 && errno != EEXIST))
		return klog("%s: %s", VAR_DIR, strerror(errno)), -1;
	dfd = open(VAR_DIR, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return -1;
	/* Entries renamed away from under the cursor: read from the top
	 * until a pass moves nothing. */
	for (int pass = 0, more = 1; more && pass < 16; pass++) {
		more = 0;
		lseek(dfd, 0, SEEK_SET);
		while ((n = dents_read(dfd, buf, sizeof(buf))) > 0) {
			const char *name;
			unsigned char type;
			long off = 0;

			while (dents_next(buf, n, &off, &name, &type)) {
				if (!strcmp(name, ".") || !strcmp(name, "..") ||
				    !strcmp(name, "app") ||
				    !strcmp(name, "keel") ||
				    !strcmp(name, "lost+found"))
					continue;
				snprintf(from, sizeof(from), VAR_DIR "/%s",
					 name);
				snprintf(to, sizeof(to), VAR_APP_DIR "/%s",
					 name);
				if (syscall(SYS_renameat2, AT_FDCWD, from,
					    AT_FDCWD, to,
					    RENAME_NOREPLACE) == 0) {
					moved++;
					more = 1;
				} else if (pass == 0) {
					klog("%s: %s stays: %s", VAR_DIR, name,
					     strerror(errno));
				}
			}
		}
	}
	close(dfd);
	if (moved)
		klog("%s: %u entries moved into app/ (the app's /var/lib)",
		     VAR_DIR, moved);
	return 0;
}

/* Both partitions mounted read-write, before the app starts. keel-init's
 * own files on the var partition (keel/) stay. */
static void
factory_reset(void)
{
	static const char *const dirs[2] = {ETC_DIR, VAR_APP_DIR};

	for (int i = 0; i < 2; i++) {
		unsigned left = reset_wipe(dirs[i]);
		klog("factory reset: %s emptied%s", dirs[i],
		     left ? " (some entries could not be removed)" : "");
	}
	sync();
	ab_factory_reset_done();
}

void
persist_mount(void)
{
	int etc = mount_part(BOARD_PART_ETC, ETC_DIR);
	int var = mount_part(BOARD_PART_VAR, VAR_DIR);

	/* The overlay needs a writable upper layer and workdir. */
	if (etc == 1 && (mkdir(ETC_DIR "/upper", 0755) < 0 && errno != EEXIST))
		etc = -1;
	if (etc == 1 && (mkdir(ETC_DIR "/work", 0755) < 0 && errno != EEXIST))
		etc = -1;
	if (var == 1 && var_layout() < 0)
		var = -1;
	if (ab_factory_reset_pending()) {
		if (etc == 1 && var == 1)
			factory_reset();
		else
			klog("factory reset: postponed: a partition is not "
			     "mounted read-write");
	}
	if (var == 0 && access(VAR_APP_DIR, F_OK) < 0)
		var = -1; /* read-only, and never laid out: not the app's */
	g.etc_ok = etc == 1;
	g.var_ok = var >= 0;
	if (!g.etc_ok)
		klog("WARNING: /etc changes will NOT persist (tmpfs upper "
		     "layer);"
		     " the partition was left untouched");
	if (!g.var_ok)
		klog("WARNING: /var/lib is a tmpfs: data will NOT persist;"
		     " the partition was left untouched");
}

/* Clean shutdown: flush, then unmount (or at least remount read-only). */
void
persist_unmount(void)
{
	static const char *const dirs[] = {VAR_DIR, ETC_DIR};

	sync();
	for (size_t i = 0; i < 2; i++) {
		if (sys->umount(dirs[i], 0) == 0)
			continue;
		if (sys->mount(NULL, dirs[i], NULL, MS_REMOUNT | MS_RDONLY,
			       NULL) < 0 &&
		    errno != EINVAL)
			klog("shutdown: %s stays mounted: %s", dirs[i],
			     strerror(errno));
	}
	sync();
}

const char *
persist_etc_upper(void)
{
	return g.etc_ok ? ETC_DIR "/upper" : NULL;
}

const char *
persist_etc_work(void)
{
	return g.etc_ok ? ETC_DIR "/work" : NULL;
}

const char *
persist_var(void)
{
	return g.var_ok ? VAR_APP_DIR : NULL;
}

const char *
persist_keel_dir(void)
{
	return g.var_ok && access(VAR_KEEL_DIR, W_OK) == 0 ? VAR_KEEL_DIR
							   : NULL;
}
