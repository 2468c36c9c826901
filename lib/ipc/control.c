// SPDX-License-Identifier: MIT
/* The control socket protocol: request parser, reply lines, socket helpers. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "lib/base/fmt.h"
#include "lib/base/text.h"
#include "lib/ipc/control.h"

static const struct {
	const char *line; /* without the newline */
	int cmd, src;
} plain[] = {
    {"status", CONTROL_STATUS, CONTROL_SRC_NONE},
    {"reboot", CONTROL_REBOOT, CONTROL_SRC_NONE},
    {"poweroff", CONTROL_POWEROFF, CONTROL_SRC_NONE},
    {"factory-reset yes", CONTROL_FACTORY_RESET, CONTROL_SRC_NONE},
    {"update", CONTROL_UPDATE, CONTROL_SRC_STREAM},
    {"update fd", CONTROL_UPDATE, CONTROL_SRC_FD},
};

/* Bytes a request line may hold: lowercase, digits, '-', ' '. */
static int
req_byte(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
	       c == ' ';
}

/* The next space-separated word of [*p, end); advances *p past it. */
static size_t
word(const char **p, const char *end, const char **w)
{
	const char *q = *p;

	while (q < end && *q != ' ')
		q++;
	*w = *p;
	*p = q < end ? q + 1 : q;
	return (size_t)(q - *w);
}

/* "[follow | boot K] N" after "logs ". */
static int
parse_logs(const char *p, size_t n, struct control_req *r, struct kerr *e)
{
	const char *end = p + n, *w;
	size_t len = word(&p, end, &w);
	uint64_t k;

	if (len == 6 && !memcmp(w, "follow", 6)) {
		r->follow = 1;
		len = word(&p, end, &w);
	} else if (len == 4 && !memcmp(w, "boot", 4)) {
		len = word(&p, end, &w);
		if (text_u64(w, len, &k) || !k || k > CONTROL_LOG_BOOTS_MAX)
			return kerr_set(e, "control request", "bad boot");
		r->boot = (unsigned)k;
		len = word(&p, end, &w);
	}
	if (w + len != end || text_u64(w, len, &r->lines) ||
	    r->lines > CONTROL_LOG_LINES_MAX)
		return kerr_set(e, "control request", "bad line count");
	r->cmd = CONTROL_LOGS;
	return 0;
}

static int
parse_line(const char *p, size_t n, struct control_req *r, struct kerr *e)
{
	char tmp[CONTROL_REQ_MAX];

	/* "update force ...": the same request, past the failed-image rule */
	if (n >= 12 && !memcmp(p, "update force", 12) &&
	    (n == 12 || p[12] == ' ') && n - 6 < sizeof(tmp)) {
		r->force = 1;
		memcpy(tmp, "update", 6);
		memcpy(tmp + 6, p + 12, n - 12);
		p = tmp, n -= 6;
	}
	for (size_t i = 0; i < sizeof(plain) / sizeof(plain[0]); i++)
		if (strlen(plain[i].line) == n &&
		    !memcmp(p, plain[i].line, n)) {
			r->cmd = plain[i].cmd;
			r->src = plain[i].src;
			return 0;
		}
	if (n > 7 && !memcmp(p, "update ", 7)) {
		if (text_u64(p + 7, n - 7, &r->size) || !r->size ||
		    r->size > CONTROL_SIZE_MAX)
			return kerr_set(e, "control request", "bad size");
		r->cmd = CONTROL_UPDATE;
		r->src = CONTROL_SRC_SIZED;
		return 0;
	}
	if (n > 5 && !memcmp(p, "logs ", 5))
		return parse_logs(p + 5, n - 5, r, e);
	if (n >= 13 && !memcmp(p, "factory-reset", 13))
		return kerr_set(e, "control request",
				"factory-reset needs the argument 'yes'");
	return kerr_set(e, "control request", "unknown request");
}

/* Appends s (n bytes) with control bytes as '?'; no room: -1. */
static int
put_raw(char *buf, size_t cap, size_t *off, const char *s, size_t n)
{
	if (*off > cap || cap - *off < n + 1)
		return -1;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		buf[*off + i] = c < 0x20 || c == 0x7f ? '?' : (char)c;
	}
	*off += n;
	return 0;
}

static int
put_slot(char *buf, size_t cap, size_t *off, int i, const struct state_slot *s)
{
	const char *n = state_slot_name(i);
	int r = 0;

	r |= control_put(buf, cap, off, "slot", "%s", n);
	r |= control_put(buf, cap, off, "slot.bootable", "%u", s->bootable);
	r |= control_put(buf, cap, off, "slot.committed", "%u", s->committed);
	r |= control_put(buf, cap, off, "slot.trial", "%u", s->trial);
	r |= control_put(buf, cap, off, "slot.tries", "%u", s->tries);
	if (s->known) {
		char hex[2 * STATE_DIGEST + 1];

		r |= control_put(buf, cap, off, "slot.version", "%llu",
				 (unsigned long long)s->version);
		r |= control_put(buf, cap, off, "slot.epoch", "%llu",
				 (unsigned long long)s->epoch);
		text_hex(s->digest, STATE_DIGEST, hex);
		r |= control_put(buf, cap, off, "slot.digest", "%s", hex);
	}
	if (s->fail) {
		r |= control_put(buf, cap, off, "slot.fail", "%s",
				 state_fail_name(s->fail));
		r |= control_put(buf, cap, off, "slot.fail_text", "%s",
				 s->fail_text);
		r |= control_put(buf, cap, off, "slot.fail_boot", "%llu",
				 (unsigned long long)s->fail_boot);
	}
	if (s->app_end) {
		char app[CONTROL_LINE_MAX];

		state_app_text(s, app, sizeof(app));
		r |= control_put(buf, cap, off, "slot.app", "%s", app);
		r |= control_put(buf, cap, off, "slot.app_boot", "%llu",
				 (unsigned long long)s->app_boot);
	}
	return r ? -1 : 0;
}

/*
 * "last_failure=slot a v3 exited 1 before healthy (tries)": the slot
 * whose failure or app status was recorded last (a tie: the app status,
 * then slot a), its app status if any, its mark's reason if any.
 */
static int
put_last_failure(char *buf, size_t cap, size_t *off, const struct state *st)
{
	char app[CONTROL_LINE_MAX];
	const struct state_slot *s;
	uint64_t best = 0;
	int pick = -1;

	for (int i = 0; i < STATE_NSLOTS; i++) {
		s = &st->slot[i];
		if (!s->fail && !s->app_end)
			continue;
		uint64_t at = s->app_end && s->app_boot >= s->fail_boot
				  ? s->app_boot
				  : s->fail_boot;
		if (pick < 0 || at > best)
			pick = i, best = at;
	}
	if (pick < 0)
		return 0;
	s = &st->slot[pick];
	if (!s->app_end)
		return control_put(buf, cap, off, "last_failure",
				   "slot %s: %s: %s", state_slot_name(pick),
				   state_fail_name(s->fail), s->fail_text);
	state_app_text(s, app, sizeof(app));
	if (!s->fail)
		return control_put(buf, cap, off, "last_failure", "slot %s %s",
				   state_slot_name(pick), app);
	return control_put(buf, cap, off, "last_failure", "slot %s %s (%s)",
			   state_slot_name(pick), app,
			   state_fail_name(s->fail));
}

int
control_parse_request(const char *buf, size_t len, struct control_req *r,
		      struct kerr *e)
{
	const char *nl;
	size_t n;

	memset(r, 0, sizeof(*r));
	nl = memchr(buf, '\n', len < CONTROL_REQ_MAX ? len : CONTROL_REQ_MAX);
	n = nl ? (size_t)(nl - buf)
	       : (len < CONTROL_REQ_MAX ? len : CONTROL_REQ_MAX);
	for (size_t i = 0; i < n; i++)
		if (!req_byte((unsigned char)buf[i]))
			return kerr_set(e, "control request",
					"byte 0x%02x at %zu",
					(unsigned char)buf[i], i);
	if (!nl && len >= CONTROL_REQ_MAX)
		return kerr_set(e, "control request", "longer than %d bytes",
				CONTROL_REQ_MAX);
	if (!nl)
		return 0;
	if (parse_line(buf, n, r, e))
		return -1;
	if (r->src != CONTROL_SRC_STREAM && r->src != CONTROL_SRC_SIZED &&
	    len > n + 1)
		return kerr_set(e, "control request",
				"data after the request (one per connection)");
	return (int)(n + 1);
}

size_t
control_fmt_request(const struct control_req *r, char *buf, size_t cap)
{
	int n = -1;

	const char *f =
	    r->cmd == CONTROL_UPDATE && r->force ? "update force" : "update";

	for (size_t i = 0; i < sizeof(plain) / sizeof(plain[0]); i++)
		if (plain[i].cmd == r->cmd && plain[i].src == r->src)
			n = fmt_sn(buf, cap, "%s\n", plain[i].line);
	if (r->cmd == CONTROL_UPDATE && r->src == CONTROL_SRC_STREAM)
		n = fmt_sn(buf, cap, "%s\n", f);
	if (r->cmd == CONTROL_UPDATE && r->src == CONTROL_SRC_FD)
		n = fmt_sn(buf, cap, "%s fd\n", f);
	if (r->cmd == CONTROL_UPDATE && r->src == CONTROL_SRC_SIZED)
		n = fmt_sn(buf, cap, "%s %llu\n", f,
			   (unsigned long long)r->size);
	if (r->cmd == CONTROL_LOGS && r->boot)
		n = fmt_sn(buf, cap, "logs boot %u %llu\n", r->boot,
			   (unsigned long long)r->lines);
	else if (r->cmd == CONTROL_LOGS)
		n = fmt_sn(buf, cap, "logs %s%llu\n",
			   r->follow ? "follow " : "",
			   (unsigned long long)r->lines);
	return n < 0 || (size_t)n >= cap ? 0 : (size_t)n;
}

int
control_parse_reply(const char *line, size_t len, struct control_reply *r,
		    struct kerr *e)
{
	const char *eq;
	size_t k, v;

	memset(r, 0, sizeof(*r));
	if (len >= CONTROL_LINE_MAX)
		return kerr_set(e, "control reply", "line too long");
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)line[i];
		if (c < 0x20 || c == 0x7f)
			return kerr_set(e, "control reply", "control byte");
	}
	if (len == 2 && !memcmp(line, "ok", 2)) {
		r->kind = CONTROL_R_OK;
		return 0;
	}
	if (len >= 7 && !memcmp(line, "error: ", 7)) {
		r->kind = CONTROL_R_ERROR;
		memcpy(r->value, line + 7, len - 7);
		return 0;
	}
	eq = memchr(line, '=', len);
	if (!eq)
		return kerr_set(e, "control reply", "no '='");
	k = (size_t)(eq - line);
	v = len - k - 1;
	if (!k || k >= sizeof(r->key))
		return kerr_set(e, "control reply", "bad key length");
	for (size_t i = 0; i < k; i++)
		if (!strchr("abcdefghijklmnopqrstuvwxyz0123456789_.-", line[i]))
			return kerr_set(e, "control reply", "bad key");
	memcpy(r->key, line, k);
	memcpy(r->value, eq + 1, v);
	r->kind = CONTROL_R_KV;
	if (strcmp(r->key, "progress"))
		return 0;
	const char *sl = memchr(r->value, '/', v);
	if (!sl || text_u64(r->value, (size_t)(sl - r->value), &r->done) ||
	    text_u64(sl + 1, v - (size_t)(sl - r->value) - 1, &r->total) ||
	    (r->total && r->done > r->total))
		return kerr_set(e, "control reply", "bad progress");
	r->kind = CONTROL_R_PROGRESS;
	return 0;
}

int
control_put(char *buf, size_t cap, size_t *off, const char *key,
	    const char *fmt, ...)
{
	char val[CONTROL_LINE_MAX];
	size_t o = *off, k = strlen(key), room;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = fmt_vsn(val, sizeof(val), fmt, ap);
	va_end(ap);
	if (n < 0 || k + 3 > CONTROL_LINE_MAX)
		return -1;
	room = CONTROL_LINE_MAX - k - 2; /* '=' and '\n' */
	if ((size_t)n >= room)
		n = (int)(room - 1);
	if (put_raw(buf, cap, &o, key, k) || put_raw(buf, cap, &o, "=", 1) ||
	    put_raw(buf, cap, &o, val, (size_t)n) || o + 1 >= cap)
		return -1;
	buf[o++] = '\n';
	buf[o] = 0;
	*off = o;
	return 0;
}

int
control_end(char *buf, size_t cap, size_t *off, const char *reason)
{
	size_t o = *off;

	if (!reason) {
		if (put_raw(buf, cap, &o, "ok", 2))
			return -1;
	} else {
		size_t n = strlen(reason);
		if (n > CONTROL_LINE_MAX - 9)
			n = CONTROL_LINE_MAX - 9;
		if (put_raw(buf, cap, &o, "error: ", 7) ||
		    put_raw(buf, cap, &o, reason, n))
			return -1;
	}
	if (o + 1 >= cap)
		return -1;
	buf[o++] = '\n';
	buf[o] = 0;
	*off = o;
	return 0;
}

int
control_put_state(char *buf, size_t cap, size_t *off, const struct state *st)
{
	size_t o = *off;
	int r = 0;

	r |= control_put(buf, cap, &o, "committed", "%s",
			 state_slot_name(st->committed_slot));
	r |= control_put(buf, cap, &o, "committed_version", "%llu",
			 (unsigned long long)st->committed_version);
	r |= control_put(buf, cap, &o, "floor", "%llu",
			 (unsigned long long)st->floor);
	r |= control_put(buf, cap, &o, "boot_count", "%llu",
			 (unsigned long long)st->boot_count);
	r |=
	    control_put(buf, cap, &o, "factory_reset", "%u", st->factory_reset);
	for (unsigned i = 0; i < st->nfailed && i < STATE_FAILED_MAX; i++)
		r |= control_put(buf, cap, &o, "failed_version", "%llu",
				 (unsigned long long)st->failed[i].version);
	r |= put_last_failure(buf, cap, &o, st);
	for (int i = 0; i < STATE_NSLOTS; i++)
		r |= put_slot(buf, cap, &o, i, &st->slot[i]);
	if (r)
		return -1;
	*off = o;
	return 0;
}
