// SPDX-License-Identifier: MIT
/* libFuzzer target: control request parser and reply line parser. */
#include <stdint.h>
#include <string.h>

#include "lib/ipc/control.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct control_req r;
	struct control_reply rep;
	char line[CONTROL_REQ_MAX];
	int n;

	/* Requests: every prefix, as a server sees bytes arrive. */
	for (size_t len = 0; len <= size && len <= CONTROL_REQ_MAX + 8; len++) {
		n = control_parse_request((const char *)data, len, &r, NULL);
		if (n > 0) {
			/* A valid line re-formats to the very same bytes. */
			size_t m = control_fmt_request(&r, line, sizeof(line));
			if (m != (size_t)n || memcmp(line, data, m) ||
			    n > CONTROL_REQ_MAX)
				__builtin_trap();
			break;
		}
		if (n < 0)
			break;
	}
	/* Reply lines: the whole input as one line. */
	if (control_parse_reply((const char *)data, size, &rep, NULL) == 0) {
		if (rep.kind == CONTROL_R_PROGRESS && rep.total &&
		    rep.done > rep.total)
			__builtin_trap();
		if (strlen(rep.value) >= sizeof(rep.value) ||
		    memchr(rep.value, '\n', strlen(rep.value)))
			__builtin_trap();
	}
	return 0;
}
