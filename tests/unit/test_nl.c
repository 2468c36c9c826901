// SPDX-License-Identifier: MIT
/* rtnetlink: the requests' bytes, and the reader of replies and dumps. */
#include <sys/socket.h>

#include "compat/linux_netlink.h"
#include "lib/net/netaddr.h"
#include "lib/net/nl.h"
#include "tests/unit/unit.h"

static struct kerr e;

static uint32_t
ip(const char *s)
{
	uint32_t a = 0;

	netaddr_parse(s, strlen(s), &a);
	return a;
}

/* The attribute of type in a request's payload after hlen, or NULL. */
static const uint8_t *
find_attr(const uint8_t *b, size_t n, size_t hlen, uint16_t type, size_t *vl)
{
	size_t off = KEEL_NLMSG_HDRLEN + hlen;

	while (off + 4 <= n) {
		struct keel_rtattr a;
		memcpy(&a, b + off, 4);
		if (a.rta_len < 4)
			return NULL;
		if (a.rta_type == type) {
			*vl = a.rta_len - 4u;
			return b + off + 4;
		}
		off += KEEL_RTA_ALIGN(a.rta_len);
	}
	return NULL;
}

static void
test_requests(void)
{
	uint8_t b[NL_REQ_MAX];
	struct keel_nlmsghdr h;
	struct keel_ifaddrmsg a;
	struct keel_rtmsg r;
	struct keel_ifa_cacheinfo ci;
	const uint8_t *v;
	size_t n, vl;
	uint32_t x;

	n = nl_link_up(b, sizeof(b), 7, 3);
	memcpy(&h, b, sizeof(h));
	CHECK(n == 32 && h.nlmsg_len == 32 &&
		  h.nlmsg_type == KEEL_RTM_NEWLINK && h.nlmsg_seq == 7 &&
		  h.nlmsg_flags == (KEEL_NLM_F_REQUEST | KEEL_NLM_F_ACK),
	      "link up header");
	CHECK(b[20] == 3 && b[24] == 1 && b[28] == 1, "index, flags, change");
	CHECK(nl_link_up(b, 16, 7, 3) == 0, "small buffer");
	n = nl_get_links(b, sizeof(b), 8);
	memcpy(&h, b, sizeof(h));
	CHECK(n == 32 && h.nlmsg_type == KEEL_RTM_GETLINK &&
		  (h.nlmsg_flags & KEEL_NLM_F_DUMP) == KEEL_NLM_F_DUMP,
	      "dump");

	n = nl_addr(b, sizeof(b), 9, 1, 2, ip("10.0.2.15"), 24, 3600, 1800);
	memcpy(&h, b, sizeof(h));
	memcpy(&a, b + 16, sizeof(a));
	CHECK(h.nlmsg_len == n && h.nlmsg_type == KEEL_RTM_NEWADDR &&
		  (h.nlmsg_flags & KEEL_NLM_F_REPLACE) &&
		  (h.nlmsg_flags & KEEL_NLM_F_CREATE),
	      "newaddr header");
	CHECK(a.ifa_family == AF_INET && a.ifa_prefixlen == 24 &&
		  a.ifa_index == 2,
	      "ifaddrmsg");
	v = find_attr(b, n, 8, KEEL_IFA_LOCAL, &vl);
	CHECK(v && vl == 4 && !memcmp(v, "\x0a\x00\x02\x0f", 4), "local");
	v = find_attr(b, n, 8, KEEL_IFA_BROADCAST, &vl);
	CHECK(v && vl == 4 && !memcmp(v, "\x0a\x00\x02\xff", 4), "broadcast");
	v = find_attr(b, n, 8, KEEL_IFA_CACHEINFO, &vl);
	CHECK(v && vl == sizeof(ci), "cacheinfo");
	if (v) {
		memcpy(&ci, v, sizeof(ci));
		CHECK(ci.ifa_valid == 3600 && ci.ifa_prefered == 1800,
		      "lifetimes");
	}
	n = nl_addr(b, sizeof(b), 9, 1, 2, ip("10.0.2.15"), 32, NL_FOREVER,
		    NL_FOREVER);
	CHECK(!find_attr(b, n, 8, KEEL_IFA_CACHEINFO, &vl) &&
		  !find_attr(b, n, 8, KEEL_IFA_BROADCAST, &vl),
	      "permanent /32: no lifetimes, no broadcast");
	n = nl_addr(b, sizeof(b), 9, 0, 2, ip("10.0.2.15"), 24, 0, 0);
	memcpy(&h, b, sizeof(h));
	CHECK(h.nlmsg_type == KEEL_RTM_DELADDR &&
		  !(h.nlmsg_flags & KEEL_NLM_F_CREATE),
	      "deladdr");
	CHECK(nl_addr(b, sizeof(b), 9, 1, 2, 1, 33, 1, 1) == 0, "prefix 33");

	n = nl_route(b, sizeof(b), 10, 1, 2, 0, 0, ip("10.0.2.2"),
		     KEEL_RTPROT_DHCP);
	memcpy(&r, b + 16, sizeof(r));
	CHECK(r.rtm_family == AF_INET && r.rtm_dst_len == 0 &&
		  r.rtm_table == KEEL_RT_TABLE_MAIN &&
		  r.rtm_protocol == KEEL_RTPROT_DHCP &&
		  r.rtm_scope == KEEL_RT_SCOPE_UNIVERSE,
	      "default route");
	CHECK(!find_attr(b, n, 12, KEEL_RTA_DST, &vl), "no dst");
	v = find_attr(b, n, 12, KEEL_RTA_GATEWAY, &vl);
	CHECK(v && !memcmp(v, "\x0a\x00\x02\x02", 4), "gateway");
	v = find_attr(b, n, 12, KEEL_RTA_OIF, &vl);
	memcpy(&x, v ? v : (const uint8_t *)"\0\0\0\0", 4);
	CHECK(v && x == 2, "oif");
	n = nl_route(b, sizeof(b), 10, 1, 2, ip("10.9.9.1"), 32, 0,
		     KEEL_RTPROT_DHCP);
	memcpy(&r, b + 16, sizeof(r));
	CHECK(r.rtm_scope == KEEL_RT_SCOPE_LINK && r.rtm_dst_len == 32 &&
		  find_attr(b, n, 12, KEEL_RTA_DST, &vl) &&
		  !find_attr(b, n, 12, KEEL_RTA_GATEWAY, &vl),
	      "on-link host route");
}

/* Appends a message to a datagram under construction. */
static size_t
put_msg(uint8_t *d, size_t off, uint16_t type, const void *p, size_t len)
{
	struct keel_nlmsghdr h = {0};

	h.nlmsg_len = (uint32_t)(16 + len);
	h.nlmsg_type = type;
	h.nlmsg_seq = 5;
	memcpy(d + off, &h, 16);
	memcpy(d + off + 16, p, len);
	return off + KEEL_NLMSG_ALIGN(16 + len);
}

static size_t
put_rta(uint8_t *p, size_t off, uint16_t type, const void *v, size_t len)
{
	struct keel_rtattr a = {(uint16_t)(4 + len), type};

	memcpy(p + off, &a, 4);
	memcpy(p + off + 4, v, len);
	return off + KEEL_RTA_ALIGN(4 + len);
}

/* A RTM_NEWLINK payload: ifinfomsg, name, address. */
static size_t
link_payload(uint8_t *p, int index, const char *name, unsigned type)
{
	struct keel_ifinfomsg i = {0};
	size_t off;

	i.ifi_index = index;
	i.ifi_type = (uint16_t)type;
	i.ifi_flags = KEEL_IFF_UP | KEEL_IFF_LOWER_UP;
	memcpy(p, &i, sizeof(i));
	off = put_rta(p, sizeof(i), KEEL_IFLA_MTU, "\xdc\x05\0\0", 4);
	off = put_rta(p, off, KEEL_IFLA_IFNAME, name, strlen(name) + 1);
	return put_rta(p, off, KEEL_IFLA_ADDRESS, "\x52\x54\x00\x12\x34\x56",
		       6);
}

static void
test_replies(void)
{
	uint8_t d[1024], p[256];
	const uint8_t *pos, *end;
	struct nl_msg m;
	struct nl_link l;
	size_t n = 0, k;
	int err = -1, count = 0;

	k = link_payload(p, 1, "lo", KEEL_ARPHRD_LOOPBACK);
	n = put_msg(d, n, KEEL_RTM_NEWLINK, p, k);
	k = link_payload(p, 2, "eth0", KEEL_ARPHRD_ETHER);
	n = put_msg(d, n, KEEL_RTM_NEWLINK, p, k);
	n = put_msg(d, n, KEEL_NLMSG_DONE, "\0\0\0\0", 4);
	pos = d;
	end = d + n;
	while (nl_next(&pos, end, &m, &e) == 1) {
		count++;
		if (m.type != KEEL_RTM_NEWLINK)
			continue;
		CHECK(nl_link(&m, &l, &e) == 0, "link: %s", e.detail);
		CHECK(l.index == count, "index %d", l.index);
	}
	CHECK(count == 3 && pos == end, "three messages");
	CHECK(!strcmp(l.name, "eth0") && l.type == KEEL_ARPHRD_ETHER &&
		  l.has_mac && l.mac[5] == 0x56 &&
		  (l.flags & KEEL_IFF_LOWER_UP),
	      "eth0");

	/* every cut of the datagram: whole messages, then a refusal */
	for (size_t cut = 0; cut < n; cut++) {
		int rc;
		pos = d;
		end = d + cut;
		while ((rc = nl_next(&pos, end, &m, &e)) == 1) {
			CHECK(m.data + m.len <= end, "cut %zu: message past",
			      cut);
			if (m.type == KEEL_RTM_NEWLINK)
				nl_link(&m, &l, &e);
		}
		CHECK(pos <= end, "cut %zu: position", cut);
	}

	/* ack and error */
	memset(p, 0, 20);
	n = put_msg(d, 0, KEEL_NLMSG_ERROR, p, 20);
	pos = d;
	CHECK(nl_next(&pos, d + n, &m, &e) == 1 &&
		  nl_error(&m, &err, &e) == 0 && err == 0,
	      "ack");
	p[0] = 0xef; /* -17: EEXIST */
	p[1] = p[2] = p[3] = 0xff;
	n = put_msg(d, 0, KEEL_NLMSG_ERROR, p, 20);
	pos = d;
	CHECK(nl_next(&pos, d + n, &m, &e) == 1 &&
		  nl_error(&m, &err, &e) == 0 && err == 17,
	      "EEXIST: %d", err);
	p[0] = 1;
	p[1] = p[2] = p[3] = 0;
	n = put_msg(d, 0, KEEL_NLMSG_ERROR, p, 20);
	pos = d;
	CHECK(nl_next(&pos, d + n, &m, &e) == 1 && nl_error(&m, &err, &e) < 0,
	      "positive error refused");
	n = put_msg(d, 0, KEEL_NLMSG_ERROR, p, 2);
	pos = d;
	CHECK(nl_next(&pos, d + n, &m, &e) == 1 && nl_error(&m, &err, &e) < 0,
	      "short error refused");

	/* lies */
	n = put_msg(d, 0, KEEL_RTM_NEWLINK, p, 4);
	d[0] = 200; /* nlmsg_len past the datagram */
	pos = d;
	CHECK(nl_next(&pos, d + n, &m, &e) < 0, "length past the end");
	d[0] = 8;
	pos = d;
	CHECK(nl_next(&pos, d + n, &m, &e) < 0, "length below a header");
	k = link_payload(p, 2, "eth0", KEEL_ARPHRD_ETHER);
	p[16] = 200; /* the first attribute's length */
	n = put_msg(d, 0, KEEL_RTM_NEWLINK, p, k);
	pos = d;
	CHECK(nl_next(&pos, d + n, &m, &e) == 1 && nl_link(&m, &l, &e) < 0 &&
		  strstr(e.detail, "attribute"),
	      "attribute past the message");
	p[16] = 2;
	pos = d;
	n = put_msg(d, 0, KEEL_RTM_NEWLINK, p, k);
	CHECK(nl_next(&pos, d + n, &m, &e) == 1 && nl_link(&m, &l, &e) < 0,
	      "attribute shorter than its header");
	{
		struct keel_ifinfomsg i = {0};
		i.ifi_index = 4;
		memcpy(p, &i, sizeof(i));
		k = put_rta(p, sizeof(i), KEEL_IFLA_IFNAME, "eth\0", 3);
		n = put_msg(d, 0, KEEL_RTM_NEWLINK, p, k);
		pos = d;
		CHECK(nl_next(&pos, d + n, &m, &e) == 1 &&
			  nl_link(&m, &l, &e) < 0,
		      "name without NUL");
		k = put_rta(p, sizeof(i), KEEL_IFLA_IFNAME, "e/0", 4);
		n = put_msg(d, 0, KEEL_RTM_NEWLINK, p, k);
		pos = d;
		CHECK(nl_next(&pos, d + n, &m, &e) == 1 &&
			  nl_link(&m, &l, &e) < 0,
		      "name with a slash");
		k = put_rta(p, sizeof(i), KEEL_IFLA_MTU, "\0\0\0\0", 4);
		n = put_msg(d, 0, KEEL_RTM_NEWLINK, p, k);
		pos = d;
		CHECK(nl_next(&pos, d + n, &m, &e) == 1 &&
			  nl_link(&m, &l, &e) < 0 &&
			  strstr(e.detail, "no name"),
		      "no name");
		i.ifi_index = 0;
		memcpy(p, &i, sizeof(i));
		n = put_msg(d, 0, KEEL_RTM_NEWLINK, p, sizeof(i));
		pos = d;
		CHECK(nl_next(&pos, d + n, &m, &e) == 1 &&
			  nl_link(&m, &l, &e) < 0,
		      "index 0");
		n = put_msg(d, 0, KEEL_RTM_NEWADDR, p, sizeof(i));
		pos = d;
		CHECK(nl_next(&pos, d + n, &m, &e) == 1 &&
			  nl_link(&m, &l, &e) < 0,
		      "not a link message");
	}
}

int
main(void)
{
	test_requests();
	test_replies();
	return unit_done("nl");
}
