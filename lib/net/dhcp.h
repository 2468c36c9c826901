/* SPDX-License-Identifier: MIT */
/* DHCPv4 messages (RFC 2131, 2132): the client's, and a strict reply parser. */
#ifndef KEEL_DHCP_H
#define KEEL_DHCP_H

#include <stddef.h>
#include <stdint.h>

#include "lib/base/err.h"
#include "lib/net/netaddr.h"

#define DHCP_CLIENT_PORT 68
#define DHCP_SERVER_PORT 67
#define DHCP_FIXED 236	  /* op .. file, before the magic cookie */
#define DHCP_MIN 240	  /* the fixed part and the cookie */
#define DHCP_PKT_MAX 1472 /* a reply in one Ethernet frame (1500 - 28) */
#define DHCP_DNS_MAX 3
#define DHCP_NTP_MAX 4
#define DHCP_HOSTNAME_MAX 63
/* Leases shorter than this are taken as this long (no busy renewals). */
#define DHCP_LEASE_MIN 20
#define DHCP_LEASE_INFINITE 0xffffffffu

enum dhcp_type {
	DHCP_DISCOVER = 1,
	DHCP_OFFER,
	DHCP_REQUEST,
	DHCP_DECLINE,
	DHCP_ACK,
	DHCP_NAK,
	DHCP_RELEASE,
	DHCP_INFORM,
};

/* What a server's OFFER, ACK or NAK says (addresses in network order). */
struct dhcp_lease {
	uint8_t type;	/* enum dhcp_type */
	uint8_t prefix; /* from option 1, else the address's class */
	uint32_t xid;
	uint32_t addr;	    /* yiaddr */
	uint32_t server_id; /* option 54 */
	uint32_t router;    /* option 3, the first; 0 = none */
	unsigned ndns;
	uint32_t dns[DHCP_DNS_MAX];
	unsigned nntp;
	uint32_t ntp[DHCP_NTP_MAX];
	uint32_t lease_s; /* option 51; DHCP_LEASE_INFINITE = forever */
	uint32_t t1_s, t2_s;
	char domain[NETADDR_NAME_MAX + 1]; /* option 15, a valid name or "" */
	char hostname[DHCP_HOSTNAME_MAX + 1]; /* option 12, likewise */
};

/* A message the client sends. */
struct dhcp_req {
	uint8_t type; /* DISCOVER, REQUEST, RELEASE or DECLINE */
	uint32_t xid;
	uint16_t secs;
	uint8_t mac[6];
	int broadcast;	      /* ask for broadcast replies (no address yet) */
	uint32_t ciaddr;      /* renewing, rebinding, releasing */
	uint32_t requested;   /* option 50 (selecting, init-reboot); 0 none */
	uint32_t server_id;   /* option 54 (selecting, release); 0 none */
	const char *hostname; /* option 12; NULL or "" none */
};

/*
 * Writes r into out (cap >= 300 bytes always suffices: fixed part,
 * cookie, options, padded to the 300 bytes BOOTP relays expect). Returns
 * the length, 0 if cap is too small.
 */
size_t dhcp_build(const struct dhcp_req *r, uint8_t *out, size_t cap);

/*
 * Parses a reply from a server to the client with transaction xid and
 * hardware address mac: BOOTREPLY, Ethernet, our xid and chaddr, the
 * cookie, options (with overload into file and sname, and RFC 3396
 * concatenation) that end inside the message, each option of the
 * length its type needs. OFFER and ACK need a host address, a server
 * id and a lease time; T1 and T2 are checked against the lease
 * (defaults 1/2 and 7/8 of it). A domain or hostname that is not a
 * valid DNS name is dropped, not refused. 0, or -1 with e saying why
 * (nothing in l is to be used then).
 */
int dhcp_parse(const uint8_t *p, size_t n, uint32_t xid, const uint8_t mac[6],
	       struct dhcp_lease *l, struct kerr *e);

#endif
