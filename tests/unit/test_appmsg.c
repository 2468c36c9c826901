// SPDX-License-Identifier: MIT
/* keel app's record and keel-init's start: every field checked. */
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

/* A good start: every path set, two environment entries. */
static void
good_start(struct appstart *s)
{
	static const char *const p[APPSTART_PATHS] = {
	    "/run/keel/image",
	    "/run/keel/etc/upper",
	    "/run/keel/etc/work",
	    "/run/keel/var/.keel-gen-1",
	    "/run/keel/sock",
	    "/run/keel/sock/bin/keel",
	    "/run/keel/net/resolv.conf",
	    "/sys/fs/cgroup"};

	memset(s, 0, sizeof(*s));
	s->magic = APPSTART_MAGIC;
	s->version = APPSTART_VERSION;
	for (int i = 0; i < APPSTART_PATHS; i++)
		appstart_set(s->path[i], p[i]);
	appstart_set(s->env[0], "NOTIFY_SOCKET=/run/keel/notify");
	appstart_set(s->env[1], "WATCHDOG_USEC=5000000");
	s->nenv = 2;
}

static int
check_start(const struct appstart *s)
{
	return appstart_check(s, sizeof(*s), &e);
}

static void
starts(void)
{
	struct appstart s;
	char longer[APPSTART_TEXT + 1];

	good_start(&s);
	CHECK(check_start(&s) == 0, "a good start: %s", e.detail);
	CHECK(appstart_check(&s, sizeof(s) - 1, &e) < 0, "start: short read");
	s.magic ^= 1;
	CHECK(check_start(&s) < 0, "start: magic");
	good_start(&s);
	s.version = 2;
	CHECK(check_start(&s) < 0, "start: version");
	good_start(&s);
	s.reserved = 1;
	CHECK(check_start(&s) < 0, "start: reserved word");
	good_start(&s);
	appstart_set(s.path[APPSTART_VAR], NULL);
	appstart_set(s.path[APPSTART_ETC_UPPER], "");
	appstart_set(s.path[APPSTART_ETC_WORK], "");
	CHECK(check_start(&s) == 0, "start: optional paths left out: %s",
	      e.detail);
	appstart_set(s.path[APPSTART_ETC_WORK], "/w");
	CHECK(check_start(&s) < 0, "start: one of /etc's layers alone");
	good_start(&s);
	appstart_set(s.path[APPSTART_ROOT], "");
	CHECK(check_start(&s) < 0, "start: no root");
	good_start(&s);
	appstart_set(s.path[APPSTART_BIN], "bin/keel");
	CHECK(check_start(&s) < 0, "start: a relative path");
	good_start(&s);
	s.path[APPSTART_RUN][3] = '\n';
	CHECK(check_start(&s) < 0, "start: a control byte in a path");
	good_start(&s);
	s.path[APPSTART_RUN][APPSTART_TEXT - 1] = 'x';
	CHECK(check_start(&s) < 0, "start: a byte after a path's NUL");
	good_start(&s);
	memset(s.path[APPSTART_RUN], 'a', APPSTART_TEXT);
	s.path[APPSTART_RUN][0] = '/';
	CHECK(check_start(&s) < 0, "start: a path without its NUL");
	memset(longer, 'a', sizeof(longer) - 1);
	longer[0] = '/';
	longer[sizeof(longer) - 1] = 0;
	CHECK(appstart_set(s.path[APPSTART_RUN], longer) < 0 &&
		  appstart_set(s.path[APPSTART_RUN], longer + 1) == 0,
	      "start: a path that does not fit is refused, not cut");
	good_start(&s);
	s.nenv = 3;
	CHECK(check_start(&s) < 0, "start: nenv past the entries");
	good_start(&s);
	s.nenv = 1;
	CHECK(check_start(&s) < 0, "start: an entry past nenv");
	good_start(&s);
	s.nenv = APPSTART_ENV + 1;
	CHECK(check_start(&s) < 0, "start: nenv over the bound");
	good_start(&s);
	appstart_set(s.env[1], "WATCHDOG_USEC");
	CHECK(check_start(&s) < 0, "start: an entry without =");
	appstart_set(s.env[1], "=5");
	CHECK(check_start(&s) < 0, "start: an entry without a name");
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
	starts();
	return unit_done("appmsg");
}
