/* SPDX-License-Identifier: MIT */
/* IPv4 addresses, prefixes and DNS names: strict text forms, checks. */
#ifndef KEEL_NETADDR_H
#define KEEL_NETADDR_H

#include <stddef.h>
#include <stdint.h>

/*
 * Addresses are uint32_t in network byte order (as in_addr.s_addr), so
 * they go into packets and netlink messages unchanged.
 */
#define NETADDR_TEXT 16	     /* "255.255.255.255" and its NUL */
#define NETADDR_NAME_MAX 253 /* a DNS name, without a trailing dot */

/* "a.b.c.d": four decimals 0..255, no leading zeros, nothing else. */
int netaddr_parse(const char *s, size_t n, uint32_t *addr);

/* out gets NETADDR_TEXT bytes at most. */
void netaddr_format(uint32_t addr, char *out);

/* The netmask of a prefix length 0..32, and back (-1: not contiguous). */
uint32_t netaddr_mask(unsigned prefix);
int netaddr_prefix(uint32_t mask);

/*
 * An address a host may hold: not 0.0.0.0/8, 127.0.0.0/8, multicast,
 * reserved or broadcast, and (for prefixes up to /30) neither the
 * network's nor its broadcast address. 1 or 0.
 */
int netaddr_host_ok(uint32_t addr, unsigned prefix);

/*
 * A DNS name as keel accepts it from the network or a config file:
 * labels of 1..63 letters, digits and '-' (not at a label's ends),
 * separated by single dots, 1..253 bytes, no trailing dot. 1 or 0.
 */
int netaddr_name_ok(const char *s, size_t n);

#endif
