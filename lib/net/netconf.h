/* SPDX-License-Identifier: MIT */
/* The device's network configuration: /etc/keel/network.conf, strictly. */
#ifndef KEEL_NETCONF_H
#define KEEL_NETCONF_H

#include <stddef.h>
#include <stdint.h>

#include "lib/base/err.h"
#include "lib/net/netaddr.h"

/*
 * Format (docs/NETWORK.md): one "key=value" per line, '#' starts a
 * comment line, blank lines are ignored, no spaces around '='; each key
 * at most once; unknown keys, bad values and long lines are refusals.
 * The file comes from the signed image or from the etc partition, which
 * the app can write: it is parsed as untrusted input. No heap.
 */
#define NETCONF_FILE_MAX 4096
#define NETCONF_LINE_MAX 300
#define NETCONF_IF_MAX 4      /* interfaces keel configures */
#define NETCONF_IFNAME_MAX 15 /* the kernel's IFNAMSIZ - 1 */
#define NETCONF_DNS_MAX 3     /* resolv.conf's MAXNS */
#define NETCONF_SEARCH_MAX 4
#define NETCONF_NTP_MAX 4
#define NETCONF_HOSTNAME_MAX 63
#define NETCONF_NTP_PORT 123

enum netconf_mode { NETCONF_DHCP = 1, NETCONF_STATIC, NETCONF_OFF };

struct netconf_if {
	char name[NETCONF_IFNAME_MAX + 1];
	uint8_t mode;	/* enum netconf_mode */
	uint8_t prefix; /* static: the address's prefix length */
	uint32_t addr;	/* static: network byte order */
	uint32_t gw;	/* static: default route via; 0 = none */
};

/* An SNTP server: an IPv4 address or a DNS name, and a port. */
struct netconf_server {
	char host[NETADDR_NAME_MAX + 1];
	uint16_t port;
};

struct netconf {
	unsigned nif; /* 0: DHCP on the first Ethernet interface */
	struct netconf_if ifs[NETCONF_IF_MAX];
	unsigned ndns; /* set: replaces DHCP's servers */
	uint32_t dns[NETCONF_DNS_MAX];
	unsigned nsearch; /* set: replaces DHCP's domain */
	char search[NETCONF_SEARCH_MAX][NETADDR_NAME_MAX + 1];
	char hostname[NETCONF_HOSTNAME_MAX + 1]; /* "" = none */
	unsigned nntp; /* set: replaces DHCP's servers */
	struct netconf_server ntp[NETCONF_NTP_MAX];
	uint32_t seen; /* internal: global keys already set */
};

/* The configuration of a device without a file: DHCP, nothing else. */
void netconf_defaults(struct netconf *c);

/*
 * Parses a whole file (defaults first). 0 or -1; on failure e's detail
 * names the line and the check.
 */
int netconf_parse(const char *buf, size_t len, struct netconf *c,
		  struct kerr *e);

/* "HOST[:PORT]" as in ntp=; 0 or -1. */
int netconf_server_parse(const char *s, size_t n, struct netconf_server *out);

#endif
