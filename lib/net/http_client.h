/* SPDX-License-Identifier: MIT */
/* HTTP/1.1 client: GET with ranges, small POSTs, resumable downloads. */
#ifndef KEEL_HTTP_CLIENT_H
#define KEEL_HTTP_CLIENT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "lib/net/http.h"
#include "lib/net/tls.h"

#define HTTP_BUF (64 * 1024) /* bytes read from the connection at once */
#define HTTP_REDIRECTS_MAX 5
#define HTTP_DRAIN_MAX (64 * 1024) /* a body read to keep a connection */
#define HTTP_RUN_MAX 64		   /* ranges fetched by one request */

/*
 * One client: one connection at a time, kept open between requests to
 * the same origin (keep-alive). Caller-owned, about 110 KiB; nothing is
 * allocated but what getaddrinfo does. Every wait on the network ends
 * after timeout_ms without progress.
 */
struct http_client {
	/* set by the caller */
	const struct tls_anchors *anchors; /* for https:// (NULL: refused) */
	int allow_http;			   /* plain http:// allowed */
	int timeout_ms;			   /* each connect, read, write */
	const char *agent;		   /* User-Agent, or NULL */
	/* the connection */
	int fd;
	int tls_on;
	struct http_url origin; /* what fd is connected to */
	struct tls_conn tls;
	uint8_t buf[HTTP_BUF]; /* received, not yet taken */
	size_t pos, len;
	uint64_t rx_closed; /* bytes received on connections now closed */
	/* the current response */
	struct http_url url; /* where it came from, after redirects */
	struct http_resp resp;
	struct http_body body;
	int redirects; /* followed for the current request */
};

/* Before first use: the settings, no connection. */
void http_init(struct http_client *c, const struct tls_anchors *anchors,
	       int allow_http, int timeout_ms);

/* Bytes received from the network so far, TLS records included. */
uint64_t http_rx(const struct http_client *c);

/*
 * GET u, bytes [first, last] when range (If-Range: validator when given),
 * following up to HTTP_REDIRECTS_MAX redirects (never from https to http
 * unless allow_http). 0 with c->resp the final response's head (any
 * status; the caller decides) and its body ready for http_read; -1 on
 * network, TLS or protocol errors.
 */
int http_get(struct http_client *c, const struct http_url *u, int range,
	     uint64_t first, uint64_t last, const char *validator,
	     struct kerr *e);

/* Up to len bytes of the body: the count, 0 at its end, -1 on errors (a
 * connection that ends before the body does is one). */
ssize_t http_read(struct http_client *c, void *buf, size_t len, struct kerr *e);

/*
 * POST len bytes of type ctype to u (no redirect followed); the response
 * body is read and dropped. The status, or -1.
 */
int http_post(struct http_client *c, const struct http_url *u,
	      const char *ctype, const void *body, size_t len, struct kerr *e);

/* Closes the connection (close_notify first over TLS). */
void http_close(struct http_client *c);

/*
 * A download of one resource that survives cut connections: a read that
 * fails resumes with a Range request from the first byte not yet given
 * (If-Range guarded by the first response's validator), after a pause
 * that doubles from retry_ms, up to tries attempts in a row that bring
 * no byte. With a range source set (http_dl_ranges), it reads only the
 * ranges the source yields, in order, fetching nearby ones (gap below
 * gap_max) in one request and dropping the bytes between.
 */
struct http_dl {
	struct http_client *c;
	struct http_url url;
	uint64_t size; /* the resource's size once known, else UINT64_MAX */
	uint64_t pos;  /* next byte of the resource to be read */
	char validator[HTTP_TAG_MAX + 1];
	int open;	  /* a response body is being read */
	int no_ranges;	  /* a range was answered with the whole resource */
	uint64_t req_end; /* end (exclusive) of what the open request asked */
	/* ranges */
	int (*next)(void *ctx, uint64_t *off, uint64_t *len, struct kerr *e);
	void *next_ctx;
	uint64_t gap_max;
	uint64_t run_off[HTTP_RUN_MAX], run_len[HTTP_RUN_MAX];
	unsigned run_n, run_i; /* ranges of the open request; the current */
	int src_done;	       /* next() said there are no more */
	uint64_t peek_off, peek_len; /* a range taken from next(), not run */
	int peeked;
	/* retries */
	unsigned tries, retry_ms;
	unsigned resumed; /* requests that resumed a cut transfer */
	void (*note)(void *ctx, const char *what); /* optional messages */
	void *note_ctx;
	struct kerr err; /* why the last read failed */
};

/* A download of u over c, from byte 0 to the end. */
void http_dl_init(struct http_dl *d, struct http_client *c,
		  const struct http_url *u);

/*
 * From now on read only the ranges next() yields (ascending, not
 * overlapping, each ending within the resource), concatenated; next
 * returns 1 with a range, 0 when there are no more, -1 on errors.
 */
void http_dl_ranges(struct http_dl *d,
		    int (*next)(void *ctx, uint64_t *off, uint64_t *len,
				struct kerr *e),
		    void *ctx, uint64_t gap_max);

/* Up to len bytes: the count, 0 at the end, -1 with d->err / e set. */
ssize_t http_dl_read(struct http_dl *d, void *buf, size_t len, struct kerr *e);

#endif
