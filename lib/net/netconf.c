// SPDX-License-Identifier: MIT
/* The device's network configuration: /etc/keel/network.conf, strictly. */
#include <string.h>

#include "lib/base/text.h"
#include "lib/base/kvfile.h"
#include "lib/net/netconf.h"

enum key_id { K_DNS, K_SEARCH, K_HOSTNAME, K_NTP, K_N };

static const char *const key_names[K_N] = {
    [K_DNS] = "dns",
    [K_SEARCH] = "search",
    [K_HOSTNAME] = "hostname",
    [K_NTP] = "ntp",
};

static int
span_is(const char *s, size_t n, const char *lit)
{
	return strlen(lit) == n && !memcmp(s, lit, n);
}

/*
 * The next space-separated word of v[0..n) from *i: single spaces only,
 * none at either end. Returns its length (0 at the end), -1 for a bad
 * spacing.
 */
static long
next_word(const char *v, size_t n, size_t *i, const char **w)
{
	size_t start;

	if (*i >= n)
		return 0;
	if (*i > 0 && v[(*i)++] != ' ')
		return -1;
	start = *i;
	while (*i < n && v[*i] != ' ')
		(*i)++;
	if (*i == start)
		return -1;
	*w = v + start;
	return (long)(*i - start);
}

int
netconf_server_parse(const char *s, size_t n, struct netconf_server *out)
{
	const char *colon = memchr(s, ':', n);
	size_t hl = colon ? (size_t)(colon - s) : n;
	uint32_t a;
	uint64_t port = NETCONF_NTP_PORT;

	if (colon && (text_u64(colon + 1, n - hl - 1, &port) < 0 || !port ||
		      port > 65535))
		return -1;
	if (netaddr_parse(s, hl, &a) < 0 && !netaddr_name_ok(s, hl))
		return -1;
	memcpy(out->host, s, hl);
	out->host[hl] = 0;
	out->port = (uint16_t)port;
	return 0;
}

/* "dhcp", "off" or "static ADDRESS/PREFIX [GATEWAY]". */
static int
parse_if(struct netconf_if *f, const char *v, size_t n, struct kerr *e)
{
	const char *w = NULL, *slash;
	size_t i = 0;
	long wl;
	uint64_t prefix;

	if (span_is(v, n, "dhcp") || span_is(v, n, "off")) {
		f->mode = v[0] == 'd' ? NETCONF_DHCP : NETCONF_OFF;
		return 0;
	}
	if (n < 7 || memcmp(v, "static ", 7))
		return kerr_set(e, "netconf",
				"if.%s: not dhcp, off or static ADDRESS/PREFIX "
				"[GATEWAY]",
				f->name);
	f->mode = NETCONF_STATIC;
	v += 7;
	n -= 7;
	wl = next_word(v, n, &i, &w);
	slash = wl > 0 ? memchr(w, '/', (size_t)wl) : NULL;
	if (!slash || netaddr_parse(w, (size_t)(slash - w), &f->addr) < 0 ||
	    text_u64(slash + 1, (size_t)(w + wl - slash - 1), &prefix) < 0 ||
	    prefix < 1 || prefix > 32 ||
	    !netaddr_host_ok(f->addr, (unsigned)prefix))
		return kerr_set(e, "netconf",
				"if.%s: static: '%.*s' is not a host "
				"ADDRESS/PREFIX",
				f->name, wl > 0 ? (int)wl : 0, w ? w : "");
	f->prefix = (uint8_t)prefix;
	f->gw = 0;
	wl = next_word(v, n, &i, &w);
	if (wl == 0)
		return 0;
	if (wl < 0 || netaddr_parse(w, (size_t)wl, &f->gw) < 0 ||
	    !netaddr_host_ok(f->gw, 32) || f->gw == f->addr)
		return kerr_set(e, "netconf", "if.%s: bad gateway", f->name);
	if (next_word(v, n, &i, &w) != 0)
		return kerr_set(e, "netconf", "if.%s: words after the gateway",
				f->name);
	return 0;
}

static int
set_iface(struct netconf *c, const char *name, size_t nl, const char *v,
	  size_t n, struct kerr *e)
{
	struct netconf_if *f;

	if (nl == 0 || nl > NETCONF_IFNAME_MAX || span_is(name, nl, ".") ||
	    span_is(name, nl, ".."))
		return kerr_set(e, "netconf", "if.%.*s: not an interface name",
				(int)(nl > 32 ? 32 : nl), name);
	for (size_t i = 0; i < nl; i++) {
		char ch = name[i];
		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || ch == '_' || ch == '-' ||
		      ch == '.'))
			return kerr_set(e, "netconf",
					"if.%.*s: not an interface name",
					(int)nl, name);
	}
	for (unsigned i = 0; i < c->nif; i++)
		if (span_is(name, nl, c->ifs[i].name))
			return kerr_set(e, "netconf", "if.%.*s: set twice",
					(int)nl, name);
	if (c->nif == NETCONF_IF_MAX)
		return kerr_set(e, "netconf", "more than %d interfaces",
				NETCONF_IF_MAX);
	f = &c->ifs[c->nif];
	memset(f, 0, sizeof(*f));
	memcpy(f->name, name, nl);
	if (parse_if(f, v, n, e) < 0)
		return -1;
	c->nif++;
	return 0;
}

static int
set_list(struct netconf *c, unsigned k, const char *v, size_t n, struct kerr *e)
{
	static const unsigned max[K_N] = {
	    [K_DNS] = NETCONF_DNS_MAX,
	    [K_SEARCH] = NETCONF_SEARCH_MAX,
	    [K_NTP] = NETCONF_NTP_MAX,
	};
	const char *w = NULL;
	size_t i = 0;
	unsigned count = 0;
	long wl;

	while ((wl = next_word(v, n, &i, &w)) > 0) {
		int bad;

		if (count == max[k])
			return kerr_set(e, "netconf", "%s: more than %u",
					key_names[k], max[k]);
		if (k == K_DNS)
			bad =
			    netaddr_parse(w, (size_t)wl, &c->dns[count]) < 0 ||
			    !netaddr_host_ok(c->dns[count], 32);
		else if (k == K_NTP)
			bad = netconf_server_parse(w, (size_t)wl,
						   &c->ntp[count]) < 0;
		else
			bad = !netaddr_name_ok(w, (size_t)wl);
		if (!bad && k == K_SEARCH) {
			memcpy(c->search[count], w, (size_t)wl);
			c->search[count][wl] = 0;
		}
		if (bad)
			return kerr_set(e, "netconf", "%s: bad entry '%.*s'",
					key_names[k], (int)(wl > 64 ? 64 : wl),
					w);
		count++;
	}
	if (wl < 0 || count == 0)
		return kerr_set(e, "netconf", "%s: empty or badly spaced",
				key_names[k]);
	if (k == K_DNS)
		c->ndns = count;
	else if (k == K_NTP)
		c->nntp = count;
	else
		c->nsearch = count;
	return 0;
}

static int
set_key(struct netconf *c, const char *key, size_t kl, const char *v, size_t n,
	struct kerr *e)
{
	unsigned k;

	if (kl > 3 && !memcmp(key, "if.", 3))
		return set_iface(c, key + 3, kl - 3, v, n, e);
	for (k = 0; k < K_N; k++)
		if (span_is(key, kl, key_names[k]))
			break;
	if (k == K_N)
		return kerr_set(e, "netconf", "unknown key '%.*s'",
				(int)(kl > 64 ? 64 : kl), key);
	if (c->seen & (1u << k))
		return kerr_set(e, "netconf", "%s: set twice", key_names[k]);
	c->seen |= 1u << k;
	if (k != K_HOSTNAME)
		return set_list(c, k, v, n, e);
	if (n > NETCONF_HOSTNAME_MAX || !netaddr_name_ok(v, n))
		return kerr_set(e, "netconf",
				"hostname: not a DNS name of at most %d bytes",
				NETCONF_HOSTNAME_MAX);
	memcpy(c->hostname, v, n);
	c->hostname[n] = 0;
	return 0;
}

void
netconf_defaults(struct netconf *c)
{
	memset(c, 0, sizeof(*c));
}

static int
set_line(void *ctx, const char *key, size_t kl, const char *v, size_t n,
	 struct kerr *e)
{
	return set_key(ctx, key, kl, v, n, e);
}

int
netconf_parse(const char *buf, size_t len, struct netconf *c, struct kerr *e)
{
	netconf_defaults(c);
	if (kv_parse(buf, len, NETCONF_FILE_MAX, NETCONF_LINE_MAX, "netconf",
		     set_line, c, e) == 0)
		return 0;
	netconf_defaults(c); /* nothing of a refused file is used */
	return -1;
}
