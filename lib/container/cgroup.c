// SPDX-License-Identifier: MIT
// cgroup v2 limits: create the cgroup, enable controllers, write, remove.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/base/fmt.h"
#include "lib/base/io.h"
#include "lib/container/cgroup.h"
#include "lib/container/devcg.h"

#define CG_FILE_MAX 1024 /* cgroup.controllers / subtree_control text */

static const struct {
	const char *name;
	unsigned res; /* OCI_RES_* it serves */
	const char *what;
} controllers[] = {
    {"memory", OCI_RES_MEMORY, "memory limit"},
    {"pids", OCI_RES_PIDS, "pids limit"},
    {"cpu", OCI_RES_CPU, "cpu shares/quota"},
};

/* A small cgroupfs file as text. */
static int
read_small(const char *path, char *buf, size_t cap)
{
	long n = io_read_file(path, buf, cap - 1);

	if (n < 0)
		return -1;
	buf[n] = 0;
	return 0;
}

static int
write_str(const char *dir, const char *file, const char *val)
{
	char path[CGROUP_PATH_MAX + 32];
	size_t n = strlen(val);
	int fd, r = 0;

	fmt_sn(path, sizeof(path), "%s/%s", dir, file);
	fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC); /* cgroupfs: same */
	if (fd < 0)
		return -1;
	if (write(fd, val, n) != (ssize_t)n)
		r = -1;
	if (close(fd) < 0)
		r = -1;
	return r;
}

/* Is word in the space-separated list? */
static int
has_word(const char *list, const char *word)
{
	size_t n = strlen(word);

	for (const char *p = list; (p = strstr(p, word)); p += n)
		if ((p == list || p[-1] == ' ' || p[-1] == '\n') &&
		    (p[n] == 0 || p[n] == ' ' || p[n] == '\n'))
			return 1;
	return 0;
}

static void
warn(struct cgroup_warnings *w, const char *fmt, const char *a, const char *b)
{
	if (!w || w->n >= CGROUP_WARN_MAX)
		return;
	fmt_sn(w->msg[w->n++], CGROUP_WARN_LEN, fmt, a, b);
}

/*
 * Controllers the limits need and the root offers (bits of controllers[]);
 * *v2 says whether root is a cgroup v2 at all.
 */
static int
pick_controllers(const char *root, const struct oci_config *c,
		 struct cgroup_warnings *w, unsigned *use, int *v2,
		 struct kerr *e)
{
	char path[CGROUP_PATH_MAX + 32], have[CG_FILE_MAX];

	*use = 0;
	fmt_sn(path, sizeof(path), "%s/cgroup.controllers", root);
	*v2 = read_small(path, have, sizeof(have)) == 0;
	if (!*v2)
		have[0] = 0; /* no cgroup v2 here: every controller missing */
	if (!c->res.set)
		return 0;
	for (unsigned i = 0; i < 3; i++) {
		if (!(c->res.set & controllers[i].res))
			continue;
		if (has_word(have, controllers[i].name)) {
			*use |= 1u << i;
			continue;
		}
		if (c->res.required & controllers[i].res)
			return kerr_set(e, "cgroup",
					"controller %s missing "
					"in %s: required %s not applied",
					controllers[i].name, root,
					controllers[i].what);
		warn(w, "cgroup: controller %s missing: %s not applied",
		     controllers[i].name, controllers[i].what);
	}
	return 0;
}

/* Enables the used controllers in dir's cgroup.subtree_control. */
static int
enable_in(const char *dir, unsigned *use, const struct oci_config *c,
	  struct cgroup_warnings *w, struct kerr *e)
{
	char path[CGROUP_PATH_MAX + 32], on[CG_FILE_MAX], val[16];

	fmt_sn(path, sizeof(path), "%s/cgroup.subtree_control", dir);
	if (read_small(path, on, sizeof(on)) < 0)
		on[0] = 0;
	for (unsigned i = 0; i < 3; i++) {
		if (!(*use & (1u << i)) || has_word(on, controllers[i].name))
			continue;
		fmt_sn(val, sizeof(val), "+%s", controllers[i].name);
		if (write_str(dir, "cgroup.subtree_control", val) == 0)
			continue;
		if (c->res.required & controllers[i].res)
			return kerr_set(e, "cgroup", "enable %s in %s: %s",
					controllers[i].name, dir,
					kerr_strerror(errno));
		warn(w, "cgroup: cannot enable controller %s: %s not applied",
		     controllers[i].name, controllers[i].what);
		*use &= ~(1u << i);
	}
	return 0;
}

/* Creates the directories of name under root, enabling controllers. */
static int
make_dirs(struct cgroup *cg, const char *root, const char *name, unsigned *use,
	  const struct oci_config *c, struct cgroup_warnings *w, struct kerr *e)
{
	size_t rl = strlen(root), off;

	if (name[0] == '/' || !name[0] || strstr(name, "..") ||
	    strstr(name, "//") || name[strlen(name) - 1] == '/')
		return kerr_set(e, "cgroup", "bad cgroup name \"%s\"", name);
	if ((size_t)fmt_sn(cg->path, sizeof(cg->path), "%s/%s", root, name) >=
	    sizeof(cg->path))
		return kerr_set(e, "cgroup", "path too long");
	/* walk each '/' after root: parent exists, enable, then mkdir */
	for (off = rl; cg->path[off];) {
		char *next = strchr(cg->path + off + 1, '/');
		cg->path[off] = 0;
		if (enable_in(off == rl ? root : cg->path, use, c, w, e) < 0)
			return -1;
		cg->path[off] = '/';
		if (next)
			*next = 0;
		if (mkdir(cg->path, 0755) < 0 && errno != EEXIST)
			return kerr_set(e, "cgroup", "mkdir %s: %s", cg->path,
					kerr_strerror(errno));
		if (!next) {
			cg->created = 1;
			break;
		}
		*next = '/';
		off = (size_t)(next - cg->path);
	}
	return 0;
}

static int
limit_val(char *buf, size_t cap, int64_t v)
{
	if (v < 0)
		return fmt_sn(buf, cap, "max");
	return fmt_sn(buf, cap, "%" PRId64, v);
}

static int
write_limits(const struct cgroup *cg, unsigned use, const struct oci_config *c,
	     struct kerr *e)
{
	const struct oci_resources *r = &c->res;
	char v[64];
	const char *file = NULL;

	if (use & 1) {
		limit_val(v, sizeof(v), r->memory_max);
		if (write_str(cg->path, file = "memory.max", v) < 0)
			goto fail;
	}
	if (use & 2) {
		limit_val(v, sizeof(v), r->pids_max);
		if (write_str(cg->path, file = "pids.max", v) < 0)
			goto fail;
	}
	if ((use & 4) && r->cpu_shares) {
		fmt_sn(v, sizeof(v), "%" PRIu64,
		       cgroup_shares_to_weight(r->cpu_shares));
		if (write_str(cg->path, file = "cpu.weight", v) < 0)
			goto fail;
	}
	if ((use & 4) && (r->cpu_quota || r->cpu_period)) {
		size_t n = (size_t)limit_val(v, sizeof(v),
					     r->cpu_quota ? r->cpu_quota : -1);
		fmt_sn(v + n, sizeof(v) - n, " %" PRIu64,
		       r->cpu_period ? r->cpu_period : 100000);
		if (write_str(cg->path, file = "cpu.max", v) < 0)
			goto fail;
	}
	return 0;
fail:
	return kerr_set(e, "cgroup", "write %s/%s: %s", cg->path, file,
			kerr_strerror(errno));
}

uint64_t
cgroup_shares_to_weight(uint64_t shares)
{
	if (shares < 2)
		shares = 2;
	if (shares > 262144)
		shares = 262144;
	return 1 + ((shares - 2) * 9999) / 262142;
}

int
cgroup_create(struct cgroup *cg, const char *root, const char *name,
	      const struct oci_config *c, struct cgroup_warnings *w,
	      struct kerr *e)
{
	unsigned use;
	int v2;

	memset(cg, 0, sizeof(*cg));
	if (w)
		w->n = 0;
	if (pick_controllers(root, c, w, &use, &v2, e) < 0)
		return -1;
	/* no cgroup v2, or nothing to put in one: no cgroup (add_pid and
	 * remove do nothing) */
	if (!v2 || (!use && !devcg_needed(c)))
		return 0;
	if (make_dirs(cg, root, name, &use, c, w, e) < 0 ||
	    write_limits(cg, use, c, e) < 0) {
		struct kerr ignore;
		cgroup_remove(cg, &ignore);
		return -1;
	}
	return 0;
}

int
cgroup_open(const struct cgroup *cg)
{
	if (!cg->created)
		return -1;
	return open(cg->path, O_PATH | O_DIRECTORY | O_CLOEXEC);
}

int
cgroup_add_pid(const struct cgroup *cg, pid_t pid, struct kerr *e)
{
	char v[24];

	if (!cg->created)
		return 0;
	fmt_sn(v, sizeof(v), "%d", (int)pid);
	if (write_str(cg->path, "cgroup.procs", v) < 0)
		return kerr_set(e, "cgroup", "move %d into %s: %s", (int)pid,
				cg->path, kerr_strerror(errno));
	return 0;
}

int
cgroup_remove(struct cgroup *cg, struct kerr *e)
{
	if (!cg->created)
		return 0;
	if (rmdir(cg->path) < 0 && errno != ENOENT)
		return kerr_set(e, "cgroup", "remove %s: %s", cg->path,
				kerr_strerror(errno));
	cg->created = 0;
	return 0;
}
