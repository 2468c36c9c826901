// SPDX-License-Identifier: MIT
/* Isolation probe: runs inside keel's container and prints what it sees. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tests/probe/escape.h"

/*
 * Usage: probe                 every answer as key=value lines
 *        probe write PATH TEXT  write TEXT to PATH; write=ok|ERRNO
 *        probe cat PATH         cat=TEXT|ERRNO
 *        probe sleep SECS CODE  report signals; exit CODE on TERM
 *        probe orphans N        leave N orphans, then count zombies
 *        probe exit CODE        exit with CODE (also: called as "true")
 *        probe escape [--look PATH] [--plant LINK]
 *                               the escape probes (escape.c), one line each
 *        probe ids              euid and capabilities, one line
 */

static const char *
ename(int err)
{
	static const struct {
		int n;
		const char *s;
	} t[] = {
	    {0, "ok"},
	    {EPERM, "EPERM"},
	    {ENOENT, "ENOENT"},
	    {EACCES, "EACCES"},
	    {EROFS, "EROFS"},
	    {ENOSYS, "ENOSYS"},
	    {EINVAL, "EINVAL"},
	    {EBUSY, "EBUSY"},
	    {ENXIO, "ENXIO"},
	    {ENODEV, "ENODEV"},
	    {EFAULT, "EFAULT"},
	    {EEXIST, "EEXIST"},
	    {ENOTDIR, "ENOTDIR"},
	    {ESRCH, "ESRCH"},
	};
	static char buf[16];

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (t[i].n == err)
			return t[i].s;
	snprintf(buf, sizeof(buf), "E%d", err);
	return buf;
}

static const char *
res(long rc)
{
	return ename(rc < 0 ? errno : 0);
}

static void
file_line(const char *path, char *out, size_t cap)
{
	FILE *f = fopen(path, "r");

	out[0] = 0;
	if (!f)
		return;
	if (fgets(out, (int)cap, f))
		out[strcspn(out, "\n")] = 0;
	fclose(f);
}

static void
status_fields(void)
{
	static const char *keys[] = {"Uid",	   "Gid",    "Groups", "CapInh",
				     "CapPrm",	   "CapEff", "CapBnd", "CapAmb",
				     "NoNewPrivs", "Seccomp"};
	char line[512];
	FILE *f = fopen("/proc/self/status", "r");

	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char *v = strchr(line, ':');

		if (!v)
			continue;
		*v++ = 0;
		v += strspn(v, " \t");
		v[strcspn(v, "\n")] = 0;
		for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
			if (!strcmp(line, keys[i]))
				printf("%s=%s\n", keys[i], v);
	}
	fclose(f);
}

static int
cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* sorted, comma-joined names of dir (no . and ..) */
static void
list_dir(const char *key, const char *dir)
{
	char *names[512];
	int n = 0;
	struct dirent *d;
	DIR *dp = opendir(dir);

	printf("%s=", key);
	if (!dp) {
		printf("%s\n", ename(errno));
		return;
	}
	while ((d = readdir(dp)) && n < 512)
		if (strcmp(d->d_name, ".") && strcmp(d->d_name, ".."))
			names[n++] = strdup(d->d_name);
	closedir(dp);
	qsort(names, (size_t)n, sizeof(names[0]), cmp);
	for (int i = 0; i < n; i++)
		printf("%s%s", i ? "," : "", names[i]);
	printf("\n");
}

static void
net(void)
{
	char line[256];
	FILE *f = fopen("/proc/net/dev", "r");
	int first = 1;

	printf("net=");
	while (f && fgets(line, sizeof(line), f)) {
		char *c = strchr(line, ':');

		if (!c)
			continue;
		*c = 0;
		printf("%s%s", first ? "" : ",", line + strspn(line, " "));
		first = 0;
	}
	printf("\n");
	if (f)
		fclose(f);
}

static int
count_procs(int print, int zombies_only)
{
	DIR *dp = opendir("/proc");
	struct dirent *d;
	int n = 0;

	if (print)
		printf("procs=");
	while (dp && (d = readdir(dp))) {
		char p[300], stat[512], *rp;

		if (d->d_name[0] < '0' || d->d_name[0] > '9')
			continue;
		snprintf(p, sizeof(p), "/proc/%s/stat", d->d_name);
		file_line(p, stat, sizeof(stat));
		rp = strrchr(stat, ')');
		if (zombies_only && !(rp && rp[1] == ' ' && rp[2] == 'Z'))
			continue;
		if (print)
			printf("%s%s", n ? "," : "", d->d_name);
		n++;
	}
	if (dp)
		closedir(dp);
	if (print)
		printf("\nnprocs=%d\n", n);
	return n;
}

static void
mounts(void)
{
	char line[1024];
	FILE *f = fopen("/proc/self/mountinfo", "r");
	int n = 0;

	printf("mounts=");
	while (f && fgets(line, sizeof(line), f)) {
		char *mp = line;

		for (int i = 0; i < 4 && mp; i++)
			mp = strchr(mp, ' ') ? strchr(mp, ' ') + 1 : NULL;
		if (!mp)
			continue;
		mp[strcspn(mp, " ")] = 0;
		printf("%s%s", n ? "," : "", mp);
		n++;
	}
	printf("\nnmounts=%d\n", n);
	if (f)
		fclose(f);
}

/* 0 if a node made at path from some /sys/dev/block entry opens. */
static int
blk_node(const char *path)
{
	DIR *dp = opendir("/sys/dev/block");
	struct dirent *d;

	while (dp && (d = readdir(dp))) {
		unsigned ma, mi;
		int fd;

		if (sscanf(d->d_name, "%u:%u", &ma, &mi) != 2)
			continue;
		if (mknod(path, S_IFBLK | 0600, makedev(ma, mi)))
			continue;
		fd = open(path, O_RDONLY);
		unlink(path);
		if (fd >= 0) {
			printf("blockdev=reachable:%s\n", d->d_name);
			close(fd);
			closedir(dp);
			return 0;
		}
	}
	if (dp)
		closedir(dp);
	return -1;
}

/* Any host block device: by name in /dev, or made from /sys/dev/block. */
static void
blockdev(void)
{
	static const char *names[] = {"/dev/vda", "/dev/sda", "/dev/loop0",
				      "/dev/nvme0n1", "/dev/xvda"};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		int fd = open(names[i], O_RDONLY);

		if (fd >= 0) {
			printf("blockdev=reachable:%s\n", names[i]);
			close(fd);
			return;
		}
	}
	/* /dev is the one tmpfs without nodev: try there, then /tmp */
	if (!blk_node("/dev/.probe-blk") || !blk_node("/tmp/.probe-blk"))
		return;
	printf("blockdev=unreachable\n");
}
static void
report(void)
{
	extern char **environ;
	char buf[512];
	struct utsname u;
	int fd;

	printf("pid=%d\nppid=%d\n", (int)getpid(), (int)getppid());
	file_line("/proc/1/comm", buf, sizeof(buf));
	printf("pid1_comm=%s\n", buf);
	uname(&u);
	printf("hostname=%s\n", u.nodename);
	printf("uid=%d\ngid=%d\n", (int)getuid(), (int)getgid());
	status_fields();
	fd = open("/.probe-write", O_CREAT | O_WRONLY, 0600);
	printf("root_write=%s\n", res(fd));
	printf("mount=%s\n", res(mount("none", "/tmp", "tmpfs", 0, NULL)));
	printf("unshare_user=%s\n", res(unshare(CLONE_NEWUSER)));
	printf("init_module=%s\n",
	       res(syscall(SYS_init_module, NULL, 0UL, "")));
	printf("keyctl=%s\n", res(syscall(SYS_keyctl, 0, -3, 0)));
	printf("ptrace=%s\n", res(ptrace(PTRACE_TRACEME, 0, 0, 0)));
	list_dir("dev", "/dev");
	net();
	count_procs(1, 0);
	mounts();
	blockdev();
	if (getcwd(buf, sizeof(buf)))
		printf("cwd=%s\n", buf);
	for (char **e = environ; *e; e++)
		printf("env.%s\n", *e);
}

static volatile sig_atomic_t got;

static void
on_sig(int sig)
{
	got = sig;
}

static int
sleep_mode(int secs, int code)
{
	static const int sigs[] = {SIGINT,  SIGTERM, SIGHUP,
				   SIGQUIT, SIGUSR1, SIGUSR2};
	struct sigaction sa = {.sa_handler = on_sig};
	time_t end = time(NULL) + secs;

	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaction(sigs[i], &sa, NULL);
	printf("ready\n");
	fflush(stdout);
	while (time(NULL) < end) {
		pause();
		if (got) {
			printf("signal=%d\n", (int)got);
			fflush(stdout);
			if (got == SIGTERM)
				return code;
			got = 0;
		}
	}
	return 0;
}

static int
orphans(int n)
{
	pid_t mid = fork();
	int z = 0;

	if (mid == 0) {
		for (int i = 0; i < n; i++)
			if (fork() == 0) {
				usleep(200000);
				_exit(0);
			}
		_exit(0);
	}
	waitpid(mid, NULL, 0);
	sleep(1);
	for (int t = 0; t < 40; t++) {
		z = count_procs(0, 1);
		if (!z && count_procs(0, 0) <= 2)
			break;
		usleep(100000);
	}
	printf("orphans=%d\nzombies=%d\nleft=%d\n", n, z, count_procs(0, 0));
	return 0;
}

int
main(int argc, char **argv)
{
	const char *me =
	    strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];
	char buf[4096];

	if (!strcmp(me, "true"))
		return 0;
	if (argc == 1) {
		report();
		return 0;
	}
	if (!strcmp(argv[1], "exit") && argc == 3)
		return atoi(argv[2]);
	if (!strcmp(argv[1], "write") && argc == 4) {
		int fd = open(argv[2], O_CREAT | O_TRUNC | O_WRONLY, 0644);
		ssize_t n = fd < 0 ? -1 : write(fd, argv[3], strlen(argv[3]));

		printf("write=%s\n", res(n));
		return n < 0;
	}
	if (!strcmp(argv[1], "cat") && (argc == 3 || argc == 4)) {
		/* cat PATH [MS]: MS later (the reaper drops its capabilities
		 * only once the app's execve released its vfork) */
		int fd;
		ssize_t n;

		if (argc == 4)
			usleep((useconds_t)atoi(argv[3]) * 1000);
		fd = open(argv[2], O_RDONLY);
		n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);

		if (n < 0) {
			printf("cat=%s\n", ename(errno));
			return 1;
		}
		buf[n] = 0;
		printf("cat=%s\n", buf);
		return 0;
	}
	if (!strcmp(argv[1], "sleep") && argc == 4)
		return sleep_mode(atoi(argv[2]), atoi(argv[3]));
	if (!strcmp(argv[1], "escape"))
		return escape_main(argc - 2, argv + 2);
	if (!strcmp(argv[1], "ids") && argc == 2)
		return ids_main();
	if (!strcmp(argv[1], "orphans") && argc == 3)
		return orphans(atoi(argv[2]));
	fprintf(stderr, "probe: bad arguments\n");
	return 2;
}
