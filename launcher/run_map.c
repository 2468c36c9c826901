// SPDX-License-Identifier: MIT
/* keel run: the image opened once, verified, mapped read-only, mounted. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "compat/linux_mount.h"

#include "launcher/keel.h"
#include "launcher/run_map.h"
#include "lib/disk/dm.h"
#include "lib/disk/fsmount.h"
#include "lib/base/testhook.h"
#include "lib/base/thread.h"
#include "lib/disk/loop.h"
#include "lib/image/image.h"

#define DM_CONTROL "/dev/mapper/control"
#define RO_ATTRS                                                               \
	(KEEL_MOUNT_ATTR_RDONLY | KEEL_MOUNT_ATTR_NODEV |                      \
	 KEEL_MOUNT_ATTR_NOSUID)

/* Large and used once: static, not on the stack. */
static struct verity_work map_work __attribute__((aligned(4096)));

/*
 * The signature check, on a thread of its own while the copy is made and
 * checked (each takes about as long as the other for a small image): its
 * verdict is taken before anything is mounted or mapped, and a failed
 * signature is the error reported whatever the tree check found.
 */
struct map_sigs {
	const struct img_meta *meta;
	const struct keyset *ks;
	struct kerr e;
	int ok;
	struct thread th;
};

static struct map_sigs map_sigs;

static void *
map_sigs_run(void *arg)
{
	struct map_sigs *s = arg;

	s->ok = img_check_sigs(s->meta, s->ks, &s->e) == 1 &&
		img_check_device(&s->meta->h, NULL, IMG_ARCH_HOST, 0, &s->e);
	return NULL;
}

/* Starts the check; where no thread can start, it runs here and now. */
static void
map_sigs_start(struct map_sigs *s, const struct img_meta *meta,
	       const struct keyset *ks)
{
	s->meta = meta;
	s->ks = ks;
	s->ok = 0;
	s->e = (struct kerr){0};
	thread_start(&s->th, map_sigs_run, s);
}

/* The verdict: 0 the signatures and the device checks passed, else -1
 * with e (if not NULL) set from the check that failed; the thread is
 * waited for on the first call. */
static int
map_sigs_join(struct map_sigs *s, struct kerr *e)
{
	thread_join(&s->th);
	if (s->ok)
		return 0;
	if (e)
		*e = s->e;
	return -1;
}

/* keel-test's words at its pause after the check (lib/base/testhook.h). */
static void
map_pause_say(const char *step)
{
	fprintf(stderr, "keel: run: test pause: %s\n", step);
}

/*
 * The image's filesystem fs on the device src, read-only, as a detached
 * mount (fs_detached): it goes when its last descriptor closes (keel's,
 * if keel is killed), taking the loop device with it (autoclear). Its
 * fd, or -1 with e set.
 */
static int
map_mount(const char *fs, const char *src, struct kerr *e)
{
	const char *const opt[] = {"source", src, "ro", NULL, NULL};
	int fd = fs_detached(fs, opt, RO_ATTRS);

	if (fd < 0)
		kerr_set(e, "mount", "%s %s: %s", fs, src, strerror(errno));
	return fd;
}

static int
map_ioctl(int fd, unsigned long req, void *arg)
{
	return ioctl(fd, req, arg);
}

/* The dm device's node: /dev/dm-N where devtmpfs made it, else our own. */
static int
map_dm_node(uint64_t devno, struct run_map *m)
{
	/* The kernel returns the dev_t in its huge-encoding form. */
	dev_t dev =
	    makedev((unsigned)((devno >> 8) & 0xfff),
		    (unsigned)((devno & 0xff) | ((devno >> 12) & 0xfff00)));
	struct stat st;

	snprintf(m->node, sizeof(m->node), "/dev/dm-%u", minor(dev));
	if (!stat(m->node, &st) && S_ISBLK(st.st_mode) && st.st_rdev == dev)
		return 0;
	/* No devtmpfs: a node in a detached tmpfs of keel's own, named
	 * through keel's descriptor of it. */
	m->node_fd = fs_detached(
	    "tmpfs", NULL, KEEL_MOUNT_ATTR_NOSUID | KEEL_MOUNT_ATTR_NOEXEC);
	if (m->node_fd < 0)
		return -1;
	snprintf(m->node, sizeof(m->node), "/proc/self/fd/%d/root", m->node_fd);
	return mknodat(m->node_fd, "root", S_IFBLK | 0400, dev);
}

static void
map_dm_node_drop(struct run_map *m)
{
	if (m->node_fd < 0)
		return;
	close(m->node_fd);
	m->node_fd = -1;
}

/*
 * verity: the image's data and tree through a loop device of fd, under a
 * dm-verity target built from the signed header alone; the kernel checks
 * every block as it is read, so a later change of the file is an I/O
 * error, never data. 0 mounted, 1 no device-mapper or no verity target
 * here (nothing was left behind), -1 failed.
 */
static int
map_verity(int fd, const char *fs, struct run_map *m, struct kerr *e)
{
	const struct img_header *h = &m->meta.h;
	char params[DM_PARAMS_MAX], dev[24];
	struct loop_dev ld;
	struct stat st;
	uint64_t devno;
	int ctl, rc = -1;

	ctl = open(DM_CONTROL, O_RDWR | O_CLOEXEC);
	if (ctl < 0)
		return 1;
	/* the table is made from the header: its signatures first */
	if (map_sigs_join(&map_sigs, e) < 0)
		goto out;
	if (loop_attach(fd, h->meta_offset, &ld, e) < 0)
		goto out;
	if (fstat(ld.fd, &st) < 0) {
		kerr_set(e, "loop", "%s: %s", ld.path, strerror(errno));
		goto out_loop;
	}
	snprintf(dev, sizeof(dev), "%u:%u", major(st.st_rdev),
		 minor(st.st_rdev));
	snprintf(m->dm_name, sizeof(m->dm_name), "keel-run-%d", (int)getpid());
	if (dm_verity_params(h, dev, params, sizeof(params)) < 0) {
		kerr_set(e, "dm table", "too long");
		goto out_loop;
	}
	if (dm_create_ro(map_ioctl, ctl, m->dm_name, "verity",
			 h->data_blocks * (IMG_BLOCK / 512), params, &devno,
			 e) < 0) {
		/* No verity target in this kernel: the copy will do. */
		rc = !strcmp(e->check, "dm table load") ? 1 : -1;
		goto out_loop;
	}
	/* The table holds the loop device now; autoclear follows it. */
	loop_release(&ld, 0);
	if (map_dm_node(devno, m) < 0) {
		kerr_set(e, "dm", "node for %s: %s", m->dm_name,
			 strerror(errno));
		goto out_dm;
	}
	testhook_pause("header checked, dm-verity mapped, not mounted",
		       map_pause_say);
	m->mnt_fd = map_mount(fs, m->node, e);
	if (m->mnt_fd < 0)
		goto out_dm;
	map_dm_node_drop(m);
	/* Gone with its mount, even if keel is killed. */
	dm_remove_deferred(map_ioctl, ctl, m->dm_name, NULL);
	m->mode = RUN_VERIFY_VERITY;
	close(ctl);
	return 0;
out_dm:
	map_dm_node_drop(m);
	dm_remove(map_ioctl, ctl, m->dm_name, NULL);
	goto out;
out_loop:
	loop_release(&ld, 1);
out:
	close(ctl);
	return rc;
}

/*
 * full: a private copy, verified whole as it is made, loop-mounted
 * from the copy. 0 or -1.
 */
static int
map_copy(int fd, const char *fs, struct run_map *m, struct kerr *e)
{
	struct loop_dev ld;
	/* map_work's pages stay: the container's first process shares
	 * keel's memory (no clone copies them), and giving them back would
	 * cost a TLB flush on the launch's path */
	int mfd = img_verify_copy(fd, &m->meta, &map_work, e);

	/* the signatures' verdict first: theirs is the error to report */
	if (map_sigs_join(&map_sigs, e) < 0 || mfd < 0) {
		if (mfd >= 0)
			close(mfd);
		return -1;
	}
	if (loop_attach(mfd, m->meta.h.data_blocks * IMG_BLOCK, &ld, e) < 0) {
		close(mfd);
		return -1;
	}
	close(mfd); /* the loop device holds the copy now */
	testhook_pause("whole image checked from a private copy, not mounted",
		       map_pause_say);
	m->mnt_fd = map_mount(fs, ld.path, e);
	if (m->mnt_fd < 0) {
		loop_release(&ld, 1);
		return -1;
	}
	/* autoclear: the device and the copy go when the mount does */
	loop_release(&ld, 0);
	m->mode = RUN_VERIFY_FULL;
	return 0;
}

/* The one open of the image: no symlink, a regular file or a disk. */
static int
map_open(const char *image, struct kerr *e)
{
	struct stat st;
	/* O_NONBLOCK: a FIFO must not hold keel up before it is refused. */
	int fd = open(image, O_RDONLY | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK |
				 O_CLOEXEC);

	if (fd < 0)
		return kerr_set(e, "open",
				errno == ELOOP ? "a symbolic link (keel run "
						 "opens the image itself only)"
					       : "%s",
				strerror(errno));
	if (fstat(fd, &st) < 0 ||
	    !(S_ISREG(st.st_mode) || S_ISBLK(st.st_mode))) {
		close(fd);
		return kerr_set(e, "open",
				"not a regular file or block device");
	}
	if (fcntl(fd, F_SETFL, 0) < 0) {
		close(fd);
		return kerr_set(e, "open", "%s", strerror(errno));
	}
	return fd;
}

int
run_map_image(const char *image, const struct keyset *ks, enum run_verify mode,
	      struct run_map *m, struct kerr *e)
{
	const char *fs;
	int fd, rc = 1;

	m->mnt_fd = -1;
	m->node_fd = -1;
	fd = map_open(image, e);
	if (fd < 0)
		return -1;
	/* The metadata is read here once; both paths use this copy. */
	if (img_read(fd, &m->meta, e) < 0)
		goto fail;
	/* Its signatures are checked beside the work below; nothing is
	 * mapped or mounted before map_sigs_join says yes. */
	map_sigs_start(&map_sigs, &m->meta, ks);
	fs = img_fs_name(m->meta.h.fs);
	if (mode != RUN_VERIFY_FULL)
		rc = map_verity(fd, fs, m, e);
	if (rc > 0 && mode == RUN_VERIFY_VERITY)
		kerr_set(e, "verity",
			 "this kernel has no device-mapper "
			 "verity target (--verify full copies "
			 "the image instead)");
	else if (rc > 0)
		rc = map_copy(fd, fs, m, e);
	if (rc != 0)
		goto fail;
	close(fd);
	return 0;
fail:
	/* the signatures' error, if they failed, is the one reported */
	if (map_sigs.th.on)
		map_sigs_join(&map_sigs, e);
	close(fd);
	return -1;
}

void
run_unmap_image(struct run_map *m)
{
	if (m->mnt_fd < 0)
		return;
	close(m->mnt_fd);
	m->mnt_fd = -1;
}
