// SPDX-License-Identifier: MIT
/* SHA-256 front end: BearSSL's portable code (SHA-NI path in sha256_x86.c). */
#include <string.h>

#include "lib/sha256.h"

static int allow_hw = 1;

int
sha256_hw(void)
{
	return 0 && allow_hw;
}

void
sha256_allow_hw(int allow)
{
	allow_hw = allow;
}

void
sha256_init(struct sha256 *c)
{
	c->hw = 0;
	br_sha256_init(&c->u.br);
}

void
sha256_update(struct sha256 *c, const void *data, size_t len)
{
	br_sha256_update(&c->u.br, data, len);
}

void
sha256_final(struct sha256 *c, uint8_t out[SHA256_LEN])
{
	br_sha256_out(&c->u.br, out);
}

void
sha256(const void *data, size_t len, uint8_t out[SHA256_LEN])
{
	struct sha256 c;

	sha256_init(&c);
	sha256_update(&c, data, len);
	sha256_final(&c, out);
}
