// SPDX-License-Identifier: MIT
// struct oci_config → canonical config.json (what a bundle import stores).
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>

#include "lib/base/fmt.h"
#include "lib/config/names.h"
#include "lib/config/oci.h"

struct out {
	char *b;
	size_t cap, n;
	int full;
};

static const char *const rlimit_names[] = {
    "RLIMIT_CPU",      "RLIMIT_FSIZE", "RLIMIT_DATA",	"RLIMIT_STACK",
    "RLIMIT_CORE",     "RLIMIT_RSS",   "RLIMIT_NPROC",	"RLIMIT_NOFILE",
    "RLIMIT_MEMLOCK",  "RLIMIT_AS",    "RLIMIT_LOCKS",	"RLIMIT_SIGPENDING",
    "RLIMIT_MSGQUEUE", "RLIMIT_NICE",  "RLIMIT_RTPRIO", "RLIMIT_RTTIME",
};

static const struct {
	unsigned long flag;
	const char *name;
} flag_names[] = {
    {MS_RDONLY, "ro"},	       {MS_NOSUID, "nosuid"},
    {MS_NODEV, "nodev"},       {MS_NOEXEC, "noexec"},
    {MS_SYNCHRONOUS, "sync"},  {MS_DIRSYNC, "dirsync"},
    {MS_NOATIME, "noatime"},   {MS_NODIRATIME, "nodiratime"},
    {MS_RELATIME, "relatime"}, {MS_STRICTATIME, "strictatime"},
};

static const struct {
	unsigned long prop;
	const char *name;
} prop_names[] = {
    {MS_PRIVATE, "private"},	   {MS_PRIVATE | MS_REC, "rprivate"},
    {MS_SHARED, "shared"},	   {MS_SHARED | MS_REC, "rshared"},
    {MS_SLAVE, "slave"},	   {MS_SLAVE | MS_REC, "rslave"},
    {MS_UNBINDABLE, "unbindable"}, {MS_UNBINDABLE | MS_REC, "runbindable"},
};

/* standard mounts, written so that they parse back to the same bit */
static const struct {
	unsigned bit;
	const char *json;
} std_json[] = {
    {OCI_STD_PROC, "{\"destination\":\"/proc\",\"type\":\"proc\","
		   "\"source\":\"proc\"}"},
    {OCI_STD_DEV, "{\"destination\":\"/dev\",\"type\":\"tmpfs\","
		  "\"source\":\"tmpfs\",\"options\":[\"nosuid\"]}"},
    {OCI_STD_DEVPTS, "{\"destination\":\"/dev/pts\",\"type\":\"devpts\","
		     "\"source\":\"devpts\",\"options\":[\"nosuid\","
		     "\"noexec\",\"newinstance\"]}"},
    {OCI_STD_SHM, "{\"destination\":\"/dev/shm\",\"type\":\"tmpfs\","
		  "\"source\":\"shm\",\"options\":[\"nosuid\","
		  "\"noexec\",\"nodev\"]}"},
    {OCI_STD_MQUEUE, "{\"destination\":\"/dev/mqueue\",\"type\":"
		     "\"mqueue\",\"source\":\"mqueue\",\"options\":"
		     "[\"nosuid\",\"noexec\",\"nodev\"]}"},
    {OCI_STD_SYSFS, "{\"destination\":\"/sys\",\"type\":\"sysfs\","
		    "\"source\":\"sysfs\",\"options\":[\"nosuid\","
		    "\"noexec\",\"nodev\",\"ro\"]}"},
    {OCI_STD_CGROUP, "{\"destination\":\"/sys/fs/cgroup\",\"type\":"
		     "\"cgroup\",\"source\":\"cgroup\",\"options\":"
		     "[\"nosuid\",\"noexec\",\"nodev\",\"ro\"]}"},
};

static const char *const ns_names[] = {
    "pid", "mount", "uts", "ipc", "cgroup", "network", "user",
};
static const unsigned long ns_bits[] = {
    OCI_NS_PID,	   OCI_NS_MOUNT, OCI_NS_UTS,  OCI_NS_IPC,
    OCI_NS_CGROUP, OCI_NS_NET,	 OCI_NS_USER,
};

static void
put(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (o->full)
		return;
	va_start(ap, fmt);
	n = fmt_vsn(o->b + o->n, o->cap - o->n, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= o->cap - o->n)
		o->full = 1;
	else
		o->n += (size_t)n;
}

/* A JSON string: quotes, backslashes and control bytes escaped. */
static void
str(struct out *o, const char *s)
{
	put(o, "\"");
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			put(o, "\\%c", c);
		else if (c < 0x20)
			put(o, "\\u%04x", c);
		else
			put(o, "%c", c);
	}
	put(o, "\"");
}

static void
str_list(struct out *o, char *const *v, int n)
{
	put(o, "[");
	for (int i = 0; i < n; i++) {
		put(o, i ? "," : "");
		str(o, v[i]);
	}
	put(o, "]");
}

static void
cap_list(struct out *o, const char *name, uint64_t set, int comma)
{
	int first = 1;

	put(o, "%s\"%s\":[", comma ? "," : "", name);
	for (int cap = 0; cap <= CAPS_LAST; cap++)
		if (set & (1ULL << cap)) {
			put(o, "%s\"%s\"", first ? "" : ",", caps_name(cap));
			first = 0;
		}
	put(o, "]");
}

static void
write_process(struct out *o, const struct oci_config *c)
{
	put(o, "\"process\":{\"user\":{\"uid\":%u,\"gid\":%u", c->uid, c->gid);
	if (c->umask >= 0)
		put(o, ",\"umask\":%d", c->umask);
	put(o, ",\"additionalGids\":[");
	for (int i = 0; i < c->ngroups; i++)
		put(o, "%s%u", i ? "," : "", c->groups[i]);
	put(o, "]},\"args\":");
	str_list(o, c->args, c->nargs);
	put(o, ",\"env\":");
	str_list(o, c->env, c->nenv);
	put(o, ",\"cwd\":");
	str(o, c->cwd);
	put(o, ",\"capabilities\":{");
	cap_list(o, "bounding", c->cap_bounding, 0);
	cap_list(o, "effective", c->cap_effective, 1);
	cap_list(o, "inheritable", c->cap_inheritable, 1);
	cap_list(o, "permitted", c->cap_permitted, 1);
	cap_list(o, "ambient", c->cap_ambient, 1);
	put(o, "},\"rlimits\":[");
	for (int i = 0; i < c->nrlimits; i++)
		put(o,
		    "%s{\"type\":\"%s\",\"soft\":%" PRIu64 ",\"hard\":%" PRIu64
		    "}",
		    i ? "," : "", rlimit_names[c->rlimits[i].resource],
		    c->rlimits[i].soft, c->rlimits[i].hard);
	put(o, "],\"noNewPrivileges\":true");
	if (c->has_oom_score_adj)
		put(o, ",\"oomScoreAdj\":%d", c->oom_score_adj);
	put(o, "}");
}

static void
write_mount(struct out *o, const struct oci_mount *m)
{
	int first = 1;
	char data[512], *save = NULL;

	put(o, "{\"destination\":");
	str(o, m->destination);
	if (m->type == OCI_MOUNT_BIND) {
		put(o, ",\"type\":\"bind\",\"source\":");
		str(o, m->source);
	} else {
		put(o, ",\"type\":\"tmpfs\",\"source\":\"tmpfs\"");
	}
	put(o, ",\"options\":[");
	if (m->flags & MS_BIND) {
		put(o, "\"%s\"", m->flags & MS_REC ? "rbind" : "bind");
		first = 0;
	}
	for (size_t i = 0; i < sizeof(flag_names) / sizeof(flag_names[0]); i++)
		if (m->flags & flag_names[i].flag) {
			put(o, "%s\"%s\"", first ? "" : ",",
			    flag_names[i].name);
			first = 0;
		}
	for (size_t i = 0; i < sizeof(prop_names) / sizeof(prop_names[0]); i++)
		if (m->propagation == prop_names[i].prop) {
			put(o, "%s\"%s\"", first ? "" : ",",
			    prop_names[i].name);
			first = 0;
		}
	fmt_sn(data, sizeof(data), "%s", m->data ? m->data : "");
	for (char *tok = strtok_r(data, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		put(o, first ? "" : ",");
		str(o, tok);
		first = 0;
	}
	put(o, "]}");
}

static void
write_mounts(struct out *o, const struct oci_config *c)
{
	int first = 1;

	put(o, ",\"mounts\":[");
	for (size_t i = 0; i < sizeof(std_json) / sizeof(std_json[0]); i++)
		if (c->std_mounts & std_json[i].bit) {
			put(o, "%s%s", first ? "" : ",", std_json[i].json);
			first = 0;
		}
	for (int i = 0; i < c->nmounts; i++) {
		put(o, first ? "" : ",");
		write_mount(o, &c->mounts[i]);
		first = 0;
	}
	put(o, "]");
}

static void
write_annotations(struct out *o, const struct oci_config *c)
{
	static const char *const restart[] = {"always", "on-failure", "no"};
	const struct oci_keel *k = &c->keel;

	put(o,
	    ",\"annotations\":{\"org.keel.restart\":\"%s\","
	    "\"org.keel.notify\":\"%s\",\"org.keel.pid1\":\"%s\","
	    "\"org.keel.healthy-after-ms\":\"%u\","
	    "\"org.keel.stop-grace-ms\":\"%u\","
	    "\"org.keel.watchdog-ms\":\"%u\","
	    "\"org.keel.restart-delay-ms\":\"%u\","
	    "\"org.keel.restart-max-delay-ms\":\"%u\","
	    "\"org.opencontainers.image.stopSignal\":\"%d\"",
	    restart[k->restart], k->notify ? "true" : "false",
	    k->pid1 ? "true" : "false", k->healthy_after_ms, k->stop_grace_ms,
	    k->watchdog_ms, k->restart_delay_ms, k->restart_max_delay_ms,
	    k->stop_signal);
	if (c->res.required)
		put(o, ",\"org.keel.required-limits\":\"%s%s%s%s%s\"",
		    c->res.required & OCI_RES_MEMORY ? "memory" : "",
		    (c->res.required & OCI_RES_MEMORY) &&
			    (c->res.required & ~OCI_RES_MEMORY)
			? ","
			: "",
		    c->res.required & OCI_RES_PIDS ? "pids" : "",
		    (c->res.required & OCI_RES_PIDS) &&
			    (c->res.required & OCI_RES_CPU)
			? ","
			: "",
		    c->res.required & OCI_RES_CPU ? "cpu" : "");
	if (k->persist)
		put(o, ",\"org.keel.persist\":\"%s%s%s%s%s\"",
		    k->persist & OCI_VAR_LOG ? "log" : "",
		    (k->persist & OCI_VAR_LOG) && (k->persist & ~OCI_VAR_LOG)
			? ","
			: "",
		    k->persist & OCI_VAR_CACHE ? "cache" : "",
		    (k->persist & OCI_VAR_CACHE) && (k->persist & OCI_VAR_TMP)
			? ","
			: "",
		    k->persist & OCI_VAR_TMP ? "tmp" : "");
	put(o, "}");
}

static const char *
action_name(uint32_t a)
{
	switch (a & ~SECCOMP_RET_DATA) {
	case SECCOMP_RET_ALLOW:
		return "SCMP_ACT_ALLOW";
	case SECCOMP_RET_ERRNO:
		return "SCMP_ACT_ERRNO";
	case SECCOMP_RET_KILL_PROCESS:
		return "SCMP_ACT_KILL_PROCESS";
	case SECCOMP_RET_KILL_THREAD:
		return "SCMP_ACT_KILL_THREAD";
	case SECCOMP_RET_TRAP:
		return "SCMP_ACT_TRAP";
	default:
		return "SCMP_ACT_LOG";
	}
}

static void
write_seccomp(struct out *o, const struct oci_config *c)
{
	uint32_t d = c->seccomp_default;

	put(o, ",\"seccomp\":{\"defaultAction\":\"%s\"", action_name(d));
	if ((d & ~SECCOMP_RET_DATA) == SECCOMP_RET_ERRNO)
		put(o, ",\"defaultErrnoRet\":%u", d & SECCOMP_RET_DATA);
	put(o, ",\"architectures\":[\"%s\"],\"syscalls\":[", c->abi->scmp_arch);
	for (int i = 0; i < c->nrules; i++) {
		uint32_t a = c->rules[i].action;
		put(o, "%s{\"names\":[\"%s\"],\"action\":\"%s\"", i ? "," : "",
		    syscall_abi_name(c->abi, c->rules[i].nr), action_name(a));
		if ((a & ~SECCOMP_RET_DATA) == SECCOMP_RET_ERRNO)
			put(o, ",\"errnoRet\":%u", a & SECCOMP_RET_DATA);
		put(o, "}");
	}
	put(o, "]}");
}

static void
write_idmap(struct out *o, const char *name, const struct oci_idmap *m, int n)
{
	put(o, ",\"%s\":[", name);
	for (int i = 0; i < n; i++)
		put(o, "%s{\"containerID\":%u,\"hostID\":%u,\"size\":%u}",
		    i ? "," : "", m[i].container_id, m[i].host_id, m[i].size);
	put(o, "]");
}

static void
write_resources(struct out *o, const struct oci_resources *r)
{
	const char *sep = "";

	put(o, ",\"resources\":{");
	if (r->set & OCI_RES_MEMORY) {
		put(o, "\"memory\":{\"limit\":%" PRId64 "}", r->memory_max);
		sep = ",";
	}
	if (r->set & OCI_RES_PIDS) {
		put(o, "%s\"pids\":{\"limit\":%" PRId64 "}", sep, r->pids_max);
		sep = ",";
	}
	if (r->set & OCI_RES_CPU) {
		const char *s2 = "";
		put(o, "%s\"cpu\":{", sep);
		if (r->cpu_shares) {
			put(o, "\"shares\":%" PRIu64, r->cpu_shares);
			s2 = ",";
		}
		if (r->cpu_quota) {
			put(o, "%s\"quota\":%" PRId64, s2, r->cpu_quota);
			s2 = ",";
		}
		if (r->cpu_period)
			put(o, "%s\"period\":%" PRIu64, s2, r->cpu_period);
		put(o, "}");
	}
	put(o, "}");
}

static void
write_linux(struct out *o, const struct oci_config *c)
{
	int first = 1;

	put(o, ",\"linux\":{\"namespaces\":[");
	for (int i = 0; i < 7; i++)
		if (c->ns_flags & ns_bits[i]) {
			put(o, "%s{\"type\":\"%s\"}", first ? "" : ",",
			    ns_names[i]);
			first = 0;
		}
	put(o, "]");
	if (c->ns_flags & OCI_NS_USER) {
		write_idmap(o, "uidMappings", c->uid_map, c->nuid_map);
		write_idmap(o, "gidMappings", c->gid_map, c->ngid_map);
	}
	if (c->res.set)
		write_resources(o, &c->res);
	if (c->has_seccomp)
		write_seccomp(o, c);
	put(o, ",\"maskedPaths\":");
	str_list(o, c->masked, c->nmasked);
	put(o, ",\"readonlyPaths\":");
	str_list(o, c->readonly, c->nreadonly);
	put(o, ",\"devices\":[");
	for (int i = 0; i < c->ndevices; i++) {
		const struct oci_device *d = &c->devices[i];
		put(o, "%s{\"path\":", i ? "," : "");
		str(o, d->path);
		put(o,
		    ",\"type\":\"%c\",\"major\":%u,\"minor\":%u,"
		    "\"fileMode\":%u,\"uid\":%u,\"gid\":%u}",
		    d->type, d->major, d->minor, d->mode, d->uid, d->gid);
	}
	put(o, "]}");
}

long
oci_write(const struct oci_config *c, char *buf, size_t cap, struct kerr *e)
{
	struct out o = {buf, cap, 0, 0};

	if (!cap)
		return kerr_set(e, "config", "no room to write");
	put(&o, "{\"ociVersion\":\"1.0.2\",");
	write_process(&o, c);
	put(&o, ",\"root\":{\"path\":\"rootfs\",\"readonly\":true}");
	if (c->hostname) {
		put(&o, ",\"hostname\":");
		str(&o, c->hostname);
	}
	if (c->domainname) {
		put(&o, ",\"domainname\":");
		str(&o, c->domainname);
	}
	write_mounts(&o, c);
	write_annotations(&o, c);
	write_linux(&o, c);
	put(&o, "}\n");
	if (o.full)
		return kerr_set(e, "config",
				"written config.json exceeds %zu "
				"bytes",
				cap);
	return (long)o.n;
}
