// SPDX-License-Identifier: MIT
/* Slot I/O of the bundle installer, and one transfer in flight beside it. */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "lib/base/io.h"
#include "lib/update/bundle_priv.h"

static void *
io_run(void *arg)
{
	struct bundle_io *io = arg;

	io->rc = io->write
		     ? bundle_pwrite(io->fd, io->buf, io->len, io->off, &io->e)
		     : bundle_pread(io->fd, io->buf, io->len, io->off, &io->e);
	return NULL;
}

void
bundle_io_start(struct bundle_work *w, int fd, int write, uint8_t *buf,
		size_t len, uint64_t off)
{
	struct bundle_io *io = &w->io;
	pthread_attr_t at;

	io->fd = fd;
	io->write = write;
	io->buf = buf;
	io->len = len;
	io->off = off;
	io->rc = 0;
	io->busy = 0;
	memset(&io->e, 0, sizeof(io->e));
	/* No thread to be had: the transfer runs now, before returning. */
	if (pthread_attr_init(&at) == 0) {
		io->busy = pthread_attr_setstack(&at, w->iostack,
						 sizeof(w->iostack)) == 0 &&
			   pthread_create(&io->th, &at, io_run, io) == 0;
		pthread_attr_destroy(&at);
	}
	if (!io->busy)
		io_run(io);
}

int
bundle_io_wait(struct bundle_work *w, struct kerr *e)
{
	struct bundle_io *io = &w->io;
	int rc;

	if (io->busy)
		pthread_join(io->th, NULL);
	io->busy = 0;
	rc = io->rc;
	io->rc = 0;
	if (rc < 0 && e)
		*e = io->e;
	return rc < 0 ? -1 : 0;
}
