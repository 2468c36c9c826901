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
 * keel-init hands keel net one end of a socket pair on which it serves
 * the log (docs/NETWORK.md §8): "seq=N", the number of the first line to
 * come, then every line kept after the last one a previous run of keel
 * net sent, then each new one, as "log=LINE\n"; "lost=N" where the ring
 * overtook the reader. With syslog= each line becomes one datagram, sent
 * without waiting (a datagram the socket or the network cannot take is
 * lost, and counted), and a gap one line saying so; after each batch
 * keel net answers "sent=N", the last line it handled, so that its next
 * run starts after it. Without syslog= the stream is closed at once and
 * keel-init frees the reader. The stream is read only once an
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
	uint64_t seq;  /* the number of the next line in the stream */
	uint64_t done; /* the last line handled and not yet answered */
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
send_msg(const struct syslogmsg_line *l, int64_t wall)
{
	char msg[SYSLOGMSG_MAX];
	size_t len = syslogmsg_format(msg, sizeof(msg), l, wall, lg.host);

	if (sendto(lg.sock, msg, len, MSG_DONTWAIT | MSG_NOSIGNAL,
		   (const struct sockaddr *)&lg.to, sizeof(lg.to)) < 0)
		lg.lost++;
	else
		lg.sent++;
}

/* A number after its key (n bytes); 0 when it is not one. */
static uint64_t
number(const char *p, size_t n)
{
	uint64_t v = 0;

	for (size_t i = 0; i < n && i < 19; i++) {
		if (p[i] < '0' || p[i] > '9')
			return 0;
		v = v * 10 + (uint64_t)(p[i] - '0');
	}
	return n && n < 20 ? v : 0;
}

/* Lines the ring overtook before they reached keel net: one message. */
static void
gap(uint64_t n)
{
	char text[64];
	struct syslogmsg_line l = {.src = "net", .text = text};
	struct timespec m;

	lg.seq += n;
	clock_gettime(CLOCK_MONOTONIC, &m);
	l.us = (uint64_t)m.tv_sec * 1000000 + (uint64_t)m.tv_nsec / 1000;
	l.len = (size_t)snprintf(text, sizeof(text),
				 "syslog: %llu lines of the log lost",
				 (unsigned long long)n);
	send_msg(&l, wall_us(l.us));
}

static void
line(const char *p, size_t n)
{
	struct syslogmsg_line l;

	if (n >= 7 && !memcmp(p, "error: ", 7)) {
		net_say("syslog: no log stream: %.*s", (int)(n - 7), p + 7);
		return;
	}
	if (n >= 4 && !memcmp(p, "seq=", 4)) {
		lg.seq = number(p + 4, n - 4);
		return;
	}
	if (n >= 5 && !memcmp(p, "lost=", 5)) {
		gap(number(p + 5, n - 5));
		return;
	}
	if (n < 4 || memcmp(p, "log=", 4))
		return;
	if (lg.seq)
		lg.done = lg.seq++;
	if (!syslogmsg_parse(p + 4, n - 4, &l))
		send_msg(&l, wall_us(l.us));
}

/* "sent=N" for the lines handled since the last answer: when the socket
 * cannot take it now, the next batch's answer says it. */
static void
answer(void)
{
	char a[32];
	int n;

	if (!lg.done)
		return;
	n = snprintf(a, sizeof(a), "sent=%llu\n", (unsigned long long)lg.done);
	if (send(lg.fd, a, (size_t)n, MSG_DONTWAIT | MSG_NOSIGNAL) == n)
		lg.done = 0;
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
	answer();
}
