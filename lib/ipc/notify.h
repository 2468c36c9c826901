/* SPDX-License-Identifier: MIT */
/* systemd's notify protocol: datagram parser, receiver and sender. */
#ifndef KEEL_NOTIFY_H
#define KEEL_NOTIFY_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "lib/base/err.h"

/*
 * One datagram on $NOTIFY_SOCKET (SOCK_DGRAM, unix) holds newline-separated
 * KEY=VALUE assignments, as systemd reads them (docs/CONTROL.md §3):
 * READY=1, RELOADING=1, STOPPING=1, WATCHDOG=1, WATCHDOG=trigger,
 * STATUS=text, WATCHDOG_USEC=N, ERRNO=N. Every other line (MAINPID=,
 * FDSTORE=, unknown keys, READY=0 ...) is ignored and counted. A datagram
 * over NOTIFY_MAX bytes or with a NUL byte is refused whole.
 */
#define NOTIFY_MAX 4096	      /* bytes of one datagram */
#define NOTIFY_STATUS_MAX 255 /* STATUS= text kept, longer is cut */

enum notify_flag {
	NOTIFY_READY = 1 << 0,
	NOTIFY_RELOADING = 1 << 1,
	NOTIFY_STOPPING = 1 << 2,
	NOTIFY_WATCHDOG = 1 << 3,	  /* pet */
	NOTIFY_WATCHDOG_TRIGGER = 1 << 4, /* app asks for the failure path */
	NOTIFY_STATUS = 1 << 5,		  /* status below is set */
	NOTIFY_WATCHDOG_USEC = 1 << 6,	  /* watchdog_usec below is set */
	NOTIFY_ERRNO = 1 << 7,		  /* errno_val below is set */
};

struct notify_msg {
	unsigned flags;			    /* enum notify_flag */
	char status[NOTIFY_STATUS_MAX + 1]; /* control bytes become '?' */
	uint64_t watchdog_usec;		    /* > 0 */
	int errno_val;			    /* >= 0 */
	unsigned ignored;		    /* lines not understood */
};

/* Parses one datagram of len bytes (not NUL-terminated). 0 or -1. */
int notify_parse(const void *buf, size_t len, struct notify_msg *m,
		 struct kerr *e);

/*
 * Receiver (keel-init): a non-blocking, close-on-exec SOCK_DGRAM socket
 * bound at path (an old socket file there is removed), with SO_PASSCRED
 * so each datagram names its sender. Returns the fd or -1.
 */
int notify_open(const char *path, struct kerr *e);

/*
 * Takes one datagram without blocking into buf (cap >= NOTIFY_MAX + 1)
 * and parses it. Any file descriptors sent along are closed at once
 * (MUST NOT leak into PID 1). Returns 1 with *m (and *pid, the sender's
 * pid, 0 if unknown) filled, 0 when nothing is queued, -1 on a refused
 * datagram (too long, NUL; it is consumed) or a socket error.
 */
int notify_recv(int fd, char *buf, size_t cap, struct notify_msg *m, pid_t *pid,
		struct kerr *e);

/* Client: sends len bytes of msg to path ("@name" = abstract socket, as
 * $NOTIFY_SOCKET may say). 0 or -1. */
int notify_send(const char *path, const void *msg, size_t len, struct kerr *e);

#endif
