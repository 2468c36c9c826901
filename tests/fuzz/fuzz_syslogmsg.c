// SPDX-License-Identifier: MIT
/* libFuzzer target: log lines into RFC 5424 messages (keel net's syslog). */
#include <stdint.h>
#include <string.h>

#include "lib/net/syslogmsg.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char out[SYSLOGMSG_MAX + 1];
	struct syslogmsg_line l;
	int64_t wall = 0;
	size_t n;

	if (size >= 8)
		memcpy(&wall, data, 8);
	if (syslogmsg_parse((const char *)data, size, &l) < 0)
		return 0;
	if (l.text < (const char *)data ||
	    l.text + l.len != (const char *)data + size || !l.src[0] ||
	    strlen(l.src) > SYSLOGMSG_SRC_MAX)
		__builtin_trap();
	n = syslogmsg_format(out, sizeof(out), &l, wall, "host");
	if (n > SYSLOGMSG_MAX || n < 8 || out[0] != '<')
		__builtin_trap();
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)out[i] < 0x20 || out[i] == 0x7f)
			__builtin_trap();
	return 0;
}
