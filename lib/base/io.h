/* SPDX-License-Identifier: MIT */
/* Positioned reads and writes that complete, or say where they stopped. */
#ifndef KEEL_IO_H
#define KEEL_IO_H

#include <stddef.h>
#include <stdint.h>

#include "lib/base/err.h"

/*
 * Transfer all len bytes at off, retrying interrupted and short calls.
 * Return 0, or -errno; a read that meets the end of the file returns
 * -ENODATA and a write that makes no progress -ENOSPC. *at (if not NULL)
 * gets the offset where the transfer stopped.
 */
int io_pread_full(int fd, void *buf, size_t len, uint64_t off, uint64_t *at);
int io_pwrite_full(int fd, const void *buf, size_t len, uint64_t off,
		   uint64_t *at);

/*
 * The same, with a failure put into e as "<what> <offset>: <reason>"
 * under the check name check (e.g. "read at 8192: short read"). 0 or -1.
 */
int io_pread_e(int fd, void *buf, size_t len, uint64_t off, const char *check,
	       const char *what, struct kerr *e);
int io_pwrite_e(int fd, const void *buf, size_t len, uint64_t off,
		const char *check, const char *what, struct kerr *e);

/*
 * Read a whole small file: at most cap bytes into buf, until the end.
 * Return the length, or -errno; a file longer than cap is -EFBIG (one
 * more byte is read to tell). No NUL is added: pass cap - 1 for text.
 */
long io_read_fd(int fd, void *buf, size_t cap);
long io_read_file(const char *path, void *buf, size_t cap);

/* Text for a negative result of the functions above. */
const char *io_strerror(int r);

#endif
