// SPDX-License-Identifier: MIT
/* Messages, key set choice, small file and hex helpers of the keel tool. */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "compat/linux_mount.h"
#include "launcher/keel.h"
#include "lib/base/io.h"

int
keel_err(const char *action, const char *obj, const struct kerr *e)
{
	fprintf(stderr, "keel: %s: %s%s%s%s%s\n", action, obj ? obj : "",
		obj ? ": " : "", e->check ? e->check : "error",
		e->detail[0] ? ": " : "", e->detail);
	return KEEL_EXIT_FAIL;
}

int
keel_errf(const char *action, const char *obj, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "keel: %s: ", action);
	if (obj)
		fprintf(stderr, "%s: ", obj);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return KEEL_EXIT_FAIL;
}

int
keel_usage(const char *usage)
{
	fprintf(stderr, "usage: %s\n", usage);
	return KEEL_EXIT_USAGE;
}

int
keel_keyset(const char *dir, struct keyset *ks, const char *action)
{
	struct kerr e = {0};

	if (dir ? ks_load_dir(dir, ks, &e) : ks_load_baked(ks, &e)) {
		keel_err(action, dir ? dir : "baked keys", &e);
		return -1;
	}
	return 0;
}

long
keel_read_file(const char *path, void *buf, size_t cap)
{
	long n = io_read_file(path, buf, cap);

	if (n < 0) {
		errno = (int)-n;
		return -1;
	}
	return n;
}

int
keel_root_open(int rootfd, const char *path, int flags)
{
	struct keel_open_how how = {.flags = (uint64_t)(flags | O_CLOEXEC),
				    .resolve = KEEL_RESOLVE_IN_ROOT |
					       KEEL_RESOLVE_NO_MAGICLINKS};

	while (*path == '/')
		path++;
	return (int)syscall(SYS_openat2, rootfd, *path ? path : ".", &how,
			    sizeof(how));
}

long
keel_root_read_file(int rootfd, const char *path, void *buf, size_t cap)
{
	int fd = keel_root_open(rootfd, path, O_RDONLY | O_NOCTTY);
	long n;

	if (fd < 0)
		return -1;
	n = io_read_fd(fd, buf, cap);
	close(fd);
	if (n < 0) {
		errno = (int)-n;
		return -1;
	}
	return n;
}

int
keel_write_file(const char *path, const void *buf, size_t len, int mode)
{
	char tmp[4096];
	int fd, err;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0)
		return -1;
	if (fchmod(fd, (mode_t)mode) < 0 ||
	    write(fd, buf, len) != (ssize_t)len || fsync(fd) < 0)
		goto fail;
	if (close(fd) < 0) {
		fd = -1;
		goto fail;
	}
	if (rename(tmp, path) < 0) {
		fd = -1;
		goto fail;
	}
	return 0;
fail:
	err = errno;
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	errno = err;
	return -1;
}

static int
nibble(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int
keel_unhex(const char *hex, uint8_t *out, size_t max, size_t *len)
{
	size_t n = strlen(hex);

	if (n % 2 || n / 2 > max)
		return -1;
	for (size_t i = 0; i < n / 2; i++) {
		int hi = nibble(hex[2 * i]), lo = nibble(hex[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return -1;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	*len = n / 2;
	return 0;
}
