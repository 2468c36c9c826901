// SPDX-License-Identifier: MIT
/* A DHCPv4 client's state machine (RFC 2131 §4.4), without any I/O. */
#include <string.h>

#include "lib/net/dhcp_client.h"

#define BROADCAST 0xffffffffu
#define RETRY_FIRST_MS 4000 /* RFC 2131 §4.1: 4 s, doubling ... */
#define RETRY_MAX_MS 64000  /* ... up to 64 s, +-1 s of jitter */
#define REQUEST_TRIES 4	    /* REQUESTs for an OFFER before starting over */
#define NAK_DELAY_MS 3000   /* after a NAK, before a new DISCOVER */
#define RENEW_MIN_MS 60000  /* §4.4.5: no retransmission sooner than 60 s */
#define NEVER UINT64_MAX

static uint32_t
rnd(struct dhcpc *c)
{
	uint32_t x = c->rnd;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	return c->rnd = x;
}

static uint64_t
backoff(struct dhcpc *c)
{
	unsigned shift = c->tries > 5 ? 4 : c->tries ? c->tries - 1 : 0;
	uint64_t d = (uint64_t)RETRY_FIRST_MS << shift;

	if (d > RETRY_MAX_MS)
		d = RETRY_MAX_MS;
	return d - 1000 + rnd(c) % 2001;
}

/* The lease's times, from when its REQUEST was first sent. */
static uint64_t
at(const struct dhcpc *c, uint32_t s)
{
	return s == DHCP_LEASE_INFINITE ? NEVER : c->bound_ms + s * 1000ull;
}

static void
send(struct dhcpc *c, uint8_t type, uint64_t now, uint32_t dst,
     struct dhcpc_out *o)
{
	uint64_t secs = (now - c->began_ms) / 1000;
	struct dhcp_req r;

	memset(&r, 0, sizeof(r));
	r.type = type;
	r.xid = c->xid;
	r.secs = secs > 65535 ? 65535 : (uint16_t)secs;
	memcpy(r.mac, c->mac, 6);
	r.hostname = c->hostname;
	switch (c->state) {
	case DHCPC_SELECTING:
		r.broadcast = 1;
		r.requested = c->want;
		break;
	case DHCPC_REQUESTING:
		r.broadcast = 1;
		r.requested = c->offer.addr;
		r.server_id = c->offer.server_id;
		break;
	case DHCPC_RENEWING:
	case DHCPC_REBINDING:
		r.ciaddr = c->lease.addr;
		break;
	default: /* a RELEASE */
		r.ciaddr = c->lease.addr;
		r.server_id = c->lease.server_id;
		break;
	}
	o->len = dhcp_build(&r, o->pkt, sizeof(o->pkt));
	o->dst = dst;
	c->tries++;
}

static void
discover(struct dhcpc *c, uint64_t now, struct dhcpc_out *o)
{
	if (c->state != DHCPC_SELECTING) {
		c->state = DHCPC_SELECTING;
		c->xid = rnd(c);
		c->began_ms = now;
		c->tries = 0;
	}
	send(c, DHCP_DISCOVER, now, BROADCAST, o);
	c->next_ms = now + backoff(c);
}

static void
request(struct dhcpc *c, uint64_t now, struct dhcpc_out *o)
{
	send(c, DHCP_REQUEST, now, BROADCAST, o);
	c->next_ms = now + backoff(c);
}

/* RENEWING and REBINDING: half the time left to the next stage, at
 * least RENEW_MIN_MS, never past it. */
static void
renew(struct dhcpc *c, uint64_t now, uint64_t until, struct dhcpc_out *o)
{
	uint64_t wait = (until - now) / 2;

	send(c, DHCP_REQUEST, now,
	     c->state == DHCPC_RENEWING ? c->lease.server_id : BROADCAST, o);
	if (wait < RENEW_MIN_MS)
		wait = RENEW_MIN_MS;
	c->next_ms = now + wait < until ? now + wait : until;
}

static void
lost(struct dhcpc *c, uint64_t now, uint64_t delay, struct dhcpc_out *o)
{
	o->event = DHCPC_EV_LOST;
	c->state = DHCPC_INIT;
	c->next_ms = now + delay;
}

static void
new_exchange(struct dhcpc *c, int state, uint64_t now)
{
	c->state = state;
	c->xid = rnd(c);
	c->began_ms = c->sent_ms = now;
	c->tries = 0;
}

void
dhcpc_timeout(struct dhcpc *c, uint64_t now, struct dhcpc_out *o)
{
	o->len = 0;
	o->event = DHCPC_EV_NONE;
	switch (c->state) {
	case DHCPC_INIT:
	case DHCPC_SELECTING:
		discover(c, now, o);
		break;
	case DHCPC_REQUESTING:
		if (c->tries >= REQUEST_TRIES) {
			c->state = DHCPC_INIT;
			discover(c, now, o);
		} else {
			request(c, now, o);
		}
		break;
	case DHCPC_BOUND:
		new_exchange(c, DHCPC_RENEWING, now);
		/* fall through */
	case DHCPC_RENEWING:
		if (now < at(c, c->lease.t2_s)) {
			renew(c, now, at(c, c->lease.t2_s), o);
			break;
		}
		c->state = DHCPC_REBINDING;
		c->sent_ms = now;
		/* fall through */
	case DHCPC_REBINDING:
		if (now < at(c, c->lease.lease_s)) {
			renew(c, now, at(c, c->lease.lease_s), o);
			break;
		}
		c->want = c->lease.addr;
		lost(c, now, 0, o);
		break;
	default:
		c->next_ms = NEVER;
		break;
	}
}

static void
bound(struct dhcpc *c, const struct dhcp_lease *l, struct dhcpc_out *o)
{
	o->event = c->state == DHCPC_REQUESTING || l->addr != c->lease.addr
		       ? DHCPC_EV_BOUND
		       : DHCPC_EV_RENEWED;
	c->lease = *l;
	c->bound_ms = c->sent_ms;
	c->want = l->addr;
	c->state = DHCPC_BOUND;
	c->next_ms = at(c, l->t1_s);
}

void
dhcpc_input(struct dhcpc *c, const uint8_t *pkt, size_t n, uint64_t now,
	    struct dhcpc_out *o)
{
	struct dhcp_lease l;
	struct kerr e = {0};

	o->len = 0;
	o->event = DHCPC_EV_NONE;
	c->why[0] = 0;
	if (c->state == DHCPC_INIT || c->state == DHCPC_BOUND ||
	    c->state == DHCPC_STOPPED) {
		strcpy(c->why, "no exchange in progress");
		return;
	}
	if (dhcp_parse(pkt, n, c->xid, c->mac, &l, &e) < 0) {
		memcpy(c->why, e.detail, sizeof(c->why) - 1);
		c->why[sizeof(c->why) - 1] = 0;
		return;
	}
	if (c->state == DHCPC_SELECTING) {
		if (l.type != DHCP_OFFER) {
			strcpy(c->why, "not an OFFER");
			return;
		}
		c->offer = l;
		c->state = DHCPC_REQUESTING;
		c->tries = 0;
		c->sent_ms = now;
		request(c, now, o);
		return;
	}
	if (c->state == DHCPC_REQUESTING && l.server_id != c->offer.server_id) {
		strcpy(c->why, "from another server");
		return;
	}
	if (l.type == DHCP_NAK) {
		c->want = 0;
		if (c->state == DHCPC_REQUESTING) {
			c->state = DHCPC_INIT;
			c->next_ms = now + NAK_DELAY_MS;
		} else {
			lost(c, now, NAK_DELAY_MS, o);
		}
		return;
	}
	if (l.type != DHCP_ACK ||
	    (c->state == DHCPC_REQUESTING && l.addr != c->offer.addr)) {
		strcpy(c->why, "not an ACK for the address asked for");
		return;
	}
	bound(c, &l, o);
}

void
dhcpc_release(struct dhcpc *c, struct dhcpc_out *o)
{
	o->len = 0;
	o->event = DHCPC_EV_NONE;
	if (c->state == DHCPC_BOUND || c->state == DHCPC_RENEWING ||
	    c->state == DHCPC_REBINDING) {
		c->xid = rnd(c);
		c->state = DHCPC_STOPPED;
		c->began_ms = 0;
		send(c, DHCP_RELEASE, 0, c->lease.server_id, o);
	}
	c->state = DHCPC_STOPPED;
	c->next_ms = NEVER;
}

uint32_t
dhcpc_lease_left(const struct dhcpc *c, uint64_t now)
{
	uint64_t end;

	if (c->state != DHCPC_BOUND && c->state != DHCPC_RENEWING &&
	    c->state != DHCPC_REBINDING)
		return 0;
	end = at(c, c->lease.lease_s);
	if (end == NEVER)
		return UINT32_MAX;
	return end > now ? (uint32_t)((end - now) / 1000) : 0;
}

uint64_t
dhcpc_next(const struct dhcpc *c)
{
	return c->next_ms;
}

const char *
dhcpc_state_name(int state)
{
	static const char *const names[] = {
	    "init",	"selecting", "requesting", "bound",
	    "renewing", "rebinding", "stopped",
	};

	return state >= 0 && state <= DHCPC_STOPPED ? names[state] : "?";
}

void
dhcpc_init(struct dhcpc *c, const uint8_t mac[6], const char *hostname,
	   uint32_t seed, uint32_t want, uint64_t now)
{
	memset(c, 0, sizeof(*c));
	memcpy(c->mac, mac, 6);
	if (hostname && strlen(hostname) <= DHCP_HOSTNAME_MAX)
		strcpy(c->hostname, hostname);
	c->rnd = seed ? seed : 0x6b65656c;
	c->want = want;
	c->state = DHCPC_INIT;
	c->next_ms = now;
}
