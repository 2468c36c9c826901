// SPDX-License-Identifier: MIT
/* systemd's notify protocol: datagram parser, receiver and sender. */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "lib/base/text.h"
#include "lib/ipc/notify.h"

/* Line [p, p + n) equals the NUL-terminated s. */
static int
line_is(const char *p, size_t n, const char *s)
{
	return strlen(s) == n && !memcmp(p, s, n);
}

/* Line starts with key; returns the value's length in *vn. */
static const char *
line_val(const char *p, size_t n, const char *key, size_t *vn)
{
	size_t k = strlen(key);

	if (n < k || memcmp(p, key, k))
		return NULL;
	*vn = n - k;
	return p + k;
}

static void
one_line(const char *p, size_t n, struct notify_msg *m)
{
	const char *v;
	size_t vn;
	uint64_t x;

	if (line_is(p, n, "READY=1")) {
		m->flags |= NOTIFY_READY;
	} else if (line_is(p, n, "RELOADING=1")) {
		m->flags |= NOTIFY_RELOADING;
	} else if (line_is(p, n, "STOPPING=1")) {
		m->flags |= NOTIFY_STOPPING;
	} else if (line_is(p, n, "WATCHDOG=1")) {
		m->flags |= NOTIFY_WATCHDOG;
	} else if (line_is(p, n, "WATCHDOG=trigger")) {
		m->flags |= NOTIFY_WATCHDOG_TRIGGER;
	} else if ((v = line_val(p, n, "STATUS=", &vn))) {
		if (vn > NOTIFY_STATUS_MAX)
			vn = NOTIFY_STATUS_MAX;
		for (size_t i = 0; i < vn; i++) {
			unsigned char c = (unsigned char)v[i];
			m->status[i] = c < 0x20 || c == 0x7f ? '?' : (char)c;
		}
		m->status[vn] = 0;
		m->flags |= NOTIFY_STATUS;
	} else if ((v = line_val(p, n, "WATCHDOG_USEC=", &vn)) &&
		   !text_u64(v, vn, &x) && x > 0) {
		m->watchdog_usec = x;
		m->flags |= NOTIFY_WATCHDOG_USEC;
	} else if ((v = line_val(p, n, "ERRNO=", &vn)) &&
		   !text_u64(v, vn, &x) && x <= 4095) {
		m->errno_val = (int)x;
		m->flags |= NOTIFY_ERRNO;
	} else if (n) {
		m->ignored++;
	}
}

static int
sun_path(struct sockaddr_un *sa, socklen_t *len, const char *path,
	 struct kerr *e)
{
	size_t n = strlen(path);

	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	if (!n || n >= sizeof(sa->sun_path))
		return kerr_set(e, "notify socket", "bad path length %zu", n);
	memcpy(sa->sun_path, path, n);
	if (path[0] == '@') /* abstract namespace, not NUL-terminated */
		sa->sun_path[0] = 0;
	else
		n++;
	*len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n);
	return 0;
}

int
notify_parse(const void *buf, size_t len, struct notify_msg *m, struct kerr *e)
{
	const char *p = buf, *end = p + len;

	memset(m, 0, sizeof(*m));
	if (len > NOTIFY_MAX)
		return kerr_set(e, "notify", "datagram of %zu bytes (max %d)",
				len, NOTIFY_MAX);
	if (memchr(p, 0, len))
		return kerr_set(e, "notify", "NUL byte in datagram");
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);

		one_line(p, n, m);
		p += n + (nl ? 1 : 0);
	}
	return 0;
}

int
notify_open(const char *path, struct kerr *e)
{
	struct sockaddr_un sa;
	socklen_t sl;
	int fd, on = 1;

	if (sun_path(&sa, &sl, path, e))
		return -1;
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return kerr_set(e, "notify socket", "socket: %s",
				kerr_strerror(errno));
	if (path[0] != '@')
		unlink(path);
	if (bind(fd, (struct sockaddr *)&sa, sl) ||
	    setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &on, sizeof(on))) {
		kerr_set(e, "notify socket", "%s: %s", path,
			 kerr_strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

int
notify_recv(int fd, char *buf, size_t cap, struct notify_msg *m, pid_t *pid,
	    struct kerr *e)
{
	union {
		struct cmsghdr h;
		char b[CMSG_SPACE(sizeof(struct ucred)) +
		       CMSG_SPACE(16 * sizeof(int))];
	} cm;
	struct iovec iov = {.iov_base = buf, .iov_len = cap};
	struct msghdr mh = {.msg_iov = &iov,
			    .msg_iovlen = 1,
			    .msg_control = cm.b,
			    .msg_controllen = sizeof(cm.b)};
	ssize_t n;

	*pid = 0;
	do
		n = recvmsg(fd, &mh,
			    MSG_DONTWAIT | MSG_TRUNC | MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return 0;
	if (n < 0)
		return kerr_set(e, "notify recv", "%s", kerr_strerror(errno));
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c;
	     c = CMSG_NXTHDR(&mh, c)) {
		if (c->cmsg_level != SOL_SOCKET)
			continue;
		if (c->cmsg_type == SCM_RIGHTS) {
			size_t k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
			for (size_t i = 0; i < k; i++) {
				int f;
				memcpy(&f, CMSG_DATA(c) + i * sizeof(int),
				       sizeof(f));
				close(f);
			}
		} else if (c->cmsg_type == SCM_CREDENTIALS) {
			struct ucred uc;
			memcpy(&uc, CMSG_DATA(c), sizeof(uc));
			*pid = uc.pid;
		}
	}
	if ((size_t)n >= cap || (size_t)n > NOTIFY_MAX)
		return kerr_set(e, "notify", "datagram of %zd bytes (max %d)",
				n, NOTIFY_MAX);
	return notify_parse(buf, (size_t)n, m, e) ? -1 : 1;
}

int
notify_send(const char *path, const void *msg, size_t len, struct kerr *e)
{
	struct sockaddr_un sa;
	socklen_t sl;
	ssize_t n;
	int fd;

	if (sun_path(&sa, &sl, path, e))
		return -1;
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return kerr_set(e, "notify socket", "socket: %s",
				kerr_strerror(errno));
	n = sendto(fd, msg, len, MSG_NOSIGNAL, (struct sockaddr *)&sa, sl);
	if (n < 0)
		kerr_set(e, "notify send", "%s: %s", path,
			 kerr_strerror(errno));
	else if (n != (ssize_t)len)
		kerr_set(e, "notify send", "%s: short send", path);
	close(fd);
	return n == (ssize_t)len ? 0 : -1;
}
