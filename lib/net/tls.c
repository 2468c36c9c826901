// SPDX-License-Identifier: MIT
/* A BearSSL TLS 1.2 client engine driven over a non-blocking socket. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lib/net/tls.h"

/* ECDHE only (forward secrecy), AEAD only; the server picks among them. */
static const uint16_t suites[] = {
    BR_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
    BR_TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
    BR_TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
    BR_TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
    BR_TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
    BR_TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
};

static const struct {
	int id;
	const br_hash_class *vt;
} hashes[] = {
    {br_sha256_ID, &br_sha256_vtable},
    {br_sha384_ID, &br_sha384_vtable},
    {br_sha512_ID, &br_sha512_vtable},
};

/* A readable reason for BearSSL's error codes, the common ones named. */
static int
fail(struct tls_conn *t, int err, struct kerr *e)
{
	const char *h = t->host;

	switch (err) {
	case BR_ERR_X509_NOT_TRUSTED:
		return kerr_set(
		    e, "tls", "%s: certificate not signed by a trusted CA", h);
	case BR_ERR_X509_BAD_SERVER_NAME:
		return kerr_set(e, "tls", "%s: certificate is for another name",
				h);
	case BR_ERR_X509_EXPIRED:
		return kerr_set(e, "tls",
				"%s: certificate expired or not yet valid "
				"(check the clock)",
				h);
	case BR_ERR_BAD_VERSION:
	case BR_ERR_BAD_CIPHER_SUITE:
		return kerr_set(e, "tls",
				"%s: no common protocol or cipher suite "
				"(TLS 1.2 with ECDHE and AES-GCM or ChaCha20)",
				h);
	case BR_ERR_IO:
		return kerr_set(e, "tls", "%s: connection closed or failed", h);
	}
	if (err >= BR_ERR_RECV_FATAL_ALERT && err < BR_ERR_SEND_FATAL_ALERT)
		return kerr_set(e, "tls", "%s: server sent alert %d", h,
				err - BR_ERR_RECV_FATAL_ALERT);
	if (err >= BR_ERR_SEND_FATAL_ALERT)
		return kerr_set(e, "tls", "%s: handshake refused (alert %d)", h,
				err - BR_ERR_SEND_FATAL_ALERT);
	return kerr_set(e, "tls", "%s: TLS error %d", h, err);
}

/* Waits for ev on the socket; 0, or -1 after the timeout or an error. */
static int
wait_fd(struct tls_conn *t, short ev, struct kerr *e)
{
	struct pollfd p = {t->fd, ev, 0};
	int r;

	do
		r = poll(&p, 1, t->timeout_ms);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return kerr_set(e, "net", "poll: %s", kerr_strerror(errno));
	if (r == 0)
		return kerr_set(e, "timeout", "%s: no progress in %d ms",
				t->host, t->timeout_ms);
	return 0;
}

static int
send_rec(struct tls_conn *t, struct kerr *e)
{
	br_ssl_engine_context *eng = &t->cc.eng;
	size_t len;
	uint8_t *buf = br_ssl_engine_sendrec_buf(eng, &len);
	ssize_t n = send(t->fd, buf, len, MSG_NOSIGNAL | MSG_DONTWAIT);

	if (n > 0) {
		br_ssl_engine_sendrec_ack(eng, (size_t)n);
		return 0;
	}
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return wait_fd(t, POLLOUT, e);
	return kerr_set(e, "net", "%s: %s", t->host,
			n < 0 ? kerr_strerror(errno) : "connection closed");
}

static int
recv_rec(struct tls_conn *t, struct kerr *e)
{
	br_ssl_engine_context *eng = &t->cc.eng;
	size_t len;
	uint8_t *buf = br_ssl_engine_recvrec_buf(eng, &len);
	ssize_t n = recv(t->fd, buf, len, MSG_DONTWAIT);

	if (n > 0) {
		t->rx += (uint64_t)n;
		br_ssl_engine_recvrec_ack(eng, (size_t)n);
		return 0;
	}
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return wait_fd(t, POLLIN, e);
	if (n < 0)
		return kerr_set(e, "net", "%s: %s", t->host,
				kerr_strerror(errno));
	/* The peer closed without close_notify: an end the caller judges. */
	t->eof = 1;
	return 1;
}

/*
 * Moves records until the engine offers one of want (BR_SSL_SENDAPP,
 * BR_SSL_RECVAPP). 1 when it does, 0 when the connection closed cleanly
 * (close_notify), -1 on errors and timeouts.
 */
static int
pump(struct tls_conn *t, unsigned want, struct kerr *e)
{
	br_ssl_engine_context *eng = &t->cc.eng;

	for (;;) {
		unsigned st = br_ssl_engine_current_state(eng);

		if (t->eof)
			return 0;
		if (st & BR_SSL_CLOSED) {
			int err = br_ssl_engine_last_error(eng);

			return err ? fail(t, err, e) : 0;
		}
		if (st & BR_SSL_SENDREC) {
			if (send_rec(t, e) < 0)
				return -1;
			continue;
		}
		if (st & want)
			return 1;
		/* Application data waits while the caller wants to write:
		 * a half-duplex caller (HTTP) never does this. */
		if (st & BR_SSL_RECVAPP)
			return kerr_set(e, "tls", "%s: unexpected data",
					t->host);
		if (st & BR_SSL_RECVREC) {
			if (recv_rec(t, e) < 0)
				return -1;
			continue;
		}
		br_ssl_engine_flush(eng, 0);
	}
}

/* The engine: TLS 1.2, the suites above, x509 with the given anchors. */
static void
setup(struct tls_conn *t, const struct tls_anchors *a)
{
	br_ssl_client_context *cc = &t->cc;
	br_ssl_engine_context *eng = &cc->eng;

	br_ssl_client_zero(cc);
	br_ssl_engine_set_versions(eng, BR_TLS12, BR_TLS12);
	br_ssl_engine_set_suites(eng, suites, sizeof(suites) / sizeof(*suites));
	br_x509_minimal_init(&t->xc, &br_sha256_vtable, a->ta, a->n);
	for (size_t i = 0; i < sizeof(hashes) / sizeof(*hashes); i++) {
		br_ssl_engine_set_hash(eng, hashes[i].id, hashes[i].vt);
		br_x509_minimal_set_hash(&t->xc, hashes[i].id, hashes[i].vt);
	}
	if (t->days || t->seconds)
		br_x509_minimal_set_time(&t->xc, t->days, t->seconds);
	br_x509_minimal_set_rsa(&t->xc, br_rsa_pkcs1_vrfy_get_default());
	br_x509_minimal_set_ecdsa(&t->xc, br_ec_get_default(),
				  br_ecdsa_vrfy_asn1_get_default());
	br_ssl_engine_set_default_ec(eng);
	br_ssl_engine_set_default_rsavrfy(eng);
	br_ssl_engine_set_default_ecdsa(eng);
	br_ssl_engine_set_prf_sha256(eng, &br_tls12_sha256_prf);
	br_ssl_engine_set_prf_sha384(eng, &br_tls12_sha384_prf);
	br_ssl_engine_set_default_aes_gcm(eng);
	br_ssl_engine_set_default_chapol(eng);
	br_ssl_engine_set_x509(eng, &t->xc.vtable);
	br_ssl_engine_set_buffer(eng, t->iobuf, sizeof(t->iobuf), 1);
}

int
tls_start(struct tls_conn *t, int fd, const struct tls_anchors *a,
	  const char *host, int timeout_ms, struct kerr *e)
{
	int fl = fcntl(fd, F_GETFL);
	int r;

	t->fd = fd;
	t->timeout_ms = timeout_ms;
	t->rx = 0;
	t->eof = 0;
	if (strlen(host) >= sizeof(t->host))
		return kerr_set(e, "tls", "host name too long");
	strcpy(t->host, host);
	if (!a || !a->n)
		return kerr_set(e, "tls", "%s: no trust anchors", host);
	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
		return kerr_set(e, "tls", "fcntl: %s", kerr_strerror(errno));
	setup(t, a);
	if (!br_ssl_client_reset(&t->cc, host, 0))
		return fail(t, br_ssl_engine_last_error(&t->cc.eng), e);
	r = pump(t, BR_SSL_SENDAPP, e);
	if (r == 0)
		return kerr_set(e, "tls", "%s: closed during the handshake",
				host);
	return r < 0 ? -1 : 0;
}

ssize_t
tls_read(struct tls_conn *t, void *buf, size_t len, struct kerr *e)
{
	br_ssl_engine_context *eng = &t->cc.eng;
	size_t avail;
	uint8_t *p;
	int r = pump(t, BR_SSL_RECVAPP, e);

	if (r <= 0)
		return r;
	p = br_ssl_engine_recvapp_buf(eng, &avail);
	if (avail > len)
		avail = len;
	memcpy(buf, p, avail);
	br_ssl_engine_recvapp_ack(eng, avail);
	return (ssize_t)avail;
}

int
tls_write(struct tls_conn *t, const void *buf, size_t len, struct kerr *e)
{
	br_ssl_engine_context *eng = &t->cc.eng;
	const uint8_t *b = buf;

	while (len) {
		size_t avail;
		uint8_t *p;
		int r = pump(t, BR_SSL_SENDAPP, e);

		if (r <= 0)
			return r < 0
				   ? -1
				   : kerr_set(e, "tls", "%s: closed", t->host);
		p = br_ssl_engine_sendapp_buf(eng, &avail);
		if (avail > len)
			avail = len;
		memcpy(p, b, avail);
		br_ssl_engine_sendapp_ack(eng, avail);
		b += avail;
		len -= avail;
	}
	br_ssl_engine_flush(eng, 0);
	/* pump sends every pending record before it looks at want. */
	return pump(t, BR_SSL_SENDAPP | BR_SSL_RECVAPP | BR_SSL_RECVREC, e) < 0
		   ? -1
		   : 0;
}

void
tls_close(struct tls_conn *t)
{
	br_ssl_engine_context *eng = &t->cc.eng;
	size_t len;

	if (br_ssl_engine_current_state(eng) & BR_SSL_CLOSED)
		return;
	br_ssl_engine_close(eng);
	while (br_ssl_engine_current_state(eng) & BR_SSL_SENDREC) {
		uint8_t *buf = br_ssl_engine_sendrec_buf(eng, &len);
		ssize_t n = send(t->fd, buf, len, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n <= 0)
			break;
		br_ssl_engine_sendrec_ack(eng, (size_t)n);
	}
}
