// SPDX-License-Identifier: MIT
// config.json "linux.resources" and "linux.seccomp.syscalls".
#include <errno.h>
#include <string.h>

#include "lib/config/oci_priv.h"

/* --- resources --------------------------------------------------------- */

static int
limit_or_max(struct oci_ctx *x, int64_t *v)
{
	if (oci_i64(x, v) < 0)
		return -1;
	if (*v != -1 && *v <= 0)
		return oci_fail(x, "must be positive or -1 (no limit)");
	return 0;
}

static int
f_mem_limit(struct oci_ctx *x)
{
	x->c->res.set |= OCI_RES_MEMORY;
	return limit_or_max(x, &x->c->res.memory_max);
}

static int
f_pids_limit(struct oci_ctx *x)
{
	x->c->res.set |= OCI_RES_PIDS;
	return limit_or_max(x, &x->c->res.pids_max);
}

static int
f_cpu_shares(struct oci_ctx *x)
{
	uint64_t *v = &x->c->res.cpu_shares;

	x->c->res.set |= OCI_RES_CPU;
	if (oci_u64(x, v) < 0)
		return -1;
	return *v < 2 || *v > 262144 ? oci_fail(x, "out of range 2..262144")
				     : 0;
}

static int
f_cpu_quota(struct oci_ctx *x)
{
	x->c->res.set |= OCI_RES_CPU;
	if (limit_or_max(x, &x->c->res.cpu_quota) < 0)
		return -1;
	if (x->c->res.cpu_quota != -1 && x->c->res.cpu_quota < 1000)
		return oci_fail(x, "below 1000 µs");
	return 0;
}

static int
f_cpu_period(struct oci_ctx *x)
{
	uint64_t *v = &x->c->res.cpu_period;

	x->c->res.set |= OCI_RES_CPU;
	if (oci_u64(x, v) < 0)
		return -1;
	return *v < 1000 || *v > 1000000 ? oci_fail(x, "out of range "
						       "1000..1000000")
					 : 0;
}

static int
f_memory(struct oci_ctx *x)
{
	static const struct oci_field f[] = {
	    {"limit", f_mem_limit},
	    {NULL, NULL},
	};
	return oci_object(x, f);
}

static int
f_pids(struct oci_ctx *x)
{
	static const struct oci_field f[] = {
	    {"limit", f_pids_limit},
	    {NULL, NULL},
	};
	return oci_object(x, f);
}

static int
f_cpu(struct oci_ctx *x)
{
	static const struct oci_field f[] = {
	    {"shares", f_cpu_shares},
	    {"quota", f_cpu_quota},
	    {"period", f_cpu_period},
	    {NULL, NULL},
	};
	return oci_object(x, f);
}

/*
 * Device cgroup rules: only "deny all" is accepted; it is what keel does
 * anyway (a minimal /dev, no CAP_MKNOD unless granted). Grants go through
 * linux.devices.
 */
static int
devrule_elem(struct oci_ctx *x, int i)
{
	char key[JSON_KEY_MAX], v[8];
	int r, allow = 1, b;

	if (json_object_begin(&x->j, &x->je) < 0)
		return oci_jfail(x);
	while ((r = json_object_next(&x->j, key, sizeof(key), &x->je)) == 1) {
		size_t p = oci_path_key(x, key);
		if (!strcmp(key, "allow")) {
			if (oci_bool(x, &b) < 0)
				return -1;
			allow = b;
		} else if (!strcmp(key, "access") || !strcmp(key, "type")) {
			if (oci_strbuf(x, v, sizeof(v)) < 0)
				return -1;
			if (strcmp(v, key[0] == 'a' ? "rwm" : "a"))
				return oci_fail(x, "only a deny-all rule is "
						   "supported (use "
						   "linux.devices)");
		} else {
			return oci_fail(x, "not supported by keel");
		}
		oci_path_pop(x, p);
	}
	if (r < 0)
		return oci_jfail(x);
	if (allow)
		return oci_fail(x, "only a deny-all rule is supported (grant "
				   "devices with linux.devices)");
	return 0;
}

static int
f_devrules(struct oci_ctx *x)
{
	return oci_array(x, devrule_elem);
}

int
oci_parse_resources(struct oci_ctx *x)
{
	static const struct oci_field f[] = {
	    {"memory", f_memory},    {"pids", f_pids}, {"cpu", f_cpu},
	    {"devices", f_devrules}, {NULL, NULL},
	};
	return oci_object(x, f);
}

/* --- seccomp syscalls -------------------------------------------------- */

int
oci_empty_array(struct oci_ctx *x)
{
	int r;

	if (json_array_begin(&x->j, &x->je) < 0)
		return oci_jfail(x);
	r = json_array_next(&x->j, &x->je);
	if (r < 0)
		return oci_jfail(x);
	return r ? oci_fail(x, "not supported by keel") : 0;
}

static int
sc_name(struct oci_ctx *x, int i)
{
	struct oci_config *c = x->c;
	char name[64];
	int nr;

	if (oci_strbuf(x, name, sizeof(name)) < 0)
		return -1;
	nr = syscall_abi_nr(c->abi, name);
	if (nr < 0 || nr >= 512)
		return oci_fail(x, "unknown %s syscall \"%s\"", c->abi->arch,
				name);
	if (x->seen_sys[nr / 8] & (1u << (nr % 8)))
		return oci_fail(x, "\"%s\" named twice", name);
	x->seen_sys[nr / 8] |= (unsigned char)(1u << (nr % 8));
	if (c->nrules >= OCI_MAX_SYSCALL_RULES)
		return oci_fail(x, "more than %d syscalls",
				OCI_MAX_SYSCALL_RULES);
	c->rules[c->nrules].nr = nr;
	c->rules[c->nrules].action = UINT32_MAX;
	c->nrules++;
	return 0;
}

static int
sc_rule_field(struct oci_ctx *x, const char *key, uint32_t *action,
	      uint32_t *err)
{
	static const char *const acts[] = {
	    "SCMP_ACT_ALLOW",	     "SCMP_ACT_ERRNO",	     "SCMP_ACT_KILL",
	    "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD", "SCMP_ACT_TRAP",
	    "SCMP_ACT_LOG",
	};
	static const uint32_t vals[] = {
	    SECCOMP_RET_ALLOW,	      SECCOMP_RET_ERRNO | EPERM,
	    SECCOMP_RET_KILL_PROCESS, SECCOMP_RET_KILL_PROCESS,
	    SECCOMP_RET_KILL_THREAD,  SECCOMP_RET_TRAP,
	    SECCOMP_RET_LOG,
	};
	char a[32];

	if (!strcmp(key, "names"))
		return oci_array(x, sc_name);
	if (!strcmp(key, "errnoRet")) {
		if (oci_u32(x, err) < 0)
			return -1;
		return *err > 4095 ? oci_fail(x, "out of range 0..4095") : 0;
	}
	if (!strcmp(key, "args")) {
		if (oci_empty_array(x) < 0)
			return oci_fail(x, "argument conditions are not "
					   "supported by keel");
		return 0;
	}
	if (strcmp(key, "action"))
		return oci_fail(x, "not supported by keel");
	if (oci_strbuf(x, a, sizeof(a)) < 0)
		return -1;
	for (size_t i = 0; i < sizeof(acts) / sizeof(acts[0]); i++)
		if (!strcmp(a, acts[i])) {
			*action = vals[i];
			return 0;
		}
	return oci_fail(x, "action \"%s\": not supported by keel", a);
}

static int
sc_rule(struct oci_ctx *x, int i)
{
	char key[JSON_KEY_MAX];
	uint32_t action = UINT32_MAX, err = UINT32_MAX;
	int first = x->c->nrules, r;

	if (json_object_begin(&x->j, &x->je) < 0)
		return oci_jfail(x);
	while ((r = json_object_next(&x->j, key, sizeof(key), &x->je)) == 1) {
		size_t p = oci_path_key(x, key);
		if (json_peek(&x->j) == JSON_NULL) {
			if (json_null(&x->j, &x->je) < 0)
				return oci_jfail(x);
		} else if (sc_rule_field(x, key, &action, &err) < 0) {
			return -1;
		}
		oci_path_pop(x, p);
	}
	if (r < 0)
		return oci_jfail(x);
	if (action == UINT32_MAX)
		return oci_fail(x, "action: missing");
	if (err != UINT32_MAX) {
		if ((action & ~SECCOMP_RET_DATA) != SECCOMP_RET_ERRNO)
			return oci_fail(x, "errnoRet without SCMP_ACT_ERRNO");
		action = SECCOMP_RET_ERRNO | err;
	}
	for (int k = first; k < x->c->nrules; k++)
		x->c->rules[k].action = action;
	return 0;
}

int
oci_parse_syscalls(struct oci_ctx *x)
{
	return oci_array(x, sc_rule);
}
