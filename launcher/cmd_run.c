// SPDX-License-Identifier: MIT
/* keel run: verify a slot image, mount it read-only, run its app. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "launcher/commands.h"
#include "launcher/keel.h"
#include "lib/container/cgroup.h"
#include "lib/container/container.h"
#include "lib/container/devcg.h"
#include "launcher/run_map.h"

#define RUN_USAGE                                                              \
	"keel run IMAGE [--keys DIR] [--verify verity|full] [--etc DIR] "      \
	"[--var DIR]\n"                                                        \
	"                [--hostname NAME] [--net host|none] [-- CMD ARGS...]"
#define RUN_CGROUP_ROOT "/sys/fs/cgroup"

struct run_opts {
	const char *image, *keys, *etc, *var, *hostname, *root_dir, *net;
	enum run_verify verify;
	char **cmd;
	int ncmd;
};

/* Large and used once: static, not on the stack. */
static struct run_map run_img;
static struct oci_config run_cfg;
static struct ctr run_ctr;
static struct cgroup run_cg;
static char run_json[OCI_JSON_MAX];
/* --etc, its overlay workdir and --var as absolute paths: static, so
 * that a launch without them runs on stack pages already touched. */
static char run_etc[PATH_MAX], run_work[PATH_MAX + 8], run_var[PATH_MAX];

static int
run_help(void)
{
	printf(
	    "usage: %s\n\n"
	    "Verifies IMAGE, mounts it read-only and runs its configured\n"
	    "process (/keel/config.json) or CMD in a container. IMAGE is\n"
	    "opened once (not through a symbolic link) and no byte that was\n"
	    "checked is read from it again: where the kernel has dm-verity\n"
	    "the signature is checked and the kernel checks every block as\n"
	    "it is read; else the image is copied once into sealed memory\n"
	    "(as much memory as the image), checked whole there, and\n"
	    "mounted from there. Exit status: the app's (128+N for signal\n"
	    "N); 125 keel failed before the app ran; 126 the command cannot\n"
	    "run; 127 the command was not found.\n\n"
	    "  --keys DIR       check signatures against DIR, not the baked "
	    "keys\n"
	    "  --verify verity  dm-verity or a refusal (default: verity\n"
	    "                   where the kernel has it, else full)\n"
	    "  --verify full    the sealed copy, checked whole, even where\n"
	    "                   dm-verity exists\n"
	    "  --etc DIR        upper layer of /etc (changes persist in DIR;\n"
	    "                   overlay workdir: DIR.work); default: tmpfs\n"
	    "  --var DIR        mounted read-write at /var/lib; default: "
	    "tmpfs\n"
	    "  --hostname NAME  overrides the config's hostname\n"
	    "  --net host|none  the host's network, or a namespace of its own\n"
	    "                   with only loopback (default: as the config\n"
	    "                   says)\n\n"
	    "Developer option, for benchmarks only:\n"
	    "  --unverified-root-dir DIR  run from the directory DIR instead\n"
	    "                   of an image, WITHOUT ANY VERIFICATION (it\n"
	    "                   must be given explicitly; never in a "
	    "product)\n",
	    RUN_USAGE);
	return 0;
}

static int
run_args(int argc, char **argv, struct run_opts *o)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char **dst = NULL;

		if (!strcmp(a, "--")) {
			o->cmd = argv + i + 1;
			o->ncmd = argc - i - 1;
			break;
		}
		if (!strcmp(a, "--keys"))
			dst = &o->keys;
		else if (!strcmp(a, "--etc"))
			dst = &o->etc;
		else if (!strcmp(a, "--var"))
			dst = &o->var;
		else if (!strcmp(a, "--hostname"))
			dst = &o->hostname;
		else if (!strcmp(a, "--net"))
			dst = &o->net;
		else if (!strcmp(a, "--unverified-root-dir"))
			dst = &o->root_dir;
		else if (!strcmp(a, "--verify") && i + 1 < argc &&
			 !strcmp(argv[i + 1], "verity") && ++i)
			o->verify = RUN_VERIFY_VERITY;
		else if (!strcmp(a, "--verify") && i + 1 < argc &&
			 !strcmp(argv[i + 1], "full") && ++i)
			o->verify = RUN_VERIFY_FULL;
		else if (a[0] == '-' || o->image)
			return -1;
		else
			o->image = a;
		if (dst) {
			if (++i == argc)
				return -1;
			*dst = argv[i];
		}
	}
	if (!o->image == !o->root_dir)
		return -1;
	if (o->net && strcmp(o->net, "host") && strcmp(o->net, "none"))
		return -1;
	return 0;
}

/* A directory given on the command line, made if missing, as an absolute
 * path (the container's mounts resolve it from another root). */
static int
run_dir(const char *opt, const char *dir, mode_t mode, char *abs)
{
	char p[PATH_MAX];

	if (snprintf(p, sizeof(p), "%s", dir) >= (int)sizeof(p))
		return keel_errf("run", dir, "%s: path too long", opt);
	for (char *q = p + 1; (q = strchr(q, '/')); q++) {
		*q = 0;
		if (mkdir(p, 0755) && errno != EEXIST)
			return keel_errf("run", p, "%s: %s", opt,
					 strerror(errno));
		*q = '/';
	}
	if (mkdir(dir, mode) && errno != EEXIST)
		return keel_errf("run", dir, "%s: %s", opt, strerror(errno));
	if (!realpath(dir, abs))
		return keel_errf("run", dir, "%s: %s", opt, strerror(errno));
	return 0;
}

/* The image, verified and mounted read-only: a detached mount. */
static int
run_mount_image(const struct run_opts *o)
{
	struct keyset ks;
	struct kerr e = {0};

	if (keel_keyset(o->keys, &ks, "run"))
		return -1;
	if (run_map_image(o->image, &ks, o->verify, &run_img, &e))
		return keel_err("run", o->image, &e), -1;
	return 0;
}

/* The config, read from the tree at rootfd (the verified image's mount). */
static int
run_config(const struct run_opts *o, int rootfd)
{
	struct kerr e = {0};
	long len;

	len = keel_root_read_file(rootfd, IMG_CONFIG_PATH, run_json,
				  sizeof(run_json));
	if (len < 0 && errno != ENOENT)
		return keel_errf("run", IMG_CONFIG_PATH, "%s", strerror(errno));
	if (len < 0 && !o->ncmd)
		return keel_errf("run", o->image ? o->image : o->root_dir,
				 "no %s in IMAGE and no command given",
				 IMG_CONFIG_PATH);
	if (len < 0)
		oci_default(&run_cfg);
	else if (oci_parse(run_json, (size_t)len, &run_cfg, &e))
		return keel_err("run", IMG_CONFIG_PATH, &e);
	if (o->ncmd && oci_set_args(&run_cfg, o->ncmd, o->cmd, &e))
		return keel_err("run", "command", &e);
	/* --net: a developer tries the image on the host's network, or
	 * without one, whatever its config asks for. */
	if (o->net && !strcmp(o->net, "none"))
		run_cfg.ns_flags |= OCI_NS_NET;
	else if (o->net)
		run_cfg.ns_flags &= ~OCI_NS_NET;
	return 0;
}

/* The host's cgroup v2: the unified mount, or its hybrid mount point. */
static const char *
run_cgroup_root(void)
{
	static const char *const roots[] = {RUN_CGROUP_ROOT,
					    RUN_CGROUP_ROOT "/unified"};

	for (size_t i = 0; i < sizeof(roots) / sizeof(roots[0]); i++) {
		char p[64];

		snprintf(p, sizeof(p), "%s/cgroup.controllers", roots[i]);
		if (access(p, R_OK) == 0)
			return roots[i];
	}
	return NULL;
}

/*
 * The container's cgroup wherever this host has a cgroup v2 (it carries
 * the device program), with the limits its controllers allow; where a
 * limit cannot be applied, a notice (an error if the config requires it).
 */
static int
run_cgroup(struct ctr_spec *s)
{
	const struct oci_config *c = s->cfg;
	const char *root;
	struct cgroup_warnings w = {0};
	struct kerr e = {0};
	char name[32];

	/* nothing to put in a cgroup: no limit, no device program */
	if (!c->res.set && !devcg_needed(c))
		return 0;
	root = run_cgroup_root();
	if (!root) {
		if (c->res.required)
			return keel_errf("run", "cgroup",
					 "no cgroup v2 on this host, and the "
					 "config requires its limits");
		if (c->res.set)
			fprintf(stderr, "keel: run: notice: no cgroup v2 on "
					"this host: resource limits not "
					"applied\n");
		return 0;
	}
	snprintf(name, sizeof(name), "keel-run-%d", (int)getpid());
	if (cgroup_create(&run_cg, root, name, c, &w, &e))
		return keel_err("run", "cgroup", &e);
	for (int i = 0; i < w.n; i++)
		fprintf(stderr, "keel: run: notice: %s\n", w.msg[i]);
	s->cg = run_cg.created ? &run_cg : NULL;
	return 0;
}

/* The container on root (a directory), or with root NULL on rootfd (the
 * image's detached mount). */
static int
run_launch(const struct run_opts *o, const char *root, int rootfd)
{
	char *etc = run_etc, *work = run_work, *var = run_var;
	struct ctr_spec s = {.root = root,
			     .root_fd = rootfd,
			     .cfg = &run_cfg,
			     .hostname = o->hostname};
	struct kerr e = {0};
	int rc;

	if (run_config(o, rootfd))
		return CTR_EXIT_SETUP;
	if (o->etc) {
		if (run_dir("--etc", o->etc, 0755, etc))
			return CTR_EXIT_SETUP;
		snprintf(work, sizeof(run_work), "%s.work", etc);
		if (run_dir("--etc", work, 0700, work))
			return CTR_EXIT_SETUP;
		s.etc_upper = etc;
		s.etc_work = work;
	}
	if (o->var) {
		if (run_dir("--var", o->var, 0755, var))
			return CTR_EXIT_SETUP;
		s.var_dir = var;
	}
	if (run_cgroup(&s))
		return CTR_EXIT_SETUP;
	/* fputs: no format, and none of printf's deep stack on the way */
	if (!o->etc)
		fputs("keel: run: notice: no --etc: changes to /etc go to a "
		      "tmpfs and will not persist\n",
		      stderr);
	if (!o->var)
		fputs("keel: run: notice: no --var: /var/lib is a tmpfs and "
		      "will not persist\n",
		      stderr);
	if (ctr_start(&s, &run_ctr, &e)) {
		keel_err("run", "launch", &e);
		rc = run_ctr.exit_code;
	} else {
		/* The container has attached the mount: keel's descriptor
		 * can go while the app runs, off the exit path. */
		if (o->image)
			run_unmap_image(&run_img);
		rc = ctr_wait(&run_ctr);
	}
	if (s.cg)
		cgroup_remove(&run_cg, NULL);
	return rc;
}

int
cmd_run(int argc, char **argv)
{
	struct run_opts o = {0};
	int rc;

	if (argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")))
		return run_help();
	if (run_args(argc, argv, &o)) {
		keel_usage(RUN_USAGE);
		return CTR_EXIT_SETUP;
	}
	if (geteuid() != 0) {
		keel_errf("run", NULL,
			  "needs root (loop devices, mounts, "
			  "namespaces)");
		return CTR_EXIT_SETUP;
	}
	if (o.root_dir) {
		char abs[PATH_MAX];
		int fd;

		if (!realpath(o.root_dir, abs) ||
		    (fd = open(abs, O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0) {
			keel_errf("run", o.root_dir, "%s", strerror(errno));
			return CTR_EXIT_SETUP;
		}
		rc = run_launch(&o, abs, fd);
		close(fd);
		return rc;
	}
	if (run_mount_image(&o))
		return CTR_EXIT_SETUP;
	rc = run_launch(&o, NULL, run_img.mnt_fd);
	run_unmap_image(&run_img);
	return rc;
}
