// SPDX-License-Identifier: MIT
/* libFuzzer target: keel-init's start, as keel app reads it. */
#include <stdint.h>
#include <string.h>

#include "lib/ipc/appmsg.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct appstart s;
	struct kerr e;
	size_t n = size < sizeof(s) ? size : sizeof(s);

	memset(&s, 0, sizeof(s));
	memcpy(&s, data, n);
	/* small inputs: the header and the first fields, the rest zero */
	if (appstart_check(&s, sizeof(s), &e) < 0)
		return 0;
	/* what keel app then uses must be what the check promised */
	if (s.nenv > APPSTART_ENV || s.path[APPSTART_ROOT][0] != '/')
		__builtin_trap();
	for (int i = 0; i < APPSTART_PATHS; i++)
		if (!memchr(s.path[i], 0, APPSTART_TEXT) ||
		    (s.path[i][0] && s.path[i][0] != '/'))
			__builtin_trap();
	for (uint32_t i = 0; i < APPSTART_ENV; i++)
		if (!memchr(s.env[i], 0, APPSTART_TEXT) ||
		    (i < s.nenv && !strchr(s.env[i] + 1, '=')))
			__builtin_trap();
	return 0;
}
