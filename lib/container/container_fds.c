// SPDX-License-Identifier: MIT
/* The container's descriptors: the app's stdio on 0-2, nothing of keel's. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "lib/container/container_priv.h"

/* close_range over [first, last], skipping the fds in keep (sorted). */
static int
ctr_close_from(unsigned first, const int *keep, int nkeep)
{
	for (int i = 0; i <= nkeep; i++) {
		unsigned last = i < nkeep ? (unsigned)keep[i] - 1 : ~0U;

		if (first <= last && syscall(SYS_close_range, first, last, 0))
			return -1;
		if (i < nkeep)
			first = (unsigned)keep[i] + 1;
	}
	return 0;
}

/*
 * The container holds nothing of keel's: the app's stdio goes to 0-2
 * (s->stdio; the caller's fd where it says -1 or there is none) and
 * every other descriptor is closed but the n in keep (close-on-exec:
 * the error pipe to keel; while the child waits for keel's network
 * namespace, the sync pipe and keel's pidfd; the root's detached mount,
 * where s->root_fd is the root), which move above 2 first:
 * s->stdio may name 0-2 in any order, or one of keep's old numbers.
 */
int
ctr_own_fds(const struct ctr_spec *s, int *const *keep, int n)
{
	int k[CTR_KEEP_MAX], old[CTR_KEEP_MAX], t[3] = {-1, -1, -1};

	for (int i = 0; i < n; i++) {
		int fd = fcntl(*keep[i], F_DUPFD_CLOEXEC, 3), j = i;

		if (fd < 0)
			return -1;
		old[i] = *keep[i];
		*keep[i] = fd;
		for (; j > 0 && k[j - 1] > fd; j--)
			k[j] = k[j - 1];
		k[j] = fd;
	}
	for (int i = 0; s->stdio && i < 3; i++)
		if (s->stdio[i] >= 0 &&
		    (t[i] = fcntl(s->stdio[i], F_DUPFD_CLOEXEC, 3)) < 0)
			return -1;
	for (int i = 0; i < n; i++)
		close(old[i]);
	for (int i = 0; i < 3; i++)
		if (t[i] >= 0 && dup2(t[i], i) != i)
			return -1;
	return ctr_close_from(3, k, n);
}
