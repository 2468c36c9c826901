// SPDX-License-Identifier: MIT
/* The log kept across boots: the ring's lines saved on the var partition. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "init/init.h"
#include "lib/base/fmt.h"

/*
 * keel/log/boot.0 holds this boot's lines, boot.1 the boot before, up to
 * boot.9 (CONTROL_LOG_BOOTS_MAX): each boot renames them one up. Lines are
 * appended from the ring every INIT_LOG_FLUSH_MS, at every shutdown and
 * before a halt, so the reason a trial failed is there after the
 * fallback. A file holds at most INIT_LOG_FILE_MAX bytes; the rest of
 * that boot's lines are counted, not written.
 */
static int fd = -1;
static struct logring_cursor cur;
static uint64_t size, skipped;
static int told; /* the count of lines not saved is in the file */

void
logfile_path(unsigned boot, char *out, size_t cap)
{
	const char *dir = persist_keel_dir();

	fmt_sn(out, cap, "%s/log/boot.%u", dir ? dir : "/nonexistent", boot);
}

/* At boot, once the var partition is mounted: rotate, start boot.0. */
void
logfile_open(void)
{
	char from[128], to[128];
	const char *dir = persist_keel_dir();

	if (!dir)
		return;
	fmt_sn(from, sizeof(from), "%s/log", dir);
	if (mkdir(from, 0700) < 0 && errno != EEXIST)
		return;
	for (unsigned k = CONTROL_LOG_BOOTS_MAX; k > 0; k--) {
		logfile_path(k - 1, from, sizeof(from));
		logfile_path(k, to, sizeof(to));
		rename(from, to); /* a missing one is fine */
	}
	logfile_path(0, from, sizeof(from));
	fd = open(from, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC,
		  0600);
	if (fd < 0) {
		klog("log: %s: %s", from, kerr_strerror(errno));
		return;
	}
	/* Everything since keel-init started goes in, boot lines first. */
	logring_tail(log_ring(), 0, &cur);
	size = skipped = 0;
	told = 0;
}

static void
put(const char *buf, size_t n)
{
	if (size + n > INIT_LOG_FILE_MAX) {
		skipped++;
		return;
	}
	if (write(fd, buf, n) == (ssize_t)n)
		size += n;
}

/* Appends the lines the ring got since the last flush. */
void
logfile_flush(int sync)
{
	struct logring_line l;
	uint64_t lost;
	char line[LOGRING_LINE_MAX + 64];
	int n;

	if (fd < 0)
		return;
	while (logring_next(log_ring(), &cur, &l, &lost) == 1) {
		if (lost) {
			n = fmt_sn(line, sizeof(line),
				   "-- %llu lines lost before saving --\n",
				   (unsigned long long)lost);
			put(line, (size_t)n);
		}
		n = fmt_sn(line, sizeof(line), "[%5llu.%06llu] %s: %.*s\n",
			   (unsigned long long)(l.us / 1000000),
			   (unsigned long long)(l.us % 1000000),
			   logring_src_name(l.src), (int)l.len, l.text);
		put(line, (size_t)n);
	}
	if (skipped && !told) {
		/* Past the limit by this one short line, once. */
		n = fmt_sn(line, sizeof(line),
			   "-- lines from here on not saved: over %d bytes "
			   "--\n",
			   INIT_LOG_FILE_MAX);
		told = write(fd, line, (size_t)n) == n;
	}
	if (sync)
		fdatasync(fd);
}

/* Before the partition is unmounted. */
void
logfile_close(void)
{
	if (fd < 0)
		return;
	logfile_flush(1);
	close(fd);
	fd = -1;
}
