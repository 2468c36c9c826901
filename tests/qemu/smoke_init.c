// SPDX-License-Identifier: MIT
/* A test /init: loads the board's modules, lists partitions, powers off. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "lib/config/board.h"

static char conf[BOARD_FILE_MAX + 1], list[8192], cmdline[4096];
static struct board board;
static int failures;

/* Microseconds since the kernel started. */
static long
uptime_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_BOOTTIME, &ts);
	return ts.tv_sec * 1000000L + ts.tv_nsec / 1000;
}

static long
slurp(const char *path, char *buf, size_t cap)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	long n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, cap - 1);
	close(fd);
	if (n >= 0)
		buf[n] = 0;
	return n;
}

static void
load_modules(void)
{
	long n = slurp("/lib/modules/load.list", list, sizeof(list));
	const char *p = list, *end = list + (n > 0 ? n : 0);
	char name[64], path[96];
	struct kerr e = {0};
	int r, count = 0;

	while ((r = board_modlist_next(&p, end, name, sizeof(name), &e)) == 1) {
		int fd;

		snprintf(path, sizeof(path), "/lib/modules/%s", name);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0 ||
		    (syscall(SYS_finit_module, fd, "", 0) && errno != EEXIST)) {
			printf("smoke: module %s: FAILED: %s\n", name,
			       strerror(errno));
			failures++;
		} else {
			printf("smoke: module %s: loaded\n", name);
			count++;
		}
		if (fd >= 0)
			close(fd);
	}
	if (r < 0) {
		printf("smoke: load.list: %s\n", e.detail);
		failures++;
	}
	printf("smoke: %d modules loaded at %ld us\n", count, uptime_us());
}

/* PARTNAME of a block device from its uevent, or "" */
static void
partname(const char *dev, char *out, size_t cap)
{
	char path[300], ev[1024];
	const char *p;

	out[0] = 0;
	snprintf(path, sizeof(path), "/sys/class/block/%s/uevent", dev);
	if (slurp(path, ev, sizeof(ev)) <= 0)
		return;
	p = strstr(ev, "PARTNAME=");
	if (p)
		sscanf(p + 9, "%63[^\n]", out);
	(void)cap;
}

/* Lists block devices; 1 when every board partition was seen. */
static int
scan_disks(int print)
{
	int seen[BOARD_NPART] = {0}, all = 1;
	struct dirent *d;
	DIR *dir = opendir("/sys/class/block");
	char name[64];

	if (!dir)
		return 0;
	while ((d = readdir(dir))) {
		if (d->d_name[0] == '.')
			continue;
		partname(d->d_name, name, sizeof(name));
		if (print)
			printf("smoke: block %s partname=%s\n", d->d_name,
			       name);
		for (unsigned i = 0; i < BOARD_NPART; i++)
			if (name[0] && !strcmp(name, board.part[i].name))
				seen[i] = 1;
	}
	closedir(dir);
	for (unsigned i = 0; i < BOARD_NPART; i++) {
		if (!seen[i] && print)
			printf("smoke: partition %s: MISSING\n",
			       board.part[i].name);
		all &= seen[i];
	}
	return all;
}

static void
list_net(void)
{
	DIR *dir = opendir("/sys/class/net");
	struct dirent *d;

	while (dir && (d = readdir(dir)))
		if (d->d_name[0] != '.')
			printf("smoke: net %s\n", d->d_name);
	if (dir)
		closedir(dir);
}

/*
 * Test switches on the kernel command line (read from /proc/cmdline: the
 * kernel keeps dotted words out of init's environment): smoke.status=N
 * reports N as the app's exit status, smoke.hang never powers off.
 */
static int
cmdline_status(int status)
{
	const char *p = strstr(cmdline, "smoke.status=");

	if (p)
		sscanf(p + 13, "%d", &status);
	if (strstr(cmdline, "smoke.hang")) {
		printf("smoke: hanging as asked\n");
		for (;;)
			pause();
	}
	return status;
}

int
main(void)
{
	struct kerr e = {0};
	long n, start = uptime_us(), deadline;

	setvbuf(stdout, NULL, _IOLBF, 0);
	mkdir("/proc", 0755);
	mkdir("/sys", 0755);
	if (mount("devtmpfs", "/dev", "devtmpfs", 0, NULL) ||
	    mount("proc", "/proc", "proc", 0, NULL) ||
	    mount("sysfs", "/sys", "sysfs", 0, NULL))
		printf("smoke: early mounts: %s\n", strerror(errno)),
		    failures++;
	printf("smoke: init started at %ld us\n", start);
	n = slurp("/board.conf", conf, sizeof(conf));
	if (n < 0 || board_parse(conf, (size_t)n, &board, &e)) {
		printf("smoke: board.conf: %s\n", n < 0 ? "missing" : e.detail);
		failures++;
		board_defaults(&board);
	} else {
		printf("smoke: board %s, %u modules named, verify=%s\n",
		       board.name, board.nmod,
		       board.verify == BOARD_VERIFY_FULL ? "full" : "verity");
	}
	load_modules();
	deadline = uptime_us() + (long)board.disk_wait_ms * 1000;
	while (!scan_disks(0) && uptime_us() < deadline)
		usleep(10000);
	if (scan_disks(1))
		printf("smoke: all %d partitions found at %ld us\n",
		       BOARD_NPART, uptime_us());
	else
		failures++;
	list_net();
	printf("smoke: %d failures\n", failures);
	slurp("/proc/cmdline", cmdline, sizeof(cmdline));
	printf("keel: app exited status=%d\n",
	       cmdline_status(failures > 255 ? 255 : failures));
	sync();
	reboot(RB_POWER_OFF);
	for (;;)
		pause();
}
