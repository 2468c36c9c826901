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

/* The one update in progress: a child of PID 1 writing the other slot. */
static pid_t installer = -1;
static int installer_conn = -1, installer_slot = -1;
static struct bundle_work bw; /* touched only in the child */

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
	int fd = *(int *)ctx, n;

	if (done != total && done - last < total / 100)
		return;
	last = done;
	n = snprintf(buf, sizeof(buf), "progress=%llu/%llu\n",
		     (unsigned long long)done, (unsigned long long)total);
	/* The child may block on a slow client: only the child waits. */
	(void)!send(fd, buf, (size_t)n, MSG_NOSIGNAL);
}

/*
 * In the child: install the bundle from src into the other slot. Exit 0
 * installed, 1 refused before the slot was touched, 2 failed after.
 */
__attribute__((noreturn)) static void
install_child(int conn, int src, int slot)
{
	const struct state *st = ab_state();
	struct bundle_policy pol = {
	    .ks = &g.keys,
	    .board = g.board.name,
	    .arch = IMG_ARCH_HOST,
	    .committed_version = st->committed_version,
	    .epoch_floor = st->floor,
	};
	struct bundle_hooks hooks = {NULL, progress, &conn};
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
		reply_end(conn, why);
		_exit(1);
	}
	if (bundle_install(bundle_read_fd, &src, out, &pol, &hooks, &bw, &m,
			   &e) < 0) {
		char why[CONTROL_LINE_MAX - 16];
		snprintf(why, sizeof(why), "%s: %s", e.check, e.detail);
		reply_end(conn, why);
		_exit(bw.touched ? 2 : 1);
	}
	fsync(out);
	_exit(0);
}

static void
start_update(int fd, int src)
{
	int slot = !g.slot;
	pid_t pid;

	if (installer > 0 || g.slot < 0 || !g.dev[slot][0]) {
		reply_end(fd, installer > 0 ? "an update is already running"
					    : "no other slot to install into");
		return;
	}
	klog("update: installing into slot %c", 'a' + slot);
	pid = fork();
	if (pid == 0)
		install_child(fd, src >= 0 ? src : fd, slot);
	if (pid < 0) {
		reply_end(fd, strerror(errno));
		return;
	}
	installer = pid;
	installer_conn = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	installer_slot = slot;
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
	if (code == 0) {
		/* Read back what the child wrote: the header tells the version.
		 */
		int sfd = open(g.dev[installer_slot], O_RDONLY | O_CLOEXEC);
		if (sfd >= 0 && img_read(sfd, &m, &e) == 0 &&
		    ab_slot_installed(installer_slot, m.h.version, m.h.epoch) ==
			0) {
			klog(
			    "update: slot %c installed, version %llu: trial on "
			    "the next boot",
			    'a' + installer_slot,
			    (unsigned long long)m.h.version);
			reply_end(fd, NULL);
		} else {
			reply_end(
			    fd, "installed, but the slot cannot be read back");
		}
		if (sfd >= 0)
			close(sfd);
	} else {
		klog("update: refused (%s)",
		     code == 1 ? "nothing written" : "slot left unbootable");
		if (code == 2)
			ab_slot_installing(installer_slot);
	}
	if (fd >= 0)
		close(fd);
	return 1;
}

static void
handle(int fd, const struct control_req *r, int src)
{
	static char buf[4096];
	size_t off = 0;

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
		ab_request_factory_reset();
		klog("control: factory reset requested for the next boot");
		reply_end(fd, NULL);
		break;
	case CONTROL_UPDATE:
		start_update(fd, src);
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
