// SPDX-License-Identifier: MIT
/* libFuzzer target: an agent's status datagrams, as keel-init reads them. */
#include <stdint.h>
#include <string.h>

#include "lib/ipc/agentmsg.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct agentmsg_table t;
	struct agentmsg_table before = t;
	struct kerr e;

	if (agentmsg_apply(&t, (const char *)data, size, &e) < 0 &&
	    memcmp(&before, &t, sizeof(t)))
		__builtin_trap(); /* a refused datagram changes nothing */
	if (t.n > AGENTMSG_KEYS)
		__builtin_trap();
	for (unsigned i = 0; i < t.n; i++)
		if (!t.kv[i].key[0] || strlen(t.kv[i].val) > AGENTMSG_VAL_MAX)
			__builtin_trap();
	if (t.n == AGENTMSG_KEYS)
		agentmsg_clear(&t);
	return 0;
}
