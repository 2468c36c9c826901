/* SPDX-License-Identifier: MIT */
/* The control socket protocol: requests, reply lines, server helpers. */
#ifndef KEEL_CONTROL_H
#define KEEL_CONTROL_H

#include <stddef.h>
#include <stdint.h>

#include "lib/base/err.h"
#include "lib/update/state.h"

/*
 * /run/keel/control is a SOCK_STREAM unix socket; docs/CONTROL.md has the
 * protocol. One request per connection: one line of at most
 * CONTROL_REQ_MAX bytes with its newline,
 *   status | reboot | poweroff | factory-reset yes
 *   update         bundle bytes follow until the client shuts down writing
 *   update SIZE    exactly SIZE bundle bytes follow
 *   update fd      the bundle is a file descriptor sent with SCM_RIGHTS
 *                  along with this line
 *   update force [SIZE|fd]  the same, past the rule that refuses an
 *                  image that failed on this device before
 *   logs N | logs follow N | logs boot K N
 *                  the last N lines of the log (0: all kept), then every
 *                  new line until the client closes, or of K boots ago
 * The reply: "key=value" lines (progress=DONE/TOTAL while updating), then
 * one final "ok" or "error: REASON" line, then the server closes.
 */
#define CONTROL_PATH "/run/keel/control"
/* Beside the control socket, when the image has one: the image's
 * /etc/keel/update-ca.pem, the default anchors of `keel update URL`. */
#define CONTROL_CA_NAME "update-ca.pem"
#define CONTROL_REQ_MAX 64   /* request line, newline included */
#define CONTROL_LINE_MAX 512 /* reply line, newline included */
#define CONTROL_SIZE_MAX ((uint64_t)1 << 52) /* update SIZE */
#define CONTROL_LOG_LINES_MAX 1000000	     /* logs N */
#define CONTROL_LOG_BOOTS_MAX 9		     /* logs boot K */

enum control_cmd {
	CONTROL_STATUS = 1,
	CONTROL_REBOOT,
	CONTROL_POWEROFF,
	CONTROL_FACTORY_RESET,
	CONTROL_UPDATE,
	CONTROL_LOGS,
};

enum control_src {
	CONTROL_SRC_NONE = 0, /* no bundle */
	CONTROL_SRC_STREAM,   /* bundle follows until EOF */
	CONTROL_SRC_SIZED,    /* size bundle bytes follow */
	CONTROL_SRC_FD,	      /* bundle is the passed fd */
};

struct control_req {
	int cmd;       /* enum control_cmd */
	int src;       /* enum control_src */
	uint64_t size; /* CONTROL_SRC_SIZED: 1..CONTROL_SIZE_MAX */
	int force;     /* update: install even an image that failed before */
	/* logs */
	uint64_t lines; /* 0..CONTROL_LOG_LINES_MAX; 0 = all */
	int follow;	/* then every new line */
	unsigned boot;	/* 0 = this boot, K = K boots ago (no follow) */
};

/*
 * Parses the first len bytes received on a connection (the server may
 * MSG_PEEK them, so that the bundle bytes behind stay in the socket).
 * Returns the length of the request line (newline included) when it is
 * complete and valid; 0 when no newline has arrived yet and more may
 * (len < CONTROL_REQ_MAX, every byte so far allowed); -1 when refused:
 * too long, a byte outside the grammar, an unknown request, or bytes
 * after a request that carries no data.
 */
int control_parse_request(const char *buf, size_t len, struct control_req *r,
			  struct kerr *e);

/* The request line for r into buf (cap >= CONTROL_REQ_MAX); its length. */
size_t control_fmt_request(const struct control_req *r, char *buf, size_t cap);

/* A reply line, as the client sees it. */
enum control_kind {
	CONTROL_R_KV = 1,   /* key=value */
	CONTROL_R_PROGRESS, /* progress=DONE/TOTAL (total 0: unknown) */
	CONTROL_R_OK,
	CONTROL_R_ERROR, /* value = the reason */
};

struct control_reply {
	int kind; /* enum control_kind */
	char key[64];
	char value[CONTROL_LINE_MAX];
	uint64_t done, total;
};

/*
 * Parses one reply line of len bytes without its newline. Keys are
 * [a-z0-9_.-]{1,63}; values printable ASCII or UTF-8 bytes >= 0x80, no
 * control bytes. 0 or -1.
 */
int control_parse_reply(const char *line, size_t len, struct control_reply *r,
			struct kerr *e);

/*
 * Server side: appends "key=VALUE\n" to buf at *off (VALUE printf-style;
 * control bytes in it become '?', it is cut to fit one line). -1 (and
 * *off unchanged) when buf has no room.
 */
int control_put(char *buf, size_t cap, size_t *off, const char *key,
		const char *fmt, ...) __attribute__((format(__printf__, 5, 6)));
/* Appends the final line: "ok\n" (reason NULL) or "error: REASON\n". */
int control_end(char *buf, size_t cap, size_t *off, const char *reason);
/* Appends the state record as status lines (docs/CONTROL.md §2.1). */
int control_put_state(char *buf, size_t cap, size_t *off,
		      const struct state *st);

/*
 * Server socket (keel-init): non-blocking, close-on-exec SOCK_STREAM
 * bound at path (an old socket file is removed), mode 0660, listening.
 * Returns the fd or -1.
 */
int control_listen(const char *path, struct kerr *e);

/*
 * The request line received so far on one connection. The caller keeps
 * one per connection (control_conn_init after accept).
 */
struct control_conn {
	char buf[CONTROL_REQ_MAX];
	size_t len;
};

void control_conn_init(struct control_conn *c);

/*
 * Reads the request on a connected, non-blocking socket without taking
 * more than its line, so the bundle bytes stay for the installer: peeks,
 * takes the bytes that belong to the line (all of them while no newline
 * has come, so a stalled client leaves the socket unreadable and costs
 * no wake-ups), and parses. Returns 1 (request in *r; for "update fd"
 * the passed descriptor in *fd, else *fd = -1), 0 (incomplete: call
 * again when readable; the caller keeps a deadline), -1 (refused, or
 * the peer closed early: reply "error: ..." and close). Descriptors
 * passed with anything but an "update fd" line sent in one piece are
 * closed.
 */
int control_recv_request(int sock, struct control_conn *c,
			 struct control_req *r, int *fd, struct kerr *e);

/* Client: connects to path (blocking). Returns the fd or -1. */
int control_connect(const char *path, struct kerr *e);

/* Client: sends the request line, with fd as SCM_RIGHTS if fd >= 0. */
int control_send_request(int sock, const struct control_req *r, int fd,
			 struct kerr *e);

#endif
