// SPDX-License-Identifier: MIT
/* Verify a slot, map it (dm-verity) or check it whole, mount it, read config.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysinfo.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "compat/linux_netlink.h"
#include "init/init.h"
#include "lib/base/fmt.h"
#include "lib/base/io.h"
#include "lib/base/testhook.h"
#include "lib/disk/dm.h"
#include "lib/disk/loop.h"

static int fail_reason; /* enum state_fail of the last refusal */
/* The mapping of the slot being booted or running, and what it saw. */
static unsigned vmajor, vminor;
static int uevent_fd = -1;     /* the kernel's uevents: dm-verity's reports */
static int corrupt;	       /* 0 none; 1 seen, marked; 2 seen, mark failed */
static char corrupt_block[32]; /* "data block N" from the uevent, or "" */
static char uevent_buf[DM_UEVENT_MAX];
/* full mode only; its pages are given back after use */
static struct verity_work vw __attribute__((aligned(4096)));

/* Checks that need only the header: signatures (verified once a boot:
 * ab_load's proof stands for the same bytes), board, rollback floor. */
static int
check_header(int fd, int slot, char *why, size_t cap)
{
	struct kerr e = {0};

	if (img_read(fd, &g.meta, &e) < 0 ||
	    (!ab_header_signed(slot, &g.meta) &&
	     img_check_sigs(&g.meta, &g.keys, &e) != 1)) {
		fmt_sn(why, cap, "%s: %s", e.check, e.detail);
		return -1;
	}
	if (!img_check_device(&g.meta.h, g.board.name, IMG_ARCH_HOST,
			      ab_floor(), &e)) {
		if (!strcmp(e.check, "epoch"))
			fail_reason = STATE_FAIL_ROLLBACK;
		fmt_sn(why, cap, "%s: %s", e.check, e.detail);
		return -1;
	}
	klog("slot %c: signed, version %llu epoch %llu '%s'", 'a' + slot,
	     (unsigned long long)g.meta.h.version,
	     (unsigned long long)g.meta.h.epoch, g.meta.h.name);
	return 0;
}

/*
 * A table line names the data and hash device (a board path each), then
 * at most 257 bytes: "1 ", two block sizes, two 20-digit numbers,
 * "sha256", a 64-digit root, a 128-digit salt, spaces and the NUL.
 */
_Static_assert(2 * BOARD_PATH_MAX + 257 <= DM_PARAMS_MAX,
	       "a verity table line with two board paths fits DM_PARAMS_MAX");

/* verity mode: a dm-verity device from signed values only. */
static int
map_verity(int slot, char *why, size_t cap)
{
	char name[16], params[DM_PARAMS_MAX];
	struct kerr e = {0};
	uint64_t devno;
	int ctl;

	fmt_sn(name, sizeof(name), DM_NAME_FMT, 'a' + slot);
	if (dm_verity_params(&g.meta.h, g.dev[slot], params, sizeof(params)) <
	    0)
		return fmt_sn(why, cap, "dm: table too long"), -1;
	ctl = open("/dev/mapper/control", O_RDWR | O_CLOEXEC);
	if (ctl < 0)
		return fmt_sn(why, cap, "dm: /dev/mapper/control: %s",
			      kerr_strerror(errno)),
		       -1;
	if (dm_create_ro(sys->dm_ioctl, ctl, name, "verity",
			 g.meta.h.data_blocks * (IMG_BLOCK / 512), params,
			 &devno, &e) < 0) {
		close(ctl);
		return fmt_sn(why, cap, "%s: %s", e.check, e.detail), -1;
	}
	/* Kept: the supervisor polls the mapping's status with it. */
	if (g.dm_ctl >= 0) /* a slot before this one mapped, then failed */
		close(g.dm_ctl);
	g.dm_ctl = ctl;
	vmajor = (unsigned)((devno >> 8) & 0xfff);
	vminor = (unsigned)((devno & 0xff) | ((devno >> 12) & 0xfff00));
	corrupt = 0;
	corrupt_block[0] = 0;
	fmt_sn(g.root_dev, sizeof(g.root_dev), DEV_DIR "/verity-%c",
	       'a' + slot);
	sys->unlink(g.root_dev);
	/* The kernel returns the dev_t in its huge-encoding form. */
	if (sys->mknod(g.root_dev, S_IFBLK | 0400, makedev(vmajor, vminor)) < 0)
		return fmt_sn(why, cap, "dm: mknod: %s", kerr_strerror(errno)),
		       -1;
	return 0;
}

/*
 * The kernel's uevents: dm-verity broadcasts one per corrupted block
 * (DM_VERITY_ERR_BLOCK_NR, the first 100 of a mapping) before the read
 * that hit it fails. Opened before the first mount so nothing is missed;
 * without it (a kernel without networking) the status poll still works.
 */
static void
uevent_open(void)
{
	struct sockaddr_nl a = {AF_NETLINK, 0, 0, KEEL_UEVENT_GROUP_KERNEL};

	if (uevent_fd >= 0 || g.test)
		return;
	uevent_fd =
	    socket(AF_NETLINK, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
		   NETLINK_KOBJECT_UEVENT);
	if (uevent_fd >= 0 &&
	    bind(uevent_fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		close(uevent_fd);
		uevent_fd = -1;
	}
	if (uevent_fd < 0)
		klog("slot: no uevent socket (%s): corruption is seen by "
		     "polling only, without the block number",
		     kerr_strerror(errno));
}

/* Reads every uevent queued; notes the first corrupted block reported. */
void
slot_on_uevent(void)
{
	struct sockaddr_nl from;
	struct iovec iov = {uevent_buf, sizeof(uevent_buf)};
	struct msghdr mh;

	memset(&mh, 0, sizeof(mh));
	mh.msg_name = &from;
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;

	for (int i = 0; uevent_fd >= 0 && i < 256; i++) {
		ssize_t n;
		uint64_t block;
		int type;

		mh.msg_namelen = sizeof(from);
		n = recvmsg(uevent_fd, &mh, MSG_DONTWAIT);
		if (n < 0 && errno == ENOBUFS)
			continue; /* overrun: the status poll still knows */
		if (n <= 0)
			break;
		/* Only the kernel's own (a process with CAP_NET_ADMIN could
		 * send to the group too). */
		if (from.nl_pid != 0 || (mh.msg_flags & MSG_TRUNC))
			continue;
		if (dm_verity_uevent(uevent_buf, (size_t)n, vmajor, vminor,
				     &type, &block) == 1 &&
		    !corrupt_block[0])
			fmt_sn(corrupt_block, sizeof(corrupt_block),
			       "%s block %llu", type ? "hash" : "data",
			       (unsigned long long)block);
	}
}

int
slot_uevent_fd(void)
{
	return uevent_fd;
}

/* The current mapping has seen a corrupted block (uevent or status). */
static int
verity_corrupted(int slot)
{
	struct kerr e = {0};
	char name[16];

	if (g.dm_ctl < 0)
		return 0;
	slot_on_uevent();
	fmt_sn(name, sizeof(name), DM_NAME_FMT, 'a' + slot);
	return corrupt_block[0] ||
	       dm_verity_corrupted(sys->dm_ioctl, g.dm_ctl, name, &e) == 1;
}

/* "; dm-verity: data block N is corrupted" for a refusal, or "". */
static const char *
corruption_note(int slot, char *buf, size_t cap)
{
	if (!verity_corrupted(slot))
		return "";
	fail_reason = STATE_FAIL_CORRUPT;
	fmt_sn(buf, cap, ": dm-verity: %s%s is corrupted",
	       corrupt_block[0] ? "" : "a ",
	       corrupt_block[0] ? corrupt_block : "block");
	return buf;
}

/*
 * The most RAM the checked copy may take: the board's verify.copy_max,
 * or half of the RAM the kernel reports (the app needs the rest).
 */
static uint64_t
copy_limit(void)
{
	struct sysinfo si;

	if (g.board.copy_max)
		return g.board.copy_max;
	if (sysinfo(&si) < 0)
		return 0;
	return (uint64_t)si.totalram * si.mem_unit / 2;
}

/* keel-init-test's words at its pause after the check (testhook.h). */
static void
slot_pause_say(const char *step)
{
	klog("slot: test pause: %s", step);
}

/*
 * full mode: no dm-verity to check each read as it happens, so the
 * slot's data and tree are read ONCE, the data into a private copy that
 * nothing writes after the check (img_verify_copy), the whole tree is
 * checked in that pass, and the copy is what gets mounted (a read-only
 * loop device over it). A
 * medium that answers the check's reads and the mount's reads with
 * different bytes (a flash emulator, a hostile storage controller) has
 * no second read to answer: the mounted bytes are the checked bytes.
 * The copy costs the image's data in RAM for as long as the image is
 * mounted; data and tree over copy_limit() and the slot is refused.
 */
static int
check_full(int fd, char *why, size_t cap)
{
	uint64_t len = g.meta.h.meta_offset, max = copy_limit();
	struct kerr e = {0};
	struct loop_dev ld;
	int mfd;

	if (len > max) {
		fail_reason = STATE_FAIL_OTHER;
		return fmt_sn(why, cap,
			      "full check: the image (%llu KiB) is over the "
			      "copy limit (%llu KiB, verify.copy_max)",
			      (unsigned long long)(len >> 10),
			      (unsigned long long)(max >> 10)),
		       -1;
	}
	mfd = img_verify_copy(fd, &g.meta, &vw, &e);
	/* Give the scratch pages back: PID 1 stays small for years. */
	madvise(&vw, sizeof(vw), MADV_DONTNEED);
	if (mfd < 0)
		return fmt_sn(why, cap, "%s: %s", e.check, e.detail), -1;
	/* Only the filesystem is visible: the tree stays out of reach. */
	if (loop_attach(mfd, g.meta.h.hash_offset, &ld, &e) < 0) {
		close(mfd);
		return fmt_sn(why, cap, "loop: %s", e.detail), -1;
	}
	close(mfd); /* the loop device holds the copy now */
	fmt_sn(g.root_dev, sizeof(g.root_dev), "%s", ld.path);
	/* autoclear: the mount keeps it; our reference goes after it */
	g.loop_fd = ld.fd;
	testhook_pause("checked, not mounted", slot_pause_say);
	return 0;
}

/*
 * /keel/config.json from the mounted image. A read that fails is named
 * for what it is: an I/O error (and dm-verity's verdict, with the block
 * when the kernel said it), not a missing file.
 */
static int
read_config(int slot, char *why, size_t cap)
{
	char note[80];
	int rc, fd = open(IMAGE_DIR IMG_CONFIG_PATH, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		int err = errno;
		const char *c = corruption_note(slot, note, sizeof(note));

		if (err == ENOENT && !c[0])
			return fmt_sn(why, cap,
				      "config: no %s in the image: "
				      "keel-init needs one",
				      IMG_CONFIG_PATH),
			       -1;
		return fmt_sn(why, cap, "config: %s: %s%s", IMG_CONFIG_PATH,
			      kerr_strerror(err), c),
		       -1;
	}
	/* keel app reads and checks it (app.c): PID 1 holds no parser */
	rc = app_config(fd, why, cap);
	close(fd);
	if (rc == -2) {
		size_t len = strlen(why);

		fmt_sn(why + len, cap - len, "%s",
		       corruption_note(slot, note, sizeof(note)));
	}
	return rc == -3 ? -3 : rc < 0 ? -1 : 0;
}

/*
 * full mode: let go of the loop device over the copy; with detach (its
 * mount failed) at once, else when its mount goes (autoclear).
 */
static void
drop_loop(int detach)
{
	struct loop_dev ld = {g.loop_fd, 0, ""};

	loop_release(&ld, detach);
	g.loop_fd = -1;
}

/* Verifies and mounts one slot. 0, or -1 with why filled. */
static int
try_slot(int slot, char *why, size_t cap)
{
	unsigned long ro = MS_RDONLY | MS_NODEV | MS_NOSUID;
	char note[80];
	int fd, rc;

	fail_reason = STATE_FAIL_VERIFY;
	if (!g.dev[slot][0])
		return fmt_sn(why, cap, "partition not found"), -1;
	fd = open(g.dev[slot], O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return fmt_sn(why, cap, "open %s: %s", g.dev[slot],
			      kerr_strerror(errno)),
		       -1;
	rc = check_header(fd, slot, why, cap);
	if (rc == 0 && g.board.verify == BOARD_VERIFY_VERITY) {
		uevent_open();
		rc = map_verity(slot, why, cap);
	} else if (rc == 0)
		rc = check_full(fd, why, cap);
	close(fd);
	if (rc < 0)
		return -1;
	klog("slot %c: %s verified, mounting %s", 'a' + slot,
	     g.board.verify == BOARD_VERIFY_VERITY ? "header" : "whole image",
	     g.root_dev);
	mkdir(IMAGE_DIR, 0755);
	fail_reason = STATE_FAIL_MOUNT;
	if (sys->mount(g.root_dev, IMAGE_DIR, img_fs_name(g.meta.h.fs), ro,
		       NULL) < 0) {
		int err = errno;
		drop_loop(1);
		return fmt_sn(why, cap, "mount %s: %s%s", g.root_dev,
			      kerr_strerror(err),
			      corruption_note(slot, note, sizeof(note))),
		       -1;
	}
	drop_loop(0);
	rc = read_config(slot, why, cap);
	if (rc < 0) {
		sys->umount(IMAGE_DIR, MNT_DETACH);
		return rc == -3 ? -2 : -1;
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
		int rc = try_slot(slot, why, sizeof(why));

		if (rc == 0) {
			g.slot = slot;
			ab_slot_booting(slot);
			return 0;
		}
		if (rc == -2) { /* keel-init's own failure, not the slot's */
			klog("slot %c: not checked: %s", 'a' + slot, why);
			return -2;
		}
		klog("slot %c: REFUSED: %s", 'a' + slot, why);
		ab_slot_failed(slot, fail_reason, why);
		if (g.board.on_failure != BOARD_FAIL_FALLBACK)
			break;
	}
	return -1;
}

/*
 * dm-verity saw a block that does not match the signed tree: the slot is
 * marked bad once, so the next boot takes the other slot. The app keeps
 * running (every bad read it makes fails with EIO); when it exits, the
 * supervisor does not start it again on this slot. Called once a second,
 * at every app exit and before every shutdown.
 */
int
slot_check_corruption(void)
{
	char text[STATE_FAIL_TEXT + 1 + 16];

	if (corrupt || g.slot < 0 || !verity_corrupted(g.slot))
		return corrupt;
	fmt_sn(text, sizeof(text), "dm-verity: %s corrupted",
	       corrupt_block[0] ? corrupt_block : "a block");
	corrupt = ab_slot_failed(g.slot, STATE_FAIL_CORRUPT, text) < 0 ? 2 : 1;
	klog("slot %c: dm-verity: %s is corrupted: slot marked bad%s",
	     'a' + g.slot, corrupt_block[0] ? corrupt_block : "a block",
	     corrupt == 1 ? ", the next boot takes the other slot"
			  : " IN MEMORY ONLY: the record cannot be written");
	return corrupt;
}
