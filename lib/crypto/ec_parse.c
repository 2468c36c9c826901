// SPDX-License-Identifier: MIT
/* Strict parsers of P-256 keys (PEM/DER: SPKI, SEC1, PKCS#8) and signatures. */
#include <string.h>

#include <bearssl_ec.h>
#include <bearssl_pem.h>
#include <bearssl_x509.h>

#include "lib/crypto/ec.h"
#include "lib/crypto/ec_priv.h"

#define DER_MAX 512 /* largest DER key keel reads (P-521 PKCS#8 is ~240) */

/* OIDs (contents only) that name keys keel refuses, for clear messages. */
static const struct {
	const char *name;
	uint8_t len;
	uint8_t oid[9];
} foreign_oids[] = {
    {"P-384", 5, {0x2b, 0x81, 0x04, 0x00, 0x22}},
    {"P-521", 5, {0x2b, 0x81, 0x04, 0x00, 0x23}},
    {"secp256k1", 5, {0x2b, 0x81, 0x04, 0x00, 0x0a}},
    {"RSA", 9, {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01}},
    {"Ed25519", 3, {0x2b, 0x65, 0x70}},
    {"Ed448", 3, {0x2b, 0x65, 0x71}},
};

/* Where decoded PEM bytes go: a fixed buffer that notes overflow. */
struct der_sink {
	uint8_t *buf;
	size_t cap, len;
	int overflow;
};

static int
has_bytes(const uint8_t *buf, size_t len, const uint8_t *pat, size_t plen)
{
	for (size_t i = 0; i + plen <= len; i++)
		if (!memcmp(buf + i, pat, plen))
			return 1;
	return 0;
}

/* PEM text has an armor line; anything else is taken as DER. */
static int
is_pem(const void *buf, size_t len)
{
	return has_bytes(buf, len, (const uint8_t *)"-----BEGIN ", 11);
}

/* Name of a refused key type found in DER, or NULL. */
static const char *
foreign_key(const uint8_t *der, size_t len)
{
	for (size_t i = 0; i < sizeof(foreign_oids) / sizeof(foreign_oids[0]);
	     i++) {
		uint8_t pat[11];
		pat[0] = 0x06;
		pat[1] = foreign_oids[i].len;
		memcpy(pat + 2, foreign_oids[i].oid, foreign_oids[i].len);
		if (has_bytes(der, len, pat, 2u + foreign_oids[i].len))
			return foreign_oids[i].name;
	}
	return NULL;
}

static void
sink_push(void *ctx, const void *src, size_t len)
{
	struct der_sink *s = ctx;

	if (s->overflow || len > s->cap - s->len) {
		s->overflow = 1;
		return;
	}
	memcpy(s->buf + s->len, src, len);
	s->len += len;
}

static int
pem_name_in(const char *name, const char *const *names)
{
	for (; *names; names++)
		if (!strcmp(name, *names))
			return 1;
	return 0;
}

/* Length of a line without its trailing CR and blanks. */
static size_t
line_trim(const char *s, size_t n)
{
	while (n > 0 &&
	       (s[n - 1] == '\r' || s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	return n;
}

/*
 * BearSSL's PEM decoder ends an object at any line starting "-----END":
 * check the armor ourselves, so that each BEGIN line is closed by the END
 * line of the same name and a cut file is not mistaken for a whole one.
 */
static int
pem_frame_ok(const char *s, size_t len)
{
	const char *name = NULL;
	size_t nlen = 0;

	while (len > 0) {
		const char *nl = memchr(s, '\n', len);
		size_t ll = nl ? (size_t)(nl - s) : len;
		size_t tl = line_trim(s, ll);

		if (tl >= 16 && !memcmp(s, "-----BEGIN ", 11)) {
			if (name || memcmp(s + tl - 5, "-----", 5))
				return 0;
			name = s + 11;
			nlen = tl - 16;
		} else if (ll >= 8 && !memcmp(s, "-----END", 8)) {
			if (!name || tl != nlen + 14 || memcmp(s + 8, " ", 1) ||
			    memcmp(s + 9, name, nlen) ||
			    memcmp(s + 9 + nlen, "-----", 5))
				return 0;
			name = NULL;
		}
		s += ll + (nl ? 1 : 0);
		len -= ll + (nl ? 1 : 0);
	}
	return name == NULL;
}

/*
 * Decodes PEM text that holds exactly one object named in want (objects
 * named in skip, e.g. OpenSSL's "EC PARAMETERS", are passed over). The
 * object's DER goes to der. Returns the DER length or
 * -1.
 */
static long
pem_one(const char *what, const void *buf, size_t len, const char *const *want,
	const char *const *skip, uint8_t *der, size_t cap, struct kerr *e)
{
	br_pem_decoder_context pc;
	struct der_sink sink = {der, cap, 0, 0};
	const uint8_t *p = buf;
	size_t left = len;
	int inside = 0, objects = 0, eof = 0;

	if (!pem_frame_ok(buf, len))
		return kerr_set(
		    e, what, "PEM armor broken (BEGIN/END lines do not match)");
	br_pem_decoder_init(&pc);
	for (;;) {
		if (left == 0) {
			/* The last line may lack its newline: supply one. */
			if (eof)
				break;
			eof = 1;
			p = (const uint8_t *)"\n";
			left = 1;
		}
		size_t n = br_pem_decoder_push(&pc, p, left);
		p += n;
		left -= n;
		switch (br_pem_decoder_event(&pc)) {
		case BR_PEM_BEGIN_OBJ: {
			const char *name = br_pem_decoder_name(&pc);
			inside = 1;
			if (pem_name_in(name, skip)) {
				br_pem_decoder_setdest(&pc, NULL, NULL);
				break;
			}
			if (!pem_name_in(name, want))
				return kerr_set(e, what,
						"PEM \"%s\" is not a %s", name,
						what);
			if (++objects > 1)
				return kerr_set(e, what, "more than one key");
			br_pem_decoder_setdest(&pc, sink_push, &sink);
			break;
		}
		case BR_PEM_END_OBJ:
			inside = 0;
			break;
		case BR_PEM_ERROR:
			return kerr_set(e, what, "bad PEM encoding");
		}
	}
	if (inside)
		return kerr_set(e, what, "PEM truncated (no END line)");
	if (objects == 0)
		return kerr_set(e, what, "no PEM \"%s\" block found", want[0]);
	if (sink.overflow)
		return kerr_set(e, what, "key larger than %zu bytes", cap);
	return (long)sink.len;
}

int
ec_pub_check(const uint8_t pt[EC_PUB_LEN], struct kerr *e)
{
	static const uint8_t one = 1;
	uint8_t tmp[EC_PUB_LEN];

	if (pt[0] == 0x02 || pt[0] == 0x03)
		return kerr_set(e, "public key",
				"compressed point (keel needs uncompressed)");
	if (pt[0] != 0x04)
		return kerr_set(e, "public key", "not an uncompressed point");
	/* mul() decodes and validates the point; 1*P leaves it as it is. */
	memcpy(tmp, pt, sizeof(tmp));
	if (!EC_IMPL->mul(tmp, sizeof(tmp), &one, 1, BR_EC_secp256r1) ||
	    memcmp(tmp, pt, sizeof(tmp)))
		return kerr_set(e, "public key",
				"point is not on the P-256 curve");
	return 0;
}

/* Strict P-256 SPKI DER: the fixed prefix, then a valid point. */
static int
spki_parse(const uint8_t *der, size_t len, uint8_t pub[EC_PUB_LEN],
	   struct kerr *e)
{
	const char *other = foreign_key(der, len);

	if (other)
		return kerr_set(e, "public key",
				"%s key: only ECDSA P-256 is supported", other);
	if (len < sizeof(ec_spki_prefix) ||
	    memcmp(der, ec_spki_prefix, sizeof(ec_spki_prefix))) {
		/* Compressed P-256: same OIDs, BIT STRING of 34 bytes. */
		if (len == 59 && der[1] == 0x39 && der[24] == 0x22)
			return kerr_set(
			    e, "public key",
			    "compressed point (keel needs uncompressed)");
		return kerr_set(e, "public key",
				"not a P-256 SubjectPublicKeyInfo");
	}
	if (len != EC_SPKI_LEN)
		return kerr_set(e, "public key", "%zu bytes, expected %d", len,
				EC_SPKI_LEN);
	if (ec_pub_check(der + sizeof(ec_spki_prefix), e) < 0)
		return -1;
	memcpy(pub, der + sizeof(ec_spki_prefix), EC_PUB_LEN);
	return 0;
}

/* Private scalar from the key decoder: left-padded to 32 bytes, checked. */
static int
scalar_take(const br_ec_private_key *sk, uint8_t priv[EC_PRIV_LEN],
	    struct kerr *e)
{
	const uint8_t *x = sk->x;
	size_t xlen = sk->xlen;

	while (xlen > 0 && x[0] == 0) {
		x++;
		xlen--;
	}
	if (xlen > EC_PRIV_LEN)
		return kerr_set(e, "private key", "scalar too long");
	memset(priv, 0, EC_PRIV_LEN);
	memcpy(priv + EC_PRIV_LEN - xlen, x, xlen);
	if (!ec_scalar_ok(priv)) {
		ec_wipe(priv, EC_PRIV_LEN);
		return kerr_set(e, "private key", "scalar out of range");
	}
	return 0;
}

/* DER private key (SEC1 or PKCS#8) to a checked P-256 scalar. */
static int
skey_parse(const uint8_t *der, size_t len, uint8_t priv[EC_PRIV_LEN],
	   struct kerr *e)
{
	br_skey_decoder_context dc;
	const br_ec_private_key *sk;
	const char *other;
	int rc;

	br_skey_decoder_init(&dc);
	br_skey_decoder_push(&dc, der, len);
	rc = br_skey_decoder_last_error(&dc);
	if (rc != 0) {
		other = foreign_key(der, len);
		ec_wipe(&dc, sizeof(dc));
		if (other)
			return kerr_set(e, "private key",
					"%s key: only ECDSA P-256 is supported",
					other);
		return kerr_set(
		    e, "private key",
		    "not a SEC1 or PKCS#8 EC key (decoder error %d)", rc);
	}
	sk = br_skey_decoder_get_ec(&dc);
	if (!sk) {
		ec_wipe(&dc, sizeof(dc));
		return kerr_set(e, "private key",
				"RSA key: only ECDSA P-256 is supported");
	}
	if (sk->curve != BR_EC_secp256r1) {
		int curve = sk->curve;
		ec_wipe(&dc, sizeof(dc));
		return kerr_set(e, "private key",
				"%s key: only ECDSA P-256 is supported",
				curve == BR_EC_secp384r1   ? "P-384"
				: curve == BR_EC_secp521r1 ? "P-521"
							   : "non-P-256 EC");
	}
	rc = scalar_take(sk, priv, e);
	ec_wipe(&dc, sizeof(dc));
	return rc;
}

/* Strict DER INTEGER of at most 32 magnitude bytes, left-padded into out. */
static int
der_int(const uint8_t **pp, const uint8_t *end, uint8_t out[32])
{
	const uint8_t *p = *pp;
	size_t n;

	if (end - p < 2 || p[0] != 0x02)
		return -1;
	n = p[1];
	p += 2;
	if (n == 0 || n > 33 || (size_t)(end - p) < n)
		return -1;
	if (p[0] & 0x80) /* negative */
		return -1;
	if (n > 1 && p[0] == 0 && !(p[1] & 0x80)) /* non-minimal */
		return -1;
	if (p[0] == 0 && n > 1) {
		p++;
		n--;
	}
	if (n > 32)
		return -1;
	memset(out, 0, 32);
	memcpy(out + 32 - n, p, n);
	*pp = p + n;
	return 0;
}

/* Strict DER ECDSA-Sig-Value: SEQUENCE { INTEGER r, INTEGER s }, no more. */
static int
sig_der(const uint8_t *buf, size_t len, uint8_t sig[EC_SIG_LEN])
{
	const uint8_t *p = buf, *end = buf + len;

	/* Content is at most 70 bytes, so the length is in short form. */
	if (len < 8 || buf[0] != 0x30 || buf[1] >= 0x80 ||
	    (size_t)buf[1] != len - 2)
		return -1;
	p += 2;
	if (der_int(&p, end, sig) < 0 || der_int(&p, end, sig + 32) < 0)
		return -1;
	return p == end ? 0 : -1;
}

int
ec_pub_parse(const void *buf, size_t len, uint8_t pub[EC_PUB_LEN],
	     struct kerr *e)
{
	static const char *const want[] = {"PUBLIC KEY", NULL};
	static const char *const skip[] = {NULL};
	static const char *const priv[] = {"EC PRIVATE KEY", "PRIVATE KEY",
					   NULL};
	uint8_t der[DER_MAX];
	long n;

	if (len == 0)
		return kerr_set(e, "public key", "empty");
	if (!is_pem(buf, len)) {
		if (((const uint8_t *)buf)[0] != 0x30)
			return kerr_set(e, "public key",
					"neither PEM (no BEGIN line) nor DER");
		return spki_parse(buf, len, pub, e);
	}
	n = pem_one("public key", buf, len, want, skip, der, sizeof(der), e);
	if (n < 0) {
		/* Name the common mistake plainly. */
		struct kerr tmp;
		if (pem_one("public key", buf, len, priv, skip, der,
			    sizeof(der), &tmp) >= 0) {
			ec_wipe(der, sizeof(der));
			return kerr_set(e, "public key",
					"this is a private key (use the .pub)");
		}
		return -1;
	}
	return spki_parse(der, (size_t)n, pub, e);
}

int
ec_priv_parse(const void *buf, size_t len, uint8_t priv[EC_PRIV_LEN],
	      uint8_t pub[EC_PUB_LEN], struct kerr *e)
{
	static const char *const want[] = {"EC PRIVATE KEY", "PRIVATE KEY",
					   NULL};
	static const char *const skip[] = {"EC PARAMETERS", NULL};
	uint8_t der[DER_MAX];
	long n;
	int rc;

	if (len == 0)
		return kerr_set(e, "private key", "empty");
	if (!is_pem(buf, len)) {
		if (((const uint8_t *)buf)[0] != 0x30)
			return kerr_set(e, "private key",
					"neither PEM (no BEGIN line) nor DER");
		rc = skey_parse(buf, len, priv, e);
	} else {
		if (has_bytes(buf, len, (const uint8_t *)"ENCRYPTED", 9))
			return kerr_set(e, "private key",
					"encrypted keys are not supported");
		n = pem_one("private key", buf, len, want, skip, der,
			    sizeof(der), e);
		if (n < 0) {
			ec_wipe(der, sizeof(der));
			return -1;
		}
		rc = skey_parse(der, (size_t)n, priv, e);
		ec_wipe(der, sizeof(der));
	}
	if (rc < 0)
		return -1;
	if (EC_IMPL->mulgen(pub, priv, EC_PRIV_LEN, BR_EC_secp256r1) !=
	    EC_PUB_LEN) {
		ec_wipe(priv, EC_PRIV_LEN);
		return kerr_set(e, "private key", "cannot derive public key");
	}
	return 0;
}

int
ec_sig_parse(const void *buf, size_t len, uint8_t sig[EC_SIG_LEN],
	     struct kerr *e)
{
	uint8_t tmp[EC_SIG_LEN];

	/*
	 * 64 bytes is raw r||s, unless it is a well-formed DER signature of
	 * exactly that length (r and s both 29 bytes: rare, but possible).
	 */
	if (len == EC_SIG_LEN) {
		if (sig_der(buf, len, tmp) == 0)
			memcpy(sig, tmp, EC_SIG_LEN);
		else
			memcpy(sig, buf, EC_SIG_LEN);
		return 0;
	}
	if (len == 0)
		return kerr_set(e, "signature", "empty");
	if (sig_der(buf, len, tmp) < 0)
		return kerr_set(
		    e, "signature",
		    "%zu bytes: neither raw r||s (64 bytes) nor strict "
		    "DER ECDSA-Sig-Value",
		    len);
	memcpy(sig, tmp, EC_SIG_LEN);
	return 0;
}
