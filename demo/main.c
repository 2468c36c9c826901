// SPDX-License-Identifier: MIT
/* keel-demo: an appliance service that greets and counts boots over HTTP. */
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/sysinfo.h>
#include <sys/time.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "demo/demo.h"

/*
 * No network code: keel configures the device's network (DHCP from
 * QEMU's user network) and its DNS; the service only listens.
 * Environment (the image's config.json sets it):
 *   DEMO_PORT     TCP port to serve (80)
 *   NOTIFY_SOCKET set by keel: READY=1 is sent once the port listens
 *   WATCHDOG_USEC set by keel when it expects WATCHDOG=1 pings
 */

#define CONN_MAX 8	  /* connections served at once */
#define CONN_IDLE_MS 5000 /* to send a whole request */

static volatile sig_atomic_t stop;

static void
on_stop(int sig)
{
	stop = sig;
}

static const char *
env_or(const char *name, const char *def)
{
	const char *v = getenv(name);

	return v ? v : def;
}

static int
listen_tcp(int port)
{
	struct sockaddr_in sa;
	int one = 1;
	int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (s < 0)
		return -1;
	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	sa.sin_addr.s_addr = htonl(INADDR_ANY);
	if (bind(s, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(s, 16) < 0) {
		int err = errno;
		close(s);
		errno = err;
		return -1;
	}
	return s;
}

static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static struct http_conn conns[CONN_MAX];

static void
conn_close(struct http_conn *c)
{
	shutdown(c->fd, SHUT_WR);
	close(c->fd);
	c->fd = -1;
}

/* A free slot gets the connection; with none free it waits in the queue. */
static void
conn_accept(int ls)
{
	struct timeval tv = {3, 0}; /* a stalled reader cannot hold us */

	for (int i = 0; i < CONN_MAX; i++) {
		struct http_conn *c = &conns[i];

		if (c->fd >= 0)
			continue;
		c->fd = accept4(ls, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
		if (c->fd < 0)
			return;
		setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
		c->have = 0;
		c->since_ms = now_ms();
		return;
	}
}

/*
 * Serves until a stop signal: connections are read as their bytes come,
 * so a client that connects and says nothing (a browser's spare socket)
 * delays nobody; it is closed after CONN_IDLE_MS.
 */
static void
serve(int ls, struct demo_info *info, uint64_t wd_ms)
{
	struct pollfd p[CONN_MAX + 1];
	uint64_t next_pet = 0;
	int tick = wd_ms && wd_ms < 500 ? (int)wd_ms : 500;

	for (int i = 0; i < CONN_MAX; i++)
		conns[i].fd = -1;
	while (!stop) {
		int n = 0, free_slot = 0;

		for (int i = 0; i < CONN_MAX; i++) {
			p[i + 1].fd = conns[i].fd;
			p[i + 1].events = POLLIN;
			n += conns[i].fd >= 0;
			free_slot |= conns[i].fd < 0;
		}
		p[0].fd = free_slot ? ls : -1;
		p[0].events = POLLIN;
		if (poll(p, CONN_MAX + 1, n || wd_ms ? tick : -1) < 0) {
			if (errno == EINTR)
				continue;
			demo_log("poll: %s", strerror(errno));
			return;
		}
		if (wd_ms && now_ms() >= next_pet) {
			keel_notify("WATCHDOG=1");
			next_pet = now_ms() + wd_ms;
		}
		for (int i = 0; i < CONN_MAX; i++) {
			struct http_conn *c = &conns[i];

			if (c->fd < 0)
				continue;
			if (p[i + 1].revents && http_on_input(c, info))
				conn_close(c);
			else if (now_ms() - c->since_ms > CONN_IDLE_MS)
				conn_close(c);
		}
		if (p[0].revents & POLLIN)
			conn_accept(ls);
	}
}

void
demo_log(const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(stderr, "keel-demo: %s\n", msg);
}

/* The name servers the service would use: "10.0.2.3 ..." or "". */
static void
read_resolv(char *buf, size_t cap)
{
	char line[256];
	size_t have = 0;
	FILE *f = fopen("/etc/resolv.conf", "re");

	buf[0] = 0;
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char addr[64];
		int n;

		if (sscanf(line, "nameserver %63s", addr) != 1)
			continue;
		n = snprintf(buf + have, cap - have, "%s%s", have ? " " : "",
			     addr);
		if (n > 0 && (size_t)n < cap - have)
			have += (size_t)n;
	}
	fclose(f);
}

void
demo_refresh(struct demo_info *info)
{
	struct sysinfo si;

	store_greeting_get(info->greeting, sizeof(info->greeting));
	store_boots(&info->boots);
	if (sysinfo(&si) == 0)
		info->uptime_s = (unsigned long)si.uptime;
	info->time_s = (long long)time(NULL);
	read_resolv(info->resolv, sizeof(info->resolv));
	keel_status(info->keel, sizeof(info->keel));
}

/* What the kernel says of this process: capabilities, no_new_privs. */
static void
read_self(char *buf, size_t cap)
{
	static const char *const keys[] = {
	    "CapEff", "CapPrm", "CapBnd", "CapAmb", "NoNewPrivs", "Seccomp",
	};
	char line[128];
	size_t have = 0;
	FILE *f = fopen("/proc/self/status", "re");

	buf[0] = 0;
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		size_t k = strcspn(line, ":");
		char *v = line + k + 1;

		if (!line[k])
			continue;
		line[k] = 0;
		v += strspn(v, " \t");
		for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
			int n;

			if (strcmp(line, keys[i]))
				continue;
			n = snprintf(buf + have, cap - have, "%s=%s", line, v);
			if (n > 0 && (size_t)n < cap - have)
				have += (size_t)n;
		}
	}
	fclose(f);
}

/* root=SOURCE FSTYPE OPTIONS: what the service's / is mounted from. */
static void
read_root(char *buf, size_t cap)
{
	char line[512], mnt[256], opts[256], fstype[32], src[128];
	FILE *f = fopen("/proc/self/mountinfo", "re");

	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char *dash = strstr(line, " - ");

		if (!dash ||
		    sscanf(line, "%*s %*s %*s %*s %255s %255s", mnt, opts) !=
			2 ||
		    strcmp(mnt, "/") ||
		    sscanf(dash + 3, "%31s %127s", fstype, src) != 2)
			continue;
		snprintf(buf, cap, "root=%s %s %s\n", src, fstype, opts);
	}
	fclose(f);
}

static void
init_info(struct demo_info *info)
{
	struct utsname u;
	FILE *f = fopen(DEMO_RELEASE_PATH, "re");

	memset(info, 0, sizeof(*info));
	if (f) {
		if (fgets(info->release, sizeof(info->release), f))
			info->release[strcspn(info->release, "\n")] = 0;
		fclose(f);
	}
	read_self(info->self, sizeof(info->self));
	read_root(info->self + strlen(info->self),
		  sizeof(info->self) - strlen(info->self));
	if (uname(&u) == 0)
		snprintf(info->kernel, sizeof(info->kernel), "%s %s %s",
			 u.sysname, u.release, u.machine);
}

int
main(void)
{
	static struct demo_info info;
	int port = atoi(env_or("DEMO_PORT", "80"));
	uint64_t wd_ms =
	    strtoull(env_or("WATCHDOG_USEC", "0"), NULL, 10) / 2000;
	struct sigaction sa;
	char ready[128];
	int ls;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	setvbuf(stderr, NULL, _IOLBF, 0);

	init_info(&info);
	if (store_count_boot(&info.boots) < 0)
		demo_log("boot count: %s: %s", DEMO_STATE_DIR, strerror(errno));
	if (store_greeting_get(info.greeting, sizeof(info.greeting)) < 0)
		demo_log("greeting: %s: %s", DEMO_GREETING_PATH,
			 strerror(errno));
	ls = listen_tcp(port);
	if (ls < 0) {
		demo_log("listen on port %d: %s", port, strerror(errno));
		return 1;
	}
	demo_log("boot %lu, greeting \"%s\", serving HTTP on port %d",
		 info.boots, info.greeting, port);
	snprintf(ready, sizeof(ready), "READY=1\nSTATUS=serving on port %d",
		 port);
	keel_notify(ready);

	serve(ls, &info, wd_ms);
	demo_log("stopping (signal %d)", (int)stop);
	keel_notify("STOPPING=1");
	return 0;
}
