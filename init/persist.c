// SPDX-License-Identifier: MIT
/* The device's /etc and /var/lib partitions: mounted, never formatted. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "init/init.h"
#include "lib/base/fmt.h"

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
	klog("%s: cannot mount %s as ext4: %s", dir, dev, kerr_strerror(errno));
	if (g.board.on_bad_persist == BOARD_PERSIST_READONLY &&
	    sys->mount(dev, dir, "ext4", flags | MS_RDONLY, "noload") == 0) {
		klog("%s: mounted READ-ONLY (board policy)", dir);
		return 0;
	}
	return -1;
}

static char etc_upper[128], etc_work[128], var_live[128];

/*
 * Both partitions mounted, before the app starts: each one's live
 * generation (reset.c), a fresh one when a factory reset is pending, and
 * the old trees removed in the background. -1 (why filled) when a
 * requested factory reset cannot be completed or recorded: the data it
 * was asked to erase must not be served again, nor erased twice.
 */
int
persist_mount(char *why, size_t cap)
{
	static const char *const dirs[2] = {ETC_DIR, VAR_DIR};
	char live[96];
	int etc = mount_part(BOARD_PART_ETC, ETC_DIR);
	int var = mount_part(BOARD_PART_VAR, VAR_DIR);
	int reset = ab_factory_reset_pending(), trash = 0, r;

	if (reset && (etc != 1 || var != 1)) {
		klog("factory reset: postponed: a partition is not mounted "
		     "read-write");
		reset = 0;
	}
	if (etc == 1) {
		r = reset_prepare(ETC_DIR, 1, reset, live, sizeof(live));
		trash |= r > 0;
		if (r < 0)
			etc = -1;
		fmt_sn(etc_upper, sizeof(etc_upper), "%.96s/upper", live);
		fmt_sn(etc_work, sizeof(etc_work), "%.96s/work", live);
	}
	if (var >= 0) {
		r = reset_prepare(VAR_DIR, var == 1, reset, var_live,
				  sizeof(var_live));
		trash |= r > 0;
		if (r < 0)
			var = -1;
	}
	if (reset) {
		if (etc != 1 || var != 1)
			return fmt_sn(why, cap,
				      "factory reset: a partition's layout "
				      "could not be changed"),
			       -1;
		klog("factory reset: fresh, empty /etc changes and /var/lib; "
		     "the old trees are never mounted again");
		if (ab_factory_reset_done() < 0)
			return fmt_sn(why, cap,
				      "factory reset done, but the record "
				      "cannot say so (it would run again)"),
			       -1;
	}
	if (trash)
		reset_collect(dirs, 2);
	/* The overlay needs a writable upper layer and workdir. */
	if (etc == 1 && (mkdir(etc_upper, 0755) < 0 && errno != EEXIST))
		etc = -1;
	if (etc == 1 && (mkdir(etc_work, 0755) < 0 && errno != EEXIST))
		etc = -1;
	/* keel-init's own files (its saved logs): at the root, a .keel- name
	 * the app never sees and no generation move touches. */
	if (var == 1 && mkdir(VAR_KEEL_DIR, 0700) < 0 && errno != EEXIST)
		klog("%s: %s", VAR_KEEL_DIR, kerr_strerror(errno));
	g.etc_ok = etc == 1;
	g.var_ok = var >= 0;
	if (!g.etc_ok)
		klog("WARNING: /etc changes will NOT persist (tmpfs upper "
		     "layer);"
		     " the partition was left untouched");
	if (!g.var_ok)
		klog("WARNING: /var/lib is a tmpfs: data will NOT persist;"
		     " the partition was left untouched");
	return 0;
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
			     kerr_strerror(errno));
	}
	sync();
}

const char *
persist_etc_upper(void)
{
	return g.etc_ok ? etc_upper : NULL;
}

const char *
persist_etc_work(void)
{
	return g.etc_ok ? etc_work : NULL;
}

const char *
persist_var(void)
{
	return g.var_ok ? var_live : NULL;
}

const char *
persist_keel_dir(void)
{
	return g.var_ok && access(VAR_KEEL_DIR, W_OK) == 0 ? VAR_KEEL_DIR
							   : NULL;
}
