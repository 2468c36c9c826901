// SPDX-License-Identifier: MIT
/* libFuzzer target: the public key, private key and signature parsers. */
#include <stdint.h>
#include <string.h>

#include "lib/crypto/ec.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t pub[EC_PUB_LEN], pub2[EC_PUB_LEN], priv[EC_PRIV_LEN];
	uint8_t sig[EC_SIG_LEN], hash[32] = {0};
	char pem[EC_PEM_MAX];
	struct kerr e;
	size_t n;

	if (ec_pub_parse(data, size, pub, &e) == 0) {
		/* An accepted key re-encodes and parses to the same point. */
		n = ec_pub_pem(pub, pem, sizeof(pem));
		if (n == 0 || ec_pub_parse(pem, n, pub2, &e) < 0 ||
		    memcmp(pub, pub2, sizeof(pub)))
			__builtin_trap();
	}
	if (ec_priv_parse(data, size, priv, pub, &e) == 0) {
		n = ec_priv_pem(priv, pub, pem, sizeof(pem));
		if (n == 0 || ec_priv_parse(pem, n, priv, pub2, &e) < 0 ||
		    memcmp(pub, pub2, sizeof(pub)))
			__builtin_trap();
	}
	if (ec_sig_parse(data, size, sig, &e) == 0) {
		static const uint8_t g[EC_PUB_LEN] = {0x04};
		int v = ec_verify(g, hash, sig);
		if (v != 0 && v != 1)
			__builtin_trap();
	}
	return 0;
}
