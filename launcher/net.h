/* SPDX-License-Identifier: MIT */
/* keel net, the network agent: its parts (cmd_net.c, rtnl.c, sntpc.c). */
#ifndef KEEL_NET_H
#define KEEL_NET_H

#include <stdint.h>

#include "lib/net/dhcp_client.h"
#include "lib/net/netconf.h"
#include "lib/net/nl.h"

/* getrandom(2) that never waits for the kernel's entropy at early boot
 * (5.6+): DHCP xids and SNTP nonces need unpredictable, not secret. */
#ifndef GRND_INSECURE
#define GRND_INSECURE 0x0004
#endif

/* One line to stderr (keel-init's log, tagged "net"). */
void net_say(const char *fmt, ...) __attribute__((format(__printf__, 1, 2)));
/* Monotonic milliseconds. */
uint64_t net_now_ms(void);
/* addr as text in buf (NETADDR_TEXT bytes); returns buf. */
const char *net_ip(uint32_t addr, char *buf);

/* --- rtnetlink (rtnl.c) --------------------------------------------------
 * Requests go on their own socket and wait (at most a second) for the
 * kernel's ack; link notifications come on a second socket, read when
 * poll says so. Functions return 0 or -1 with errno set. */
struct rtnl {
	int req; /* requests and their acks */
	int mon; /* RTMGRP_LINK notifications, non-blocking */
	uint32_t seq;
};
typedef void (*rtnl_link_fn)(const struct nl_link *l, int gone, void *ctx);

int rtnl_open(struct rtnl *r);
/* Every link now (a dump), then rtnl_events() for the changes. */
int rtnl_links(struct rtnl *r, rtnl_link_fn fn, void *ctx);
int rtnl_events(struct rtnl *r, rtnl_link_fn fn, void *ctx);
int rtnl_up(struct rtnl *r, int ifindex);
int rtnl_addr(struct rtnl *r, int add, int ifindex, uint32_t addr,
	      unsigned prefix, uint32_t valid_s, uint32_t preferred_s);
int rtnl_route(struct rtnl *r, int add, int ifindex, uint32_t dst,
	       unsigned dst_len, uint32_t gw, uint8_t proto);

/* --- SNTP (sntpc.c) ------------------------------------------------------
 * Asks one server at a time, steps or slews the clock (CAP_SYS_TIME),
 * never below the floor (the image's build time). */
#define SNTPC_SERVERS 8

struct sntpc {
	int fd; /* the request in flight, or -1 */
	int64_t floor_s;
	unsigned n;
	struct netconf_server srv[SNTPC_SERVERS];
	uint8_t denied[SNTPC_SERVERS]; /* a kiss-o'-death said DENY */
	unsigned cur;		       /* the server asked */
	uint64_t nonce;
	int64_t t1_ns;
	uint64_t next_ms, deadline_ms;
	uint32_t interval_s; /* between syncs */
	uint32_t retry_s;    /* after a round without an answer */
	int synced;	     /* an answer was taken (and, unless
			      * measure_only, the clock set) */
	int measure_only;    /* --clock measure: never set the clock */
	char state[16];	     /* "no-server", "waiting", "synced", ... */
	char server[NETADDR_NAME_MAX + 8];
	int64_t offset_ms;
	int64_t last_s; /* Unix time of the last sync */
};

void sntpc_init(struct sntpc *s, int64_t floor_s, int measure_only);
/* Sets the server list; a new list starts asking at once. */
void sntpc_servers(struct sntpc *s, const struct netconf_server *srv,
		   unsigned n, int online);
/* The fd to poll (or -1) and when sntpc_tick() must run next. */
int sntpc_fd(const struct sntpc *s);
uint64_t sntpc_next(const struct sntpc *s);
/* Sends, times out, reads a reply, sets the clock. 1 if the status
 * changed. */
int sntpc_tick(struct sntpc *s, uint64_t now_ms);
int sntpc_input(struct sntpc *s, uint64_t now_ms);

/* --- interfaces (netif.c) --------------------------------------------------
 */
/* One interface keel net manages. */
struct netif {
	struct netconf_if cf;
	int index; /* 0: not there (yet) */
	unsigned flags;
	uint8_t mac[6];
	int fd; /* its DHCP socket, or -1 */
	struct dhcpc dc;
	uint32_t addr, gw; /* what is configured now */
	unsigned prefix;
	uint64_t up_ms; /* when its link came up (the log's timing) */
};

/* The agent's state (cmd_net.c). */
struct net_agent {
	struct netconf conf;
	int auto_if; /* no if. line: DHCP on the first Ethernet link */
	unsigned n;
	struct netif ifs[NETCONF_IF_MAX];
	struct rtnl rt;
	struct sntpc sn;
	int status_fd;
	const char *resolv;
	char resolv_text[1024]; /* what the file holds */
	char dns_text[64];	/* its servers, for the status */
	int changed;	/* status, resolv.conf and NTP servers to refresh */
	uint64_t t0_ms; /* when it started */
};
extern struct net_agent net;

/* A link appeared, changed or went (rtnl_link_fn): loopback up; the
 * configured (or first Ethernet) interfaces up, static addresses, DHCP
 * from the first carrier. */
void netif_on_link(const struct nl_link *l, int gone, void *ctx);
/* DHCP: a socket is readable; timers that are due; the end (RELEASE). */
void netif_dhcp_input(struct netif *f);
void netif_dhcp_timers(uint64_t now_ms);
void netif_release(struct netif *f);

/* Remote syslog (netlog.c): keel-init's log stream on fd (-1: none),
 * closed at once without network.conf's syslog=; the fd to poll (-1:
 * none yet: no address up and not NETLOG_WAIT_MS since the start), when
 * the loop must wake for it, and what to do when it is readable. */
void netlog_init(int fd);
int netlog_fd(int online);
uint64_t netlog_next(uint64_t now_ms);
void netlog_input(void);

#endif
