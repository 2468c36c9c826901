// SPDX-License-Identifier: MIT
/* An agent's status datagrams: set, replace, remove, refuse whole. */
#include "lib/ipc/agentmsg.h"
#include "tests/unit/unit.h"

static struct agentmsg_table t;
static struct kerr e;

static int
apply(const char *s)
{
	return agentmsg_apply(&t, s, strlen(s), &e);
}

static const char *
get(const char *k)
{
	const char *v = agentmsg_get(&t, k);

	return v ? v : "(none)";
}

int
main(void)
{
	char big[AGENTMSG_MAX + 2], line[64];

	agentmsg_clear(&t);
	CHECK(apply("state=bound\nif.eth0.address=10.0.2.15/24\n") == 0,
	      "two keys: %s", e.detail);
	CHECK(t.n == 2 && !strcmp(get("state"), "bound"), "state");
	CHECK(apply("state=renewing\n") == 0 && t.n == 2 &&
		  !strcmp(get("state"), "renewing"),
	      "replaced");
	CHECK(apply("state=\n") == 0 && t.n == 1 &&
		  !strcmp(get("state"), "(none)"),
	      "removed");
	CHECK(apply("nothing=\n") == 0 && t.n == 1, "removing what is not");
	CHECK(apply("a=1 2 3 ~!@#$%^&*()\n") == 0, "printable values");

	/* one bad line: nothing of the datagram is applied */
	CHECK(apply("b=2\nBad=1\n") < 0 && !strcmp(get("b"), "(none)"),
	      "upper case key");
	CHECK(apply("b=2\nc\n") < 0 && strstr(e.detail, "line 2"), "no =");
	CHECK(apply("b=2") < 0 && strstr(e.detail, "no newline"), "no newline");
	CHECK(apply("=2\n") < 0, "empty key");
	CHECK(apply("b=\x01\n") < 0, "control byte");
	CHECK(apply("b=\xc3\xa9\n") < 0, "non-ASCII");
	CHECK(apply("b=1\r\n") < 0, "CR");
	CHECK(agentmsg_apply(&t, "b=1\n\0", 5, &e) < 0, "NUL");
	CHECK(apply("") < 0, "empty datagram");
	CHECK(apply("abcdefghijklmnopqrstuvwxyz012345=1\n") < 0, "long key");
	memset(big, 'v', sizeof(big));
	memcpy(big, "k=", 2);
	big[2 + AGENTMSG_VAL_MAX + 1] = '\n';
	big[2 + AGENTMSG_VAL_MAX + 2] = 0;
	CHECK(apply(big) < 0, "long value");
	big[2 + AGENTMSG_VAL_MAX] = '\n';
	big[2 + AGENTMSG_VAL_MAX + 1] = 0;
	CHECK(apply(big) == 0 && strlen(get("k")) == AGENTMSG_VAL_MAX,
	      "longest value");
	CHECK(agentmsg_apply(&t, big, AGENTMSG_MAX + 1, &e) < 0,
	      "datagram too long");

	/* a full table keeps what it has and counts the rest */
	agentmsg_clear(&t);
	for (int i = 0; i < AGENTMSG_KEYS + 3; i++) {
		snprintf(line, sizeof(line), "k%d=%d\n", i, i);
		CHECK(apply(line) == 0, "key %d", i);
	}
	CHECK(t.n == AGENTMSG_KEYS && t.dropped == 3, "full: %u, %u dropped",
	      t.n, t.dropped);
	CHECK(apply("k0=new\n") == 0 && !strcmp(get("k0"), "new"),
	      "replacing in a full table");
	CHECK(apply("k1=\nlate=1\n") == 0 && !strcmp(get("late"), "1"),
	      "a removal makes room");
	return unit_done("agentmsg");
}
