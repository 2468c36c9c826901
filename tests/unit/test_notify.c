// SPDX-License-Identifier: MIT
/* Unit tests of the notify parser, receiver and sender. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "lib/ipc/notify.h"
#include "tests/unit/unit.h"

static int
parse(const char *s, struct notify_msg *m)
{
	return notify_parse(s, strlen(s), m, NULL);
}

static void
test_parse(void)
{
	static char big[NOTIFY_MAX + 2];
	struct notify_msg m;
	struct kerr e;

	CHECK(!parse("READY=1", &m) && m.flags == NOTIFY_READY, "ready");
	CHECK(!parse("READY=1\n", &m) && m.flags == NOTIFY_READY, "ready nl");
	CHECK(!parse("", &m) && !m.flags && !m.ignored, "empty");
	CHECK(!parse("\n\n", &m) && !m.flags && !m.ignored, "blank lines");
	CHECK(!parse("READY=1\nSTATUS=up and running\nWATCHDOG=1", &m) &&
		  m.flags == (NOTIFY_READY | NOTIFY_STATUS | NOTIFY_WATCHDOG) &&
		  !strcmp(m.status, "up and running"),
	      "three: %x '%s'", m.flags, m.status);
	/* systemd accepts READY=1 only; others are ignored, not errors. */
	CHECK(!parse("READY=0\nREADY=yes\nready=1\n READY=1\nREADY=1 ", &m) &&
		  !m.flags && m.ignored == 5,
	      "not ready: %x %u", m.flags, m.ignored);
	CHECK(!parse("MAINPID=1\nFDSTORE=1\nX_FOO=bar\nnoequals", &m) &&
		  !m.flags && m.ignored == 4,
	      "ignored %u", m.ignored);
	CHECK(!parse("STOPPING=1\nRELOADING=1\nWATCHDOG=trigger", &m) &&
		  m.flags == (NOTIFY_STOPPING | NOTIFY_RELOADING |
			      NOTIFY_WATCHDOG_TRIGGER),
	      "stop/reload/trigger %x", m.flags);
	CHECK(!parse("WATCHDOG_USEC=30000000", &m) &&
		  m.flags == NOTIFY_WATCHDOG_USEC &&
		  m.watchdog_usec == 30000000,
	      "usec");
	CHECK(!parse("WATCHDOG_USEC=18446744073709551615", &m) &&
		  m.watchdog_usec == UINT64_MAX,
	      "usec max");
	const char *badusec[] = {"WATCHDOG_USEC=",
				 "WATCHDOG_USEC=0",
				 "WATCHDOG_USEC=-1",
				 "WATCHDOG_USEC=+5",
				 "WATCHDOG_USEC=012",
				 "WATCHDOG_USEC=1x",
				 "WATCHDOG_USEC=18446744073709551616",
				 "WATCHDOG_USEC= 5"};
	for (size_t i = 0; i < sizeof(badusec) / sizeof(badusec[0]); i++)
		CHECK(!parse(badusec[i], &m) && !m.flags && m.ignored == 1,
		      "%s accepted", badusec[i]);
	CHECK(!parse("ERRNO=2", &m) && m.flags == NOTIFY_ERRNO &&
		  m.errno_val == 2,
	      "errno");
	CHECK(!parse("ERRNO=5000", &m) && !m.flags, "errno range");
	/* STATUS: last wins, control bytes shown as '?', long cut. */
	CHECK(!parse("STATUS=a\nSTATUS=b\tc\x1b", &m) &&
		  !strcmp(m.status, "b?c?"),
	      "status '%s'", m.status);
	CHECK(!parse("STATUS=", &m) && m.flags == NOTIFY_STATUS && !m.status[0],
	      "empty status");
	memset(big, 'x', sizeof(big));
	memcpy(big, "STATUS=", 7);
	CHECK(!notify_parse(big, NOTIFY_MAX, &m, &e) &&
		  strlen(m.status) == NOTIFY_STATUS_MAX,
	      "long status %zu", strlen(m.status));
	CHECK(notify_parse(big, NOTIFY_MAX + 1, &m, &e) == -1 && !m.flags,
	      "oversized");
	CHECK(notify_parse("READY=1\0X", 9, &m, &e) == -1 && !m.flags &&
		  strstr(e.detail, "NUL"),
	      "NUL");
	/* Not NUL-terminated input: nothing read past len. */
	CHECK(!notify_parse("READY=1X", 7, &m, NULL) && m.flags == NOTIFY_READY,
	      "len respected");
}

static void
test_socket(void)
{
	char dir[] = "/tmp/keel-notify-XXXXXX", path[64], abs[64];
	static char buf[NOTIFY_MAX + 1];
	static char big[NOTIFY_MAX + 10];
	struct notify_msg m;
	struct kerr e = {0};
	pid_t pid;
	int fd, cli;

	CHECK(mkdtemp(dir) != NULL, "mkdtemp");
	snprintf(path, sizeof(path), "%s/notify", dir);
	fd = notify_open(path, &e);
	CHECK(fd >= 0, "open: %s", e.detail);
	if (fd < 0)
		return;
	CHECK(notify_recv(fd, buf, sizeof(buf), &m, &pid, &e) == 0, "empty");
	CHECK(!notify_send(path, "READY=1\nSTATUS=hi", 17, &e), "send: %s",
	      e.detail);
	CHECK(notify_recv(fd, buf, sizeof(buf), &m, &pid, &e) == 1 &&
		  m.flags == (NOTIFY_READY | NOTIFY_STATUS) && pid == getpid(),
	      "recv: flags %x pid %d", m.flags, (int)pid);
	/* Oversized datagram: refused and consumed; next one fine. */
	memset(big, 'A', sizeof(big));
	CHECK(!notify_send(path, big, sizeof(big), &e), "big send");
	CHECK(notify_recv(fd, buf, sizeof(buf), &m, &pid, &e) == -1 &&
		  strstr(e.detail, "max"),
	      "big refused: %s", e.detail);
	CHECK(!notify_send(path, "WATCHDOG=1", 10, &e), "send");
	CHECK(notify_recv(fd, buf, sizeof(buf), &m, &pid, &e) == 1 &&
		  m.flags == NOTIFY_WATCHDOG,
	      "after big");
	/* Descriptors sent along are closed, never kept. */
	cli = socket(AF_UNIX, SOCK_DGRAM, 0);
	{
		struct sockaddr_un sa = {.sun_family = AF_UNIX};
		int pass = open("/dev/null", O_RDONLY), before, after;
		union {
			struct cmsghdr h;
			char b[CMSG_SPACE(sizeof(int))];
		} cm;
		struct iovec iov = {.iov_base = "READY=1", .iov_len = 7};
		struct msghdr mh = {.msg_name = &sa,
				    .msg_namelen = sizeof(sa),
				    .msg_iov = &iov,
				    .msg_iovlen = 1,
				    .msg_control = cm.b,
				    .msg_controllen = sizeof(cm.b)};
		struct cmsghdr *c = CMSG_FIRSTHDR(&mh);

		strcpy(sa.sun_path, path);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &pass, sizeof(int));
		CHECK(sendmsg(cli, &mh, 0) == 7, "sendmsg");
		close(pass);
		before = dup(0);
		close(before);
		CHECK(notify_recv(fd, buf, sizeof(buf), &m, &pid, &e) == 1 &&
			  m.flags == NOTIFY_READY,
		      "fd message");
		after = dup(0);
		close(after);
		CHECK(after == before, "passed fd leaked: %d vs %d", after,
		      before);
	}
	close(cli);
	/* Abstract socket names ("@...") as $NOTIFY_SOCKET may give. */
	snprintf(abs, sizeof(abs), "@keel-test-%d", (int)getpid());
	int afd = notify_open(abs, &e);
	CHECK(afd >= 0, "abstract open: %s", e.detail);
	CHECK(!notify_send(abs, "STOPPING=1", 10, &e), "abstract send");
	CHECK(notify_recv(afd, buf, sizeof(buf), &m, &pid, &e) == 1 &&
		  m.flags == NOTIFY_STOPPING,
	      "abstract recv");
	close(afd);
	CHECK(notify_send(abs, "X=1", 3, &e) == -1, "closed socket");
	close(fd);
	unlink(path);
	rmdir(dir);
}

int
main(void)
{
	test_parse();
	test_socket();
	return unit_done("notify");
}
