// SPDX-License-Identifier: MIT
/* The lines of a strict key=value file (board.conf, network.conf). */
#include <string.h>

#include "lib/base/kvfile.h"

int
kv_parse(const char *buf, size_t len, size_t file_max, size_t line_max,
	 const char *what, kv_set_fn set, void *ctx, struct kerr *e)
{
	const char *p = buf, *end = buf + len;
	unsigned line = 0;
	struct kerr sub;

	if (len > file_max)
		return kerr_set(e, what, "file larger than %zu bytes",
				file_max);
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *eol = nl ? nl : end, *eq;
		size_t n = (size_t)(eol - p);

		line++;
		if (n > line_max)
			return kerr_set(e, what, "line %u: longer than %zu",
					line, line_max);
		for (size_t i = 0; i < n; i++)
			if ((unsigned char)p[i] < 0x20 ||
			    (unsigned char)p[i] > 0x7e)
				return kerr_set(e, what,
						"line %u: control or non-ASCII "
						"byte",
						line);
		eq = memchr(p, '=', n);
		if (n && p[0] != '#') {
			if (!eq || eq == p)
				return kerr_set(e, what,
						"line %u: not key=value", line);
			if (set(ctx, p, (size_t)(eq - p), eq + 1,
				(size_t)(eol - eq - 1), &sub) < 0)
				return kerr_set(e, sub.check, "line %u: %s",
						line, sub.detail);
		}
		p = nl ? nl + 1 : end;
	}
	return 0;
}
