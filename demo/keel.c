// SPDX-License-Identifier: MIT
/* Talking to keel the documented way: notify datagrams, control socket. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "demo/demo.h"

#define CONTROL_PATH "/run/keel/control"

static int
unix_addr(struct sockaddr_un *sa, const char *path, socklen_t *len)
{
	size_t n = strlen(path);

	if (n == 0 || n >= sizeof(sa->sun_path))
		return -1;
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	memcpy(sa->sun_path, path, n);
	if (path[0] == '@')
		sa->sun_path[0] = 0; /* abstract namespace */
	*len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n);
	return 0;
}

/* systemd's notify protocol: one datagram to $NOTIFY_SOCKET, if set. */
void
keel_notify(const char *msg)
{
	struct sockaddr_un sa;
	socklen_t len;
	const char *path = getenv("NOTIFY_SOCKET");
	int s;

	if (!path || unix_addr(&sa, path, &len) < 0)
		return;
	s = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return;
	if (sendto(s, msg, strlen(msg), MSG_NOSIGNAL, (struct sockaddr *)&sa,
		   len) < 0)
		demo_log("notify %s: %s", path, strerror(errno));
	close(s);
}

/*
 * keel's "status" request; buf gets its key=value lines. Returns -1 when
 * there is no control socket or it does not answer within a second.
 */
int
keel_status(char *buf, size_t cap)
{
	struct sockaddr_un sa;
	struct timeval tv = {1, 0};
	socklen_t len;
	size_t have = 0;
	ssize_t n;
	char *line, *next;
	int s;

	buf[0] = 0;
	if (unix_addr(&sa, CONTROL_PATH, &len) < 0)
		return -1;
	s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return -1;
	setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(s, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(s, (struct sockaddr *)&sa, len) < 0 ||
	    send(s, "status\n", 7, MSG_NOSIGNAL) != 7) {
		close(s);
		return -1;
	}
	while (have + 1 < cap && (n = read(s, buf + have, cap - 1 - have)) > 0)
		have += (size_t)n;
	close(s);
	buf[have] = 0;
	/* Keep the key=value lines; drop the closing "ok" or error line. */
	have = 0;
	for (line = buf; line; line = next) {
		size_t l = strcspn(line, "\n");

		next = line[l] ? line + l + 1 : NULL;
		if (!memchr(line, '=', l) || !strncmp(line, "error", 5))
			continue;
		memmove(buf + have, line, l);
		have += l;
		if (next)
			buf[have++] = '\n';
	}
	buf[have] = 0;
	return have ? 0 : -1;
}
