// SPDX-License-Identifier: MIT
/* The control socket: status, reboot, poweroff, factory reset, updates. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/reboot.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "init/init.h"
#include "keel_version.h"
#include "lib/base/fmt.h"
#include "lib/ipc/control.h"
#include "lib/update/installer.h"

/*
 * A client that has connected but not yet sent its request. PID 1 never
 * blocks on a client: sockets are non-blocking, a request must arrive
 * within INIT_CTL_DEADLINE_MS, and there are at most INIT_CTL_CONNS.
 */
struct conn {
	int fd;
	uint64_t deadline_us;
	struct control_conn cc;
};
static struct conn conns[INIT_CTL_CONNS];
static int listen_fd = -1;

/*
 * The one update in progress: `keel installer` (an agent run once per
 * update, lib/update/installer.h) writing the update target from the
 * client's stream. PID 1 opens the slot for it, and keeps every decision
 * the record depends on: before the installer's first write it marks the
 * slot not bootable (or refuses an image that failed here before), and
 * after the installer says it is done PID 1 reads the slot's signed
 * header itself and checks it before the slot becomes a trial. PID 1
 * answers from its loop, never waiting; the client gets its final line
 * once the installer is reaped, so that a client that saw the end of one
 * update never finds it still running.
 */
#define INSTALLER_UID 64102 /* and gid: the installer's own */

static int installing;		/* the installer runs */
static int installer_conn = -1; /* the client, for the last line */
static int installer_slot = -1, installer_force;
static int prep_fd = -1;       /* PID 1's end of the pair */
static int job_fds[AGENT_FDS]; /* given at start; -1 from ctl_init */
static struct installer_msg announced, done;	     /* kind 0: not yet */
static char installer_err[INSTALLER_REASON_MAX + 1]; /* its reason, or "" */

int
ctl_init(void)
{
	struct kerr e = {0};

	for (int i = 0; i < INIT_CTL_CONNS; i++)
		conns[i].fd = -1;
	for (int i = 0; i < AGENT_FDS; i++)
		job_fds[i] = -1;
	mkdir(SOCK_DIR, 0755);
	listen_fd = control_listen(CONTROL_SOCK, &e);
	if (listen_fd < 0)
		klog("control: %s", e.detail);
	return listen_fd;
}

/* Best effort, never blocks: the reply is small, the socket is fresh. */
static void
reply(int fd, const char *buf, size_t len)
{
	(void)!send(fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL);
}

static void
reply_end(int fd, const char *err)
{
	char buf[CONTROL_LINE_MAX];
	size_t off = 0;

	control_end(buf, sizeof(buf), &off, err);
	reply(fd, buf, off);
}

static void
close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* The installer's words after "keel installer" and its fds 4..8. */
static int
installer_prepare(char **argv, int max, int *fds)
{
	static char committed[24], floor[24];
	const struct state *st = ab_state();
	int n = 0;

	fmt_sn(committed, sizeof(committed), "%llu",
	       (unsigned long long)st->committed_version);
	fmt_sn(floor, sizeof(floor), "%llu", (unsigned long long)st->floor);
	argv[n++] = "--committed";
	argv[n++] = committed;
	argv[n++] = "--floor";
	argv[n++] = floor;
	if (g.board.name[0]) {
		argv[n++] = "--board";
		argv[n++] = g.board.name;
	}
	for (int i = 0; i < AGENT_FDS; i++) {
		fds[i] = job_fds[i];
		job_fds[i] = -1; /* the agent's start closes them */
	}
	return n <= max ? n : -1;
}

/*
 * The installed slot, checked by PID 1 from its own read of the header:
 * what the installer announced before writing and said it wrote, signed
 * by the baked keys, for this board and arch, above the committed
 * version, not below the floor, not an image that failed here (unless
 * forced). 0 and m, or -1 and e.
 */
static int
check_installed(struct img_meta *m, struct kerr *e)
{
	const struct state *st = ab_state();
	uint8_t digest[STATE_DIGEST];
	int fd = open(g.dev[installer_slot], O_RDONLY | O_CLOEXEC);
	int rc = -1;

	if (fd < 0)
		return kerr_set(e, "read back", "%s: %s", g.dev[installer_slot],
				kerr_strerror(errno));
	if (done.kind != INSTALLER_DONE || announced.kind != INSTALLER_PREPARE)
		kerr_set(e, "installer", "no report of what it wrote");
	else if (img_read(fd, m, e) < 0 || img_check_sigs(m, &g.keys, e) != 1)
		;
	else if (!img_check_device(&m->h, g.board.name, IMG_ARCH_HOST,
				   st->floor, e))
		;
	else if (m->h.version <= st->committed_version)
		kerr_set(e, "version", "version %llu is not above %llu",
			 (unsigned long long)m->h.version,
			 (unsigned long long)st->committed_version);
	else if (img_digest(m, digest),
		 memcmp(digest, announced.digest, STATE_DIGEST) ||
		     memcmp(digest, done.digest, STATE_DIGEST))
		kerr_set(e, "installer",
			 "the slot holds another image than it announced");
	else if (!installer_force &&
		 state_image_failed(st, m->h.version, digest))
		kerr_set(e, "failed before",
			 "version %llu failed on this device before",
			 (unsigned long long)m->h.version);
	else
		rc = 0;
	close(fd);
	return rc;
}

/* A message of the installer (lib/update/installer.h). */
static void
on_prepare(void)
{
	union {
		struct installer_msg p;
		char text[1 + INSTALLER_REASON_MAX];
	} msg;
	const struct state_failed *f;
	uint8_t ok = 1;
	ssize_t n = recv(prep_fd, &msg, sizeof(msg), MSG_DONTWAIT);

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n > 1 && msg.text[0] == INSTALLER_ERROR) {
		if (!installer_err[0]) { /* PID 1's own reason goes first */
			memcpy(installer_err, msg.text + 1, (size_t)n - 1);
			installer_err[n - 1] = 0;
			for (ssize_t i = 0; i < n - 1; i++)
				if (installer_err[i] < ' ' ||
				    installer_err[i] > '~')
					installer_err[i] = '?';
		}
		return;
	}
	if (n == (ssize_t)sizeof(msg.p) && msg.p.kind == INSTALLER_DONE &&
	    announced.kind && !done.kind) {
		done = msg.p;
		return;
	}
	if (n != (ssize_t)sizeof(msg.p) || msg.p.kind != INSTALLER_PREPARE ||
	    announced.kind) {
		close_fd(&prep_fd); /* closed, or not a request in order */
		return;
	}
	announced = msg.p;
	f = state_image_failed(ab_state(), msg.p.version, msg.p.digest);
	if (f && !installer_force) {
		fmt_sn(installer_err, sizeof(installer_err),
		       "failed before: version %llu failed on this device "
		       "before%s: refused until a newer version is offered "
		       "(keel update --force installs it anyway)",
		       (unsigned long long)msg.p.version,
		       memcmp(f->digest, msg.p.digest, STATE_DIGEST)
			   ? ""
			   : " (this very image)");
	} else {
		ok = ab_slot_installing(installer_slot) == 0 ? 0 : 1;
		klog("update: slot %c %s for version %llu",
		     'a' + installer_slot,
		     ok ? "could NOT be marked not bootable: install refused"
			: "marked not bootable, synced; writing",
		     (unsigned long long)msg.p.version);
	}
	(void)!send(prep_fd, &ok, 1, MSG_DONTWAIT | MSG_NOSIGNAL);
}

/* The installer ended (the agent code reaped it): the client's answer. */
static void
installer_exited(int code)
{
	int fd = installer_conn;
	struct img_meta m;
	struct kerr e = {0};
	uint8_t digest[STATE_DIGEST];

	installing = 0;
	installer_conn = -1;
	/* what it said before it went */
	for (int k = 0; k < 8 && prep_fd >= 0; k++)
		on_prepare();
	close_fd(&prep_fd);
	if (code == 0 && check_installed(&m, &e) == 0) {
		img_digest(&m, digest);
		if (ab_slot_installed(installer_slot, m.h.version, m.h.epoch,
				      digest) == 0) {
			klog(
			    "update: slot %c installed, version %llu: trial on "
			    "the next boot",
			    'a' + installer_slot,
			    (unsigned long long)m.h.version);
			reply_end(fd, NULL);
		} else {
			reply_end(fd, "installed, but the record cannot be "
				      "written: the slot stays not bootable");
		}
	} else if (code == 0) {
		klog("update: slot %c REFUSED after the install: %s: %s; it "
		     "stays not bootable",
		     'a' + installer_slot, e.check, e.detail);
		char why[sizeof(e.detail) + 96];

		fmt_sn(why, sizeof(why),
		       "installed, but keel-init refuses the slot: %s: %s; "
		       "it stays not bootable",
		       e.check, e.detail);
		reply_end(fd, why);
	} else {
		klog("update: refused (%s): %s",
		     code == INSTALLER_REFUSED ? "nothing written"
					       : "slot left unbootable",
		     installer_err[0] ? installer_err : "the installer died");
		reply_end(fd, installer_err[0] ? installer_err
					       : "the installer died");
	}
	close_fd(&fd);
}

static const struct agent_def installer = {
    .name = "installer", /* keel installer */
    .log_src = LOGRING_UPDATE,
    .caps = 0, /* the slot comes open; the stream is a socket */
    .uid = INSTALLER_UID,
    .gid = INSTALLER_UID,
    .prepare = installer_prepare,
    .once = 1,
    .on_exit = installer_exited,
};

static void
start_update(int fd, int src, int force)
{
	char why[200];
	int slot = ab_update_target(why, sizeof(why)), sp[2];

	if (installing) {
		reply_end(fd, "an update is already running");
		return;
	}
	if (slot < 0 || !g.dev[slot][0]) {
		klog("update: refused: %s", slot < 0 ? why : "no partition");
		reply_end(fd, slot < 0 ? why : "no slot to install into");
		return;
	}
	job_fds[2] = open(g.dev[slot], O_RDWR | O_CLOEXEC);
	if (job_fds[2] < 0) {
		fmt_sn(why, sizeof(why), "%s: %s", g.dev[slot],
		       kerr_strerror(errno));
		reply_end(fd, why);
		return;
	}
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0) {
		reply_end(fd, kerr_strerror(errno));
		close_fd(&job_fds[2]);
		return;
	}
	job_fds[0] = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	job_fds[1] = fcntl(src >= 0 ? src : fd, F_DUPFD_CLOEXEC, 3);
	job_fds[3] = sp[1];
	/* The running slot, for a delta install: read-only, no symlink
	 * followed; the installer trusts none of its blocks (each is
	 * checked against the new signed tree). Without it: no delta. */
	if (g.slot >= 0 && g.slot != slot && g.dev[g.slot][0])
		job_fds[4] =
		    open(g.dev[g.slot], O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	installer_slot = slot;
	installer_force = force;
	installer_err[0] = 0;
	memset(&announced, 0, sizeof(announced));
	memset(&done, 0, sizeof(done));
	klog("update: installing into slot %c", 'a' + slot);
	if (job_fds[0] < 0 || job_fds[1] < 0 || agent_add(&installer) < 0) {
		for (int i = 0; i < AGENT_FDS; i++)
			close_fd(&job_fds[i]);
		close(sp[0]);
		reply_end(fd, "the installer could not start");
		return;
	}
	fcntl(sp[0], F_SETFL, O_NONBLOCK);
	prep_fd = sp[0];
	installing = 1;
	installer_conn = fcntl(fd, F_DUPFD_CLOEXEC, 3);
}

static void
handle(int fd, const struct control_req *r, int src)
{
	static char buf[4096];
	char why[200];
	size_t off = 0;
	int target;

	switch (r->cmd) {
	case CONTROL_STATUS:
		control_put(buf, sizeof(buf), &off, "version", "%s",
			    KEEL_VERSION);
		control_put(buf, sizeof(buf), &off, "board", "%s",
			    g.board.name);
		control_put(buf, sizeof(buf), &off, "booted", "%c",
			    'a' + g.slot);
		control_put(buf, sizeof(buf), &off, "running_version", "%llu",
			    (unsigned long long)g.meta.h.version);
		control_put(buf, sizeof(buf), &off, "app", "%s",
			    g.app_running ? "running" : "stopped");
		control_put(buf, sizeof(buf), &off, "app_status", "%s",
			    health_status());
		control_put(buf, sizeof(buf), &off, "commit_pending", "%d",
			    g.commit_pending);
		control_put(buf, sizeof(buf), &off, "cleanup", "%s",
			    reset_collecting() ? "running" : "idle");
		target = ab_update_target(why, sizeof(why));
		control_put(buf, sizeof(buf), &off, "update_target", "%s",
			    target < 0 ? "none" : state_slot_name(target));
		clock_put_status(buf, sizeof(buf), &off);
		agent_put_status(buf, sizeof(buf), &off);
		control_put_state(buf, sizeof(buf), &off, ab_state());
		control_end(buf, sizeof(buf), &off, NULL);
		reply(fd, buf, off);
		break;
	case CONTROL_REBOOT:
	case CONTROL_POWEROFF:
		reply_end(fd, NULL);
		close(fd);
		power_shutdown(r->cmd == CONTROL_REBOOT ? RB_AUTOBOOT
							: RB_POWER_OFF,
			       "control request");
	case CONTROL_FACTORY_RESET:
		if (ab_request_factory_reset() < 0) {
			reply_end(fd, "the state record cannot be written: no "
				      "factory reset requested");
			break;
		}
		klog("control: factory reset requested for the next boot");
		reply_end(fd, NULL);
		break;
	case CONTROL_UPDATE:
		start_update(fd, src, r->force);
		break;
	case CONTROL_LOGS:
		logsrv_start(fd, r);
		break;
	}
}

static void
drop(int i)
{
	close(conns[i].fd);
	conns[i].fd = -1;
}

/* A connection is readable (or timed out): take its one request. */
static void
service(int i)
{
	struct control_req r;
	struct kerr e = {0};
	int src = -1, rc;

	rc = control_recv_request(conns[i].fd, &conns[i].cc, &r, &src, &e);
	if (rc == 0)
		return; /* not all there yet */
	if (rc < 0) {
		reply_end(conns[i].fd, e.detail);
	} else {
		handle(conns[i].fd, &r, src);
	}
	if (src >= 0)
		close(src);
	drop(i);
}

/* Adds the control fds to p; returns how many. */
int
ctl_pollfds(struct pollfd *p, int max)
{
	int n = 0;

	if (listen_fd >= 0 && n < max)
		p[n++] = (struct pollfd){listen_fd, POLLIN, 0};
	/* Before the clients: an installer waiting on PID 1 goes first. */
	if (prep_fd >= 0 && n < max)
		p[n++] = (struct pollfd){prep_fd, POLLIN, 0};
	for (int i = 0; i < INIT_CTL_CONNS && n < max; i++)
		if (conns[i].fd >= 0)
			p[n++] = (struct pollfd){conns[i].fd, POLLIN, 0};
	return n;
}

/* After poll: accept, serve, expire. */
void
ctl_poll(const struct pollfd *p, int n)
{
	uint64_t now = clock_us();

	for (int k = 0; k < n; k++) {
		if (!(p[k].revents & (POLLIN | POLLHUP | POLLERR)))
			continue;
		if (p[k].fd == prep_fd) {
			on_prepare();
			continue;
		}
		if (p[k].fd == listen_fd) {
			int fd = accept4(listen_fd, NULL, NULL,
					 SOCK_NONBLOCK | SOCK_CLOEXEC);
			int i;
			if (fd < 0)
				continue;
			for (i = 0; i < INIT_CTL_CONNS && conns[i].fd >= 0; i++)
				;
			if (i == INIT_CTL_CONNS) {
				reply_end(fd, "busy");
				close(fd);
				continue;
			}
			conns[i].fd = fd;
			control_conn_init(&conns[i].cc);
			conns[i].deadline_us =
			    now + INIT_CTL_DEADLINE_MS * 1000ull;
			continue;
		}
		for (int i = 0; i < INIT_CTL_CONNS; i++)
			if (conns[i].fd == p[k].fd)
				service(i);
	}
	for (int i = 0; i < INIT_CTL_CONNS; i++)
		if (conns[i].fd >= 0 && now > conns[i].deadline_us) {
			reply_end(conns[i].fd, "no request in time");
			drop(i);
		}
}
