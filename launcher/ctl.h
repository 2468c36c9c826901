/* SPDX-License-Identifier: MIT */
/* The control socket's clients (cmd_ctl.c) and keel update (ctl_update.c). */
#ifndef KEEL_CTL_H
#define KEEL_CTL_H

#include <stddef.h>

#define CTL_CA_MAX 4 /* update URL: --ca files */

struct ctl {
	const char *action; /* command name, for messages */
	const char *path;   /* control socket */
	int tty;	    /* stderr is a terminal: progress in place */
	int logs;	    /* log= lines: print the value alone */
	int last_pct;
	/* update URL */
	const char *ca[CTL_CA_MAX];
	int nca, allow_http, timeout_s;
	int full; /* no delta: the whole bundle streamed */
};

struct control_reply;
/* One reply line: printed, or the final one (1, *rc set). 0 to go on. */
int ctl_reply_line(struct ctl *c, const struct control_reply *r, int *rc);

/*
 * Reads reply bytes available on sock into buf (*len held); handles the
 * complete lines. 1 once the final line was seen (*rc set from it), 0 to
 * go on, -1 on errors (printed).
 */
int ctl_take_reply(struct ctl *c, int sock, char *buf, size_t *len, int *rc);
/* The rest of the replies, up to the final line: its exit code. */
int ctl_replies_rest(struct ctl *c, int sock, char *buf, size_t *len);
/* keel update BUNDLE|-|URL over the connected sock: the exit code. */
int ctl_update(struct ctl *c, int sock, const char *bundle, int pass_fd,
	       int force);

#endif
