// SPDX-License-Identifier: MIT
// Unit tests of the cgroup v2 code against a fake cgroupfs tree in a temp dir.
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/config/oci.h"
#include "unit.h"
#include "lib/container/cgroup.h"

static struct oci_config C;
static char root[] = "/tmp/keel-test-cgroup.XXXXXX";

static void
put(const char *rel, const char *text)
{
	char p[512];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", root, rel);
	f = fopen(p, "w");
	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

static const char *
get(const char *rel)
{
	static char b[256];
	char p[512];
	FILE *f;
	size_t n = 0;

	snprintf(p, sizeof(p), "%s/%s", root, rel);
	b[0] = 0;
	f = fopen(p, "r");
	if (f) {
		n = fread(b, 1, sizeof(b) - 1, f);
		fclose(f);
	}
	b[n] = 0;
	return b;
}

/* A fresh fake tree: root offers ctl; keel/app pre-made with empty files. */
static void
tree(const char *ctl)
{
	static const char *const files[] = {
	    "memory.max", "pids.max", "cpu.weight", "cpu.max", "cgroup.procs",
	};
	char p[512];

	snprintf(p, sizeof(p), "rm -rf %s/keel && mkdir -p %s/keel/app", root,
		 root);
	if (system(p) != 0)
		return;
	put("cgroup.controllers", ctl);
	put("cgroup.subtree_control", "");
	put("keel/cgroup.subtree_control", "");
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(p, sizeof(p), "keel/app/%s", files[i]);
		put(p, "");
	}
}

static void
limits(void)
{
	oci_default(&C);
	C.res.set = OCI_RES_MEMORY | OCI_RES_PIDS | OCI_RES_CPU;
	C.res.memory_max = 64 << 20;
	C.res.pids_max = -1;
	C.res.cpu_shares = 1024;
	C.res.cpu_quota = 50000;
}

static void
test_all_present(void)
{
	struct cgroup_warnings w;
	struct cgroup cg;
	struct kerr e = {0};
	int r;

	tree("cpuset cpu io memory hugetlb pids rdma\n");
	limits();
	r = cgroup_create(&cg, root, "keel/app", &C, &w, &e);
	CHECK(r == 0 && w.n == 0, "create: %s (%d warnings)", e.detail, w.n);
	CHECK(!strcmp(get("keel/app/memory.max"), "67108864"), "memory.max %s",
	      get("keel/app/memory.max"));
	CHECK(!strcmp(get("keel/app/pids.max"), "max"), "pids.max");
	CHECK(!strcmp(get("keel/app/cpu.weight"), "39"), "cpu.weight %s",
	      get("keel/app/cpu.weight"));
	CHECK(!strcmp(get("keel/app/cpu.max"), "50000 100000"), "cpu.max %s",
	      get("keel/app/cpu.max"));
	CHECK(!strcmp(get("cgroup.subtree_control"), "+memory+pids+cpu"),
	      "root subtree_control: %s", get("cgroup.subtree_control"));
	CHECK(!strcmp(get("keel/cgroup.subtree_control"), "+memory+pids+cpu"),
	      "parent subtree_control: %s", get("keel/cgroup.subtree_control"));
	CHECK(cgroup_add_pid(&cg, 4242, &e) == 0 &&
		  !strcmp(get("keel/app/cgroup.procs"), "4242"),
	      "cgroup.procs");
	CHECK(cg.created && !strcmp(cg.path + strlen(root), "/keel/app"),
	      "path %s", cg.path);
	{ /* clone3's CLONE_INTO_CGROUP descriptor: the cgroup's own dir */
		int fd = cgroup_open(&cg);
		struct stat a, b;

		CHECK(fd >= 0 && fstat(fd, &a) == 0 && stat(cg.path, &b) == 0 &&
			  a.st_ino == b.st_ino && S_ISDIR(a.st_mode) &&
			  (fcntl(fd, F_GETFD) & FD_CLOEXEC),
		      "cgroup_open: the dir, close-on-exec");
		if (fd >= 0)
			close(fd);
	}
	/* a real cgroupfs removes its files with the dir; the fake one can't */
	CHECK(cgroup_remove(&cg, &e) < 0 && strstr(e.detail, "remove"),
	      "remove reports failure: %s", e.detail);
	if (system("true") == 0) {
		char p[512];
		snprintf(p, sizeof(p), "rm -f %s/keel/app/*", root);
		CHECK(system(p) == 0, "clean fake files");
	}
	CHECK(cgroup_remove(&cg, &e) == 0 && access(cg.path, F_OK) < 0 &&
		  !cg.created,
	      "remove: %s", e.detail);
	CHECK(cgroup_remove(&cg, &e) == 0, "second remove is a no-op");
}

static void
test_missing(void)
{
	struct cgroup_warnings w;
	struct cgroup cg;
	struct kerr e = {0};
	char p[512];

	/* memory missing, not required: one warning, others applied */
	tree("cpu pids\n");
	limits();
	CHECK(cgroup_create(&cg, root, "keel/app", &C, &w, &e) == 0,
	      "create without memory: %s", e.detail);
	CHECK(w.n == 1 && strstr(w.msg[0], "memory"), "one warning: %s",
	      w.n ? w.msg[0] : "");
	CHECK(!strcmp(get("keel/app/memory.max"), ""), "memory.max untouched");
	CHECK(!strcmp(get("keel/app/pids.max"), "max"), "pids.max written");

	/* memory required: fatal, nothing created */
	tree("cpu pids\n");
	C.res.required = OCI_RES_MEMORY;
	CHECK(cgroup_create(&cg, root, "keel/app", &C, &w, &e) < 0 &&
		  strstr(e.detail, "memory") && !cg.created,
	      "required memory missing: %s", e.detail);

	/* no cgroup v2 at all, nothing required: warnings, no cgroup */
	snprintf(p, sizeof(p), "%s/cgroup.controllers", root);
	unlink(p);
	C.res.required = 0;
	CHECK(cgroup_create(&cg, root, "keel/app", &C, &w, &e) == 0 &&
		  w.n == 3 && !cg.created,
	      "no controllers: %d warnings", w.n);
	CHECK(cgroup_add_pid(&cg, 1, &e) == 0, "add_pid without a cgroup");
	CHECK(cgroup_open(&cg) < 0, "no descriptor without a cgroup");

	/* no limits and no cgroup v2: nothing to do */
	oci_default(&C);
	CHECK(cgroup_create(&cg, root, "keel/app", &C, &w, &e) == 0 &&
		  w.n == 0 && !cg.created,
	      "no limits");

	/* no limits on a cgroup v2, nothing that needs the device program:
	 * no cgroup; with CAP_MKNOD the cgroup exists (it carries the
	 * program), no controller is enabled, nothing written */
	tree("cpu pids memory\n");
	CHECK(cgroup_create(&cg, root, "keel/app", &C, &w, &e) == 0 &&
		  w.n == 0 && !cg.created,
	      "no limits, no devices, cgroup v2: none: %s", e.detail);
	C.cap_permitted = 1ULL << 27;
	CHECK(cgroup_create(&cg, root, "keel/app", &C, &w, &e) == 0 &&
		  w.n == 0 && cg.created,
	      "no limits, CAP_MKNOD, cgroup v2: created: %s", e.detail);
	CHECK(!strcmp(get("cgroup.subtree_control"), "") &&
		  !strcmp(get("keel/app/memory.max"), ""),
	      "no controller enabled, no limit written");
	CHECK(cgroup_add_pid(&cg, 4243, &e) == 0 &&
		  !strcmp(get("keel/app/cgroup.procs"), "4243"),
	      "the app joins it");

	/* bad names */
	limits();
	tree("cpu pids memory\n");
	CHECK(cgroup_create(&cg, root, "../x", &C, &w, &e) < 0, "name ..");
	CHECK(cgroup_create(&cg, root, "/x", &C, &w, &e) < 0, "name /x");
	CHECK(cgroup_create(&cg, root, "x/", &C, &w, &e) < 0, "name x/");

	/* a new leaf is created (the fake tree has no control files in it:
	 * writing memory.max fails and the new dir is removed again) */
	CHECK(cgroup_create(&cg, root, "keel/new", &C, &w, &e) < 0 &&
		  strstr(e.detail, "memory.max"),
	      "write failure reported: %s", e.detail);
	snprintf(p, sizeof(p), "%s/keel/new", root);
	CHECK(access(p, F_OK) < 0, "failed create leaves no dir");
}

static void
test_weight(void)
{
	CHECK(cgroup_shares_to_weight(2) == 1, "2 → 1");
	CHECK(cgroup_shares_to_weight(1024) == 39, "1024 → 39");
	CHECK(cgroup_shares_to_weight(262144) == 10000, "262144 → 10000");
}

int
main(void)
{
	char p[600];

	if (!mkdtemp(root))
		return 1;
	test_weight();
	test_all_present();
	test_missing();
	snprintf(p, sizeof(p), "rm -rf %s", root);
	if (system(p) != 0)
		printf("could not remove %s\n", root);
	return unit_done("cgroup");
}
