// SPDX-License-Identifier: MIT
/* keel app: the config check and the container setup keel-init runs. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "launcher/commands.h"
#include "lib/base/io.h"
#include "lib/container/cgroup.h"
#include "lib/container/container.h"
#include "lib/image/image.h"
#include "lib/ipc/appmsg.h"

#define APP_RECORD_FD 3
#define APP_CONFIG_FD 4
#define APP_MAX_ENV 8 /* --env entries: keel-init passes two */

_Static_assert(OCI_RESTART_ALWAYS == APPMSG_RESTART_ALWAYS &&
		   OCI_RESTART_ON_FAILURE == APPMSG_RESTART_ON_FAILURE &&
		   OCI_RESTART_NO == APPMSG_RESTART_NO,
	       "org.keel.restart's values in the record");
_Static_assert(APPMSG_MS_MAX == OCI_KEEL_MS_MAX,
	       "the record's bound on durations is the parser's");
_Static_assert(sizeof(((struct appmsg *)0)->text) ==
		   sizeof(((struct kerr *)0)->detail),
	       "a kerr's detail fits the record whole");

static const char help[] =
    "keel app --check | --start --root DIR [--etc-upper DIR --etc-work DIR]\n"
    "         [--var DIR] [--run DIR] [--bin FILE] [--resolv FILE]\n"
    "         [--cgroup ROOT] [--env K=V]...\n"
    "  keel-init runs it (lib/ipc/appmsg.h): it parses the verified\n"
    "  image's config.json on fd 4 and answers with one record on fd 3.\n"
    "  --check stops there; --start then sets up the app's container\n"
    "  (its first process keel-init's child) with fds 0-2 as the app's\n"
    "  stdio and the --env entries after the config's environment.\n";

struct app_opts {
	int start;
	const char *root, *etc_upper, *etc_work, *var, *run, *bin, *resolv,
	    *cgroup;
	char *env[APP_MAX_ENV];
	int nenv;
};

/* Large, used once: static. */
static struct oci_config cfg;
static struct ctr ctr;
static struct cgroup cg;
static char json[OCI_JSON_MAX];
static char *app_env[OCI_MAX_ENV + APP_MAX_ENV + 1];

/* The one record, then the pipe's end: keel-init has the whole answer
 * now, not once this process has wound down. */
static int
send_record(struct appmsg *m)
{
	ssize_t n = write(APP_RECORD_FD, m, sizeof(*m));

	close(APP_RECORD_FD);
	return n == (ssize_t)sizeof(*m) ? 0 : 1;
}

static int
refuse(unsigned status, const char *check, const char *text)
{
	struct appmsg m;

	memset(&m, 0, sizeof(m));
	appmsg_fill(&m, status, check, text);
	send_record(&m);
	return status ? (int)status : 1;
}

static int
opt_value(const char *a, const char *name, const char **dst, const char *v)
{
	if (strcmp(a, name))
		return 0;
	*dst = v;
	return 1;
}

static int
parse_args(int argc, char **argv, struct app_opts *o)
{
	int i = 1;

	if (argc >= 2 && !strcmp(argv[1], "--check"))
		return argc == 2 ? 0 : -1;
	if (argc < 2 || strcmp(argv[1], "--start"))
		return -1;
	o->start = 1;
	for (i = 2; i + 1 < argc; i += 2) {
		const char *a = argv[i], *v = argv[i + 1];

		if (!strcmp(a, "--env") && o->nenv < APP_MAX_ENV) {
			o->env[o->nenv++] = argv[i + 1];
			continue;
		}
		if (!opt_value(a, "--root", &o->root, v) &&
		    !opt_value(a, "--etc-upper", &o->etc_upper, v) &&
		    !opt_value(a, "--etc-work", &o->etc_work, v) &&
		    !opt_value(a, "--var", &o->var, v) &&
		    !opt_value(a, "--run", &o->run, v) &&
		    !opt_value(a, "--bin", &o->bin, v) &&
		    !opt_value(a, "--resolv", &o->resolv, v) &&
		    !opt_value(a, "--cgroup", &o->cgroup, v))
			return -1;
	}
	return i == argc && o->root && !o->etc_upper == !o->etc_work ? 0 : -1;
}

/* Whether the config mounts /etc or /etc/resolv.conf itself. */
static int
mounts_resolv(const struct oci_config *c)
{
	for (int i = 0; i < c->nmounts; i++)
		if (!strcmp(c->mounts[i].destination, "/etc/resolv.conf") ||
		    !strcmp(c->mounts[i].destination, "/etc"))
			return 1;
	return 0;
}

/* The settings keel-init supervises with, from the parsed config. */
static void
fill_settings(struct appmsg *m, const struct oci_config *c)
{
	m->flags = (c->keel.notify ? APPMSG_NOTIFY : 0) |
		   (c->ns_flags & OCI_NS_NET ? APPMSG_OWN_NET : 0) |
		   (mounts_resolv(c) ? APPMSG_MOUNTS_RESOLV : 0);
	m->restart = (uint32_t)c->keel.restart;
	m->healthy_after_ms = c->keel.healthy_after_ms;
	m->stop_grace_ms = c->keel.stop_grace_ms;
	m->watchdog_ms = c->keel.watchdog_ms;
	m->restart_delay_ms = c->keel.restart_delay_ms;
	m->restart_max_delay_ms = c->keel.restart_max_delay_ms;
}

#ifdef KEEL_TEST_HOOKS
/*
 * keel-test only: a config holding "keel-test-app:segv" kills keel app
 * by SIGSEGV while it checks it (a parser crash on a signed config),
 * "keel-test-app:junk" makes it answer with a short record and exit 0
 * (tests/host/init_app.sh). Never in keel.
 */
static void
app_test_hook(const char *text, size_t n)
{
	static const char junk[] = "keel-test-app:junk";
	struct rlimit no_core = {0, 0};

	if (memmem(text, n, "keel-test-app:segv", 18)) {
		setrlimit(RLIMIT_CORE, &no_core);
		raise(SIGSEGV);
	}
	if (memmem(text, n, junk, sizeof(junk) - 1)) {
		(void)!write(APP_RECORD_FD, junk, sizeof(junk));
		_exit(0);
	}
}
#else
#define app_test_hook(text, n) ((void)0)
#endif

/* config.json on fd 4: 0, or the refusal already sent (its status). */
static int
read_config(void)
{
	char text[200];
	struct kerr e = {0};
	long n = io_read_fd(APP_CONFIG_FD, json, sizeof(json));

	close(APP_CONFIG_FD);
	if (n == -EFBIG) {
		snprintf(text, sizeof(text), "%s: over %d bytes",
			 IMG_CONFIG_PATH, OCI_JSON_MAX);
		return refuse(APPMSG_CONFIG, "config", text);
	}
	if (n < 0) {
		snprintf(text, sizeof(text), "%s: %s", IMG_CONFIG_PATH,
			 io_strerror((int)n));
		return refuse(APPMSG_IO, "config", text);
	}
	app_test_hook(json, (size_t)n);
	if (oci_parse(json, (size_t)n, &cfg, &e) < 0)
		return refuse(APPMSG_CONFIG, "config", e.detail);
	return 0;
}

/* The app's cgroup under o->cgroup where it is a cgroup v2 tree (as
 * keel-init always did): a failure is the start's. */
static int
setup_cgroup(const struct app_opts *o, struct kerr *e)
{
	static struct cgroup_warnings w;
	char probe[CGROUP_PATH_MAX];

	if (!o->cgroup)
		return 0;
	snprintf(probe, sizeof(probe), "%s/cgroup.controllers", o->cgroup);
	if (access(probe, F_OK) < 0)
		return 0;
	if (cgroup_create(&cg, o->cgroup, "keel/app", &cfg, &w, e) < 0)
		return -1;
	/* on the app's stderr: keel-init's log of the app */
	for (int i = 0; i < w.n; i++)
		dprintf(2, "keel app: cgroup: %s\n", w.msg[i]);
	return 0;
}

static int
start(const struct app_opts *o, struct appmsg *m)
{
	static const int stdio[3] = {0, 1, 2};
	sigset_t none;
	struct ctr_spec s;
	struct kerr e = {0};
	int n = 0;

	for (int i = 0; i < cfg.nenv; i++)
		app_env[n++] = cfg.env[i];
	for (int i = 0; i < o->nenv; i++)
		app_env[n++] = o->env[i];
	app_env[n] = NULL;
	sigemptyset(&none);
	memset(&s, 0, sizeof(s));
	s.root = o->root;
	s.etc_upper = o->etc_upper;
	s.etc_work = o->etc_work;
	s.var_dir = o->var;
	s.cfg = &cfg;
	s.app_mask = &none;
	s.keel_run = o->run;
	s.keel_bin = o->bin;
	s.resolv_conf = o->resolv;
	s.env = app_env;
	s.stdio = stdio;
	s.clone_parent = 1;
	if (setup_cgroup(o, &e) < 0)
		return refuse(APPMSG_SETUP, "cgroup", e.detail);
	s.cg = cg.created ? &cg : NULL;
	if (ctr_start(&s, &ctr, &e) < 0)
		return refuse((unsigned)ctr.exit_code,
			      e.check ? e.check : "start", e.detail);
	m->pid = ctr.pid;
	return send_record(m);
}

int
cmd_app(int argc, char **argv)
{
	struct app_opts o;
	struct appmsg m;
	int rc;

	memset(&o, 0, sizeof(o));
	if (argc == 2 && !strcmp(argv[1], "--help"))
		return printf("%s", help), 0;
	/* only keel-init's pipe on fd 3 makes this run mean anything */
	if (parse_args(argc, argv, &o) < 0 ||
	    fcntl(APP_RECORD_FD, F_GETFD) < 0 ||
	    fcntl(APP_CONFIG_FD, F_GETFD) < 0) {
		fprintf(stderr, "usage: %s", help);
		return 2;
	}
	fcntl(APP_RECORD_FD, F_SETFD, FD_CLOEXEC);
	fcntl(APP_CONFIG_FD, F_SETFD, FD_CLOEXEC);
	rc = read_config();
	if (rc)
		return rc;
	memset(&m, 0, sizeof(m));
	appmsg_fill(&m, APPMSG_OK, "", cfg.args[0]);
	fill_settings(&m, &cfg);
	if (!o.start)
		return send_record(&m);
	return start(&o, &m);
}
