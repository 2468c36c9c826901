// SPDX-License-Identifier: MIT
/* A sealed private copy of a slot's data and tree, verified from the copy. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <unistd.h>

#include "lib/base/io.h"
#include "lib/image/image.h"

#define COPY_CHECK "private copy"
#define SEALS_SIZE (F_SEAL_SHRINK | F_SEAL_GROW)
#define SEALS_ALL (SEALS_SIZE | F_SEAL_WRITE | F_SEAL_SEAL)
#define SENDFILE_MAX (1u << 30) /* bytes per call: below its 2 GiB cap */
/*
 * Copies up to this size are checked through a read-only mapping (no
 * copy back); larger ones are read back through the caller's buffer:
 * streaming a large fresh mapping costs a TLB fill per page, and on a
 * machine with a paravirtualised MMU that was twice the user time of the
 * copy for a 64 MiB image (81 against 40 ms), while for a 1.2 MiB image
 * the mapping was the faster.
 */
#define MAP_CHECK_MAX (8u << 20)

/* [0, len) of fd into mfd through the page cache, without a user copy. */
static int
copy_sendfile(int mfd, int fd, uint64_t len, struct kerr *e)
{
	off_t in = 0;

	while ((uint64_t)in < len) {
		uint64_t left = len - (uint64_t)in;
		ssize_t n =
		    sendfile(mfd, fd, &in,
			     left < SENDFILE_MAX ? (size_t)left : SENDFILE_MAX);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && in == 0 && (errno == EINVAL || errno == ENOSYS))
			return 1; /* this pair of files cannot: copy by hand */
		if (n < 0)
			return kerr_set(e, COPY_CHECK, "read at %llu: %s",
					(unsigned long long)in,
					strerror(errno));
		if (n == 0)
			return kerr_set(e, COPY_CHECK,
					"read at %llu: the image ends there",
					(unsigned long long)in);
	}
	return 0;
}

/* The same through buf (cap bytes): for sources sendfile cannot read. */
static int
copy_rw(int mfd, int fd, uint64_t len, uint8_t *buf, size_t cap, struct kerr *e)
{
	for (uint64_t off = 0; off < len;) {
		size_t n = len - off < cap ? (size_t)(len - off) : cap;

		if (io_pread_e(fd, buf, n, off, COPY_CHECK, "read at", e) < 0 ||
		    io_pwrite_e(mfd, buf, n, off, COPY_CHECK, "write at", e) <
			0)
			return -1;
		off += n;
	}
	return 0;
}

int
img_copy_sealed(int fd, const struct img_header *h, uint8_t *buf, size_t cap,
		struct kerr *e)
{
	uint64_t len = h->meta_offset; /* data, then tree: see FORMAT.md */
	int mfd, rc, seals;

	if (len == 0 || len > (uint64_t)INT64_MAX)
		return kerr_set(e, COPY_CHECK, "no data to copy");
	mfd = memfd_create("keel-image", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (mfd < 0)
		return kerr_set(e, COPY_CHECK, "memfd_create: %s",
				strerror(errno));
	/* Sized first, so a page that fails to come is an error here. */
	if (ftruncate(mfd, (off_t)len) < 0 ||
	    fcntl(mfd, F_ADD_SEALS, SEALS_SIZE) < 0) {
		kerr_set(e, COPY_CHECK, "size %llu: %s",
			 (unsigned long long)len, strerror(errno));
		goto fail;
	}
	rc = copy_sendfile(mfd, fd, len, e);
	if (rc > 0)
		rc = copy_rw(mfd, fd, len, buf, cap, e);
	if (rc < 0)
		goto fail;
	/*
	 * From here on no one, keel included, can change a byte: what is
	 * verified next is what the loop device will serve.
	 */
	if (fcntl(mfd, F_ADD_SEALS, F_SEAL_WRITE | F_SEAL_SEAL) < 0) {
		kerr_set(e, COPY_CHECK, "seal: %s", strerror(errno));
		goto fail;
	}
	seals = fcntl(mfd, F_GET_SEALS);
	if (seals < 0 || (seals & SEALS_ALL) != SEALS_ALL) {
		kerr_set(e, COPY_CHECK, "seals 0x%x, not 0x%x", seals,
			 SEALS_ALL);
		goto fail;
	}
	return mfd;
fail:
	if (errno == ENOSPC || errno == ENOMEM)
		kerr_set(e, COPY_CHECK,
			 "%llu bytes do not fit in memory: a kernel with "
			 "dm-verity maps the image without a copy",
			 (unsigned long long)len);
	close(mfd);
	return -1;
}

/* The check in place: a read-only mapping of the sealed copy. 1 or 0. */
static int
check_mapped(int mfd, uint64_t len, const struct verity_params *p,
	     struct verity_work *w, const uint8_t *root, struct kerr *e)
{
	void *map;
	int ok;

	/*
	 * Its pages mapped in one call. The seals forbid shrinking, so no
	 * page of the mapping can vanish under the check.
	 */
	map = mmap(NULL, (size_t)len, PROT_READ, MAP_SHARED | MAP_POPULATE, mfd,
		   0);
	if (map == MAP_FAILED) {
		kerr_set(e, COPY_CHECK, "mmap: %s", strerror(errno));
		return 0;
	}
	ok = verity_check_mem(map, len, p, w, root, e);
	munmap(map, (size_t)len);
	return ok;
}

int
img_verify_copy(int fd, const struct img_meta *m, struct verity_work *w,
		struct kerr *e)
{
	struct verity_params p = {m->h.data_blocks, m->h.hash_offset, m->h.salt,
				  m->h.salt_len};
	uint64_t len = m->h.meta_offset;
	int mfd = img_copy_sealed(fd, &m->h, w->io, sizeof(w->io), e);
	int ok;

	if (mfd < 0)
		return -1;
	if (len > MAP_CHECK_MAX)
		ok = verity_check(mfd, &p, w, m->h.root, e);
	else
		ok = check_mapped(mfd, len, &p, w, m->h.root, e);
	if (ok != 1) {
		close(mfd);
		return -1;
	}
	return mfd;
}
