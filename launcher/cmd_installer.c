// SPDX-License-Identifier: MIT
/* keel installer: one update's bundle into the slot keel-init gave it. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "launcher/commands.h"
#include "launcher/keel.h"
#include "lib/update/bundle.h"
#include "lib/update/installer.h"
#include "lib/update/want.h"

static const char help[] =
    "keel installer --committed N --floor N [--board NAME]\n"
    "  keel-init runs it for each update (lib/update/installer.h): it\n"
    "  installs the bundle on fd 5 into the slot on fd 6 with the baked\n"
    "  keys, sends progress to the client on fd 4, and asks keel-init on\n"
    "  fd 7 to mark the slot not bootable before its first write. A\n"
    "  client that serves ranges (lib/update/want.h) is asked on fd 4\n"
    "  for the parts it needs; blocks are copied from the running slot\n"
    "  on fd 8 when keel-init gave it.\n";

#ifdef KEEL_TEST_HOOKS
#define IDLE_MS 2000 /* keel-test: tests/host/stall.sh stalls 2 s, not 60 */
#else
#define IDLE_MS INSTALLER_IDLE_MS
#endif

struct job {
	int client, init;
	uint64_t last; /* bytes at the last progress line */
};

/* The bundle's checks passed: keel-init marks the slot, or refuses. */
static int
prepare(void *ctx, const struct img_meta *m, struct kerr *e)
{
	struct job *j = ctx;
	struct installer_msg msg;
	uint8_t ok = 1;

	memset(&msg, 0, sizeof(msg));
	msg.kind = INSTALLER_PREPARE;
	msg.version = m->h.version;
	msg.epoch = m->h.epoch;
	img_digest(m, msg.digest);
	if (send(j->init, &msg, sizeof(msg), MSG_NOSIGNAL) != sizeof(msg) ||
	    recv(j->init, &ok, 1, 0) != 1 || ok != 0)
		return kerr_set(e, "state",
				"keel-init did not mark the slot not bootable: "
				"nothing written");
	return 0;
}

/* Progress lines to the client, every 1%: a slow client slows only us. */
static void
progress(void *ctx, uint64_t done, uint64_t total)
{
	struct job *j = ctx;
	char buf[96];
	int n;

	if (done != total && done - j->last < total / 100)
		return;
	j->last = done;
	n = snprintf(buf, sizeof(buf), "progress=%llu/%llu\n",
		     (unsigned long long)done, (unsigned long long)total);
	(void)!send(j->client, buf, (size_t)n, MSG_NOSIGNAL);
}

/* What the install read and from where: a line for the client. */
static void
stats(struct job *j, const struct bundle_stats *s, const struct want_src *ws)
{
	char buf[200];
	int n = snprintf(
	    buf, sizeof(buf),
	    "installed=read %llu bundle bytes in %llu ranges; "
	    "blocks: %llu fetched, %llu copied, %llu kept\n",
	    (unsigned long long)s->read, (unsigned long long)ws->ranges,
	    (unsigned long long)s->fetched, (unsigned long long)s->copied,
	    (unsigned long long)s->kept);

	(void)!send(j->client, buf, (size_t)n, MSG_NOSIGNAL);
}

static int
fail(int init, const struct kerr *e, int code)
{
	char msg[1 + INSTALLER_REASON_MAX];
	int n =
	    snprintf(msg + 1, sizeof(msg) - 1, "%s: %s", e->check, e->detail);

	msg[0] = INSTALLER_ERROR;
	if (n > INSTALLER_REASON_MAX)
		n = INSTALLER_REASON_MAX;
	(void)!send(init, msg, 1 + (size_t)n, MSG_NOSIGNAL);
	return code;
}

static int
number(const char *s, uint64_t *v)
{
	return text_u64(s, strlen(s), v);
}

int
cmd_installer(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"board", 1, 0, 'b'},
	    {"committed", 1, 0, 'c'},
	    {"floor", 1, 0, 'f'},
	    {0, 0, 0, 0},
	};
	static struct bundle_work w;
	static struct want_src ws;
	static struct keyset ks;
	struct bundle_policy pol = {.ks = &ks, .arch = IMG_ARCH_HOST};
	struct job j = {INSTALLER_FD_CLIENT, INSTALLER_FD_INIT, 0};
	struct bundle_hooks hooks = {prepare, progress, &j};
	struct installer_msg done;
	int src = INSTALLER_FD_BUNDLE, from = INSTALLER_FD_FROM, c, have = 0;
	struct bundle_src bs;
	int flags;
	struct kerr e = {0};
	struct img_meta m;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'b')
			pol.board = optarg;
		else if (c == 'c' &&
			 number(optarg, &pol.committed_version) == 0)
			have |= 1;
		else if (c == 'f' && number(optarg, &pol.epoch_floor) == 0)
			have |= 2;
		else
			return keel_usage(help);
	}
	if (optind != argc || have != 3 || fcntl(j.init, F_GETFD) < 0 ||
	    fcntl(INSTALLER_FD_SLOT, F_GETFD) < 0)
		return keel_usage(help);
	if (keel_keyset(NULL, &ks, "installer") < 0) {
		kerr_set(&e, "keys", "the baked key set is refused");
		return fail(j.init, &e, INSTALLER_REFUSED);
	}
	/* The stream blocks here, never in keel-init (whose copy it is). */
	flags = fcntl(src, F_GETFL);
	if (flags >= 0)
		fcntl(src, F_SETFL, flags & ~O_NONBLOCK);
	if (fcntl(from, F_GETFD) < 0)
		from = -1;
	if (want_src_open(&ws, src, j.client, from, IDLE_MS, &bs, &e) < 0)
		return fail(j.init, &e, INSTALLER_REFUSED);
	if (bundle_install_src(&bs, INSTALLER_FD_SLOT, &pol, &hooks, &w, &m,
			       &e) < 0)
		return fail(j.init, &e,
			    w.touched ? INSTALLER_FAILED : INSTALLER_REFUSED);
	stats(&j, &w.stats, &ws);
	if (fsync(INSTALLER_FD_SLOT) < 0) {
		kerr_set(&e, "sync", "%s", strerror(errno));
		return fail(j.init, &e, INSTALLER_FAILED);
	}
	memset(&done, 0, sizeof(done));
	done.kind = INSTALLER_DONE;
	done.version = m.h.version;
	done.epoch = m.h.epoch;
	img_digest(&m, done.digest);
	if (send(j.init, &done, sizeof(done), MSG_NOSIGNAL) != sizeof(done)) {
		kerr_set(&e, "report", "keel-init: %s", strerror(errno));
		return fail(j.init, &e, INSTALLER_FAILED);
	}
	return 0;
}
