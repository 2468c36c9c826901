// SPDX-License-Identifier: MIT
/* Positioned reads and writes that complete, or say where they stopped. */
#include <errno.h>
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

const char *
io_strerror(int r)
{
	return r == -ENODATA ? "short read" : strerror(-r);
}
