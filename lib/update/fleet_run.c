// SPDX-License-Identifier: MIT
/* The update agent's states, its status keys and its reports. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "lib/base/fmt.h"
#include "lib/update/fleet.h"

static const char *const states[FLEET_STATES] = {
    "idle",    "checking",  "downloading", "installed",
    "waiting", "rebooting", "failed",
};

/* next[state][event]: the state an event leads to, or -1. */
static const signed char next[FLEET_STATES][FLEET_EVENTS] = {
    /*		   POLL  NOTHING TAKE  DONE  WAIT  REBOOT FAIL */
    [FLEET_IDLE] = {FLEET_CHECKING, -1, -1, -1, -1, -1, -1},
    [FLEET_CHECKING] = {-1, FLEET_IDLE, FLEET_DOWNLOADING, -1, -1, -1,
			FLEET_FAILED_ST},
    [FLEET_DOWNLOADING] = {-1, -1, -1, FLEET_INSTALLED, -1, -1,
			   FLEET_FAILED_ST},
    [FLEET_INSTALLED] = {-1, -1, -1, -1, FLEET_WAITING, FLEET_REBOOTING,
			 FLEET_FAILED_ST},
    [FLEET_WAITING] = {-1, -1, -1, -1, FLEET_WAITING, FLEET_REBOOTING,
		       FLEET_FAILED_ST},
    [FLEET_REBOOTING] = {-1, -1, -1, -1, -1, -1, FLEET_FAILED_ST},
    [FLEET_FAILED_ST] = {FLEET_CHECKING, -1, -1, -1, -1, -1, -1},
};

void
fleet_run_init(struct fleet_run *r)
{
	memset(r, 0, sizeof(*r));
	r->state = FLEET_IDLE;
}

const char *
fleet_state_name(int s)
{
	return s >= 0 && s < FLEET_STATES ? states[s] : "?";
}

/* Printable ASCII, at most FLEET_TEXT_MAX bytes: a status value. */
static void
clean(char *out, const char *in)
{
	size_t i = 0;

	for (; in && in[i] && i < FLEET_TEXT_MAX; i++)
		out[i] = in[i] >= 0x20 && in[i] < 0x7f ? in[i] : '?';
	out[i] = 0;
}

int
fleet_step(struct fleet_run *r, int ev, const char *why)
{
	int to;

	if (r->state < 0 || r->state >= FLEET_STATES || ev < 0 ||
	    ev >= FLEET_EVENTS)
		return -1;
	to = next[r->state][ev];
	if (to < 0)
		return -1;
	switch (ev) {
	case FLEET_EV_FAIL:
		clean(r->error, why && *why ? why : "unknown");
		if (r->failures < 1000)
			r->failures++;
		break;
	case FLEET_EV_NOTHING:
	case FLEET_EV_DONE:
		r->failures = 0;
		r->error[0] = 0;
		break;
	case FLEET_EV_TAKE:
		r->done = 0;
		r->error[0] = 0;
		break;
	}
	r->state = to;
	return 0;
}

/* Appends a line to buf; -1 once it does not fit. */
__attribute__((format(__printf__, 4, 5))) static int
put(char *buf, size_t cap, size_t *at, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (*at >= cap)
		return -1;
	va_start(ap, fmt);
	n = fmt_vsn(buf + *at, cap - *at, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= cap - *at)
		return -1;
	*at += (size_t)n;
	return 0;
}

int
fleet_status(const struct fleet_run *r, char *buf, size_t cap)
{
	int s = r->state, dl = s == FLEET_DOWNLOADING;
	size_t at = 0;
	int rc = 0;

	rc |= put(buf, cap, &at, "state=%s\n", fleet_state_name(s));
	if (r->version && s != FLEET_IDLE && s != FLEET_CHECKING)
		rc |= put(buf, cap, &at, "version=%llu\n",
			  (unsigned long long)r->version);
	else
		rc |= put(buf, cap, &at, "version=\n");
	if (dl)
		rc |= put(buf, cap, &at, "bytes=%llu/%llu\n",
			  (unsigned long long)r->done,
			  (unsigned long long)r->total);
	else
		rc |= put(buf, cap, &at, "bytes=\n");
	rc |= put(buf, cap, &at, "failures=%u\n", r->failures);
	rc |= put(buf, cap, &at, "error=%s\n", r->error);
	return rc ? -1 : (int)at;
}

/* A JSON string: quotes, backslash and control bytes escaped. */
static int
jstr(char *buf, size_t cap, size_t *at, const char *s)
{
	if (put(buf, cap, at, "\"") < 0)
		return -1;
	for (; s && *s; s++) {
		unsigned char c = (unsigned char)*s;
		int rc;

		if (c == '"' || c == '\\')
			rc = put(buf, cap, at, "\\%c", c);
		else if (c < 0x20 || c >= 0x7f)
			rc = put(buf, cap, at, "\\u%04x", c);
		else
			rc = put(buf, cap, at, "%c", c);
		if (rc < 0)
			return -1;
	}
	return put(buf, cap, at, "\"");
}

int
fleet_report_json(const struct fleet_report *r, char *buf, size_t cap)
{
	size_t at = 0;
	int rc = 0;

	rc |= put(buf, cap, &at, "{\"device\":");
	rc |= jstr(buf, cap, &at, r->id);
	rc |= put(buf, cap, &at, ",\"board\":");
	rc |= jstr(buf, cap, &at, r->board);
	rc |= put(buf, cap, &at, ",\"running_version\":%llu,\"result\":",
		  (unsigned long long)r->running_version);
	rc |= jstr(buf, cap, &at, r->result);
	if (r->version)
		rc |= put(buf, cap, &at, ",\"version\":%llu",
			  (unsigned long long)r->version);
	if (r->reason && *r->reason) {
		rc |= put(buf, cap, &at, ",\"reason\":");
		rc |= jstr(buf, cap, &at, r->reason);
	}
	rc |= put(buf, cap, &at, "}\n");
	return rc ? -1 : (int)at;
}
