// SPDX-License-Identifier: MIT
/* Early boot: kernel filesystems, board file and cmdline, a pivotable root. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "init/init.h"
#include "lib/base/fmt.h"
#include "lib/base/io.h"

#define RAMFS_MAGIC 0x858458f6
#define TMPFS_MAGIC 0x01021994

static const char *board_path = "/board.conf";

struct early_mount {
	const char *src, *dst, *type;
	unsigned long flags;
	const char *data;
};

static const struct early_mount early[] = {
    {"devtmpfs", "/dev", "devtmpfs", MS_NOSUID, "mode=0755"},
    {"proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL},
    {"sysfs", "/sys", "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL},
    {"tmpfs", "/run", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755"},
};
static const struct early_mount cgroup2 = {
    "cgroup2", "/sys/fs/cgroup", "cgroup2", MS_NOSUID | MS_NODEV | MS_NOEXEC,
    "nsdelegate"};

/* The thread that mounts cgroup2 (early_cgroup_start), and the mount's
 * errno (0: mounted, or there already). */
static struct thread cg_thread;
static int cg_err;

void
early_set_board_path(const char *path)
{
	board_path = path;
}

/* One early mount: 0, or its errno (EBUSY: there already, 0). */
static int
early_mount(const struct early_mount *m)
{
	mkdir(m->dst, 0755);
	if (sys->mount(m->src, m->dst, m->type, m->flags, m->data) < 0 &&
	    errno != EBUSY)
		return errno;
	return 0;
}

static void
early_mount_failed(const struct early_mount *m, int err)
{
	/* Only /dev and /proc are vital; the rest is logged. */
	klog("mount %s on %s: %s", m->type, m->dst, kerr_strerror(err));
}

static void *
cgroup_run(void *arg)
{
	cg_err = early_mount(&cgroup2);
	return arg;
}

/*
 * cgroup2 on /sys/fs/cgroup, which nothing needs before the app's start.
 * On recent kernels (6.18 on the bench's host) its mount takes
 * cgroup_threadgroup_rwsem for writing, which waits for an RCU grace
 * period: 4-30 ms of sleep on an idle 2-CPU host, where the rest of the
 * boot up to the slot's check takes about 1.2. A thread of its own
 * waits for it while the slot is checked. With a transcript it is
 * waited for at once, so the transcript keeps its order.
 */
void
early_cgroup_start(void)
{
	thread_start(&cg_thread, cgroup_run, NULL);
	if (sys_recording())
		early_cgroup_wait();
}

void
early_cgroup_wait(void)
{
	thread_join(&cg_thread);
	if (cg_err)
		early_mount_failed(&cgroup2, cg_err);
	cg_err = 0;
}

void
early_mounts(void)
{
	for (size_t i = 0; i < sizeof(early) / sizeof(early[0]); i++) {
		int err = early_mount(&early[i]);

		if (err)
			early_mount_failed(&early[i], err);
	}
	log_open();
	mkdir(RUN_DIR, 0755);
	mkdir(DEV_DIR, 0700);
	mkdir(SOCK_DIR, 0755);
	/* an empty file the keel client is bound over in the container */
	mkdir(SOCK_BIN_DIR, 0755);
	close(open(SOCK_KEEL_BIN, O_WRONLY | O_CREAT | O_CLOEXEC, 0555));
}

/*
 * keel.KEY=VALUE words of the kernel command line. A security key is
 * refused unless the board file's cmdline= lets the command line set it
 * (board_set_cmdline). Returns how many words were applied.
 */
static unsigned
apply_cmdline(const char *cmdline)
{
	const char *p = cmdline;
	struct kerr e = {0};
	unsigned applied = 0;

	while (*p) {
		const char *w, *eq, *end;
		while (*p == ' ' || *p == '\n' || *p == '\t')
			p++;
		w = p;
		while (*p && *p != ' ' && *p != '\n' && *p != '\t')
			p++;
		end = p;
		if (end - w < 6 || strncmp(w, "keel.", 5))
			continue;
		w += 5;
		eq = memchr(w, '=', (size_t)(end - w));
		if (!eq) {
			klog("cmdline: keel.%.*s: no value, ignored",
			     (int)(end - w), w);
			continue;
		}
		if (eq - w == 4 && !strncmp(w, "slot", 4)) {
			g.force_slot =
			    (end - eq == 2 && (eq[1] == 'a' || eq[1] == 'b'))
				? eq[1] - 'a'
				: -1;
			klog("cmdline: slot %s", g.force_slot < 0 ? "ignored"
						 : g.force_slot	  ? "b"
								  : "a");
		} else if (eq - w == 5 && !strncmp(w, "debug", 5)) {
			g.debug = eq[1] == '1';
		} else if (board_set_cmdline(&g.board, w, (size_t)(eq - w),
					     eq + 1, (size_t)(end - eq - 1),
					     &e) < 0) {
			klog("cmdline: keel.%.*s: REFUSED: %s", (int)(end - w),
			     w, e.detail);
		} else {
			klog("cmdline: keel.%.*s", (int)(end - w), w);
			applied++;
		}
	}
	return applied;
}

/* A refused board file: the reason names the file, then the line. */
static void
board_fatal(const struct kerr *e)
{
	char why[sizeof(e->detail) + 64];

	fmt_sn(why, sizeof(why), "%s: %s", board_path, e->detail);
	power_fatal("board", why);
}

void
early_config(void)
{
	static char buf[INIT_BOARD_MAX + 1];
	static char cmdline[INIT_CMDLINE_MAX];
	char why[128];
	struct kerr e = {0};
	const char *env;
	long n;

	unsigned applied = 0;

	n = io_read_file(board_path, buf, sizeof(buf) - 1);
	if (n < 0) {
		if (n == -EFBIG)
			fmt_sn(why, sizeof(why), "%s: over %d bytes",
			       board_path, INIT_BOARD_MAX);
		else
			fmt_sn(why, sizeof(why), "%s: %s", board_path,
			       io_strerror((int)n));
		power_fatal("board", why);
	}
	buf[n] = 0;
	if (board_parse(buf, (size_t)n, &g.board, &e) < 0)
		board_fatal(&e);
	klog("board %s", g.board.name);
	/* A test passes the command line in the environment. */
	env = g.test ? getenv("KEEL_CMDLINE") : NULL;
	if (env) {
		applied = apply_cmdline(env);
	} else {
		long c =
		    io_read_file("/proc/cmdline", cmdline, sizeof(cmdline) - 1);
		if (c > 0) {
			cmdline[c] = 0;
			applied = apply_cmdline(cmdline);
		}
	}
	/* The board's rules hold after the overrides too, or none counts. */
	if (applied && board_check(&g.board, &e) < 0) {
		klog("cmdline: REFUSED: with its overrides the board breaks a "
		     "rule (%s): every keel.* override is ignored",
		     e.detail);
		if (board_parse(buf, (size_t)n, &g.board, &e) < 0)
			board_fatal(&e);
	}
	if (g.board.counter == BOARD_COUNTER_FILE && !g.test)
		power_fatal("board", "rollback.counter=file: is for tests "
				     "(keel-init --test) only");
	if (ks_load_baked(&g.keys, &e) < 0)
		power_fatal("keys", e.detail);
	klog("keys: %s%s, %u roles, %u keys", ks_baked_origin,
	     g.keys.test ? " (TEST KEYS: any image signed with them boots)"
			 : "",
	     g.keys.nroles, g.keys.nkeys);
}

/*
 * HAZARD: pivot_root(2) fails with EINVAL while / is the initramfs
 * (rootfs), and the containers need it. Move everything onto a tmpfs
 * mounted over / and chroot into it; the initramfs stays underneath,
 * emptied of its modules already.
 */
int
early_move_root(void)
{
	static const char *const keep[] = {"/dev", "/proc", "/sys", "/run"};
	struct statfs sf;
	char dst[32];

	if (g.test || statfs("/", &sf) < 0 ||
	    (sf.f_type != RAMFS_MAGIC && sf.f_type != TMPFS_MAGIC))
		return 0;
	mkdir("/newroot", 0755);
	if (sys->mount("tmpfs", "/newroot", "tmpfs", MS_NOSUID | MS_NODEV,
		       "mode=0755") < 0)
		return klog("root: tmpfs: %s", kerr_strerror(errno)), -1;
	for (size_t i = 0; i < sizeof(keep) / sizeof(keep[0]); i++) {
		fmt_sn(dst, sizeof(dst), "/newroot%s", keep[i]);
		mkdir(dst, 0755);
		if (sys->mount(keep[i], dst, NULL, MS_MOVE, NULL) < 0)
			return klog("root: move %s: %s", keep[i],
				    kerr_strerror(errno)),
			       -1;
	}
	if (chdir("/newroot") < 0 ||
	    sys->mount(".", "/", NULL, MS_MOVE, NULL) < 0 ||
	    sys->chroot(".") < 0 || chdir("/") < 0)
		return klog("root: switch: %s", kerr_strerror(errno)), -1;
	return 0;
}
