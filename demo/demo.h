/* SPDX-License-Identifier: MIT */
/* The demo service's parts: persistent state, keel status, HTTP. */
#ifndef DEMO_H
#define DEMO_H

#include <stddef.h>
#include <stdint.h>

#define DEMO_GREETING_PATH "/etc/demo/greeting"
#define DEMO_STATE_DIR "/var/lib/demo"
#define DEMO_RELEASE_PATH "/usr/share/demo/release"
#define DEMO_GREETING_MAX 200 /* bytes of greeting text */
#define DEMO_STATUS_MAX 4096  /* keel status reply kept for the page */

/* What the page shows; filled before each answer. */
struct demo_info {
	char greeting[DEMO_GREETING_MAX + 1];
	unsigned long boots;
	unsigned long requests;
	char release[128]; /* the image's release line, or "" */
	char kernel[200];  /* uname: sysname release machine */
	char self[512];	   /* key=value lines: its own hardening */
	unsigned long uptime_s;
	long long time_s;	    /* the clock: keel keeps it */
	char resolv[256];	    /* /etc/resolv.conf's servers: keel's */
	char keel[DEMO_STATUS_MAX]; /* key=value lines from keel, or "" */
};

/* store.c: the greeting in /etc, the boot count in /var/lib. */
int store_greeting_get(char *buf, size_t cap);
int store_greeting_set(const char *text);
int store_count_boot(unsigned long *boots);
int store_boots(unsigned long *boots);

/* keel.c: keel's status over its control socket; notify messages. */
int keel_status(char *buf, size_t cap);
void keel_notify(const char *msg);

/* http.c: one request per connection, read as it arrives. */
#define HTTP_REQ_MAX 4096 /* request line, headers and body */
struct http_conn {
	int fd; /* -1: a free slot */
	size_t have;
	uint64_t since_ms; /* accepted at; idle connections are closed */
	char buf[HTTP_REQ_MAX + 1];
};

/*
 * Reads what has arrived on c (readable) and answers once the request is
 * complete. Returns 1 when c is done with (answered, refused or closed by
 * the client): close it; 0 while the request is incomplete.
 */
int http_on_input(struct http_conn *c, struct demo_info *info);

/* main.c: refreshes the changing parts of info. */
void demo_refresh(struct demo_info *info);

/* Prints "keel-demo: " and the message to stderr (the console). */
void demo_log(const char *fmt, ...) __attribute__((format(__printf__, 1, 2)));

#endif
