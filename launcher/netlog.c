// SPDX-License-Identifier: MIT
/* keel net's remote syslog: the log stream keel-init gives it, as UDP. */
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "launcher/net.h"
#include "lib/net/syslogmsg.h"

/*
 * keel-init hands keel net one end of a socket pair that it serves as a
 * `logs follow 0` reader (docs/CONTROL.md §2.3): every line it kept,
 * then each new one, as "log=LINE\n". With syslog= each line becomes one
 * datagram, sent without waiting (a datagram the socket or the network
 * cannot take is lost, and counted); without it the stream is closed at
 * once and keel-init frees the reader. The stream is read only once an
 * address is up, or NETLOG_WAIT_MS after the start, so that the boot's
 * lines go out too (keel-init drops a reader that takes nothing for
 * 30 s).
 */
#define NETLOG_WAIT_MS 20000

static struct {
	int fd, sock;
	struct sockaddr_in to;
	char host[72]; /* a network.conf hostname or uname's nodename */
	char in[2 * 512];
	size_t len;
	uint64_t sent, lost;
} lg = {.fd = -1, .sock = -1};

void
netlog_init(int fd)
{
	struct utsname u;
	char a[NETADDR_TEXT];

	lg.fd = fd;
	if (fd < 0)
		return;
	if (!net.conf.syslog_addr) {
		close(fd);
		lg.fd = -1;
		return;
	}
	lg.sock = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (lg.sock < 0) {
		net_say("syslog: socket: %s", strerror(errno));
		close(fd);
		lg.fd = -1;
		return;
	}
	lg.to.sin_family = AF_INET;
	lg.to.sin_addr.s_addr = net.conf.syslog_addr;
	lg.to.sin_port = htons(net.conf.syslog_port);
	if (net.conf.hostname[0])
		snprintf(lg.host, sizeof(lg.host), "%s", net.conf.hostname);
	else if (uname(&u) == 0)
		snprintf(lg.host, sizeof(lg.host), "%s", u.nodename);
	net_say("syslog: the log to %s:%u (RFC 5424 over UDP)",
		net_ip(net.conf.syslog_addr, a), net.conf.syslog_port);
}

int
netlog_fd(int online)
{
	if (lg.fd < 0 || (!online && net_now_ms() - net.t0_ms < NETLOG_WAIT_MS))
		return -1;
	return lg.fd;
}

uint64_t
netlog_next(uint64_t now)
{
	uint64_t at = net.t0_ms + NETLOG_WAIT_MS;

	return lg.fd >= 0 && at > now ? at : UINT64_MAX;
}

/* The wall clock time of a line stamped us on the monotonic clock. */
static int64_t
wall_us(uint64_t us)
{
	struct timespec m, r;
	int64_t now_m, now_r;

	clock_gettime(CLOCK_MONOTONIC, &m);
	clock_gettime(CLOCK_REALTIME, &r);
	now_m = (int64_t)m.tv_sec * 1000000 + m.tv_nsec / 1000;
	now_r = (int64_t)r.tv_sec * 1000000 + r.tv_nsec / 1000;
	if ((int64_t)us > now_m)
		return now_r;
	return now_r - (now_m - (int64_t)us);
}

static void
line(const char *p, size_t n)
{
	char msg[SYSLOGMSG_MAX];
	struct syslogmsg_line l;
	size_t len;

	if (n >= 7 && !memcmp(p, "error: ", 7)) {
		net_say("syslog: no log stream: %.*s", (int)(n - 7), p + 7);
		return;
	}
	if (n < 4 || memcmp(p, "log=", 4) || syslogmsg_parse(p + 4, n - 4, &l))
		return;
	len = syslogmsg_format(msg, sizeof(msg), &l, wall_us(l.us), lg.host);
	if (sendto(lg.sock, msg, len, MSG_DONTWAIT | MSG_NOSIGNAL,
		   (const struct sockaddr *)&lg.to, sizeof(lg.to)) < 0)
		lg.lost++;
	else
		lg.sent++;
}

void
netlog_input(void)
{
	ssize_t r = read(lg.fd, lg.in + lg.len, sizeof(lg.in) - lg.len);
	size_t start = 0;

	if (r < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (r <= 0) {
		net_say("syslog: the log stream ended (%llu sent, %llu lost)",
			(unsigned long long)lg.sent,
			(unsigned long long)lg.lost);
		close(lg.fd);
		lg.fd = -1;
		return;
	}
	lg.len += (size_t)r;
	for (size_t i = 0; i < lg.len; i++)
		if (lg.in[i] == '\n') {
			line(lg.in + start, i - start);
			start = i + 1;
		}
	if (start == 0 && lg.len == sizeof(lg.in))
		start = lg.len; /* no line can be this long: drop it */
	memmove(lg.in, lg.in + start, lg.len - start);
	lg.len -= start;
}
