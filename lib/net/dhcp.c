// SPDX-License-Identifier: MIT
/* DHCPv4 messages (RFC 2131, 2132): the client's, and a strict reply parser. */
#include <string.h>

#include "lib/net/dhcp.h"

#define OP_REQUEST 1
#define OP_REPLY 2
#define HTYPE_ETHER 1
#define FLAG_BROADCAST 0x8000
#define OFF_OPTIONS DHCP_MIN
#define OFF_SNAME 44
#define OFF_FILE 108
#define PAD_TO 300

/* Option codes. */
enum {
	O_PAD = 0,
	O_MASK = 1,
	O_ROUTER = 3,
	O_DNS = 6,
	O_HOSTNAME = 12,
	O_DOMAIN = 15,
	O_NTP = 42,
	O_REQUESTED = 50,
	O_LEASE = 51,
	O_OVERLOAD = 52,
	O_TYPE = 53,
	O_SERVER = 54,
	O_PARAMS = 55,
	O_MAXSIZE = 57,
	O_T1 = 58,
	O_T2 = 59,
	O_CLIENT_ID = 61,
	O_END = 255,
};

static const uint8_t cookie[4] = {99, 130, 83, 99};
static const uint8_t wanted[] = {O_MASK, O_ROUTER, O_DNS, O_HOSTNAME, O_DOMAIN,
				 O_NTP,	 O_LEASE,  O_T1,  O_T2};
/* The options the parser keeps; the rest are skipped. */
static const uint8_t kept[] = {O_MASK,	 O_ROUTER, O_DNS,   O_HOSTNAME,
			       O_DOMAIN, O_NTP,	   O_LEASE, O_OVERLOAD,
			       O_TYPE,	 O_SERVER, O_T1,    O_T2};
#define NKEPT (sizeof(kept) / sizeof(kept[0]))

/* Every instance of a kept option, concatenated (RFC 3396). */
struct opts {
	uint8_t len[NKEPT];
	uint8_t seen[NKEPT];
	uint8_t val[NKEPT][255];
};

static void
put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static uint32_t
get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

/* An address as it sits in the packet: network order, unchanged. */
static uint32_t
addr_at(const uint8_t *p)
{
	uint32_t a;

	memcpy(&a, p, 4);
	return a;
}

static uint8_t *
opt(uint8_t *p, uint8_t code, const void *v, uint8_t len)
{
	p[0] = code;
	p[1] = len;
	memcpy(p + 2, v, len);
	return p + 2 + len;
}

size_t
dhcp_build(const struct dhcp_req *r, uint8_t *out, size_t cap)
{
	uint8_t *p, id[7];
	size_t hn = r->hostname ? strlen(r->hostname) : 0;
	uint8_t max[2] = {DHCP_PKT_MAX >> 8 & 255, DHCP_PKT_MAX & 255};

	if (cap < PAD_TO + 2 + DHCP_HOSTNAME_MAX || hn > DHCP_HOSTNAME_MAX)
		return 0;
	memset(out, 0, PAD_TO);
	out[0] = OP_REQUEST;
	out[1] = HTYPE_ETHER;
	out[2] = 6;
	put32(out + 4, r->xid);
	out[8] = (uint8_t)(r->secs >> 8);
	out[9] = (uint8_t)r->secs;
	if (r->broadcast)
		out[10] = FLAG_BROADCAST >> 8;
	memcpy(out + 12, &r->ciaddr, 4);
	memcpy(out + 28, r->mac, 6);
	memcpy(out + DHCP_FIXED, cookie, 4);
	p = out + OFF_OPTIONS;
	p = opt(p, O_TYPE, &r->type, 1);
	id[0] = HTYPE_ETHER;
	memcpy(id + 1, r->mac, 6);
	p = opt(p, O_CLIENT_ID, id, 7);
	if (r->requested)
		p = opt(p, O_REQUESTED, &r->requested, 4);
	if (r->server_id)
		p = opt(p, O_SERVER, &r->server_id, 4);
	if (r->type == DHCP_DISCOVER || r->type == DHCP_REQUEST) {
		p = opt(p, O_MAXSIZE, max, 2);
		p = opt(p, O_PARAMS, wanted, sizeof(wanted));
		if (hn)
			p = opt(p, O_HOSTNAME, r->hostname, (uint8_t)hn);
	}
	*p++ = O_END;
	return (size_t)(p - out) < PAD_TO ? PAD_TO : (size_t)(p - out);
}

static int
slot_of(uint8_t code)
{
	for (unsigned i = 0; i < NKEPT; i++)
		if (kept[i] == code)
			return (int)i;
	return -1;
}

/* One option area (options, file or sname): every option inside it. */
static int
walk(const uint8_t *a, size_t n, struct opts *o, const char *where,
     struct kerr *e)
{
	size_t i = 0;

	while (i < n) {
		uint8_t code = a[i], len;
		int s;

		if (code == O_PAD) {
			i++;
			continue;
		}
		if (code == O_END)
			return 0;
		if (i + 2 > n || i + 2 + a[i + 1] > n)
			return kerr_set(e, "dhcp",
					"option %u runs past the end of %s",
					code, where);
		len = a[i + 1];
		s = slot_of(code);
		if (s >= 0) {
			if (o->len[s] + len > 255)
				return kerr_set(e, "dhcp",
						"option %u longer than 255 "
						"bytes",
						code);
			memcpy(o->val[s] + o->len[s], a + i + 2, len);
			o->len[s] = (uint8_t)(o->len[s] + len);
			o->seen[s] = 1;
		}
		i += 2u + len;
	}
	return kerr_set(e, "dhcp", "no end option in %s", where);
}

/* Length check of a kept option: exactly n, or a non-zero multiple. */
static int
want_len(const struct opts *o, uint8_t code, unsigned n, int multiple,
	 struct kerr *e)
{
	int s = slot_of(code);
	unsigned l = o->len[s];

	if (!o->seen[s])
		return 0;
	if (multiple ? (l == 0 || l % n) : l != n)
		return kerr_set(e, "dhcp", "option %u: length %u", code, l);
	return 1;
}

/* A name option: trailing NULs and one trailing dot go; kept if valid. */
static void
take_name(const struct opts *o, uint8_t code, char *out, size_t cap)
{
	int s = slot_of(code);
	size_t l = o->len[s];
	const char *v = (const char *)o->val[s];

	out[0] = 0;
	while (l && v[l - 1] == 0)
		l--;
	if (l && v[l - 1] == '.')
		l--;
	if (l && l < cap && netaddr_name_ok(v, l)) {
		memcpy(out, v, l);
		out[l] = 0;
	}
}

/* Up to max host addresses of a list option. */
static unsigned
take_addrs(const struct opts *o, uint8_t code, uint32_t *out, unsigned max)
{
	int s = slot_of(code);
	unsigned n = 0;

	for (unsigned i = 0; i + 4 <= o->len[s] && n < max; i += 4) {
		uint32_t a = addr_at(o->val[s] + i);
		if (netaddr_host_ok(a, 32))
			out[n++] = a;
	}
	return n;
}

static int
check_lengths(const struct opts *o, struct kerr *e)
{
	static const struct {
		uint8_t code, n, multiple;
	} rule[] = {
	    {O_MASK, 4, 0}, {O_ROUTER, 4, 1}, {O_DNS, 4, 1},
	    {O_NTP, 4, 1},  {O_LEASE, 4, 0},  {O_OVERLOAD, 1, 0},
	    {O_TYPE, 1, 0}, {O_SERVER, 4, 0}, {O_T1, 4, 0},
	    {O_T2, 4, 0},
	};

	for (size_t i = 0; i < sizeof(rule) / sizeof(rule[0]); i++)
		if (want_len(o, rule[i].code, rule[i].n, rule[i].multiple, e) <
		    0)
			return -1;
	return 0;
}

/* The prefix from option 1, else the address's class (RFC 2131 leaves
 * it open; a class is what most clients fall back to). */
static int
take_prefix(const struct opts *o, struct dhcp_lease *l, struct kerr *e)
{
	int s = slot_of(O_MASK), p;
	uint8_t first = (uint8_t)(l->addr & 255);

	if (!o->seen[s]) {
		l->prefix = first < 128 ? 8 : first < 192 ? 16 : 24;
		return 0;
	}
	p = netaddr_prefix(addr_at(o->val[s]));
	if (p < 1)
		return kerr_set(e, "dhcp", "subnet mask not contiguous");
	l->prefix = (uint8_t)p;
	return 0;
}

/* Lease, T1 and T2: present, bounded, in order (else the defaults). */
static void
take_times(const struct opts *o, struct dhcp_lease *l)
{
	int s1 = slot_of(O_T1), s2 = slot_of(O_T2);
	uint32_t t1, t2;

	l->lease_s = get32(o->val[slot_of(O_LEASE)]);
	if (l->lease_s == DHCP_LEASE_INFINITE) {
		l->t1_s = l->t2_s = DHCP_LEASE_INFINITE;
		return;
	}
	if (l->lease_s < DHCP_LEASE_MIN)
		l->lease_s = DHCP_LEASE_MIN;
	t1 = l->lease_s / 2;
	t2 = (uint32_t)((uint64_t)l->lease_s * 7 / 8);
	if (o->seen[s1] && o->seen[s2]) {
		uint32_t a = get32(o->val[s1]), b = get32(o->val[s2]);
		if (a > 0 && a < b && b < l->lease_s) {
			t1 = a;
			t2 = b;
		}
	}
	l->t1_s = t1;
	l->t2_s = t2;
}

static int
decode(const uint8_t *p, const struct opts *o, struct dhcp_lease *l,
       struct kerr *e)
{
	if (!o->seen[slot_of(O_TYPE)])
		return kerr_set(e, "dhcp", "no message type");
	l->type = o->val[slot_of(O_TYPE)][0];
	if (l->type != DHCP_OFFER && l->type != DHCP_ACK && l->type != DHCP_NAK)
		return kerr_set(e, "dhcp",
				"message type %u is not for a client", l->type);
	if (o->seen[slot_of(O_SERVER)])
		l->server_id = addr_at(o->val[slot_of(O_SERVER)]);
	if (l->type == DHCP_NAK)
		return 0;
	l->addr = addr_at(p + 16);
	if (!l->server_id || !netaddr_host_ok(l->server_id, 32))
		return kerr_set(e, "dhcp", "no valid server identifier");
	if (!o->seen[slot_of(O_LEASE)])
		return kerr_set(e, "dhcp", "no lease time");
	if (take_prefix(o, l, e) < 0)
		return -1;
	if (!netaddr_host_ok(l->addr, l->prefix))
		return kerr_set(e, "dhcp", "offered address is not a host's");
	take_times(o, l);
	take_addrs(o, O_ROUTER, &l->router, 1);
	l->ndns = take_addrs(o, O_DNS, l->dns, DHCP_DNS_MAX);
	l->nntp = take_addrs(o, O_NTP, l->ntp, DHCP_NTP_MAX);
	take_name(o, O_DOMAIN, l->domain, sizeof(l->domain));
	take_name(o, O_HOSTNAME, l->hostname, sizeof(l->hostname));
	return 0;
}

int
dhcp_parse(const uint8_t *p, size_t n, uint32_t xid, const uint8_t mac[6],
	   struct dhcp_lease *l, struct kerr *e)
{
	struct opts o;
	int ov;

	memset(l, 0, sizeof(*l));
	if (n < DHCP_MIN || n > DHCP_PKT_MAX)
		return kerr_set(e, "dhcp", "length %zu not in %d..%d", n,
				DHCP_MIN, DHCP_PKT_MAX);
	if (p[0] != OP_REPLY || p[1] != HTYPE_ETHER || p[2] != 6)
		return kerr_set(e, "dhcp", "not a BOOTREPLY for Ethernet");
	if (get32(p + 4) != xid || memcmp(p + 28, mac, 6))
		return kerr_set(e, "dhcp", "not for this transaction");
	if (memcmp(p + DHCP_FIXED, cookie, 4))
		return kerr_set(e, "dhcp", "no DHCP magic cookie");
	memset(o.len, 0, sizeof(o.len));
	memset(o.seen, 0, sizeof(o.seen));
	if (walk(p + OFF_OPTIONS, n - OFF_OPTIONS, &o, "options", e) < 0)
		return -1;
	if (want_len(&o, O_OVERLOAD, 1, 0, e) < 0)
		return -1;
	/* Overload comes from the options field only, then file, sname. */
	ov = o.seen[slot_of(O_OVERLOAD)] ? o.val[slot_of(O_OVERLOAD)][0] : 0;
	if (ov > 3)
		return kerr_set(e, "dhcp", "option overload %d", ov);
	o.seen[slot_of(O_OVERLOAD)] = 0;
	if ((ov & 1) && walk(p + OFF_FILE, 128, &o, "file", e) < 0)
		return -1;
	if ((ov & 2) && walk(p + OFF_SNAME, 64, &o, "sname", e) < 0)
		return -1;
	if (o.seen[slot_of(O_OVERLOAD)])
		return kerr_set(e, "dhcp",
				"option overload inside an overload");
	if (check_lengths(&o, e) < 0)
		return -1;
	l->xid = xid;
	if (decode(p, &o, l, e) < 0) {
		memset(l, 0, sizeof(*l));
		return -1;
	}
	return 0;
}
