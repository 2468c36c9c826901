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
#define APP_START_FD 5

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
    "keel app\n"
    "  keel-init runs it (lib/ipc/appmsg.h): it parses the verified\n"
    "  image's config.json on fd 4 and answers with a record on fd 3,\n"
    "  then waits for the start on fd 5 (the paths and environment\n"
    "  entries keel-init owns), sets up the app's container (its first\n"
    "  process keel-init's child) with fds 0-2 as the app's stdio and\n"
    "  answers with a second record: the app's pid, or why not.\n";

/* Large, used once: static. */
static struct oci_config cfg;
static struct ctr ctr;
static struct cgroup cg;
static char json[OCI_JSON_MAX];
static struct appstart msg;
static char *app_env[OCI_MAX_ENV + APPSTART_ENV + 1];

/* A record; the last one (end) then the pipe's end: keel-init has the
 * whole answer now, not once this process has wound down. */
static int
send_record(struct appmsg *m, int end)
{
	ssize_t n = write(APP_RECORD_FD, m, sizeof(*m));

	if (end)
		close(APP_RECORD_FD);
	return n == (ssize_t)sizeof(*m) ? 0 : 1;
}

static int
refuse(unsigned status, const char *check, const char *text)
{
	struct appmsg m;

	memset(&m, 0, sizeof(m));
	appmsg_fill(&m, status, check, text);
	send_record(&m, 1);
	return status ? (int)status : 1;
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
 * "keel-test-app:junk" makes it answer with a short record and exit 0,
 * "keel-test-app:start-segv" kills it by SIGSEGV after its check's
 * record, while it waits for its start (tests/host/init_app.sh). Never
 * in keel.
 */
static int start_segv;

static void
app_test_hook(const char *text, size_t n)
{
	static const char junk[] = "keel-test-app:junk";
	struct rlimit no_core = {0, 0};

	setrlimit(RLIMIT_CORE, &no_core);
	if (memmem(text, n, "keel-test-app:segv", 18))
		raise(SIGSEGV);
	start_segv = !!memmem(text, n, "keel-test-app:start-segv", 24);
	if (memmem(text, n, junk, sizeof(junk) - 1)) {
		(void)!write(APP_RECORD_FD, junk, sizeof(junk));
		_exit(0);
	}
}
#define app_test_start() (start_segv ? raise(SIGSEGV) : 0)
#else
#define app_test_hook(text, n) ((void)0)
#define app_test_start() ((void)0)
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

/* The start's path i, or NULL when it is empty. */
static const char *
start_path(int i)
{
	return msg.path[i][0] ? msg.path[i] : NULL;
}

/* The app's cgroup under the start's cgroup root where it is a cgroup
 * v2 tree (as keel-init always did): a failure is the start's. */
static int
setup_cgroup(struct kerr *e)
{
	static struct cgroup_warnings w;
	const char *root = start_path(APPSTART_CGROUP);
	char probe[CGROUP_PATH_MAX];

	if (!root)
		return 0;
	snprintf(probe, sizeof(probe), "%s/cgroup.controllers", root);
	if (access(probe, F_OK) < 0)
		return 0;
	if (cgroup_create(&cg, root, "keel/app", &cfg, &w, e) < 0)
		return -1;
	/* on the app's stderr: keel-init's log of the app */
	for (int i = 0; i < w.n; i++)
		dprintf(2, "keel app: cgroup: %s\n", w.msg[i]);
	return 0;
}

/*
 * The start on fd 5: 0 with msg filled and checked; 1 when keel-init
 * closed the pipe before one (it starts no app with this run: nothing
 * to answer); else the refusal already sent (its status). Read to its
 * size only, not to the pipe's end: a child keel-init forked meanwhile
 * may hold the other end open.
 */
static int
read_start(void)
{
	char *p = (char *)&msg;
	size_t got = 0;
	struct kerr e = {0};

	while (got < sizeof(msg)) {
		ssize_t n = read(APP_START_FD, p + got, sizeof(msg) - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(APP_START_FD);
	if (got == 0)
		return 1;
	if (appstart_check(&msg, got, &e) < 0)
		return refuse(APPMSG_SETUP, e.check, e.detail);
	return 0;
}

static int
start(struct appmsg *m)
{
	static const int stdio[3] = {0, 1, 2};
	sigset_t none;
	struct ctr_spec s;
	struct kerr e = {0};
	int n = 0, rc;

	app_test_start();
	rc = read_start();
	if (rc)
		return rc == 1 ? 0 : rc;
	for (int i = 0; i < cfg.nenv; i++)
		app_env[n++] = cfg.env[i];
	for (uint32_t i = 0; i < msg.nenv; i++)
		app_env[n++] = msg.env[i];
	app_env[n] = NULL;
	sigemptyset(&none);
	memset(&s, 0, sizeof(s));
	s.root = start_path(APPSTART_ROOT);
	s.etc_upper = start_path(APPSTART_ETC_UPPER);
	s.etc_work = start_path(APPSTART_ETC_WORK);
	s.var_dir = start_path(APPSTART_VAR);
	s.cfg = &cfg;
	s.app_mask = &none;
	s.keel_run = start_path(APPSTART_RUN);
	s.keel_bin = start_path(APPSTART_BIN);
	s.resolv_conf = start_path(APPSTART_RESOLV);
	s.env = app_env;
	s.stdio = stdio;
	s.clone_parent = 1;
	if (setup_cgroup(&e) < 0)
		return refuse(APPMSG_SETUP, "cgroup", e.detail);
	s.cg = cg.created ? &cg : NULL;
	if (ctr_start(&s, &ctr, &e) < 0)
		return refuse((unsigned)ctr.exit_code,
			      e.check ? e.check : "start", e.detail);
	m->pid = ctr.pid;
	return send_record(m, 1);
}

int
cmd_app(int argc, char **argv)
{
	struct appmsg m;
	int rc;

	if (argc == 2 && !strcmp(argv[1], "--help"))
		return printf("%s", help), 0;
	/* only keel-init's pipes on fds 3-5 make this run mean anything */
	if (argc != 1 || fcntl(APP_RECORD_FD, F_GETFD) < 0 ||
	    fcntl(APP_CONFIG_FD, F_GETFD) < 0 ||
	    fcntl(APP_START_FD, F_GETFD) < 0) {
		fprintf(stderr, "usage: %s", help);
		return 2;
	}
	fcntl(APP_RECORD_FD, F_SETFD, FD_CLOEXEC);
	fcntl(APP_CONFIG_FD, F_SETFD, FD_CLOEXEC);
	fcntl(APP_START_FD, F_SETFD, FD_CLOEXEC);
	rc = read_config();
	if (rc)
		return rc;
	memset(&m, 0, sizeof(m));
	appmsg_fill(&m, APPMSG_OK, "", cfg.args[0]);
	fill_settings(&m, &cfg);
	/* the check's answer: keel-init chooses the slot by it */
	if (send_record(&m, 0))
		return 1;
	return start(&m);
}
