/* SPDX-License-Identifier: MIT */
/* HTTP/1.1 client pieces: URLs, response heads and body framing. */
#ifndef KEEL_HTTP_H
#define KEEL_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include "lib/base/err.h"

/*
 * Everything here parses bytes a server (or a network between) chose:
 * fixed maximum sizes, no allocation, no recursion, and a refusal for
 * anything outside what keel needs (docs/UPDATE.md §2). No I/O: the
 * client (http_client.h) feeds these parsers.
 */
#define HTTP_URL_MAX 1024  /* a whole URL, and a Location header */
#define HTTP_HOST_MAX 253  /* a DNS name */
#define HTTP_HEAD_MAX 8192 /* status line and headers, CRLFs included */
#define HTTP_HEADERS_MAX 64
#define HTTP_TAG_MAX 127	/* ETag and Last-Modified values kept */
#define HTTP_CHUNK_LINE_MAX 256 /* a chunk-size line with extensions */
#define HTTP_TRAILER_MAX 4096	/* all trailer lines of a chunked body */

struct http_url {
	int tls;		      /* https */
	char host[HTTP_HOST_MAX + 1]; /* IPv6 literals without brackets */
	int literal;		      /* host is an address: 4 or 6, else 0 */
	uint16_t port;		      /* 80 or 443 unless given */
	char path[HTTP_URL_MAX + 1];  /* path and query; starts with '/' */
};

/*
 * Parses an absolute http:// or https:// URL of n bytes: no user info, no
 * fragment, no byte outside RFC 3986's printable set, at most
 * HTTP_URL_MAX bytes; scheme and host are folded to lower case, an empty
 * path becomes "/". 0 or -1.
 */
int http_url_parse(const char *s, size_t n, struct http_url *u, struct kerr *e);

/*
 * Resolves a reference against base (RFC 3986 §5, without dot segments
 * removed): an absolute URL, "//host/path", "/path" or a relative path
 * (replacing base's last path segment; a query alone replaces base's).
 * 0 or -1.
 */
int http_url_resolve(const struct http_url *base, const char *ref, size_t n,
		     struct http_url *out, struct kerr *e);

/* The URL as text into buf (cap bytes, NUL included). 0, or -1 if cut. */
int http_url_format(const struct http_url *u, char *buf, size_t cap);

/* What keel takes from a response head; everything else is checked only
 * for its syntax. */
struct http_resp {
	int status;	/* 100 .. 599 */
	int minor;	/* HTTP/1.minor: 0 or 1 */
	int close;	/* the connection ends after this response */
	int chunked;	/* Transfer-Encoding: chunked */
	int has_length; /* Content-Length given */
	uint64_t length;
	int has_range; /* Content-Range: bytes FIRST-LAST/TOTAL */
	uint64_t range_first, range_last;
	uint64_t range_total; /* UINT64_MAX for '*' */
	int has_location;
	char location[HTTP_URL_MAX + 1];
	char etag[HTTP_TAG_MAX + 1];	      /* "" if none, or weak */
	char last_modified[HTTP_TAG_MAX + 1]; /* "" if none */
	uint32_t retry_after;		      /* seconds; 0 if none */
};

/*
 * Finds the end of a response head in buf: the length up to and including
 * the empty line, 0 if it is not all there yet, -1 when no head can fit
 * in HTTP_HEAD_MAX bytes.
 */
long http_head_end(const uint8_t *buf, size_t len);

/*
 * Parses a complete response head (status line, header lines, the empty
 * line; CRLF line ends only). Refused: another protocol version than
 * HTTP/1.0 or 1.1, a status outside 100 .. 599, obsolete line folding,
 * a header name that is not a token, control bytes in a value, more than
 * HTTP_HEADERS_MAX headers, Content-Length twice with different values
 * or with Transfer-Encoding, a transfer coding other than chunked, and a
 * malformed Content-Length, Content-Range, Location or Retry-After.
 * 0 or -1.
 */
int http_parse_head(const uint8_t *buf, size_t len, struct http_resp *r,
		    struct kerr *e);

/* The body's framing (RFC 9112 §6): by length, or chunked. */
enum http_body_mode {
	HTTP_BODY_LENGTH = 1, /* Content-Length bytes (0: no body) */
	HTTP_BODY_CHUNKED,
};

struct http_body {
	int mode;
	int state;	 /* chunked: where in the framing */
	int done;	 /* the whole body was seen */
	uint64_t left;	 /* bytes of data left (in the body, or the chunk) */
	size_t line;	 /* bytes of the current framing line so far */
	size_t trailer;	 /* trailer bytes so far */
	unsigned digits; /* hex digits of the current chunk size */
};

/*
 * Sets up the framing of r's body (a response to a GET, or to a request
 * whose response has no body when head_only). 0, or -1 when the body's
 * end could only be told by the connection closing: keel refuses such
 * responses (a cut would look like the end).
 */
int http_body_init(struct http_body *b, const struct http_resp *r,
		   int head_only, struct kerr *e);

/*
 * Walks the framing over in[0 .. n): *used gets how many bytes of in were
 * taken, *data how many of those, from in[0], are body data. Each call
 * returns either data (a prefix of in) or framing bytes, never both; the
 * caller loops until b->done. Input may be split anywhere. 0 or -1.
 */
int http_body_step(struct http_body *b, const uint8_t *in, size_t n,
		   size_t *used, size_t *data, struct kerr *e);

#endif
