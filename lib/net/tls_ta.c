// SPDX-License-Identifier: MIT
/* Trust anchors decoded from PEM certificates into caller-owned storage. */
#include <string.h>

#include "lib/net/tls.h"

/* A bump allocator over a->mem for names and keys; NULL when full. */
static uint8_t *
take(struct tls_anchors *a, size_t n)
{
	uint8_t *p;

	if (n > sizeof(a->mem) - a->used)
		return NULL;
	p = a->mem + a->used;
	a->used += n;
	return p;
}

static void
der_append(void *ctx, const void *buf, size_t len)
{
	struct tls_anchors *a = ctx;

	if (len > sizeof(a->der) - a->der_len) {
		a->der_over = 1;
		return;
	}
	memcpy(a->der + a->der_len, buf, len);
	a->der_len += len;
}

/* The subject DN, collected by the decoder into the anchor's storage. */
struct dn {
	struct tls_anchors *a;
	uint8_t *p;
	size_t len;
	int over;
};

static void
dn_append(void *ctx, const void *buf, size_t len)
{
	struct dn *d = ctx;

	if (d->over || len > sizeof(d->a->mem) - d->a->used) {
		d->over = 1;
		return;
	}
	if (!d->p)
		d->p = d->a->mem + d->a->used;
	memcpy(d->a->mem + d->a->used, buf, len);
	d->a->used += len;
	d->len += len;
}

static int
copy_key(struct tls_anchors *a, br_x509_trust_anchor *ta,
	 const br_x509_pkey *pk, struct kerr *e)
{
	ta->pkey.key_type = pk->key_type;
	if (pk->key_type == BR_KEYTYPE_RSA) {
		const br_rsa_public_key *k = &pk->key.rsa;
		uint8_t *n = take(a, k->nlen), *x = take(a, k->elen);

		if (!n || !x)
			return kerr_set(e, "ca", "anchors too large");
		memcpy(n, k->n, k->nlen);
		memcpy(x, k->e, k->elen);
		ta->pkey.key.rsa = (br_rsa_public_key){n, k->nlen, x, k->elen};
		return 0;
	}
	if (pk->key_type == BR_KEYTYPE_EC) {
		const br_ec_public_key *k = &pk->key.ec;
		uint8_t *q = take(a, k->qlen);

		if (!q)
			return kerr_set(e, "ca", "anchors too large");
		memcpy(q, k->q, k->qlen);
		ta->pkey.key.ec = (br_ec_public_key){k->curve, q, k->qlen};
		return 0;
	}
	return kerr_set(e, "ca", "certificate key neither RSA nor EC");
}

/* The certificate in a->der becomes anchor a->n. 0 or -1. */
static int
add_der(struct tls_anchors *a, struct kerr *e)
{
	br_x509_decoder_context dc;
	br_x509_trust_anchor *ta;
	struct dn d = {a, NULL, 0, 0};
	const br_x509_pkey *pk;

	if (a->der_over)
		return kerr_set(e, "ca", "certificate over %d bytes",
				TLS_CERT_MAX);
	if (a->n == TLS_ANCHORS_MAX)
		return kerr_set(e, "ca", "more than %d certificates",
				TLS_ANCHORS_MAX);
	br_x509_decoder_init(&dc, dn_append, &d);
	br_x509_decoder_push(&dc, a->der, a->der_len);
	pk = br_x509_decoder_get_pkey(&dc);
	if (!pk)
		return kerr_set(e, "ca", "bad certificate (BearSSL error %d)",
				br_x509_decoder_last_error(&dc));
	if (d.over)
		return kerr_set(e, "ca", "anchors too large");
	ta = &a->ta[a->n];
	memset(ta, 0, sizeof(*ta));
	ta->dn.data = d.p ? d.p : a->mem;
	ta->dn.len = d.len;
	/* A CA anchors what it signed; any other certificate is pinned. */
	ta->flags = br_x509_decoder_isCA(&dc) ? BR_X509_TA_CA : 0;
	if (copy_key(a, ta, pk, e) < 0)
		return -1;
	a->n++;
	return 0;
}

void
tls_anchors_init(struct tls_anchors *a)
{
	a->n = 0;
	a->used = 0;
}

/* Feeds the whole text to the PEM decoder; each certificate is added. */
static int
pem_walk(struct tls_anchors *a, const uint8_t *p, size_t len, int *added,
	 struct kerr *e)
{
	br_pem_decoder_context pc;
	int inside = 0;

	br_pem_decoder_init(&pc);
	while (len) {
		size_t k = br_pem_decoder_push(&pc, p, len);
		int ev = br_pem_decoder_event(&pc);

		if (!k && !ev)
			return kerr_set(e, "ca", "malformed PEM");
		p += k;
		len -= k;
		switch (ev) {
		case BR_PEM_BEGIN_OBJ:
			if (strcmp(br_pem_decoder_name(&pc), "CERTIFICATE"))
				return kerr_set(e, "ca",
						"PEM object '%.32s', not a "
						"CERTIFICATE",
						br_pem_decoder_name(&pc));
			a->der_len = 0;
			a->der_over = 0;
			br_pem_decoder_setdest(&pc, der_append, a);
			inside = 1;
			break;
		case BR_PEM_END_OBJ:
			if (add_der(a, e) < 0)
				return -1;
			(*added)++;
			inside = 0;
			break;
		case BR_PEM_ERROR:
			return kerr_set(e, "ca", "malformed PEM");
		}
	}
	/* The decoder ends a final object only at a newline: give one. */
	if (inside) {
		br_pem_decoder_push(&pc, "\n", 1);
		if (br_pem_decoder_event(&pc) != BR_PEM_END_OBJ)
			return kerr_set(e, "ca", "PEM object not ended");
		if (add_der(a, e) < 0)
			return -1;
		(*added)++;
	}
	return 0;
}

int
tls_anchors_add_pem(struct tls_anchors *a, const void *pem, size_t len,
		    struct kerr *e)
{
	size_t n0 = a->n, used0 = a->used;
	int added = 0;

	if (pem_walk(a, pem, len, &added, e) < 0 ||
	    (!added && kerr_set(e, "ca", "no certificate in the PEM text"))) {
		a->n = n0;
		a->used = used0;
		return -1;
	}
	return added;
}
