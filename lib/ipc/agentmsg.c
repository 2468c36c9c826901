// SPDX-License-Identifier: MIT
/* An agent's status: key=value datagrams from a child keel-init supervises. */
#include <string.h>

#include "lib/ipc/agentmsg.h"

static int
key_ok(const char *k, size_t n)
{
	if (n == 0 || n > AGENTMSG_KEY_MAX)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((k[i] >= 'a' && k[i] <= 'z') ||
		      (k[i] >= '0' && k[i] <= '9') || k[i] == '_' ||
		      k[i] == '.' || k[i] == '-'))
			return 0;
	return 1;
}

static int
val_ok(const char *v, size_t n)
{
	if (n > AGENTMSG_VAL_MAX)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (v[i] < 0x20 || v[i] > 0x7e)
			return 0;
	return 1;
}

static void
set(struct agentmsg_table *t, const char *k, size_t kl, const char *v,
    size_t vl)
{
	unsigned i;

	for (i = 0; i < t->n; i++)
		if (strlen(t->kv[i].key) == kl && !memcmp(t->kv[i].key, k, kl))
			break;
	if (vl == 0) {
		if (i < t->n)
			t->kv[i] = t->kv[--t->n];
		return;
	}
	if (i == t->n) {
		if (t->n == AGENTMSG_KEYS) {
			t->dropped++;
			return;
		}
		memcpy(t->kv[i].key, k, kl);
		t->kv[i].key[kl] = 0;
		t->n++;
	}
	memcpy(t->kv[i].val, v, vl);
	t->kv[i].val[vl] = 0;
}

/* Walks the lines of buf; applies them only when apply is set. */
static int
walk(struct agentmsg_table *t, const char *buf, size_t n, int apply,
     struct kerr *e)
{
	const char *p = buf, *end = buf + n;
	unsigned line = 0;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p)), *eq;

		line++;
		if (!nl)
			return kerr_set(e, "agent", "line %u: no newline",
					line);
		eq = memchr(p, '=', (size_t)(nl - p));
		if (!eq || !key_ok(p, (size_t)(eq - p)) ||
		    !val_ok(eq + 1, (size_t)(nl - eq - 1)))
			return kerr_set(e, "agent", "line %u: not key=value",
					line);
		if (apply)
			set(t, p, (size_t)(eq - p), eq + 1,
			    (size_t)(nl - eq - 1));
		p = nl + 1;
	}
	return 0;
}

void
agentmsg_clear(struct agentmsg_table *t)
{
	memset(t, 0, sizeof(*t));
}

int
agentmsg_apply(struct agentmsg_table *t, const char *buf, size_t n,
	       struct kerr *e)
{
	if (n == 0 || n > AGENTMSG_MAX)
		return kerr_set(e, "agent", "datagram of %zu bytes", n);
	if (walk(t, buf, n, 0, e) < 0)
		return -1;
	return walk(t, buf, n, 1, e);
}

const char *
agentmsg_get(const struct agentmsg_table *t, const char *key)
{
	for (unsigned i = 0; i < t->n; i++)
		if (!strcmp(t->kv[i].key, key))
			return t->kv[i].val;
	return NULL;
}
