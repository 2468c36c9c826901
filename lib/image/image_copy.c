// SPDX-License-Identifier: MIT
/* A private copy of a slot's data, checked as it is made. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "lib/base/fmt.h"
#include "lib/disk/fsmount.h"
#include "lib/image/image.h"

#define COPY_CHECK "private copy"
#define SEALS_SIZE (F_SEAL_SHRINK | F_SEAL_GROW)
#define SEALS_ALL (SEALS_SIZE | F_SEAL_WRITE | F_SEAL_SEAL)

/*
 * An empty file with no name (O_TMPFILE, and O_EXCL: it can never get
 * one) on a tmpfs instance of keel's own that is mounted nowhere
 * (fs_detached) and holds len bytes at most, or -1 if the
 * kernel makes none (before 5.2, or without transparent huge pages).
 * huge=within_size: a write at the file's end gets a folio as large as
 * the write (up to 2 MiB), so the check's writes, all near the end
 * (verity_check_copy), fill the copy in folios of 128 KiB and more,
 * about three times faster than a memfd's 4 KiB pages (docs/SECURITY.md
 * §3). Not sealable (only memfds are): see img_verify_copy.
 */
static int
copy_private(uint64_t len)
{
	char size[24];
	const char *const opt[] = {"huge", "within_size", "size", size, NULL};
	int mnt, f;

	fmt_sn(size, sizeof(size), "%llu", (unsigned long long)len);
	mnt = fs_detached("tmpfs", opt, 0);
	if (mnt < 0)
		return -1;
	f = openat(mnt, ".", O_TMPFILE | O_EXCL | O_RDWR | O_CLOEXEC, 0600);
	close(mnt);
	return f;
}

/* f's size set to len, and seals added (0: none). 0 or -1 with e. */
static int
copy_size(int f, uint64_t len, int seals, struct kerr *e)
{
	if (ftruncate(f, (off_t)len) < 0 ||
	    (seals && fcntl(f, F_ADD_SEALS, seals) < 0))
		return kerr_set(e, COPY_CHECK, "size %llu: %s",
				(unsigned long long)len, kerr_strerror(errno));
	return 0;
}

/*
 * The copy's file: copy_private's, or (*sealed = 1) a memfd of len
 * bytes that can neither grow nor shrink. -1 if neither can be made.
 */
static int
copy_open(uint64_t len, int *sealed, struct kerr *e)
{
	int mfd;

	*sealed = 0;
	if (len == 0 || len > (uint64_t)INT64_MAX)
		return kerr_set(e, COPY_CHECK, "no data to copy");
	mfd = copy_private(len);
	if (mfd >= 0)
		return mfd;
	*sealed = 1;
	mfd = memfd_create("keel-image", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (mfd < 0)
		return kerr_set(e, COPY_CHECK, "memfd_create: %s",
				kerr_strerror(errno));
	if (copy_size(mfd, len, SEALS_SIZE, e) < 0) {
		close(mfd);
		return -1;
	}
	return mfd;
}

/* No write, by anyone, keel included, from now on. 0 or -1. */
static int
copy_seal(int mfd, struct kerr *e)
{
	int seals;

	if (fcntl(mfd, F_ADD_SEALS, F_SEAL_WRITE | F_SEAL_SEAL) < 0)
		return kerr_set(e, COPY_CHECK, "seal: %s",
				kerr_strerror(errno));
	seals = fcntl(mfd, F_GET_SEALS);
	if (seals < 0 || (seals & SEALS_ALL) != SEALS_ALL)
		return kerr_set(e, COPY_CHECK, "seals 0x%x, not 0x%x", seals,
				SEALS_ALL);
	return 0;
}

int
img_verify_copy(int fd, const struct img_meta *m, struct verity_work *w,
		struct kerr *e)
{
	struct verity_params p = {m->h.data_blocks, m->h.hash_offset, m->h.salt,
				  m->h.salt_len};
	uint64_t len = m->h.meta_offset; /* data, then tree: see FORMAT.md */
	int sealed, mfd = copy_open(len, &sealed, e), ok;

	if (mfd < 0)
		return -1;
	/*
	 * One pass: each block is read from fd once, each data block
	 * written to the copy from the buffer that is hashed, on every
	 * thread (verity_check_copy). Only keel holds the copy, and nothing
	 * writes it after the check: the loop device serves the bytes the
	 * check saw, whatever fd answers later. The memfd is sealed against
	 * every write before anyone is given it; the private tmpfs file is
	 * reachable by no path (no name, on a mount in no namespace), so
	 * the only handles are keel's, which the caller closes once the
	 * read-only loop device holds the file, and the loop device's.
	 */
	ok = verity_check_copy(fd, mfd, &p, w, m->h.root, e);
	/* the private file grew with the data: len after, as the memfd's */
	if (ok == 1 &&
	    (sealed ? copy_seal(mfd, e) : copy_size(mfd, len, 0, e)) == 0)
		return mfd;
	/* A write to the copy fails only for want of memory. */
	if (ok != 1 && e && e->check && !strcmp(e->check, VERITY_COPY_CHECK))
		kerr_set(e, COPY_CHECK,
			 "%llu bytes do not fit in memory: a kernel with "
			 "dm-verity maps the image without a copy",
			 (unsigned long long)len);
	close(mfd);
	return -1;
}
