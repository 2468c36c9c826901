/* SPDX-License-Identifier: MIT */
/* Positioned reads and writes that complete, or say where they stopped. */
#ifndef KEEL_IO_H
#define KEEL_IO_H

#include <stddef.h>
#include <stdint.h>

/*
 * Transfer all len bytes at off, retrying interrupted and short calls.
 * Return 0, or -errno; a read that meets the end of the file returns
 * -ENODATA and a write that makes no progress -ENOSPC. *at (if not NULL)
 * gets the offset where the transfer stopped.
 */
int io_pread_full(int fd, void *buf, size_t len, uint64_t off, uint64_t *at);
int io_pwrite_full(int fd, const void *buf, size_t len, uint64_t off,
		   uint64_t *at);

/* Text for a negative result of the two above. */
const char *io_strerror(int r);

#endif
