// SPDX-License-Identifier: MIT
/* keel update: a bundle file, stdin or a URL streamed to keel-init. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "launcher/ctl.h"
#include "launcher/fetch.h"
#include "launcher/keel.h"
#include "lib/ipc/control.h"

#define CHUNK (64 * 1024)

/* The download of keel update URL (whole or by delta): one per process. */
static struct fetch f;

/* Streams in to sock while printing replies; poll keeps both moving. */
static int
stream(struct ctl *c, int sock, int in, uint64_t size)
{
	static char data[CHUNK], buf[CONTROL_LINE_MAX];
	size_t have = 0, off = 0, len = 0;
	uint64_t sent = 0, rd = 0;
	int in_eof = 0, out_done = 0, rc = KEEL_EXIT_FAIL;

	for (;;) {
		struct pollfd p[2] = {{sock, POLLIN, 0}, {in, 0, 0}};
		if (size && rd == size)
			in_eof = 1; /* never more than announced */
		if (!out_done && off < have)
			p[0].events |= POLLOUT;
		/* poll reports POLLHUP even unasked: leave in out unless
		 * its bytes are wanted, or a pending chunk would be lost. */
		if (!out_done && off == have && !in_eof)
			p[1].events = POLLIN;
		else
			p[1].fd = -1;
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			return keel_errf(c->action, "poll", "%s",
					 strerror(errno));
		}
		if (p[0].revents & (POLLIN | POLLHUP | POLLERR)) {
			int r = ctl_take_reply(c, sock, buf, &len, &rc);
			if (r)
				return r < 0 ? KEEL_EXIT_FAIL : rc;
		}
		if (p[1].revents & (POLLIN | POLLHUP | POLLERR)) {
			size_t want = sizeof(data);
			if (size && size - rd < want)
				want = (size_t)(size - rd);
			ssize_t n = read(in, data, want);
			if (n < 0 && errno != EINTR && errno != EAGAIN)
				return keel_errf(c->action, "bundle", "%s",
						 strerror(errno));
			if (n == 0)
				in_eof = 1;
			if (n > 0)
				have = (size_t)n, off = 0, rd += (uint64_t)n;
		}
		if ((p[0].revents & POLLOUT) && off < have) {
			ssize_t n = send(sock, data + off, have - off,
					 MSG_NOSIGNAL | MSG_DONTWAIT);
			if (n < 0 && errno != EINTR && errno != EAGAIN) {
				/* The server gave up: its reply says why. */
				out_done = 1;
			} else if (n > 0) {
				off += (size_t)n;
				sent += (uint64_t)n;
			}
		}
		if (!out_done && in_eof && off == have) {
			if (size && sent != size)
				return keel_errf(c->action, "bundle",
						 "changed while sending");
			shutdown(sock, SHUT_WR);
			out_done = 1;
		}
	}
}

/*
 * Sends len bytes to sock, printing replies meanwhile. 0 when sent; 1
 * when keel-init answered (or stopped reading: its answer is read) with
 * *rc set from its answer; -1 on errors.
 */
static int
send_data(struct ctl *c, int sock, const uint8_t *p, size_t len, char *buf,
	  size_t *blen, int *rc)
{
	while (len) {
		struct pollfd q = {sock, POLLIN | POLLOUT, 0};
		ssize_t n;
		int r;

		if (poll(&q, 1, -1) < 0 && errno != EINTR)
			return keel_errf(c->action, "poll", "%s",
					 strerror(errno)),
			       -1;
		if (q.revents & (POLLIN | POLLHUP | POLLERR) &&
		    (r = ctl_take_reply(c, sock, buf, blen, rc)))
			return r;
		if (!(q.revents & POLLOUT))
			continue;
		n = send(sock, p, len, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (n < 0) { /* keel-init gave up: its reply says why */
			*rc = ctl_replies_rest(c, sock, buf, blen);
			return 1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/*
 * The anchors of `keel update URL`: --ca, else the image's file keel-init
 * put beside its control socket. Never the device's /etc: without
 * either, https is refused.
 */
static int
url_anchors(struct ctl *c, struct fetch *f, struct kerr *e)
{
	static char path[4096];
	const char *slash = strrchr(c->path, '/');
	const char *ca = path;
	int dir = slash ? (int)(slash - c->path + 1) : 0;

	if (c->nca)
		return fetch_anchors(f, c->ca, c->nca, e);
	tls_anchors_init(&f->ta);
	snprintf(path, sizeof(path), "%.*s%s", dir, c->path, CONTROL_CA_NAME);
	if (access(path, F_OK))
		return 0;
	return fetch_anchors(f, &ca, 1, e);
}

/*
 * keel update URL --full: the download streamed into the control socket
 * as it arrives (nothing staged), `update SIZE` once the server gave the
 * size; a cut connection resumes by Range (lib/net/http_dl.c).
 */
static int
update_full(struct ctl *c, int sock, const char *url, int force)
{
	static uint8_t data[CHUNK];
	static char buf[CONTROL_LINE_MAX];
	struct control_req req = {.cmd = CONTROL_UPDATE, .force = force};
	struct kerr e = {0};
	uint64_t sent = 0;
	size_t blen = 0;
	ssize_t n;
	int rc = KEEL_EXIT_FAIL, r = 0;

	if (url_anchors(c, &f, &e) < 0 ||
	    fetch_open(&f, url, c->allow_http, c->timeout_s * 1000, &e) < 0 ||
	    (n = http_dl_read(&f.dl, data, sizeof(data), &e)) < 0)
		return keel_err(c->action, url, &e);
	if (n == 0)
		return keel_errf(c->action, url, "empty");
	req.src = CONTROL_SRC_STREAM;
	if (f.dl.size != UINT64_MAX) {
		if (f.dl.size > CONTROL_SIZE_MAX)
			return keel_errf(c->action, url, "%llu bytes: too big",
					 (unsigned long long)f.dl.size);
		req.src = CONTROL_SRC_SIZED;
		req.size = f.dl.size;
	}
	if (control_send_request(sock, &req, -1, &e))
		return keel_err(c->action, c->path, &e);
	while (n > 0 &&
	       !(r = send_data(c, sock, data, (size_t)n, buf, &blen, &rc))) {
		sent += (uint64_t)n;
		n = http_dl_read(&f.dl, data, sizeof(data), &e);
	}
	fetch_close(&f);
	if (r)
		return r < 0 ? KEEL_EXIT_FAIL : rc;
	if (n < 0 || (req.size && sent != req.size)) {
		/* The download failed: the installer sees the stream end
		 * short and refuses; this side's reason comes first. */
		if (n < 0)
			keel_err(c->action, url, &e);
		else
			keel_errf(c->action, url, "%llu of %llu bytes",
				  (unsigned long long)sent,
				  (unsigned long long)req.size);
		shutdown(sock, SHUT_WR);
		ctl_replies_rest(c, sock, buf, &blen);
		return KEEL_EXIT_FAIL;
	}
	shutdown(sock, SHUT_WR);
	return ctl_replies_rest(c, sock, buf, &blen);
}

struct delta_ctx {
	struct ctl *c;
	int rc;
};

static int
delta_line(void *ctx, const struct control_reply *r)
{
	struct delta_ctx *d = ctx;

	return ctl_reply_line(d->c, r, &d->rc);
}

/*
 * keel update URL: a delta install. keel-init's installer asks for the
 * parts of the bundle the running slot lacks (lib/update/want.h); they
 * are fetched by ranges and sent in the order asked (nothing staged).
 */
static int
update_url(struct ctl *c, int sock, const char *url, int force)
{
	static struct fetch_serve s;
	static uint8_t head[IMG_META_SIZE];
	struct control_req req = {
	    .cmd = CONTROL_UPDATE, .force = force, .src = CONTROL_SRC_STREAM};
	struct delta_ctx d = {c, KEEL_EXIT_FAIL};
	struct kerr e = {0};
	int n;

	if (c->full)
		return update_full(c, sock, url, force);
	if (url_anchors(c, &f, &e) < 0 ||
	    fetch_open(&f, url, c->allow_http, c->timeout_s * 1000, &e) < 0)
		return keel_err(c->action, url, &e);
	/* The first block alone, by a range: the server is reached and
	 * serves ranges before keel-init starts an installer. */
	n = fetch_head(&f, head, 1, &e);
	if (n < 0 && f.dl.no_ranges) {
		/* A server that ignores ranges: the whole bundle. */
		fprintf(stderr,
			"keel %s: %s: the server ignores ranges: the whole "
			"bundle\n",
			c->action, url);
		fetch_close(&f);
		return update_full(c, sock, url, force);
	}
	if (n < 0)
		return keel_err(c->action, url, &e);
	if (control_send_request(sock, &req, -1, &e))
		return keel_err(c->action, c->path, &e);
	memset(&s, 0, sizeof(s));
	s.sock = sock;
	s.f = &f;
	s.gap = FETCH_GAP;
	s.line = delta_line;
	s.ctx = &d;
	s.head = head;
	s.head_len = sizeof(head);
	if (fetch_serve(&s, &e) < 0) {
		/* This side's reason first; the installer sees the stream
		 * end and stops, its answer follows. */
		keel_err(c->action, s.final ? c->path : url, &e);
		if (!s.final) {
			shutdown(sock, SHUT_WR);
			fetch_serve_final(&s, &e);
		}
		fetch_close(&f);
		return KEEL_EXIT_FAIL;
	}
	fetch_close(&f);
	return d.rc;
}

int
ctl_update(struct ctl *c, int sock, const char *bundle, int pass_fd, int force)
{
	static char buf[CONTROL_LINE_MAX];
	struct control_req req = {.cmd = CONTROL_UPDATE, .force = force};
	struct kerr e = {0};
	struct stat st;
	size_t blen = 0;
	int in = 0, rc;

	if (fetch_is_url(bundle))
		return update_url(c, sock, bundle, force);
	if (strcmp(bundle, "-")) {
		in = open(bundle, O_RDONLY | O_CLOEXEC);
		if (in < 0)
			return keel_errf(c->action, bundle, "%s",
					 strerror(errno));
	}
	if (fstat(in, &st))
		return keel_errf(c->action, bundle, "%s", strerror(errno));
	if (pass_fd) {
		req.src = CONTROL_SRC_FD;
	} else if (S_ISREG(st.st_mode) && st.st_size > 0) {
		req.src = CONTROL_SRC_SIZED;
		req.size = (uint64_t)st.st_size;
	} else {
		req.src = CONTROL_SRC_STREAM;
	}
	if (control_send_request(sock, &req, pass_fd ? in : -1, &e))
		return keel_err(c->action, c->path, &e);
	if (pass_fd)
		rc = ctl_replies_rest(c, sock, buf, &blen);
	else
		rc = stream(c, sock, in, req.size);
	if (in > 0)
		close(in);
	return rc;
}
