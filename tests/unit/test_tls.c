// SPDX-License-Identifier: MIT
/* Unit tests: trust anchors from PEM, and handshakes with a BearSSL server. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lib/net/tls.h"
#include "tests/unit/tls_fixture.h"
#include "tests/unit/unit.h"

#define DAYS_1970 719528u /* BearSSL counts days from 0000-01-01 */

struct sink {
	uint8_t *p;
	size_t n, cap;
};

static void
append(void *ctx, const void *b, size_t n)
{
	struct sink *k = ctx;

	if (k->n + n <= k->cap)
		memcpy(k->p + k->n, b, n);
	k->n += n;
}

/* The one PEM object of text, as DER into out. Its length. */
static size_t
pem_der(const char *text, uint8_t *out, size_t cap)
{
	struct sink s = {out, 0, cap};
	br_pem_decoder_context pc;
	size_t len = strlen(text);

	br_pem_decoder_init(&pc);
	while (len) {
		size_t k = br_pem_decoder_push(&pc, text, len);
		text += k;
		len -= k;
		if (br_pem_decoder_event(&pc) == BR_PEM_BEGIN_OBJ)
			br_pem_decoder_setdest(&pc, append, &s);
	}
	return s.n;
}

struct server {
	int fd;
	int rsa;     /* serve rsa.test instead of server.test */
	int mode;    /* 0 TLS, 1 close at once, 2 garbage, 3 silence */
	int done_ok; /* the request was read and answered */
	br_ssl_server_context sc;
	br_sslio_context io;
	br_x509_certificate chain;
	br_skey_decoder_context sk;
	uint8_t der[4096], kder[4096];
	uint8_t iobuf[BR_SSL_BUFSIZE_BIDI];
};

static int
s_read(void *ctx, unsigned char *b, size_t n)
{
	ssize_t r = read(*(int *)ctx, b, n);
	return r <= 0 ? -1 : (int)r;
}

static int
s_write(void *ctx, const unsigned char *b, size_t n)
{
	ssize_t r = write(*(int *)ctx, b, n);
	return r <= 0 ? -1 : (int)r;
}

static void *
serve(void *arg)
{
	struct server *s = arg;
	char req[5];
	size_t kl;

	if (s->mode == 1) {
		close(s->fd);
		return NULL;
	}
	if (s->mode == 2) {
		char junk[300];
		memset(junk, 0x16, sizeof(junk));
		(void)!write(s->fd, junk, sizeof(junk));
		read(s->fd, req, sizeof(req));
		close(s->fd);
		return NULL;
	}
	if (s->mode == 3) {
		read(s->fd, req, sizeof(req));
		sleep(1);
		close(s->fd);
		return NULL;
	}
	s->chain.data = s->der;
	s->chain.data_len =
	    pem_der(s->rsa ? fx_rsa_pem : fx_srv_pem, s->der, sizeof(s->der));
	kl =
	    pem_der(s->rsa ? fx_rsa_key : fx_srv_key, s->kder, sizeof(s->kder));
	br_skey_decoder_init(&s->sk);
	br_skey_decoder_push(&s->sk, s->kder, kl);
	if (s->rsa)
		br_ssl_server_init_full_rsa(&s->sc, &s->chain, 1,
					    br_skey_decoder_get_rsa(&s->sk));
	else
		br_ssl_server_init_full_ec(&s->sc, &s->chain, 1, BR_KEYTYPE_EC,
					   br_skey_decoder_get_ec(&s->sk));
	br_ssl_engine_set_buffer(&s->sc.eng, s->iobuf, sizeof(s->iobuf), 1);
	br_ssl_server_reset(&s->sc);
	br_sslio_init(&s->io, &s->sc.eng, s_read, &s->fd, s_write, &s->fd);
	if (br_sslio_read_all(&s->io, req, 5) == 0 &&
	    !memcmp(req, "ping\n", 5) &&
	    br_sslio_write_all(&s->io, "pong\n", 5) == 0)
		s->done_ok = 1;
	if (br_sslio_close(&s->io) < 0)
		s->done_ok = 2 + br_ssl_engine_last_error(&s->sc.eng);
	close(s->fd);
	return NULL;
}

static struct tls_anchors ta;
static struct tls_conn tc;
static struct server srv;

/*
 * One handshake against the server in mode (rsa: its RSA certificate),
 * then ping/pong. 0 when all of it worked; e says why not.
 */
static int
handshake(const char *host, int rsa, int mode, uint32_t days, int ms,
	  struct kerr *e)
{
	int sv[2], rc = -1;
	pthread_t th;
	char buf[8];

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return -1;
	memset(&srv, 0, sizeof(srv));
	srv.fd = sv[1];
	srv.rsa = rsa;
	srv.mode = mode;
	pthread_create(&th, NULL, serve, &srv);
	memset(&tc, 0, sizeof(tc));
	tc.days = days;
	if (tls_start(&tc, sv[0], &ta, host, ms, e) == 0 &&
	    tls_write(&tc, "ping\n", 5, e) == 0 &&
	    tls_read(&tc, buf, sizeof(buf), e) == 5 &&
	    !memcmp(buf, "pong\n", 5) &&
	    tls_read(&tc, buf, sizeof(buf), e) == 0)
		rc = 0;
	tls_close(&tc);
	shutdown(sv[0], SHUT_RDWR);
	pthread_join(th, NULL);
	close(sv[0]);
	return rc;
}

static void
anchors(const char *a, const char *b)
{
	tls_anchors_init(&ta);
	tls_anchors_add_pem(&ta, a, strlen(a), NULL);
	if (b)
		tls_anchors_add_pem(&ta, b, strlen(b), NULL);
}

static void
test_handshakes(void)
{
	struct kerr e = {0};

	anchors(fx_other_pem, fx_ca_pem);
	CHECK(handshake("server.test", 0, 0, 0, 5000, &e) == 0 &&
		  srv.done_ok == 1,
	      "EC server, CA anchor: %s (server %d)", e.detail, srv.done_ok);
	CHECK(handshake("a.wild.test", 0, 0, 0, 5000, &e) == 0,
	      "wildcard name: %s", e.detail);
	CHECK(handshake("rsa.test", 1, 0, 0, 5000, &e) == 0, "RSA server: %s",
	      e.detail);
	CHECK(handshake("other.test", 0, 0, 0, 5000, &e) < 0 &&
		  strstr(e.detail, "another name"),
	      "wrong name refused: %s", e.detail);
	CHECK(handshake("b.a.wild.test", 0, 0, 0, 5000, &e) < 0,
	      "wildcard covers one label only");
	CHECK(handshake("server.test", 0, 0, DAYS_1970 + 60000, 5000, &e) < 0 &&
		  strstr(e.detail, "expired"),
	      "expired refused: %s", e.detail);
	CHECK(handshake("server.test", 0, 0, DAYS_1970 + 1000, 5000, &e) < 0 &&
		  strstr(e.detail, "not yet valid"),
	      "not yet valid refused: %s", e.detail);
	anchors(fx_other_pem, NULL);
	CHECK(handshake("server.test", 0, 0, 0, 5000, &e) < 0 &&
		  strstr(e.detail, "trusted"),
	      "untrusted CA refused: %s", e.detail);
	anchors(fx_srv_pem, NULL);
	CHECK(ta.n == 1 && !(ta.ta[0].flags & BR_X509_TA_CA), "pinned anchor");
	CHECK(handshake("server.test", 0, 0, 0, 5000, &e) == 0,
	      "pinned server certificate: %s", e.detail);
	CHECK(handshake("rsa.test", 1, 0, 0, 5000, &e) < 0,
	      "pinned: another key refused");
	anchors(fx_ca_pem, NULL);
	CHECK(handshake("server.test", 0, 1, 0, 5000, &e) < 0 &&
		  strstr(e.detail, "server.test: "),
	      "peer closes: %s", e.detail);
	CHECK(handshake("server.test", 0, 2, 0, 5000, &e) < 0,
	      "garbage refused: %s", e.detail);
	CHECK(handshake("server.test", 0, 3, 0, 200, &e) < 0 &&
		  !strcmp(e.check, "timeout"),
	      "silent server: timeout: %s", e.detail);
	tls_anchors_init(&ta);
	CHECK(handshake("server.test", 0, 0, 0, 5000, &e) < 0 &&
		  strstr(e.detail, "no trust anchors"),
	      "no anchors");
}

static void
test_anchors(void)
{
	static char buf[8192];
	struct kerr e = {0};

	tls_anchors_init(&ta);
	snprintf(buf, sizeof(buf), "# bundle\n%s\ntext between\n%s", fx_ca_pem,
		 fx_other_pem);
	CHECK(tls_anchors_add_pem(&ta, buf, strlen(buf), &e) == 2 &&
		  ta.n == 2 && (ta.ta[0].flags & BR_X509_TA_CA) &&
		  ta.ta[0].pkey.key_type == BR_KEYTYPE_EC,
	      "two CAs: %s", e.detail);
	CHECK(tls_anchors_add_pem(&ta, fx_rsa_pem, strlen(fx_rsa_pem), &e) ==
		      1 &&
		  ta.ta[2].pkey.key_type == BR_KEYTYPE_RSA,
	      "RSA certificate: %s", e.detail);
	/* the last object without its final newline */
	snprintf(buf, sizeof(buf), "%s", fx_ca_pem);
	buf[strlen(buf) - 1] = 0;
	CHECK(tls_anchors_add_pem(&ta, buf, strlen(buf), &e) == 1,
	      "no final newline: %s", e.detail);
	CHECK(tls_anchors_add_pem(&ta, fx_srv_key, strlen(fx_srv_key), &e) <
		      0 &&
		  ta.n == 4,
	      "a private key refused, nothing added");
	snprintf(buf, sizeof(buf), "%s%s", fx_ca_pem, fx_srv_key);
	CHECK(tls_anchors_add_pem(&ta, buf, strlen(buf), &e) < 0 && ta.n == 4,
	      "a key after a certificate: all of the text refused");
	CHECK(tls_anchors_add_pem(&ta, "hello\n", 6, &e) < 0, "no certificate");
	snprintf(buf, sizeof(buf), "%s", fx_ca_pem);
	buf[28] = 'A'; /* the outer SEQUENCE's tag */
	CHECK(tls_anchors_add_pem(&ta, buf, strlen(buf), &e) < 0 && ta.n == 4,
	      "corrupted certificate refused");
	snprintf(
	    buf, sizeof(buf),
	    "-----BEGIN CERTIFICATE-----\nMIIB!!\n-----END CERTIFICATE-----"
	    "\n");
	CHECK(tls_anchors_add_pem(&ta, buf, strlen(buf), &e) < 0,
	      "malformed base64 refused");
}

int
main(void)
{
	test_anchors();
	test_handshakes();
	return unit_done("tls");
}
