// SPDX-License-Identifier: MIT
/* rtnetlink: the requests keel net makes, and a strict reader of replies. */
#include <string.h>
#include <sys/socket.h>

#include "compat/linux_netlink.h"
#include "lib/net/netaddr.h"
#include "lib/net/nl.h"

/* Starts a request of type with a family header of hlen bytes. */
static size_t
begin(uint8_t *buf, size_t cap, uint16_t type, uint16_t flags, uint32_t seq,
      const void *hdr, size_t hlen)
{
	struct keel_nlmsghdr h = {0};
	size_t len = KEEL_NLMSG_HDRLEN + KEEL_NLMSG_ALIGN(hlen);

	if (cap < NL_REQ_MAX || len > cap)
		return 0;
	memset(buf, 0, len);
	h.nlmsg_len = (uint32_t)len;
	h.nlmsg_type = type;
	h.nlmsg_flags = (uint16_t)(KEEL_NLM_F_REQUEST | flags);
	h.nlmsg_seq = seq;
	memcpy(buf, &h, sizeof(h));
	memcpy(buf + KEEL_NLMSG_HDRLEN, hdr, hlen);
	return len;
}

/* Appends one attribute; the caller sized buf (NL_REQ_MAX). */
static size_t
attr(uint8_t *buf, size_t len, uint16_t type, const void *v, size_t vlen)
{
	struct keel_rtattr a = {(uint16_t)(sizeof(a) + vlen), type};
	size_t add = KEEL_RTA_ALIGN(sizeof(a) + vlen);
	uint32_t total;

	if (!len || len + add > NL_REQ_MAX)
		return 0;
	memset(buf + len, 0, add);
	memcpy(buf + len, &a, sizeof(a));
	memcpy(buf + len + sizeof(a), v, vlen);
	len += add;
	total = (uint32_t)len;
	memcpy(buf, &total, 4); /* nlmsg_len */
	return len;
}

size_t
nl_link_up(uint8_t *buf, size_t cap, uint32_t seq, int ifindex)
{
	struct keel_ifinfomsg i = {0};

	i.ifi_family = AF_UNSPEC;
	i.ifi_index = ifindex;
	i.ifi_flags = KEEL_IFF_UP;
	i.ifi_change = KEEL_IFF_UP;
	return begin(buf, cap, KEEL_RTM_NEWLINK, KEEL_NLM_F_ACK, seq, &i,
		     sizeof(i));
}

size_t
nl_get_links(uint8_t *buf, size_t cap, uint32_t seq)
{
	struct keel_ifinfomsg i = {0};

	i.ifi_family = AF_UNSPEC;
	return begin(buf, cap, KEEL_RTM_GETLINK, KEEL_NLM_F_DUMP, seq, &i,
		     sizeof(i));
}

size_t
nl_addr(uint8_t *buf, size_t cap, uint32_t seq, int add, int ifindex,
	uint32_t addr, unsigned prefix, uint32_t valid_s, uint32_t pref_s)
{
	struct keel_ifaddrmsg a = {0};
	struct keel_ifa_cacheinfo ci = {0};
	uint32_t brd = addr | ~netaddr_mask(prefix);
	size_t len;

	if (prefix > 32)
		return 0;
	a.ifa_family = AF_INET;
	a.ifa_prefixlen = (uint8_t)prefix;
	a.ifa_scope = KEEL_RT_SCOPE_UNIVERSE;
	a.ifa_index = (uint32_t)ifindex;
	len = begin(buf, cap, add ? KEEL_RTM_NEWADDR : KEEL_RTM_DELADDR,
		    KEEL_NLM_F_ACK |
			(add ? KEEL_NLM_F_CREATE | KEEL_NLM_F_REPLACE : 0),
		    seq, &a, sizeof(a));
	len = attr(buf, len, KEEL_IFA_LOCAL, &addr, 4);
	len = attr(buf, len, KEEL_IFA_ADDRESS, &addr, 4);
	if (add && prefix < 31)
		len = attr(buf, len, KEEL_IFA_BROADCAST, &brd, 4);
	if (add && valid_s != NL_FOREVER) {
		ci.ifa_valid = valid_s;
		ci.ifa_prefered = pref_s < valid_s ? pref_s : valid_s;
		len = attr(buf, len, KEEL_IFA_CACHEINFO, &ci, sizeof(ci));
	}
	return len;
}

size_t
nl_route(uint8_t *buf, size_t cap, uint32_t seq, int add, int ifindex,
	 uint32_t dst, unsigned dst_len, uint32_t gw, uint8_t proto)
{
	struct keel_rtmsg r = {0};
	uint32_t oif = (uint32_t)ifindex;
	size_t len;

	if (dst_len > 32)
		return 0;
	r.rtm_family = AF_INET;
	r.rtm_dst_len = (uint8_t)dst_len;
	r.rtm_table = KEEL_RT_TABLE_MAIN;
	r.rtm_protocol = proto;
	r.rtm_scope = gw ? KEEL_RT_SCOPE_UNIVERSE : KEEL_RT_SCOPE_LINK;
	r.rtm_type = KEEL_RTN_UNICAST;
	len = begin(buf, cap, add ? KEEL_RTM_NEWROUTE : KEEL_RTM_DELROUTE,
		    KEEL_NLM_F_ACK |
			(add ? KEEL_NLM_F_CREATE | KEEL_NLM_F_REPLACE : 0),
		    seq, &r, sizeof(r));
	if (dst_len)
		len = attr(buf, len, KEEL_RTA_DST, &dst, 4);
	if (gw)
		len = attr(buf, len, KEEL_RTA_GATEWAY, &gw, 4);
	return attr(buf, len, KEEL_RTA_OIF, &oif, 4);
}

int
nl_next(const uint8_t **pos, const uint8_t *end, struct nl_msg *m,
	struct kerr *e)
{
	struct keel_nlmsghdr h;
	size_t left = (size_t)(end - *pos);

	if (left == 0)
		return 0;
	if (left < KEEL_NLMSG_HDRLEN)
		return kerr_set(e, "netlink", "%zu bytes: no header", left);
	memcpy(&h, *pos, sizeof(h));
	if (h.nlmsg_len < KEEL_NLMSG_HDRLEN || h.nlmsg_len > left)
		return kerr_set(e, "netlink", "message length %u of %zu",
				h.nlmsg_len, left);
	m->type = h.nlmsg_type;
	m->flags = h.nlmsg_flags;
	m->seq = h.nlmsg_seq;
	m->data = *pos + KEEL_NLMSG_HDRLEN;
	m->len = h.nlmsg_len - KEEL_NLMSG_HDRLEN;
	/* The next one starts aligned; the last may end unpadded. */
	if (KEEL_NLMSG_ALIGN(h.nlmsg_len) >= left)
		*pos = end;
	else
		*pos += KEEL_NLMSG_ALIGN(h.nlmsg_len);
	return 1;
}

int
nl_error(const struct nl_msg *m, int *err, struct kerr *e)
{
	int v;

	if (m->type != KEEL_NLMSG_ERROR || m->len < sizeof(int))
		return kerr_set(e, "netlink", "not an error message");
	memcpy(&v, m->data, sizeof(v));
	if (v > 0 || v < -4095)
		return kerr_set(e, "netlink", "error code %d", v);
	*err = -v;
	return 0;
}

int
nl_link(const struct nl_msg *m, struct nl_link *l, struct kerr *e)
{
	struct keel_ifinfomsg i;
	size_t off = KEEL_NLMSG_ALIGN(sizeof(i));
	int named = 0;

	memset(l, 0, sizeof(*l));
	if ((m->type != KEEL_RTM_NEWLINK && m->type != KEEL_RTM_DELLINK) ||
	    m->len < sizeof(i))
		return kerr_set(e, "netlink", "not a link message");
	memcpy(&i, m->data, sizeof(i));
	if (i.ifi_index <= 0)
		return kerr_set(e, "netlink", "link index %d", i.ifi_index);
	l->index = i.ifi_index;
	l->type = i.ifi_type;
	l->flags = i.ifi_flags;
	while (off + sizeof(struct keel_rtattr) <= m->len) {
		struct keel_rtattr a;
		const uint8_t *v = m->data + off + sizeof(a);
		size_t vl;

		memcpy(&a, m->data + off, sizeof(a));
		if (a.rta_len < sizeof(a) || a.rta_len > m->len - off)
			return kerr_set(e, "netlink", "attribute length %u",
					a.rta_len);
		vl = a.rta_len - sizeof(a);
		a.rta_type &= 0x3fff; /* without NLA_F_NESTED, _NET_BYTEORDER */
		if (a.rta_type == KEEL_IFLA_IFNAME) {
			size_t n = strnlen((const char *)v, vl);
			if (n == 0 || n == vl || n > NL_IFNAME_MAX)
				return kerr_set(e, "netlink", "bad link name");
			for (size_t k = 0; k < n; k++)
				if (v[k] <= ' ' || v[k] > '~' || v[k] == '/')
					return kerr_set(e, "netlink",
							"bad link name");
			memcpy(l->name, v, n);
			l->name[n] = 0;
			named = 1;
		} else if (a.rta_type == KEEL_IFLA_ADDRESS && vl == 6) {
			memcpy(l->mac, v, 6);
			l->has_mac = 1;
		}
		off += KEEL_RTA_ALIGN(a.rta_len);
	}
	if (!named)
		return kerr_set(e, "netlink", "link %d has no name", l->index);
	return 0;
}
