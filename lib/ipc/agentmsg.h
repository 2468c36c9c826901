/* SPDX-License-Identifier: MIT */
/* An agent's status: key=value datagrams from a child keel-init supervises. */
#ifndef KEEL_AGENTMSG_H
#define KEEL_AGENTMSG_H

#include <stddef.h>

#include "lib/base/err.h"

/*
 * An agent (docs/AGENTS.md) reports its state on a SOCK_SEQPACKET
 * socket as datagrams of at most AGENTMSG_MAX bytes, each one or more
 * lines "key=value\n" (set or replace) or "key=\n" (remove). Keys are
 * [a-z0-9_.-]{1,AGENTMSG_KEY_MAX}, values printable ASCII of at most
 * AGENTMSG_VAL_MAX bytes. A datagram with one bad line is refused whole,
 * so the table never holds half of an update. The agent is a child that
 * parses network bytes: all this is untrusted input to keel-init.
 */
#define AGENTMSG_MAX 1024
#define AGENTMSG_KEYS 32
#define AGENTMSG_KEY_MAX 31
#define AGENTMSG_VAL_MAX 95

struct agentmsg_kv {
	char key[AGENTMSG_KEY_MAX + 1];
	char val[AGENTMSG_VAL_MAX + 1];
};

struct agentmsg_table {
	unsigned n;
	unsigned dropped; /* keys not kept: the table was full */
	struct agentmsg_kv kv[AGENTMSG_KEYS];
};

void agentmsg_clear(struct agentmsg_table *t);

/* Applies one datagram; 0, or -1 with e (t unchanged). */
int agentmsg_apply(struct agentmsg_table *t, const char *buf, size_t n,
		   struct kerr *e);

/* The value of key, or NULL. */
const char *agentmsg_get(const struct agentmsg_table *t, const char *key);

#endif
