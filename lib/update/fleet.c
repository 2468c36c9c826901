// SPDX-License-Identifier: MIT
/* The update agent's configuration and its choice of bundle. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "lib/base/fmt.h"
#include "lib/base/kvfile.h"
#include "lib/base/text.h"
#include "lib/update/fleet.h"

/* struct fleet_conf.seen */
enum {
	FC_URL = 1u << 0,
	FC_REPORT = 1u << 1,
	FC_HTTP = 1u << 2,
	FC_INTERVAL = 1u << 3,
	FC_RETRY = 1u << 4,
	FC_JITTER = 1u << 5,
	FC_REBOOT = 1u << 6,
};

void
fleet_conf_defaults(struct fleet_conf *c)
{
	memset(c, 0, sizeof(*c));
	c->interval = FLEET_INTERVAL_DEF;
	c->retry = FLEET_RETRY_DEF;
	c->jitter = FLEET_JITTER_DEF;
	c->reboot = FLEET_REBOOT_NOW;
}

/* An absolute http(s) URL, kept as written. */
static int
conf_url(const char *v, size_t n, char out[HTTP_URL_MAX + 1])
{
	struct http_url u;

	if (!n || n > HTTP_URL_MAX || http_url_parse(v, n, &u, NULL) < 0)
		return -1;
	memcpy(out, v, n);
	out[n] = 0;
	return 0;
}

static int
conf_num(const char *v, size_t n, uint64_t lo, uint64_t hi, uint32_t *out)
{
	uint64_t x = 0;

	if (text_u64(v, n, &x) < 0 || x < lo || x > hi)
		return -1;
	*out = (uint32_t)x;
	return 0;
}

/* "HH:MM": seconds of the day. */
static int
hhmm(const char *v, uint32_t *out)
{
	unsigned h, m;

	if (v[0] < '0' || v[0] > '2' || v[1] < '0' || v[1] > '9' ||
	    v[2] != ':' || v[3] < '0' || v[3] > '5' || v[4] < '0' || v[4] > '9')
		return -1;
	h = (unsigned)(v[0] - '0') * 10 + (unsigned)(v[1] - '0');
	m = (unsigned)(v[3] - '0') * 10 + (unsigned)(v[4] - '0');
	if (h > 23)
		return -1;
	*out = h * 3600 + m * 60;
	return 0;
}

/* now | app | window HH:MM-HH:MM (UTC; the end may be past midnight). */
static int
conf_reboot(const char *v, size_t n, struct fleet_conf *c)
{
	if (n == 3 && !memcmp(v, "now", 3)) {
		c->reboot = FLEET_REBOOT_NOW;
		return 0;
	}
	if (n == 3 && !memcmp(v, "app", 3)) {
		c->reboot = FLEET_REBOOT_APP;
		return 0;
	}
	if (n != 18 || memcmp(v, "window ", 7) || v[12] != '-' ||
	    hhmm(v + 7, &c->win_start) < 0 || hhmm(v + 13, &c->win_end) < 0 ||
	    c->win_start == c->win_end)
		return -1;
	c->reboot = FLEET_REBOOT_WINDOW;
	return 0;
}

static int
conf_key(struct fleet_conf *c, const char *k, size_t kn, const char *v,
	 size_t n)
{
	static const struct {
		const char *name;
		unsigned bit;
	} keys[] = {
	    {"url", FC_URL},	     {"report", FC_REPORT},
	    {"allow_http", FC_HTTP}, {"interval", FC_INTERVAL},
	    {"retry", FC_RETRY},     {"jitter", FC_JITTER},
	    {"reboot", FC_REBOOT},
	};
	unsigned bit = 0;

	for (size_t i = 0; i < sizeof(keys) / sizeof(*keys); i++)
		if (strlen(keys[i].name) == kn && !memcmp(k, keys[i].name, kn))
			bit = keys[i].bit;
	if (!bit || (c->seen & bit))
		return -2;
	c->seen |= bit;
	switch (bit) {
	case FC_URL:
		return conf_url(v, n, c->url);
	case FC_REPORT:
		return conf_url(v, n, c->report);
	case FC_HTTP:
		if (n != 1 || (v[0] != '0' && v[0] != '1'))
			return -1;
		c->allow_http = v[0] == '1';
		return 0;
	case FC_INTERVAL:
		return conf_num(v, n, FLEET_INTERVAL_MIN, FLEET_INTERVAL_MAX,
				&c->interval);
	case FC_RETRY:
		return conf_num(v, n, 1, FLEET_INTERVAL_MAX, &c->retry);
	case FC_JITTER:
		return conf_num(v, n, 0, FLEET_JITTER_MAX, &c->jitter);
	}
	return conf_reboot(v, n, c);
}

/* Plain http only where allowed: checked once every key is known. */
static int
conf_schemes(const struct fleet_conf *c, struct kerr *e)
{
	const char *u[2] = {c->url, c->report};

	for (int i = 0; i < 2; i++)
		if (!c->allow_http && !strncmp(u[i], "http:", 5))
			return kerr_set(e, "update.conf",
					"%s is plain http and allow_http is "
					"not 1",
					i ? "report" : "url");
	return 0;
}

/* One key=value line of update.conf, for kv_parse. */
static int
conf_set(void *ctx, const char *k, size_t kn, const char *v, size_t n,
	 struct kerr *e)
{
	int rc = conf_key(ctx, k, kn, v, n);

	if (rc == -2)
		return kerr_set(e, "update.conf",
				"unknown key, or given twice");
	if (rc < 0)
		return kerr_set(e, "update.conf", "bad value");
	return 0;
}

int
fleet_conf_parse(const char *buf, size_t len, struct fleet_conf *c,
		 struct kerr *e)
{
	fleet_conf_defaults(c);
	if (len && len <= FLEET_CONF_MAX && buf[len - 1] != '\n')
		return kerr_set(e, "update.conf", "no newline at the end");
	if (kv_parse(buf, len, FLEET_CONF_MAX, FLEET_LINE_MAX, "update.conf",
		     conf_set, c, e) < 0)
		return -1;
	return conf_schemes(c, e);
}

static const char *const verdicts[] = {
    "take",   "no-entry", "not-newer", "pending",
    "failed", "epoch",	  "rollout",   "no-target",
};

const char *
fleet_verdict_name(int v)
{
	if (v < 0 || (size_t)v >= sizeof(verdicts) / sizeof(*verdicts))
		return "?";
	return verdicts[v];
}

__attribute__((format(__printf__, 4, 5))) static int
verdict(int v, char *why, size_t n, const char *fmt, ...)
{
	va_list ap;

	if (why && n) {
		va_start(ap, fmt);
		fmt_vsn(why, n, fmt, ap);
		va_end(ap);
	}
	return v;
}

int
fleet_decide(const struct manifest *m, const struct fleet_device *d,
	     const struct manifest_entry **out, char *why, size_t n)
{
	const struct manifest_entry *x = manifest_find(m, d->board);
	unsigned long long v;
	unsigned bucket;

	*out = x;
	if (!x)
		return verdict(FLEET_NO_ENTRY, why, n, "no bundle for board %s",
			       d->board);
	v = x->version;
	if (x->version <= d->committed_version)
		return verdict(FLEET_NOT_NEWER, why, n,
			       "version %llu is not above the committed %llu",
			       v, (unsigned long long)d->committed_version);
	if (d->pending_version && x->version == d->pending_version)
		return verdict(FLEET_PENDING, why, n,
			       "version %llu is installed, waiting for the "
			       "reboot",
			       v);
	for (unsigned i = 0; i < d->nfailed && i < FLEET_FAILED_MAX; i++)
		if (d->failed[i] == x->version)
			return verdict(FLEET_FAILED, why, n,
				       "version %llu failed on this device "
				       "before: not fetched again",
				       v);
	if (x->epoch < d->floor)
		return verdict(FLEET_EPOCH, why, n,
			       "version %llu: epoch %llu is below the floor "
			       "%llu",
			       v, (unsigned long long)x->epoch,
			       (unsigned long long)d->floor);
	bucket = manifest_bucket(d->id, x->version);
	if (bucket >= x->rollout)
		return verdict(FLEET_ROLLOUT, why, n,
			       "version %llu: not in the rollout yet (bucket "
			       "%u, rollout %u%%)",
			       v, bucket, x->rollout);
	if (!d->can_install)
		return verdict(FLEET_NO_TARGET, why, n,
			       "version %llu waits: the booted slot is not "
			       "committed yet",
			       v);
	return verdict(FLEET_TAKE, why, n, "version %llu, epoch %llu", v,
		       (unsigned long long)x->epoch);
}

uint32_t
fleet_delay(const struct fleet_conf *c, unsigned failures, uint32_t rnd)
{
	uint64_t d = c->interval, span;

	if (failures) {
		d = c->retry;
		for (unsigned i = 1; i < failures && d < c->interval; i++)
			d *= 2;
		if (d > c->interval)
			d = c->interval;
	}
	span = d * c->jitter / 100;
	if (span) /* d - span .. d + span */
		d = d - span + rnd % (2 * span + 1);
	return d ? (uint32_t)d : 1;
}

uint32_t
fleet_window_wait(const struct fleet_conf *c, uint64_t now)
{
	uint32_t t = (uint32_t)(now % FLEET_DAY), s = c->win_start,
		 end = c->win_end;

	if (c->reboot != FLEET_REBOOT_WINDOW)
		return 0;
	if (s < end ? (t >= s && t < end) : (t >= s || t < end))
		return 0;
	return t < s ? s - t : FLEET_DAY - t + s;
}

int
fleet_id_ok(const char *s, size_t n)
{
	if (n != FLEET_ID_LEN)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
		      (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}

void
fleet_id_make(const uint8_t rnd[16], char out[FLEET_ID_LEN + 1])
{
	text_hex(rnd, 16, out);
}
