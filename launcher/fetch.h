/* SPDX-License-Identifier: MIT */
/* Bundles and small files over HTTP(S) for keel's commands and its agent. */
#ifndef KEEL_FETCH_H
#define KEEL_FETCH_H

#include "lib/ipc/control.h"
#include "lib/net/http_client.h"
#include "lib/update/bundle.h"
#include "lib/update/want.h"

/* Ranges closer than this are fetched in one request (the gap dropped). */
#define FETCH_GAP (256 * 1024)
#define FETCH_CA_DEFAULT "/etc/ssl/certs/ca-certificates.crt"

/* One download: the client, its trust anchors and the resumable reader. */
struct fetch {
	struct http_client c;
	struct tls_anchors ta;
	struct http_dl dl;
	struct http_url url;
	int quiet;     /* no "resuming" lines on stderr */
	int head_done; /* fetch_head's one range was given */
};

/*
 * Loads the PEM files ca[0 .. nca) as the trust anchors (none given: the
 * host's FETCH_CA_DEFAULT, for https only). 0 or -1.
 */
int fetch_anchors(struct fetch *f, const char *const *ca, int nca,
		  struct kerr *e);

/* 1 when s is an http:// or https:// URL. */
int fetch_is_url(const char *s);

/* Sets up f for url: https, or http when allow_http. 0 or -1. */
int fetch_open(struct fetch *f, const char *url, int allow_http, int timeout_ms,
	       struct kerr *e);

/* A bundle source over f (ranges served), copying from `from`. */
void fetch_src(struct fetch *f, struct bundle_src *src, int from);

/*
 * GETs a whole small file of at most cap bytes into buf (resumed when
 * cut, like a bundle). Its length, or -1.
 */
long fetch_small(struct fetch *f, char *buf, size_t cap, struct kerr *e);

/* Bytes received from the network so far (headers and TLS included). */
uint64_t fetch_rx(const struct fetch *f);

void fetch_close(struct fetch *f);

/*
 * A delta install through keel-init's control socket (launcher/
 * fetch_serve.c): after the `update` request on sock, the client sends
 * WANT_HELLO, then fetches from f exactly the ranges keel installer asks
 * for (lib/update/want.h; adjacent ones closer than gap in one request)
 * and sends them, until keel-init's final line. Every other reply line
 * goes to line (1: the final line, 0: go on, -1: stop). stop, when
 * set, is asked after each interrupted wait.
 */
struct fetch_serve {
	int sock;
	struct fetch *f;
	uint64_t gap;
	int (*line)(void *ctx, const struct control_reply *r);
	void *ctx;
	int (*stop)(void);
	/* The bundle's first head_len bytes, already fetched (fetch_head):
	 * what the installer asks of them is sent from here, not fetched
	 * again (0: none). */
	const uint8_t *head;
	size_t head_len;
	/* state */
	struct want_q q;
	char buf[CONTROL_LINE_MAX];
	size_t len;
	int final, shut;
	uint64_t got, sent; /* bundle bytes fetched, sent to keel-init */
};

/*
 * Reads the bundle's first block (its metadata, IMG_META_SIZE bytes) from
 * f into blk: by a range of it alone when ranged (the start of a delta),
 * else from the start of a plain download. 0, or -1 with e (and
 * f->dl.no_ranges set when the server answered the range with the whole
 * file).
 */
int fetch_head(struct fetch *f, uint8_t *blk, int ranged, struct kerr *e);

/* 0 once the final line came, or -1 with e (this side's failure). */
int fetch_serve(struct fetch_serve *s, struct kerr *e);
/* After a failure: waits for keel-init's final line. 0 or -1. */
int fetch_serve_final(struct fetch_serve *s, struct kerr *e);
/*
 * For a server that ignores ranges: after the `update` request on sock,
 * sends head[0 .. len) (the bundle's start, already read from f) and the
 * rest of f's plain download, the whole bundle as one stream (no
 * WANT_HELLO: keel installer installs it whole), until keel-init's final
 * line. 0 or -1, as fetch_serve.
 */
int fetch_serve_whole(struct fetch_serve *s, const void *head, size_t len,
		      struct kerr *e);

#endif
