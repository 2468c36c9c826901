// SPDX-License-Identifier: MIT
/* Unit tests of the control protocol: parsers, reply lines, sockets. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/ipc/control.h"
#include "lib/ipc/notify.h"
#include "tests/unit/unit.h"

static int
req(const char *s, struct control_req *r)
{
	return control_parse_request(s, strlen(s), r, NULL);
}

static void
test_request(void)
{
	struct control_req r;
	struct kerr e;
	char line[CONTROL_REQ_MAX], big[CONTROL_REQ_MAX + 1];

	CHECK(req("status\n", &r) == 7 && r.cmd == CONTROL_STATUS, "status");
	CHECK(req("reboot\n", &r) == 7 && r.cmd == CONTROL_REBOOT, "reboot");
	CHECK(req("poweroff\n", &r) == 9 && r.cmd == CONTROL_POWEROFF, "off");
	CHECK(req("factory-reset yes\n", &r) == 18 &&
		  r.cmd == CONTROL_FACTORY_RESET,
	      "reset");
	CHECK(req("update\nBUNDLE", &r) == 7 && r.cmd == CONTROL_UPDATE &&
		  r.src == CONTROL_SRC_STREAM,
	      "update stream");
	CHECK(req("update 4096\n\x00\x01", &r) == 12 &&
		  r.src == CONTROL_SRC_SIZED && r.size == 4096,
	      "update sized");
	CHECK(control_parse_request("update 4096\n\0\1", 14, &r, NULL) == 12,
	      "binary data after update");
	CHECK(req("update fd\n", &r) == 10 && r.src == CONTROL_SRC_FD, "fd");
	CHECK(req("update 4503599627370496\n", &r) > 0, "size max");
	CHECK(req("update\n", &r) == 7 && !r.force, "not forced");
	CHECK(req("update force\nB", &r) == 13 && r.force &&
		  r.cmd == CONTROL_UPDATE && r.src == CONTROL_SRC_STREAM,
	      "update force");
	CHECK(req("update force 4096\n", &r) == 18 && r.force &&
		  r.src == CONTROL_SRC_SIZED && r.size == 4096,
	      "update force SIZE");
	CHECK(req("update force fd\n", &r) == 16 && r.force &&
		  r.src == CONTROL_SRC_FD,
	      "update force fd");
	{
		struct control_req q = {.cmd = CONTROL_UPDATE,
					.src = CONTROL_SRC_SIZED,
					.size = 77,
					.force = 1};
		char line[CONTROL_REQ_MAX];
		size_t n = control_fmt_request(&q, line, sizeof(line));

		CHECK(n == 16 && !memcmp(line, "update force 77\n", 16),
		      "format forced: %.*s", (int)n, line);
		q.src = CONTROL_SRC_FD;
		n = control_fmt_request(&q, line, sizeof(line));
		CHECK(n == 16 && !memcmp(line, "update force fd\n", 16),
		      "format forced fd");
	}
	/* Incomplete: 0 while it may still become a request. */
	CHECK(req("", &r) == 0 && req("stat", &r) == 0 &&
		  req("update 12", &r) == 0,
	      "incomplete");
	const char *bad[] = {
	    "Status\n",
	    "status \n",
	    " status\n",
	    "status\r\n",
	    "stat\n",
	    "\n",
	    "factory-reset\n",
	    "factory-reset no\n",
	    "factory-reset yes please\n",
	    "update 0\n",
	    "update 01\n",
	    "update -1\n",
	    "update 4503599627370497\n",
	    "update  5\n",
	    "update 99999999999999999999999\n",
	    "update fd 3\n",
	    "update force \n",
	    "update force force\n",
	    "update forced\n",
	    "update force  5\n",
	    "update fd force\n",
	    "force update\n",
	    "status\nstatus\n",
	    "reboot\nx",
	    "update fd\nx",
	    "st\xc3\xa4tus\n",
	    "reboot\t\n",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK(req(bad[i], &r) == -1, "accepted '%s'", bad[i]);
	CHECK(control_parse_request("st\0", 3, &r, &e) == -1, "NUL early");
	CHECK(control_parse_request("factory-reset\n", 14, &r, &e) == -1 &&
		  strstr(e.detail, "yes"),
	      "reset hint: %s", e.detail);
	memset(big, 'a', sizeof(big));
	CHECK(control_parse_request(big, CONTROL_REQ_MAX - 1, &r, &e) == 0,
	      "63 bytes: still may end");
	CHECK(control_parse_request(big, CONTROL_REQ_MAX, &r, &e) == -1 &&
		  strstr(e.detail, "longer"),
	      "64 bytes, no newline");
	/* fmt -> parse round trip. */
	struct control_req all[] = {
	    {.cmd = CONTROL_STATUS},
	    {.cmd = CONTROL_REBOOT},
	    {.cmd = CONTROL_POWEROFF},
	    {.cmd = CONTROL_FACTORY_RESET},
	    {.cmd = CONTROL_UPDATE, .src = CONTROL_SRC_STREAM},
	    {.cmd = CONTROL_UPDATE, .src = CONTROL_SRC_FD},
	    {.cmd = CONTROL_UPDATE,
	     .src = CONTROL_SRC_SIZED,
	     .size = CONTROL_SIZE_MAX},
	    {.cmd = CONTROL_UPDATE, .src = CONTROL_SRC_STREAM, .force = 1},
	    {.cmd = CONTROL_UPDATE, .src = CONTROL_SRC_FD, .force = 1},
	    {.cmd = CONTROL_UPDATE,
	     .src = CONTROL_SRC_SIZED,
	     .size = CONTROL_SIZE_MAX,
	     .force = 1},
	};
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		size_t n = control_fmt_request(&all[i], line, sizeof(line));
		CHECK(n && control_parse_request(line, n, &r, NULL) == (int)n &&
			  r.cmd == all[i].cmd && r.src == all[i].src &&
			  r.size == all[i].size && r.force == all[i].force,
		      "round trip %zu", i);
	}
	/* logs: the exact grammar, and the round trip. */
	struct {
		const char *line;
		int ok;
		uint64_t lines;
		int follow;
		unsigned boot;
	} logs[] = {
	    {"logs 0", 1, 0, 0, 0},
	    {"logs 25", 1, 25, 0, 0},
	    {"logs follow 10", 1, 10, 1, 0},
	    {"logs boot 1 0", 1, 0, 0, 1},
	    {"logs boot 9 1000000", 1, 1000000, 0, 9},
	    {"logs", 0, 0, 0, 0},
	    {"logs ", 0, 0, 0, 0},
	    {"logs 5 ", 0, 0, 0, 0},
	    {"logs  5", 0, 0, 0, 0},
	    {"logs 05", 0, 0, 0, 0},
	    {"logs 1000001", 0, 0, 0, 0},
	    {"logs follow", 0, 0, 0, 0},
	    {"logs boot 0 5", 0, 0, 0, 0},
	    {"logs boot 10 5", 0, 0, 0, 0},
	    {"logs boot 1", 0, 0, 0, 0},
	    {"logs follow boot 1 5", 0, 0, 0, 0},
	    {"logs boot 1 follow 5", 0, 0, 0, 0},
	    {"logs -5", 0, 0, 0, 0},
	};
	for (size_t i = 0; i < sizeof(logs) / sizeof(logs[0]); i++) {
		char in[CONTROL_REQ_MAX];
		int n = snprintf(in, sizeof(in), "%s\n", logs[i].line);
		int got = control_parse_request(in, (size_t)n, &r, NULL);
		if (!logs[i].ok) {
			CHECK(got == -1, "'%s' refused", logs[i].line);
			continue;
		}
		CHECK(got == n && r.cmd == CONTROL_LOGS &&
			  r.lines == logs[i].lines &&
			  r.follow == logs[i].follow && r.boot == logs[i].boot,
		      "'%s' parsed", logs[i].line);
		CHECK(control_fmt_request(&r, line, sizeof(line)) ==
			      (size_t)n &&
			  !memcmp(line, in, (size_t)n),
		      "'%s' formats back", logs[i].line);
	}
	struct control_req nope = {.cmd = 99, .src = 0, .size = 0};
	CHECK(!control_fmt_request(&nope, line, sizeof(line)), "fmt bogus");
}

static int
rep(const char *s, struct control_reply *r)
{
	return control_parse_reply(s, strlen(s), r, NULL);
}

static void
test_reply(void)
{
	struct control_reply r;
	char buf[4096], big[CONTROL_LINE_MAX + 8];
	size_t off = 0;
	struct state st;

	CHECK(!rep("ok", &r) && r.kind == CONTROL_R_OK, "ok");
	CHECK(!rep("error: no room", &r) && r.kind == CONTROL_R_ERROR &&
		  !strcmp(r.value, "no room"),
	      "error");
	CHECK(!rep("slot.version=12", &r) && r.kind == CONTROL_R_KV &&
		  !strcmp(r.key, "slot.version") && !strcmp(r.value, "12"),
	      "kv");
	CHECK(!rep("app_status=", &r) && r.kind == CONTROL_R_KV && !r.value[0],
	      "empty value");
	CHECK(!rep("status=a=b c", &r) && !strcmp(r.value, "a=b c"), "= in v");
	CHECK(!rep("progress=5/10", &r) && r.kind == CONTROL_R_PROGRESS &&
		  r.done == 5 && r.total == 10,
	      "progress");
	CHECK(!rep("progress=5/0", &r) && r.kind == CONTROL_R_PROGRESS &&
		  r.total == 0,
	      "progress, total unknown");
	const char *bad[] = {"",	   "OK",	  "ok ",
			     "error:x",	   "=v",	  "Key=v",
			     "k y=v",	   "nokey",	  "progress=6/5",
			     "progress=1", "progress=/5", "progress=1/x",
			     "k=v\tw",	   "k=v\x7f"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK(rep(bad[i], &r) == -1, "accepted '%s'", bad[i]);
	memset(big, 'v', sizeof(big));
	memcpy(big, "k=", 2);
	CHECK(control_parse_reply(big, CONTROL_LINE_MAX - 1, &r, NULL) == 0,
	      "longest line");
	CHECK(control_parse_reply(big, CONTROL_LINE_MAX, &r, NULL) == -1,
	      "line too long");
	/* Server helpers: sanitized, cut to one line, room checked. */
	CHECK(!control_put(buf, sizeof(buf), &off, "app_status", "%s",
			   "bad\nline\x01"),
	      "put");
	CHECK(!strcmp(buf, "app_status=bad?line?\n"), "sanitized '%s'", buf);
	off = 0;
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = 0;
	CHECK(!control_put(buf, sizeof(buf), &off, "k", "%s", big) &&
		  off == CONTROL_LINE_MAX - 1 && buf[off - 1] == '\n',
	      "cut to a line: %zu", off);
	CHECK(!control_parse_reply(buf, off - 1, &r, NULL), "cut parses");
	off = 0;
	CHECK(control_put(buf, 8, &off, "key", "%s", "value") == -1 && off == 0,
	      "no room");
	CHECK(!control_end(buf, sizeof(buf), &off, NULL) &&
		  !strcmp(buf, "ok\n"),
	      "end ok");
	CHECK(!control_end(buf, sizeof(buf), &off, "bad\nthing") &&
		  !strcmp(buf + 3, "error: bad?thing\n"),
	      "end error '%s'", buf + 3);
	/* The state as status lines: every one parses. */
	state_default(&st);
	state_set_trial(&st, 1, 3, 7, 2, NULL, NULL);
	state_mark_bad(&st, 1, STATE_FAIL_NOT_READY, "no READY in 60 s", NULL);
	off = 0;
	CHECK(!control_put_state(buf, sizeof(buf), &off, &st), "put state");
	CHECK(strstr(buf, "committed=a\n") && strstr(buf, "floor=0\n") &&
		  strstr(buf, "slot=b\n") &&
		  strstr(buf, "slot.fail=not-ready\n") &&
		  strstr(buf, "slot.fail_text=no READY in 60 s\n") &&
		  strstr(buf, "failed_version=7\n") &&
		  strstr(buf, "slot.digest=0000"),
	      "state lines:\n%s", buf);
	int lines = 0, okp = 1;
	for (char *p = buf, *nl; (nl = strchr(p, '\n')); p = nl + 1, lines++)
		okp &= !control_parse_reply(p, (size_t)(nl - p), &r, NULL);
	CHECK(okp && lines > 12, "state lines parse (%d)", lines);
	size_t small = 0;
	CHECK(control_put_state(buf, 100, &small, &st) == -1 && !small,
	      "state no room");
}

/* A connected pair: s[0] is the server end (non-blocking). */
static void
pair(int s[2])
{
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, s))
		s[0] = s[1] = -1;
	fcntl(s[0], F_SETFL, O_NONBLOCK);
}

static int
lowest_free_fd(void)
{
	int f = dup(0);

	close(f);
	return f;
}

static void
test_recv(void)
{
	struct control_req r, out;
	struct kerr e;
	char data[16];
	int s[2], fd, nul = open("/dev/null", O_RDONLY), free0;
	struct control_conn cc;
	struct pollfd pf;

	pair(s), control_conn_init(&cc);
	CHECK(control_recv_request(s[0], &cc, &r, &fd, &e) == 0, "nothing yet");
	CHECK(write(s[1], "upd", 3) == 3, "w");
	CHECK(control_recv_request(s[0], &cc, &r, &fd, &e) == 0, "partial");
	/* A stalled client leaves nothing readable: no busy loop. */
	pf = (struct pollfd){s[0], POLLIN, 0};
	CHECK(poll(&pf, 1, 0) == 0, "partial line still readable");
	CHECK(control_recv_request(s[0], &cc, &r, &fd, &e) == 0, "again");
	CHECK(write(s[1], "ate 5\nABCDE", 11) == 11, "w");
	CHECK(control_recv_request(s[0], &cc, &r, &fd, &e) == 1 &&
		  r.src == CONTROL_SRC_SIZED && r.size == 5 && fd == -1,
	      "sized update");
	CHECK(read(s[0], data, sizeof(data)) == 5 && !memcmp(data, "ABCDE", 5),
	      "bundle bytes left in the socket");
	close(s[0]), close(s[1]);
	/* Byte by byte, then a close mid-line. */
	pair(s), control_conn_init(&cc);
	for (const char *p = "reboot"; *p; p++) {
		CHECK(write(s[1], p, 1) == 1, "w");
		CHECK(control_recv_request(s[0], &cc, &r, &fd, &e) == 0,
		      "dribble");
	}
	CHECK(write(s[1], "\n", 1) == 1, "w");
	CHECK(control_recv_request(s[0], &cc, &r, &fd, &e) == 1 &&
		  r.cmd == CONTROL_REBOOT,
	      "dribbled request");
	close(s[0]), close(s[1]);
	pair(s), control_conn_init(&cc);
	CHECK(write(s[1], "stat", 4) == 4, "w");
	CHECK(control_recv_request(s[0], &cc, &r, &fd, &e) == 0, "half");
	close(s[1]);
	CHECK(control_recv_request(s[0], &cc, &r, &fd, &e) == -1,
	      "closed mid-line");
	close(s[0]);
	/* Bad bytes are refused as they come. */
	pair(s), control_conn_init(&cc);
	CHECK(write(s[1], "sta", 3) == 3, "w");
	CHECK(control_recv_request(s[0], &cc, &r, &fd, &e) == 0, "sta");
	CHECK(write(s[1], "T", 1) == 1, "w");
	CHECK(control_recv_request(s[0], &cc, &r, &fd, &e) == -1, "staT");
	close(s[0]), close(s[1]);
	/* 63 bytes in pieces, then one more without a newline: refused. */
	pair(s), control_conn_init(&cc);
	memset(data, 'a', sizeof(data));
	for (int i = 0; i < 3; i++) {
		CHECK(write(s[1], data, 16) == 16, "w");
		CHECK(control_recv_request(s[0], &cc, &r, &fd, &e) == 0, "p");
	}
	CHECK(write(s[1], data, 16) == 16, "w");
	CHECK(control_recv_request(s[0], &cc, &r, &fd, &e) == -1 &&
		  strstr(e.detail, "longer"),
	      "64 bytes in pieces: %s", e.detail);
	close(s[0]), close(s[1]);
	/* Oversized, garbage, two requests, early close. */
	pair(s), control_conn_init(&cc);
	memset(data, 'a', sizeof(data));
	for (int i = 0; i < 5; i++)
		CHECK(write(s[1], data, sizeof(data)) == 16, "w");
	CHECK(control_recv_request(s[0], &cc, &r, &fd, &e) == -1, "oversized");
	close(s[0]), close(s[1]);
	pair(s), control_conn_init(&cc);
	CHECK(write(s[1], "status\nreboot\n", 14) == 14, "w");
	CHECK(control_recv_request(s[0], &cc, &r, &fd, &e) == -1,
	      "two requests");
	close(s[0]), close(s[1]);
	pair(s), control_conn_init(&cc);
	close(s[1]);
	CHECK(control_recv_request(s[0], &cc, &r, &fd, &e) == -1 &&
		  strstr(e.detail, "closed"),
	      "closed early");
	close(s[0]);
	/* A passed descriptor: kept for "update fd", closed otherwise. */
	pair(s), control_conn_init(&cc);
	out = (struct control_req){
	    .cmd = CONTROL_UPDATE, .src = CONTROL_SRC_FD, .size = 0};
	CHECK(!control_send_request(s[1], &out, nul, &e), "send fd");
	CHECK(control_recv_request(s[0], &cc, &r, &fd, &e) == 1 && fd >= 0 &&
		  fd != nul,
	      "got fd %d", fd);
	struct stat a, b;
	CHECK(!fstat(fd, &a) && !fstat(nul, &b) && a.st_ino == b.st_ino,
	      "same file");
	CHECK(fcntl(fd, F_GETFD) & FD_CLOEXEC, "cloexec");
	close(fd);
	close(s[0]), close(s[1]);
	pair(s), control_conn_init(&cc);
	free0 = lowest_free_fd();
	out = (struct control_req){.cmd = CONTROL_STATUS, .src = 0, .size = 0};
	CHECK(!control_send_request(s[1], &out, nul, &e), "send fd");
	CHECK(control_recv_request(s[0], &cc, &r, &fd, &e) == 1 && fd == -1 &&
		  r.cmd == CONTROL_STATUS,
	      "status with fd");
	CHECK(lowest_free_fd() == free0, "passed fd leaked");
	close(s[0]), close(s[1]);
	pair(s), control_conn_init(&cc);
	CHECK(write(s[1], "update fd\n", 10) == 10, "w");
	CHECK(control_recv_request(s[0], &cc, &r, &fd, &e) == -1 && fd == -1,
	      "update fd without fd");
	close(s[0]), close(s[1]);
	close(nul);
}

int
main(void)
{
	test_request();
	test_reply();
	test_recv();
	return unit_done("control");
}
