// SPDX-License-Identifier: MIT
/* keel net's SNTP client: asks a server, sets the clock, never below a floor.
 */
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/timex.h>
#include <time.h>
#include <unistd.h>

#include "launcher/net.h"
#include "lib/net/sntp.h"

#define NS 1000000000LL
#define ANSWER_MS 3000	    /* a server's time to answer */
#define STEP_NS 128000000LL /* offsets past 128 ms step, smaller slew */
#define POLL_FIRST_S 64	    /* after the first sync ... */
#define POLL_MAX_S 2048	    /* ... doubling up to 34 min */
#define RETRY_FIRST_S 30    /* no server answered: ... */
#define RETRY_MAX_S 600	    /* ... doubling up to 10 min */
#define NEVER UINT64_MAX

static int64_t
real_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * NS + ts.tv_nsec;
}

static void
set_state(struct sntpc *s, const char *state)
{
	snprintf(s->state, sizeof(s->state), "%s", state);
}

void
sntpc_init(struct sntpc *s, int64_t floor_s, int measure_only)
{
	memset(s, 0, sizeof(*s));
	s->measure_only = measure_only;
	s->fd = -1;
	s->floor_s = floor_s;
	s->next_ms = NEVER;
	set_state(s, "no-server");
}

void
sntpc_servers(struct sntpc *s, const struct netconf_server *srv, unsigned n,
	      int online)
{
	if (n > SNTPC_SERVERS)
		n = SNTPC_SERVERS;
	if (n != s->n || memcmp(srv, s->srv, n * sizeof(*srv))) {
		memcpy(s->srv, srv, n * sizeof(*srv));
		s->n = n;
		s->cur = 0;
		s->interval_s = s->retry_s = 0;
		memset(s->denied, 0, sizeof(s->denied));
		if (s->fd >= 0)
			close(s->fd);
		s->fd = -1;
		s->next_ms = 0;
	}
	if (!n) {
		s->next_ms = NEVER;
		set_state(s, "no-server");
	} else if (!online) {
		s->next_ms = NEVER;
		if (!s->synced)
			set_state(s, "offline");
	} else if (s->next_ms == NEVER) {
		s->next_ms = 0;
	}
}

int
sntpc_fd(const struct sntpc *s)
{
	return s->fd;
}

uint64_t
sntpc_next(const struct sntpc *s)
{
	return s->fd >= 0 ? s->deadline_ms : s->next_ms;
}

/* The server's address: numeric, or looked up (musl, /etc/resolv.conf). */
static int
resolve(const struct netconf_server *v, struct sockaddr_in *sa)
{
	struct addrinfo hints = {0}, *res = NULL;
	uint32_t a;

	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	sa->sin_port = htons(v->port);
	if (netaddr_parse(v->host, strlen(v->host), &a) == 0) {
		sa->sin_addr.s_addr = a;
		return 0;
	}
	hints.ai_family = AF_INET;
	hints.ai_socktype = SOCK_DGRAM;
	if (getaddrinfo(v->host, NULL, &hints, &res) != 0 || !res)
		return -1;
	sa->sin_addr = ((struct sockaddr_in *)res->ai_addr)->sin_addr;
	freeaddrinfo(res);
	return 0;
}

/* All servers tried (or none usable): wait, then start over. */
static void
round_failed(struct sntpc *s, uint64_t now)
{
	uint32_t r = s->retry_s ? s->retry_s * 2 : RETRY_FIRST_S;

	s->retry_s = r > RETRY_MAX_S ? RETRY_MAX_S : r;
	s->cur = 0;
	s->next_ms = now + s->retry_s * 1000ull;
	if (!s->synced)
		set_state(s, "unreachable");
}

static void
next_server(struct sntpc *s, uint64_t now)
{
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
	if (++s->cur >= s->n)
		round_failed(s, now);
	else
		s->next_ms = now;
}

static void
ask(struct sntpc *s, uint64_t now)
{
	const struct netconf_server *v = &s->srv[s->cur];
	uint8_t q[SNTP_LEN];
	struct sockaddr_in sa;

	snprintf(s->server, sizeof(s->server), "%s:%u", v->host, v->port);
	if (s->denied[s->cur] || resolve(v, &sa) < 0) {
		if (!s->denied[s->cur])
			net_say("ntp: %s: cannot resolve", s->server);
		next_server(s, now);
		return;
	}
	s->fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (s->fd < 0 ||
	    getrandom(&s->nonce, sizeof(s->nonce), GRND_INSECURE) !=
		(ssize_t)sizeof(s->nonce) ||
	    connect(s->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		net_say("ntp: %s: %s", s->server, strerror(errno));
		next_server(s, now);
		return;
	}
	sntp_request(q, s->nonce);
	s->t1_ns = real_ns();
	if (send(s->fd, q, sizeof(q), 0) != (ssize_t)sizeof(q)) {
		net_say("ntp: %s: send: %s", s->server, strerror(errno));
		next_server(s, now);
		return;
	}
	s->deadline_ms = now + ANSWER_MS;
}

int
sntpc_tick(struct sntpc *s, uint64_t now)
{
	if (s->fd >= 0 && now >= s->deadline_ms) {
		net_say("ntp: %s: no answer", s->server);
		next_server(s, now);
		return 1;
	}
	if (s->fd < 0 && s->n && now >= s->next_ms)
		ask(s, now);
	return 0;
}

/* Steps the clock by offset (or slews it when small); marks it synced
 * so the kernel keeps the RTC in step (its 11-minute mode). */
static int
adjust(struct sntpc *s, int64_t offset)
{
	struct timex tx = {0};
	int64_t now = real_ns(), target = now + offset;

	if (target / NS < s->floor_s) {
		net_say("ntp: %s: refused: its time is before the image's "
			"build time",
			s->server);
		return -1;
	}
	if (s->measure_only)
		return 0;
	if (offset >= STEP_NS || offset <= -STEP_NS) {
		struct timespec ts = {(time_t)(target / NS),
				      (long)(target % NS)};
		if (clock_settime(CLOCK_REALTIME, &ts) < 0)
			return net_say("ntp: set the clock: %s",
				       strerror(errno)),
			       -1;
	} else {
		struct timeval tv = {0, (suseconds_t)(offset / 1000)};
		if (adjtime(&tv, NULL) < 0)
			return net_say("ntp: slew the clock: %s",
				       strerror(errno)),
			       -1;
	}
	tx.modes = ADJ_STATUS | ADJ_MAXERROR | ADJ_ESTERROR;
	tx.status = 0; /* clears STA_UNSYNC */
	adjtimex(&tx);
	return 0;
}

static void
synced(struct sntpc *s, int64_t offset, uint64_t now)
{
	int first = !s->synced;

	s->synced = 1;
	s->offset_ms = offset / 1000000;
	s->last_s = real_ns() / NS;
	set_state(s, s->measure_only ? "measured" : "synced");
	if (s->measure_only)
		net_say("ntp: %s: the clock is off by %lld ms (not set: "
			"--clock measure)",
			s->server, (long long)s->offset_ms);
	else if (first || s->offset_ms > 1000 || s->offset_ms < -1000)
		net_say("ntp: %s: clock %s by %lld ms", s->server,
			offset >= STEP_NS || offset <= -STEP_NS ? "stepped"
								: "slewed",
			(long long)s->offset_ms);
	s->interval_s =
	    s->interval_s && !first ? s->interval_s * 2 : POLL_FIRST_S;
	if (s->interval_s > POLL_MAX_S)
		s->interval_s = POLL_MAX_S;
	close(s->fd);
	s->fd = -1;
	s->cur = 0;
	s->retry_s = 0;
	s->next_ms = now + s->interval_s * 1000ull;
}

int
sntpc_input(struct sntpc *s, uint64_t now)
{
	uint8_t p[SNTP_MAX + 1];
	struct sntp_reply r;
	struct kerr e = {0};
	int64_t t4, offset, delay;
	ssize_t n = recv(s->fd, p, sizeof(p), 0);

	t4 = real_ns();
	if (n < 0)
		return errno == EAGAIN ? 0 : (next_server(s, now), 1);
	if (sntp_parse(p, (size_t)n, s->nonce, &r, &e) < 0) {
		net_say("ntp: %s: ignored: %s", s->server, e.detail);
		return 0; /* maybe a stray; the deadline still holds */
	}
	if (r.kiss) {
		net_say("ntp: %s: kiss-o'-death %s", s->server, r.refid);
		if (r.kiss == SNTP_KISS_DENY)
			s->denied[s->cur] = 1;
		next_server(s, now);
		return 1;
	}
	if (sntp_offset(&r, s->t1_ns, t4, s->floor_s, &offset, &delay) < 0 ||
	    adjust(s, offset) < 0) {
		next_server(s, now);
		return 1;
	}
	synced(s, offset, now);
	return 1;
}
