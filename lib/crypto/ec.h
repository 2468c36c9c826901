/* SPDX-License-Identifier: MIT */
/* ECDSA P-256 keys and signatures (BearSSL underneath), strict parsers. */
#ifndef KEEL_EC_H
#define KEEL_EC_H

#include <stddef.h>
#include <stdint.h>

#include "lib/base/err.h"

#define EC_PUB_LEN 65	/* uncompressed point: 0x04 || X || Y */
#define EC_PRIV_LEN 32	/* private scalar, big-endian */
#define EC_SIG_LEN 64	/* raw r || s, 32 bytes each, big-endian */
#define EC_KEYID_LEN 32 /* SHA-256 of the key's DER SubjectPublicKeyInfo */
#define EC_SPKI_LEN 91	/* DER SubjectPublicKeyInfo of a P-256 point */
#define EC_PEM_MAX 512	/* room for any PEM keel writes */

/*
 * Public key: PEM "PUBLIC KEY" (SubjectPublicKeyInfo) or its DER, P-256
 * only, uncompressed, point checked to be on the curve. Returns 0 or -1.
 */
int ec_pub_parse(const void *buf, size_t len, uint8_t pub[EC_PUB_LEN],
		 struct kerr *e);

/* A 65-byte point: uncompressed and on the P-256 curve. 0 or -1. */
int ec_pub_check(const uint8_t pub[EC_PUB_LEN], struct kerr *e);

/*
 * Private key: PEM "EC PRIVATE KEY" (SEC1) or "PRIVATE KEY" (PKCS#8), as
 * OpenSSL writes them, P-256 only. Also derives the public point.
 */
int ec_priv_parse(const void *buf, size_t len, uint8_t priv[EC_PRIV_LEN],
		  uint8_t pub[EC_PUB_LEN], struct kerr *e);

/* The SPKI DER of pub (EC_SPKI_LEN bytes) and its SHA-256, the key id. */
void ec_spki(const uint8_t pub[EC_PUB_LEN], uint8_t der[EC_SPKI_LEN]);
void ec_keyid(const uint8_t pub[EC_PUB_LEN], uint8_t id[EC_KEYID_LEN]);

/* New key pair from the kernel's randomness (getrandom). */
int ec_keygen(uint8_t priv[EC_PRIV_LEN], uint8_t pub[EC_PUB_LEN],
	      struct kerr *e);

/* PEM text (NUL-terminated) of a key; returns its length, 0 if cap is short. */
size_t ec_priv_pem(const uint8_t priv[EC_PRIV_LEN],
		   const uint8_t pub[EC_PUB_LEN], char *out, size_t cap);
size_t ec_pub_pem(const uint8_t pub[EC_PUB_LEN], char *out, size_t cap);

/* Deterministic (RFC 6979) signature of a SHA-256 digest. 0 or -1. */
int ec_sign(const uint8_t priv[EC_PRIV_LEN], const uint8_t hash[32],
	    uint8_t sig[EC_SIG_LEN]);

/* 1 if sig is a valid signature of hash by pub, else 0. */
int ec_verify(const uint8_t pub[EC_PUB_LEN], const uint8_t hash[32],
	      const uint8_t sig[EC_SIG_LEN]);

/*
 * A signature made elsewhere: DER ECDSA-Sig-Value (as `openssl dgst -sign`
 * writes it) or raw 64-byte r||s. Strict DER. Returns 0 or -1.
 */
int ec_sig_parse(const void *buf, size_t len, uint8_t sig[EC_SIG_LEN],
		 struct kerr *e);

#endif
