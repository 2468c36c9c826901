// SPDX-License-Identifier: MIT
/* Unit tests: the HTTP client and resumable downloads against a test server. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lib/net/http_client.h"
#include "tests/unit/unit.h"

#define SIZE 400000 /* the served file */

/* The test server: one thread, one connection at a time, keep-alive. */
static struct {
	int lfd;
	uint16_t port;
	/* behaviour */
	int cuts; /* responses left to cut after cut_at body bytes */
	size_t cut_at;
	int chunked;   /* full responses chunked */
	int no_ranges; /* Range ignored */
	int changes;   /* the file changes after the first request */
	int status;    /* answer this status instead (0: normal) */
	int redirect;  /* 1: redirect /x to /file once; 2: a loop */
	int silent;    /* accept, read, never answer */
	/* seen */
	int requests, conns, if_range;
	char last_range[64];
	char post[64];
	int stop;
} S;

static uint8_t file[SIZE];
/* 1 while the server thread holds a connection (outside S: reset keeps it) */
static int srv_busy;

static void
put(int fd, const void *b, size_t n)
{
	(void)!send(fd, b, n, MSG_NOSIGNAL);
}

/* Sends body bytes [a, b] of the file; 0, or -1 when the cut came. */
static int
body(int fd, size_t a, size_t b, int chunked)
{
	size_t n = b - a + 1, cut = S.cuts > 0 ? S.cut_at : (size_t)-1;
	char h[32];

	if (S.cuts > 0)
		S.cuts--;
	if (chunked) {
		snprintf(h, sizeof(h), "%zx;x=1\r\n", n);
		put(fd, h, strlen(h));
	}
	if (cut < n) {
		put(fd, file + a, cut);
		return -1;
	}
	put(fd, file + a, n);
	if (chunked)
		put(fd, "\r\n0\r\nT: 1\r\n\r\n", 14);
	return 0;
}

/* Answers one request head; -1 to close the connection. */
static int
answer(int fd, char *req)
{
	char h[512], *r = strstr(req, "\r\nRange: bytes="), *p;
	unsigned long a = 0, b = SIZE - 1;
	const char *etag = S.changes && S.requests > 1 ? "\"v2\"" : "\"v1\"";
	int ranged = 0;

	S.requests++;
	S.if_range += strstr(req, "\r\nIf-Range: \"v1\"") != NULL;
	if (!strncmp(req, "POST ", 5)) {
		p = strstr(req, "\r\n\r\n");
		snprintf(S.post, sizeof(S.post), "%s", p + 4);
		put(fd, "HTTP/1.1 204 No Content\r\n\r\n", 27);
		return 0;
	}
	if (S.silent)
		return 0;
	if (S.status) {
		snprintf(h, sizeof(h),
			 "HTTP/1.1 %d X\r\nContent-Length: 2"
			 "\r\n\r\nno",
			 S.status);
		put(fd, h, strlen(h));
		return 0;
	}
	if (S.redirect && !strncmp(req, "GET /x ", 7)) {
		if (S.redirect == 1)
			S.redirect = 0;
		snprintf(h, sizeof(h),
			 "HTTP/1.1 302 Found\r\nLocation: %s\r\n"
			 "Content-Length: 3\r\n\r\nabc",
			 S.redirect ? "x" : "/file");
		put(fd, h, strlen(h));
		return 0;
	}
	if (r && !S.no_ranges) {
		snprintf(S.last_range, sizeof(S.last_range), "%.40s", r + 15);
		a = strtoul(r + 15, &p, 10);
		if (p[1] != '\r')
			b = strtoul(p + 1, NULL, 10);
		ranged = !(S.changes && S.requests > 1 &&
			   strstr(req, "If-Range: \"v1\""));
	}
	if (ranged)
		snprintf(h, sizeof(h),
			 "HTTP/1.1 206 Partial\r\nContent-Length: %lu\r\n"
			 "Content-Range: bytes %lu-%lu/%d\r\nETag: %s\r\n\r\n",
			 b - a + 1, a, b, SIZE, etag);
	else if (S.chunked)
		snprintf(h, sizeof(h),
			 "HTTP/1.1 200 OK\r\nTransfer-Encoding: "
			 "chunked\r\nETag: %s\r\n\r\n",
			 etag);
	else
		snprintf(h, sizeof(h),
			 "HTTP/1.1 200 OK\r\nContent-Length: %d\r\nETag: %s\r\n"
			 "\r\n",
			 SIZE, etag);
	put(fd, h, strlen(h));
	if (!ranged)
		a = 0, b = SIZE - 1;
	return body(fd, a, b, S.chunked && !ranged);
}

static void *
server(void *arg)
{
	static char req[8192];

	while (!S.stop) {
		int fd = accept(S.lfd, NULL, NULL);
		size_t len = 0;

		if (fd < 0)
			continue;
		__atomic_store_n(&srv_busy, 1, __ATOMIC_SEQ_CST);
		S.conns++;
		for (;;) {
			char *end;
			ssize_t n =
			    recv(fd, req + len, sizeof(req) - 1 - len, 0);

			if (n <= 0)
				break;
			len += (size_t)n;
			req[len] = 0;
			end = strstr(req, "\r\n\r\n");
			if (!end)
				continue;
			if (!strncmp(req, "POST ", 5) && strlen(end + 4) < 7)
				continue; /* the test's bodies are 7 bytes */
			if (answer(fd, req) < 0)
				break;
			len = 0;
		}
		close(fd);
		__atomic_store_n(&srv_busy, 0, __ATOMIC_SEQ_CST);
	}
	return NULL;
}

static void
start(void)
{
	struct sockaddr_in sa = {.sin_family = AF_INET};
	socklen_t l = sizeof(sa);
	pthread_t th;

	for (size_t i = 0; i < SIZE; i++)
		file[i] = (uint8_t)(i * 7 + (i >> 9));
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	S.lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	bind(S.lfd, (struct sockaddr *)&sa, sizeof(sa));
	listen(S.lfd, 8);
	getsockname(S.lfd, (struct sockaddr *)&sa, &l);
	S.port = ntohs(sa.sin_port);
	pthread_create(&th, NULL, server, NULL);
	pthread_detach(th);
}

/*
 * A new case starts once the server is done with the last one's
 * connection (the client has closed it): a response still being sent
 * would otherwise read the new case's settings (a cut taken from it).
 */
static void
reset(void)
{
	int lfd = S.lfd;
	uint16_t port = S.port;

	while (__atomic_load_n(&srv_busy, __ATOMIC_SEQ_CST))
		usleep(1000);
	memset(&S, 0, sizeof(S));
	S.lfd = lfd;
	S.port = port;
}

static struct http_client hc;
static uint8_t got[SIZE + 16];

static void
mkurl(const char *path, struct http_url *u)
{
	char s[64];

	snprintf(s, sizeof(s), "http://127.0.0.1:%u%s", S.port, path);
	http_url_parse(s, strlen(s), u, NULL);
}

/* Downloads path whole; the byte count, or -1 with e. */
static long
fetch(const char *path, struct http_dl *d, struct kerr *e)
{
	struct http_url u;
	long total = 0;
	ssize_t n;

	mkurl(path, &u);
	http_init(&hc, NULL, 1, 2000);
	http_dl_init(d, &hc, &u);
	d->retry_ms = 1;
	while ((n = http_dl_read(d, got + total, 7000, e)) > 0)
		total += n;
	http_close(&hc);
	return n < 0 ? -1 : total;
}

static void
test_whole(void)
{
	struct http_dl d;
	struct kerr e = {0};
	long n;

	reset();
	n = fetch("/file", &d, &e);
	CHECK(n == SIZE && !memcmp(got, file, SIZE) && S.requests == 1,
	      "whole file: %ld, %s", n, e.detail);
	reset();
	S.cuts = 3;
	S.cut_at = 100000;
	n = fetch("/file", &d, &e);
	CHECK(n == SIZE && !memcmp(got, file, SIZE) && d.resumed == 3 &&
		  S.requests == 4 && S.if_range == 3 &&
		  !strncmp(S.last_range, "300000-\r\nIf-Range: \"v1\"\r\n", 25),
	      "three cuts resumed: %ld, %u, %d requests, %s, %s", n, d.resumed,
	      S.requests, S.last_range, e.detail);
	reset();
	S.chunked = 1;
	S.cuts = 1;
	S.cut_at = 5;
	n = fetch("/file", &d, &e);
	CHECK(n == SIZE && !memcmp(got, file, SIZE) && d.resumed == 1,
	      "chunked, cut, resumed: %s", e.detail);
	reset();
	S.changes = 1;
	S.cuts = 1;
	S.cut_at = 1000;
	CHECK(fetch("/file", &d, &e) < 0 && strstr(e.detail, "changed"),
	      "file changed while resuming: %s", e.detail);
	reset();
	S.no_ranges = 1;
	S.cuts = 1;
	S.cut_at = 1000;
	CHECK(fetch("/file", &d, &e) < 0 && !strcmp(e.check, "range"),
	      "server ignoring ranges: %s", e.detail);
	reset();
	S.status = 404;
	CHECK(fetch("/file", &d, &e) < 0 && strstr(e.detail, "404") &&
		  S.requests == 1,
	      "404: not retried (%d requests)", S.requests);
	reset();
	S.status = 503;
	CHECK(fetch("/file", &d, &e) < 0 && S.requests == 6,
	      "503 retried 6 times (%d)", S.requests);
	reset();
	S.redirect = 1;
	n = fetch("/x", &d, &e);
	CHECK(n == SIZE && S.conns == 1, "one redirect, one connection: %s",
	      e.detail);
	reset();
	S.redirect = 2;
	CHECK(fetch("/x", &d, &e) < 0 && strstr(e.detail, "redirects"),
	      "redirect loop: %s", e.detail);
	reset();
	S.silent = 1;
	hc.timeout_ms = 200;
	{
		struct http_url u;
		mkurl("/file", &u);
		http_init(&hc, NULL, 1, 200);
		CHECK(http_get(&hc, &u, 0, 0, 0, NULL, &e) < 0 &&
			  !strcmp(e.check, "timeout"),
		      "silent server: %s", e.detail);
		http_close(&hc);
	}
}

/* The ranges of test_ranges, handed out one by one. */
static const uint64_t R[][2] = {
    {100, 50}, {200, 10}, {100000, 5000}, {104000 + 1000, 1}, {399990, 10}};
static size_t ri;

static int
next(void *ctx, uint64_t *off, uint64_t *len, struct kerr *e)
{
	if (ri == sizeof(R) / sizeof(*R))
		return 0;
	*off = R[ri][0];
	*len = R[ri++][1];
	return 1;
}

static void
test_ranges(void)
{
	struct http_url u;
	struct http_dl d;
	struct kerr e = {0};
	uint8_t want[6000];
	size_t wl = 0;
	long total = 0;
	ssize_t n;

	for (size_t i = 0; i < sizeof(R) / sizeof(*R); i++) {
		memcpy(want + wl, file + R[i][0], R[i][1]);
		wl += R[i][1];
	}
	for (int cut = 0; cut < 2; cut++) {
		reset();
		S.cuts = cut ? 2 : 0; /* the first response is too short */
		S.cut_at = 2000;
		mkurl("/file", &u);
		http_init(&hc, NULL, 1, 2000);
		http_dl_init(&d, &hc, &u);
		d.retry_ms = 1;
		ri = 0;
		total = 0;
		http_dl_ranges(&d, next, NULL, 1000);
		while ((n = http_dl_read(&d, got + total, 3000, &e)) > 0)
			total += n;
		http_close(&hc);
		CHECK(n == 0 && (size_t)total == wl && !memcmp(got, want, wl),
		      "ranges (cut %d): %ld of %zu: %s", cut, total, wl,
		      e.detail);
		CHECK(S.requests == 3 + cut && S.conns == 1 + cut,
		      "ranges (cut %d): %d requests on %d connections", cut,
		      S.requests, S.conns);
	}
}

static void
test_post(void)
{
	struct http_url u;
	struct kerr e = {0};

	reset();
	mkurl("/report", &u);
	http_init(&hc, NULL, 1, 2000);
	CHECK(http_post(&hc, &u, "application/json", "{\"a\":1}", 7, &e) ==
		      204 &&
		  !strcmp(S.post, "{\"a\":1}"),
	      "POST: %s", e.detail);
	CHECK(http_post(&hc, &u, "application/json", "{\"a\":2}", 7, &e) ==
		      204 &&
		  S.conns == 1,
	      "second POST on the kept connection");
	http_close(&hc);
	http_init(&hc, NULL, 0, 2000);
	CHECK(http_post(&hc, &u, "text/plain", "x", 1, &e) < 0 &&
		  strstr(e.detail, "not allowed"),
	      "plain http refused unless allowed");
	u.tls = 1;
	CHECK(http_post(&hc, &u, "text/plain", "x", 1, &e) < 0 &&
		  strstr(e.detail, "no trust anchors"),
	      "https without anchors refused");
}

int
main(void)
{
	start();
	test_whole();
	test_ranges();
	test_post();
	S.stop = 1;
	return unit_done("http_client");
}
