// SPDX-License-Identifier: MIT
/* Fills typed errors; the only formatting lib/ does. */
#include <errno.h>
#include <stdarg.h>

#include "lib/base/err.h"
#include "lib/base/fmt.h"

/* codes[i]'s reason is the i-th string of reasons (all errnos are < 256). */
static const unsigned char codes[] = {
    EPERM,	ENOENT,	    ESRCH,	  EINTR,	EIO,
    ENXIO,	E2BIG,	    ENOEXEC,	  EBADF,	ECHILD,
    EAGAIN,	ENOMEM,	    EACCES,	  EFAULT,	EBUSY,
    EEXIST,	EXDEV,	    ENODEV,	  ENOTDIR,	EISDIR,
    EINVAL,	ENFILE,	    EMFILE,	  ENOTTY,	ETXTBSY,
    EFBIG,	ENOSPC,	    ESPIPE,	  EROFS,	EMLINK,
    EPIPE,	ERANGE,	    ENAMETOOLONG, ENOSYS,	ENOTEMPTY,
    ELOOP,	ENODATA,    EBADMSG,	  EOVERFLOW,	ENOTSOCK,
    EOPNOTSUPP, EADDRINUSE, ENETDOWN,	  ENETUNREACH,	ECONNRESET,
    ENOBUFS,	ENOTCONN,   ETIMEDOUT,	  ECONNREFUSED, EHOSTUNREACH,
    ESTALE,	EUCLEAN,    ENOKEY,	  EKEYREJECTED,
};
static const char reasons[] =
    "Operation not permitted\0No such file or directory\0No such process\0"
    "Interrupted system call\0I/O error\0No such device or address\0"
    "Argument list too long\0Exec format error\0Bad file descriptor\0"
    "No child process\0Resource temporarily unavailable\0Out of memory\0"
    "Permission denied\0Bad address\0Resource busy\0File exists\0"
    "Cross-device link\0No such device\0Not a directory\0Is a directory\0"
    "Invalid argument\0Too many open files in system\0"
    "No file descriptors available\0Not a tty\0Text file busy\0"
    "File too large\0No space left on device\0Invalid seek\0"
    "Read-only file system\0Too many links\0Broken pipe\0"
    "Result not representable\0Filename too long\0"
    "No such system call\0Directory not empty\0Symbolic link loop\0"
    "No data available\0Bad message\0Value too large for data type\0"
    "Not a socket\0Not supported\0Address in use\0Network is down\0"
    "Network unreachable\0Connection reset by peer\0"
    "No buffer space available\0Socket not connected\0"
    "Operation timed out\0Connection refused\0Host is unreachable\0"
    "Stale file handle\0Structure needs cleaning\0"
    "Required key not available\0Key was rejected by service";

const char *
kerr_strerror(int errnum)
{
	static __thread char other[24];
	const char *s = reasons;

	for (size_t i = 0; i < sizeof(codes); i++) {
		if (codes[i] == errnum)
			return s;
		while (*s++)
			;
	}
	fmt_sn(other, sizeof(other), "errno %d", errnum);
	return other;
}

int
kerr_set(struct kerr *e, const char *check, const char *fmt, ...)
{
	va_list ap;

	if (!e)
		return -1;
	e->check = check;
	va_start(ap, fmt);
	fmt_vsn(e->detail, sizeof(e->detail), fmt, ap);
	va_end(ap);
	return -1;
}
