// SPDX-License-Identifier: MIT
/* Unit tests of the RFC 5424 messages keel net sends for the log's lines. */
#include <stdint.h>
#include <string.h>

#include "lib/net/syslogmsg.h"
#include "tests/unit/unit.h"

static struct syslogmsg_line l;
static char out[SYSLOGMSG_MAX + 64];

static const char *
fmt(const char *line, int64_t wall_us, const char *host)
{
	size_t n;

	if (syslogmsg_parse(line, strlen(line), &l) < 0)
		return "(not a line)";
	n = syslogmsg_format(out, sizeof(out) - 1, &l, wall_us, host);
	out[n] = 0;
	return out;
}

static void
test_lines(void)
{
	/* 2026-11-30T00:14:29.000123Z */
	int64_t t = 1795997669LL * 1000000 + 123;

	CHECK(!strcmp(fmt("[   12.345678] app: ut: hello", t, "press-17"),
		      "<14>1 2026-11-30T00:14:29.000123Z press-17 app - - - "
		      "ut: hello"),
	      "app: '%s'", out);
	CHECK(l.us == 12345678 && !strcmp(l.src, "app") && l.len == 9,
	      "parsed: %llu %s %zu", (unsigned long long)l.us, l.src, l.len);
	CHECK(!strcmp(fmt("[    0.000001] kernel: virtio_net up", 0, ""),
		      "<6>1 1970-01-01T00:00:00.000000Z - kernel - - - "
		      "virtio_net up"),
	      "kernel: '%s'", out);
	CHECK(!strcmp(fmt("[99999.000000] keel: FATAL: slot: gone", -1, "h"),
		      "<26>1 - h keel - - - FATAL: slot: gone"),
	      "fatal: '%s'", out);
	CHECK(!strcmp(fmt("[1.000000] net: eth0: bound", -1, "a b"),
		      "<30>1 - - net - - - eth0: bound"),
	      "agent, bad host: '%s'", out);
	CHECK(!strcmp(fmt("[1.000000] update: x\x01y\x7f\xc3\xa9", -1, NULL),
		      "<30>1 - - update - - - x?y?\xc3\xa9"),
	      "control bytes, UTF-8 kept: '%s'", out);
	CHECK(!strcmp(fmt("[1.000000] app: ", -1, "h"), "<14>1 - h app - - - "),
	      "empty text: '%s'", out);
}

static void
test_refusals(void)
{
	static const char *const bad[] = {
	    "",
	    "-- 3 lines lost: the reader fell behind --",
	    "[1.00000] app: short micros",
	    "[1.0000000] app: long micros",
	    "[.000000] app: no seconds",
	    "[1.000000]app: no space",
	    "[1.000000] app:no space",
	    "[1.000000] : no source",
	    "[1.000000] App: upper case",
	    "[1.000000] averyveryverylongsource: x",
	    "[1.000000] app",
	    "[1234567890123.000000] app: 13 digits",
	    "[1x000000] app: x",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK(syslogmsg_parse(bad[i], strlen(bad[i]), &l) == -1,
		      "accepted '%s'", bad[i]);
}

/* The datagram's size: bounded, a long line cut at the end. */
static void
test_bounds(void)
{
	static char line[3000];
	size_t n;

	memcpy(line, "[1.000000] app: ", 16);
	memset(line + 16, 'x', sizeof(line) - 16);
	CHECK(!syslogmsg_parse(line, sizeof(line), &l), "long line");
	n = syslogmsg_format(out, sizeof(out), &l, -1, "h");
	CHECK(n == SYSLOGMSG_MAX && out[n - 1] == 'x', "cut at %zu", n);
	n = syslogmsg_format(out, 10, &l, -1, "h");
	CHECK(n == 10 && !memcmp(out, "<14>1 - h ", 10), "small: %zu", n);
	n = syslogmsg_format(out, 0, &l, -1, "h");
	CHECK(n == 0, "no room: %zu", n);
}

int
main(void)
{
	test_lines();
	test_refusals();
	test_bounds();
	return unit_done("syslogmsg");
}
