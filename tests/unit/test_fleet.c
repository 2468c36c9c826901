// SPDX-License-Identifier: MIT
/* Unit tests: the update agent's config, choice, delays, states, reports. */
#include <stdio.h>
#include <string.h>

#include "lib/update/fleet.h"
#include "tests/unit/unit.h"

#define SHA "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
#define ID "0123456789abcdef0123456789abcdef"

static int
conf(const char *s, struct fleet_conf *c)
{
	return fleet_conf_parse(s, strlen(s), c, NULL);
}

static void
test_conf(void)
{
	static struct fleet_conf c;
	static char big[FLEET_CONF_MAX + 64];
	size_t n = 0;

	CHECK(conf("", &c) == 0 && !c.url[0] && c.interval == 3600 &&
		  c.reboot == FLEET_REBOOT_NOW && c.jitter == 10,
	      "empty file: defaults");
	CHECK(conf("# comment\n\nurl=https://u.example/m\ninterval=30\n"
		   "retry=5\njitter=0\nreboot=window 22:30-04:00\n"
		   "report=https://r.example/report\n",
		   &c) == 0 &&
		  !strcmp(c.url, "https://u.example/m") && c.interval == 30 &&
		  c.retry == 5 && c.jitter == 0 &&
		  c.reboot == FLEET_REBOOT_WINDOW && c.win_start == 81000 &&
		  c.win_end == 14400 &&
		  !strcmp(c.report, "https://r.example/report"),
	      "every key");
	CHECK(conf("reboot=app\n", &c) == 0 && c.reboot == FLEET_REBOOT_APP,
	      "reboot=app");
	CHECK(conf("url=http://10.0.2.2:8080/m\nallow_http=1\n", &c) == 0 &&
		  c.allow_http,
	      "plain http allowed, given after the url");
	CHECK(conf("url=http://10.0.2.2/m\n", &c) < 0, "plain http refused");
	CHECK(conf("allow_http=1\nreport=http://x/r\nurl=https://x/m\n", &c) ==
		  0,
	      "plain http report allowed");
	CHECK(conf("report=http://x/r\n", &c) < 0, "plain http report");
	CHECK(conf("url=ftp://x/m\n", &c) < 0, "ftp");
	CHECK(conf("url=m.txt\n", &c) < 0, "relative url");
	CHECK(conf("url=https://x/m\nurl=https://y/m\n", &c) < 0, "key twice");
	CHECK(conf("colour=red\n", &c) < 0, "unknown key");
	CHECK(conf("interval=4\n", &c) < 0, "interval below 5");
	CHECK(conf("interval=2592001\n", &c) < 0, "interval above 30 days");
	CHECK(conf("interval=060\n", &c) < 0, "leading zero");
	CHECK(conf("interval= 60\n", &c) < 0, "space");
	CHECK(conf("jitter=51\n", &c) < 0, "jitter 51%%");
	CHECK(conf("retry=0\n", &c) < 0, "retry 0");
	CHECK(conf("allow_http=yes\n", &c) < 0, "allow_http=yes");
	CHECK(conf("reboot=later\n", &c) < 0, "reboot=later");
	CHECK(conf("reboot=window 24:00-01:00\n", &c) < 0, "hour 24");
	CHECK(conf("reboot=window 01:60-02:00\n", &c) < 0, "minute 60");
	CHECK(conf("reboot=window 01:00-01:00\n", &c) < 0, "empty window");
	CHECK(conf("reboot=window 1:00-2:00\n", &c) < 0, "short hours");
	CHECK(conf("interval=60", &c) < 0, "no final newline");
	CHECK(conf("interval=60\r\n", &c) < 0, "CR");
	CHECK(conf("interval\n", &c) < 0, "no '='");
	CHECK(fleet_conf_parse("url=https://x/\0\n", 16, &c, NULL) < 0, "NUL");
	while (n <= FLEET_CONF_MAX)
		n += (size_t)snprintf(big + n, sizeof(big) - n, "#\n");
	CHECK(fleet_conf_parse(big, n, &c, NULL) < 0, "too long");
	{
		char line[FLEET_LINE_MAX + 32];
		int k = snprintf(line, sizeof(line), "url=https://x/");
		while (k < FLEET_LINE_MAX + 2)
			line[k++] = 'a';
		line[k++] = '\n';
		line[k] = 0;
		CHECK(conf(line, &c) < 0, "line too long");
	}
}

static const char man[] = "keel-manifest=1\n"
			  "bundle=b\n"
			  "bundle.version=42\n"
			  "bundle.epoch=3\n"
			  "bundle.size=100\n"
			  "bundle.url=b.kb\n"
			  "bundle.header_sha256=" SHA "\n";

static int
decide(const char *extra, struct fleet_device *d)
{
	static struct manifest m;
	const struct manifest_entry *x;
	char buf[sizeof(man) + 64], why[128];

	snprintf(buf, sizeof(buf), "%s%s", man, extra);
	if (manifest_parse(buf, strlen(buf), &m, NULL) < 0)
		return -1;
	return fleet_decide(&m, d, &x, why, sizeof(why));
}

static void
test_decide(void)
{
	struct fleet_device d = {
	    .board = "b",
	    .id = ID,
	    .committed_version = 41,
	    .floor = 3,
	    .can_install = 1,
	};
	unsigned in = 0, b = manifest_bucket(ID, 42);
	char rollout[32];

	CHECK(decide("", &d) == FLEET_TAKE, "newer: take");
	d.board = "c";
	CHECK(decide("", &d) == FLEET_NO_ENTRY, "another board");
	d.board = "b";
	d.committed_version = 42;
	CHECK(decide("", &d) == FLEET_NOT_NEWER, "the same version");
	d.committed_version = 43;
	CHECK(decide("", &d) == FLEET_NOT_NEWER, "older");
	d.committed_version = 41;
	d.floor = 4;
	CHECK(decide("", &d) == FLEET_EPOCH, "epoch below the floor");
	d.floor = 3;
	d.failed[0] = 40;
	d.failed[1] = 42;
	d.nfailed = 2;
	CHECK(decide("", &d) == FLEET_FAILED, "failed before: not fetched");
	d.nfailed = 1;
	CHECK(decide("", &d) == FLEET_TAKE, "another version failed");
	d.pending_version = 42;
	CHECK(decide("", &d) == FLEET_PENDING, "installed, not rebooted");
	d.pending_version = 0;
	d.can_install = 0;
	CHECK(decide("", &d) == FLEET_NO_TARGET, "trial pending");
	d.can_install = 1;
	snprintf(rollout, sizeof(rollout), "bundle.rollout=%u\n", b);
	CHECK(decide(rollout, &d) == FLEET_ROLLOUT, "bucket %u out", b);
	snprintf(rollout, sizeof(rollout), "bundle.rollout=%u\n", b + 1);
	CHECK(decide(rollout, &d) == FLEET_TAKE, "bucket %u in", b);
	CHECK(decide("bundle.rollout=0\n", &d) == FLEET_ROLLOUT, "0%%");
	CHECK(decide("bundle.rollout=100\n", &d) == FLEET_TAKE, "100%%");
	/* 30% of many devices take it */
	for (int i = 0; i < 2000; i++) {
		char id[FLEET_ID_LEN + 1];
		uint8_t r[16] = {(uint8_t)i, (uint8_t)(i >> 8), 7};

		fleet_id_make(r, id);
		d.id = id;
		in += decide("bundle.rollout=30\n", &d) == FLEET_TAKE;
	}
	CHECK(in > 520 && in < 680, "30%% rollout: %u of 2000", in);
	CHECK(!strcmp(fleet_verdict_name(FLEET_FAILED), "failed") &&
		  !strcmp(fleet_verdict_name(99), "?"),
	      "verdict names");
}

static void
test_delay(void)
{
	struct fleet_conf c;
	uint32_t lo = ~0u, hi = 0;

	fleet_conf_defaults(&c);
	c.interval = 1000;
	c.retry = 10;
	c.jitter = 0;
	CHECK(fleet_delay(&c, 0, 12345) == 1000, "interval");
	CHECK(fleet_delay(&c, 1, 0) == 10 && fleet_delay(&c, 2, 0) == 20 &&
		  fleet_delay(&c, 4, 0) == 80,
	      "backoff doubles");
	CHECK(fleet_delay(&c, 7, 0) == 640 && fleet_delay(&c, 8, 0) == 1000 &&
		  fleet_delay(&c, 1000, 0) == 1000,
	      "backoff stops at the interval");
	c.jitter = 10;
	for (uint32_t r = 0; r < 5000; r++) {
		uint32_t v = fleet_delay(&c, 0, r * 2654435761u);
		lo = v < lo ? v : lo;
		hi = v > hi ? v : hi;
	}
	CHECK(lo == 900 && hi == 1100, "jitter 10%%: %u .. %u", lo, hi);
	c.interval = 5;
	c.retry = 1;
	c.jitter = 50;
	CHECK(fleet_delay(&c, 1, 0) >= 1, "never 0");
}

static void
test_window(void)
{
	struct fleet_conf c;
	uint64_t day = 20000 * (uint64_t)FLEET_DAY;

	fleet_conf_defaults(&c);
	CHECK(fleet_window_wait(&c, day + 5) == 0, "now: no wait");
	CHECK(conf("reboot=window 02:00-04:00\n", &c) == 0, "window");
	CHECK(fleet_window_wait(&c, day + 3600) == 3600, "before it");
	CHECK(fleet_window_wait(&c, day + 7200) == 0, "at its start");
	CHECK(fleet_window_wait(&c, day + 14399) == 0, "inside");
	CHECK(fleet_window_wait(&c, day + 14400) == FLEET_DAY - 7200,
	      "at its end: tomorrow");
	CHECK(conf("reboot=window 23:00-01:00\n", &c) == 0, "past midnight");
	CHECK(fleet_window_wait(&c, day + 1800) == 0 &&
		  fleet_window_wait(&c, day + 23 * 3600 + 5) == 0,
	      "inside, both sides of midnight");
	CHECK(fleet_window_wait(&c, day + 3600) == 22 * 3600, "after it");
}

static void
test_states(void)
{
	struct fleet_run r;
	char buf[512];
	int n;

	fleet_run_init(&r);
	CHECK(r.state == FLEET_IDLE, "starts idle");
	CHECK(fleet_step(&r, FLEET_EV_TAKE, NULL) < 0 && r.state == FLEET_IDLE,
	      "no take while idle");
	CHECK(fleet_step(&r, FLEET_EV_POLL, NULL) == 0 &&
		  r.state == FLEET_CHECKING,
	      "poll");
	CHECK(fleet_step(&r, FLEET_EV_NOTHING, NULL) == 0 &&
		  r.state == FLEET_IDLE,
	      "nothing new");
	fleet_step(&r, FLEET_EV_POLL, NULL);
	CHECK(fleet_step(&r, FLEET_EV_FAIL, "net: \x01refused\n") == 0 &&
		  r.state == FLEET_FAILED_ST && r.failures == 1 &&
		  !strcmp(r.error, "net: ?refused?"),
	      "failure kept, cleaned");
	CHECK(fleet_step(&r, FLEET_EV_DONE, NULL) < 0, "no done when failed");
	fleet_step(&r, FLEET_EV_POLL, NULL);
	r.version = 42;
	r.total = 1000;
	CHECK(fleet_step(&r, FLEET_EV_TAKE, NULL) == 0 &&
		  r.state == FLEET_DOWNLOADING && !r.error[0] && r.failures,
	      "take: downloading, failures counted until done");
	r.done = 250;
	n = fleet_status(&r, buf, sizeof(buf));
	CHECK(n > 0 && !strcmp(buf, "state=downloading\nversion=42\n"
				    "bytes=250/1000\nfailures=1\nerror=\n"),
	      "status while downloading: %s", buf);
	CHECK(fleet_step(&r, FLEET_EV_POLL, NULL) < 0, "no poll mid-download");
	CHECK(fleet_step(&r, FLEET_EV_DONE, NULL) == 0 &&
		  r.state == FLEET_INSTALLED && !r.failures,
	      "installed");
	CHECK(fleet_step(&r, FLEET_EV_WAIT, NULL) == 0 &&
		  fleet_step(&r, FLEET_EV_WAIT, NULL) == 0 &&
		  r.state == FLEET_WAITING,
	      "waiting for the window");
	CHECK(fleet_step(&r, FLEET_EV_REBOOT, NULL) == 0 &&
		  r.state == FLEET_REBOOTING,
	      "rebooting");
	n = fleet_status(&r, buf, sizeof(buf));
	CHECK(n > 0 && !strcmp(buf, "state=rebooting\nversion=42\nbytes=\n"
				    "failures=0\nerror=\n"),
	      "status rebooting: %s", buf);
	CHECK(fleet_status(&r, buf, 20) < 0, "status too long for buf");
	{
		char why[300];
		memset(why, 'x', sizeof(why) - 1);
		why[sizeof(why) - 1] = 0;
		fleet_step(&r, FLEET_EV_FAIL, why);
		CHECK(strlen(r.error) == FLEET_TEXT_MAX, "error cut");
		n = fleet_status(&r, buf, sizeof(buf));
		CHECK(n > 0 && n < 1024, "status fits a datagram");
	}
	CHECK(fleet_step(&r, FLEET_EVENTS, NULL) < 0 &&
		  fleet_step(&r, -1, NULL) < 0,
	      "events out of range");
	CHECK(!strcmp(fleet_state_name(FLEET_WAITING), "waiting") &&
		  !strcmp(fleet_state_name(FLEET_STATES), "?"),
	      "state names");
}

static void
test_report(void)
{
	struct fleet_report r = {
	    .id = ID,
	    .board = "qemu-x86_64",
	    .running_version = 41,
	    .result = "failed",
	    .version = 42,
	    .reason = "trial: no \"READY=1\" \\ in\t60 s",
	};
	char buf[FLEET_REPORT_MAX];
	int n = fleet_report_json(&r, buf, sizeof(buf));

	CHECK(n > 0 && !strcmp(buf, "{\"device\":\"" ID "\","
				    "\"board\":\"qemu-x86_64\","
				    "\"running_version\":41,"
				    "\"result\":\"failed\",\"version\":42,"
				    "\"reason\":\"trial: no \\\"READY=1\\\" "
				    "\\\\ in\\u000960 s\"}\n"),
	      "report: %s", buf);
	r.version = 0;
	r.reason = NULL;
	r.result = "up-to-date";
	n = fleet_report_json(&r, buf, sizeof(buf));
	CHECK(n > 0 && !strstr(buf, "version\":0") && !strstr(buf, "reason"),
	      "no version, no reason: %s", buf);
	CHECK(fleet_report_json(&r, buf, 40) < 0, "too long for buf");
}

static void
test_id(void)
{
	uint8_t r[16];
	char id[FLEET_ID_LEN + 1];

	for (int i = 0; i < 16; i++)
		r[i] = (uint8_t)(0xf0 + i);
	fleet_id_make(r, id);
	CHECK(!strcmp(id, "f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff") &&
		  fleet_id_ok(id, strlen(id)),
	      "id from random bytes");
	CHECK(!fleet_id_ok(ID "0", 33) && !fleet_id_ok(ID, 31) &&
		  !fleet_id_ok("0123456789ABCDEF0123456789abcdef", 32) &&
		  !fleet_id_ok("0123456789abcdeg0123456789abcdef", 32),
	      "bad ids");
}

/* Feeds "k=v" lines; -1 at the first refused one. */
static int
sys_lines(struct fleet_sys *s, const char *const *l)
{
	char k[64];

	fleet_sys_init(s);
	for (; *l; l++) {
		const char *eq = strchr(*l, '=');
		snprintf(k, sizeof(k), "%.*s", (int)(eq - *l), *l);
		if (fleet_sys_line(s, k, eq + 1) < 0)
			return -1;
	}
	return 0;
}

static void
test_sys(void)
{
	static const char *const trial[] = {
	    "version=x",
	    "board=qemu-x86_64",
	    "booted=a",
	    "running_version=41",
	    "app=running",
	    "commit_pending=0",
	    "update_target=b",
	    "committed=a",
	    "committed_version=41",
	    "floor=3",
	    "failed_version=40",
	    "failed_version=39",
	    "slot=a",
	    "slot.trial=0",
	    "slot.version=41",
	    "slot=b",
	    "slot.trial=1",
	    "slot.version=42",
	    "slot.fail_text=no READY=1 within 60 s",
	    "new_key=ignored",
	    NULL};
	static const char *const pending[] = {"board=b",
					      "booted=b",
					      "commit_pending=1",
					      "update_target=none",
					      "committed=a",
					      "committed_version=1",
					      NULL};
	static const char *const bad[] = {"board=b", "booted=c", NULL};
	static const char *const nover[] = {"board=b", "floor=1", NULL};
	struct fleet_sys s;

	CHECK(sys_lines(&s, trial) == 0 && fleet_sys_done(&s, ID) == 0,
	      "status read");
	CHECK(!strcmp(s.d.board, "qemu-x86_64") &&
		  s.d.committed_version == 41 && s.d.floor == 3 &&
		  s.d.nfailed == 2 && s.d.failed[1] == 39 && s.d.can_install &&
		  s.d.pending_version == 42 && s.running_version == 41 &&
		  !strcmp(s.last_fail, "no READY=1 within 60 s"),
	      "device from the status");
	CHECK(sys_lines(&s, pending) == 0 && fleet_sys_done(&s, ID) == 0 &&
		  !s.d.can_install && !s.d.pending_version,
	      "a trial booted: no target");
	CHECK(sys_lines(&s, bad) < 0, "slot c");
	CHECK(sys_lines(&s, nover) == 0 && fleet_sys_done(&s, ID) < 0,
	      "no committed version");
}

int
main(void)
{
	test_conf();
	test_decide();
	test_delay();
	test_window();
	test_states();
	test_report();
	test_id();
	test_sys();
	return unit_done("fleet");
}
