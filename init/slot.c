// SPDX-License-Identifier: MIT
/* Verify a slot, map it (dm-verity) or check it whole, mount it, read config.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "init/init.h"
#include "lib/base/io.h"
#include "lib/disk/dm.h"
#include "lib/disk/loop.h"

/* full mode only; its pages are given back after use */
static int fail_reason; /* enum state_fail of the last refusal */
static struct verity_work vw __attribute__((aligned(4096)));
static char config_text[INIT_CONFIG_MAX] __attribute__((aligned(4096)));

/* Checks that need only the header: signatures, board, rollback floor. */
static int
check_header(int fd, int slot, char *why, size_t cap)
{
	struct kerr e = {0};

	if (img_read(fd, &g.meta, &e) < 0 ||
	    img_check_sigs(&g.meta, &g.keys, &e) != 1) {
		snprintf(why, cap, "%s: %s", e.check, e.detail);
		return -1;
	}
	if (!img_check_device(&g.meta.h, g.board.name, IMG_ARCH_HOST,
			      ab_floor(), &e)) {
		if (!strcmp(e.check, "epoch"))
			fail_reason = STATE_FAIL_ROLLBACK;
		snprintf(why, cap, "%s: %s", e.check, e.detail);
		return -1;
	}
	klog("slot %c: signed, version %llu epoch %llu '%s'", 'a' + slot,
	     (unsigned long long)g.meta.h.version,
	     (unsigned long long)g.meta.h.epoch, g.meta.h.name);
	return 0;
}

/* verity mode: a dm-verity device from signed values only. */
static int
map_verity(int slot, char *why, size_t cap)
{
	char name[16], params[DM_PARAMS_MAX];
	struct kerr e = {0};
	uint64_t devno;
	int ctl;

	snprintf(name, sizeof(name), DM_NAME_FMT, 'a' + slot);
	if (dm_verity_params(&g.meta.h, g.dev[slot], params, sizeof(params)) <
	    0)
		return snprintf(why, cap, "dm: table too long"), -1;
	ctl = open("/dev/mapper/control", O_RDWR | O_CLOEXEC);
	if (ctl < 0)
		return snprintf(why, cap, "dm: /dev/mapper/control: %s",
				strerror(errno)),
		       -1;
	if (dm_create_ro(sys->dm_ioctl, ctl, name, "verity",
			 g.meta.h.data_blocks * (IMG_BLOCK / 512), params,
			 &devno, &e) < 0) {
		close(ctl);
		return snprintf(why, cap, "%s: %s", e.check, e.detail), -1;
	}
	/* Kept: the supervisor polls the mapping's status with it. */
	if (g.dm_ctl >= 0) /* a slot before this one mapped, then failed */
		close(g.dm_ctl);
	g.dm_ctl = ctl;
	snprintf(g.root_dev, sizeof(g.root_dev), DEV_DIR "/verity-%c",
		 'a' + slot);
	sys->unlink(g.root_dev);
	/* The kernel returns the dev_t in its huge-encoding form. */
	if (sys->mknod(g.root_dev, S_IFBLK | 0400,
		       makedev((unsigned)((devno >> 8) & 0xfff),
			       (unsigned)((devno & 0xff) |
					  ((devno >> 12) & 0xfff00)))) < 0)
		return snprintf(why, cap, "dm: mknod: %s", strerror(errno)), -1;
	return 0;
}

/* full mode: the whole tree recomputed before anything is mounted. */
static int
check_full(int fd, int slot, char *why, size_t cap)
{
	struct verity_params p = {g.meta.h.data_blocks, g.meta.h.hash_offset,
				  g.meta.h.salt, g.meta.h.salt_len};
	struct kerr e = {0};
	struct stat st;
	int ok = verity_check(fd, &p, &vw, g.meta.h.root, &e);

	/* Give the scratch pages back: PID 1 stays small for years. */
	madvise(&vw, sizeof(vw), MADV_DONTNEED);
	if (ok != 1)
		return snprintf(why, cap, "%s: %s", e.check, e.detail), -1;
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
		/* A slot in a file (--test): a read-only loop device. */
		static struct loop_dev ld;
		if (loop_attach(fd, g.meta.h.hash_offset, &ld, &e) < 0)
			return snprintf(why, cap, "loop: %s", e.detail), -1;
		snprintf(g.root_dev, sizeof(g.root_dev), "%s", ld.path);
		/* autoclear: the mount keeps it; drop our reference later */
		g.loop_fd = ld.fd;
	} else {
		snprintf(g.root_dev, sizeof(g.root_dev), "%s", g.dev[slot]);
	}
	return 0;
}

static int
read_config(char *why, size_t cap)
{
	struct kerr e = {0};
	long n;
	int rc, fd = open(IMAGE_DIR IMG_CONFIG_PATH, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return snprintf(
			   why, cap,
			   "config: no %s in the image: keel-init needs one",
			   IMG_CONFIG_PATH),
		       -1;
	n = io_read_fd(fd, config_text, INIT_CONFIG_MAX);
	close(fd);
	if (n == -EFBIG)
		return snprintf(why, cap, "config: %s: over %d bytes",
				IMG_CONFIG_PATH, INIT_CONFIG_MAX),
		       -1;
	if (n < 0)
		return snprintf(why, cap, "config: %s: %s", IMG_CONFIG_PATH,
				io_strerror((int)n)),
		       -1;
	rc = oci_parse(config_text, (size_t)n, &g.cfg, &e);
	/* The config's strings live in g.cfg's pool now. */
	madvise(config_text, sizeof(config_text), MADV_DONTNEED);
	if (rc < 0)
		return snprintf(why, cap, "config: %s", e.detail), -1;
	return 0;
}

/* Verifies and mounts one slot. 0, or -1 with why filled. */
static int
try_slot(int slot, char *why, size_t cap)
{
	unsigned long ro = MS_RDONLY | MS_NODEV | MS_NOSUID;
	int fd, rc;

	fail_reason = STATE_FAIL_VERIFY;
	if (!g.dev[slot][0])
		return snprintf(why, cap, "partition not found"), -1;
	fd = open(g.dev[slot], O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return snprintf(why, cap, "open %s: %s", g.dev[slot],
				strerror(errno)),
		       -1;
	rc = check_header(fd, slot, why, cap);
	if (rc == 0 && g.board.verify == BOARD_VERIFY_VERITY)
		rc = map_verity(slot, why, cap);
	else if (rc == 0)
		rc = check_full(fd, slot, why, cap);
	close(fd);
	if (rc < 0)
		return -1;
	klog("slot %c: %s verified, mounting %s", 'a' + slot,
	     g.board.verify == BOARD_VERIFY_VERITY ? "header" : "whole image",
	     g.root_dev);
	mkdir(IMAGE_DIR, 0755);
	fail_reason = STATE_FAIL_MOUNT;
	if (sys->mount(g.root_dev, IMAGE_DIR, img_fs_name(g.meta.h.fs), ro,
		       NULL) < 0)
		return snprintf(why, cap, "mount %s: %s", g.root_dev,
				strerror(errno)),
		       -1;
	if (g.loop_fd >= 0) {
		close(g.loop_fd);
		g.loop_fd = -1;
	}
	if (read_config(why, cap) < 0) {
		sys->umount(IMAGE_DIR, MNT_DETACH);
		return -1;
	}
	return 0;
}

int
slot_boot(void)
{
	char why[INIT_LOG_LINE - 64];
	int first = ab_choose_slot();

	for (int i = 0; i < 2; i++) {
		int slot = i ? !first : first;
		if (try_slot(slot, why, sizeof(why)) == 0) {
			g.slot = slot;
			ab_slot_booting(slot);
			return 0;
		}
		klog("slot %c: REFUSED: %s", 'a' + slot, why);
		ab_slot_failed(slot, fail_reason, why);
		if (g.board.on_failure != BOARD_FAIL_FALLBACK)
			break;
	}
	return -1;
}

/*
 * dm-verity saw a block that does not match the signed tree: the slot
 * is marked bad once, so the next boot takes the other slot. The app
 * keeps running; every bad read it makes fails with EIO.
 */
void
slot_check_corruption(void)
{
	static int reported;
	struct kerr e = {0};
	char name[16];

	/* Only a dm-verity mapping made at boot has a status to poll. */
	if (reported || g.dm_ctl < 0)
		return;
	snprintf(name, sizeof(name), DM_NAME_FMT, 'a' + g.slot);
	if (dm_verity_corrupted(sys->dm_ioctl, g.dm_ctl, name, &e) != 1)
		return;
	reported = 1;
	klog("slot %c: dm-verity saw a corrupted block: slot marked bad, the "
	     "next boot takes the other slot",
	     'a' + g.slot);
	ab_slot_failed(g.slot, STATE_FAIL_CORRUPT, "dm-verity corruption");
}
