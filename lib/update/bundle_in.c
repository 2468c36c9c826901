// SPDX-License-Identifier: MIT
/* The installer's input, progress, jobs and lz4 memory, shared by formats. */
#include <string.h>

#include "lib/update/bundle_priv.h"

/* --- the input: a buffer over the caller's read function ------------- */

/* Refills the input buffer after keeping the unread bytes. 0 or -1. */
int
bundle_in_fill(struct bundle_work *w, struct kerr *e)
{
	ssize_t n;

	if (w->in_pos) {
		memmove(w->in, w->in + w->in_pos, w->in_len - w->in_pos);
		w->in_len -= w->in_pos;
		w->in_pos = 0;
	}
	if (w->in_eof || w->in_len == BUNDLE_IN_SIZE)
		return 0;
	n = w->src.read(w->src.ctx, w->in + w->in_len,
			BUNDLE_IN_SIZE - w->in_len, e);
	if (n < 0)
		return -1;
	if (n == 0)
		w->in_eof = 1;
	w->in_len += (size_t)n;
	w->stats.read += (uint64_t)n;
	return 0;
}

/* At least n (<= BUNDLE_IN_SIZE) bytes buffered; fewer only at the end. */
int
bundle_in_need(struct bundle_work *w, size_t n, struct kerr *e)
{
	while (w->in_len - w->in_pos < n && !w->in_eof)
		if (bundle_in_fill(w, e) < 0)
			return -1;
	return 0;
}

/* Copies exactly n bytes out of the stream; what names them if cut short. */
int
bundle_in_take(struct bundle_work *w, void *dst, size_t n, const char *what,
	       struct kerr *e)
{
	if (bundle_in_need(w, n, e) < 0)
		return -1;
	if (w->in_len - w->in_pos < n)
		return kerr_set(e, "truncated", "bundle ends inside %s", what);
	memcpy(dst, w->in + w->in_pos, n);
	w->in_pos += n;
	return 0;
}

/* --- progress ----------------------------------------------------------- */

/* n more bytes of the slot written. */
void
bundle_progress(struct bundle_work *w, const struct bundle_hooks *h, uint64_t n)
{
	w->done += n;
	if (h && h->progress)
		h->progress(h->ctx, w->done, w->total);
}

/* --- jobs on the worker threads ---------------------------------------- */

/*
 * Retires the oldest job out: a written chunk counts as progress, and
 * its fingerprint (or a read-back one's) is added up. -1 if
 * it, or one before it, failed; the first failure in stream order is
 * kept in w->pool.err.
 */
static int
retire(struct bundle_work *w, const struct bundle_hooks *hooks)
{
	struct bundle_job *j = bundle_pool_retire(w);

	if (j->rc < 0 && !w->pool.failed) {
		w->pool.failed = 1;
		w->pool.err = j->e;
	}
	if (w->pool.failed)
		return -1;
	if (j->op == BUNDLE_JOB_WRITE) {
		bundle_progress(w, hooks, j->n * VERITY_BLOCK);
		w->sum_written += j->sum;
	} else if (j->op == BUNDLE_JOB_SUM) {
		w->sum_read += j->sum;
	}
	return 0;
}

/* The next job to fill, after retiring the oldest if all are out. */
struct bundle_job *
bundle_next_job(struct bundle_work *w, const struct bundle_hooks *hooks)
{
	struct bundle_job *j = bundle_pool_next(w);

	if (!j && retire(w, hooks) == 0)
		j = bundle_pool_next(w);
	return j;
}

/*
 * Retires every job still out, and returns r, or -1 with the failure of
 * a job: that comes first in the stream, before whatever the caller's
 * thread was doing when it stopped.
 */
int
bundle_drain(struct bundle_work *w, const struct bundle_hooks *hooks, int r,
	     struct kerr *e)
{
	while (bundle_pool_out(w))
		retire(w, hooks);
	if (!w->pool.failed)
		return r;
	if (e)
		*e = w->pool.err;
	return -1;
}

/* --- the lz4 decoder's memory and the source's ranges -------------------- */

/* The lz4 decoder's memory: a bump allocator over the work arena. */
void *
bundle_arena_alloc(void *opaque, size_t size)
{
	struct bundle_work *w = opaque;
	size_t at = (w->arena_used + 15) & ~(size_t)15;

	if (size > BUNDLE_ARENA_SIZE || at > BUNDLE_ARENA_SIZE - size)
		return NULL;
	w->arena_used = at + size;
	return w->arena + at;
}

void
bundle_arena_free(void *opaque, void *p)
{
}

/* The frame header, read before the decoder sizes anything by it. */
/*
 * The source serves the ranges in w->ranges next, after what the input
 * buffer holds already (a stream: nothing to do).
 */
int
bundle_want(struct bundle_work *w, struct kerr *e)
{
	if (!w->src.want)
		return 0;
	w->in_eof = 0;
	return w->src.want(w->src.ctx, &w->ranges, e);
}
