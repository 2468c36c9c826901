// SPDX-License-Identifier: MIT
// config.json → struct oci_config: the walk, the process section, defaults.
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

#include "lib/config/oci_priv.h"

static const char *const rlimit_names[] = {
    [RLIMIT_CPU] = "RLIMIT_CPU",
    [RLIMIT_FSIZE] = "RLIMIT_FSIZE",
    [RLIMIT_DATA] = "RLIMIT_DATA",
    [RLIMIT_STACK] = "RLIMIT_STACK",
    [RLIMIT_CORE] = "RLIMIT_CORE",
    [RLIMIT_RSS] = "RLIMIT_RSS",
    [RLIMIT_NPROC] = "RLIMIT_NPROC",
    [RLIMIT_NOFILE] = "RLIMIT_NOFILE",
    [RLIMIT_MEMLOCK] = "RLIMIT_MEMLOCK",
    [RLIMIT_AS] = "RLIMIT_AS",
    [RLIMIT_LOCKS] = "RLIMIT_LOCKS",
    [RLIMIT_SIGPENDING] = "RLIMIT_SIGPENDING",
    [RLIMIT_MSGQUEUE] = "RLIMIT_MSGQUEUE",
    [RLIMIT_NICE] = "RLIMIT_NICE",
    [RLIMIT_RTPRIO] = "RLIMIT_RTPRIO",
    [RLIMIT_RTTIME] = "RLIMIT_RTTIME",
};

static int
args_elem(struct oci_ctx *x, int i)
{
	if (i >= OCI_MAX_ARGS)
		return oci_fail(x, "more than %d arguments", OCI_MAX_ARGS);
	if (oci_str(x, &x->c->args[i]) < 0)
		return -1;
	if (i == 0 && !x->c->args[0][0])
		return oci_fail(x, "empty program name");
	x->c->nargs = i + 1;
	x->c->args[i + 1] = NULL;
	return 0;
}

static int
f_args(struct oci_ctx *x)
{
	return oci_array(x, args_elem);
}

static int
env_elem(struct oci_ctx *x, int i)
{
	char *s;

	if (i >= OCI_MAX_ENV)
		return oci_fail(x, "more than %d variables", OCI_MAX_ENV);
	if (oci_str(x, &s) < 0)
		return -1;
	if (s[0] == '=' || !strchr(s, '='))
		return oci_fail(x, "not NAME=VALUE");
	x->c->env[i] = s;
	x->c->env[i + 1] = NULL;
	x->c->nenv = i + 1;
	return 0;
}

static int
f_env(struct oci_ctx *x)
{
	return oci_array(x, env_elem);
}

static int
f_cwd(struct oci_ctx *x)
{
	return oci_str(x, &x->c->cwd) < 0 ? -1 : oci_check_path(x, x->c->cwd);
}

static int
f_terminal(struct oci_ctx *x)
{
	int v;

	if (oci_bool(x, &v) < 0)
		return -1;
	/* umoci writes terminal=true by default; a bundle import drops it */
	if (v && !(x->flags & OCI_PARSE_BUNDLE))
		return oci_fail(x, "true not supported by keel (no terminal)");
	return 0;
}

static int
f_nnp(struct oci_ctx *x)
{
	int v;

	if (oci_bool(x, &v) < 0)
		return -1;
	if (!v)
		return oci_fail(x, "false not supported: keel always sets "
				   "no_new_privs");
	return 0;
}

static int
f_oom(struct oci_ctx *x)
{
	int64_t v;

	if (oci_i64(x, &v) < 0)
		return -1;
	if (v < -1000 || v > 1000)
		return oci_fail(x, "out of range -1000..1000");
	x->c->oom_score_adj = (int)v;
	x->c->has_oom_score_adj = 1;
	return 0;
}

static int
f_empty_label(struct oci_ctx *x)
{
	char buf[8];

	if (oci_strbuf(x, buf, sizeof(buf)) < 0)
		return -1;
	if (buf[0])
		return oci_fail(x, "not supported by keel");
	return 0;
}

static int
f_uid(struct oci_ctx *x)
{
	return oci_u32(x, &x->c->uid);
}

static int
f_gid(struct oci_ctx *x)
{
	return oci_u32(x, &x->c->gid);
}

static int
f_umask(struct oci_ctx *x)
{
	uint32_t v;

	if (oci_u32(x, &v) < 0)
		return -1;
	if (v > 0777)
		return oci_fail(x, "out of range");
	x->c->umask = (int)v;
	return 0;
}

static int
group_elem(struct oci_ctx *x, int i)
{
	if (i >= OCI_MAX_GROUPS)
		return oci_fail(x, "more than %d groups", OCI_MAX_GROUPS);
	x->c->ngroups = i + 1;
	return oci_u32(x, &x->c->groups[i]);
}

static int
f_groups(struct oci_ctx *x)
{
	return oci_array(x, group_elem);
}

static const struct oci_field user_fields[] = {
    {"uid", f_uid},	{"gid", f_gid},
    {"umask", f_umask}, {"additionalGids", f_groups},
    {NULL, NULL},
};

static int
f_user(struct oci_ctx *x)
{
	return oci_object(x, user_fields);
}

/* one rlimit: {type, soft, hard}, all three required */
static int
rlimit_elem(struct oci_ctx *x, int i)
{
	struct oci_rlimit *r = &x->c->rlimits[i];
	char key[JSON_KEY_MAX], name[32];
	unsigned have = 0;
	int n;

	if (i >= OCI_MAX_RLIMITS)
		return oci_fail(x, "more than %d rlimits", OCI_MAX_RLIMITS);
	r->resource = -1;
	if (json_object_begin(&x->j, &x->je) < 0)
		return oci_jfail(x);
	while ((n = json_object_next(&x->j, key, sizeof(key), &x->je)) == 1) {
		size_t m = oci_path_key(x, key);
		if (!strcmp(key, "type")) {
			if (oci_strbuf(x, name, sizeof(name)) < 0)
				return -1;
			for (int k = 0; k < RLIM_NLIMITS; k++)
				if (!strcmp(name, rlimit_names[k]))
					r->resource = k;
			if (r->resource < 0)
				return oci_fail(x, "unknown rlimit \"%s\"",
						name);
			have |= 1;
		} else if (!strcmp(key, "soft")) {
			if (oci_u64(x, &r->soft) < 0)
				return -1;
			have |= 2;
		} else if (!strcmp(key, "hard")) {
			if (oci_u64(x, &r->hard) < 0)
				return -1;
			have |= 4;
		} else {
			return oci_fail(x, "not supported by keel");
		}
		oci_path_pop(x, m);
	}
	if (n < 0)
		return oci_jfail(x);
	if (have != 7)
		return oci_fail(x, "type, soft and hard are required");
	if (r->soft > r->hard)
		return oci_fail(x, "soft above hard");
	for (int k = 0; k < i; k++)
		if (x->c->rlimits[k].resource == r->resource)
			return oci_fail(x, "%s given twice", name);
	x->c->nrlimits = i + 1;
	return 0;
}

static int
f_rlimits(struct oci_ctx *x)
{
	return oci_array(x, rlimit_elem);
}

static const struct oci_field process_fields[] = {
    {"terminal", f_terminal},
    {"user", f_user},
    {"args", f_args},
    {"env", f_env},
    {"cwd", f_cwd},
    {"capabilities", oci_parse_capabilities},
    {"rlimits", f_rlimits},
    {"noNewPrivileges", f_nnp},
    {"oomScoreAdj", f_oom},
    {"apparmorProfile", f_empty_label},
    {"selinuxLabel", f_empty_label},
    {NULL, NULL},
};

static int
f_process(struct oci_ctx *x)
{
	return oci_object(x, process_fields);
}

static int
f_version(struct oci_ctx *x)
{
	char v[32];

	if (oci_strbuf(x, v, sizeof(v)) < 0)
		return -1;
	if (strncmp(v, "1.0.", 4) && strncmp(v, "1.1.", 4) &&
	    strncmp(v, "1.2.", 4))
		return oci_fail(x, "\"%s\" not supported (1.0.x to 1.2.x)", v);
	return 0;
}

static int
f_root_path(struct oci_ctx *x)
{
	char p[16];

	if (oci_strbuf(x, p, sizeof(p)) < 0)
		return -1;
	/* keel's root is always the image; only a bundle's name is allowed */
	if (strcmp(p, "rootfs") && strcmp(p, "rootfs/"))
		return oci_fail(x,
				"must be \"rootfs\" (the image is the root)");
	return 0;
}

static int
f_root_ro(struct oci_ctx *x)
{
	int v;

	if (oci_bool(x, &v) < 0)
		return -1;
	if (!v)
		return oci_fail(x,
				"false not supported: the root is read-only");
	return 0;
}

static const struct oci_field root_fields[] = {
    {"path", f_root_path},
    {"readonly", f_root_ro},
    {NULL, NULL},
};

static int
f_root(struct oci_ctx *x)
{
	return oci_object(x, root_fields);
}

static int
valid_hostname(const char *s)
{
	size_t n = strlen(s);

	if (!n || n > OCI_HOSTNAME_MAX || s[0] == '-' || s[0] == '.')
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '-' || *s == '.'))
			return 0;
	return 1;
}

static int
f_hostname(struct oci_ctx *x)
{
	if (oci_str(x, &x->c->hostname) < 0)
		return -1;
	if (!x->c->hostname[0]) {
		x->c->hostname = NULL;
		return 0;
	}
	return valid_hostname(x->c->hostname) ? 0 : oci_fail(x, "invalid");
}

static int
f_domainname(struct oci_ctx *x)
{
	if (oci_str(x, &x->c->domainname) < 0)
		return -1;
	if (!x->c->domainname[0]) {
		x->c->domainname = NULL;
		return 0;
	}
	return valid_hostname(x->c->domainname) ? 0 : oci_fail(x, "invalid");
}

static const struct oci_field top_fields[] = {
    {"ociVersion", f_version},
    {"process", f_process},
    {"root", f_root},
    {"hostname", f_hostname},
    {"domainname", f_domainname},
    {"mounts", oci_parse_mounts},
    {"annotations", oci_parse_annotations},
    {"linux", oci_parse_linux},
    {NULL, NULL},
};

/*
 * Every field but the two large tables, which are read only below nrules
 * and pool_used: clearing them too would write ~40 KiB, and on a caller's
 * fresh (static) struct each page first written is a page fault, paid on
 * every start of `keel run`.
 */
#define OCI_OFF(f) offsetof(struct oci_config, f)
_Static_assert(OCI_OFF(rules) < OCI_OFF(nrules) &&
		   OCI_OFF(nrules) < OCI_OFF(keel) &&
		   OCI_OFF(keel) < OCI_OFF(pool_used) &&
		   OCI_OFF(pool_used) < OCI_OFF(pool) &&
		   OCI_OFF(pool) + OCI_POOL_SIZE + sizeof(size_t) >
		       sizeof(struct oci_config),
	       "set_defaults: rules, nrules, keel, pool_used, pool come last");

static void
set_defaults(struct oci_config *c)
{
	memset(c, 0, offsetof(struct oci_config, rules));
	c->nrules = 0;
	memset(&c->keel, 0, sizeof(c->keel));
	c->abi = syscall_abi_native();
	c->cwd = c->pool; /* "/" */
	c->pool[0] = '/';
	c->pool[1] = 0;
	c->pool_used = 2;
	c->umask = -1;
	c->no_new_privs = 1;
	c->ns_flags = OCI_NS_ALWAYS;
	c->keel.restart = OCI_RESTART_ALWAYS;
	c->keel.healthy_after_ms = 10000;
	c->keel.stop_grace_ms = 5000;
	c->keel.restart_delay_ms = 1000;
	c->keel.restart_max_delay_ms = 60000;
	c->keel.stop_signal = 15; /* SIGTERM */
}

/* Cross-field rules, checked once the whole document is read. */
static int
final_checks(struct oci_ctx *x, int have_version)
{
	struct oci_config *c = x->c;

	x->plen = 0;
	x->path[0] = 0;
	if (!have_version)
		return oci_fail(x, "ociVersion: missing");
	if (!c->nargs)
		return oci_fail(x, "process.args: missing");
	if (c->res.required & ~c->res.set)
		return oci_fail(x,
				"annotations.org.keel.required-limits: names "
				"a limit linux.resources does not set");
	if ((c->ns_flags & OCI_NS_USER) && (!c->nuid_map || !c->ngid_map))
		return oci_fail(x, "linux.uidMappings/gidMappings: required "
				   "with a user namespace");
	if (!(c->ns_flags & OCI_NS_USER) && (c->nuid_map || c->ngid_map))
		return oci_fail(x, "linux.uidMappings: without a user "
				   "namespace");
	if ((c->cap_effective | c->cap_ambient) & ~c->cap_permitted)
		return oci_fail(x, "process.capabilities: effective and "
				   "ambient must be within permitted");
	if (c->cap_ambient & ~c->cap_inheritable)
		return oci_fail(x, "process.capabilities: ambient must be "
				   "within inheritable");
	if ((c->cap_permitted | c->cap_inheritable) & ~c->cap_bounding)
		return oci_fail(x, "process.capabilities: permitted and "
				   "inheritable must be within bounding");
	return 0;
}

int
oci_parse_abi(const char *json, size_t len, struct oci_config *c,
	      unsigned flags, const struct syscall_abi *abi, struct kerr *e)
{
	struct oci_ctx x;
	char key[JSON_KEY_MAX];
	int r, have_version = 0;

	set_defaults(c);
	c->abi = abi;
	/* All but x.j, which json_init clears as far as this input can
	 * reach: its whole key table is 32 KiB of stack to touch. */
	memset((char *)&x + offsetof(struct oci_ctx, c), 0,
	       sizeof(x) - offsetof(struct oci_ctx, c));
	x.c = c;
	x.e = e;
	x.flags = flags;
	if (len > OCI_JSON_MAX)
		return oci_fail(&x, "config.json larger than %d bytes",
				OCI_JSON_MAX);
	json_init(&x.j, json, len);
	if (json_object_begin(&x.j, &x.je) < 0)
		return oci_jfail(&x);
	while ((r = json_object_next(&x.j, key, sizeof(key), &x.je)) == 1) {
		const struct oci_field *f = top_fields;
		size_t m = oci_path_key(&x, key);
		for (; f->name && strcmp(f->name, key); f++)
			;
		if (!f->name)
			return oci_fail(&x, "not supported by keel");
		if (f->fn == f_version)
			have_version = 1;
		if (json_peek(&x.j) == JSON_NULL && f->fn != f_version) {
			if (json_null(&x.j, &x.je) < 0)
				return oci_jfail(&x);
		} else if (f->fn(&x) < 0) {
			return -1;
		}
		oci_path_pop(&x, m);
	}
	if (r < 0 || json_end(&x.j, &x.je) < 0)
		return oci_jfail(&x);
	return final_checks(&x, have_version);
}

int
oci_parse_flags(const char *json, size_t len, struct oci_config *c,
		unsigned flags, struct kerr *e)
{
	return oci_parse_abi(json, len, c, flags, syscall_abi_native(), e);
}

int
oci_parse(const char *json, size_t len, struct oci_config *c, struct kerr *e)
{
	return oci_parse_flags(json, len, c, 0, e);
}

/* Copies n bytes of s and a NUL into c's pool; NULL if it is full. */
static char *
pool_put(struct oci_config *c, const char *s, size_t n)
{
	char *p = c->pool + c->pool_used;

	if (n + 1 > sizeof(c->pool) - c->pool_used)
		return NULL;
	memcpy(p, s, n);
	p[n] = 0;
	c->pool_used += n + 1;
	return p;
}

/* No struct oci_ctx here (its JSON state is ~33 KiB of stack to clear):
 * the strings are constants that always fit the empty pool. */
void
oci_default(struct oci_config *c)
{
	static const char *const masked[] = {
	    "/proc/acpi",	   "/proc/kcore",      "/proc/keys",
	    "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats",
	    "/proc/sched_debug",   "/proc/scsi",       "/sys/firmware",
	};
	static const char *const ro[] = {
	    "/proc/asound", "/proc/bus", "/proc/fs",
	    "/proc/irq",    "/proc/sys", "/proc/sysrq-trigger",
	};
	static const char path_env[] =
	    "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:"
	    "/sbin:/bin";

	set_defaults(c);
	c->ns_flags |= OCI_NS_NET;
	c->keel.restart = OCI_RESTART_NO;
	c->env[0] = pool_put(c, path_env, sizeof(path_env) - 1);
	c->nenv = 1;
	for (size_t i = 0; i < sizeof(masked) / sizeof(masked[0]); i++)
		c->masked[c->nmasked++] =
		    pool_put(c, masked[i], strlen(masked[i]));
	for (size_t i = 0; i < sizeof(ro) / sizeof(ro[0]); i++)
		c->readonly[c->nreadonly++] = pool_put(c, ro[i], strlen(ro[i]));
}

int
oci_set_args(struct oci_config *c, int argc, char *const *argv, struct kerr *e)
{
	if (argc < 1 || argc > OCI_MAX_ARGS)
		return kerr_set(e, "config", "args: 1 to %d arguments",
				OCI_MAX_ARGS);
	for (int i = 0; i < argc; i++) {
		c->args[i] = pool_put(c, argv[i], strlen(argv[i]));
		if (!c->args[i])
			return kerr_set(e, "config", "strings exceed %d bytes",
					OCI_POOL_SIZE);
	}
	c->args[argc] = NULL;
	c->nargs = argc;
	return 0;
}
