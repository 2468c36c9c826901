// SPDX-License-Identifier: MIT
/* keel-init's open, fcntl, stat and socket calls: the system calls alone. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

/*
 * musl's wrappers of these calls carry code for kernels older than keel
 * needs (2.6.27 and before: no O_CLOEXEC, SOCK_CLOEXEC, pipe2, accept4
 * or F_DUPFD_CLOEXEC; before 3.6, no fstat of an O_PATH descriptor),
 * which retries a refused flag or goes through /proc by hand, pthread
 * cancellation points keel never uses, and a field-by-field copy of
 * the kernel's struct stat that only 32-bit machines need: about 2 KiB
 * of PID 1.
 * keel-init's link takes these definitions instead of libc's (a static
 * link resolves a name from the archive only when no object defines
 * it; were one of libc's files still pulled in, the duplicate would
 * fail the link). Each is its system call with the same arguments, the
 * flags musl adds (O_LARGEFILE, a no-op on 64-bit kernels) kept, and
 * the same result: the value, or -1 with errno (syscall()). keel's own
 * binary keeps libc's. No kernel keel-init can run on lacks these
 * flags: it starts its agents with execveat, of Linux 3.19.
 */

int
open(const char *path, int flags, ...)
{
	mode_t mode = 0;

	if ((flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE) {
		va_list ap;

		va_start(ap, flags);
		mode = va_arg(ap, mode_t);
		va_end(ap);
	}
	return (int)syscall(SYS_openat, AT_FDCWD, path, flags | O_LARGEFILE,
			    mode);
}

int
fcntl(int fd, int cmd, ...)
{
	unsigned long arg;
	va_list ap;

	va_start(ap, cmd);
	arg = va_arg(ap, unsigned long);
	va_end(ap);
	if (cmd == F_SETFL)
		arg |= O_LARGEFILE;
	return (int)syscall(SYS_fcntl, fd, cmd, arg);
}

int
socket(int domain, int type, int protocol)
{
	return (int)syscall(SYS_socket, domain, type, protocol);
}

int
socketpair(int domain, int type, int protocol, int fd[2])
{
	return (int)syscall(SYS_socketpair, domain, type, protocol, fd);
}

int
pipe2(int fd[2], int flags)
{
	return (int)syscall(SYS_pipe2, fd, flags);
}

int
accept4(int fd, struct sockaddr *restrict addr, socklen_t *restrict len,
	int flags)
{
	return (int)syscall(SYS_accept4, fd, addr, len, flags);
}

/* The kernel's struct stat is musl's on both 64-bit machines keel-init
 * is built for: the calls fill it directly. */
#if defined(__x86_64__)
_Static_assert(sizeof(struct stat) == 144 &&
		   offsetof(struct stat, st_mode) == 24 &&
		   offsetof(struct stat, st_size) == 48 &&
		   offsetof(struct stat, st_mtim) == 88,
	       "struct stat is not the kernel's");
#elif defined(__aarch64__)
_Static_assert(sizeof(struct stat) == 128 &&
		   offsetof(struct stat, st_mode) == 16 &&
		   offsetof(struct stat, st_size) == 48 &&
		   offsetof(struct stat, st_mtim) == 88,
	       "struct stat is not the kernel's");
#else
#error "init/libc.c: struct stat of this machine not checked"
#endif

int
fstatat(int fd, const char *restrict path, struct stat *restrict st, int flag)
{
	return (int)syscall(SYS_newfstatat, fd, path, st, flag);
}

int
fstat(int fd, struct stat *st)
{
	return (int)syscall(SYS_fstat, fd, st);
}

int
stat(const char *restrict path, struct stat *restrict st)
{
	return fstatat(AT_FDCWD, path, st, 0);
}

int
lstat(const char *restrict path, struct stat *restrict st)
{
	return fstatat(AT_FDCWD, path, st, AT_SYMLINK_NOFOLLOW);
}

/* musl's poll is ppoll where the machine has no poll call (aarch64),
 * and a cancellation point. */
int
poll(struct pollfd *fds, nfds_t n, int timeout)
{
#ifdef SYS_poll
	return (int)syscall(SYS_poll, fds, n, timeout);
#else
	struct timespec ts = {timeout / 1000, timeout % 1000 * 1000000L};

	return (int)syscall(SYS_ppoll, fds, n, timeout >= 0 ? &ts : NULL, NULL,
			    _NSIG / 8);
#endif
}

/* readlink of 0 bytes is 0, as musl's (the kernel says EINVAL). */
ssize_t
readlink(const char *restrict path, char *restrict buf, size_t cap)
{
	char dummy[1];
	long r = syscall(SYS_readlinkat, AT_FDCWD, path, cap ? buf : dummy,
			 cap ? cap : 1);

	return (ssize_t)(r > 0 && !cap ? 0 : r);
}

/* dup2 is dup3 where the machine has no dup2 call (aarch64): as musl's,
 * the same descriptor twice is checked, and EBUSY (a race with open in
 * another thread) tried again. */
int
dup2(int old, int new)
{
	long r;

#ifdef SYS_dup2
	while ((r = syscall(SYS_dup2, old, new)) < 0 && errno == EBUSY)
		;
#else
	if (old == new)
		return fcntl(old, F_GETFD) < 0 ? -1 : old;
	while ((r = syscall(SYS_dup3, old, new, 0)) < 0 && errno == EBUSY)
		;
#endif
	return (int)r;
}

/* The variable name's value in the environment, or NULL (as musl's: a
 * name with '=' or an empty one is never found). */
extern char **environ;

char *
getenv(const char *name)
{
	size_t n = strlen(name);

	if (!n || memchr(name, '=', n))
		return NULL;
	for (char **e = environ; e && *e; e++)
		if (!strncmp(*e, name, n) && (*e)[n] == '=')
			return *e + n + 1;
	return NULL;
}
