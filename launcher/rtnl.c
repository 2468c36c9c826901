// SPDX-License-Identifier: MIT
/* keel net's rtnetlink: links, addresses and routes, no ip binary. */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "compat/linux_netlink.h"
#include "launcher/net.h"

static int
nl_socket(uint32_t groups, int flags)
{
	struct keel_sockaddr_nl sa = {0};
	struct timeval tv = {1, 0};
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | flags,
			KEEL_NETLINK_ROUTE);

	if (fd < 0)
		return -1;
	sa.nl_family = AF_NETLINK;
	sa.nl_groups = groups;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

int
rtnl_open(struct rtnl *r)
{
	r->seq = (uint32_t)net_now_ms();
	r->req = nl_socket(0, 0);
	r->mon = nl_socket(KEEL_RTMGRP_LINK, SOCK_NONBLOCK);
	if (r->req < 0 || r->mon < 0)
		return -1;
	return 0;
}

/*
 * Reads datagrams from fd until the reply to seq ends: its ack (0, or -1
 * with errno = the kernel's error) or, for a dump, NLMSG_DONE; link
 * messages on the way go to fn. A malformed datagram is an EPROTO.
 */
static int
wait_reply(int fd, uint32_t seq, rtnl_link_fn fn, void *ctx)
{
	static uint8_t buf[NL_RECV_MAX];
	struct kerr e = {0};

	for (;;) {
		ssize_t n = recv(fd, buf, sizeof(buf), 0);
		const uint8_t *pos = buf;
		struct nl_msg m;
		struct nl_link l;
		int rc, err;

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n == 0 ? (errno = EPROTO, -1) : -1;
		while ((rc = nl_next(&pos, buf + n, &m, &e)) == 1) {
			if (m.seq != seq)
				continue;
			if (m.type == KEEL_NLMSG_DONE)
				return 0;
			if (m.type == KEEL_NLMSG_ERROR) {
				if (nl_error(&m, &err, &e) < 0)
					return errno = EPROTO, -1;
				return err ? (errno = err, -1) : 0;
			}
			if (fn && nl_link(&m, &l, &e) == 0)
				fn(&l, 0, ctx);
		}
		if (rc < 0) {
			net_say("netlink: %s", e.detail);
			return errno = EPROTO, -1;
		}
	}
}

static int
request(struct rtnl *r, uint8_t *req, size_t len, rtnl_link_fn fn, void *ctx)
{
	struct keel_sockaddr_nl to = {0};

	if (!len)
		return errno = EINVAL, -1;
	to.nl_family = AF_NETLINK;
	if (sendto(r->req, req, len, 0, (struct sockaddr *)&to, sizeof(to)) !=
	    (ssize_t)len)
		return -1;
	return wait_reply(r->req, r->seq, fn, ctx);
}

/* Links of a dump, kept until it ends: fn may make requests of its own
 * on the same socket, which must not come while the dump is read. */
#define DUMP_MAX 64
static struct nl_link dumped[DUMP_MAX];
static unsigned ndumped;

static void
keep(const struct nl_link *l, int gone, void *ctx)
{
	(void)gone;
	(void)ctx;
	if (ndumped < DUMP_MAX)
		dumped[ndumped++] = *l;
}

int
rtnl_links(struct rtnl *r, rtnl_link_fn fn, void *ctx)
{
	uint8_t req[NL_REQ_MAX];

	ndumped = 0;
	if (request(r, req, nl_get_links(req, sizeof(req), ++r->seq), keep,
		    NULL) < 0)
		return -1;
	for (unsigned i = 0; i < ndumped; i++)
		fn(&dumped[i], 0, ctx);
	return 0;
}

int
rtnl_events(struct rtnl *r, rtnl_link_fn fn, void *ctx)
{
	static uint8_t buf[NL_RECV_MAX];
	struct kerr e = {0};
	ssize_t n;

	while ((n = recv(r->mon, buf, sizeof(buf), MSG_DONTWAIT)) > 0) {
		const uint8_t *pos = buf;
		struct nl_msg m;
		struct nl_link l;
		int rc;

		while ((rc = nl_next(&pos, buf + n, &m, &e)) == 1)
			if (nl_link(&m, &l, &e) == 0)
				fn(&l, m.type == KEEL_RTM_DELLINK, ctx);
		if (rc < 0)
			net_say("netlink: notification: %s", e.detail);
	}
	if (n < 0 && errno == ENOBUFS) {
		/* notifications were lost: read the whole table again */
		net_say("netlink: notifications lost, reading the links");
		return rtnl_links(r, fn, ctx);
	}
	return 0;
}

int
rtnl_up(struct rtnl *r, int ifindex)
{
	uint8_t req[NL_REQ_MAX];

	return request(r, req, nl_link_up(req, sizeof(req), ++r->seq, ifindex),
		       NULL, NULL);
}

int
rtnl_addr(struct rtnl *r, int add, int ifindex, uint32_t addr, unsigned prefix,
	  uint32_t valid_s, uint32_t preferred_s)
{
	uint8_t req[NL_REQ_MAX];

	return request(r, req,
		       nl_addr(req, sizeof(req), ++r->seq, add, ifindex, addr,
			       prefix, valid_s, preferred_s),
		       NULL, NULL);
}

int
rtnl_route(struct rtnl *r, int add, int ifindex, uint32_t dst, unsigned dst_len,
	   uint32_t gw, uint8_t proto)
{
	uint8_t req[NL_REQ_MAX];

	return request(r, req,
		       nl_route(req, sizeof(req), ++r->seq, add, ifindex, dst,
				dst_len, gw, proto),
		       NULL, NULL);
}
