// SPDX-License-Identifier: MIT
// config.json walk helpers, capabilities and keel's annotations.
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "lib/base/fmt.h"
#include "lib/base/text.h"
#include "lib/config/oci_priv.h"

static const struct {
	const char *name;
	int sig;
} signals[] = {
    {"HUP", SIGHUP},	   {"INT", SIGINT},   {"QUIT", SIGQUIT},
    {"ILL", SIGILL},	   {"TRAP", SIGTRAP}, {"ABRT", SIGABRT},
    {"BUS", SIGBUS},	   {"FPE", SIGFPE},   {"KILL", SIGKILL},
    {"USR1", SIGUSR1},	   {"SEGV", SIGSEGV}, {"USR2", SIGUSR2},
    {"PIPE", SIGPIPE},	   {"ALRM", SIGALRM}, {"TERM", SIGTERM},
    {"CHLD", SIGCHLD},	   {"CONT", SIGCONT}, {"STOP", SIGSTOP},
    {"TSTP", SIGTSTP},	   {"TTIN", SIGTTIN}, {"TTOU", SIGTTOU},
    {"URG", SIGURG},	   {"XCPU", SIGXCPU}, {"XFSZ", SIGXFSZ},
    {"VTALRM", SIGVTALRM}, {"PROF", SIGPROF}, {"WINCH", SIGWINCH},
    {"IO", SIGIO},	   {"PWR", SIGPWR},   {"SYS", SIGSYS},
};

/* Decimal (lib/base/text.h's rules) of at most max; -1 if not. */
static int
parse_dec(const char *s, uint64_t max, uint64_t *v)
{
	return text_u64(s, strlen(s), v) < 0 || *v > max ? -1 : 0;
}

/* Appends n bytes of s to the path (truncated at the buffer's end). */
static void
path_add(struct oci_ctx *x, const char *s, size_t n)
{
	if (n > sizeof(x->path) - 1 - x->plen)
		n = sizeof(x->path) - 1 - x->plen;
	memcpy(x->path + x->plen, s, n);
	x->plen += n;
	x->path[x->plen] = 0;
}

size_t
oci_path_key(struct oci_ctx *x, const char *key)
{
	size_t old = x->plen;

	if (x->plen)
		path_add(x, ".", 1);
	path_add(x, key, strlen(key));
	return old;
}

size_t
oci_path_idx(struct oci_ctx *x, int i)
{
	char b[16];
	size_t old = x->plen;
	int n = fmt_sn(b, sizeof(b), "[%d]", i);

	path_add(x, b, (size_t)n);
	return old;
}

void
oci_path_pop(struct oci_ctx *x, size_t len)
{
	x->plen = len;
	x->path[len] = 0;
}

int
oci_fail(struct oci_ctx *x, const char *fmt, ...)
{
	char msg[160];
	va_list ap;

	va_start(ap, fmt);
	fmt_vsn(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (!x->plen)
		return kerr_set(x->e, "config", "%s", msg);
	return kerr_set(x->e, "config", "%s: %s", x->path, msg);
}

int
oci_jfail(struct oci_ctx *x)
{
	return oci_fail(x, "%s", x->je.detail);
}

int
oci_object(struct oci_ctx *x, const struct oci_field *fields)
{
	char key[JSON_KEY_MAX];
	int r;

	if (json_object_begin(&x->j, &x->je) < 0)
		return oci_jfail(x);
	while ((r = json_object_next(&x->j, key, sizeof(key), &x->je)) == 1) {
		const struct oci_field *f = fields;
		size_t m = oci_path_key(x, key);
		for (; f->name && strcmp(f->name, key); f++)
			;
		if (!f->name)
			return oci_fail(x, "not supported by keel");
		if (json_peek(&x->j) == JSON_NULL) {
			if (json_null(&x->j, &x->je) < 0)
				return oci_jfail(x);
		} else if (f->fn(x) < 0) {
			return -1;
		}
		oci_path_pop(x, m);
	}
	return r < 0 ? oci_jfail(x) : 0;
}

int
oci_array(struct oci_ctx *x, int (*fn)(struct oci_ctx *x, int i))
{
	int r, i = 0;

	if (json_array_begin(&x->j, &x->je) < 0)
		return oci_jfail(x);
	while ((r = json_array_next(&x->j, &x->je)) == 1) {
		size_t m = oci_path_idx(x, i);
		if (fn(x, i) < 0)
			return -1;
		oci_path_pop(x, m);
		i++;
	}
	return r < 0 ? oci_jfail(x) : 0;
}

char *
oci_pool_dup(struct oci_ctx *x, const char *s, size_t n)
{
	struct oci_config *c = x->c;
	char *p;

	if (n + 1 > sizeof(c->pool) - c->pool_used) {
		oci_fail(x, "strings exceed %d bytes", OCI_POOL_SIZE);
		return NULL;
	}
	p = c->pool + c->pool_used;
	memcpy(p, s, n);
	p[n] = 0;
	c->pool_used += n + 1;
	return p;
}

int
oci_str(struct oci_ctx *x, char **out)
{
	struct oci_config *c = x->c;
	size_t n;
	char *p = c->pool + c->pool_used;

	/* decode straight into the pool's free space, then claim it */
	if (json_string(&x->j, p, sizeof(c->pool) - c->pool_used, &n, &x->je) <
	    0) {
		if (json_peek(&x->j) == JSON_STRING)
			return oci_fail(x, "strings exceed %d bytes (%s)",
					OCI_POOL_SIZE, x->je.detail);
		return oci_jfail(x);
	}
	c->pool_used += n + 1;
	*out = p;
	return 0;
}

int
oci_strbuf(struct oci_ctx *x, char *buf, size_t cap)
{
	return json_string(&x->j, buf, cap, NULL, &x->je) < 0 ? oci_jfail(x)
							      : 0;
}

int
oci_u64(struct oci_ctx *x, uint64_t *v)
{
	return json_u64(&x->j, v, &x->je) < 0 ? oci_jfail(x) : 0;
}

int
oci_i64(struct oci_ctx *x, int64_t *v)
{
	return json_i64(&x->j, v, &x->je) < 0 ? oci_jfail(x) : 0;
}

int
oci_u32(struct oci_ctx *x, uint32_t *v)
{
	uint64_t w;

	if (oci_u64(x, &w) < 0)
		return -1;
	if (w > UINT32_MAX)
		return oci_fail(x, "integer out of range");
	*v = (uint32_t)w;
	return 0;
}

int
oci_bool(struct oci_ctx *x, int *v)
{
	return json_bool(&x->j, v, &x->je) < 0 ? oci_jfail(x) : 0;
}

int
oci_check_path(struct oci_ctx *x, const char *p)
{
	const char *s;

	if (p[0] != '/')
		return oci_fail(x, "\"%s\": not an absolute path", p);
	if (strlen(p) >= OCI_PATH_MAX)
		return oci_fail(x, "path too long");
	for (s = p; *s; s++) {
		if (s[0] != '/')
			continue;
		if (s[1] == '.' && s[2] == '.' && (s[3] == '/' || !s[3]))
			return oci_fail(x, "\"%s\": \"..\" not allowed", p);
	}
	return 0;
}

int
oci_signal_number(const char *name)
{
	uint64_t v;

	if (!strncmp(name, "SIG", 3))
		name += 3;
	for (size_t i = 0; i < sizeof(signals) / sizeof(signals[0]); i++)
		if (!strcmp(name, signals[i].name))
			return signals[i].sig;
	if (parse_dec(name, 64, &v) == 0 && v >= 1)
		return (int)v;
	return -1;
}

/* --- process.capabilities ---------------------------------------------- */

static int
cap_set(struct oci_ctx *x, uint64_t *set)
{
	char name[40];
	int r, i = 0;

	if (json_array_begin(&x->j, &x->je) < 0)
		return oci_jfail(x);
	while ((r = json_array_next(&x->j, &x->je)) == 1) {
		size_t m = oci_path_idx(x, i++);
		int cap;
		if (oci_strbuf(x, name, sizeof(name)) < 0)
			return -1;
		cap = caps_from_name(name);
		if (cap < 0)
			return oci_fail(x, "unknown capability \"%s\"", name);
		*set |= 1ULL << cap;
		oci_path_pop(x, m);
	}
	return r < 0 ? oci_jfail(x) : 0;
}

static int
f_bounding(struct oci_ctx *x)
{
	return cap_set(x, &x->c->cap_bounding);
}

static int
f_effective(struct oci_ctx *x)
{
	return cap_set(x, &x->c->cap_effective);
}

static int
f_inheritable(struct oci_ctx *x)
{
	return cap_set(x, &x->c->cap_inheritable);
}

static int
f_permitted(struct oci_ctx *x)
{
	return cap_set(x, &x->c->cap_permitted);
}

static int
f_ambient(struct oci_ctx *x)
{
	return cap_set(x, &x->c->cap_ambient);
}

int
oci_parse_capabilities(struct oci_ctx *x)
{
	static const struct oci_field f[] = {
	    {"bounding", f_bounding},	    {"effective", f_effective},
	    {"inheritable", f_inheritable}, {"permitted", f_permitted},
	    {"ambient", f_ambient},	    {NULL, NULL},
	};
	return oci_object(x, f);
}

/* --- annotations ------------------------------------------------------- */

static int
ann_bool(struct oci_ctx *x, const char *v, int *out)
{
	if (!strcmp(v, "true"))
		*out = 1;
	else if (!strcmp(v, "false"))
		*out = 0;
	else
		return oci_fail(x, "\"%s\": expected \"true\" or \"false\"", v);
	return 0;
}

static int
ann_ms(struct oci_ctx *x, const char *v, uint32_t *out)
{
	uint64_t n;

	if (parse_dec(v, OCI_KEEL_MS_MAX, &n) < 0)
		return oci_fail(x, "\"%s\": expected milliseconds (0..%u)", v,
				OCI_KEEL_MS_MAX);
	*out = (uint32_t)n;
	return 0;
}

static int
ann_limits(struct oci_ctx *x, const char *v)
{
	char w[16];

	while (*v) {
		size_t n = strcspn(v, ",");
		if (n == 0 || n >= sizeof(w))
			return oci_fail(x, "bad list");
		memcpy(w, v, n);
		w[n] = 0;
		if (!strcmp(w, "memory"))
			x->c->res.required |= OCI_RES_MEMORY;
		else if (!strcmp(w, "pids"))
			x->c->res.required |= OCI_RES_PIDS;
		else if (!strcmp(w, "cpu"))
			x->c->res.required |= OCI_RES_CPU;
		else
			return oci_fail(x, "unknown limit \"%s\"", w);
		v += n + (v[n] == ',');
	}
	return 0;
}

/* org.keel.persist: a comma list of log, cache, tmp */
static int
ann_persist(struct oci_ctx *x, const char *v)
{
	static const char *const names[] = {"log", "cache", "tmp"};
	char w[16];

	while (*v) {
		size_t n = strcspn(v, ","), i;
		if (n == 0 || n >= sizeof(w))
			return oci_fail(x, "bad list");
		memcpy(w, v, n);
		w[n] = 0;
		for (i = 0; i < 3 && strcmp(w, names[i]); i++)
			;
		if (i == 3)
			return oci_fail(x, "\"%s\": expected log, cache or tmp",
					w);
		x->c->keel.persist |= 1u << i;
		v += n + (v[n] == ',');
	}
	return 0;
}

static int
ann_keel(struct oci_ctx *x, const char *k, const char *v)
{
	struct oci_keel *kl = &x->c->keel;

	if (!strcmp(k, "restart")) {
		if (!strcmp(v, "always"))
			kl->restart = OCI_RESTART_ALWAYS;
		else if (!strcmp(v, "on-failure"))
			kl->restart = OCI_RESTART_ON_FAILURE;
		else if (!strcmp(v, "no"))
			kl->restart = OCI_RESTART_NO;
		else
			return oci_fail(x,
					"\"%s\": expected always, "
					"on-failure or no",
					v);
		return 0;
	}
	if (!strcmp(k, "notify"))
		return ann_bool(x, v, &kl->notify);
	if (!strcmp(k, "pid1"))
		return ann_bool(x, v, &kl->pid1);
	if (!strcmp(k, "healthy-after-ms"))
		return ann_ms(x, v, &kl->healthy_after_ms);
	if (!strcmp(k, "stop-grace-ms"))
		return ann_ms(x, v, &kl->stop_grace_ms);
	if (!strcmp(k, "watchdog-ms"))
		return ann_ms(x, v, &kl->watchdog_ms);
	if (!strcmp(k, "restart-delay-ms"))
		return ann_ms(x, v, &kl->restart_delay_ms);
	if (!strcmp(k, "restart-max-delay-ms"))
		return ann_ms(x, v, &kl->restart_max_delay_ms);
	if (!strcmp(k, "required-limits"))
		return ann_limits(x, v);
	if (!strcmp(k, "persist"))
		return ann_persist(x, v);
	return oci_fail(x, "unknown keel annotation");
}

int
oci_parse_annotations(struct oci_ctx *x)
{
	char key[JSON_KEY_MAX], val[256];
	int r;

	if (json_object_begin(&x->j, &x->je) < 0)
		return oci_jfail(x);
	while ((r = json_object_next(&x->j, key, sizeof(key), &x->je)) == 1) {
		size_t m = oci_path_key(x, key);
		if (!strncmp(key, "org.keel.", 9)) {
			if (oci_strbuf(x, val, sizeof(val)) < 0 ||
			    ann_keel(x, key + 9, val) < 0)
				return -1;
		} else if (!strcmp(key,
				   "org.opencontainers.image.stopSignal")) {
			if (oci_strbuf(x, val, sizeof(val)) < 0)
				return -1;
			if (val[0]) {
				int s = oci_signal_number(val);
				if (s < 0)
					return oci_fail(x, "unknown signal");
				x->c->keel.stop_signal = s;
			}
		} else if (json_string(&x->j, NULL, 0, NULL, &x->je) < 0) {
			/* other annotations are metadata: strings, unused */
			return oci_jfail(x);
		}
		oci_path_pop(x, m);
	}
	if (r < 0)
		return oci_jfail(x);
	if (x->c->keel.restart_max_delay_ms < x->c->keel.restart_delay_ms)
		return oci_fail(x, "org.keel.restart-max-delay-ms below "
				   "org.keel.restart-delay-ms");
	return 0;
}
