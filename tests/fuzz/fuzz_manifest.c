// SPDX-License-Identifier: MIT
/* libFuzzer target: the update manifest's parser. */
#include <stdint.h>
#include <string.h>

#include "lib/update/manifest.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct manifest m;

	if (manifest_parse((const char *)data, size, &m, NULL) < 0)
		return 0;
	/* What was accepted obeys every rule the parser promises. */
	if (m.format != MANIFEST_FORMAT || m.n > MANIFEST_ENTRIES ||
	    strlen(m.report) > HTTP_URL_MAX)
		__builtin_trap();
	for (unsigned i = 0; i < m.n; i++) {
		const struct manifest_entry *x = &m.e[i];

		if (!x->board[0] || x->rollout > 100 || !x->size ||
		    x->size > MANIFEST_SIZE_MAX || !x->url[0] ||
		    x->version >> 63 || x->epoch >> 63 ||
		    manifest_find(&m, x->board) != x)
			__builtin_trap();
	}
	return 0;
}
