// SPDX-License-Identifier: MIT
/* DHCPv4: the client's messages, the reply parser, the state machine. */
#define _GNU_SOURCE
#include "lib/net/dhcp_client.h"
#include "tests/unit/unit.h"

static const uint8_t mac[6] = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56};
static struct kerr e;

static uint32_t
ip(const char *s)
{
	uint32_t a = 0;

	netaddr_parse(s, strlen(s), &a);
	return a;
}

/* A server's reply: the fixed part, then raw option bytes. */
struct reply {
	uint8_t b[DHCP_PKT_MAX];
	size_t n;
};

static void
reply_begin(struct reply *r, uint32_t xid, const char *yiaddr)
{
	uint32_t y = ip(yiaddr);

	memset(r, 0, sizeof(*r));
	r->b[0] = 2;
	r->b[1] = 1;
	r->b[2] = 6;
	r->b[4] = (uint8_t)(xid >> 24);
	r->b[5] = (uint8_t)(xid >> 16);
	r->b[6] = (uint8_t)(xid >> 8);
	r->b[7] = (uint8_t)xid;
	memcpy(r->b + 16, &y, 4);
	memcpy(r->b + 28, mac, 6);
	r->b[236] = 99;
	r->b[237] = 130;
	r->b[238] = 83;
	r->b[239] = 99;
	r->n = 240;
}

static void
opt(struct reply *r, uint8_t code, const void *v, uint8_t len)
{
	r->b[r->n++] = code;
	r->b[r->n++] = len;
	memcpy(r->b + r->n, v, len);
	r->n += len;
}

static void
opt_ip(struct reply *r, uint8_t code, const char *a)
{
	uint32_t v = ip(a);

	opt(r, code, &v, 4);
}

static void
opt_u32(struct reply *r, uint8_t code, uint32_t v)
{
	uint8_t b[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16),
			(uint8_t)(v >> 8), (uint8_t)v};

	opt(r, code, b, 4);
}

static void
opt_type(struct reply *r, uint8_t type)
{
	opt(r, 53, &type, 1);
}

/* An OFFER or ACK as QEMU's user network makes them, plus extras. */
static void
lease_reply(struct reply *r, uint32_t xid, uint8_t type, uint32_t lease)
{
	reply_begin(r, xid, "10.0.2.15");
	opt_type(r, type);
	opt_ip(r, 54, "10.0.2.2");
	opt_ip(r, 1, "255.255.255.0");
	opt_ip(r, 3, "10.0.2.2");
	opt_ip(r, 6, "10.0.2.3");
	opt_u32(r, 51, lease);
	opt(r, 15, "example.com", 11);
	opt_ip(r, 42, "10.0.2.4");
	r->b[r->n++] = 255;
	r->n = r->n < 300 ? 300 : r->n;
}

/* Ends the options (the parser wants the end option). */
static void
fin(struct reply *r)
{
	r->b[r->n++] = 255;
}

static int
parse(const struct reply *r, uint32_t xid, struct dhcp_lease *l)
{
	memset(&e, 0, sizeof(e));
	return dhcp_parse(r->b, r->n, xid, mac, l, &e);
}

static void
refused(const struct reply *r, uint32_t xid, const char *want, const char *what)
{
	struct dhcp_lease l;
	int rc = parse(r, xid, &l);

	CHECK(rc == -1, "%s: accepted", what);
	CHECK(rc == 0 || strstr(e.detail, want), "%s: '%s' lacks '%s'", what,
	      e.detail, want);
}

/* The option code in a client's message, or NULL. */
static const uint8_t *
find_opt(const uint8_t *b, size_t n, uint8_t code)
{
	for (size_t i = 240; i + 2 <= n && b[i] != 255; i += 2u + b[i + 1])
		if (b[i] == code)
			return b + i;
	return NULL;
}

static void
test_build(void)
{
	struct dhcp_req q = {0};
	uint8_t b[400];
	size_t n;

	q.type = DHCP_DISCOVER;
	q.xid = 0x01020304;
	q.secs = 3;
	memcpy(q.mac, mac, 6);
	q.broadcast = 1;
	q.requested = ip("10.0.2.15");
	q.hostname = "keel-demo";
	n = dhcp_build(&q, b, sizeof(b));
	CHECK(n >= 300, "length %zu", n);
	CHECK(b[0] == 1 && b[1] == 1 && b[2] == 6, "op htype hlen");
	CHECK(b[4] == 1 && b[7] == 4, "xid");
	CHECK(b[9] == 3 && b[10] == 0x80, "secs, broadcast flag");
	CHECK(!memcmp(b + 28, mac, 6), "chaddr");
	CHECK(b[236] == 99 && b[239] == 99, "cookie");
	CHECK(b[240] == 53 && b[241] == 1 && b[242] == DHCP_DISCOVER, "type");
	CHECK(b[243] == 61 && b[244] == 7 && b[245] == 1, "client id");
	CHECK(find_opt(b, n, 50) && find_opt(b, n, 50)[2] == 10 &&
		  find_opt(b, n, 50)[5] == 15,
	      "requested");
	CHECK(find_opt(b, n, 12) &&
		  !memcmp(find_opt(b, n, 12), "\x0c\x09keel-demo", 11),
	      "hostname");
	CHECK(find_opt(b, n, 55) &&
		  !memcmp(find_opt(b, n, 55),
			  "\x37\x09\x01\x03\x06\x0c\x0f\x2a\x33\x3a\x3b", 11),
	      "parameter request list");
	CHECK(dhcp_build(&q, b, 100) == 0, "small buffer refused");
	q.hostname = "x234567890123456789012345678901234567890123456789012345"
		     "678901234";
	CHECK(dhcp_build(&q, b, sizeof(b)) == 0, "64-byte hostname refused");
	memset(&q, 0, sizeof(q));
	q.type = DHCP_RELEASE;
	q.ciaddr = ip("10.0.2.15");
	q.server_id = ip("10.0.2.2");
	n = dhcp_build(&q, b, sizeof(b));
	CHECK(n == 300 && b[10] == 0 && b[12] == 10 && b[15] == 15,
	      "release: ciaddr, no broadcast");
	CHECK(find_opt(b, n, 55) == NULL && find_opt(b, n, 54) != NULL,
	      "release: server id, no parameter list");
}

static void
test_parse(void)
{
	struct reply r;
	struct dhcp_lease l;
	char a[NETADDR_TEXT];

	lease_reply(&r, 77, DHCP_OFFER, 86400);
	CHECK(parse(&r, 77, &l) == 0, "offer: %s", e.detail);
	netaddr_format(l.addr, a);
	CHECK(l.type == DHCP_OFFER && !strcmp(a, "10.0.2.15"), "addr %s", a);
	CHECK(l.prefix == 24 && l.server_id == ip("10.0.2.2"), "prefix, id");
	CHECK(l.router == ip("10.0.2.2"), "router");
	CHECK(l.ndns == 1 && l.dns[0] == ip("10.0.2.3"), "dns");
	CHECK(l.nntp == 1 && l.ntp[0] == ip("10.0.2.4"), "ntp");
	CHECK(!strcmp(l.domain, "example.com"), "domain '%s'", l.domain);
	CHECK(l.lease_s == 86400 && l.t1_s == 43200 && l.t2_s == 75600,
	      "times %u %u %u", l.lease_s, l.t1_s, l.t2_s);

	/* every truncation: refused, or (inside the padding) the same */
	for (size_t n = 0; n < r.n; n++) {
		struct reply t = r;
		struct dhcp_lease m;
		t.n = n;
		if (parse(&t, 77, &m) == 0)
			CHECK(!memcmp(&m, &l, sizeof(m)) && n >= 240,
			      "cut at %zu", n);
	}

	/* T1, T2 given; lease clamped; infinite; bad T1/T2 */
	reply_begin(&r, 1, "192.168.1.9");
	opt_type(&r, DHCP_ACK);
	opt_ip(&r, 54, "192.168.1.1");
	opt_u32(&r, 51, 600);
	opt_u32(&r, 58, 100);
	opt_u32(&r, 59, 200);
	refused(&r, 1, "no end option", "no END");
	r.b[r.n++] = 255;
	r.n += 10; /* padding after END */
	CHECK(parse(&r, 1, &l) == 0 && l.t1_s == 100 && l.t2_s == 200,
	      "t1 t2: %s", e.detail);
	CHECK(l.prefix == 24 && l.router == 0 && l.ndns == 0,
	      "class C default, no router");
	r.b[r.n - 11 - 1] = 250; /* T2 200 -> 250 */
	r.b[r.n - 11 - 7] = 255; /* T1 100 -> 355: after T2 */
	CHECK(parse(&r, 1, &l) == 0 && l.t1_s == 300 && l.t2_s == 525,
	      "bad t1/t2: defaults %u %u", l.t1_s, l.t2_s);
	reply_begin(&r, 1, "10.1.2.3");
	opt_type(&r, DHCP_ACK);
	opt_ip(&r, 54, "10.1.2.1");
	opt_u32(&r, 51, 5);
	fin(&r);
	CHECK(parse(&r, 1, &l) == 0 && l.lease_s == DHCP_LEASE_MIN &&
		  l.prefix == 8,
	      "short lease clamped");
	reply_begin(&r, 1, "10.1.2.3");
	opt_type(&r, DHCP_ACK);
	opt_ip(&r, 54, "10.1.2.1");
	opt_u32(&r, 51, DHCP_LEASE_INFINITE);
	fin(&r);
	CHECK(parse(&r, 1, &l) == 0 && l.t1_s == DHCP_LEASE_INFINITE,
	      "infinite");

	/* a NAK needs nothing but its type */
	reply_begin(&r, 5, "0.0.0.0");
	opt_type(&r, DHCP_NAK);
	fin(&r);
	CHECK(parse(&r, 5, &l) == 0 && l.type == DHCP_NAK, "nak");
}

static void
test_options(void)
{
	struct reply r;
	struct dhcp_lease l;
	uint8_t dns2[8], name[] = "lan.\0\0";

	/* two instances of option 6 concatenate (RFC 3396) */
	reply_begin(&r, 9, "10.0.2.15");
	opt_type(&r, DHCP_ACK);
	opt_ip(&r, 54, "10.0.2.2");
	opt_u32(&r, 51, 3600);
	opt_ip(&r, 6, "10.0.2.3");
	memcpy(dns2, "\x01\x01\x01\x01\x7f\x00\x00\x01", 8);
	opt(&r, 6, dns2, 8);
	opt(&r, 12, name, 6);
	opt(&r, 15, "bad..name", 9);
	fin(&r);
	CHECK(parse(&r, 9, &l) == 0, "concatenated: %s", e.detail);
	CHECK(l.ndns == 2 && l.dns[1] == ip("1.1.1.1"),
	      "dns: loopback dropped, %u", l.ndns);
	CHECK(!strcmp(l.hostname, "lan"), "hostname '%s'", l.hostname);
	CHECK(l.domain[0] == 0, "bad domain dropped");

	/* overload: options continue in file, then sname */
	reply_begin(&r, 9, "10.0.2.15");
	opt_type(&r, DHCP_ACK);
	opt(&r, 52, "\x03", 1);
	r.b[r.n++] = 255;
	memcpy(r.b + 108, "\x36\x04\x0a\x00\x02\x02\xff", 7);
	memcpy(r.b + 44, "\x33\x04\x00\x00\x0e\x10\xff", 7);
	r.n = 300;
	CHECK(parse(&r, 9, &l) == 0 && l.lease_s == 3600 &&
		  l.server_id == ip("10.0.2.2"),
	      "overload: %s", e.detail);
	r.b[245] = 4;
	refused(&r, 9, "overload 4", "overload 4");
	r.b[245] = 1;
	memcpy(r.b + 108 + 6, "\x34\x01\x01\xff", 4);
	refused(&r, 9, "inside an overload", "nested overload");
	r.b[245] = 2; /* sname only: no server id, lease in sname */
	refused(&r, 9, "server identifier", "overload sname only");
}

static void
test_refusals(void)
{
	struct reply r;
	uint8_t big[200];

	lease_reply(&r, 3, DHCP_OFFER, 60);
	refused(&r, 4, "transaction", "other xid");
	r.b[28] ^= 1;
	refused(&r, 3, "transaction", "other chaddr");
	lease_reply(&r, 3, DHCP_OFFER, 60);
	r.b[0] = 1;
	refused(&r, 3, "BOOTREPLY", "a request");
	lease_reply(&r, 3, DHCP_OFFER, 60);
	r.b[237] = 0;
	refused(&r, 3, "cookie", "no cookie");
	lease_reply(&r, 3, DHCP_OFFER, 60);
	r.n = 239;
	refused(&r, 3, "length", "short");
	r.n = DHCP_PKT_MAX + 1;
	refused(&r, 3, "length", "long");

	reply_begin(&r, 3, "10.0.2.15");
	opt_type(&r, DHCP_OFFER);
	opt_ip(&r, 54, "10.0.2.2");
	opt_u32(&r, 51, 60);
	r.b[r.n++] = 3;
	r.b[r.n++] = 8;
	r.b[r.n++] = 10;
	refused(&r, 3, "past the end", "truncated option");
	memset(big, 1, sizeof(big));
	reply_begin(&r, 3, "10.0.2.15");
	opt_type(&r, DHCP_OFFER);
	opt(&r, 6, big, 200);
	opt(&r, 6, big, 56);
	refused(&r, 3, "longer than 255", "concatenation over 255");

	reply_begin(&r, 3, "10.0.2.15");
	opt_type(&r, DHCP_OFFER);
	opt_ip(&r, 54, "10.0.2.2");
	opt_u32(&r, 51, 60);
	opt(&r, 1, "\xff\xff\xff", 3);
	fin(&r);
	refused(&r, 3, "option 1: length 3", "mask length");
	reply_begin(&r, 3, "10.0.2.15");
	opt_type(&r, DHCP_OFFER);
	opt_ip(&r, 54, "10.0.2.2");
	opt_u32(&r, 51, 60);
	opt_ip(&r, 1, "255.0.255.0");
	fin(&r);
	refused(&r, 3, "contiguous", "holey mask");
	reply_begin(&r, 3, "10.0.2.15");
	opt_type(&r, DHCP_OFFER);
	opt_ip(&r, 54, "10.0.2.2");
	opt(&r, 51, "\0\0", 2);
	fin(&r);
	refused(&r, 3, "option 51", "lease length");
	reply_begin(&r, 3, "10.0.2.15");
	opt_type(&r, DHCP_OFFER);
	opt_ip(&r, 54, "10.0.2.2");
	fin(&r);
	refused(&r, 3, "no lease", "no lease");
	reply_begin(&r, 3, "10.0.2.15");
	opt_type(&r, DHCP_OFFER);
	opt_u32(&r, 51, 60);
	fin(&r);
	refused(&r, 3, "server identifier", "no server id");
	reply_begin(&r, 3, "10.0.2.15");
	opt_u32(&r, 51, 60);
	fin(&r);
	refused(&r, 3, "no message type", "no type");
	reply_begin(&r, 3, "10.0.2.15");
	opt_type(&r, DHCP_DISCOVER);
	fin(&r);
	refused(&r, 3, "not for a client", "a DISCOVER");
	r.n--;
	opt_type(&r, DHCP_OFFER);
	fin(&r);
	refused(&r, 3, "option 53", "two types");
	{
		static const char *const bad[] = {"0.0.0.0", "127.0.0.1",
						  "10.0.2.0", "10.0.2.255",
						  "224.0.0.5"};
		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			reply_begin(&r, 3, bad[i]);
			opt_type(&r, DHCP_ACK);
			opt_ip(&r, 54, "10.0.2.2");
			opt_ip(&r, 1, "255.255.255.0");
			opt_u32(&r, 51, 60);
			fin(&r);
			refused(&r, 3, "not a host", bad[i]);
		}
	}
}

/* --- the state machine against a scripted server ------------------------ */
static uint32_t
xid_of(const struct dhcpc_out *o)
{
	return (uint32_t)o->pkt[4] << 24 | (uint32_t)o->pkt[5] << 16 |
	       (uint32_t)o->pkt[6] << 8 | o->pkt[7];
}

static int
type_of(const struct dhcpc_out *o)
{
	return o->len > 242 && o->pkt[240] == 53 ? o->pkt[242] : -1;
}

static int
has_opt(const struct dhcpc_out *o, uint8_t code, const char *addr)
{
	uint32_t a = ip(addr);

	for (size_t i = 240; i + 6 <= o->len && o->pkt[i] != 255;
	     i += 2u + o->pkt[i + 1])
		if (o->pkt[i] == code && o->pkt[i + 1] == 4)
			return !memcmp(o->pkt + i + 2, &a, 4);
	return 0;
}

static void
test_machine(void)
{
	static struct dhcpc c;
	static struct dhcpc_out o;
	struct reply r;
	uint64_t t = 1000, prev, b;
	uint32_t xid;

	dhcpc_init(&c, mac, "dev", 42, 0, t);
	CHECK(dhcpc_next(&c) == t, "starts at once");
	dhcpc_timeout(&c, t, &o);
	CHECK(type_of(&o) == DHCP_DISCOVER && o.dst == 0xffffffffu,
	      "discover, broadcast");
	CHECK(c.state == DHCPC_SELECTING, "selecting");
	/* retransmissions: 4, 8, 16, 32, 64, 64 s, each +-1 s */
	xid = xid_of(&o);
	prev = t;
	for (unsigned i = 0, d = 4000; i < 6; i++, d = d < 64000 ? d * 2 : d) {
		uint64_t gap = dhcpc_next(&c) - prev;
		CHECK(gap >= d - 1000 && gap <= d + 1000, "retry %u after %llu",
		      i, (unsigned long long)gap);
		prev = dhcpc_next(&c);
		dhcpc_timeout(&c, prev, &o);
		CHECK(type_of(&o) == DHCP_DISCOVER && xid_of(&o) == xid,
		      "retransmission %u", i);
	}
	t = prev + 10;
	lease_reply(&r, xid + 1, DHCP_OFFER, 3600);
	dhcpc_input(&c, r.b, r.n, t, &o);
	CHECK(o.len == 0 && c.state == DHCPC_SELECTING && c.why[0],
	      "other xid ignored");
	lease_reply(&r, xid, DHCP_OFFER, 3600);
	dhcpc_input(&c, r.b, r.n, t, &o);
	CHECK(type_of(&o) == DHCP_REQUEST && c.state == DHCPC_REQUESTING,
	      "request");
	CHECK(has_opt(&o, 50, "10.0.2.15") && has_opt(&o, 54, "10.0.2.2"),
	      "request names the offer");
	CHECK(xid_of(&o) == xid && o.dst == 0xffffffffu, "same xid, bcast");
	/* an ACK from another server is not ours */
	lease_reply(&r, xid, DHCP_ACK, 3600);
	r.b[245 + 2] = 99;
	dhcpc_input(&c, r.b, r.n, t + 5, &o);
	CHECK(o.event == DHCPC_EV_NONE, "other server's ACK ignored");
	lease_reply(&r, xid, DHCP_ACK, 3600);
	dhcpc_input(&c, r.b, r.n, t + 20, &o);
	CHECK(o.event == DHCPC_EV_BOUND && o.len == 0, "bound");
	CHECK(c.state == DHCPC_BOUND && dhcpc_next(&c) == t + 1800000,
	      "T1 from the request's time");
	CHECK(dhcpc_lease_left(&c, t + 1000) == 3599, "left %u",
	      dhcpc_lease_left(&c, t + 1000));
	dhcpc_input(&c, r.b, r.n, t + 30, &o);
	CHECK(o.len == 0 && o.event == DHCPC_EV_NONE, "bound ignores");

	/* T1: renew by unicast; an ACK renews */
	t += 1800000;
	dhcpc_timeout(&c, t, &o);
	CHECK(type_of(&o) == DHCP_REQUEST && c.state == DHCPC_RENEWING &&
		  o.dst == ip("10.0.2.2") && o.pkt[10] == 0 &&
		  o.pkt[12] == 10 && o.pkt[15] == 15,
	      "renew: unicast, ciaddr");
	CHECK(!has_opt(&o, 50, "10.0.2.15"), "renew: no requested address");
	CHECK(dhcpc_next(&c) == t + (3150000 - 1800000) / 2, "renew retry");
	lease_reply(&r, xid_of(&o), DHCP_ACK, 3600);
	dhcpc_input(&c, r.b, r.n, t + 50, &o);
	CHECK(o.event == DHCPC_EV_RENEWED && dhcpc_next(&c) == t + 1800000,
	      "renewed from this request");
	b = t;

	/* no answer: renewing until T2, rebinding until expiry, lost */
	t += 1800000;
	dhcpc_timeout(&c, t, &o);
	while (c.state == DHCPC_RENEWING) {
		CHECK(o.dst == ip("10.0.2.2"), "renew unicast");
		t = dhcpc_next(&c);
		dhcpc_timeout(&c, t, &o);
	}
	CHECK(c.state == DHCPC_REBINDING && t == b + 3150000,
	      "rebinding at T2 (%llu)", (unsigned long long)t);
	CHECK(o.dst == 0xffffffffu && type_of(&o) == DHCP_REQUEST,
	      "rebind broadcast");
	while (c.state == DHCPC_REBINDING) {
		t = dhcpc_next(&c);
		dhcpc_timeout(&c, t, &o);
	}
	CHECK(o.event == DHCPC_EV_LOST && t == b + 3600000, "lost at expiry");
	CHECK(c.state == DHCPC_INIT && dhcpc_next(&c) == t, "starts over");
	dhcpc_timeout(&c, t, &o);
	CHECK(type_of(&o) == DHCP_DISCOVER && has_opt(&o, 50, "10.0.2.15"),
	      "asks for the old address");

	/* NAK while requesting: start over after a pause */
	xid = xid_of(&o);
	lease_reply(&r, xid, DHCP_OFFER, 3600);
	dhcpc_input(&c, r.b, r.n, t, &o);
	reply_begin(&r, xid, "0.0.0.0");
	opt_type(&r, DHCP_NAK);
	opt_ip(&r, 54, "10.0.2.2");
	fin(&r);
	dhcpc_input(&c, r.b, r.n, t + 1, &o);
	CHECK(c.state == DHCPC_INIT && dhcpc_next(&c) == t + 3001 &&
		  o.event == DHCPC_EV_NONE,
	      "nak in requesting");
	/* requesting gives up after 4 REQUESTs */
	dhcpc_timeout(&c, t + 3001, &o);
	lease_reply(&r, xid_of(&o), DHCP_OFFER, 3600);
	dhcpc_input(&c, r.b, r.n, t + 3002, &o);
	for (int i = 0; i < 3; i++)
		dhcpc_timeout(&c, dhcpc_next(&c), &o);
	CHECK(c.state == DHCPC_REQUESTING, "still requesting");
	dhcpc_timeout(&c, dhcpc_next(&c), &o);
	CHECK(c.state == DHCPC_SELECTING && type_of(&o) == DHCP_DISCOVER,
	      "back to discover");

	/* bound, then released */
	xid = xid_of(&o);
	lease_reply(&r, xid, DHCP_OFFER, 3600);
	dhcpc_input(&c, r.b, r.n, t, &o);
	lease_reply(&r, xid, DHCP_ACK, 3600);
	dhcpc_input(&c, r.b, r.n, t, &o);
	CHECK(o.event == DHCPC_EV_BOUND, "bound again");
	dhcpc_release(&c, &o);
	CHECK(type_of(&o) == DHCP_RELEASE && o.dst == ip("10.0.2.2") &&
		  has_opt(&o, 54, "10.0.2.2") && o.pkt[15] == 15,
	      "release");
	CHECK(c.state == DHCPC_STOPPED && dhcpc_next(&c) == UINT64_MAX,
	      "stopped");
	dhcpc_release(&c, &o);
	CHECK(o.len == 0, "nothing to release twice");
	CHECK(!strcmp(dhcpc_state_name(DHCPC_REBINDING), "rebinding"), "name");
}

int
main(void)
{
	test_build();
	test_parse();
	test_options();
	test_refusals();
	test_machine();
	return unit_done("dhcp");
}
