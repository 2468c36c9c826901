/* SPDX-License-Identifier: MIT */
/* TLS 1.2 client over a socket (BearSSL), trust anchors from PEM. */
#ifndef KEEL_TLS_H
#define KEEL_TLS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <bearssl.h>

#include "lib/base/err.h"

/*
 * The server's certificate chain must lead to one of the anchors the
 * caller loaded, which keel takes from PEM files in the signed image
 * (docs/UPDATE.md §3): a CA certificate anchors chains it signed; any
 * other certificate is pinned (the server must present that very key).
 * The host name is checked against the certificate's DNS names (with
 * a leading "*." wildcard) and sent as SNI. TLS 1.2 only (BearSSL 0.6
 * has no 1.3), ECDHE with AES-GCM or ChaCha20-Poly1305.
 */
#define TLS_ANCHORS_MAX 256	    /* certificates in the anchor set */
#define TLS_ANCHOR_MEM (192 * 1024) /* their names and keys */
#define TLS_CERT_MAX (16 * 1024)    /* one DER certificate of a PEM file */

struct tls_anchors {
	br_x509_trust_anchor ta[TLS_ANCHORS_MAX];
	size_t n;
	size_t used; /* bytes of mem */
	uint8_t mem[TLS_ANCHOR_MEM];
	uint8_t der[TLS_CERT_MAX]; /* scratch while decoding */
	size_t der_len;
	int der_over;
};

/* Empties the set. */
void tls_anchors_init(struct tls_anchors *a);

/*
 * Adds every certificate of a PEM text (len bytes) to the set. Refused:
 * a PEM object other than CERTIFICATE, a malformed PEM or certificate, a
 * key type BearSSL cannot use, a set past its limits, and a text with no
 * certificate at all. The number added, or -1 (then nothing of this
 * text was added).
 */
int tls_anchors_add_pem(struct tls_anchors *a, const void *pem, size_t len,
			struct kerr *e);

/* One TLS connection; caller-owned (about 40 KiB), nothing allocated. */
struct tls_conn {
	br_ssl_client_context cc;
	br_x509_minimal_context xc;
	int fd;
	int timeout_ms; /* for each wait on the socket */
	uint64_t rx;	/* bytes read from the socket, records and all */
	int eof;	/* the peer closed the socket */
	/* Certificates are checked at this time (days since 0000-01-01,
	 * seconds in the day), or now when both are 0 (tests set it). */
	uint32_t days, seconds;
	char host[254];
	uint8_t iobuf[BR_SSL_BUFSIZE_BIDI];
};

/*
 * The handshake over the connected socket fd (non-blocking or not: it is
 * set non-blocking), with host checked and sent as SNI. 0 or -1; e says
 * why (an untrusted chain, a wrong name, an expired certificate, ...).
 */
int tls_start(struct tls_conn *t, int fd, const struct tls_anchors *a,
	      const char *host, int timeout_ms, struct kerr *e);

/* Up to len application bytes: the count, 0 at the end, -1 on errors. */
ssize_t tls_read(struct tls_conn *t, void *buf, size_t len, struct kerr *e);

/* Writes all len bytes and flushes them. 0 or -1. */
int tls_write(struct tls_conn *t, const void *buf, size_t len, struct kerr *e);

/* Sends close_notify when it can without waiting; the fd stays open. */
void tls_close(struct tls_conn *t);

#endif
