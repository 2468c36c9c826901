/* SPDX-License-Identifier: MIT */
/* rtnetlink: the requests keel net makes, and a strict reader of replies. */
#ifndef KEEL_NL_H
#define KEEL_NL_H

#include <stddef.h>
#include <stdint.h>

#include "lib/base/err.h"

/*
 * Requests are written into a caller's buffer (NL_REQ_MAX bytes always
 * suffice) and ask for an ack (NLM_F_ACK). Replies and notifications are
 * read one datagram at a time into a buffer of NL_RECV_MAX bytes and
 * walked with nl_next(); every length is checked against what is left,
 * so a short or lying message is refused, never read past.
 */
#define NL_REQ_MAX 128
#define NL_RECV_MAX 32768
#define NL_IFNAME_MAX 15
#define NL_FOREVER 0xffffffffu /* an address's lifetime: permanent */

/* RTM_NEWLINK setting IFF_UP on ifindex. */
size_t nl_link_up(uint8_t *buf, size_t cap, uint32_t seq, int ifindex);
/* RTM_GETLINK, a dump of every link. */
size_t nl_get_links(uint8_t *buf, size_t cap, uint32_t seq);
/*
 * RTM_NEWADDR (add, replacing one that is there: new lifetimes) or
 * RTM_DELADDR of addr/prefix on ifindex, with the broadcast address of
 * the prefix; lifetimes in seconds (NL_FOREVER: permanent).
 */
size_t nl_addr(uint8_t *buf, size_t cap, uint32_t seq, int add, int ifindex,
	       uint32_t addr, unsigned prefix, uint32_t valid_s,
	       uint32_t preferred_s);
/*
 * RTM_NEWROUTE (create or replace) or RTM_DELROUTE in the main table:
 * dst/dst_len via gw (0: on the link itself) out of ifindex, with the
 * given protocol (RTPROT_DHCP, RTPROT_STATIC).
 */
size_t nl_route(uint8_t *buf, size_t cap, uint32_t seq, int add, int ifindex,
		uint32_t dst, unsigned dst_len, uint32_t gw, uint8_t proto);

struct nl_msg {
	uint16_t type, flags;
	uint32_t seq;
	const uint8_t *data; /* the payload after the header */
	size_t len;
};

/* The next message of a datagram: 1 (m filled), 0 (end), -1 (bad). */
int nl_next(const uint8_t **pos, const uint8_t *end, struct nl_msg *m,
	    struct kerr *e);

/* NLMSG_ERROR: *err = 0 for an ack, else a positive errno. 0 or -1. */
int nl_error(const struct nl_msg *m, int *err, struct kerr *e);

struct nl_link {
	int index;
	unsigned type;	/* ARPHRD_* */
	unsigned flags; /* IFF_* */
	char name[NL_IFNAME_MAX + 1];
	uint8_t mac[6];
	int has_mac; /* a 6-byte hardware address was given */
};

/*
 * RTM_NEWLINK or RTM_DELLINK: index > 0, a name of 1..15 printable
 * bytes (IFLA_IFNAME, required), the hardware address if 6 bytes.
 * 0 or -1.
 */
int nl_link(const struct nl_msg *m, struct nl_link *l, struct kerr *e);

#endif
