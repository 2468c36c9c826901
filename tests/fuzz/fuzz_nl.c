// SPDX-License-Identifier: MIT
/* libFuzzer target: rtnetlink datagrams (dumps, notifications, acks). */
#include <stdint.h>
#include <string.h>

#include "compat/linux_netlink.h"
#include "lib/net/nl.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t buf[NL_RECV_MAX];
	const uint8_t *pos = buf, *end;
	struct nl_msg m;
	struct nl_link l;
	struct kerr e;
	int err;
	size_t n = size < sizeof(buf) ? size : sizeof(buf);

	memcpy(buf, data, n);
	end = buf + n;
	while (nl_next(&pos, end, &m, &e) == 1) {
		if (m.data < buf || m.data + m.len > end || pos > end)
			__builtin_trap();
		if (m.type == KEEL_NLMSG_ERROR && nl_error(&m, &err, &e) == 0 &&
		    (err < 0 || err > 4095))
			__builtin_trap();
		if (nl_link(&m, &l, &e) == 0 &&
		    (l.index <= 0 || !l.name[0] ||
		     strlen(l.name) > NL_IFNAME_MAX))
			__builtin_trap();
	}
	return 0;
}
