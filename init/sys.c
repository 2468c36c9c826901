// SPDX-License-Identifier: MIT
/* keel-init's system-call table: the real calls, or a recording for tests. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/ioctl.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

#include "compat/linux_dm.h"
#include "init/init.h"
#include "lib/base/fmt.h"

static int
real_mount(const char *src, const char *dst, const char *type,
	   unsigned long flags, const void *data)
{
	return mount(src, dst, type, flags, data);
}

static int
real_umount(const char *dst, int flags)
{
	return umount2(dst, flags);
}

static int
real_finit_module(int fd, const char *name)
{
	(void)name;
	return (int)syscall(SYS_finit_module, fd, "", 0);
}

static int
real_dm_ioctl(int fd, unsigned long req, void *arg)
{
	return ioctl(fd, (int)req, arg);
}

static int
real_reboot(int how)
{
	return reboot(how);
}

static int
real_kill(pid_t pid, int sig)
{
	return kill(pid, sig);
}

static int
real_settime(const struct timespec *ts)
{
	if (g.test) /* a host's clock is not keel-init's to set */
		return errno = EPERM, -1;
	return clock_settime(CLOCK_REALTIME, ts);
}

static const struct sys_ops real_ops = {
    real_mount,	   real_umount, real_finit_module,
    real_dm_ioctl, real_reboot, real_kill,
    mknod,	   unlink,	chroot,
    real_settime,
};
const struct sys_ops *sys = &real_ops;

/* --- the transcript ---------------------------------------------------- */
static int tfd = -1;

static void note(const char *fmt, ...)
    __attribute__((format(__printf__, 1, 2)));
static void
note(const char *fmt, ...)
{
	char line[INIT_LOG_LINE];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = fmt_vsn(line, sizeof(line) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if (n > (int)sizeof(line) - 2)
		n = (int)sizeof(line) - 2;
	line[n++] = '\n';
	(void)!write(tfd, line, (size_t)n);
}

static int
t_mount(const char *src, const char *dst, const char *type, unsigned long flags,
	const void *data)
{
	int r = mount(src, dst, type, flags, data);

	note("mount %s %s %s 0x%lx %s = %d", src ? src : "-", dst,
	     type ? type : "-", flags, data ? (const char *)data : "-",
	     r < 0 ? -1 : 0);
	return r;
}

static int
t_umount(const char *dst, int flags)
{
	int r = umount2(dst, flags);

	note("umount %s 0x%x = %d", dst, flags, r < 0 ? -1 : 0);
	return r;
}

static int
t_finit_module(int fd, const char *name)
{
	/* Never load a module into the host's kernel. */
	note("finit_module %s", name);
	return 0;
}

static int
t_dm_ioctl(int fd, unsigned long req, void *arg)
{
	const struct dm_ioctl *io = arg;

	/* The host has no device-mapper: record and fail. */
	note("dm_ioctl 0x%lx %s", req, io->name);
	return -1;
}

static int
t_reboot(int how)
{
	note("reboot 0x%x", how);
	/* As PID 1 of a pid namespace this ends the namespace. */
	return reboot(how);
}

static int
t_kill(pid_t pid, int sig)
{
	note("kill %s %d", pid == -1 ? "all" : "app", sig);
	return kill(pid, sig);
}

static int
t_mknod(const char *path, mode_t mode, dev_t dev)
{
	int r = mknod(path, mode, dev);

	note("mknod %s 0%o %u:%u = %d", path, (unsigned)mode, major(dev),
	     minor(dev), r < 0 ? -1 : 0);
	return r;
}

static int
t_unlink(const char *path)
{
	int r = unlink(path);

	note("unlink %s = %d", path, r < 0 ? -1 : 0);
	return r;
}

static int
t_chroot(const char *path)
{
	int r = chroot(path);

	note("chroot %s = %d", path, r < 0 ? -1 : 0);
	return r;
}

static int
t_settime(const struct timespec *ts)
{
	/* Never set the host's clock. */
	note("settime %lld", (long long)ts->tv_sec);
	return 0;
}

static const struct sys_ops transcript_ops = {
    t_mount, t_umount, t_finit_module, t_dm_ioctl, t_reboot,
    t_kill,  t_mknod,  t_unlink,       t_chroot,   t_settime,
};

int
sys_recording(void)
{
	return tfd >= 0;
}

void
sys_use_transcript(int fd)
{
	tfd = fd;
	sys = &transcript_ops;
}
