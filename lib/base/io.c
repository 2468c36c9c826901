// SPDX-License-Identifier: MIT
/* Positioned reads and writes that complete, or say where they stopped. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "lib/base/io.h"

int
io_pread_full(int fd, void *buf, size_t len, uint64_t off, uint64_t *at)
{
	size_t got = 0;
	int r = 0;

	while (got < len) {
		ssize_t n = pread(fd, (uint8_t *)buf + got, len - got,
				  (off_t)(off + got));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			r = n < 0 ? -errno : -ENODATA;
			break;
		}
		got += (size_t)n;
	}
	if (at)
		*at = off + got;
	return r;
}

int
io_pwrite_full(int fd, const void *buf, size_t len, uint64_t off, uint64_t *at)
{
	size_t put = 0;
	int r = 0;

	while (put < len) {
		ssize_t n = pwrite(fd, (const uint8_t *)buf + put, len - put,
				   (off_t)(off + put));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			r = n < 0 ? -errno : -ENOSPC;
			break;
		}
		put += (size_t)n;
	}
	if (at)
		*at = off + put;
	return r;
}

int
io_pread_e(int fd, void *buf, size_t len, uint64_t off, const char *check,
	   const char *what, struct kerr *e)
{
	uint64_t at;
	int r = io_pread_full(fd, buf, len, off, &at);

	return r ? kerr_set(e, check, "%s %llu: %s", what,
			    (unsigned long long)at, io_strerror(r))
		 : 0;
}

int
io_pwrite_e(int fd, const void *buf, size_t len, uint64_t off,
	    const char *check, const char *what, struct kerr *e)
{
	uint64_t at;
	int r = io_pwrite_full(fd, buf, len, off, &at);

	return r ? kerr_set(e, check, "%s %llu: %s", what,
			    (unsigned long long)at, io_strerror(r))
		 : 0;
}

long
io_read_fd(int fd, void *buf, size_t cap)
{
	size_t got = 0;
	char extra;

	for (;;) {
		ssize_t n = got < cap ? read(fd, (char *)buf + got, cap - got)
				      : read(fd, &extra, 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return (long)got;
		if (got == cap)
			return -EFBIG;
		got += (size_t)n;
	}
}

long
io_read_file(const char *path, void *buf, size_t cap)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	long n;

	if (fd < 0)
		return -errno;
	n = io_read_fd(fd, buf, cap);
	close(fd);
	return n;
}

const char *
io_strerror(int r)
{
	return r == -ENODATA ? "short read" : kerr_strerror(-r);
}
