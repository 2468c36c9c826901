// SPDX-License-Identifier: MIT
/* Unit tests of the control protocol, its sockets, and keel's client. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/control.h"
#include "lib/notify.h"
#include "tests/unit/unit.h"

static char dir[] = "/tmp/keel-control-XXXXXX";
static char sock_path[128], keel[PATH_MAX];

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
	/* Incomplete: 0 while it may still become a request. */
	CHECK(req("", &r) == 0 && req("stat", &r) == 0 &&
		      req("update 12", &r) == 0,
	      "incomplete");
	const char *bad[] = {
		"Status\n", "status \n", " status\n", "status\r\n",
		"stat\n", "\n", "factory-reset\n", "factory-reset no\n",
		"factory-reset yes please\n", "update 0\n", "update 01\n",
		"update -1\n", "update 4503599627370497\n", "update  5\n",
		"update 99999999999999999999999\n", "update fd 3\n",
		"status\nstatus\n", "reboot\nx", "update fd\nx",
		"st\xc3\xa4tus\n", "reboot\t\n",
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
		{ CONTROL_STATUS, 0, 0 },	  { CONTROL_REBOOT, 0, 0 },
		{ CONTROL_POWEROFF, 0, 0 },	  { CONTROL_FACTORY_RESET, 0, 0 },
		{ CONTROL_UPDATE, CONTROL_SRC_STREAM, 0 },
		{ CONTROL_UPDATE, CONTROL_SRC_FD, 0 },
		{ CONTROL_UPDATE, CONTROL_SRC_SIZED, CONTROL_SIZE_MAX },
	};
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		size_t n = control_fmt_request(&all[i], line, sizeof(line));
		CHECK(n && control_parse_request(line, n, &r, NULL) == (int)n &&
			      r.cmd == all[i].cmd && r.src == all[i].src &&
			      r.size == all[i].size,
		      "round trip %zu", i);
	}
	struct control_req nope = { 99, 0, 0 };
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
	const char *bad[] = { "", "OK", "ok ", "error:x", "=v", "Key=v",
			      "k y=v", "nokey", "progress=6/5", "progress=1",
			      "progress=/5", "progress=1/x", "k=v\tw",
			      "k=v\x7f" };
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
	CHECK(control_put(buf, 8, &off, "key", "%s", "value") == -1 &&
		      off == 0,
	      "no room");
	CHECK(!control_end(buf, sizeof(buf), &off, NULL) &&
		      !strcmp(buf, "ok\n"),
	      "end ok");
	CHECK(!control_end(buf, sizeof(buf), &off, "bad\nthing") &&
		      !strcmp(buf + 3, "error: bad?thing\n"),
	      "end error '%s'", buf + 3);
	/* The state as status lines: every one parses. */
	state_default(&st);
	state_set_trial(&st, 1, 3, 7, 2, NULL);
	state_mark_bad(&st, 1, STATE_FAIL_NOT_READY, "no READY in 60 s",
		       NULL);
	off = 0;
	CHECK(!control_put_state(buf, sizeof(buf), &off, &st), "put state");
	CHECK(strstr(buf, "committed=a\n") && strstr(buf, "floor=0\n") &&
		      strstr(buf, "slot=b\n") &&
		      strstr(buf, "slot.fail=not-ready\n") &&
		      strstr(buf, "slot.fail_text=no READY in 60 s\n"),
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

	pair(s);
	CHECK(control_recv_request(s[0], &r, &fd, &e) == 0, "nothing yet");
	CHECK(write(s[1], "upd", 3) == 3, "w");
	CHECK(control_recv_request(s[0], &r, &fd, &e) == 0, "partial");
	CHECK(write(s[1], "ate 5\nABCDE", 11) == 11, "w");
	CHECK(control_recv_request(s[0], &r, &fd, &e) == 1 &&
		      r.src == CONTROL_SRC_SIZED && r.size == 5 && fd == -1,
	      "sized update");
	CHECK(read(s[0], data, sizeof(data)) == 5 && !memcmp(data, "ABCDE", 5),
	      "bundle bytes left in the socket");
	close(s[0]), close(s[1]);
	/* Oversized, garbage, two requests, early close. */
	pair(s);
	memset(data, 'a', sizeof(data));
	for (int i = 0; i < 5; i++)
		CHECK(write(s[1], data, sizeof(data)) == 16, "w");
	CHECK(control_recv_request(s[0], &r, &fd, &e) == -1, "oversized");
	close(s[0]), close(s[1]);
	pair(s);
	CHECK(write(s[1], "status\nreboot\n", 14) == 14, "w");
	CHECK(control_recv_request(s[0], &r, &fd, &e) == -1, "two requests");
	close(s[0]), close(s[1]);
	pair(s);
	close(s[1]);
	CHECK(control_recv_request(s[0], &r, &fd, &e) == -1 &&
		      strstr(e.detail, "closed"),
	      "closed early");
	close(s[0]);
	/* A passed descriptor: kept for "update fd", closed otherwise. */
	pair(s);
	out = (struct control_req){ CONTROL_UPDATE, CONTROL_SRC_FD, 0 };
	CHECK(!control_send_request(s[1], &out, nul, &e), "send fd");
	CHECK(control_recv_request(s[0], &r, &fd, &e) == 1 && fd >= 0 &&
		      fd != nul,
	      "got fd %d", fd);
	struct stat a, b;
	CHECK(!fstat(fd, &a) && !fstat(nul, &b) && a.st_ino == b.st_ino,
	      "same file");
	CHECK(fcntl(fd, F_GETFD) & FD_CLOEXEC, "cloexec");
	close(fd);
	close(s[0]), close(s[1]);
	pair(s);
	free0 = lowest_free_fd();
	out = (struct control_req){ CONTROL_STATUS, 0, 0 };
	CHECK(!control_send_request(s[1], &out, nul, &e), "send fd");
	CHECK(control_recv_request(s[0], &r, &fd, &e) == 1 && fd == -1 &&
		      r.cmd == CONTROL_STATUS,
	      "status with fd");
	CHECK(lowest_free_fd() == free0, "passed fd leaked");
	close(s[0]), close(s[1]);
	pair(s);
	CHECK(write(s[1], "update fd\n", 10) == 10, "w");
	CHECK(control_recv_request(s[0], &r, &fd, &e) == -1 && fd == -1,
	      "update fd without fd");
	close(s[0]), close(s[1]);
	close(nul);
}

/* --- keel's client against a fake server ------------------------------ */

struct run {
	pid_t pid;
	char out[PATH_MAX], err[PATH_MAX];
};

static void
start(struct run *r, const char *in, const char *env_sock, char **args)
{
	char *argv[16] = { keel };
	int n = 1;

	for (; args[n - 1]; n++)
		argv[n] = args[n - 1];
	argv[n] = NULL;
	snprintf(r->out, sizeof(r->out), "%s/out", dir);
	snprintf(r->err, sizeof(r->err), "%s/err", dir);
	r->pid = fork();
	if (r->pid == 0) {
		int o = open(r->out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		int e = open(r->err, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		int i, pp[2];

		if (in && in[0] == '|' && !pipe(pp)) {
			/* stdin is a pipe fed by a writer process */
			if (fork() == 0) {
				static char b[65536];
				int f = open(in + 1, O_RDONLY);
				ssize_t n;
				close(pp[0]);
				while ((n = read(f, b, sizeof(b))) > 0)
					if (write(pp[1], b, (size_t)n) != n)
						_exit(1);
				_exit(0);
			}
			close(pp[1]);
			i = pp[0];
		} else {
			i = open(in ? in : "/dev/null", O_RDONLY);
		}
		dup2(i, 0), dup2(o, 1), dup2(e, 2);
		if (env_sock)
			setenv("KEEL_CONTROL", env_sock, 1);
		else
			unsetenv("KEEL_CONTROL");
		execv(keel, argv);
		_exit(127);
	}
}

static int
finish(struct run *r)
{
	int st;

	if (waitpid(r->pid, &st, 0) != r->pid)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static int
file_has(const char *path, const char *s)
{
	static char buf[65536];
	long n;
	int fd = open(path, O_RDONLY);

	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	buf[n > 0 ? n : 0] = 0;
	return strstr(buf, s) != NULL;
}

/* Waits for a connection and its request (the client has 10 s). */
static int
serve(int lfd, struct control_req *r, int *fd)
{
	struct pollfd p = { lfd, POLLIN, 0 };
	struct kerr e;
	int c, rc;

	if (poll(&p, 1, 10000) != 1)
		return -1;
	c = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (c < 0)
		return -1;
	for (int i = 0; i < 1000; i++) {
		p.fd = c;
		poll(&p, 1, 10);
		rc = control_recv_request(c, r, fd, &e);
		if (rc == 1)
			return c;
		if (rc < 0)
			break;
	}
	close(c);
	return -1;
}

static void
say(int c, const char *s)
{
	size_t n = strlen(s);

	fcntl(c, F_SETFL, 0);
	if (write(c, s, n) != (ssize_t)n)
		printf("server: short write\n");
}

/* Reads the bundle as the installer would: blocking, to EOF or size. */
static long
slurp(int c, uint8_t *buf, size_t cap, uint64_t size, const char *progress)
{
	size_t got = 0;
	char line[64];

	fcntl(c, F_SETFL, 0);
	while (got < cap && (!size || got < size)) {
		ssize_t n = read(c, buf + got, (size ? size - got : cap - got));
		if (n <= 0)
			break;
		got += (size_t)n;
		if (progress) {
			snprintf(line, sizeof(line), "progress=%zu/%s\n", got,
				 progress);
			say(c, line);
		}
	}
	return (long)got;
}

static void
test_client_simple(int lfd)
{
	struct control_req r;
	struct run run;
	char buf[4096];
	size_t off = 0;
	struct state st;
	int c, fd;

	state_default(&st);
	control_put_state(buf, sizeof(buf), &off, &st);
	control_put(buf, sizeof(buf), &off, "app", "%s", "running");
	control_end(buf, sizeof(buf), &off, NULL);
	start(&run, NULL, sock_path, (char *[]){ "status", NULL });
	c = serve(lfd, &r, &fd);
	CHECK(c >= 0 && r.cmd == CONTROL_STATUS, "status request");
	say(c, buf);
	close(c);
	CHECK(finish(&run) == 0, "status exit");
	buf[off - 3] = 0; /* the client prints the lines before "ok" */
	CHECK(file_has(run.out, buf) && file_has(run.out, "app=running\n"),
	      "status output");

	const struct {
		char *args[4];
		int cmd;
		const char *reply, *want_err;
		int rc;
	} t[] = {
		{ { "reboot" }, CONTROL_REBOOT, "ok\n", "", 0 },
		{ { "poweroff", "--socket", sock_path },
		  CONTROL_POWEROFF, "ok\n", "", 0 },
		{ { "factory-reset", "--yes" }, CONTROL_FACTORY_RESET,
		  "ok\n", "", 0 },
		{ { "reboot" }, CONTROL_REBOOT, "error: update running\n",
		  "update running", 1 },
		{ { "status" }, CONTROL_STATUS, "a=1\n", "without a reply", 1 },
		{ { "status" }, CONTROL_STATUS, "garbage\nok\n", "no '='", 1 },
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		/* poweroff names its socket: the environment points away. */
		start(&run, NULL, i == 1 ? "/nonexistent" : sock_path,
		      (char **)t[i].args);
		c = serve(lfd, &r, &fd);
		CHECK(c >= 0 && r.cmd == t[i].cmd, "%zu: request %d", i,
		      r.cmd);
		if (c >= 0) {
			say(c, t[i].reply);
			close(c);
		}
		CHECK(finish(&run) == t[i].rc, "%zu: exit", i);
		CHECK(file_has(run.err, t[i].want_err), "%zu: stderr", i);
	}
	/* Refused before connecting. */
	start(&run, NULL, sock_path, (char *[]){ "factory-reset", NULL });
	CHECK(finish(&run) == 1 && file_has(run.err, "--yes"), "no --yes");
	start(&run, NULL, sock_path, (char *[]){ "status", "x", NULL });
	CHECK(finish(&run) == 2, "extra arg");
	start(&run, NULL, sock_path, (char *[]){ "update", NULL });
	CHECK(finish(&run) == 2, "update without bundle");
	struct pollfd p = { lfd, POLLIN, 0 };
	CHECK(poll(&p, 1, 0) == 0, "refused clients connected");
	start(&run, NULL, "/nonexistent/sock", (char *[]){ "status", NULL });
	CHECK(finish(&run) == 1 && file_has(run.err, "/nonexistent/sock"),
	      "no server");
}

static void
test_client_update(int lfd)
{
	static uint8_t data[3 << 20], got[4 << 20];
	char path[PATH_MAX], total[32];
	struct control_req r;
	struct run run;
	unsigned s = 1;
	int c, fd, out;
	long n;

	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)((s = s * 1103515245u + 12345u) >> 16);
	snprintf(path, sizeof(path), "%s/bundle", dir);
	out = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	CHECK(write(out, data, sizeof(data)) == (ssize_t)sizeof(data), "w");
	close(out);
	snprintf(total, sizeof(total), "%zu", sizeof(data));

	/* A file: sized stream, progress on stderr, ok. */
	start(&run, NULL, sock_path, (char *[]){ "update", path, NULL });
	c = serve(lfd, &r, &fd);
	CHECK(c >= 0 && r.cmd == CONTROL_UPDATE &&
		      r.src == CONTROL_SRC_SIZED && r.size == sizeof(data),
	      "update file: src %d size %llu", r.src,
	      (unsigned long long)r.size);
	n = slurp(c, got, sizeof(got), r.size, total);
	CHECK(n == (long)sizeof(data) && !memcmp(got, data, sizeof(data)),
	      "bundle bytes %ld", n);
	say(c, "ok\n");
	close(c);
	CHECK(finish(&run) == 0, "update exit");
	CHECK(file_has(run.err, "3145728/3145728 bytes (100%)"),
	      "progress shown");

	/* stdin, a pipe: stream to EOF. */
	char piped[PATH_MAX + 1];
	snprintf(piped, sizeof(piped), "|%s", path);
	start(&run, piped, sock_path, (char *[]){ "update", "-", NULL });
	c = serve(lfd, &r, &fd);
	CHECK(c >= 0 && r.src == CONTROL_SRC_STREAM, "update -: %d", r.src);
	n = slurp(c, got, sizeof(got), 0, "0");
	CHECK(n == (long)sizeof(data) && !memcmp(got, data, sizeof(data)),
	      "stdin bytes %ld", n);
	say(c, "ok\n");
	close(c);
	CHECK(finish(&run) == 0, "update - exit");

	/* stdin, a regular file: its size is known, so sent sized. */
	start(&run, path, sock_path, (char *[]){ "update", "-", NULL });
	c = serve(lfd, &r, &fd);
	CHECK(c >= 0 && r.src == CONTROL_SRC_SIZED && r.size == sizeof(data),
	      "update - <file: %d", r.src);
	n = slurp(c, got, sizeof(got), r.size, NULL);
	say(c, "ok\n");
	close(c);
	CHECK(finish(&run) == 0 && n == (long)sizeof(data), "update - <file");

	/* --fd: the descriptor, not the bytes. */
	start(&run, NULL, sock_path, (char *[]){ "update", "--fd", path, NULL });
	c = serve(lfd, &r, &fd);
	CHECK(c >= 0 && r.src == CONTROL_SRC_FD && fd >= 0, "update --fd");
	n = fd >= 0 ? pread(fd, got, sizeof(got), 0) : -1;
	CHECK(n == (long)sizeof(data) && !memcmp(got, data, sizeof(data)),
	      "fd bytes %ld", n);
	if (fd >= 0)
		close(fd);
	say(c, "progress=3145728/3145728\nok\n");
	close(c);
	CHECK(finish(&run) == 0, "update --fd exit");

	/* The server refuses mid-stream: the client stops, reports, exits. */
	start(&run, NULL, sock_path, (char *[]){ "update", path, NULL });
	c = serve(lfd, &r, &fd);
	n = slurp(c, got, 100000, 100000, NULL);
	say(c, "progress=100000/3145728\nerror: block 3: hash mismatch\n");
	close(c);
	CHECK(finish(&run) == 1 &&
		      file_has(run.err, "block 3: hash mismatch"),
	      "refused mid-stream");
}

static void
test_notify_client(void)
{
	char path[PATH_MAX], buf[NOTIFY_MAX + 1];
	struct notify_msg m;
	struct kerr e;
	struct run run;
	pid_t pid;
	int fd;

	snprintf(path, sizeof(path), "%s/notify", dir);
	fd = notify_open(path, &e);
	CHECK(fd >= 0, "notify open");
	setenv("NOTIFY_SOCKET", path, 1);
	start(&run, NULL, NULL,
	      (char *[]){ "notify", "READY=1", "STATUS=serving 3 clients",
			  NULL });
	CHECK(finish(&run) == 0, "keel notify exit");
	CHECK(notify_recv(fd, buf, sizeof(buf), &m, &pid, &e) == 1 &&
		      m.flags == (NOTIFY_READY | NOTIFY_STATUS) &&
		      !strcmp(m.status, "serving 3 clients") &&
		      pid == run.pid,
	      "datagram: %x '%s'", m.flags, m.status);
	start(&run, NULL, NULL, (char *[]){ "notify", "READY", NULL });
	CHECK(finish(&run) == 1, "not KEY=VALUE");
	unsetenv("NOTIFY_SOCKET");
	start(&run, NULL, NULL, (char *[]){ "notify", "READY=1", NULL });
	CHECK(finish(&run) == 1 && file_has(run.err, "NOTIFY_SOCKET"),
	      "unset");
	start(&run, NULL, NULL,
	      (char *[]){ "notify", "--socket", path, "WATCHDOG=1", NULL });
	CHECK(finish(&run) == 0 &&
		      notify_recv(fd, buf, sizeof(buf), &m, &pid, &e) == 1 &&
		      m.flags == NOTIFY_WATCHDOG,
	      "--socket");
	close(fd);
	unlink(path);
}

static int
find_keel(void)
{
	const char *o = getenv("O");
	char exe[PATH_MAX];
	ssize_t n;

	if (o && *o) {
		snprintf(keel, sizeof(keel), "%s/keel", o);
	} else {
		n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
		if (n <= 0)
			return -1;
		exe[n] = 0;
		/* $O/host/tests/test_control -> $O/keel */
		snprintf(keel, sizeof(keel), "%s/keel",
			 dirname(dirname(dirname(exe))));
	}
	return access(keel, X_OK);
}

int
main(void)
{
	struct kerr e;
	int lfd;

	signal(SIGPIPE, SIG_IGN);
	alarm(120); /* a hung client or server is a failure, not a hang */
	test_request();
	test_reply();
	test_recv();
	CHECK(mkdtemp(dir) != NULL, "mkdtemp");
	CHECK(!find_keel(), "keel binary not found at %s (build it first)",
	      keel);
	snprintf(sock_path, sizeof(sock_path), "%s/control", dir);
	lfd = control_listen(sock_path, &e);
	CHECK(lfd >= 0, "listen: %s", e.detail);
	if (lfd >= 0 && !access(keel, X_OK)) {
		struct stat st;
		CHECK(!stat(sock_path, &st) && (st.st_mode & 0777) == 0660,
		      "socket mode %o", st.st_mode & 0777);
		test_client_simple(lfd);
		test_client_update(lfd);
		test_notify_client();
		close(lfd);
	}
	unlink(sock_path);
	char p[PATH_MAX];
	snprintf(p, sizeof(p), "%s/out", dir), unlink(p);
	snprintf(p, sizeof(p), "%s/err", dir), unlink(p);
	snprintf(p, sizeof(p), "%s/bundle", dir), unlink(p);
	rmdir(dir);
	return unit_done("control");
}
