// SPDX-License-Identifier: MIT
/* Bundles and small files over HTTP(S): anchors, resumable ranged reads. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "launcher/fetch.h"
#include "lib/base/io.h"

#define CA_MAX (1024 * 1024) /* one PEM file of anchors */

static int
add_file(struct fetch *f, const char *path, struct kerr *e)
{
	char *buf = malloc(CA_MAX);
	long n;
	int r = -1;

	if (!buf)
		return kerr_set(e, "ca", "out of memory");
	n = io_read_file(path, buf, CA_MAX);
	if (n < 0)
		kerr_set(e, "ca", "%s: %s", path, io_strerror((int)n));
	else if (tls_anchors_add_pem(&f->ta, buf, (size_t)n, e) < 0)
		snprintf(e->detail + strlen(e->detail),
			 sizeof(e->detail) - strlen(e->detail), " (%s)", path);
	else
		r = 0;
	free(buf);
	return r;
}

int
fetch_anchors(struct fetch *f, const char *const *ca, int nca, struct kerr *e)
{
	tls_anchors_init(&f->ta);
	for (int i = 0; i < nca; i++)
		if (add_file(f, ca[i], e) < 0)
			return -1;
	if (!nca && !access(FETCH_CA_DEFAULT, R_OK))
		return add_file(f, FETCH_CA_DEFAULT, e);
	return 0;
}

static void
note(void *ctx, const char *what)
{
	struct fetch *f = ctx;

	if (!f->quiet)
		fprintf(stderr, "keel: %s\n", what);
}

int
fetch_is_url(const char *s)
{
	return !strncmp(s, "http://", 7) || !strncmp(s, "https://", 8);
}

int
fetch_open(struct fetch *f, const char *url, int allow_http, int timeout_ms,
	   struct kerr *e)
{
	if (http_url_parse(url, strlen(url), &f->url, e) < 0)
		return -1;
	http_init(&f->c, &f->ta, allow_http, timeout_ms);
	f->c.agent = "keel";
	http_dl_init(&f->dl, &f->c, &f->url);
	f->dl.note = note;
	f->dl.note_ctx = f;
	if (f->url.tls && !f->ta.n)
		return kerr_set(e, "https", "no trust anchors (--ca PEM)");
	if (!f->url.tls && !allow_http)
		return kerr_set(e, "https", "plain http:// is not allowed");
	return 0;
}

static ssize_t
src_read(void *ctx, void *buf, size_t len, struct kerr *e)
{
	struct fetch *f = ctx;

	return http_dl_read(&f->dl, buf, len, e);
}

static int
src_next(void *ctx, uint64_t *off, uint64_t *len, struct kerr *e)
{
	struct bundle_ranges *r = ctx;

	return r->next(r, off, len, e);
}

static int
src_want(void *ctx, struct bundle_ranges *r, struct kerr *e)
{
	struct fetch *f = ctx;

	http_dl_ranges(&f->dl, src_next, r, FETCH_GAP);
	return 0;
}

void
fetch_src(struct fetch *f, struct bundle_src *src, int from)
{
	src->read = src_read;
	src->want = src_want;
	src->ctx = f;
	src->from = from;
}

long
fetch_small(struct fetch *f, char *buf, size_t cap, struct kerr *e)
{
	size_t len = 0;
	ssize_t n;

	while ((n = http_dl_read(&f->dl, buf + len, cap - len, e)) > 0) {
		len += (size_t)n;
		if (len == cap)
			return kerr_set(e, "http", "%s: over %zu bytes",
					f->url.host, cap);
	}
	return n < 0 ? -1 : (long)len;
}

uint64_t
fetch_rx(const struct fetch *f)
{
	return http_rx(&f->c);
}

void
fetch_close(struct fetch *f)
{
	http_close(&f->c);
}
