// SPDX-License-Identifier: MIT
/* keel-init's log: one RAM ring for its own lines, the app's and the kernel's.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "init/init.h"
#include "lib/base/fmt.h"
#include "lib/log/kmsg.h"

#define CONSOLE 2 /* stderr: the console for PID 1 */

static uint64_t t0;
static int kmsg_w = -1, kmsg_r = -1;
static int app_r = -1, app_w = -1;
static uint64_t ring_buf[INIT_LOG_RING / 8];
static struct logring ring;
static unsigned long dropped; /* console lines not written, not yet told */
/* The app's line in progress: its bytes up to the next newline. */
static char part[LOGRING_LINE_MAX];
static size_t part_len;

void
log_init(void)
{
	t0 = clock_us();
	logring_init(&ring, ring_buf, sizeof(ring_buf));
}

const struct logring *
log_ring(void)
{
	return &ring;
}

/*
 * One whole line to the console, never blocking: the console (a serial
 * port at 115200 baud, or a terminal someone stopped with ^S) may be
 * slower than the log. A line that does not fit now is dropped and
 * counted; the count is told before the next line that fits.
 */
static void
console(const char *line, size_t n)
{
	char note[64];

	if (dropped) {
		int m = fmt_sn(note, sizeof(note),
			       "keel: console: %lu lines dropped\n", dropped);
		if (write(CONSOLE, note, (size_t)m) != m)
			goto drop;
		dropped = 0;
	}
	if (write(CONSOLE, line, n) == (ssize_t)n)
		return;
drop:
	dropped++;
}

/*
 * The console as fds 0-2 (when the kernel gave PID 1 none), written
 * without blocking; /dev/kmsg for writing (keel-init's lines go to the
 * kernel's log too) and, on a device, for reading (the kernel's lines
 * come into the ring); the app's output pipe.
 */
void
log_open(void)
{
	int fd, p[2];

	if (fcntl(2, F_GETFD) < 0) {
		fd = open("/dev/console", O_RDWR | O_NOCTTY | O_CLOEXEC);
		if (fd >= 0) {
			dup2(fd, 0);
			dup2(fd, 1);
			dup2(fd, 2);
			if (fd > 2)
				close(fd);
		}
	}
	fcntl(CONSOLE, F_SETFL, fcntl(CONSOLE, F_GETFL) | O_NONBLOCK);
	/* The kernel keeps only 10 lines per 5 s written to /dev/kmsg
	 * (printk_devkmsg=ratelimit): a boot logs more. Not in --test,
	 * where /proc/sys and the kernel's log are the host's. */
	if (!g.test) {
		fd = open("/proc/sys/kernel/printk_devkmsg",
			  O_WRONLY | O_CLOEXEC);
		if (fd >= 0) {
			(void)!write(fd, "on\n", 3);
			close(fd);
		}
		kmsg_r = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	}
	kmsg_w = open("/dev/kmsg", O_WRONLY | O_CLOEXEC | O_NOCTTY);
	/* One pipe for the life of the device: every start of the app
	 * writes into it, PID 1 alone reads it, never blocking. */
	if (pipe2(p, O_CLOEXEC) == 0) {
		app_r = p[0];
		app_w = p[1];
		fcntl(app_r, F_SETFL, O_NONBLOCK);
		fcntl(app_r, F_SETPIPE_SZ, INIT_LOG_PIPE);
	}
}

/* MUST NOT allocate: formats into a stack buffer. */
void
klog(const char *fmt, ...)
{
	char line[INIT_LOG_LINE];
	uint64_t now = clock_us(), us = now - t0;
	va_list ap;
	int n, m;

	n = fmt_sn(line, sizeof(line), "<6>[+%llu.%06llus] keel: ",
		   (unsigned long long)(us / 1000000),
		   (unsigned long long)(us % 1000000));
	va_start(ap, fmt);
	m = fmt_vsn(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
	va_end(ap);
	if (m < 0)
		return;
	if (m > (int)sizeof(line) - n - 2)
		m = (int)sizeof(line) - n - 2;
	logring_add(&ring, now, LOGRING_KEEL, line + n,
		    logring_clean(line + n, (size_t)m));
	n += m;
	line[n++] = '\n';
	console(line + 3, (size_t)n - 3); /* without the level */
	if (kmsg_w >= 0)
		(void)!write(kmsg_w, line, (size_t)n);
}

/* A line keel's tools read off the console ("keel: app exited ..."):
 * at the start of a console line, where app output never is. */
void
klog_status(const char *fmt, ...)
{
	char line[INIT_LOG_LINE];
	va_list ap;
	int n;

	memcpy(line, "keel: ", 6);
	va_start(ap, fmt);
	n = fmt_vsn(line + 6, sizeof(line) - 7, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if (n > (int)sizeof(line) - 8)
		n = (int)sizeof(line) - 8;
	logring_add(&ring, clock_us(), LOGRING_KEEL, line + 6, (size_t)n);
	line[6 + n] = '\n';
	console(line, (size_t)n + 7);
}

int
log_app_fd(void)
{
	return app_w;
}

/* One line of a child's (the app, an agent): into the ring, and to the
 * console marked with its source ("app: ", "net: "), so it can never
 * pass for one of keel-init's. */
void
log_line(unsigned src, const char *text, size_t len)
{
	char line[LOGRING_LINE_MAX + 16];
	const char *tag = logring_src_name(src);
	size_t t = strlen(tag) + 2;

	if (len > LOGRING_LINE_MAX)
		len = LOGRING_LINE_MAX;
	memcpy(line, tag, t - 2);
	memcpy(line + t - 2, ": ", 2);
	memcpy(line + t, text, len);
	len = logring_clean(line + t, len);
	logring_add(&ring, clock_us(), src, line + t, len);
	line[t + len] = '\n';
	console(line, t + len + 1);
}

static void
app_line(const char *text, size_t len)
{
	log_line(LOGRING_APP, text, len);
}

/* What the app wrote since the last call, line by line. */
void
log_drain_app(void)
{
	char buf[4096];
	ssize_t n;

	if (app_r < 0)
		return;
	while ((n = read(app_r, buf, sizeof(buf))) > 0) {
		for (ssize_t i = 0; i < n; i++) {
			if (buf[i] != '\n')
				part[part_len++] = buf[i];
			if (buf[i] == '\n' || part_len == sizeof(part)) {
				app_line(part, part_len);
				part_len = 0;
			}
		}
	}
}

/* The app ended: what it wrote last, even without a final newline. */
void
log_app_ended(void)
{
	log_drain_app();
	if (part_len) {
		app_line(part, part_len);
		part_len = 0;
	}
}

/* The kernel's new records (its own; users' records, keel-init's among
 * them, are in the ring already or not ours to keep). */
void
log_drain_kernel(void)
{
	char buf[2048];
	struct kmsg_rec k;
	ssize_t n;

	if (kmsg_r < 0)
		return;
	for (;;) {
		n = read(kmsg_r, buf, sizeof(buf) - 1);
		if (n < 0 && errno == EPIPE)
			continue; /* overwritten before we read: go on */
		if (n <= 0)
			return;
		if (kmsg_parse(buf, (size_t)n, &k) < 0 || k.facility)
			continue;
		logring_add(&ring, k.ts_us, LOGRING_KERNEL, (char *)k.text,
			    logring_clean((char *)k.text, k.len));
	}
}

int
log_pollfds(struct pollfd *p, int max)
{
	int n = 0;

	if (app_r >= 0 && n < max)
		p[n++] = (struct pollfd){app_r, POLLIN, 0};
	if (kmsg_r >= 0 && n < max)
		p[n++] = (struct pollfd){kmsg_r, POLLIN, 0};
	return n;
}

void
log_poll(const struct pollfd *p, int n)
{
	for (int i = 0; i < n; i++) {
		if (!(p[i].revents & (POLLIN | POLLHUP | POLLERR)))
			continue;
		if (p[i].fd == app_r)
			log_drain_app();
		else if (p[i].fd == kmsg_r)
			log_drain_kernel();
	}
}
