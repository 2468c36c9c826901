// SPDX-License-Identifier: MIT
/* libFuzzer target: TPM 2.0 responses to the rollback counter's commands. */
#include <stdint.h>
#include <string.h>

#include "lib/update/counter.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint64_t bits = 1;
	uint32_t attrs = 0;
	int r;

	r = counter_tpm2_parse_read(data, size, &bits, NULL);
	if (r == 1 && bits != 0)
		__builtin_trap();
	if (r == 0 && (size < 24 || counter_bits_floor(bits) > 64))
		__builtin_trap();
	r = counter_tpm2_parse_public(data, size, 0x01800001, &attrs, NULL);
	if (r == 0 && size < 26)
		__builtin_trap();
	return 0;
}
