// SPDX-License-Identifier: MIT
/* keel app's record to keel-init: every field checked before use. */
#include "lib/ipc/appmsg.h"
#include "tests/unit/unit.h"

static struct kerr e;

/* A good record: settings of a started app (start) or a check. */
static void
good(struct appmsg *m, int start)
{
	memset(m, 0, sizeof(*m));
	appmsg_fill(m, APPMSG_OK, "", "/bin/app");
	m->pid = start ? 42 : 0;
	m->flags = APPMSG_NOTIFY | APPMSG_OWN_NET;
	m->restart = APPMSG_RESTART_ON_FAILURE;
	m->healthy_after_ms = 10000;
	m->stop_grace_ms = 5000;
	m->restart_delay_ms = 1000;
	m->restart_max_delay_ms = 60000;
}

static int
check(const struct appmsg *m, int start)
{
	return appmsg_check(m, sizeof(*m), start, &e);
}

int
main(void)
{
	struct appmsg m;
	char longer[sizeof(m.text) + 50];

	good(&m, 1);
	CHECK(check(&m, 1) == 0, "a started app: %s", e.detail);
	good(&m, 0);
	CHECK(check(&m, 0) == 0, "a checked config: %s", e.detail);
	CHECK(appmsg_check(&m, sizeof(m) - 1, 0, &e) < 0, "short read");
	CHECK(appmsg_check(&m, sizeof(m) + 1, 0, &e) < 0, "long read");
	good(&m, 0);
	m.magic ^= 1;
	CHECK(check(&m, 0) < 0, "magic");
	good(&m, 0);
	m.version = 2;
	CHECK(check(&m, 0) < 0, "version");
	good(&m, 0);
	m.status = 3;
	CHECK(check(&m, 0) < 0, "unknown status");
	good(&m, 0);
	m.flags |= 8;
	CHECK(check(&m, 0) < 0, "unknown flag");
	good(&m, 0);
	m.restart = APPMSG_RESTART_MAX + 1;
	CHECK(check(&m, 0) < 0, "restart out of range");
	good(&m, 0);
	m.watchdog_ms = APPMSG_MS_MAX + 1;
	CHECK(check(&m, 0) < 0, "ms over the parser's bound");
	good(&m, 0);
	m.watchdog_ms = APPMSG_MS_MAX;
	CHECK(check(&m, 0) == 0, "ms at the bound: %s", e.detail);
	good(&m, 0);
	m.restart_delay_ms = m.restart_max_delay_ms + 1;
	CHECK(check(&m, 0) < 0, "delays out of order");
	good(&m, 1);
	m.pid = 1;
	CHECK(check(&m, 1) < 0, "pid 1 is never the app");
	m.pid = -5;
	CHECK(check(&m, 1) < 0, "negative pid");
	good(&m, 0);
	m.pid = 42;
	CHECK(check(&m, 0) < 0, "a pid from a check");
	good(&m, 0);
	memset(m.text, 'a', sizeof(m.text));
	CHECK(check(&m, 0) < 0, "text without its NUL");
	good(&m, 0);
	m.check[0] = '\n';
	CHECK(check(&m, 0) < 0, "a control byte in check");
	memset(&m, 0, sizeof(m));
	appmsg_fill(&m, APPMSG_CONFIG, "config", "bad\nline");
	CHECK(check(&m, 0) == 0 && !strcmp(m.text, "bad?line"),
	      "a refusal, its text made one line: %s", m.text);
	m.flags = 0xff; /* a refusal's settings are never read */
	CHECK(check(&m, 0) == 0, "a refusal's settings: %s", e.detail);
	memset(&m, 0, sizeof(m));
	memset(longer, 'x', sizeof(longer) - 1);
	longer[sizeof(longer) - 1] = 0;
	appmsg_fill(&m, APPMSG_SETUP, "mount", longer);
	CHECK(check(&m, 1) == 0 && strlen(m.text) == sizeof(m.text) - 1,
	      "a long reason is cut to fit");
	return unit_done("appmsg");
}
