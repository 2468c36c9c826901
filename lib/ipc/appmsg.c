// SPDX-License-Identifier: MIT
/* The app's launch record: filled by `keel app`, checked by keel-init. */
#include <string.h>

#include "lib/ipc/appmsg.h"

static void
copy_cut(char *dst, size_t cap, const char *src)
{
	size_t n = src ? strlen(src) : 0;

	if (n >= cap)
		n = cap - 1;
	memcpy(dst, src ? src : "", n);
	dst[n] = 0;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)dst[i] < 0x20 || dst[i] == 0x7f)
			dst[i] = '?';
}

void
appmsg_fill(struct appmsg *m, unsigned status, const char *check,
	    const char *text)
{
	m->magic = APPMSG_MAGIC;
	m->version = APPMSG_VERSION;
	m->status = status;
	copy_cut(m->check, sizeof(m->check), check);
	copy_cut(m->text, sizeof(m->text), text);
}

/* NUL within cap, and nothing before it below space or DEL. */
static int
text_ok(const char *s, size_t cap)
{
	size_t i;

	for (i = 0; i < cap && s[i]; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return 0;
	return i < cap;
}

static int
status_ok(uint32_t s)
{
	return s == APPMSG_OK || s == APPMSG_CONFIG || s == APPMSG_IO ||
	       s == APPMSG_SETUP || s == APPMSG_CANNOT || s == APPMSG_NOTFOUND;
}

int
appmsg_check(const struct appmsg *m, size_t n, int start, struct kerr *e)
{
	const uint32_t ms[] = {m->healthy_after_ms, m->stop_grace_ms,
			       m->watchdog_ms, m->restart_delay_ms,
			       m->restart_max_delay_ms};

	if (n != sizeof(*m))
		return kerr_set(e, "record", "%zu bytes, expected %zu", n,
				sizeof(*m));
	if (m->magic != APPMSG_MAGIC || m->version != APPMSG_VERSION)
		return kerr_set(e, "record", "not a version %u record",
				APPMSG_VERSION);
	if (!status_ok(m->status))
		return kerr_set(e, "record", "status %u", m->status);
	if (!text_ok(m->check, sizeof(m->check)) ||
	    !text_ok(m->text, sizeof(m->text)))
		return kerr_set(e, "record", "a text field is not one line");
	if (m->status != APPMSG_OK)
		return 0; /* a refusal carries only its reason */
	if (m->flags & ~APPMSG_FLAGS)
		return kerr_set(e, "record", "flags %#x", m->flags);
	if (m->restart > APPMSG_RESTART_MAX)
		return kerr_set(e, "record", "restart %u", m->restart);
	for (size_t i = 0; i < sizeof(ms) / sizeof(ms[0]); i++)
		if (ms[i] > APPMSG_MS_MAX)
			return kerr_set(e, "record", "%u ms over %u", ms[i],
					APPMSG_MS_MAX);
	if (m->restart_max_delay_ms < m->restart_delay_ms)
		return kerr_set(e, "record", "restart delays out of order");
	if (start ? m->pid <= 1 : m->pid != 0)
		return kerr_set(e, "record", "pid %d", (int)m->pid);
	return 0;
}

int
appstart_set(char *field, const char *s)
{
	size_t n = s ? strlen(s) : 0;

	memset(field, 0, APPSTART_TEXT);
	if (n >= APPSTART_TEXT)
		return -1;
	memcpy(field, s ? s : "", n);
	return 0;
}

/* A field: one printable line, then only NULs to its end. */
static int
field_ok(const char *f)
{
	size_t n = strnlen(f, APPSTART_TEXT);

	if (!text_ok(f, APPSTART_TEXT))
		return 0;
	for (size_t i = n; i < APPSTART_TEXT; i++)
		if (f[i])
			return 0;
	return 1;
}

static const char *const start_names[APPSTART_PATHS] = {
    "root", "etc upper", "etc work", "var", "run", "bin", "resolv", "cgroup"};

int
appstart_check(const struct appstart *s, size_t n, struct kerr *e)
{
	if (n != sizeof(*s))
		return kerr_set(e, "start", "%zu bytes, expected %zu", n,
				sizeof(*s));
	if (s->magic != APPSTART_MAGIC || s->version != APPSTART_VERSION ||
	    s->reserved)
		return kerr_set(e, "start", "not a version %u start",
				APPSTART_VERSION);
	for (int i = 0; i < APPSTART_PATHS; i++) {
		const char *p = s->path[i];

		if (!field_ok(p) || (p[0] && p[0] != '/'))
			return kerr_set(e, "start", "%s: not an absolute path",
					start_names[i]);
	}
	if (!s->path[APPSTART_ROOT][0])
		return kerr_set(e, "start", "no root");
	if (!s->path[APPSTART_ETC_UPPER][0] != !s->path[APPSTART_ETC_WORK][0])
		return kerr_set(e, "start", "one of /etc's layers alone");
	if (s->nenv > APPSTART_ENV)
		return kerr_set(e, "start", "%u environment entries", s->nenv);
	for (uint32_t i = 0; i < APPSTART_ENV; i++) {
		const char *v = s->env[i];
		const char *eq = memchr(v, '=', APPSTART_TEXT);

		if (!field_ok(v) || (i < s->nenv) != (v[0] != 0) ||
		    (v[0] && (!eq || eq == v)))
			return kerr_set(e, "start", "environment entry %u", i);
	}
	return 0;
}
