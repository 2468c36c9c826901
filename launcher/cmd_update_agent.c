// SPDX-License-Identifier: MIT
/* keel update-agent: polls a manifest, installs through keel-init, reports. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "launcher/commands.h"
#include "launcher/keel.h"
#include "launcher/upd.h"
#include "lib/base/io.h"
#include "lib/ipc/control.h"
#include "lib/update/installer.h"

/* A network wait that times out, and the download's first retry after
 * 1 s, fit in the installer's wait for this client: a short outage is
 * resumed, not abandoned (docs/UPDATE.md §4.1). */
_Static_assert(INSTALLER_IDLE_MS >= 2 * UPD_TIMEOUT_MS,
	       "the installer outwaits one timed-out request and a retry");

static const char usage[] =
    "keel update-agent --id ID [--conf FILE] [--conf-fd N]\n"
    "                  [--device-conf FILE] [--device-conf-fd N] [--ca "
    "PEM]...\n"
    "                  [--socket PATH] [--status-fd N] [--once]\n"
    "\n"
    "The device's update agent (docs/UPDATE.md §6); keel-init runs it. It\n"
    "polls the manifest named by update.conf, takes the newest bundle for\n"
    "the device's board when the policy allows (newer, not failed here,\n"
    "in the rollout), streams it into keel-init's installer through the\n"
    "control socket, reboots by the policy and reports to the server.\n"
    "  --conf FILE, --conf-fd N  the image's update.conf\n"
    "  --device-conf FILE, --device-conf-fd N  the device's: replaces the\n"
    "                     image's when it is valid\n"
    "  --ca PEM           trust anchors for https (the image's)\n"
    "  --id ID            the device id (32 lower-case hex digits)\n"
    "  --socket PATH      keel-init's control socket\n"
    "  --status-fd N      keel-init's status socket (key=value datagrams)\n"
    "  --once             one poll (and install), then exit\n";

static volatile sig_atomic_t stop;

static void
on_term(int sig)
{
	(void)sig;
	stop = 1;
}

int
upd_stopping(void)
{
	return stop;
}

__attribute__((format(__printf__, 1, 2))) static void
say(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static uint64_t
now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000 + (uint64_t)t.tv_nsec / 1000000;
}

/* The agent's keys to keel-init, if it listens (docs/AGENTS.md §2). */
static void
send_status(struct upd *u)
{
	char buf[512];
	int n = fleet_status(&u->run, buf, sizeof(buf));

	u->last_status_ms = now_ms();
	if (n > 0 && u->status_fd >= 0)
		(void)!send(u->status_fd, buf, (size_t)n,
			    MSG_DONTWAIT | MSG_NOSIGNAL);
}

void
upd_progress(struct upd *u, uint64_t done, uint64_t total)
{
	(void)done;
	(void)total;
	if (now_ms() - u->last_status_ms >= 1000)
		send_status(u);
}

static void
step(struct upd *u, int ev, const char *why)
{
	if (fleet_step(&u->run, ev, why) == 0)
		send_status(u);
}

/* Sleeps s seconds, or until TERM. */
static void
nap(uint32_t s)
{
	struct timespec t = {(time_t)s, 0};

	while (!stop && nanosleep(&t, &t) < 0 && errno == EINTR)
		;
}

/* update.conf: the image's, then the device's, which replaces it when
 * valid. A source is a file (path) or a descriptor (fd >= 0). */
static void
load_conf(struct upd *u, const int *fds, const char *const *paths)
{
	static const char *const what[UPD_CONF_MAX] = {"image",
						       "etc partition"};
	static char buf[FLEET_CONF_MAX + 1];
	struct fleet_conf c;

	fleet_conf_defaults(&u->conf);
	for (int i = 0; i < UPD_CONF_MAX; i++) {
		struct kerr e = {0};
		long len;

		if (fds[i] < 0 && !paths[i])
			continue;
		len = fds[i] >= 0 ? io_read_fd(fds[i], buf, sizeof(buf))
				  : io_read_file(paths[i], buf, sizeof(buf));
		if (len < 0) {
			say("update.conf (%s): %s", what[i],
			    io_strerror((int)len));
			continue;
		}
		if (fleet_conf_parse(buf, (size_t)len, &c, &e) < 0) {
			say("update.conf (%s): refused: %s", what[i], e.detail);
			continue;
		}
		u->conf = c;
	}
}

/* The manifest, parsed (u->f.c.url: where it came from, after
 * redirects). */
static int
get_manifest(struct upd *u, struct manifest *m, struct kerr *e)
{
	static char buf[MANIFEST_MAX + 1];
	long n;

	if (fetch_open(&u->f, u->conf.url, u->conf.allow_http, UPD_TIMEOUT_MS,
		       e) < 0 ||
	    (n = fetch_small(&u->f, buf, sizeof(buf), e)) < 0)
		return -1;
	return manifest_parse(buf, (size_t)n, m, e);
}

/* ref (a manifest's bundle or report) resolved against the manifest's
 * URL, as text. 0 or -1. */
static int
resolve(struct upd *u, const char *ref, char *out, size_t cap, struct kerr *e)
{
	struct http_url x;

	if (http_url_resolve(&u->f.c.url, ref, strlen(ref), &x, e) < 0)
		return -1;
	if (http_url_format(&x, out, cap) < 0)
		return kerr_set(e, "url", "too long");
	return 0;
}

/* POSTs a report (docs/UPDATE.md §6.4); a failure is only logged. */
static void
report(struct upd *u, const struct fleet_sys *sys, const char *url,
       const char *result, uint64_t version, const char *reason)
{
	struct fleet_report r = {u->id,	 sys->board, sys->running_version,
				 result, version,    reason};
	char body[FLEET_REPORT_MAX];
	struct http_url to;
	struct kerr e = {0};
	int n = fleet_report_json(&r, body, sizeof(body)), st;

	if (!url[0] || n < 0)
		return;
	if (http_url_parse(url, strlen(url), &to, &e) < 0 ||
	    (!to.tls && !u->conf.allow_http)) {
		say("report: %s: refused (%s)", url,
		    e.check ? e.detail : "plain http not allowed");
		return;
	}
	st = http_post(&u->f.c, &to, "application/json", body, (size_t)n, &e);
	if (st < 200 || st > 299)
		say("report: %s: %s", url, st < 0 ? e.detail : "not accepted");
	else
		say("report: %s, version %llu%s%s (%s)", result,
		    (unsigned long long)version,
		    reason && *reason ? ", reason: " : "", reason ? reason : "",
		    url);
}

/* Waits for the reboot the policy allows, then asks for it. */
static void
reboot_by_policy(struct upd *u)
{
	struct kerr e = {0};
	uint32_t w;

	if (u->conf.reboot == FLEET_REBOOT_APP) {
		say("installed: waiting for the app to reboot (keel reboot)");
		step(u, FLEET_EV_WAIT, NULL);
		while (!stop)
			nap(3600);
		return;
	}
	while (!stop && (w = fleet_window_wait(&u->conf, (uint64_t)time(0)))) {
		say("installed: reboot in the window, in %u s", w);
		step(u, FLEET_EV_WAIT, NULL);
		nap(w > 600 ? 600 : w);
	}
	if (stop)
		return;
	step(u, FLEET_EV_REBOOT, NULL);
	say("installed: rebooting");
	if (upd_reboot(u, &e) < 0)
		step(u, FLEET_EV_FAIL, e.detail);
}

/* One poll: status, manifest, choice, install. 1 if it installed. */
static int
poll_once(struct upd *u, int *reported)
{
	static struct manifest m;
	static struct fleet_sys sys;
	const struct manifest_entry *x;
	char why[160], url[HTTP_URL_MAX + 1], rep[HTTP_URL_MAX + 1] = "";
	struct kerr e = {0};
	uint64_t t0;
	int v;

	step(u, FLEET_EV_POLL, NULL);
	if (upd_status(u, &sys, &e) < 0 || get_manifest(u, &m, &e) < 0) {
		say("poll: %s: %s", e.check, e.detail);
		step(u, FLEET_EV_FAIL, e.detail);
		return 0;
	}
	if (u->conf.report[0])
		snprintf(rep, sizeof(rep), "%s", u->conf.report);
	else if (m.report[0] && resolve(u, m.report, rep, sizeof(rep), &e))
		rep[0] = 0;
	if (!*reported && sys.booted && sys.booted == sys.committed &&
	    !sys.commit_pending) {
		/* Once per boot, once the booted slot is committed. */
		report(u, &sys, rep, "booted", sys.running_version,
		       sys.last_fail);
		*reported = 1;
	}
	v = fleet_decide(&m, &sys.d, &x, why, sizeof(why));
	say("manifest: %s: %s", fleet_verdict_name(v), why);
	if (v != FLEET_TAKE) {
		step(u, FLEET_EV_NOTHING, NULL);
		return 0;
	}
	if (resolve(u, x->url, url, sizeof(url), &e) < 0) {
		step(u, FLEET_EV_FAIL, e.detail);
		return 0;
	}
	u->run.version = x->version;
	u->run.total = x->size;
	step(u, FLEET_EV_TAKE, NULL);
	t0 = now_ms();
	say("installing version %llu from %s (%llu bytes)",
	    (unsigned long long)x->version, url, (unsigned long long)x->size);
	if (upd_install(u, x, url, &e) < 0) {
		char r[256];

		snprintf(r, sizeof(r), "%s: %s", e.check, e.detail);
		say("install: %s", r);
		step(u, FLEET_EV_FAIL, r);
		report(u, &sys, rep, "failed", x->version, r);
		return 0;
	}
	step(u, FLEET_EV_DONE, NULL);
	say("installed version %llu: fetched %llu of %llu bundle bytes in "
	    "%llu ms (%s)",
	    (unsigned long long)x->version,
	    (unsigned long long)(u->got + IMG_META_SIZE),
	    (unsigned long long)x->size, (unsigned long long)(now_ms() - t0),
	    u->stats);
	report(u, &sys, rep, "installed", x->version, NULL);
	return 1;
}

static int
run(struct upd *u)
{
	struct kerr e = {0};
	int reported = 0;
	uint32_t rnd;

	if (fetch_anchors(&u->f, u->ca, u->nca, &e) < 0)
		return keel_err("update-agent", "ca", &e);
	if (!u->conf.url[0]) {
		say("no url in update.conf: nothing to poll");
		fleet_step(&u->run, FLEET_EV_POLL, NULL);
		step(u, FLEET_EV_FAIL, "no url in update.conf");
		return 0;
	}
	send_status(u);
	while (!stop) {
		if (poll_once(u, &reported) && !u->once) {
			reboot_by_policy(u);
			return 0;
		}
		fetch_close(&u->f);
		if (u->once)
			return u->run.state == FLEET_FAILED_ST ? KEEL_EXIT_FAIL
							       : 0;
		if (getrandom(&rnd, sizeof(rnd), 0) != sizeof(rnd))
			rnd = (uint32_t)now_ms();
		nap(fleet_delay(&u->conf, u->run.failures, rnd));
	}
	return 0;
}

int
cmd_update_agent(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"conf", 1, 0, 'c'},
	    {"conf-fd", 1, 0, 'C'},
	    {"device-conf", 1, 0, 'd'},
	    {"device-conf-fd", 1, 0, 'D'},
	    {"ca", 1, 0, 'a'},
	    {"id", 1, 0, 'i'},
	    {"socket", 1, 0, 's'},
	    {"status-fd", 1, 0, 'S'},
	    {"once", 0, 0, 'o'},
	    {"help", 0, 0, 'h'},
	    {0, 0, 0, 0},
	};
	static struct upd u;
	const char *paths[UPD_CONF_MAX] = {NULL, NULL};
	int fds[UPD_CONF_MAX] = {-1, -1}, c;
	struct sigaction sa = {.sa_handler = on_term};

	u.sock = CONTROL_PATH;
	u.status_fd = -1;
	fleet_run_init(&u.run);
	while ((c = getopt_long(argc, argv, "c:C:d:D:a:i:s:S:oh", opts, 0)) !=
	       -1) {
		if (c == 'c' || c == 'd')
			paths[c == 'd'] = optarg;
		else if (c == 'C' || c == 'D')
			fds[c == 'D'] = atoi(optarg);
		else if (c == 'a' && u.nca < UPD_CA_MAX) {
			u.ca[u.nca++] = optarg;
		} else if (c == 'i') {
			u.id = optarg;
		} else if (c == 's') {
			u.sock = optarg;
		} else if (c == 'S') {
			u.status_fd = atoi(optarg);
		} else if (c == 'o') {
			u.once = 1;
		} else if (c == 'h') {
			fputs(usage, stdout);
			return 0;
		} else {
			return keel_usage(usage);
		}
	}
	if (optind != argc || !u.id || !fleet_id_ok(u.id, strlen(u.id)))
		return keel_usage(usage);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	load_conf(&u, fds, paths);
	return run(&u);
}
