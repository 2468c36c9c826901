// SPDX-License-Identifier: MIT
/* The installer's worker threads (chunks checked and written, or read
 * back), the read-back's fingerprint and the slot's fsync. */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "lib/update/bundle_priv.h"

/* lz4's XXH64 (liblz4 holds lz4's xxhash.c and installs no header). */
unsigned long long XXH64(const void *p, size_t len, unsigned long long seed);

int
bundle_slot_sync(int fd, struct kerr *e)
{
	/* EINVAL: a file type without sync (memfd); nothing to flush. */
	if (fsync(fd) < 0 && errno != EINVAL)
		return kerr_set(e, "write", "fsync: %s", kerr_strerror(errno));
	return 0;
}

uint64_t
bundle_sum(const uint8_t *buf, size_t n, uint64_t first)
{
	uint64_t s = 0;

	for (size_t k = 0; k < n; k++)
		s += XXH64(buf + k * VERITY_BLOCK, VERITY_BLOCK, first + k);
	return s;
}

static int
kept(const struct bundle_job *j, size_t k)
{
	return j->keep[k / 64] >> (k % 64) & 1;
}

/*
 * A write job's runs of blocks not kept in place: each run is checked,
 * and reaches the slot only after the check said 1. 0 or -1.
 */
static int
write_runs(const struct bundle_pool *p, struct bundle_job *j)
{
	for (size_t a = 0, b; a < j->n; a = b) {
		if (kept(j, a)) {
			b = a + 1;
			continue;
		}
		for (b = a + 1; b < j->n && !kept(j, b); b++)
			;
		if (bundle_check_run(
			&p->salted, j->first + a, j->buf + a * VERITY_BLOCK,
			b - a, (const uint8_t(*)[VERITY_DIGEST])j->want + a,
			&j->e) != 1 ||
		    bundle_pwrite(p->fd, j->buf + a * VERITY_BLOCK,
				  (b - a) * VERITY_BLOCK,
				  (j->first + a) * VERITY_BLOCK, &j->e) < 0)
			return -1;
		j->sum +=
		    bundle_sum(j->buf + a * VERITY_BLOCK, b - a, j->first + a);
	}
	return 0;
}

/*
 * One job, on whichever thread took it. fd and salted do not change
 * while a job is out, so they are read without the lock; the job itself
 * belongs to this thread until it is marked done.
 */
static void
job_run(const struct bundle_pool *p, struct bundle_job *j)
{
	size_t len = j->n * VERITY_BLOCK;
	uint64_t off = j->first * VERITY_BLOCK;

	j->rc = -1;
	if (j->op == BUNDLE_JOB_WRITE) {
		j->rc = write_runs(p, j);
		return;
	}
	if (bundle_pread(p->fd, j->buf, len, off, &j->e) < 0)
		return;
	if (j->op == BUNDLE_JOB_SUM) {
		j->sum = bundle_sum(j->buf, j->n, j->first);
		j->rc = 0;
		return;
	}
	if (bundle_check_run(&p->salted, j->first, j->buf, j->n,
			     (const uint8_t(*)[VERITY_DIGEST])j->want,
			     &j->e) != 1)
		return;
	j->rc = 0;
}

/* The oldest queued job, now taken; NULL if none. p->mu held. */
static struct bundle_job *
take(struct bundle_work *w)
{
	struct bundle_pool *p = &w->pool;

	if (p->taken == p->queued)
		return NULL;
	return &w->job[p->taken++ % BUNDLE_JOBS];
}

/* Runs j with the lock released; p->mu held before and after. */
static void
run_unlocked(struct bundle_work *w, struct bundle_job *j)
{
	struct bundle_pool *p = &w->pool;

	pthread_mutex_unlock(&p->mu);
	job_run(p, j);
	pthread_mutex_lock(&p->mu);
	j->done = 1;
	pthread_cond_signal(&p->done);
}

static void *
worker(void *arg)
{
	struct bundle_work *w = arg;
	struct bundle_pool *p = &w->pool;
	struct bundle_job *j;

	pthread_mutex_lock(&p->mu);
	while (!p->stop) {
		if ((j = take(w)))
			run_unlocked(w, j);
		else
			pthread_cond_wait(&p->wake, &p->mu);
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

void
bundle_pool_start(struct bundle_work *w)
{
	struct bundle_pool *p = &w->pool;
	pthread_attr_t at;

	memset(p, 0, sizeof(*p));
	p->fd = -1;
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->wake, NULL);
	pthread_cond_init(&p->done, NULL);
	for (unsigned i = 0; i < BUNDLE_JOBS; i++)
		w->job[i].buf = w->buf[i];
	/* No heap: each thread runs on its stack inside w, or not at all. */
	for (unsigned i = 0; i < BUNDLE_WORKERS; i++) {
		if (pthread_attr_init(&at) != 0)
			break;
		if (pthread_attr_setstack(&at, w->stack[i],
					  sizeof(w->stack[i])) == 0 &&
		    pthread_create(&p->th[p->threads], &at, worker, w) == 0)
			p->threads++;
		pthread_attr_destroy(&at);
	}
}

void
bundle_pool_phase(struct bundle_work *w, int fd, const struct sha256 *salted)
{
	w->pool.fd = fd;
	w->pool.salted = *salted;
	w->pool.failed = 0;
}

unsigned
bundle_pool_out(const struct bundle_work *w)
{
	return (unsigned)(w->pool.queued - w->pool.retired);
}

struct bundle_job *
bundle_pool_next(struct bundle_work *w)
{
	struct bundle_job *j;

	/* queued and retired change on this thread only. */
	if (bundle_pool_out(w) >= BUNDLE_JOBS)
		return NULL;
	j = &w->job[w->pool.queued % BUNDLE_JOBS];
	j->done = 0;
	j->rc = 0;
	j->sum = 0;
	memset(j->keep, 0, sizeof(j->keep));
	j->e.check = NULL;
	j->e.detail[0] = 0;
	return j;
}

void
bundle_pool_submit(struct bundle_work *w)
{
	struct bundle_pool *p = &w->pool;

	pthread_mutex_lock(&p->mu);
	p->queued++;
	pthread_cond_signal(&p->wake);
	pthread_mutex_unlock(&p->mu);
}

struct bundle_job *
bundle_pool_retire(struct bundle_work *w)
{
	struct bundle_pool *p = &w->pool;
	struct bundle_job *j = &w->job[p->retired % BUNDLE_JOBS], *q;

	pthread_mutex_lock(&p->mu);
	/* Rather than sleep, the caller's thread runs queued jobs too. */
	while (!j->done) {
		if ((q = take(w)))
			run_unlocked(w, q);
		else
			pthread_cond_wait(&p->done, &p->mu);
	}
	p->retired++;
	pthread_mutex_unlock(&p->mu);
	return j;
}

void
bundle_pool_stop(struct bundle_work *w)
{
	struct bundle_pool *p = &w->pool;

	/* Nothing may still be reading or writing the slot after this. */
	while (bundle_pool_out(w))
		bundle_pool_retire(w);
	pthread_mutex_lock(&p->mu);
	p->stop = 1;
	pthread_cond_broadcast(&p->wake);
	pthread_mutex_unlock(&p->mu);
	for (unsigned i = 0; i < p->threads; i++)
		pthread_join(p->th[i], NULL);
	p->threads = 0;
	pthread_cond_destroy(&p->done);
	pthread_cond_destroy(&p->wake);
	pthread_mutex_destroy(&p->mu);
}
