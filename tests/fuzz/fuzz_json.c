// SPDX-License-Identifier: MIT
/* libFuzzer target: the strict JSON reader (validation, strings, integers). */
#include <stdint.h>
#include <string.h>

#include "lib/config/json.h"

static struct json j;

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kerr e;
	char s[64];
	uint64_t u;
	int64_t i;

	/* the whole document, validated without recursion */
	json_init(&j, (const char *)data, size);
	if (json_skip(&j, &e) == 0)
		(void)json_end(&j, &e);
	/* typed readers on the same bytes: must fail cleanly or fit */
	json_init(&j, (const char *)data, size);
	if (json_string(&j, s, sizeof(s), NULL, &e) == 0 &&
	    strlen(s) >= sizeof(s))
		__builtin_trap();
	json_init(&j, (const char *)data, size);
	(void)json_u64(&j, &u, &e);
	json_init(&j, (const char *)data, size);
	(void)json_i64(&j, &i, &e);
	return 0;
}
