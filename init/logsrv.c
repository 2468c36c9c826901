// SPDX-License-Identifier: MIT
/* Clients reading the log over the control socket, never blocking PID 1. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "init/init.h"
#include "lib/base/text.h"

/*
 * A reader: the next line it wants (a cursor into the ring), the reply
 * bytes not yet taken by its socket, and, without follow, the line it
 * stops before. PID 1 only ever sends what the socket takes now; a
 * client that takes nothing for INIT_LOG_STALL_MS is dropped.
 */
struct reader {
	int fd;
	int file;      /* logs boot K: the saved log, else -1 */
	uint64_t skip; /* file: lines to pass over first */
	size_t flen;   /* file: bytes of the line being read */
	char fline[LOGRING_LINE_MAX + 64];
	int follow, closing;
	int eof; /* the client shut down its side: only hangups to wait for */
	uint64_t end; /* without follow: stop before this line */
	uint64_t last_us;
	uint64_t *mark; /* an agent's: the last line it says it sent */
	uint64_t upto;	/* an agent's: lines before this one delivered */
	size_t alen;	/* an agent's: bytes of its answer in ack */
	char ack[32];
	struct logring_cursor c;
	size_t len, off;
	char out[4 * CONTROL_LINE_MAX];
};
static struct reader readers[INIT_LOG_READERS];
static int ready;

static void
init_readers(void)
{
	for (int i = 0; i < INIT_LOG_READERS; i++)
		readers[i].fd = readers[i].file = -1;
	ready = 1;
}

static void
drop(struct reader *r)
{
	close(r->fd);
	r->fd = -1;
	if (r->file >= 0)
		close(r->file);
	r->file = -1;
	r->mark = NULL;
}

/* Lines of a saved log (bytes written by keel-init, but on a partition
 * anyone with the disk can change: cut to length, cleaned by
 * control_put). Returns at the end of the file or when out is full. */
static void
fill_file(struct reader *r)
{
	char buf[512];
	ssize_t n;

	while (sizeof(r->out) - r->len >= CONTROL_LINE_MAX) {
		off_t at = lseek(r->file, 0, SEEK_CUR);

		n = read(r->file, buf, sizeof(buf));
		if (n <= 0) {
			if (r->flen && !r->skip)
				control_put(r->out, sizeof(r->out), &r->len,
					    "log", "%.*s", (int)r->flen,
					    r->fline);
			r->flen = 0;
			control_end(r->out, sizeof(r->out), &r->len,
				    n < 0 ? kerr_strerror(errno) : NULL);
			r->closing = 1;
			return;
		}
		for (ssize_t i = 0; i < n; i++) {
			if (buf[i] != '\n' && r->flen < sizeof(r->fline)) {
				r->fline[r->flen++] = buf[i];
				continue;
			}
			if (buf[i] != '\n')
				continue; /* past the longest line: cut */
			if (r->skip)
				r->skip--;
			else
				control_put(r->out, sizeof(r->out), &r->len,
					    "log", "%.*s", (int)r->flen,
					    r->fline);
			r->flen = 0;
			if (sizeof(r->out) - r->len < CONTROL_LINE_MAX) {
				/* Full: read on from the next byte later. */
				lseek(r->file, at + i + 1, SEEK_SET);
				return;
			}
		}
	}
}

/* How many lines a saved log has (at most INIT_LOG_FILE_MAX bytes). */
static uint64_t
count_lines(int file)
{
	char buf[4096];
	uint64_t lines = 0;
	ssize_t n;

	while ((n = read(file, buf, sizeof(buf))) > 0)
		for (ssize_t i = 0; i < n; i++)
			lines += buf[i] == '\n';
	lseek(file, 0, SEEK_SET);
	return lines;
}

/* Reply lines for the lines the ring has, as many as fit in out. */
static void
fill(struct reader *r)
{
	const struct logring *ring = log_ring();
	struct logring_line l;
	uint64_t lost;

	r->len = r->off = 0;
	if (r->file >= 0) {
		fill_file(r);
		return;
	}
	/* Room for a lost note and the line after it: logring_next has
	 * passed the line once it returns it. */
	while (sizeof(r->out) - r->len >= 2 * CONTROL_LINE_MAX) {
		if (!r->follow && r->c.seq >= r->end) {
			control_end(r->out, sizeof(r->out), &r->len, NULL);
			r->closing = 1;
			return;
		}
		if (logring_next(ring, &r->c, &l, &lost) != 1)
			return;
		if (lost && r->mark)
			control_put(r->out, sizeof(r->out), &r->len, "lost",
				    "%llu", (unsigned long long)lost);
		else if (lost)
			control_put(r->out, sizeof(r->out), &r->len, "log",
				    "-- %llu lines lost: the reader fell "
				    "behind --",
				    (unsigned long long)lost);
		control_put(r->out, sizeof(r->out), &r->len, "log",
			    "[%5llu.%06llu] %s: %.*s",
			    (unsigned long long)(l.us / 1000000),
			    (unsigned long long)(l.us % 1000000),
			    logring_src_name(l.src), (int)l.len, l.text);
	}
}

/* Sends what the socket takes; refills from the ring when all is out. */
static void
pump(struct reader *r, uint64_t now)
{
	for (;;) {
		if (r->off < r->len) {
			ssize_t n =
			    send(r->fd, r->out + r->off, r->len - r->off,
				 MSG_DONTWAIT | MSG_NOSIGNAL);
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0 && errno == EAGAIN) {
				if (now - r->last_us >
				    INIT_LOG_STALL_MS * 1000ull)
					drop(r);
				return;
			}
			if (n <= 0) {
				drop(r);
				return;
			}
			r->off += (size_t)n;
			r->last_us = now;
			if (r->off == r->len)
				r->upto = r->c.seq;
			continue;
		}
		if (r->closing) {
			drop(r);
			return;
		}
		fill(r);
		if (!r->len)
			return; /* following, and nothing new */
	}
}

/* A reader for fd; with mark, an agent's (logsrv_agent). */
static void
start(int fd, const struct control_req *req, uint64_t *mark)
{
	char err[CONTROL_LINE_MAX];
	size_t off = 0;
	struct reader *r = NULL;

	if (!ready)
		init_readers();
	for (int i = 0; i < INIT_LOG_READERS && !r; i++)
		if (readers[i].fd < 0)
			r = &readers[i];
	if (r && req->boot) {
		char path[128];
		logfile_path(req->boot, path, sizeof(path));
		r->file = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	}
	if (!r || (req->boot && r->file < 0)) {
		control_end(err, sizeof(err), &off,
			    !r ? "busy: too many log readers"
			       : "no saved log of that boot");
		(void)!send(fd, err, off, MSG_DONTWAIT | MSG_NOSIGNAL);
		return;
	}
	if (r->file >= 0) {
		uint64_t total = count_lines(r->file);
		r->skip =
		    req->lines && req->lines < total ? total - req->lines : 0;
		r->flen = 0;
	}
	r->fd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	if (r->fd < 0) {
		if (r->file >= 0)
			close(r->file);
		r->file = -1;
		return;
	}
	r->follow = req->follow;
	r->closing = r->eof = 0;
	r->end = log_ring()->next;
	r->last_us = clock_us();
	r->len = r->off = 0;
	r->mark = mark;
	r->alen = 0;
	if (mark) {
		logring_seek(log_ring(), *mark + 1, &r->c);
		control_put(r->out, sizeof(r->out), &r->len, "seq", "%llu",
			    (unsigned long long)r->c.seq);
	} else {
		logring_tail(log_ring(), req->lines, &r->c);
	}
	r->upto = r->c.seq;
	pump(r, r->last_us);
}

void
logsrv_start(int fd, const struct control_req *req)
{
	start(fd, req, NULL);
}

/*
 * An agent's stream: "seq=N" (the number of the next line), then the
 * lines as for `logs follow` from the one after *mark, a gap as
 * "lost=N". The agent answers "sent=N\n" once lines up to N are out; N
 * counts only when newer than *mark and delivered to it, so an agent
 * that claims more than it got moves the mark no further than that, and
 * anything else it writes is ignored.
 */
void
logsrv_agent(int fd, uint64_t *mark)
{
	struct control_req q = {.cmd = CONTROL_LOGS, .follow = 1};

	start(fd, &q, mark);
}

int
logsrv_pollfds(struct pollfd *p, int max)
{
	int n = 0;

	for (int i = 0; ready && i < INIT_LOG_READERS && n < max; i++)
		if (readers[i].fd >= 0)
			p[n++] = (struct pollfd){
			    readers[i].fd,
			    (short)((readers[i].off < readers[i].len ? POLLOUT
								     : 0) |
				    (readers[i].eof ? 0 : POLLIN)),
			    0};
	return n;
}

/* The client's side: its end of writing, or bytes it had no business
 * sending after its request (dropped), or its hangup (dropped). */
/* One line of an agent's answer: "sent=N". */
static void
agent_ack(struct reader *r, const char *p, size_t n)
{
	uint64_t v;

	if (n > 5 && !memcmp(p, "sent=", 5) &&
	    text_u64(p + 5, n - 5, &v) == 0 && v > *r->mark && v < r->upto)
		*r->mark = v;
}

/* An agent's answers, what there is now (a bounded amount: an agent
 * that writes without end cannot hold PID 1 here); 0 at its end of
 * writing. */
static int
agent_read(struct reader *r)
{
	for (int k = 0; k < 16; k++) {
		size_t start = 0;
		ssize_t n = recv(r->fd, r->ack + r->alen,
				 sizeof(r->ack) - r->alen, MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n == 0 ? 0 : 1;
		r->alen += (size_t)n;
		for (size_t i = 0; i < r->alen; i++)
			if (r->ack[i] == '\n') {
				agent_ack(r, r->ack + start, i - start);
				start = i + 1;
			}
		if (start == 0 && r->alen == sizeof(r->ack))
			start = r->alen; /* too long to be an answer */
		memmove(r->ack, r->ack + start, r->alen - start);
		r->alen -= start;
	}
	return 1;
}

static void
client_side(struct reader *r, short revents)
{
	char b;
	ssize_t n;

	/* An agent's last answers come before its hangup. */
	if (r->mark && (revents & (POLLIN | POLLHUP | POLLERR)) &&
	    !agent_read(r))
		r->eof = 1;
	if (revents & (POLLHUP | POLLERR)) {
		drop(r);
		return;
	}
	if (!(revents & POLLIN) || r->mark)
		return;
	n = recv(r->fd, &b, 1, MSG_DONTWAIT);
	if (n == 0)
		r->eof = 1;
	else if (n > 0 || (errno != EAGAIN && errno != EINTR))
		drop(r);
}

/* After poll: the clients' sides, then every reader takes what is new. */
void
logsrv_poll(const struct pollfd *p, int n)
{
	uint64_t now = clock_us();

	if (!ready)
		return;
	for (int k = 0; k < n; k++)
		for (int i = 0; i < INIT_LOG_READERS; i++)
			if (readers[i].fd >= 0 && readers[i].fd == p[k].fd)
				client_side(&readers[i], p[k].revents);
	for (int i = 0; i < INIT_LOG_READERS; i++)
		if (readers[i].fd >= 0)
			pump(&readers[i], now);
}
