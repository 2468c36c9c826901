// SPDX-License-Identifier: MIT
/* A deliberately small HTTP/1.0 server: one request per connection. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "demo/demo.h"

#define BODY_MAX 1024 /* a POSTed greeting, form-encoded at worst */
#define PAGE_MAX 16384

struct req {
	char *method, *path, *body; /* in the connection's buffer */
};

struct page {
	char buf[PAGE_MAX];
	size_t len;
};

static void
put(struct page *p, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(p->buf + p->len, sizeof(p->buf) - p->len, fmt, ap);
	va_end(ap);
	if (n > 0)
		p->len += (size_t)n;
	if (p->len >= sizeof(p->buf))
		p->len = sizeof(p->buf) - 1;
}

/* Text into HTML, <>&" escaped. */
static void
put_html(struct page *p, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '<':
			put(p, "&lt;");
			break;
		case '>':
			put(p, "&gt;");
			break;
		case '&':
			put(p, "&amp;");
			break;
		case '"':
			put(p, "&quot;");
			break;
		default:
			put(p, "%c", *s);
		}
	}
}

/* "time:     2025-01-31 12:00:00 UTC" (keel sets the clock). */
static void
put_time(struct page *p, long long t)
{
	time_t tt = (time_t)t;
	struct tm tm;
	char when[32];

	if (gmtime_r(&tt, &tm) &&
	    strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm))
		put(p, "time:     %s UTC\n", when);
}

static int
send_all(int fd, const char *b, size_t n)
{
	while (n > 0) {
		ssize_t w = send(fd, b, n, MSG_NOSIGNAL);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		b += w;
		n -= (size_t)w;
	}
	return 0;
}

static void
respond(int fd, const char *status, const char *type, const char *extra,
	const char *body, size_t len)
{
	char head[512];
	int n = snprintf(head, sizeof(head),
			 "HTTP/1.0 %s\r\nContent-Type: %s\r\n"
			 "Content-Length: %zu\r\n%sConnection: close\r\n"
			 "Cache-Control: no-store\r\n\r\n",
			 status, type, len, extra);

	if (send_all(fd, head, (size_t)n) == 0)
		send_all(fd, body, len);
}

static void
respond_text(int fd, const char *status, const char *text)
{
	respond(fd, status, "text/plain; charset=utf-8", "", text,
		strlen(text));
}

static size_t
header_len(const char *buf)
{
	const char *end = strstr(buf, "\r\n\r\n");

	return end ? (size_t)(end - buf) + 4 : 0;
}

static long
content_length(char *head)
{
	for (char *l = strstr(head, "\r\n"); l; l = strstr(l + 2, "\r\n"))
		if (!strncasecmp(l + 2, "Content-Length:", 15))
			return strtol(l + 17, NULL, 10);
	return 0;
}

/*
 * The request in c, once complete: 1 (r filled, c->buf cut into its
 * parts), 0 while more may come, -1 when it is too long or malformed.
 */
static int
parse_request(struct http_conn *c, struct req *r)
{
	size_t hl = header_len(c->buf);
	long cl;
	char *sp;

	if (!hl)
		return c->have == HTTP_REQ_MAX ? -1 : 0;
	c->buf[hl - 2] = 0; /* the headers end at the blank line */
	cl = content_length(c->buf);
	if (cl < 0 || cl > BODY_MAX)
		return -1;
	if (c->have < hl + (size_t)cl) {
		c->buf[hl - 2] = '\r';
		return c->have == HTTP_REQ_MAX ? -1 : 0;
	}
	r->body = c->buf + hl;
	r->body[cl] = 0;
	r->method = c->buf;
	sp = strchr(c->buf, ' ');
	if (!sp)
		return -1;
	*sp = 0;
	r->path = sp + 1;
	sp = strpbrk(r->path, " \r");
	if (!sp)
		return -1;
	*sp = 0;
	return 1;
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* application/x-www-form-urlencoded value, decoded in place. */
static void
form_decode(char *s)
{
	char *o = s;

	for (; *s; s++) {
		if (*s == '+') {
			*o++ = ' ';
		} else if (*s == '%' && hexval(s[1]) >= 0 &&
			   hexval(s[2]) >= 0) {
			*o++ = (char)(hexval(s[1]) * 16 + hexval(s[2]));
			s += 2;
		} else if (*s == '&') {
			break;
		} else {
			*o++ = *s;
		}
	}
	*o = 0;
}

static void
index_page(int fd, struct demo_info *in)
{
	static struct page p;

	p.len = 0;
	put(&p, "<!doctype html>\n<html><head><meta charset=\"utf-8\">"
		"<title>keel demo</title></head>\n<body style=\"font-family:"
		"sans-serif;max-width:40em;margin:2em auto\">\n<h1>");
	put_html(&p, in->greeting[0] ? in->greeting : "(no greeting)");
	put(&p,
	    "</h1>\n<p>This device has booted <b id=\"boots\">%lu</b> "
	    "time%s.</p>\n",
	    in->boots, in->boots == 1 ? "" : "s");
	put(&p,
	    "<form method=\"post\" action=\"/greeting\">\n<input "
	    "name=\"greeting\" size=\"40\" maxlength=\"%d\" value=\"",
	    DEMO_GREETING_MAX);
	put_html(&p, in->greeting);
	put(&p, "\">\n<button>Change the greeting</button></form>\n"
		"<p>The greeting is <code>" DEMO_GREETING_PATH "</code>: the "
		"image ships it, a change lands in the etc partition and "
		"survives reboots and image updates. The boot count lives in "
		"<code>" DEMO_STATE_DIR "/boots</code>.</p>\n<pre>");
	put(&p, "image:    ");
	put_html(&p, in->release[0] ? in->release : "unknown");
	put(&p, "\nkernel:   ");
	put_html(&p, in->kernel);
	put(&p, "\nuptime:   %lu s\nrequests: %lu\n", in->uptime_s,
	    in->requests);
	put_time(&p, in->time_s);
	put(&p, "dns:      ");
	put_html(&p, in->resolv[0] ? in->resolv : "none");
	put(&p, "\n\nthis service, as the kernel sees it:\n");
	put_html(&p, in->self);
	if (in->keel[0]) {
		put(&p, "\nkeel status:\n");
		put_html(&p, in->keel);
	} else {
		put(&p, "\nkeel: no control socket answered\n");
	}
	put(&p, "</pre>\n</body></html>\n");
	respond(fd, "200 OK", "text/html; charset=utf-8", "", p.buf, p.len);
}

static void
status_text(int fd, struct demo_info *in)
{
	static struct page p;

	p.len = 0;
	put(&p, "greeting=%s\nboots=%lu\nrequests=%lu\nuptime=%lu\n",
	    in->greeting, in->boots, in->requests, in->uptime_s);
	put(&p, "time=%lld\nnameservers=%s\n", in->time_s, in->resolv);
	put(&p, "release=%s\nkernel=%s\n%s", in->release, in->kernel, in->self);
	for (const char *l = in->keel; *l;) {
		size_t n = strcspn(l, "\n");

		put(&p, "keel.%.*s\n", (int)n, l);
		l += n + (l[n] == '\n');
	}
	respond_text(fd, "200 OK", p.buf);
}

static void
set_greeting(int fd, struct req *r)
{
	char *text = r->body;
	int form = !strncmp(text, "greeting=", 9);
	size_t n;

	if (form) {
		text += 9;
		form_decode(text);
	}
	n = strlen(text);
	while (n > 0 && (text[n - 1] == '\n' || text[n - 1] == '\r'))
		text[--n] = 0;
	if (store_greeting_set(text) < 0) {
		respond_text(fd,
			     errno == EINVAL ? "400 Bad Request"
					     : "500 Internal Server Error",
			     errno == EINVAL
				 ? "a greeting is one line of "
				   "1 to 200 printable bytes\n"
				 : "the greeting could not be saved\n");
		return;
	}
	demo_log("greeting changed to \"%s\"", text);
	if (form)
		respond(fd, "303 See Other", "text/plain", "Location: /\r\n",
			"", 0);
	else
		respond_text(fd, "200 OK", "saved\n");
}

int
http_on_input(struct http_conn *c, struct demo_info *info)
{
	struct req r;
	char line[DEMO_GREETING_MAX + 2];
	ssize_t n = read(c->fd, c->buf + c->have, HTTP_REQ_MAX - c->have);
	int fd = c->fd, st;

	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return 0;
	if (n <= 0)
		return 1; /* closed before a whole request: nothing to say */
	c->have += (size_t)n;
	c->buf[c->have] = 0;
	st = parse_request(c, &r);
	if (st == 0)
		return 0;
	if (st < 0) {
		respond_text(fd, "400 Bad Request", "bad request\n");
		return 1;
	}
	info->requests++;
	demo_refresh(info);
	if (!strcmp(r.method, "GET") && !strcmp(r.path, "/")) {
		index_page(fd, info);
	} else if (!strcmp(r.method, "GET") && !strcmp(r.path, "/greeting")) {
		snprintf(line, sizeof(line), "%s\n", info->greeting);
		respond_text(fd, "200 OK", line);
	} else if (!strcmp(r.method, "GET") && !strcmp(r.path, "/boots")) {
		snprintf(line, sizeof(line), "%lu\n", info->boots);
		respond_text(fd, "200 OK", line);
	} else if (!strcmp(r.method, "GET") && !strcmp(r.path, "/status")) {
		status_text(fd, info);
	} else if (!strcmp(r.method, "POST") && !strcmp(r.path, "/greeting")) {
		set_greeting(fd, &r);
	} else if (!strcmp(r.path, "/") || !strcmp(r.path, "/greeting") ||
		   !strcmp(r.path, "/boots") || !strcmp(r.path, "/status")) {
		respond_text(fd, "405 Method Not Allowed", "GET or POST\n");
	} else {
		respond_text(fd, "404 Not Found", "not found\n");
	}
	return 1;
}
