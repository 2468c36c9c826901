// SPDX-License-Identifier: MIT
/* ECDSA P-256 over BearSSL: key generation, PEM output, signing, verifying. */
#include <errno.h>
#include <string.h>
#include <sys/random.h>

#include <bearssl_ec.h>
#include <bearssl_hash.h>
#include <bearssl_pem.h>
#include <bearssl_rand.h>
#include <bearssl_x509.h>

#include "lib/crypto/ec.h"
#include "lib/crypto/ec_priv.h"
#include "lib/crypto/sha256.h"

/*
 * SubjectPublicKeyInfo of a P-256 key, up to the point: SEQUENCE {
 * SEQUENCE { id-ecPublicKey, prime256v1 }, BIT STRING (66 bytes, 0 unused) }.
 */
const uint8_t ec_spki_prefix[EC_SPKI_LEN - EC_PUB_LEN] = {
    0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48,
    0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a, 0x86, 0x48,
    0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00,
};

/* Big-endian compare of two 32-byte numbers: <0, 0, >0. */
static int
cmp32(const uint8_t *a, const uint8_t *b)
{
	return memcmp(a, b, 32);
}

/* getrandom(2), looping over short reads and EINTR. */
static int
random_fill(uint8_t *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = getrandom(buf, len, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

void
ec_wipe(void *p, size_t n)
{
	volatile uint8_t *v = p;

	while (n--)
		*v++ = 0;
}

/* 1 if 0 < v < n (the P-256 group order), else 0. */
int
ec_scalar_ok(const uint8_t v[32])
{
	static const uint8_t zero[32];
	size_t nlen;
	const unsigned char *n = EC_IMPL->order(BR_EC_secp256r1, &nlen);

	return nlen == 32 && cmp32(v, zero) != 0 && cmp32(v, n) < 0;
}

void
ec_spki(const uint8_t pub[EC_PUB_LEN], uint8_t der[EC_SPKI_LEN])
{
	memcpy(der, ec_spki_prefix, sizeof(ec_spki_prefix));
	memcpy(der + sizeof(ec_spki_prefix), pub, EC_PUB_LEN);
}

void
ec_keyid(const uint8_t pub[EC_PUB_LEN], uint8_t id[EC_KEYID_LEN])
{
	uint8_t der[EC_SPKI_LEN];

	ec_spki(pub, der);
	sha256(der, sizeof(der), id);
}

int
ec_keygen(uint8_t priv[EC_PRIV_LEN], uint8_t pub[EC_PUB_LEN], struct kerr *e)
{
	br_hmac_drbg_context drbg;
	br_ec_private_key sk;
	uint8_t seed[48], kbuf[BR_EC_KBUF_PRIV_MAX_SIZE];
	size_t n;

	if (random_fill(seed, sizeof(seed)) < 0)
		return kerr_set(e, "keygen", "getrandom: %s",
				kerr_strerror(errno));
	br_hmac_drbg_init(&drbg, &br_sha256_vtable, seed, sizeof(seed));
	ec_wipe(seed, sizeof(seed));
	n = br_ec_keygen(&drbg.vtable, EC_IMPL, &sk, kbuf, BR_EC_secp256r1);
	ec_wipe(&drbg, sizeof(drbg));
	if (n != EC_PRIV_LEN) {
		ec_wipe(kbuf, sizeof(kbuf));
		return kerr_set(e, "keygen", "key generation failed");
	}
	memcpy(priv, kbuf, EC_PRIV_LEN);
	ec_wipe(kbuf, sizeof(kbuf));
	if (!ec_scalar_ok(priv) ||
	    EC_IMPL->mulgen(pub, priv, EC_PRIV_LEN, BR_EC_secp256r1) !=
		EC_PUB_LEN) {
		ec_wipe(priv, EC_PRIV_LEN);
		return kerr_set(e, "keygen", "key generation failed");
	}
	return 0;
}

size_t
ec_priv_pem(const uint8_t priv[EC_PRIV_LEN], const uint8_t pub[EC_PUB_LEN],
	    char *out, size_t cap)
{
	uint8_t x[EC_PRIV_LEN], q[EC_PUB_LEN], der[160];
	br_ec_private_key sk = {BR_EC_secp256r1, x, sizeof(x)};
	br_ec_public_key pk = {BR_EC_secp256r1, q, sizeof(q)};
	size_t n, plen;

	memcpy(x, priv, sizeof(x));
	memcpy(q, pub, sizeof(q));
	n = br_encode_ec_raw_der(NULL, &sk, &pk);
	if (n == 0 || n > sizeof(der)) {
		ec_wipe(x, sizeof(x));
		return 0;
	}
	br_encode_ec_raw_der(der, &sk, &pk);
	ec_wipe(x, sizeof(x));
	plen = br_pem_encode(NULL, der, n, "EC PRIVATE KEY", BR_PEM_LINE64);
	if (plen + 1 > cap) {
		ec_wipe(der, sizeof(der));
		return 0;
	}
	br_pem_encode(out, der, n, "EC PRIVATE KEY", BR_PEM_LINE64);
	ec_wipe(der, sizeof(der));
	return plen;
}

size_t
ec_pub_pem(const uint8_t pub[EC_PUB_LEN], char *out, size_t cap)
{
	uint8_t der[EC_SPKI_LEN];
	size_t plen;

	ec_spki(pub, der);
	plen =
	    br_pem_encode(NULL, der, sizeof(der), "PUBLIC KEY", BR_PEM_LINE64);
	if (plen + 1 > cap)
		return 0;
	br_pem_encode(out, der, sizeof(der), "PUBLIC KEY", BR_PEM_LINE64);
	return plen;
}

int
ec_sign(const uint8_t priv[EC_PRIV_LEN], const uint8_t hash[32],
	uint8_t sig[EC_SIG_LEN])
{
	uint8_t x[EC_PRIV_LEN];
	br_ec_private_key sk = {BR_EC_secp256r1, x, sizeof(x)};
	size_t n;

	if (!ec_scalar_ok(priv))
		return -1;
	memcpy(x, priv, sizeof(x));
	n = br_ecdsa_i31_sign_raw(EC_IMPL, &br_sha256_vtable, hash, &sk, sig);
	ec_wipe(x, sizeof(x));
	return n == EC_SIG_LEN ? 0 : -1;
}

int
ec_verify(const uint8_t pub[EC_PUB_LEN], const uint8_t hash[32],
	  const uint8_t sig[EC_SIG_LEN])
{
	uint8_t q[EC_PUB_LEN];
	br_ec_public_key pk = {BR_EC_secp256r1, q, sizeof(q)};
	uint32_t ok;

	/* r and s in [1, n-1]; BearSSL's verifier lets r = 0 through. */
	if (!ec_scalar_ok(sig) || !ec_scalar_ok(sig + 32))
		return 0;
	memcpy(q, pub, sizeof(q));
	ok = br_ecdsa_i31_vrfy_raw(EC_IMPL, hash, 32, &pk, sig, EC_SIG_LEN);
	return ok == 1 ? 1 : 0;
}
