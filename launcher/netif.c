// SPDX-License-Identifier: MIT
/* keel net's interfaces: links, their addresses and routes, DHCP on them. */
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include "compat/linux_netlink.h"
#include "launcher/net.h"

/* --- addresses and routes --------------------------------------------------
 */

static void
unconfigure(struct netif *f)
{
	char a[NETADDR_TEXT];

	if (f->gw &&
	    rtnl_route(&net.rt, 0, f->index, 0, 0, f->gw, KEEL_RTPROT_DHCP) <
		0 &&
	    errno != ESRCH)
		net_say("%s: remove the default route: %s", f->cf.name,
			strerror(errno));
	if (f->addr &&
	    rtnl_addr(&net.rt, 0, f->index, f->addr, f->prefix, 0, 0) < 0 &&
	    errno != EADDRNOTAVAIL)
		net_say("%s: remove %s: %s", f->cf.name, net_ip(f->addr, a),
			strerror(errno));
	f->addr = f->gw = 0;
	net.changed = 1;
}

/* addr/prefix on f, and the default route via gw (0: none). */
static int
configure_addr(struct netif *f, uint32_t addr, unsigned prefix, uint32_t gw,
	       uint32_t life_s, uint8_t proto)
{
	char a[NETADDR_TEXT];

	if (rtnl_addr(&net.rt, 1, f->index, addr, prefix, life_s, life_s) < 0)
		return net_say("%s: add %s/%u: %s", f->cf.name, net_ip(addr, a),
			       prefix, strerror(errno)),
		       -1;
	f->addr = addr;
	f->prefix = prefix;
	net.changed = 1;
	if (!gw)
		return 0;
	/* A router outside the subnet is reached on the link itself. */
	if ((gw & netaddr_mask(prefix)) != (addr & netaddr_mask(prefix)) &&
	    rtnl_route(&net.rt, 1, f->index, gw, 32, 0, proto) < 0)
		net_say("%s: route to the router: %s", f->cf.name,
			strerror(errno));
	if (rtnl_route(&net.rt, 1, f->index, 0, 0, gw, proto) < 0)
		return net_say("%s: default route via %s: %s", f->cf.name,
			       net_ip(gw, a), strerror(errno)),
		       -1;
	f->gw = gw;
	return 0;
}

static void
lease_bound(struct netif *f)
{
	const struct dhcp_lease *l = &f->dc.lease;
	char a[NETADDR_TEXT], g[NETADDR_TEXT], s[NETADDR_TEXT];
	uint32_t life =
	    l->lease_s == DHCP_LEASE_INFINITE ? NL_FOREVER : l->lease_s;

	if (f->addr && (f->addr != l->addr || f->prefix != l->prefix))
		unconfigure(f);
	if (configure_addr(f, l->addr, l->prefix, l->router, life,
			   KEEL_RTPROT_DHCP) < 0)
		return;
	net_say("%s: %s/%u%s%s, lease %u s from %s; %llu ms after keel net "
		"started, %llu ms after the link came up",
		f->cf.name, net_ip(l->addr, a), l->prefix,
		l->router ? " via " : "", l->router ? net_ip(l->router, g) : "",
		l->lease_s, net_ip(l->server_id, s),
		(unsigned long long)(net_now_ms() - net.t0_ms),
		(unsigned long long)(net_now_ms() - f->up_ms));
}

static void
dhcp_event(struct netif *f, int ev)
{
	char a[NETADDR_TEXT];
	const struct dhcp_lease *l = &f->dc.lease;

	net.changed = 1;
	if (ev == DHCPC_EV_BOUND) {
		lease_bound(f);
	} else if (ev == DHCPC_EV_RENEWED) {
		if (rtnl_addr(&net.rt, 1, f->index, l->addr, l->prefix,
			      l->lease_s, l->lease_s) < 0)
			net_say("%s: renew %s: %s", f->cf.name,
				net_ip(l->addr, a), strerror(errno));
	} else if (ev == DHCPC_EV_LOST) {
		net_say("%s: lease of %s ended", f->cf.name,
			net_ip(l->addr, a));
		unconfigure(f);
	}
}

/* --- DHCP ------------------------------------------------------------------
 */

static int
dhcp_socket(const char *ifname)
{
	struct sockaddr_in sa = {0};
	int one = 1,
	    fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

	if (fd < 0)
		return -1;
	sa.sin_family = AF_INET;
	sa.sin_port = htons(DHCP_CLIENT_PORT);
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_BROADCAST, &one, sizeof(one)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, ifname,
		       (socklen_t)strlen(ifname) + 1) < 0 ||
	    bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int err = errno;
		close(fd);
		errno = err;
		return -1;
	}
	return fd;
}

static void
dhcp_out(struct netif *f, const struct dhcpc_out *o)
{
	struct sockaddr_in to = {0};

	if (o->len) {
		to.sin_family = AF_INET;
		to.sin_port = htons(DHCP_SERVER_PORT);
		to.sin_addr.s_addr = o->dst;
		if (sendto(f->fd, o->pkt, o->len, 0, (struct sockaddr *)&to,
			   sizeof(to)) < 0)
			net_say("%s: dhcp: send: %s", f->cf.name,
				strerror(errno));
	}
	if (o->event != DHCPC_EV_NONE)
		dhcp_event(f, o->event);
}

/* (Re)starts the client: at first carrier, and when it comes back. */
static void
dhcp_start(struct netif *f)
{
	uint32_t seed = 0;

	if (f->fd < 0 && (f->fd = dhcp_socket(f->cf.name)) < 0) {
		net_say("%s: dhcp: socket: %s", f->cf.name, strerror(errno));
		return;
	}
	if (getrandom(&seed, sizeof(seed), GRND_INSECURE) !=
	    (ssize_t)sizeof(seed))
		seed = (uint32_t)net_now_ms();
	dhcpc_init(&f->dc, f->mac, net.conf.hostname, seed, f->addr,
		   net_now_ms());
	net.changed = 1;
}

void
netif_dhcp_input(struct netif *f)
{
	static uint8_t buf[DHCP_PKT_MAX + 1];
	static struct dhcpc_out o;
	struct sockaddr_in from;
	socklen_t fl = sizeof(from);
	ssize_t n;

	while ((n = recvfrom(f->fd, buf, sizeof(buf), 0,
			     (struct sockaddr *)&from, &fl)) >= 0) {
		if (from.sin_port != htons(DHCP_SERVER_PORT) ||
		    n > DHCP_PKT_MAX)
			continue;
		dhcpc_input(&f->dc, buf, (size_t)n, net_now_ms(), &o);
		dhcp_out(f, &o);
		fl = sizeof(from);
	}
}

void
netif_dhcp_timers(uint64_t now)
{
	static struct dhcpc_out o;

	for (unsigned i = 0; i < net.n; i++) {
		struct netif *f = &net.ifs[i];
		if (f->fd < 0 || dhcpc_next(&f->dc) > now)
			continue;
		dhcpc_timeout(&f->dc, now, &o);
		dhcp_out(f, &o);
	}
}

/* --- links ------------------------------------------------------------------
 */

static struct netif *
find_if(const struct nl_link *l)
{
	for (unsigned i = 0; i < net.n; i++)
		if (!strcmp(net.ifs[i].cf.name, l->name))
			return &net.ifs[i];
	/* no if. line: the first Ethernet link that shows up */
	if (net.auto_if && net.n == 0 && l->type == KEEL_ARPHRD_ETHER &&
	    l->has_mac) {
		struct netif *f = &net.ifs[net.n++];
		memset(f, 0, sizeof(*f));
		snprintf(f->cf.name, sizeof(f->cf.name), "%s", l->name);
		f->cf.mode = NETCONF_DHCP;
		f->fd = -1;
		return f;
	}
	return NULL;
}

static void
link_gone(struct netif *f)
{
	net_say("%s: gone", f->cf.name);
	if (f->fd >= 0)
		close(f->fd);
	f->fd = -1;
	f->index = 0;
	f->flags = 0;
	f->addr = f->gw = 0; /* the kernel took them with the link */
	net.changed = 1;
}

static void
link_found(struct netif *f, const struct nl_link *l)
{
	char a[NETADDR_TEXT];

	f->index = l->index;
	memcpy(f->mac, l->mac, 6);
	net_say("%s: %s", f->cf.name,
		f->cf.mode == NETCONF_OFF ? "left down (off)" : "bringing up");
	if (f->cf.mode == NETCONF_OFF)
		return;
	if (rtnl_up(&net.rt, f->index) < 0)
		net_say("%s: up: %s", f->cf.name, strerror(errno));
	if (f->cf.mode == NETCONF_STATIC &&
	    configure_addr(f, f->cf.addr, f->cf.prefix, f->cf.gw, NL_FOREVER,
			   KEEL_RTPROT_STATIC) == 0)
		net_say("%s: static %s/%u", f->cf.name, net_ip(f->cf.addr, a),
			f->cf.prefix);
	net.changed = 1;
}

void
netif_on_link(const struct nl_link *l, int gone, void *ctx)
{
	const unsigned carrier = KEEL_IFF_UP | KEEL_IFF_LOWER_UP;
	struct netif *f;
	unsigned was;

	(void)ctx;
	if (l->type == KEEL_ARPHRD_LOOPBACK || (l->flags & KEEL_IFF_LOOPBACK)) {
		/* loopback is always up: the app may listen on 127.0.0.1 */
		if (!gone && !(l->flags & KEEL_IFF_UP) &&
		    rtnl_up(&net.rt, l->index) < 0)
			net_say("%s: up: %s", l->name, strerror(errno));
		return;
	}
	f = find_if(l);
	if (!f || (gone && f->index != l->index))
		return;
	if (gone) {
		link_gone(f);
		return;
	}
	if (!f->index)
		link_found(f, l);
	was = f->flags;
	f->flags = l->flags;
	if ((f->flags & carrier) == carrier && (was & carrier) != carrier) {
		f->up_ms = net_now_ms();
		net.changed = 1;
		if (f->cf.mode == NETCONF_DHCP)
			dhcp_start(f);
	} else if ((was & carrier) == carrier &&
		   (f->flags & carrier) != carrier) {
		net_say("%s: no carrier", f->cf.name);
		net.changed = 1;
	}
}

void
netif_release(struct netif *f)
{
	static struct dhcpc_out o;
	char a[NETADDR_TEXT];

	if (f->fd < 0 || f->cf.mode != NETCONF_DHCP)
		return;
	dhcpc_release(&f->dc, &o);
	if (!o.len)
		return;
	dhcp_out(f, &o);
	net_say("%s: lease of %s released", f->cf.name,
		net_ip(f->dc.lease.addr, a));
}
