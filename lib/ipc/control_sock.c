// SPDX-License-Identifier: MIT
/* The control socket: listen, connect, and the request on the wire. */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "lib/ipc/control.h"

#define MAX_PASSED_FDS 8

/*
 * recvmsg that never leaves a passed descriptor behind: the first one
 * lands in *keep when keep is not NULL and *keep < 0, all others are
 * closed (MUST NOT leak into PID 1; a peek hands out copies, too).
 */
static ssize_t
recv_fds(int sock, char *buf, size_t n, int flags, int *keep)
{
	union {
		struct cmsghdr h;
		char b[CMSG_SPACE(MAX_PASSED_FDS * sizeof(int))];
	} cm;
	struct iovec iov = {.iov_base = buf, .iov_len = n};
	struct msghdr mh = {.msg_iov = &iov,
			    .msg_iovlen = 1,
			    .msg_control = cm.b,
			    .msg_controllen = sizeof(cm.b)};
	ssize_t r;

	do
		r = recvmsg(sock, &mh, flags | MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return r;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c;
	     c = CMSG_NXTHDR(&mh, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		size_t k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < k; i++) {
			int f;
			memcpy(&f, CMSG_DATA(c) + i * sizeof(int), sizeof(f));
			if (keep && *keep < 0)
				*keep = f;
			else
				close(f);
		}
	}
	return r;
}

static int
unix_addr(struct sockaddr_un *sa, const char *path, struct kerr *e)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	if (!path[0] || strlen(path) >= sizeof(sa->sun_path))
		return kerr_set(e, "control socket", "bad path length");
	strcpy(sa->sun_path, path);
	return 0;
}

int
control_listen(const char *path, struct kerr *e)
{
	struct sockaddr_un sa;
	int fd;

	if (unix_addr(&sa, path, e))
		return -1;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return kerr_set(e, "control socket", "%s",
				kerr_strerror(errno));
	unlink(path);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) || chmod(path, 0660) ||
	    listen(fd, 8)) {
		kerr_set(e, "control socket", "%s: %s", path,
			 kerr_strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

int
control_connect(const char *path, struct kerr *e)
{
	struct sockaddr_un sa;
	int fd;

	if (unix_addr(&sa, path, e))
		return -1;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return kerr_set(e, "control socket", "%s",
				kerr_strerror(errno));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		kerr_set(e, "control connect", "%s: %s", path,
			 kerr_strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

void
control_conn_init(struct control_conn *c)
{
	c->len = 0;
}

int
control_recv_request(int sock, struct control_conn *c, struct control_req *r,
		     int *fd, struct kerr *e)
{
	size_t room = sizeof(c->buf) - c->len, take;
	ssize_t n;
	int len;

	*fd = -1;
	memset(r, 0, sizeof(*r));
	n = recv_fds(sock, c->buf + c->len, room, MSG_PEEK, NULL);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return 0;
	if (n < 0)
		return kerr_set(e, "control recv", "%s", kerr_strerror(errno));
	if (n == 0)
		return kerr_set(e, "control recv", "closed before a request");
	len = control_parse_request(c->buf, c->len + (size_t)n, r, e);
	if (len < 0)
		return -1;
	/*
	 * Take the line's bytes out of the socket: all that came while the
	 * line is incomplete (else POLLIN stays set and PID 1 spins), and
	 * only up to the newline once complete: bundle bytes stay queued.
	 */
	take = len ? (size_t)len - c->len : (size_t)n;
	n = recv_fds(sock, c->buf + c->len, take, 0,
		     len && r->src == CONTROL_SRC_FD ? fd : NULL);
	if (n != (ssize_t)take) {
		if (*fd >= 0)
			close(*fd);
		*fd = -1;
		return kerr_set(e, "control recv", "request vanished");
	}
	c->len += take;
	if (!len)
		return 0;
	if (r->src == CONTROL_SRC_FD && *fd < 0)
		return kerr_set(e, "control request",
				"update fd without a descriptor");
	return 1;
}

int
control_send_request(int sock, const struct control_req *r, int fd,
		     struct kerr *e)
{
	char line[CONTROL_REQ_MAX];
	union {
		struct cmsghdr h;
		char b[CMSG_SPACE(sizeof(int))];
	} cm;
	size_t n = control_fmt_request(r, line, sizeof(line)), done = 0;
	struct iovec iov = {.iov_base = line, .iov_len = n};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};

	if (!n)
		return kerr_set(e, "control request", "not a request");
	if (fd >= 0) {
		memset(&cm, 0, sizeof(cm));
		mh.msg_control = cm.b;
		mh.msg_controllen = sizeof(cm.b);
		struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &fd, sizeof(int));
	}
	while (done < n) {
		ssize_t w = sendmsg(sock, &mh, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return kerr_set(e, "control send", "%s",
					kerr_strerror(errno));
		done += (size_t)w;
		iov.iov_base = line + done;
		iov.iov_len = n - done;
		mh.msg_control = NULL; /* the descriptor went with byte 0 */
		mh.msg_controllen = 0;
	}
	return 0;
}
