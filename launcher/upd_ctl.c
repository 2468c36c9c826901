// SPDX-License-Identifier: MIT
/* The update agent's requests to keel-init: status, a streamed install, reboot.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "launcher/upd.h"
#include "lib/image/image.h"
#include "lib/ipc/control.h"

/* Reply lines of one request: kv lines to on_kv, progress to the run. */
struct replies {
	char buf[CONTROL_LINE_MAX];
	size_t len;
	struct upd *u;
	struct fleet_sys *sys; /* status: fed every key=value */
	int final;	       /* 1 ok, -1 error: reason in why */
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

/* Sends all of buf, reading replies meanwhile (so neither side stalls).
 * 1 when keel-init gave its final answer early, 0 sent, -1. */
static int
send_all(int sock, const uint8_t *buf, size_t len, struct replies *r,
	 struct kerr *e)
{
	while (len) {
		struct pollfd p = {sock, POLLIN | POLLOUT, 0};
		ssize_t n;

		if (poll(&p, 1, -1) < 0 && errno != EINTR)
			return kerr_set(e, "control", "%s", strerror(errno));
		if (upd_stopping())
			return kerr_set(e, "stopped", "TERM");
		if (p.revents & (POLLIN | POLLHUP)) {
			if (read_replies(sock, r, 0, e) < 0)
				return -1;
			if (r->final)
				return 1;
		}
		if (!(p.revents & POLLOUT))
			continue;
		n = send(sock, buf, len, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (n < 0)
			return kerr_set(e, "control", "sending the bundle: %s",
					strerror(errno));
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/*
 * The bundle's first 4096 bytes: the image's metadata. Its signed header
 * must be the one the manifest names (by SHA-256) before a byte goes to
 * keel-init: a server that serves another bundle than it announces is
 * caught here, without keel-init's installer starting.
 */
static int
check_head(struct upd *u, const struct manifest_entry *x, uint8_t *blk,
	   struct kerr *e)
{
	struct img_meta m;
	uint8_t d[32];
	size_t got = 0;

	while (got < IMG_META_SIZE) {
		ssize_t n =
		    http_dl_read(&u->f.dl, blk + got, IMG_META_SIZE - got, e);
		if (n <= 0)
			return n < 0 ? -1
				     : kerr_set(e, "bundle",
						"ends inside its metadata");
		got += (size_t)n;
	}
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

int
upd_install(struct upd *u, const struct manifest_entry *x, const char *url,
	    struct kerr *e)
{
	static uint8_t buf[64 * 1024];
	static struct replies r;
	struct control_req q = {
	    .cmd = CONTROL_UPDATE, .src = CONTROL_SRC_SIZED, .size = x->size};
	uint64_t sent = IMG_META_SIZE;
	int sock, rc = 0;

	if (fetch_open(&u->f, url, u->conf.allow_http, UPD_TIMEOUT_MS, e) < 0 ||
	    check_head(u, x, buf, e) < 0)
		return -1;
	sock = request(u, &q, e);
	if (sock < 0)
		return -1;
	memset(&r, 0, sizeof(r));
	r.u = u;
	rc = send_all(sock, buf, IMG_META_SIZE, &r, e);
	while (rc == 0 && sent < x->size) {
		ssize_t n = http_dl_read(&u->f.dl, buf, sizeof(buf), e);
		if (n < 0)
			rc = -1;
		else if (n == 0)
			rc = kerr_set(e, "bundle",
				      "%llu bytes, manifest says %llu",
				      (unsigned long long)sent,
				      (unsigned long long)x->size);
		else if ((sent += (uint64_t)n) > x->size)
			rc = kerr_set(e, "bundle",
				      "more than the manifest's "
				      "size");
		else
			rc = send_all(sock, buf, (size_t)n, &r, e);
		u->run.done = sent;
	}
	if (rc < 0 && !r.final) {
		/* Cut here: keel-init's installer sees the end of the
		 * stream and stops; its answer is read and dropped, this
		 * side's reason is the one kept. */
		struct kerr ignored;

		shutdown(sock, SHUT_WR);
		read_replies(sock, &r, 1, &ignored);
		close(sock);
		return -1;
	}
	if (rc == 0 && !r.final) {
		/* All sent: the end of the stream tells the installer that
		 * nothing follows the bundle. */
		shutdown(sock, SHUT_WR);
		rc = read_replies(sock, &r, 1, e);
	}
	close(sock);
	if (r.final < 0)
		return kerr_set(e, "install", "%s", r.why);
	return rc < 0 ? -1 : 0;
}
