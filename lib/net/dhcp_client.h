/* SPDX-License-Identifier: MIT */
/* A DHCPv4 client's state machine (RFC 2131 §4.4), without any I/O. */
#ifndef KEEL_DHCP_CLIENT_H
#define KEEL_DHCP_CLIENT_H

#include <stdint.h>

#include "lib/net/dhcp.h"

/*
 * The caller owns the sockets and the clock (ms, monotonic): it calls
 * dhcpc_timeout() when dhcpc_next() has come and dhcpc_input() with each
 * datagram from port 67, and after each sends o->pkt (if o->len) to
 * o->dst (broadcast, or the server's address) and acts on o->event.
 * Retransmissions back off from 4 s to 64 s with up to 1 s of jitter;
 * renewals go to the server at T1, rebinding to everyone at T2, and the
 * lease ends at its expiry. Times are from the first transmission of
 * the REQUEST that was acknowledged, as the RFC says.
 */
enum dhcpc_state {
	DHCPC_INIT,	  /* about to DISCOVER */
	DHCPC_SELECTING,  /* DISCOVER sent, waiting for an OFFER */
	DHCPC_REQUESTING, /* REQUEST for an OFFER sent, waiting for ACK */
	DHCPC_BOUND,
	DHCPC_RENEWING,	 /* T1 passed: REQUEST to the server */
	DHCPC_REBINDING, /* T2 passed: REQUEST to everyone */
	DHCPC_STOPPED,	 /* released */
};

enum dhcpc_event {
	DHCPC_EV_NONE,
	DHCPC_EV_BOUND,	  /* a new lease: configure c->lease */
	DHCPC_EV_RENEWED, /* the same address, new times: refresh it */
	DHCPC_EV_LOST,	  /* expired or refused: remove c->lease's address */
};

struct dhcpc_out {
	size_t len;   /* bytes of pkt to send; 0: nothing */
	uint32_t dst; /* network order; 0xffffffff: broadcast */
	int event;    /* enum dhcpc_event */
	uint8_t pkt[400];
};

struct dhcpc {
	int state;
	uint8_t mac[6];
	char hostname[DHCP_HOSTNAME_MAX + 1];
	uint32_t xid;
	uint32_t rnd;		 /* xorshift state: xids, jitter */
	uint64_t next_ms;	 /* the next timeout */
	uint64_t began_ms;	 /* start of this exchange (secs field) */
	uint64_t sent_ms;	 /* first transmission of this REQUEST */
	uint64_t bound_ms;	 /* the lease's times count from here */
	unsigned tries;		 /* transmissions of this message */
	uint32_t want;		 /* address to ask for when starting over */
	struct dhcp_lease offer; /* the OFFER being requested */
	struct dhcp_lease lease; /* the lease held (BOUND and after) */
	char why[96];		 /* why the last reply was ignored, for logs */
};

/* seed: random bits (getrandom); want: an address to ask for, or 0. */
void dhcpc_init(struct dhcpc *c, const uint8_t mac[6], const char *hostname,
		uint32_t seed, uint32_t want, uint64_t now_ms);

/* When dhcpc_timeout() must be called next (UINT64_MAX: never). */
uint64_t dhcpc_next(const struct dhcpc *c);

void dhcpc_timeout(struct dhcpc *c, uint64_t now_ms, struct dhcpc_out *o);

/* A datagram from a server; one that does not fit the state is ignored
 * (c->why says why). */
void dhcpc_input(struct dhcpc *c, const uint8_t *pkt, size_t n, uint64_t now_ms,
		 struct dhcpc_out *o);

/* The lease's end (shutdown): a RELEASE to the server if one is held. */
void dhcpc_release(struct dhcpc *c, struct dhcpc_out *o);

/* Seconds left of the lease held (0 if none; UINT32_MAX if infinite). */
uint32_t dhcpc_lease_left(const struct dhcpc *c, uint64_t now_ms);

/* "init", "selecting", ... for status lines. */
const char *dhcpc_state_name(int state);

#endif
