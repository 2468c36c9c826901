// SPDX-License-Identifier: MIT
// config.json "linux": namespaces, id maps, resources, seccomp, devices, paths.
#include <errno.h>
#include <string.h>

#include "lib/config/oci_priv.h"

static const struct {
	const char *name;
	unsigned long flag;
} ns_types[] = {
    {"pid", OCI_NS_PID},   {"mount", OCI_NS_MOUNT},   {"uts", OCI_NS_UTS},
    {"ipc", OCI_NS_IPC},   {"cgroup", OCI_NS_CGROUP}, {"network", OCI_NS_NET},
    {"user", OCI_NS_USER},
};

static const struct {
	const char *name;
	uint32_t action;
} sc_actions[] = {
    {"SCMP_ACT_ALLOW", SECCOMP_RET_ALLOW},
    {"SCMP_ACT_ERRNO", SECCOMP_RET_ERRNO},
    /* keel kills the whole process, never leaves a half-dead one */
    {"SCMP_ACT_KILL", SECCOMP_RET_KILL_PROCESS},
    {"SCMP_ACT_KILL_PROCESS", SECCOMP_RET_KILL_PROCESS},
    {"SCMP_ACT_KILL_THREAD", SECCOMP_RET_KILL_THREAD},
    {"SCMP_ACT_TRAP", SECCOMP_RET_TRAP},
    {"SCMP_ACT_LOG", SECCOMP_RET_LOG},
};

/* --- namespaces -------------------------------------------------------- */

static int
ns_elem(struct oci_ctx *x, int i)
{
	char key[JSON_KEY_MAX], type[16] = "";
	unsigned long flag = 0;
	int r;

	if (json_object_begin(&x->j, &x->je) < 0)
		return oci_jfail(x);
	while ((r = json_object_next(&x->j, key, sizeof(key), &x->je)) == 1) {
		size_t m = oci_path_key(x, key);
		if (strcmp(key, "type"))
			return oci_fail(x, "not supported by keel (keel "
					   "creates namespaces, never joins)");
		if (oci_strbuf(x, type, sizeof(type)) < 0)
			return -1;
		for (size_t k = 0; k < sizeof(ns_types) / sizeof(ns_types[0]);
		     k++)
			if (!strcmp(type, ns_types[k].name))
				flag = ns_types[k].flag;
		if (!flag)
			return oci_fail(x,
					"namespace \"%s\": not supported by "
					"keel",
					type);
		oci_path_pop(x, m);
	}
	if (r < 0)
		return oci_jfail(x);
	if (!flag)
		return oci_fail(x, "type: missing");
	if (x->have_ns_list & (int)(flag >> 17))
		return oci_fail(x, "namespace \"%s\" listed twice", type);
	x->have_ns_list |= (int)(flag >> 17);
	x->c->ns_flags |= flag;
	return 0;
}

static int
f_namespaces(struct oci_ctx *x)
{
	return oci_array(x, ns_elem);
}

static int
idmap_elem(struct oci_ctx *x, struct oci_idmap *map, int *n, int i)
{
	static const char *const names[] = {"containerID", "hostID", "size"};
	struct oci_idmap *m = &map[i];
	uint32_t *vals[] = {&m->container_id, &m->host_id, &m->size};
	char key[JSON_KEY_MAX];
	unsigned have = 0;
	int r;

	if (i >= OCI_MAX_IDMAPS)
		return oci_fail(x, "more than %d ranges", OCI_MAX_IDMAPS);
	if (json_object_begin(&x->j, &x->je) < 0)
		return oci_jfail(x);
	while ((r = json_object_next(&x->j, key, sizeof(key), &x->je)) == 1) {
		size_t p = oci_path_key(x, key);
		int k;
		for (k = 0; k < 3 && strcmp(key, names[k]); k++)
			;
		if (k == 3)
			return oci_fail(x, "not supported by keel");
		if (oci_u32(x, vals[k]) < 0)
			return -1;
		have |= 1u << k;
		oci_path_pop(x, p);
	}
	if (r < 0)
		return oci_jfail(x);
	if (have != 7)
		return oci_fail(x, "containerID, hostID and size are required");
	if (!m->size || m->container_id > UINT32_MAX - m->size ||
	    m->host_id > UINT32_MAX - m->size)
		return oci_fail(x, "bad range");
	*n = i + 1;
	return 0;
}

static int
uid_elem(struct oci_ctx *x, int i)
{
	return idmap_elem(x, x->c->uid_map, &x->c->nuid_map, i);
}

static int
gid_elem(struct oci_ctx *x, int i)
{
	return idmap_elem(x, x->c->gid_map, &x->c->ngid_map, i);
}

static int
f_uidmap(struct oci_ctx *x)
{
	return oci_array(x, uid_elem);
}

static int
f_gidmap(struct oci_ctx *x)
{
	return oci_array(x, gid_elem);
}

/* --- paths and devices ------------------------------------------------- */

static int
path_into(struct oci_ctx *x, char **list, int *n, int i)
{
	if (i >= OCI_MAX_PATHS)
		return oci_fail(x, "more than %d paths", OCI_MAX_PATHS);
	if (oci_str(x, &list[i]) < 0 || oci_check_path(x, list[i]) < 0)
		return -1;
	*n = i + 1;
	return 0;
}

static int
masked_elem(struct oci_ctx *x, int i)
{
	return path_into(x, x->c->masked, &x->c->nmasked, i);
}

static int
ro_elem(struct oci_ctx *x, int i)
{
	return path_into(x, x->c->readonly, &x->c->nreadonly, i);
}

static int
f_masked(struct oci_ctx *x)
{
	return oci_array(x, masked_elem);
}

static int
f_readonly(struct oci_ctx *x)
{
	return oci_array(x, ro_elem);
}

static int
dev_field(struct oci_ctx *x, struct oci_device *d, const char *key)
{
	char t[4];

	if (!strcmp(key, "path")) {
		if (oci_str(x, &d->path) < 0 || oci_check_path(x, d->path) < 0)
			return -1;
		if (strncmp(d->path, "/dev/", 5) || !d->path[5])
			return oci_fail(x, "must be under /dev/");
		return 0;
	}
	if (!strcmp(key, "type")) {
		if (oci_strbuf(x, t, sizeof(t)) < 0)
			return -1;
		if (strcmp(t, "c") && strcmp(t, "b") && strcmp(t, "p") &&
		    strcmp(t, "u"))
			return oci_fail(x, "\"%s\": expected c, b, u or p", t);
		d->type = t[0] == 'u' ? 'c' : t[0];
		return 0;
	}
	if (!strcmp(key, "major"))
		return oci_u32(x, &d->major);
	if (!strcmp(key, "minor"))
		return oci_u32(x, &d->minor);
	if (!strcmp(key, "uid"))
		return oci_u32(x, &d->uid);
	if (!strcmp(key, "gid"))
		return oci_u32(x, &d->gid);
	if (!strcmp(key, "fileMode")) {
		if (oci_u32(x, &d->mode) < 0)
			return -1;
		return d->mode > 07777 ? oci_fail(x, "out of range") : 0;
	}
	return oci_fail(x, "not supported by keel");
}

static int
dev_elem(struct oci_ctx *x, int i)
{
	struct oci_device *d = &x->c->devices[i];
	char key[JSON_KEY_MAX];
	int r;

	if (i >= OCI_MAX_DEVICES)
		return oci_fail(x, "more than %d devices", OCI_MAX_DEVICES);
	memset(d, 0, sizeof(*d));
	d->mode = 0666;
	if (json_object_begin(&x->j, &x->je) < 0)
		return oci_jfail(x);
	while ((r = json_object_next(&x->j, key, sizeof(key), &x->je)) == 1) {
		size_t p = oci_path_key(x, key);
		if (dev_field(x, d, key) < 0)
			return -1;
		oci_path_pop(x, p);
	}
	if (r < 0)
		return oci_jfail(x);
	if (!d->path || !d->type)
		return oci_fail(x, "path and type are required");
	if (d->type == 'p' && (d->major || d->minor))
		return oci_fail(x, "a fifo has no major/minor");
	for (int k = 0; k < i; k++)
		if (!strcmp(x->c->devices[k].path, d->path))
			return oci_fail(x, "%s listed twice", d->path);
	x->c->ndevices = i + 1;
	return 0;
}

static int
f_devices(struct oci_ctx *x)
{
	return oci_array(x, dev_elem);
}

static int
f_propagation(struct oci_ctx *x)
{
	char v[16];

	if (oci_strbuf(x, v, sizeof(v)) < 0)
		return -1;
	if (strcmp(v, "private") && strcmp(v, "rprivate") && v[0])
		return oci_fail(x, "\"%s\": keel's root is always private", v);
	return 0;
}

/* --- seccomp ----------------------------------------------------------- */

static int
sc_action(struct oci_ctx *x, uint32_t *out)
{
	char a[32];

	if (oci_strbuf(x, a, sizeof(a)) < 0)
		return -1;
	for (size_t i = 0; i < sizeof(sc_actions) / sizeof(sc_actions[0]); i++)
		if (!strcmp(a, sc_actions[i].name)) {
			*out = sc_actions[i].action;
			if (*out == SECCOMP_RET_ERRNO)
				*out |= EPERM;
			return 0;
		}
	return oci_fail(x, "action \"%s\": not supported by keel", a);
}

static int
sc_errno(struct oci_ctx *x, uint32_t *v)
{
	if (oci_u32(x, v) < 0)
		return -1;
	if (*v > 4095)
		return oci_fail(x, "out of range 0..4095");
	return 0;
}

static int
f_sc_default(struct oci_ctx *x)
{
	return sc_action(x, &x->c->seccomp_default);
}

static int
f_sc_default_errno(struct oci_ctx *x)
{
	uint32_t v;

	if (sc_errno(x, &v) < 0)
		return -1;
	/* applied after the walk: key order is free */
	x->sc_default_errno = v;
	return 0;
}

static int
arch_elem(struct oci_ctx *x, int i)
{
	static const char *const arches[] = {
	    "SCMP_ARCH_X86_64",	 "SCMP_ARCH_X86", "SCMP_ARCH_X32",
	    "SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM",
	};
	char a[32];

	if (oci_strbuf(x, a, sizeof(a)) < 0)
		return -1;
	/* Calls of another ABI than the image's CPU (x86 and x32 on x86_64,
	 * 32-bit ARM on aarch64) are killed by keel's arch check, never run */
	for (size_t i = 0; i < sizeof(arches) / sizeof(arches[0]); i++)
		if (!strcmp(a, arches[i]))
			return 0;
	return oci_fail(x, "\"%s\": not x86_64, x86, x32, aarch64 or arm", a);
}

static int
f_sc_arches(struct oci_ctx *x)
{
	return oci_array(x, arch_elem);
}

static const struct oci_field seccomp_fields[] = {
    {"defaultAction", f_sc_default},  {"defaultErrnoRet", f_sc_default_errno},
    {"architectures", f_sc_arches},   {"flags", oci_empty_array},
    {"syscalls", oci_parse_syscalls}, {NULL, NULL},
};

static int
f_seccomp(struct oci_ctx *x)
{
	x->c->has_seccomp = 1;
	x->c->seccomp_default = UINT32_MAX;
	x->sc_default_errno = UINT32_MAX;
	if (oci_object(x, seccomp_fields) < 0)
		return -1;
	if (x->c->seccomp_default == UINT32_MAX)
		return oci_fail(x, "defaultAction: missing");
	if (x->sc_default_errno != UINT32_MAX) {
		if ((x->c->seccomp_default & ~SECCOMP_RET_DATA) !=
		    SECCOMP_RET_ERRNO)
			return oci_fail(x, "defaultErrnoRet without "
					   "SCMP_ACT_ERRNO");
		x->c->seccomp_default = SECCOMP_RET_ERRNO | x->sc_default_errno;
	}
	return 0;
}

/* --- linux ------------------------------------------------------------- */

static const struct oci_field linux_fields[] = {
    {"namespaces", f_namespaces},
    {"uidMappings", f_uidmap},
    {"gidMappings", f_gidmap},
    {"resources", oci_parse_resources},
    {"seccomp", f_seccomp},
    {"maskedPaths", f_masked},
    {"readonlyPaths", f_readonly},
    {"devices", f_devices},
    {"rootfsPropagation", f_propagation},
    {NULL, NULL},
};

int
oci_parse_linux(struct oci_ctx *x)
{
	return oci_object(x, linux_fields);
}
