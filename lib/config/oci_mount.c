// SPDX-License-Identifier: MIT
// config.json "mounts": bind, tmpfs, and the standard mounts keel makes.
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>

#include "lib/base/fmt.h"
#include "lib/config/oci_priv.h"

#define MNT_MAX_OPTS 32	 /* options of one mount */
#define MNT_OPT_LEN 64	 /* one option */
#define MNT_DATA_LEN 256 /* tmpfs data string */

struct mnt_raw {
	char *destination;
	char *source;
	char type[16];
	int have_type;
	char opts[MNT_MAX_OPTS][MNT_OPT_LEN];
	int nopts;
};

static const struct {
	const char *name;
	unsigned long set, clear, prop;
} mnt_flags[] = {
    {"ro", MS_RDONLY, 0, 0},
    {"rw", 0, MS_RDONLY, 0},
    {"nosuid", MS_NOSUID, 0, 0},
    {"suid", 0, MS_NOSUID, 0},
    {"nodev", MS_NODEV, 0, 0},
    {"dev", 0, MS_NODEV, 0},
    {"noexec", MS_NOEXEC, 0, 0},
    {"exec", 0, MS_NOEXEC, 0},
    {"sync", MS_SYNCHRONOUS, 0, 0},
    {"async", 0, MS_SYNCHRONOUS, 0},
    {"dirsync", MS_DIRSYNC, 0, 0},
    {"noatime", MS_NOATIME, 0, 0},
    {"atime", 0, MS_NOATIME, 0},
    {"nodiratime", MS_NODIRATIME, 0, 0},
    {"diratime", 0, MS_NODIRATIME, 0},
    {"relatime", MS_RELATIME, 0, 0},
    {"norelatime", 0, MS_RELATIME, 0},
    {"strictatime", MS_STRICTATIME, 0, 0},
    {"nostrictatime", 0, MS_STRICTATIME, 0},
    {"bind", MS_BIND, 0, 0},
    {"rbind", MS_BIND | MS_REC, 0, 0},
    {"private", 0, 0, MS_PRIVATE},
    {"rprivate", 0, 0, MS_PRIVATE | MS_REC},
    {"shared", 0, 0, MS_SHARED},
    {"rshared", 0, 0, MS_SHARED | MS_REC},
    {"slave", 0, 0, MS_SLAVE},
    {"rslave", 0, 0, MS_SLAVE | MS_REC},
    {"unbindable", 0, 0, MS_UNBINDABLE},
    {"runbindable", 0, 0, MS_UNBINDABLE | MS_REC},
};

/* tmpfs data options passed through (name=value) */
static const char *const tmpfs_data[] = {
    "size=", "mode=", "nr_inodes=", "nr_blocks=", "uid=", "gid=",
};

/* options a standard mount may carry (keel's own mount is as strict) */
static const char *const std_ok[] = {
    "nosuid",	"noexec", "nodev", "strictatime", "relatime",
    "ro",	"rbind",  "bind",  "newinstance", "private",
    "rprivate", "mode=",  "size=", "ptmxmode=",	  "gid=",
};

static const struct {
	const char *dest;
	const char *type; /* or "bind" with source == dest */
	unsigned bit;
	int must_ro;
} std_mounts[] = {
    {"/proc", "proc", OCI_STD_PROC, 0},
    {"/dev", "tmpfs", OCI_STD_DEV, 0},
    {"/dev/pts", "devpts", OCI_STD_DEVPTS, 0},
    {"/dev/shm", "tmpfs", OCI_STD_SHM, 0},
    {"/dev/mqueue", "mqueue", OCI_STD_MQUEUE, 0},
    {"/sys", "sysfs", OCI_STD_SYSFS, 1},
    {"/sys", "bind", OCI_STD_SYSFS, 1},
    {"/sys/fs/cgroup", "cgroup", OCI_STD_CGROUP, 1},
    {"/sys/fs/cgroup", "cgroup2", OCI_STD_CGROUP, 1},
};

static int
opt_prefix(const char *opt, const char *const *list, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		size_t l = strlen(list[i]);
		if (list[i][l - 1] == '=' ? !strncmp(opt, list[i], l)
					  : !strcmp(opt, list[i]))
			return 1;
	}
	return 0;
}

static int
has_opt(const struct mnt_raw *m, const char *o)
{
	for (int i = 0; i < m->nopts; i++)
		if (!strcmp(m->opts[i], o))
			return 1;
	return 0;
}

static int
f_dest(struct oci_ctx *x, struct mnt_raw *m)
{
	if (oci_str(x, &m->destination) < 0)
		return -1;
	if (oci_check_path(x, m->destination) < 0)
		return -1;
	if (!strcmp(m->destination, "/"))
		return oci_fail(x, "cannot mount over the image root");
	return 0;
}

static int
mnt_options(struct oci_ctx *x, struct mnt_raw *m)
{
	int r;

	if (json_array_begin(&x->j, &x->je) < 0)
		return oci_jfail(x);
	while ((r = json_array_next(&x->j, &x->je)) == 1) {
		if (m->nopts >= MNT_MAX_OPTS)
			return oci_fail(x, "more than %d options",
					MNT_MAX_OPTS);
		if (oci_strbuf(x, m->opts[m->nopts++], MNT_OPT_LEN) < 0)
			return -1;
	}
	return r < 0 ? oci_jfail(x) : 0;
}

static int
mnt_read(struct oci_ctx *x, struct mnt_raw *m)
{
	char key[JSON_KEY_MAX];
	int r;

	if (json_object_begin(&x->j, &x->je) < 0)
		return oci_jfail(x);
	while ((r = json_object_next(&x->j, key, sizeof(key), &x->je)) == 1) {
		size_t p = oci_path_key(x, key);
		if (!strcmp(key, "destination"))
			r = f_dest(x, m);
		else if (!strcmp(key, "source"))
			r = oci_str(x, &m->source);
		else if (!strcmp(key, "type"))
			r = oci_strbuf(x, m->type, sizeof(m->type)),
			m->have_type = 1;
		else if (!strcmp(key, "options"))
			r = mnt_options(x, m);
		else
			r = oci_fail(x, "not supported by keel");
		if (r < 0)
			return -1;
		oci_path_pop(x, p);
	}
	if (r < 0)
		return oci_jfail(x);
	if (!m->destination)
		return oci_fail(x, "destination: missing");
	return 0;
}

/* A standard mount keel provides: 1 = matched, 0 = not standard. */
static int
mnt_std(struct oci_ctx *x, const struct mnt_raw *m, const char *type)
{
	for (size_t i = 0; i < sizeof(std_mounts) / sizeof(std_mounts[0]);
	     i++) {
		if (strcmp(m->destination, std_mounts[i].dest) ||
		    strcmp(type, std_mounts[i].type))
			continue;
		if (!strcmp(type, "bind") &&
		    (!m->source || strcmp(m->source, "/sys")))
			return 0;
		for (int k = 0; k < m->nopts; k++)
			if (!opt_prefix(m->opts[k], std_ok,
					sizeof(std_ok) / sizeof(std_ok[0])))
				return oci_fail(x,
						"option \"%s\" on %s: keel "
						"mounts its own",
						m->opts[k], m->destination);
		if (std_mounts[i].must_ro && !has_opt(m, "ro"))
			return oci_fail(x,
					"%s: keel mounts it read-only; add "
					"\"ro\"",
					m->destination);
		if (x->c->std_mounts & std_mounts[i].bit)
			return oci_fail(x, "%s listed twice", m->destination);
		x->c->std_mounts |= std_mounts[i].bit;
		return 1;
	}
	return 0;
}

/* Options of a bind or tmpfs mount → flags, propagation, data. */
static int
mnt_flags_of(struct oci_ctx *x, const struct mnt_raw *m, struct oci_mount *o,
	     char *data)
{
	size_t dl = 0;

	for (int k = 0; k < m->nopts; k++) {
		const char *s = m->opts[k];
		size_t i, n = sizeof(mnt_flags) / sizeof(mnt_flags[0]);
		for (i = 0; i < n && strcmp(s, mnt_flags[i].name); i++)
			;
		if (i < n) {
			o->flags =
			    (o->flags & ~mnt_flags[i].clear) | mnt_flags[i].set;
			if (mnt_flags[i].prop)
				o->propagation = mnt_flags[i].prop;
			continue;
		}
		if (o->type != OCI_MOUNT_TMPFS || strchr(s, ',') ||
		    !opt_prefix(s, tmpfs_data,
				sizeof(tmpfs_data) / sizeof(tmpfs_data[0])))
			return oci_fail(x,
					"option \"%s\": not supported by "
					"keel",
					s);
		if (dl + strlen(s) + 2 > MNT_DATA_LEN)
			return oci_fail(x, "options too long");
		dl += (size_t)fmt_sn(data + dl, MNT_DATA_LEN - dl, "%s%s",
				     dl ? "," : "", s);
	}
	if (o->type == OCI_MOUNT_TMPFS && (o->flags & MS_BIND))
		return oci_fail(x, "bind option on a tmpfs mount");
	if (o->type == OCI_MOUNT_BIND)
		o->flags |= MS_BIND;
	return 0;
}

static int
mount_elem(struct oci_ctx *x, int i)
{
	struct mnt_raw m;
	struct oci_mount *o;
	const char *type;
	char data[MNT_DATA_LEN] = "";
	int r;

	memset(&m, 0, sizeof(m));
	if (mnt_read(x, &m) < 0)
		return -1;
	type = m.type;
	if ((!m.have_type || !strcmp(type, "none") || !type[0]) &&
	    (has_opt(&m, "bind") || has_opt(&m, "rbind")))
		type = "bind";
	r = mnt_std(x, &m, type);
	if (r)
		return r < 0 ? -1 : 0;
	if (x->c->nmounts >= OCI_MAX_MOUNTS)
		return oci_fail(x, "more than %d mounts", OCI_MAX_MOUNTS);
	o = &x->c->mounts[x->c->nmounts];
	memset(o, 0, sizeof(*o));
	o->destination = m.destination;
	if (!strcmp(type, "bind")) {
		o->type = OCI_MOUNT_BIND;
		if (!m.source)
			return oci_fail(x, "source: missing");
		if (oci_check_path(x, m.source) < 0)
			return -1;
		o->source = m.source;
	} else if (!strcmp(type, "tmpfs")) {
		o->type = OCI_MOUNT_TMPFS;
	} else {
		return oci_fail(x,
				"type \"%s\" at %s: not supported by keel "
				"(bind, tmpfs, or a standard mount)",
				type, m.destination);
	}
	if (mnt_flags_of(x, &m, o, data) < 0)
		return -1;
	o->data = oci_pool_dup(x, data, strlen(data));
	if (!o->data)
		return -1;
	x->c->nmounts++;
	return 0;
}

int
oci_parse_mounts(struct oci_ctx *x)
{
	return oci_array(x, mount_elem);
}
