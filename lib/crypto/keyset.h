/* SPDX-License-Identifier: MIT */
/* Key sets: public keys grouped by role, and a k-of-n policy per role. */
#ifndef KEEL_KEYSET_H
#define KEEL_KEYSET_H

#include <stdint.h>

#include "lib/crypto/ec.h"
#include "lib/base/err.h"

#define KS_MAX_ROLES 8
#define KS_MAX_KEYS 32	 /* in all roles together */
#define KS_ROLE_MAX 27	 /* characters in a role name: [a-z0-9_-] */
#define KS_TEXT_MAX 4096 /* a policy or .pub file */

struct ks_role {
	char name[KS_ROLE_MAX + 1];
	unsigned need; /* distinct valid signatures required, >= 1 */
	unsigned nkeys;
};

struct ks_key {
	uint8_t pub[EC_PUB_LEN];
	uint8_t id[EC_KEYID_LEN];
	unsigned role; /* index into keyset.role */
};

struct keyset {
	struct ks_role role[KS_MAX_ROLES];
	unsigned nroles;
	struct ks_key key[KS_MAX_KEYS];
	unsigned nkeys;
	int test; /* the set is marked as test keys */
};

/*
 * The generated baked set (scripts/bake-keys.sh): each key's point,
 * decoded at build time, and its PEM text, in an array of its own
 * (ks_baked_pems[i] is ks_baked_pubs[i]'s) that only ks_check_baked reads,
 * so keel-init links no PEM text; ks_check_baked proves them the same.
 */
struct ks_baked_pub {
	const char *role;
	const char *name;
	uint8_t pub[EC_PUB_LEN];
};
extern const char ks_baked_origin[];
extern const int ks_baked_test;
extern const char ks_baked_policy[];
extern const struct ks_baked_pub ks_baked_pubs[];
extern const char *const ks_baked_pems[];
extern const unsigned ks_baked_npubs;
/* The test set's public keys, baked beside a production set only. */
extern const struct ks_baked_pub ks_test_pubs[];
extern const char *const ks_test_pems[];
extern const unsigned ks_test_npubs;

/*
 * Both loaders parse the policy, add every key to its role, then check the
 * whole set: at least one role, every role needs >= 1 and has at least as
 * many keys as it needs, no key twice, no key without a role in the policy.
 * The baked set, when not marked TEST-KEYS, must hold none of the test
 * set's keys (ks_test_pubs): a production set that picked up a test .pub
 * is refused, and with it the build (--check-keys) and the boot.
 */
int ks_load_baked(struct keyset *ks, struct kerr *e);
int ks_load_dir(const char *dir, struct keyset *ks, struct kerr *e);

/*
 * ks_load_baked takes the points decoded at build time, so a start costs
 * no PEM decoding and no curve arithmetic. ks_check_baked is keel's
 * --check-keys, run when the build links it: the baked PEM texts through
 * the strict parser of ks_load_dir (point on the curve, P-256 only), then
 * the same set as ks_load_baked's, key by key, or -1.
 */
int ks_check_baked(struct keyset *ks, struct kerr *e);
/*
 * keel-init's --check-keys, without a PEM decoder in PID 1: the set as
 * ks_load_baked loads it, and every baked point (the test set's too)
 * uncompressed and on the curve. That the points are the PEM texts' is a
 * property of the one keyset.o both binaries link: keel's ks_check_baked
 * proves it, and the build links keel-init after keel.
 */
int ks_check_points(struct keyset *ks, struct kerr *e);

/* Index of the role named name, or -1. */
int ks_role_find(const struct keyset *ks, const char *name);
/* Index of the key with this id, or -1. */
int ks_key_find(const struct keyset *ks, const uint8_t id[EC_KEYID_LEN]);

#endif
