// SPDX-License-Identifier: MIT
/* Escape probes: each tries one known way out of a container and says
 * whether it was refused ("probe escape", run inside keel's container). */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tests/probe/escape.h"

const char *look_path, *plant_link;

struct answer {
	int v;
	char d[DETAIL];
};

int
refused_if(int escaped, char *d, const char *how, int err)
{
	if (escaped)
		return SAY(d, "%s succeeded", how), ESCAPED;
	SAY(d, "%s: %s", how, strerror(err));
	return REFUSED;
}

/* Writes the first existing file's own value back: nothing changes. */
static int
write_back(const char *const *paths, char *d)
{
	char buf[512];
	ssize_t n;
	int fd = -1;

	for (; *paths; paths++)
		if ((fd = open(*paths, O_RDONLY | O_CLOEXEC)) >= 0)
			break;
	if (!*paths)
		return SAY(d, "none of the files exists here"), NA;
	n = read(fd, buf, sizeof(buf));
	close(fd);
	fd = open(*paths, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return SAY(d, "open %s for writing: %s", *paths,
			   strerror(errno)),
		       REFUSED;
	if (n <= 0 || write(fd, buf, (size_t)n) != n) {
		SAY(d, "write %s: %s", *paths, strerror(errno));
		close(fd);
		return REFUSED;
	}
	close(fd);
	return SAY(d, "wrote %s (its own value back)", *paths), ESCAPED;
}

static int
p_core_pattern(char *d)
{
	static const char *const p[] = {"/proc/sys/kernel/core_pattern", NULL};

	return write_back(p, d);
}

static int
p_sysctl(char *d)
{
	static const char *const p[] = {
	    "/proc/sys/kernel/modprobe", "/proc/sys/vm/overcommit_memory",
	    "/proc/sys/kernel/randomize_va_space", NULL};

	return write_back(p, d);
}

/* Opens for writing, never writes: ESCAPED if the open succeeds. */
static int
open_w(const char *const *paths, char *d)
{
	int tried = 0;

	for (; *paths; paths++) {
		int fd = open(*paths, O_WRONLY | O_CLOEXEC | O_NOCTTY);

		if (fd >= 0) {
			close(fd);
			return SAY(d, "%s opened for writing", *paths), ESCAPED;
		}
		if (errno == ENOENT)
			continue;
		if (!tried++)
			SAY(d, "%s: %s", *paths, strerror(errno));
	}
	if (!tried)
		return SAY(d, "none of the files exists here"), NA;
	return REFUSED;
}

static int
p_sysrq(char *d)
{
	static const char *const p[] = {"/proc/sysrq-trigger", NULL};

	return open_w(p, d);
}

static int
p_proc_irq(char *d)
{
	static const char *const p[] = {"/proc/irq/default_smp_affinity", NULL};

	return open_w(p, d);
}

static int
p_proc_bus(char *d)
{
	static char file[300];
	const char *p[] = {file, "/proc/bus/input/devices", NULL};
	struct dirent *a, *b;
	DIR *top = opendir("/proc/bus/pci"), *sub;

	file[0] = 0;
	while (top && !file[0] && (a = readdir(top))) {
		char dir[280];

		if (a->d_name[0] == '.' || !strcmp(a->d_name, "devices"))
			continue;
		snprintf(dir, sizeof(dir), "/proc/bus/pci/%s", a->d_name);
		sub = opendir(dir);
		while (sub && (b = readdir(sub)))
			if (b->d_name[0] != '.') {
				snprintf(file, sizeof(file), "%.270s/%.20s",
					 dir, b->d_name);
				break;
			}
		if (sub)
			closedir(sub);
	}
	if (top)
		closedir(top);
	return open_w(file[0] ? p : p + 1, d);
}

static int
p_sys_write(char *d)
{
	static const char *const p[] = {
	    "/sys/kernel/uevent_helper",
	    "/sys/power/state",
	    "/sys/kernel/mm/transparent_hugepage/enabled",
	    "/sys/kernel/profiling",
	    "/sys/fs/cgroup/cgroup.procs",
	    "/sys/fs/cgroup/cgroup.subtree_control",
	    "/sys/class/net/lo/mtu",
	    NULL};

	return open_w(p, d);
}

/* runc's masked files and directories: empty when masked. */
static int
p_proc_masked(char *d)
{
	static const char *const files[] = {
	    "/proc/kcore",	 "/proc/keys",		"/proc/timer_list",
	    "/proc/sched_debug", "/proc/latency_stats", "/proc/timer_stats"};
	static const char *const dirs[] = {"/proc/acpi", "/proc/asound",
					   "/proc/scsi", "/sys/firmware",
					   "/sys/devices/virtual/powercap"};
	char c;

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		int fd = open(files[i], O_RDONLY | O_CLOEXEC);

		if (fd >= 0 && read(fd, &c, 1) == 1) {
			close(fd);
			return SAY(d, "%s has content", files[i]), ESCAPED;
		}
		if (fd >= 0)
			close(fd);
	}
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		DIR *dp = opendir(dirs[i]);
		struct dirent *e;

		while (dp && (e = readdir(dp)))
			if (e->d_name[0] != '.') {
				SAY(d, "%s lists %s", dirs[i], e->d_name);
				closedir(dp);
				return ESCAPED;
			}
		if (dp)
			closedir(dp);
	}
	return SAY(d, "every masked file and directory is empty"), REFUSED;
}

static int
p_mount(char *d)
{
	long fs;

	if (mount("none", "/tmp", "tmpfs", 0, NULL) == 0) {
		umount2("/tmp", MNT_DETACH);
		return SAY(d, "mounted a tmpfs on /tmp"), ESCAPED;
	}
	SAY(d, "mount: %s", strerror(errno));
	fs = syscall(SYS_fsopen, "tmpfs", 0);
	if (fs >= 0)
		return SAY(d, "fsopen(tmpfs) gave a context"), ESCAPED;
	fs = syscall(SYS_open_tree, AT_FDCWD, "/", 1 /* OPEN_TREE_CLONE */);
	if (fs >= 0)
		return SAY(d, "open_tree cloned /"), ESCAPED;
	return REFUSED;
}

/* Run last: a successful umount would change what later probes see. */
static int
p_umount_mask(char *d)
{
	struct stat st;
	struct statvfs sv;

	if (stat("/proc/kcore", &st) == 0 &&
	    !(S_ISCHR(st.st_mode) || st.st_size == 0))
		return SAY(d, "/proc/kcore is not masked at all"), ESCAPED;
	if (statvfs("/proc/sys", &sv) == 0 && !(sv.f_flag & ST_RDONLY))
		return SAY(d, "/proc/sys is not read-only at all"), ESCAPED;
	if (umount2("/proc/kcore", MNT_DETACH) == 0)
		return SAY(d, "unmounted the mask on /proc/kcore"), ESCAPED;
	SAY(d, "umount /proc/kcore: %s", strerror(errno));
	if (umount2("/proc/sys", MNT_DETACH) == 0)
		return SAY(d, "unmounted the read-only /proc/sys"), ESCAPED;
	return REFUSED;
}

/* mknod one node in dir and open it; 1 if the open worked. */
static int
node_opens(const char *dir, mode_t type, dev_t dev, char *d, int *made)
{
	char p[64];
	int fd;

	snprintf(p, sizeof(p), "%s/.probe-node", dir);
	unlink(p);
	/* the detail keeps the first refusal, and says if mknod worked */
	if (mknod(p, type | 0600, dev)) {
		if (!*d)
			SAY(d, "mknod %u:%u in %s: %s", major(dev), minor(dev),
			    dir, strerror(errno));
		return 0;
	}
	fd = open(p, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0 && !*made)
		SAY(d, "mknod %u:%u in %s works, open: %s", major(dev),
		    minor(dev), dir, strerror(errno));
	*made = 1;
	unlink(p);
	if (fd < 0)
		return 0;
	close(fd);
	return 1;
}

static int
p_mknod_blockdev(char *d)
{
	static const char *const dirs[] = {"/dev", "/dev/shm", "/tmp", "/run",
					   "/var/lib"};
	dev_t devs[9];
	int n = 0, made = 0;
	struct dirent *e;
	DIR *dp = opendir("/sys/dev/block");
	unsigned ma, mi;

	/* disks first: a loop device is a disk only on a host */
	while (dp && n < 8 && (e = readdir(dp)))
		if (sscanf(e->d_name, "%u:%u", &ma, &mi) == 2 && ma != 7)
			devs[n++] = makedev(ma, mi);
	if (dp)
		rewinddir(dp);
	while (dp && n < 8 && (e = readdir(dp)))
		if (sscanf(e->d_name, "%u:%u", &ma, &mi) == 2 && ma == 7)
			devs[n++] = makedev(ma, mi);
	if (dp)
		closedir(dp);
	if (!n)
		devs[n++] = makedev(8, 0);
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		for (int j = 0; j < n; j++)
			if (node_opens(dirs[i], S_IFBLK, devs[j], d, &made))
				return SAY(d,
					   "opened block device %u:%u "
					   "from %s",
					   major(devs[j]), minor(devs[j]),
					   dirs[i]),
				       ESCAPED;
		if (node_opens(dirs[i], S_IFCHR, makedev(1, 1), d, &made))
			return SAY(d, "opened /dev/mem (1:1) from %s", dirs[i]),
			       ESCAPED;
	}
	if (status_hex("CapEff") & (1ULL << 27)) {
		size_t l = strlen(d);

		snprintf(d + l, DETAIL - l, " (holding CAP_MKNOD)");
	}
	return REFUSED;
}

static const struct probe {
	const char *cls;
	int (*fn)(char *d);
} probes[] = {
    {"core_pattern", p_core_pattern},
    {"sysctl", p_sysctl},
    {"sysrq", p_sysrq},
    {"proc_irq", p_proc_irq},
    {"proc_bus", p_proc_bus},
    {"sys_write", p_sys_write},
    {"proc_masked", p_proc_masked},
    {"mount", p_mount},
    {"ptrace_reaper", p_ptrace_reaper},
    {"open_by_handle", p_open_by_handle},
    {"keyring", p_keyring},
    {"bpf", p_bpf},
    {"perf_event", p_perf_event},
    {"userfaultfd", p_userfaultfd},
    {"userns", p_userns},
    {"clone3", p_clone3},
#if defined(__x86_64__)
    {"x32", p_x32},
    {"i386", p_i386},
#else
    {"arm32", p_arm32},
#endif
    {"mknod_blockdev", p_mknod_blockdev},
    {"raw_socket", p_raw_socket},
    {"module", p_module},
    {"kexec", p_kexec},
    {"reboot", p_reboot},
    {"syslog", p_syslog},
    {"clock", p_clock},
    {"io_uring", p_io_uring},
    {"personality", p_personality},
    {"setns", p_setns},
    {"proc1_root", p_proc1_root},
    {"proc1_cwd", p_proc1_cwd},
    {"proc1_fd", p_proc1_fd},
    {"chroot_fd", p_chroot_fd},
    {"suid", p_suid},
    {"tiocsti", p_tiocsti},
    {"ctty", p_ctty},
    {"run_keel", p_run_keel},
    {"bind_symlink", p_bind_symlink},
    {"umount_mask", p_umount_mask},
};

static const char *const vname[] = {"refused", "ESCAPED", "n/a"};

static void
line(const char *cls, const struct answer *a, int *count)
{
	printf("escape %s=%s %s\n", cls, vname[a->v], a->d);
	fflush(stdout);
	count[a->v]++;
}

/* One probe in a child of its own: a kill or a hang cannot stop the rest. */
static void
run_one(const struct probe *p, int *count)
{
	struct answer a = {NA, ""};
	int pfd[2], st = 0;
	ssize_t n = -1;
	pid_t pid;

	if (pipe2(pfd, O_CLOEXEC) == 0 && (pid = fork()) >= 0) {
		if (pid == 0) {
			close(pfd[0]);
			alarm(10);
			a.v = p->fn(a.d);
			if (write(pfd[1], &a, sizeof(a)) < 0)
				_exit(1);
			_exit(0);
		}
		close(pfd[1]);
		do
			n = read(pfd[0], &a, sizeof(a));
		while (n < 0 && errno == EINTR);
		close(pfd[0]);
		waitpid(pid, &st, 0);
	}
	if (n != (ssize_t)sizeof(a) && WIFSIGNALED(st) &&
	    WTERMSIG(st) != SIGALRM) {
		a.v = REFUSED;
		SAY(a.d, "killed by signal %d (%s)", WTERMSIG(st),
		    strsignal(WTERMSIG(st)));
	} else if (n != (ssize_t)sizeof(a)) {
		a.v = ESCAPED;
		SAY(a.d, "no answer (status %#x): nothing stopped it", st);
	}
	a.d[DETAIL - 1] = 0;
	line(p->cls, &a, count);
}

int
escape_main(int argc, char **argv)
{
	const size_t np = sizeof(probes) / sizeof(probes[0]);
	int count[3] = {0, 0, 0};
	struct answer a;

	for (int i = 0; i < argc; i += 2) {
		if (i + 1 == argc)
			return fprintf(stderr, "probe escape: bad arguments\n"),
			       2;
		if (!strcmp(argv[i], "--look"))
			look_path = argv[i + 1];
		else if (!strcmp(argv[i], "--plant"))
			plant_link = argv[i + 1];
		else
			return fprintf(stderr, "probe escape: bad arguments\n"),
			       2;
	}
	/* a fresh pid namespace has small pids: never probe a host */
	if (getpid() > 64)
		return fprintf(stderr,
			       "probe escape: pid %d: runs only as a "
			       "container's app\n",
			       (int)getpid()),
		       2;
	setvbuf(stdout, NULL, _IOLBF, 0);
	/* first, before this program opens anything of its own */
	a.v = inherited_fds(a.d);
	line("inherited_fd", &a, count);
	for (size_t i = 0; i < np; i++)
		run_one(&probes[i], count);
	if (plant_link)
		plant();
	printf("escape-summary probes=%zu refused=%d escaped=%d n/a=%d\n",
	       np + 1, count[REFUSED], count[ESCAPED], count[NA]);
	return count[ESCAPED] ? 3 : 0;
}
