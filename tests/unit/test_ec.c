// SPDX-License-Identifier: MIT
/* ECDSA P-256: known answers, round trips, tampering and strict parsing. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/crypto/ec.h"
#include "lib/crypto/keyset.h"
#include "lib/crypto/sha256.h"
#include "unit.h"

/* Made once with openssl (ecparam -genkey, dgst -sha256 -sign). */
static const char kat_sec1[] =
    "-----BEGIN EC PRIVATE KEY-----\n"
    "MHcCAQEEICAWEoRWPSnA3DcNJgbs3H7P06ZQGLqhFyeQBHRN9C+goAoGCCqGSM49\n"
    "AwEHoUQDQgAEvy9+rOP6g6dxoJ7Sl65m7QcNQ/17HPhR/OWhwsK1WQaFkEuEh1rS\n"
    "bI9dFHF3ZQwh+s7Kh0ejL6rgXof57GbzbA==\n"
    "-----END EC PRIVATE KEY-----\n";
static const char kat_pkcs8[] =
    "-----BEGIN PRIVATE KEY-----\n"
    "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgIBYShFY9KcDcNw0m\n"
    "Buzcfs/TplAYuqEXJ5AEdE30L6ChRANCAAS/L36s4/qDp3GgntKXrmbtBw1D/Xsc\n"
    "+FH85aHCwrVZBoWQS4SHWtJsj10UcXdlDCH6zsqHR6MvquBeh/nsZvNs\n"
    "-----END PRIVATE KEY-----\n";
static const char kat_pub[] =
    "-----BEGIN PUBLIC KEY-----\n"
    "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEvy9+rOP6g6dxoJ7Sl65m7QcNQ/17\n"
    "HPhR/OWhwsK1WQaFkEuEh1rSbI9dFHF3ZQwh+s7Kh0ejL6rgXof57GbzbA==\n"
    "-----END PUBLIC KEY-----\n";
static const char kat_spki_hex[] =
    "3059301306072a8648ce3d020106082a8648ce3d03010703420004bf2f7eace3fa"
    "83a771a09ed297ae66ed070d43fd7b1cf851fce5a1c2c2b5590685904b84875ad2"
    "6c8f5d147177650c21faceca8747a32faae05e87f9ec66f36c";
static const char kat_priv_hex[] =
    "20161284563d29c0dc370d2606ecdc7ecfd3a65018baa117279004744df42fa0";
/* sha256("keel known-answer message\n") */
static const char kat_msg[] = "keel known-answer message\n";
static const char kat_digest_hex[] =
    "0e5130d6ed43ad69cc14395ae3ae2924f5cfefd854e71d78799eb7995d6e44dc";
static const char kat_sig_hex[] =
    "30450220764c3f3e0d3178457d44e49837e4e9ef19978d54f61c464dd1b402abb8"
    "006844022100b1d72685171a10169e433648eee829a0fa095a1a82bab1bdc9cd85"
    "2260388628";

static const char p384_pub[] =
    "-----BEGIN PUBLIC KEY-----\n"
    "MHYwEAYHKoZIzj0CAQYFK4EEACIDYgAErnItQjmWclDI/J1zEHngYoV7tid+mUER\n"
    "wNSeeoVrAXqtEfa9iviWsDXCroY/5LFvOBqv/zJp8fH56REQEwXSPHB3WzSj+0iH\n"
    "kMNbH+THY7PLapS4QbM+ocDvccM+wD/c\n"
    "-----END PUBLIC KEY-----\n";
static const char p384_key[] =
    "-----BEGIN EC PRIVATE KEY-----\n"
    "MIGkAgEBBDDEgaag2D8pJUWV9SD3HheTaFtOL8YQMV7p7iirSaDaS/UaGaEzP37U\n"
    "48rYjnJstD+gBwYFK4EEACKhZANiAASuci1COZZyUMj8nXMQeeBihXu2J36ZQRHA\n"
    "1J56hWsBeq0R9r2K+JawNcKuhj/ksW84Gq//Mmnx8fnpERATBdI8cHdbNKP7SIeQ\n"
    "w1sf5Mdjs8tqlLhBsz6hwO9xwz7AP9w=\n"
    "-----END EC PRIVATE KEY-----\n";
static const char compressed_pub[] =
    "-----BEGIN PUBLIC KEY-----\n"
    "MDkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDIgACvy9+rOP6g6dxoJ7Sl65m7QcNQ/17\n"
    "HPhR/OWhwsK1WQY=\n"
    "-----END PUBLIC KEY-----\n";

/* The P-256 group order n. */
static const char order_hex[] =
    "ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551";

static uint8_t kat_pubkey[EC_PUB_LEN], kat_digest[32], kat_der[71];

/* DER ECDSA-Sig-Value of a raw r||s (minimal integers); returns length. */
static size_t
sig_to_der(const uint8_t sig[64], uint8_t *out)
{
	size_t n = 2;

	out[0] = 0x30;
	for (int i = 0; i < 2; i++) {
		const uint8_t *v = sig + 32 * i;
		size_t skip = 0, len;
		while (skip < 31 && v[skip] == 0)
			skip++;
		len = 32 - skip;
		out[n++] = 0x02;
		out[n++] = (uint8_t)(len + (v[skip] >> 7));
		if (v[skip] & 0x80)
			out[n++] = 0;
		memcpy(out + n, v + skip, len);
		n += len;
	}
	out[1] = (uint8_t)(n - 2);
	return n;
}

static int
detail_has(const struct kerr *e, const char *s)
{
	return strstr(e->detail, s) != NULL;
}

static void
test_known_answer(void)
{
	uint8_t spki[EC_SPKI_LEN], der[EC_SPKI_LEN], id[32], id2[32];
	uint8_t priv[EC_PRIV_LEN], pub[EC_PUB_LEN], want[EC_PRIV_LEN];
	uint8_t sig[EC_SIG_LEN], raw[EC_SIG_LEN], d[32];
	struct kerr e = {0};

	unit_hex(kat_spki_hex, spki, sizeof(spki));
	unit_hex(kat_priv_hex, want, sizeof(want));
	unit_hex(kat_digest_hex, kat_digest, 32);
	unit_hex(kat_sig_hex, kat_der, sizeof(kat_der));

	sha256(kat_msg, strlen(kat_msg), d);
	CHECK(!memcmp(d, kat_digest, 32), "digest of the known message");

	CHECK(ec_pub_parse(kat_pub, strlen(kat_pub), kat_pubkey, &e) == 0,
	      "pub PEM: %s", e.detail);
	CHECK(!memcmp(kat_pubkey, spki + 26, EC_PUB_LEN), "pub point");
	ec_spki(kat_pubkey, der);
	CHECK(!memcmp(der, spki, sizeof(der)), "SPKI DER");
	CHECK(ec_pub_parse(spki, sizeof(spki), pub, &e) == 0 &&
		  !memcmp(pub, kat_pubkey, EC_PUB_LEN),
	      "pub DER: %s", e.detail);
	ec_keyid(kat_pubkey, id);
	sha256(spki, sizeof(spki), id2);
	CHECK(!memcmp(id, id2, 32), "key id = sha256(SPKI)");

	memset(pub, 0, sizeof(pub));
	CHECK(ec_priv_parse(kat_sec1, strlen(kat_sec1), priv, pub, &e) == 0,
	      "SEC1 PEM: %s", e.detail);
	CHECK(!memcmp(priv, want, 32) && !memcmp(pub, kat_pubkey, 65),
	      "SEC1 scalar and derived point");
	memset(pub, 0, sizeof(pub));
	CHECK(ec_priv_parse(kat_pkcs8, strlen(kat_pkcs8), priv, pub, &e) == 0,
	      "PKCS#8 PEM: %s", e.detail);
	CHECK(!memcmp(priv, want, 32) && !memcmp(pub, kat_pubkey, 65),
	      "PKCS#8 scalar and derived point");

	CHECK(ec_sig_parse(kat_der, sizeof(kat_der), sig, &e) == 0,
	      "openssl DER signature parses: %s", e.detail);
	CHECK(ec_verify(kat_pubkey, kat_digest, sig) == 1,
	      "openssl signature verifies");
	CHECK(ec_sig_parse(sig, sizeof(sig), raw, &e) == 0 &&
		  !memcmp(raw, sig, 64),
	      "raw r||s parses as itself");

	/* RFC 6979: the same key and digest always give the same signature. */
	CHECK(ec_sign(priv, kat_digest, sig) == 0, "sign");
	CHECK(ec_sign(priv, kat_digest, raw) == 0 && !memcmp(sig, raw, 64),
	      "deterministic signature");
	CHECK(ec_verify(kat_pubkey, kat_digest, sig) == 1, "own signature");
}

static void
test_tamper(void)
{
	uint8_t sig[EC_SIG_LEN], t[EC_SIG_LEN], d[32], q[EC_PUB_LEN];
	uint8_t priv2[EC_PRIV_LEN], pub2[EC_PUB_LEN];
	struct kerr e = {0};
	int bad = 0;

	ec_sig_parse(kat_der, sizeof(kat_der), sig, &e);
	for (int i = 0; i < 32 * 8; i++) {
		memcpy(d, kat_digest, 32);
		d[i / 8] ^= (uint8_t)(1 << (i % 8));
		bad += ec_verify(kat_pubkey, d, sig) != 0;
	}
	CHECK(bad == 0, "%d tampered digests verified", bad);
	bad = 0;
	for (int i = 0; i < 64 * 8; i++) {
		memcpy(t, sig, 64);
		t[i / 8] ^= (uint8_t)(1 << (i % 8));
		bad += ec_verify(kat_pubkey, kat_digest, t) != 0;
	}
	CHECK(bad == 0, "%d tampered signatures verified", bad);
	bad = 0;
	for (int i = 1; i < 65; i++) {
		memcpy(q, kat_pubkey, 65);
		q[i] ^= 1;
		bad += ec_verify(q, kat_digest, sig) != 0;
	}
	CHECK(bad == 0, "%d tampered points verified", bad);
	CHECK(ec_keygen(priv2, pub2, &e) == 0, "keygen: %s", e.detail);
	CHECK(ec_verify(pub2, kat_digest, sig) == 0, "wrong key refused");
}

static void
test_round_trip(void)
{
	char pem[EC_PEM_MAX];
	uint8_t priv[32], pub[65], priv2[32], pub2[65], d[32], sig[64];
	struct kerr e = {0};
	int fails = 0, ok = 0;

	for (int i = 0; i < 40; i++) {
		size_t n;
		d[0] = (uint8_t)i;
		sha256(d, 1 + (size_t)i % 32, d);
		if (ec_keygen(priv, pub, &e) < 0 || ec_sign(priv, d, sig) < 0) {
			fails++;
			continue;
		}
		ok += ec_verify(pub, d, sig) == 1;
		d[i % 32] ^= 0x40;
		fails += ec_verify(pub, d, sig) != 0;

		n = ec_priv_pem(priv, pub, pem, sizeof(pem));
		fails += n == 0 || n != strlen(pem) ||
			 strncmp(pem, "-----BEGIN EC PRIVATE KEY-----\n", 31);
		fails += ec_priv_parse(pem, n, priv2, pub2, &e) < 0 ||
			 memcmp(priv, priv2, 32) || memcmp(pub, pub2, 65);
		n = ec_pub_pem(pub, pem, sizeof(pem));
		fails += n == 0 || n != strlen(pem) ||
			 strncmp(pem, "-----BEGIN PUBLIC KEY-----\n", 27);
		fails +=
		    ec_pub_parse(pem, n, pub2, &e) < 0 || memcmp(pub, pub2, 65);
		/* Too small a buffer is reported, never overrun. */
		fails += ec_pub_pem(pub, pem, n) != 0;
		fails += ec_priv_pem(priv, pub, pem, 100) != 0;
	}
	CHECK(ok == 40, "%d of 40 round trips verified", ok);
	CHECK(fails == 0, "%d round-trip failures", fails);
	CHECK(ec_sign((const uint8_t[32]){0}, d, sig) < 0,
	      "zero private scalar refused");
}

/* Parses hex as a signature; returns ec_sig_parse's result. */
static int
sig_hex(const char *hex, uint8_t sig[64])
{
	uint8_t buf[100];
	size_t n = strlen(hex) / 2;

	unit_hex(hex, buf, n);
	return ec_sig_parse(buf, n, sig, NULL);
}

static void
test_sig_der(void)
{
	uint8_t sig[64], der[80], n[32], zero[32] = {0};
	char hex[300], nhex[80];
	size_t len;

	unit_hex(order_hex, n, 32);
	CHECK(sig_hex("3006020101020101", sig) == 0 && sig[31] == 1 &&
		  sig[63] == 1 && !memcmp(sig, zero, 31),
	      "minimal r=1 s=1");
	CHECK(sig_hex("300602010102010100", sig) < 0, "trailing garbage");
	CHECK(sig_hex("3007020101020101", sig) < 0, "outer length too long");
	CHECK(sig_hex("3005020101020101", sig) < 0, "outer length too short");
	CHECK(sig_hex("308106020101020101", sig) < 0, "long-form length");
	CHECK(sig_hex("3106020101020101", sig) < 0, "wrong outer tag");
	CHECK(sig_hex("3006030101020101", sig) < 0, "wrong integer tag");
	CHECK(sig_hex("30050200020101", sig) < 0, "zero-length integer");
	CHECK(sig_hex("300702020001020101", sig) < 0, "non-minimal 00 01");
	CHECK(sig_hex("3006020181020101", sig) < 0, "negative integer");
	CHECK(sig_hex("3007020200ff020101", sig) == 0 && sig[31] == 0xff,
	      "00 ff is minimal");
	CHECK(sig_hex("", sig) < 0, "empty");
	CHECK(sig_hex("30", sig) < 0, "one byte");
	CHECK(sig_hex("3000", sig) < 0, "empty sequence");

	/* 33-byte magnitude: over-long even with a sign byte. */
	snprintf(hex, sizeof(hex), "3027022201%s020101", order_hex);
	CHECK(sig_hex(hex, sig) < 0, "33-byte magnitude");
	snprintf(hex, sizeof(hex), "302702220000%.62s020101", order_hex);
	CHECK(sig_hex(hex, sig) < 0, "two leading zeros");

	/* r or s = 0 or >= n parse (32 bytes) but never verify. */
	unit_hex(kat_sig_hex, der, 71);
	ec_sig_parse(der, 71, sig, NULL);
	{
		uint8_t t[64];
		memcpy(t, sig, 64);
		memset(t, 0, 32);
		CHECK(ec_verify(kat_pubkey, kat_digest, t) == 0, "r = 0");
		memcpy(t, sig, 64);
		memset(t + 32, 0, 32);
		CHECK(ec_verify(kat_pubkey, kat_digest, t) == 0, "s = 0");
		memcpy(t, n, 32);
		CHECK(ec_verify(kat_pubkey, kat_digest, t) == 0, "r = n");
		memcpy(t, sig, 64);
		memcpy(t + 32, n, 32);
		CHECK(ec_verify(kat_pubkey, kat_digest, t) == 0, "s = n");
		memset(t + 32, 0xff, 32);
		CHECK(ec_verify(kat_pubkey, kat_digest, t) == 0, "s = 2^256-1");
	}
	snprintf(nhex, sizeof(nhex), "%s", order_hex);
	snprintf(hex, sizeof(hex), "3026022100%s020101", nhex);
	CHECK(sig_hex(hex, sig) == 0 && !memcmp(sig, n, 32),
	      "r = n parses (refused at verify)");
	CHECK(ec_verify(kat_pubkey, kat_digest, sig) == 0, "r = n refused");
	CHECK(sig_hex("3006020100020101", sig) == 0 &&
		  ec_verify(kat_pubkey, kat_digest, sig) == 0,
	      "r = 0 refused");

	/* Our own DER encoder round-trips through the parser. */
	for (int i = 0; i < 64; i++)
		sig[i] = (uint8_t)(i * 37 + 11);
	len = sig_to_der(sig, der);
	{
		uint8_t back[64];
		CHECK(ec_sig_parse(der, len, back, NULL) == 0 &&
			  !memcmp(back, sig, 64),
		      "DER round trip");
	}
}

static void
test_refusals(void)
{
	uint8_t priv[32], pub[65], spki[EC_SPKI_LEN];
	struct kerr e = {0};
	char pem[EC_PEM_MAX];

	CHECK(ec_pub_parse(p384_pub, strlen(p384_pub), pub, &e) < 0 &&
		  detail_has(&e, "P-384"),
	      "P-384 public key: %s", e.detail);
	CHECK(ec_priv_parse(p384_key, strlen(p384_key), priv, pub, &e) < 0 &&
		  detail_has(&e, "P-384"),
	      "P-384 private key: %s", e.detail);
	CHECK(ec_pub_parse(compressed_pub, strlen(compressed_pub), pub, &e) <
		      0 &&
		  detail_has(&e, "compressed"),
	      "compressed point: %s", e.detail);
	CHECK(ec_pub_parse(kat_sec1, strlen(kat_sec1), pub, &e) < 0 &&
		  detail_has(&e, "private key"),
	      "private key as public: %s", e.detail);
	CHECK(ec_priv_parse(kat_pub, strlen(kat_pub), priv, pub, &e) < 0,
	      "public key as private");
	CHECK(ec_pub_parse("", 0, pub, &e) < 0, "empty public key");
	CHECK(ec_pub_parse("hello\n", 6, pub, &e) < 0, "no PEM");

	/* Text before the armor, even text that starts like DER ('0'). */
	snprintf(pem, sizeof(pem), "0 leading text\n%s", kat_pub);
	CHECK(ec_pub_parse(pem, strlen(pem), pub, &e) == 0 &&
		  !memcmp(pub, kat_pubkey, 65),
	      "text before BEGIN: %s", e.detail);
	CHECK(ec_pub_parse("0\n", 2, pub, &e) < 0, "'0' alone");

	/* Two keys in one file are ambiguous. */
	snprintf(pem, sizeof(pem), "%s%s", kat_pub, kat_pub);
	CHECK(ec_pub_parse(pem, strlen(pem), pub, &e) < 0, "two public keys");

	/* OpenSSL's ecparam without -noout: parameters, then the key. */
	snprintf(pem, sizeof(pem),
		 "-----BEGIN EC PARAMETERS-----\nBggqhkjOPQMBBw==\n"
		 "-----END EC PARAMETERS-----\n%s",
		 kat_sec1);
	CHECK(ec_priv_parse(pem, strlen(pem), priv, pub, &e) == 0 &&
		  !memcmp(pub, kat_pubkey, 65),
	      "EC PARAMETERS block skipped: %s", e.detail);

	/* A point off the curve, and the point's first byte. */
	unit_hex(kat_spki_hex, spki, sizeof(spki));
	spki[90] ^= 1;
	CHECK(ec_pub_parse(spki, sizeof(spki), pub, &e) < 0 &&
		  detail_has(&e, "curve"),
	      "point off the curve: %s", e.detail);
	unit_hex(kat_spki_hex, spki, sizeof(spki));
	spki[26] = 0x06;
	CHECK(ec_pub_parse(spki, sizeof(spki), pub, &e) < 0, "hybrid point");
	unit_hex(kat_spki_hex, spki, sizeof(spki));
	memset(spki + 27, 0xff, 32); /* x >= p */
	CHECK(ec_pub_parse(spki, sizeof(spki), pub, &e) < 0, "x >= p");
}

/* Every prefix of a valid input: no crash, and no wrong answer. */
static void
test_truncated(void)
{
	uint8_t priv[32], pub[65], sig[64], spki[EC_SPKI_LEN];
	const char *pems[] = {kat_pub, kat_sec1, kat_pkcs8};
	int wrong = 0;

	for (size_t k = 0; k < 3; k++) {
		size_t len = strlen(pems[k]);
		for (size_t n = 0; n < len; n++) {
			/* A heap copy of exactly n bytes lets ASan see
			 * overreads. */
			char *c = malloc(n ? n : 1);
			int rc;
			memcpy(c, pems[k], n);
			memset(pub, 0, sizeof(pub));
			if (k == 0)
				rc = ec_pub_parse(c, n, pub, NULL);
			else
				rc = ec_priv_parse(c, n, priv, pub, NULL);
			/* Only the END line's own newline may be missing. */
			if (rc == 0 &&
			    (n < len - 1 || memcmp(pub, kat_pubkey, 65)))
				wrong++;
			free(c);
		}
	}
	CHECK(wrong == 0, "%d truncated PEM keys accepted", wrong);

	wrong = 0;
	unit_hex(kat_spki_hex, spki, sizeof(spki));
	for (size_t n = 0; n < sizeof(spki); n++) {
		uint8_t *c = malloc(n ? n : 1);
		memcpy(c, spki, n);
		wrong += ec_pub_parse(c, n, pub, NULL) == 0;
		free(c);
	}
	for (size_t n = 0; n < sizeof(kat_der); n++) {
		uint8_t *c = malloc(n ? n : 1);
		memcpy(c, kat_der, n);
		/* 64 bytes is raw r||s by definition. */
		wrong += n != 64 && ec_sig_parse(c, n, sig, NULL) == 0;
		free(c);
	}
	CHECK(wrong == 0, "%d truncated DER inputs accepted", wrong);
}

/* Keys and signatures made by the openssl tool, when it is installed. */
static void
test_openssl(void)
{
	char dir[] = "/tmp/keel-test-ec.XXXXXX", cmd[1024], path[256];
	uint8_t priv[32], pub[65], pub2[65], d[32], sig[64], der[80];
	char text[1024];
	struct kerr e = {0};
	FILE *f;
	size_t n;

	if (system("openssl version >/dev/null 2>&1") != 0) {
		printf("SKIP test_ec: openssl not installed\n");
		return;
	}
	if (!mkdtemp(dir))
		return;
	for (int i = 0; i < 4; i++) {
		const char *files[] = {"k.pem", "k8.pem", "k.pub"};
		snprintf(cmd, sizeof(cmd),
			 "cd %s && openssl ecparam -genkey -name prime256v1 "
			 "-noout -out k.pem && openssl ec -in k.pem -pubout "
			 "-out k.pub 2>/dev/null && openssl pkcs8 -topk8 "
			 "-nocrypt -in k.pem -out k8.pem && printf 'm%d' >m && "
			 "openssl dgst -sha256 -sign k.pem -out s.der m",
			 dir, i);
		CHECK(system(cmd) == 0, "openssl key generation");
		for (int j = 0; j < 3; j++) {
			snprintf(path, sizeof(path), "%s/%s", dir, files[j]);
			f = fopen(path, "r");
			n = f ? fread(text, 1, sizeof(text), f) : 0;
			if (f)
				fclose(f);
			if (j < 2)
				CHECK(ec_priv_parse(text, n, priv, pub, &e) ==
					  0,
				      "%s: %s", files[j], e.detail);
			else
				CHECK(ec_pub_parse(text, n, pub2, &e) == 0 &&
					  !memcmp(pub, pub2, 65),
				      "%s: %s", files[j], e.detail);
		}
		snprintf(path, sizeof(path), "%s/s.der", dir);
		f = fopen(path, "r");
		n = f ? fread(der, 1, sizeof(der), f) : 0;
		if (f)
			fclose(f);
		snprintf(text, sizeof(text), "m%d", i);
		sha256(text, strlen(text), d);
		CHECK(ec_sig_parse(der, n, sig, &e) == 0 &&
			  ec_verify(pub, d, sig) == 1,
		      "openssl signature %d verifies: %s", i, e.detail);

		/* And the other way: keel signs, openssl verifies. */
		CHECK(ec_sign(priv, d, sig) == 0, "keel sign");
		n = sig_to_der(sig, der);
		snprintf(path, sizeof(path), "%s/s2.der", dir);
		f = fopen(path, "w");
		if (f) {
			fwrite(der, 1, n, f);
			fclose(f);
		}
		snprintf(cmd, sizeof(cmd),
			 "cd %s && openssl dgst -sha256 -verify k.pub "
			 "-signature s2.der m >/dev/null",
			 dir);
		CHECK(system(cmd) == 0, "openssl verifies keel's signature");
	}
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		printf("note: could not remove %s\n", dir);
}

/* keel-init's key check: points on the curve, and the baked set as loaded. */
static void
test_point_check(void)
{
	uint8_t priv[EC_PRIV_LEN], pub[EC_PUB_LEN];
	struct keyset a, b;
	struct kerr e = {0};

	CHECK(ec_keygen(priv, pub, &e) == 0, "keygen: %s", e.detail);
	CHECK(ec_pub_check(pub, &e) == 0, "a point on the curve: %s", e.detail);
	pub[64] ^= 1;
	CHECK(ec_pub_check(pub, &e) < 0 && strstr(e.detail, "not on the"),
	      "a point off the curve: %s", e.detail);
	pub[64] ^= 1;
	pub[0] = 0x03;
	CHECK(ec_pub_check(pub, &e) < 0 && strstr(e.detail, "compressed"),
	      "a compressed point: %s", e.detail);
	CHECK(ks_check_points(&a, &e) == 0, "baked points: %s", e.detail);
	CHECK(ks_check_baked(&b, &e) == 0, "baked PEM: %s", e.detail);
	CHECK(a.nkeys == b.nkeys && !memcmp(a.key, b.key, sizeof(a.key)),
	      "both checks load the same set");
}

int
main(void)
{
	test_known_answer();
	test_point_check();
	test_tamper();
	test_round_trip();
	test_sig_der();
	test_refusals();
	test_truncated();
	test_openssl();
	return unit_done("ec");
}
