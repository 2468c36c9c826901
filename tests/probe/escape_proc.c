// SPDX-License-Identifier: MIT
/* Escape probes through keel's own processes, the terminal and the files
 * keel shares with the container (/proc/1, /run/keel, binds, setuid). */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/probe/escape.h"

#define SUID_PROBE "/bin/probe-suid"

/* Descriptors beyond 0-2 the app was started with (keel's, leaked). */
int
inherited_fds(char *d)
{
	DIR *dp = opendir("/proc/self/fd");
	struct dirent *e;
	char link[64], to[128];
	int n = 0;

	if (!dp)
		return SAY(d, "/proc/self/fd: %s", strerror(errno)), NA;
	SAY(d, "only 0, 1 and 2");
	while ((e = readdir(dp))) {
		int fd = atoi(e->d_name);
		ssize_t l;

		if (e->d_name[0] == '.' || fd <= 2 || fd == dirfd(dp))
			continue;
		snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
		l = readlink(link, to, sizeof(to) - 1);
		to[l > 0 ? l : 0] = 0;
		if (!n++)
			SAY(d, "fd %d -> %s", fd, to);
	}
	closedir(dp);
	return n ? ESCAPED : REFUSED;
}

int
p_setns(char *d)
{
	static const char *const ns[] = {"mnt", "pid",	  "net", "uts",
					 "ipc", "cgroup", "user"};
	char p[32];
	int opened = 0;

	SAY(d, "nothing to open");
	for (size_t i = 0; i < sizeof(ns) / sizeof(ns[0]); i++) {
		int fd;

		snprintf(p, sizeof(p), "/proc/1/ns/%s", ns[i]);
		fd = open(p, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			if (!opened)
				SAY(d, "open %s: %s", p, strerror(errno));
			continue;
		}
		if (setns(fd, 0) == 0)
			return SAY(d, "setns into pid 1's %s namespace", ns[i]),
			       ESCAPED;
		SAY(d, "setns %s: %s", p, strerror(errno));
		opened = 1;
		close(fd);
	}
	return REFUSED;
}

/* /proc/1/root and /proc/1/cwd: unreadable, or the container's own root */
static int
leads_out(const char *link, char *d)
{
	struct stat r, s;
	int fd;

	if (getpid() == 1)
		return SAY(d, "the app is pid 1: no reaper"), NA;
	fd = open(link, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return SAY(d, "%s: %s", link, strerror(errno)), REFUSED;
	if (stat("/", &r) || fstat(fd, &s))
		return SAY(d, "stat: %s", strerror(errno)), ESCAPED;
	if (r.st_dev == s.st_dev && r.st_ino == s.st_ino)
		return SAY(d, "%s is the container's own root", link), REFUSED;
	return SAY(d, "%s leads to another directory (%lu:%lu)", link,
		   (unsigned long)s.st_dev, (unsigned long)s.st_ino),
	       ESCAPED;
}

int
p_proc1_root(char *d)
{
	return leads_out("/proc/1/root", d);
}

int
p_proc1_cwd(char *d)
{
	return leads_out("/proc/1/cwd", d);
}

/* Any of pid 1's descriptors, reopened through /proc or taken by pidfd;
 * the detail names up to four (what a reaper holds is the finding). */
int
p_proc1_fd(char *d)
{
	char p[64], to[96], got[DETAIL] = "";
	struct dirent *e;
	int seen = 0, took = 0;
	size_t used = 0;
	long pfd;
	DIR *dp;

	if (getpid() == 1)
		return SAY(d, "the app is pid 1: no reaper"), NA;
	dp = opendir("/proc/1/fd");
	if (!dp)
		SAY(d, "/proc/1/fd: %s", strerror(errno));
	while (dp && (e = readdir(dp))) {
		ssize_t l;
		int fd;

		if (e->d_name[0] == '.')
			continue;
		seen++;
		snprintf(p, sizeof(p), "/proc/1/fd/%s", e->d_name);
		l = readlink(p, to, sizeof(to) - 1);
		to[l > 0 ? l : 0] = 0;
		fd = open(p, O_RDONLY | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
		if (fd >= 0) {
			close(fd);
			took++;
		}
		if (used < sizeof(got) - 1 && seen <= 4)
			used += (size_t)snprintf(
			    got + used, sizeof(got) - used, "%s%s -> %s%s",
			    seen > 1 ? ", " : "", e->d_name, to,
			    fd >= 0 ? " (reopened)" : "");
		if (!took && fd < 0)
			SAY(d, "pid 1 holds fd %s -> %s; reopen: %s", e->d_name,
			    to, strerror(errno));
	}
	if (dp)
		closedir(dp);
	if (took)
		return SAY(d, "%d of pid 1's %d fds reopened: %s", took, seen,
			   got),
		       ESCAPED;
	pfd = syscall(SYS_pidfd_open, 1, 0);
	for (int n = 0; pfd >= 0 && n < 64; n++) {
		long fd = syscall(SYS_pidfd_getfd, pfd, n, 0);

		if (fd >= 0)
			return SAY(d, "took pid 1's fd %d with pidfd_getfd", n),
			       ESCAPED;
		if (n == 0 && !seen)
			SAY(d, "/proc/1/fd unlistable; pidfd_getfd: %s",
			    strerror(errno));
	}
	return REFUSED;
}

/* The classic: chroot into a subdirectory, fchdir to a held fd, walk up. */
int
p_chroot_fd(char *d)
{
	struct stat r, s;
	int fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0 || stat("/", &r))
		return SAY(d, "open /: %s", strerror(errno)), NA;
	mkdir("/tmp/.probe-chroot", 0700);
	if (chroot("/tmp/.probe-chroot"))
		return SAY(d, "chroot: %s", strerror(errno)), REFUSED;
	if (fchdir(fd))
		return SAY(d, "fchdir: %s", strerror(errno)), REFUSED;
	for (int i = 0; i < 64; i++)
		if (chdir(".."))
			break;
	if (stat(".", &s))
		return SAY(d, "stat: %s", strerror(errno)), REFUSED;
	if (s.st_dev == r.st_dev && s.st_ino == r.st_ino)
		return SAY(d, "chroot works; .. stops at the container's root"),
		       REFUSED;
	return SAY(d, "walked above the container's root to %lu:%lu",
		   (unsigned long)s.st_dev, (unsigned long)s.st_ino),
	       ESCAPED;
}

unsigned long long
status_hex(const char *key)
{
	char line[256];
	size_t n = strlen(key);
	unsigned long long v = 0;
	FILE *f = fopen("/proc/self/status", "r");

	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, key, n) && line[n] == ':')
			v = strtoull(line + n + 1, NULL, 16);
	if (f)
		fclose(f);
	return v;
}

int
ids_main(void)
{
	printf("ids euid=%d capeff=%llx capprm=%llx\n", (int)geteuid(),
	       status_hex("CapEff"), status_hex("CapPrm"));
	return 0;
}

/* A setuid-root copy of the probe in the image must gain nothing. */
int
p_suid(char *d)
{
	unsigned long long eff = status_hex("CapEff"),
			   prm = status_hex("CapPrm");
	unsigned long long ceff, cprm;
	char buf[160];
	struct stat st;
	int p[2], euid;
	ssize_t n;
	pid_t pid;

	if (stat(SUID_PROBE, &st) || !(st.st_mode & S_ISUID) || st.st_uid)
		return SAY(d, "no setuid-root %s in the image", SUID_PROBE), NA;
	if (pipe(p))
		return SAY(d, "pipe: %s", strerror(errno)), NA;
	pid = fork();
	if (pid == 0) {
		dup2(p[1], 1);
		execl(SUID_PROBE, SUID_PROBE, "ids", (char *)NULL);
		_exit(127);
	}
	close(p[1]);
	n = read(p[0], buf, sizeof(buf) - 1);
	close(p[0]);
	waitpid(pid, NULL, 0);
	buf[n > 0 ? n : 0] = 0;
	if (sscanf(buf, "ids euid=%d capeff=%llx capprm=%llx", &euid, &ceff,
		   &cprm) != 3)
		return SAY(d, "%s did not run", SUID_PROBE), REFUSED;
	if (euid != (int)geteuid())
		return SAY(d, "euid %d became %d", (int)geteuid(), euid),
		       ESCAPED;
	if ((ceff & ~eff) || (cprm & ~prm))
		return SAY(d, "gained capabilities %llx", (ceff | cprm) & ~prm),
		       ESCAPED;
	return SAY(d, "setuid-root binary ran as euid %d, no new capability",
		   euid),
	       REFUSED;
}

/* The terminals the app can reach: fds 0-2, /dev/tty, /dev/console. */
static int
ttys(int *fds)
{
	static const char *const dev[] = {"/dev/tty", "/dev/console"};
	int n = 0;

	for (int fd = 0; fd < 3; fd++)
		if (isatty(fd))
			fds[n++] = fd;
	for (int i = 0; i < 2; i++) {
		int fd =
		    open(dev[i], O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);

		if (fd >= 0 && isatty(fd))
			fds[n++] = fd;
		else if (fd >= 0)
			close(fd);
	}
	return n;
}

int
p_tiocsti(char *d)
{
	int fds[5], n = ttys(fds), sti = 0, lin = 0;

	if (!n)
		return SAY(d, "no terminal on fds 0-2"), NA;
	for (int i = 0; i < n; i++) {
		char c = ' ', sub = 6; /* TIOCL_GETSHIFTSTATE */

		if (ioctl(fds[i], TIOCSTI, &c) == 0)
			return SAY(d,
				   "TIOCSTI pushed a byte into fd %d's "
				   "terminal",
				   fds[i]),
			       ESCAPED;
		if (!sti)
			sti = errno;
		if (ioctl(fds[i], TIOCLINUX, &sub) == 0)
			return SAY(d, "TIOCLINUX reached a virtual console"),
			       ESCAPED;
		if (!lin)
			lin = errno;
	}
	return SAY(d, "TIOCSTI: %s; TIOCLINUX: %s", strerror(sti),
		   strerror(lin)),
	       REFUSED;
}

int
p_ctty(char *d)
{
	int tty = isatty(0) || isatty(1) || isatty(2);
	int fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);

	if (fd >= 0)
		return SAY(d, "/dev/tty opens: keel's caller's terminal "
			      "controls the app"),
		       ESCAPED;
	if (!tty)
		return SAY(d, "no terminal on fds 0-2"), NA;
	return SAY(d, "/dev/tty: %s", strerror(errno)), REFUSED;
}

int
p_run_keel(char *d)
{
	DIR *dp = opendir("/run/keel");
	struct dirent *e;
	int fd, err;

	if (!dp)
		return SAY(d, "no /run/keel here"), NA;
	fd = open("/run/keel/.probe", O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC,
		  0600);
	if (fd >= 0) {
		close(fd);
		unlink("/run/keel/.probe");
		closedir(dp);
		return SAY(d, "created and deleted /run/keel/.probe: keel's "
			      "sockets there are deletable"),
		       ESCAPED;
	}
	err = errno;
	SAY(d, "create in /run/keel: %s", strerror(err));
	while ((e = readdir(dp))) {
		char p[300];

		if (e->d_name[0] == '.')
			continue;
		snprintf(p, sizeof(p), "/run/keel/%s", e->d_name);
		if (unlink(p) == 0) {
			closedir(dp);
			return SAY(d, "deleted %s", p), ESCAPED;
		}
		SAY(d, "create: %s; unlink %s: %s", strerror(err), p,
		    strerror(errno));
	}
	closedir(dp);
	return REFUSED;
}

int
p_bind_symlink(char *d)
{
	struct stat st;

	if (!look_path)
		return SAY(d, "no bind source to plant in"), NA;
	if (stat(look_path, &st) == 0)
		return SAY(d, "host file %s shows through the bind", look_path),
		       ESCAPED;
	if (plant_link)
		return SAY(d, "planted %s -> / for the next start", plant_link),
		       NA;
	return SAY(d, "%s does not show", look_path), REFUSED;
}

void
plant(void)
{
	rmdir(plant_link);
	if (symlink("/", plant_link))
		printf("escape-plant %s: %s\n", plant_link, strerror(errno));
}
