// SPDX-License-Identifier: MIT
/* keel-init's log: console and /dev/kmsg, stamped with µs since start. */
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "init/init.h"

static uint64_t t0;
static int kmsg = -1;

void
log_init(void)
{
	t0 = clock_us();
}

void
log_open_kmsg(void)
{
	int fd;

	if (kmsg >= 0)
		return;
	/* The kernel keeps only 10 lines per 5 s written to /dev/kmsg
	 * (printk_devkmsg=ratelimit): a boot logs more. Not in --test,
	 * where /proc/sys is the host's. */
	fd = g.test ? -1
		    : open("/proc/sys/kernel/printk_devkmsg",
			   O_WRONLY | O_CLOEXEC);
	if (fd >= 0) {
		(void)!write(fd, "on\n", 3);
		close(fd);
	}
	kmsg = open("/dev/kmsg", O_WRONLY | O_CLOEXEC | O_NOCTTY);
}

/* MUST NOT allocate: formats into a stack buffer. */
void
klog(const char *fmt, ...)
{
	char line[INIT_LOG_LINE];
	uint64_t us = clock_us() - t0;
	va_list ap;
	int n, m;

	n = snprintf(line, sizeof(line), "<6>[+%llu.%06llus] keel: ",
		     (unsigned long long)(us / 1000000),
		     (unsigned long long)(us % 1000000));
	va_start(ap, fmt);
	m = vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
	va_end(ap);
	if (m < 0)
		return;
	n += m;
	if (n > (int)sizeof(line) - 2)
		n = (int)sizeof(line) - 2;
	line[n++] = '\n';
	/* Console (stderr is the console for PID 1) without the level. */
	(void)!write(2, line + 3, (size_t)n - 3);
	if (kmsg >= 0)
		(void)!write(kmsg, line, (size_t)n);
}
