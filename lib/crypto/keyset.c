// SPDX-License-Identifier: MIT
/* Loads and checks key sets: baked-in text or a directory of PEM files. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/base/fmt.h"
#include "lib/base/io.h"
#include "lib/base/text.h"
#include "lib/crypto/keyset.h"

static int
role_name_ok(const char *s, size_t n)
{
	if (n == 0 || n > KS_ROLE_MAX)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '-'))
			return 0;
	}
	return 1;
}

/* The next blank-separated word of *p (at most cap-1 bytes), or "". */
static size_t
next_word(const char **p, char *out, size_t cap)
{
	const char *s = *p;
	size_t n = 0;

	while (*s == ' ' || *s == '\t' || *s == '\r')
		s++;
	while (s[n] && s[n] != ' ' && s[n] != '\t' && s[n] != '\r')
		n++;
	*p = s + n;
	if (n >= cap)
		return cap; /* too long: the caller refuses it */
	memcpy(out, s, n);
	out[n] = 0;
	return n;
}

/* Policy text: "ROLE REQUIRED" lines, '#' comments, blank lines. */
static int
parse_policy(struct keyset *ks, const char *text, const char *origin,
	     struct kerr *e)
{
	const char *p = text;
	unsigned lineno = 0;

	while (*p) {
		const char *end = strchr(p, '\n'), *w;
		size_t len = end ? (size_t)(end - p) : strlen(p);
		char line[128], name[KS_ROLE_MAX + 2], num[8], extra[2];
		uint64_t need = 0;
		size_t nlen, dlen;

		lineno++;
		if (len >= sizeof(line))
			return kerr_set(e, "key policy", "%s:%u: line too long",
					origin, lineno);
		memcpy(line, p, len);
		line[len] = 0;
		p += len + (end ? 1 : 0);
		if (strchr(line, '#'))
			*strchr(line, '#') = 0;
		w = line;
		nlen = next_word(&w, name, sizeof(name));
		if (nlen == 0)
			continue;
		dlen = next_word(&w, num, sizeof(num));
		if (dlen < sizeof(num) && text_u64(num, dlen, &need) < 0)
			need = KS_MAX_KEYS + 1;
		if (nlen >= sizeof(name) || !role_name_ok(name, nlen) ||
		    dlen == 0 || dlen >= sizeof(num) ||
		    next_word(&w, extra, sizeof(extra)) != 0)
			return kerr_set(e, "key policy",
					"%s:%u: expected \"ROLE REQUIRED\"",
					origin, lineno);
		if (need == 0 || need > KS_MAX_KEYS)
			return kerr_set(
			    e, "key policy",
			    "%s:%u: role %s must need 1..%d signatures", origin,
			    lineno, name, KS_MAX_KEYS);
		if (ks_role_find(ks, name) >= 0)
			return kerr_set(e, "key policy", "%s:%u: role %s twice",
					origin, lineno, name);
		if (ks->nroles == KS_MAX_ROLES)
			return kerr_set(e, "key policy",
					"%s: more than %d roles", origin,
					KS_MAX_ROLES);
		strcpy(ks->role[ks->nroles].name, name);
		ks->role[ks->nroles].need = (unsigned)need;
		ks->role[ks->nroles].nkeys = 0;
		ks->nroles++;
	}
	if (ks->nroles == 0)
		return kerr_set(e, "key policy", "%s: no role", origin);
	return 0;
}

/* Adds a key to its role: a point checked already (parsed or baked). */
static int
add_key(struct keyset *ks, const char *role, const char *name,
	const uint8_t *point, struct kerr *e)
{
	struct ks_key *k;
	int r = ks_role_find(ks, role);

	if (r < 0)
		return kerr_set(e, "key set",
				"%s/%s.pub: role %s not in policy", role, name,
				role);
	if (ks->nkeys == KS_MAX_KEYS)
		return kerr_set(e, "key set", "more than %d keys", KS_MAX_KEYS);
	k = &ks->key[ks->nkeys];
	memcpy(k->pub, point, EC_PUB_LEN);
	ec_keyid(k->pub, k->id);
	if (ks_key_find(ks, k->id) >= 0)
		return kerr_set(e, "key set", "%s/%s.pub: key listed twice",
				role, name);
	k->role = (unsigned)r;
	ks->role[r].nkeys++;
	ks->nkeys++;
	return 0;
}

/* Adds a key from its PEM text (pem, len), strictly parsed. */
static int
add_pem(struct keyset *ks, const char *role, const char *name, const char *pem,
	size_t len, struct kerr *e)
{
	struct kerr pe = {0}; /* e->detail cannot be both source and target */
	uint8_t pub[EC_PUB_LEN];

	if (ec_pub_parse(pem, len, pub, &pe) < 0)
		return kerr_set(e, "key set", "%s/%s.pub: %s", role, name,
				pe.detail);
	return add_key(ks, role, name, pub, e);
}

/* A baked key by its point (every start), or by its PEM text (the check). */
static int
add_baked_point(struct keyset *ks, const struct ks_baked_pub *b, struct kerr *e)
{
	return add_key(ks, b->role, b->name, b->pub, e);
}

static int
add_baked_pem(struct keyset *ks, const struct ks_baked_pub *b, struct kerr *e)
{
	const char *pem = ks_baked_pems[b - ks_baked_pubs];

	return add_pem(ks, b->role, b->name, pem, strlen(pem), e);
}

static int
check_set(const struct keyset *ks, const char *origin, struct kerr *e)
{
	for (unsigned i = 0; i < ks->nroles; i++) {
		const struct ks_role *r = &ks->role[i];
		if (r->nkeys < r->need)
			return kerr_set(
			    e, "key set",
			    "%s: role %s needs %u signatures but has %u keys",
			    origin, r->name, r->need, r->nkeys);
	}
	return 0;
}

int
ks_role_find(const struct keyset *ks, const char *name)
{
	for (unsigned i = 0; i < ks->nroles; i++)
		if (!strcmp(ks->role[i].name, name))
			return (int)i;
	return -1;
}

int
ks_key_find(const struct keyset *ks, const uint8_t id[EC_KEYID_LEN])
{
	for (unsigned i = 0; i < ks->nkeys; i++)
		if (!memcmp(ks->key[i].id, id, EC_KEYID_LEN))
			return (int)i;
	return -1;
}

/* A production set holds no key of the test set. */
static int
check_no_test_key(const struct keyset *ks, struct kerr *e)
{
	for (unsigned i = 0; i < ks_test_npubs && !ks->test; i++) {
		const struct ks_baked_pub *t = &ks_test_pubs[i];
		uint8_t id[EC_KEYID_LEN];
		int k;

		ec_keyid(t->pub, id);
		k = ks_key_find(ks, id);
		if (k >= 0)
			return kerr_set(e, "key set",
					"role %s holds the TEST KEY "
					"keys/test/%s/%s.pub: a key set that "
					"is not marked TEST-KEYS must not",
					ks->role[ks->key[k].role].name, t->role,
					t->name);
	}
	return 0;
}

/* The baked set, each key added by add (from its PEM text or its point). */
static int
load_baked(struct keyset *ks,
	   int (*add)(struct keyset *, const struct ks_baked_pub *,
		      struct kerr *),
	   struct kerr *e)
{
	memset(ks, 0, sizeof(*ks));
	ks->test = ks_baked_test;
	if (parse_policy(ks, ks_baked_policy, "baked policy", e) < 0)
		return -1;
	for (unsigned i = 0; i < ks_baked_npubs; i++)
		if (add(ks, &ks_baked_pubs[i], e) < 0)
			return -1;
	if (check_no_test_key(ks, e) < 0)
		return -1;
	return check_set(ks, "baked key set", e);
}

int
ks_load_baked(struct keyset *ks, struct kerr *e)
{
	return load_baked(ks, add_baked_point, e);
}

int
ks_check_baked(struct keyset *ks, struct kerr *e)
{
	struct keyset fast;

	if (load_baked(ks, add_baked_pem, e) < 0 ||
	    load_baked(&fast, add_baked_point, e) < 0)
		return -1;
	for (unsigned i = 0; i < ks->nkeys; i++)
		if (memcmp(ks->key[i].pub, fast.key[i].pub, EC_PUB_LEN))
			return kerr_set(e, "key set",
					"%s/%s.pub: the point baked in is not "
					"the key's (scripts/bake-keys.sh)",
					ks_baked_pubs[i].role,
					ks_baked_pubs[i].name);
	/* The test keys a production set is checked against, likewise. */
	for (unsigned i = 0; i < ks_test_npubs; i++) {
		const struct ks_baked_pub *t = &ks_test_pubs[i];
		uint8_t pub[EC_PUB_LEN];

		if (ec_pub_parse(ks_test_pems[i], strlen(ks_test_pems[i]), pub,
				 e) < 0 ||
		    memcmp(pub, t->pub, EC_PUB_LEN))
			return kerr_set(e, "key set",
					"keys/test/%s/%s.pub: the point baked "
					"in is not the key's "
					"(scripts/bake-keys.sh)",
					t->role, t->name);
	}
	return 0;
}

int
ks_check_points(struct keyset *ks, struct kerr *e)
{
	struct kerr pe = {0}; /* e->detail cannot be both source and target */

	if (load_baked(ks, add_baked_point, e) < 0)
		return -1;
	for (unsigned i = 0; i < ks_baked_npubs; i++)
		if (ec_pub_check(ks_baked_pubs[i].pub, &pe) < 0)
			return kerr_set(e, "key set", "%s/%s.pub: %s",
					ks_baked_pubs[i].role,
					ks_baked_pubs[i].name, pe.detail);
	for (unsigned i = 0; i < ks_test_npubs; i++)
		if (ec_pub_check(ks_test_pubs[i].pub, &pe) < 0)
			return kerr_set(e, "key set", "keys/test/%s/%s.pub: %s",
					ks_test_pubs[i].role,
					ks_test_pubs[i].name, pe.detail);
	return 0;
}

static int
read_text(const char *path, char *buf, size_t cap, size_t *len, struct kerr *e)
{
	long n = io_read_file(path, buf, cap - 1);

	if (n == -EFBIG)
		return kerr_set(e, "key set", "%s: larger than %zu bytes", path,
				cap - 1);
	if (n < 0)
		return kerr_set(e, "key set", "%s: %s", path,
				io_strerror((int)n));
	buf[n] = 0;
	if (strlen(buf) != (size_t)n)
		return kerr_set(e, "key set", "%s: contains a NUL byte", path);
	*len = (size_t)n;
	return 0;
}

static int
load_role_dir(struct keyset *ks, const char *dir, const char *role,
	      struct kerr *e)
{
	char path[4096], text[KS_TEXT_MAX];
	struct dirent *d;
	DIR *dp;
	size_t len;
	int rc = 0;

	fmt_sn(path, sizeof(path), "%s/%s", dir, role);
	dp = opendir(path);
	if (!dp)
		return kerr_set(e, "key set", "%s: %s", path,
				kerr_strerror(errno));
	while (rc == 0 && (d = readdir(dp))) {
		size_t n = strlen(d->d_name);
		char name[256];
		if (n < 5 || strcmp(d->d_name + n - 4, ".pub"))
			continue;
		fmt_sn(path, sizeof(path), "%s/%s/%s", dir, role, d->d_name);
		fmt_sn(name, sizeof(name), "%.*s", (int)(n - 4), d->d_name);
		rc = read_text(path, text, sizeof(text), &len, e);
		if (rc == 0)
			rc = add_pem(ks, role, name, text, len, e);
	}
	closedir(dp);
	return rc;
}

int
ks_load_dir(const char *dir, struct keyset *ks, struct kerr *e)
{
	char path[4096], text[KS_TEXT_MAX];
	struct dirent *d;
	DIR *dp;
	size_t len;

	memset(ks, 0, sizeof(*ks));
	fmt_sn(path, sizeof(path), "%s/policy", dir);
	if (read_text(path, text, sizeof(text), &len, e) < 0 ||
	    parse_policy(ks, text, path, e) < 0)
		return -1;
	fmt_sn(path, sizeof(path), "%s/TEST-KEYS", dir);
	ks->test = access(path, F_OK) == 0;
	for (unsigned i = 0; i < ks->nroles; i++)
		if (load_role_dir(ks, dir, ks->role[i].name, e) < 0)
			return -1;
	/* A directory of keys that the policy does not name is a mistake. */
	dp = opendir(dir);
	if (!dp)
		return kerr_set(e, "key set", "%s: %s", dir,
				kerr_strerror(errno));
	while ((d = readdir(dp))) {
		if (d->d_type == DT_DIR && d->d_name[0] != '.' &&
		    ks_role_find(ks, d->d_name) < 0) {
			closedir(dp);
			return kerr_set(
			    e, "key set",
			    "%s/%s: directory is not a role in the policy", dir,
			    d->d_name);
		}
	}
	closedir(dp);
	return check_set(ks, dir, e);
}
