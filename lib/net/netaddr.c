// SPDX-License-Identifier: MIT
/* IPv4 addresses, prefixes and DNS names: strict text forms, checks. */
#include <stdio.h>

#include "lib/base/fmt.h"
#include "lib/net/netaddr.h"

int
netaddr_parse(const char *s, size_t n, uint32_t *addr)
{
	uint8_t b[4];
	size_t i = 0;

	for (int k = 0; k < 4; k++) {
		unsigned v = 0, digits = 0;

		if (k && (i >= n || s[i++] != '.'))
			return -1;
		while (i < n && s[i] >= '0' && s[i] <= '9' && digits < 4) {
			if (digits == 1 && v == 0)
				return -1; /* a leading zero */
			v = v * 10 + (unsigned)(s[i++] - '0');
			digits++;
		}
		if (!digits || v > 255)
			return -1;
		b[k] = (uint8_t)v;
	}
	if (i != n)
		return -1;
	*addr = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 |
		(uint32_t)b[3] << 24;
	return 0;
}

void
netaddr_format(uint32_t a, char *out)
{
	fmt_sn(out, NETADDR_TEXT, "%u.%u.%u.%u", a & 255, (a >> 8) & 255,
	       (a >> 16) & 255, a >> 24);
}

/* Host-order helpers: the checks below read addresses as numbers. */
static uint32_t
host(uint32_t be)
{
	return (be & 255) << 24 | ((be >> 8) & 255) << 16 |
	       ((be >> 16) & 255) << 8 | be >> 24;
}

uint32_t
netaddr_mask(unsigned prefix)
{
	uint32_t h = prefix == 0    ? 0
		     : prefix >= 32 ? ~0u
				    : ~0u << (32 - prefix);

	return host(h); /* the swap is its own inverse */
}

int
netaddr_prefix(uint32_t mask)
{
	uint32_t h = host(mask);
	int p = 0;

	while (p < 32 && (h & (1u << (31 - p))))
		p++;
	return netaddr_mask((unsigned)p) == mask ? p : -1;
}

int
netaddr_host_ok(uint32_t addr, unsigned prefix)
{
	uint32_t h = host(addr), m;

	if ((h >> 24) == 0 || (h >> 24) == 127 || (h >> 28) >= 14)
		return 0; /* 0/8, loopback, multicast, reserved, broadcast */
	if (prefix > 32)
		return 0;
	if (prefix <= 30) {
		m = host(netaddr_mask(prefix));
		if ((h & ~m) == 0 || (h & ~m) == ~m)
			return 0;
	}
	return 1;
}

int
netaddr_name_ok(const char *s, size_t n)
{
	size_t label = 0;

	if (n == 0 || n > NETADDR_NAME_MAX)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (c == '.') {
			if (label == 0 || s[i - 1] == '-')
				return 0;
			label = 0;
			continue;
		}
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '-'))
			return 0;
		if (c == '-' && label == 0)
			return 0;
		if (++label > 63)
			return 0;
	}
	return label > 0 && s[n - 1] != '-';
}
