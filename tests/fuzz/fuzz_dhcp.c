// SPDX-License-Identifier: MIT
/* libFuzzer target: DHCP replies, alone and into the client's states. */
#include <stdint.h>
#include <string.h>

#include "lib/net/dhcp_client.h"

static const uint8_t mac[6] = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56};

/* Makes data look like a reply to xid and mac, so the fuzzer gets past
 * the first checks more often. */
static void
aim(uint8_t *p, size_t n, uint32_t xid)
{
	if (n > 34) {
		p[4] = (uint8_t)(xid >> 24);
		p[5] = (uint8_t)(xid >> 16);
		p[6] = (uint8_t)(xid >> 8);
		p[7] = (uint8_t)xid;
		memcpy(p + 28, mac, 6);
	}
	if (n > 240)
		memcpy(p + 236, "\x63\x82\x53\x63", 4);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t p[DHCP_PKT_MAX + 16];
	static struct dhcpc c;
	static struct dhcpc_out o;
	struct dhcp_lease l;
	struct kerr e;
	size_t n = size < sizeof(p) ? size : sizeof(p);

	memcpy(p, data, n);
	if (dhcp_parse(p, n, 0x01020304, mac, &l, &e) == 0) {
		if (l.ndns > DHCP_DNS_MAX || l.nntp > DHCP_NTP_MAX ||
		    strlen(l.domain) > NETADDR_NAME_MAX ||
		    strlen(l.hostname) > DHCP_HOSTNAME_MAX)
			__builtin_trap();
		if (l.type != DHCP_NAK &&
		    (!netaddr_host_ok(l.addr, l.prefix) || !l.server_id ||
		     l.lease_s < DHCP_LEASE_MIN ||
		     (l.lease_s != DHCP_LEASE_INFINITE &&
		      !(l.t1_s < l.t2_s && l.t2_s < l.lease_s))))
			__builtin_trap();
	}
	/* The same bytes as an OFFER, then as an ACK, to a client. */
	dhcpc_init(&c, mac, "fuzz", 7, 0, 0);
	dhcpc_timeout(&c, 0, &o);
	aim(p, n, c.xid);
	dhcpc_input(&c, p, n, 1, &o);
	if (c.state == DHCPC_REQUESTING) {
		dhcpc_input(&c, p, n, 2, &o);
		if (c.state == DHCPC_BOUND && o.event != DHCPC_EV_BOUND)
			__builtin_trap();
	}
	if (o.len > sizeof(o.pkt))
		__builtin_trap();
	return 0;
}
