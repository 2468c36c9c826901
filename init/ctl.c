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

#include "keel_version.h"
#include "init/init.h"
#include "lib/update/bundle.h"
#include "lib/ipc/control.h"

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
 * The one update in progress: a child of PID 1 writing the update target.
 * Before its first write the child asks PID 1, over a socket pair, to
 * mark the slot not bootable in the record (PID 1 owns the record), and
 * waits for the answer; PID 1 answers from its loop, never waiting. A
 * child that fails sends its reason the same way and exits: PID 1 gives
 * the client its final line once the child is reaped, so that a client
 * that saw the end of one update never finds it still running.
 */
static pid_t installer = -1;
static int installer_conn = -1, installer_slot = -1;
static int prep_fd = -1;      /* PID 1's end of the pair */
static struct bundle_work bw; /* touched only in the child */
static char installer_err[CONTROL_LINE_MAX - 16]; /* its reason, or "" */

/* The child's messages: 'P' (prepare) and the image it is about to
 * write, or 'E' and the reason it failed. */
#define MSG_PREPARE 'P'
#define MSG_ERROR 'E'
struct prep_msg {
	char kind;
	char pad[7];
	uint64_t version, epoch;
	uint8_t digest[STATE_DIGEST];
};

/* What the child's hooks need. */
struct child_ctx {
	int conn, prep, slot, force;
};

int
ctl_init(void)
{
	struct kerr e = {0};

	for (int i = 0; i < INIT_CTL_CONNS; i++)
		conns[i].fd = -1;
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
progress(void *ctx, uint64_t done, uint64_t total)
{
	static uint64_t last;
	char buf[96];
	int fd = ((struct child_ctx *)ctx)->conn, n;

	if (done != total && done - last < total / 100)
		return;
	last = done;
	n = snprintf(buf, sizeof(buf), "progress=%llu/%llu\n",
		     (unsigned long long)done, (unsigned long long)total);
	/* The child may block on a slow client: only the child waits. */
	(void)!send(fd, buf, (size_t)n, MSG_NOSIGNAL);
}

/*
 * In the child, once every check of the header has passed and before the
 * first write: an image that failed on this device is refused (unless
 * forced); then PID 1 marks the slot not bootable, synced, or nothing is
 * written.
 */
static int
prepare(void *ctx, const struct img_meta *m, struct kerr *e)
{
	struct child_ctx *c = ctx;
	const struct state_failed *f;
	struct prep_msg msg;
	uint8_t ok = 1;

	memset(&msg, 0, sizeof(msg));
	msg.kind = MSG_PREPARE;
	msg.version = m->h.version;
	msg.epoch = m->h.epoch;
	img_digest(m, msg.digest);
	f = state_image_failed(ab_state(), m->h.version, msg.digest);
	if (f && !c->force)
		return kerr_set(e, "failed before",
				"version %llu failed on this device before%s: "
				"refused until a newer version is offered "
				"(keel update --force installs it anyway)",
				(unsigned long long)m->h.version,
				memcmp(f->digest, msg.digest, STATE_DIGEST)
				    ? ""
				    : " (this very image)");
	if (send(c->prep, &msg, sizeof(msg), MSG_NOSIGNAL) != sizeof(msg) ||
	    recv(c->prep, &ok, 1, 0) != 1 || ok != 0)
		return kerr_set(e, "state",
				"slot %c could not be marked not bootable "
				"first: nothing written",
				'a' + c->slot);
	return 0;
}

/* In the child: the reason it failed, to PID 1 (which replies), then out. */
__attribute__((noreturn)) static void
child_fail(int prep, const char *why, int code)
{
	char msg[1 + sizeof(installer_err)];
	size_t n = strnlen(why, sizeof(installer_err) - 1);

	msg[0] = MSG_ERROR;
	memcpy(msg + 1, why, n);
	(void)!send(prep, msg, 1 + n, MSG_NOSIGNAL);
	_exit(code);
}

/*
 * In the child: install the bundle from src into the target slot. Exit
 * 0 installed, 1 refused before the slot was touched, 2 failed after.
 */
__attribute__((noreturn)) static void
install_child(int conn, int src, int slot, int prep, int force)
{
	const struct state *st = ab_state();
	struct bundle_policy pol = {
	    .ks = &g.keys,
	    .board = g.board.name,
	    .arch = IMG_ARCH_HOST,
	    .committed_version = st->committed_version,
	    .epoch_floor = st->floor,
	};
	struct child_ctx c = {conn, prep, slot, force};
	struct bundle_hooks hooks = {prepare, progress, &c};
	struct img_meta m;
	struct kerr e = {0};
	int out, flags;

	flags = fcntl(src, F_GETFL);
	fcntl(src, F_SETFL, flags & ~O_NONBLOCK);
	out = open(g.dev[slot], O_RDWR | O_CLOEXEC);
	if (out < 0) {
		char why[128];
		snprintf(why, sizeof(why), "%s: %s", g.dev[slot],
			 strerror(errno));
		child_fail(prep, why, 1);
	}
	if (bundle_install(bundle_read_fd, &src, out, &pol, &hooks, &bw, &m,
			   &e) < 0) {
		char why[CONTROL_LINE_MAX - 16];
		snprintf(why, sizeof(why), "%s: %s", e.check, e.detail);
		child_fail(prep, why, bw.touched ? 2 : 1);
	}
	fsync(out);
	_exit(0);
}

static void
start_update(int fd, int src, int force)
{
	char why[200];
	int slot = ab_update_target(why, sizeof(why)), sp[2];
	pid_t pid;

	if (installer > 0) {
		reply_end(fd, "an update is already running");
		return;
	}
	if (slot < 0 || !g.dev[slot][0]) {
		klog("update: refused: %s", slot < 0 ? why : "no partition");
		reply_end(fd, slot < 0 ? why : "no slot to install into");
		return;
	}
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0) {
		reply_end(fd, strerror(errno));
		return;
	}
	klog("update: installing into slot %c", 'a' + slot);
	pid = fork();
	if (pid == 0) {
		close(sp[0]);
		install_child(fd, src >= 0 ? src : fd, slot, sp[1], force);
	}
	close(sp[1]);
	if (pid < 0) {
		close(sp[0]);
		reply_end(fd, strerror(errno));
		return;
	}
	fcntl(sp[0], F_SETFL, O_NONBLOCK);
	prep_fd = sp[0];
	installer_err[0] = 0;
	installer = pid;
	installer_conn = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	installer_slot = slot;
}

/*
 * A message of the installer: its reason for failing is kept for the
 * reply; a request for its mark is written and synced, then answered.
 */
static void
on_prepare(void)
{
	union {
		struct prep_msg p;
		char text[1 + sizeof(installer_err)];
	} msg;
	uint8_t ok;
	ssize_t n = recv(prep_fd, &msg, sizeof(msg), MSG_DONTWAIT);

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n > 1 && msg.text[0] == MSG_ERROR) {
		size_t k = (size_t)n - 1 < sizeof(installer_err) - 1
			       ? (size_t)n - 1
			       : sizeof(installer_err) - 1;
		memcpy(installer_err, msg.text + 1, k);
		installer_err[k] = 0;
		return;
	}
	if (n != (ssize_t)sizeof(msg.p) || msg.p.kind != MSG_PREPARE) {
		close(prep_fd); /* closed, or not a request */
		prep_fd = -1;
		return;
	}
	ok = ab_slot_installing(installer_slot) == 0 ? 0 : 1;
	klog("update: slot %c %s for version %llu", 'a' + installer_slot,
	     ok ? "could NOT be marked not bootable: install refused"
		: "marked not bootable, synced; writing",
	     (unsigned long long)msg.p.version);
	(void)!send(prep_fd, &ok, 1, MSG_DONTWAIT | MSG_NOSIGNAL);
}

/* Called by the reaper: 1 if pid was the installer. */
int
ctl_child_exited(pid_t pid, int status)
{
	int code = WIFEXITED(status) ? WEXITSTATUS(status) : 2;
	int fd = installer_conn;
	struct img_meta m;
	struct kerr e = {0};

	if (pid != installer)
		return 0;
	installer = -1;
	installer_conn = -1;
	/* what it said before it went (its reason) */
	while (prep_fd >= 0 && !installer_err[0] && code) {
		int before = prep_fd;
		on_prepare();
		if (prep_fd == before && !installer_err[0])
			break;
	}
	if (prep_fd >= 0) {
		close(prep_fd);
		prep_fd = -1;
	}
	if (code == 0) {
		/* Read back what the child wrote: the header tells the version.
		 */
		int sfd = open(g.dev[installer_slot], O_RDONLY | O_CLOEXEC);
		uint8_t digest[STATE_DIGEST];

		if (sfd >= 0 && img_read(sfd, &m, &e) == 0)
			img_digest(&m, digest);
		if (sfd >= 0 && !e.check &&
		    ab_slot_installed(installer_slot, m.h.version, m.h.epoch,
				      digest) == 0) {
			klog(
			    "update: slot %c installed, version %llu: trial on "
			    "the next boot",
			    'a' + installer_slot,
			    (unsigned long long)m.h.version);
			reply_end(fd, NULL);
		} else {
			reply_end(fd, "installed, but the slot cannot be read "
				      "back or the record cannot be written: "
				      "the slot stays not bootable");
		}
		if (sfd >= 0)
			close(sfd);
	} else {
		klog("update: refused (%s): %s",
		     code == 1 ? "nothing written" : "slot left unbootable",
		     installer_err[0] ? installer_err : "the installer died");
		reply_end(fd, installer_err[0] ? installer_err
					       : "the installer died");
	}
	if (fd >= 0)
		close(fd);
	return 1;
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
