/* SPDX-License-Identifier: MIT */
/* Internals shared by lib/ec.c and lib/ec_parse.c (not for other modules). */
#ifndef KEEL_EC_PRIV_H
#define KEEL_EC_PRIV_H

#include <stddef.h>
#include <stdint.h>

#include <bearssl_ec.h>

/* The P-256-only curve code: smaller than br_ec_get_default()'s set. */
#define EC_IMPL (&br_ec_p256_m31)

/* DER of a P-256 SubjectPublicKeyInfo up to the 65-byte point. */
extern const uint8_t ec_spki_prefix[26];

/* Clears secrets in a way the compiler does not drop. */
void ec_wipe(void *p, size_t n);
/* 1 if 0 < v < n (the P-256 group order), big-endian, else 0. */
int ec_scalar_ok(const uint8_t v[32]);

#endif
