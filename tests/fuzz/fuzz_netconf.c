// SPDX-License-Identifier: MIT
/* libFuzzer target: network.conf (the etc partition's copy is untrusted). */
#include <stdint.h>
#include <string.h>

#include "lib/net/netconf.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct netconf c;
	struct kerr e;

	if (netconf_parse((const char *)data, size, &c, &e) < 0) {
		if (c.nif || c.ndns || c.nntp || c.nsearch || c.hostname[0])
			__builtin_trap(); /* a refused file leaves nothing */
		return 0;
	}
	if (c.nif > NETCONF_IF_MAX || c.ndns > NETCONF_DNS_MAX ||
	    c.nntp > NETCONF_NTP_MAX || c.nsearch > NETCONF_SEARCH_MAX)
		__builtin_trap();
	for (unsigned i = 0; i < c.nif; i++)
		if (!c.ifs[i].name[0] || !c.ifs[i].mode ||
		    (c.ifs[i].mode == NETCONF_STATIC &&
		     !netaddr_host_ok(c.ifs[i].addr, c.ifs[i].prefix)))
			__builtin_trap();
	for (unsigned i = 0; i < c.nsearch; i++)
		if (!netaddr_name_ok(c.search[i], strlen(c.search[i])))
			__builtin_trap();
	for (unsigned i = 0; i < c.nntp; i++)
		if (!c.ntp[i].port || !c.ntp[i].host[0])
			__builtin_trap();
	return 0;
}
