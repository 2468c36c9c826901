// SPDX-License-Identifier: MIT
/* libFuzzer target: keel app's record, as keel-init reads it. */
#include <stdint.h>
#include <string.h>

#include "lib/ipc/appmsg.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct appmsg m;
	struct kerr e;
	size_t n = size < sizeof(m) ? size : sizeof(m);

	if (size < 1)
		return 0;
	memset(&m, 0, sizeof(m));
	memcpy(&m, data + 1, n - 1);
	/* the first byte picks the mode and how many bytes "arrived" */
	if (appmsg_check(&m, (data[0] & 2) ? n - 1 : sizeof(m), data[0] & 1,
			 &e) < 0)
		return 0;
	/* what keel-init then uses must be what the check promised */
	if (!memchr(m.check, 0, sizeof(m.check)) ||
	    !memchr(m.text, 0, sizeof(m.text)))
		__builtin_trap();
	if (m.status == APPMSG_OK &&
	    (m.restart > APPMSG_RESTART_MAX || m.watchdog_ms > APPMSG_MS_MAX ||
	     m.stop_grace_ms > APPMSG_MS_MAX || (m.flags & ~APPMSG_FLAGS) ||
	     ((data[0] & 1) && m.pid <= 1)))
		__builtin_trap();
	return 0;
}
