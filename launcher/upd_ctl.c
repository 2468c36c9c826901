// SPDX-License-Identifier: MIT
/* The update agent's requests to keel-init: status, a streamed install, reboot.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "launcher/fetch.h"
#include "launcher/upd.h"
#include "lib/image/image.h"
#include "lib/ipc/control.h"

/* Reply lines of one request: kv lines to on_kv, progress to the run. */
struct replies {
	char buf[CONTROL_LINE_MAX];
	size_t len;
	struct upd *u;
	struct fleet_sys *sys;	     /* status: fed every key=value */
	const struct fetch_serve *s; /* a delta: what it fetched so far */
	int final;		     /* 1 ok, -1 error: reason in why */
	char why[CONTROL_LINE_MAX];
};

/* Takes the complete lines in r->buf. -1 on a malformed line. */
static int
take_lines(struct replies *r, struct kerr *e)
{
	struct control_reply c;
	char *nl;

	while (!r->final && (nl = memchr(r->buf, '\n', r->len))) {
		size_t l = (size_t)(nl - r->buf);

		if (control_parse_reply(r->buf, l, &c, e) < 0)
			return -1;
		memmove(r->buf, nl + 1, r->len - l - 1);
		r->len -= l + 1;
		if (c.kind == CONTROL_R_KV && r->sys &&
		    fleet_sys_line(r->sys, c.key, c.value) < 0)
			return kerr_set(e, "status", "bad %s=%s", c.key,
					c.value);
		if (c.kind == CONTROL_R_PROGRESS && r->u)
			upd_progress(r->u, c.done, c.total);
		if (c.kind == CONTROL_R_OK)
			r->final = 1;
		if (c.kind == CONTROL_R_ERROR) {
			r->final = -1;
			snprintf(r->why, sizeof(r->why), "%s", c.value);
		}
	}
	if (r->len >= sizeof(r->buf))
		return kerr_set(e, "control", "reply line too long");
	return 0;
}

/* Reads what sock has (blocking when wait). 0, or -1 on errors and on a
 * connection closed before the final line. */
static int
read_replies(int sock, struct replies *r, int wait, struct kerr *e)
{
	ssize_t n;

	do {
		n = recv(sock, r->buf + r->len, sizeof(r->buf) - r->len,
			 wait ? 0 : MSG_DONTWAIT);
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 0;
		if (n < 0 && errno == EINTR)
			return upd_stopping() ? kerr_set(e, "stopped", "TERM")
					      : 0;
		if (n < 0)
			return kerr_set(e, "control", "%s", strerror(errno));
		if (n == 0)
			return kerr_set(e, "control",
					"keel-init closed the connection "
					"without a reply");
		r->len += (size_t)n;
		if (take_lines(r, e) < 0)
			return -1;
	} while (wait && !r->final);
	return 0;
}

static int
request(struct upd *u, const struct control_req *q, struct kerr *e)
{
	char line[CONTROL_REQ_MAX];
	size_t n = control_fmt_request(q, line, sizeof(line));
	int sock = control_connect(u->sock, e);

	if (sock < 0)
		return -1;
	if (send(sock, line, n, MSG_NOSIGNAL) != (ssize_t)n) {
		kerr_set(e, "control", "%s: %s", u->sock, strerror(errno));
		close(sock);
		return -1;
	}
	return sock;
}

int
upd_status(struct upd *u, struct fleet_sys *sys, struct kerr *e)
{
	static struct replies r;
	struct control_req q = {.cmd = CONTROL_STATUS};
	int sock = request(u, &q, e), rc;

	if (sock < 0)
		return -1;
	memset(&r, 0, sizeof(r));
	fleet_sys_init(sys);
	r.sys = sys;
	rc = read_replies(sock, &r, 1, e);
	close(sock);
	if (rc < 0)
		return -1;
	if (r.final < 0)
		return kerr_set(e, "status", "%s", r.why);
	if (fleet_sys_done(sys, u->id) < 0)
		return kerr_set(e, "status", "no board or committed version");
	return 0;
}

int
upd_reboot(struct upd *u, struct kerr *e)
{
	static struct replies r;
	struct control_req q = {.cmd = CONTROL_REBOOT};
	int sock = request(u, &q, e), rc;

	if (sock < 0)
		return -1;
	memset(&r, 0, sizeof(r));
	rc = read_replies(sock, &r, 1, e);
	close(sock);
	if (rc == 0 && r.final < 0)
		return kerr_set(e, "reboot", "%s", r.why);
	return rc;
}

/*
 * The bundle's first 4096 bytes, the image's metadata, read into blk
 * (fetch_head). Its signed header
 * must be the one the manifest names (by SHA-256) before a byte goes to
 * keel-init: a server that serves another bundle than it announces is
 * caught here, without keel-init's installer starting.
 */
static int
check_head(const struct manifest_entry *x, const uint8_t *blk, struct kerr *e)
{
	struct img_meta m;
	uint8_t d[32];

	if (img_meta_decode(blk, &m, e) < 0)
		return -1;
	img_digest(&m, d);
	if (memcmp(d, x->header_sha256, 32))
		return kerr_set(e, "bundle",
				"its signed header is not the one the "
				"manifest names (header_sha256)");
	if (m.h.version != x->version)
		return kerr_set(e, "bundle", "version %llu, manifest says %llu",
				(unsigned long long)m.h.version,
				(unsigned long long)x->version);
	return 0;
}

/* The reply lines of a delta install (fetch_serve): 1 on the final. */
static int
on_line(void *ctx, const struct control_reply *c)
{
	struct replies *r = ctx;

	if (c->kind == CONTROL_R_PROGRESS) {
		/* the agent's bytes: the bundle's, fetched so far */
		r->u->run.done = r->s->got + IMG_META_SIZE;
		upd_progress(r->u, c->done, c->total);
	}
	if (c->kind == CONTROL_R_KV && !strcmp(c->key, "installed"))
		snprintf(r->u->stats, sizeof(r->u->stats), "%.*s",
			 (int)sizeof(r->u->stats) - 1, c->value);
	if (c->kind == CONTROL_R_OK)
		r->final = 1;
	if (c->kind == CONTROL_R_ERROR) {
		r->final = -1;
		snprintf(r->why, sizeof(r->why), "%s", c->value);
	}
	return r->final != 0;
}

int
upd_install(struct upd *u, const struct manifest_entry *x, const char *url,
	    struct kerr *e)
{
	static uint8_t buf[IMG_META_SIZE];
	static struct replies r;
	static struct fetch_serve s;
	struct control_req q = {.cmd = CONTROL_UPDATE,
				.src = CONTROL_SRC_STREAM};
	int sock, rc, whole = 0;

	u->stats[0] = 0;
	if (fetch_open(&u->f, url, u->conf.allow_http, UPD_TIMEOUT_MS, e) < 0)
		return -1;
	/* the first block alone, by a range (a delta fetches no more) */
	if (fetch_head(&u->f, buf, 1, e) < 0) {
		if (!u->f.dl.no_ranges)
			return -1;
		/* A server that ignores ranges: no delta, the whole bundle
		 * streamed (and no resume if it is cut). */
		fprintf(stderr,
			"%s: the server ignores ranges: the whole bundle\n",
			url);
		fetch_close(&u->f);
		whole = 1;
		if (fetch_open(&u->f, url, u->conf.allow_http, UPD_TIMEOUT_MS,
			       e) < 0 ||
		    fetch_head(&u->f, buf, 0, e) < 0)
			return -1;
	}
	if (check_head(x, buf, e) < 0)
		return -1;
	sock = request(u, &q, e);
	if (sock < 0)
		return -1;
	memset(&r, 0, sizeof(r));
	r.u = u;
	r.s = &s;
	memset(&s, 0, sizeof(s));
	s.sock = sock;
	s.f = &u->f;
	s.gap = FETCH_GAP;
	s.line = on_line;
	s.ctx = &r;
	s.stop = upd_stopping;
	s.head = buf;
	s.head_len = sizeof(buf);
	rc = whole ? fetch_serve_whole(&s, buf, IMG_META_SIZE, e)
		   : fetch_serve(&s, e);
	u->got = s.got;
	u->run.done = s.got + IMG_META_SIZE;
	if (rc < 0 && !s.final) {
		/* This side failed: keel-init's installer sees the stream
		 * end and stops; its answer is read and dropped, this
		 * side's reason is the one kept. */
		struct kerr ignored;

		shutdown(sock, SHUT_WR);
		fetch_serve_final(&s, &ignored);
		close(sock);
		return -1;
	}
	close(sock);
	if (r.final < 0)
		return kerr_set(e, "install", "%s", r.why);
	return rc < 0 ? -1 : 0;
}
