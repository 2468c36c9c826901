// SPDX-License-Identifier: MIT
/* libFuzzer target: the notify datagram parser. */
#include <stdint.h>
#include <string.h>

#include "lib/ipc/notify.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct notify_msg m;

	if (notify_parse(data, size, &m, NULL) == 0) {
		/* What was accepted is bounded and free of control bytes. */
		size_t n = strnlen(m.status, sizeof(m.status));
		if (n > NOTIFY_STATUS_MAX || size > NOTIFY_MAX ||
		    memchr(data, 0, size))
			__builtin_trap();
		for (size_t i = 0; i < n; i++)
			if ((unsigned char)m.status[i] < 0x20)
				__builtin_trap();
		if ((m.flags & NOTIFY_WATCHDOG_USEC) && !m.watchdog_usec)
			__builtin_trap();
		if (!(m.flags & NOTIFY_STATUS) && n)
			__builtin_trap();
	} else if (m.flags) {
		__builtin_trap();
	}
	return 0;
}
