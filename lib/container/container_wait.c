// SPDX-License-Identifier: MIT
/* keel's side of a running container: signals passed on, the app's status. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/container/container_priv.h"

/* The app's exit status in the reaper's last message on fd, or -1 (EOF:
 * the reaper died before it could say). */
static int
ctr_read_status(int fd)
{
	struct ctr_msg m;
	ssize_t n;

	do
		n = read(fd, &m, sizeof(m));
	while (n < 0 && errno == EINTR);
	if (n != (ssize_t)sizeof(m) || m.code < CTR_MSG_EXIT ||
	    m.code > CTR_MSG_EXIT + 255)
		return -1;
	return m.code - CTR_MSG_EXIT;
}

/*
 * The next of the blocked signals in set (sfd: a signalfd of them, or -1
 * to take them with sigwaitinfo), or 0 with *code set once the reaper
 * has reported the app's exit status on c->report_fd; -1: nothing yet.
 */
static int
ctr_next(struct ctr *c, const sigset_t *set, int sfd, int *code)
{
	struct pollfd p[2] = {{.fd = c->report_fd, .events = POLLIN},
			      {.fd = sfd, .events = POLLIN}};
	struct signalfd_siginfo si;

	if (sfd < 0)
		return sigwaitinfo(set, NULL);
	if (poll(p, 2, -1) < 0)
		return -1;
	if (p[0].revents) {
		*code = ctr_read_status(c->report_fd);
		close(c->report_fd);
		c->report_fd = -1;
		if (*code >= 0)
			return 0;
	}
	if (p[1].revents && read(sfd, &si, sizeof(si)) == (ssize_t)sizeof(si))
		return (int)si.ssi_signo;
	return -1;
}

int
ctr_wait(struct ctr *c)
{
	sigset_t set = c->fwd;
	int sig, st, code = -1, sfd = -1;

	sigaddset(&set, SIGCHLD);
	if (c->report_fd >= 0)
		sfd = signalfd(-1, &set, SFD_CLOEXEC);
	for (;;) {
		sig = ctr_next(c, &set, sfd, &code);
		if (sig == 0 && !c->wait_gone)
			break; /* the reaper, exiting, is not waited for */
		if (sig == SIGCHLD) {
			if (waitpid(c->pid, &st, WNOHANG) == c->pid) {
				code = ctr_status_code(st);
				break;
			}
		} else if (sig > 0) {
			/* the container has a session of its own: a terminal's
			 * signals reach keel only, and are passed on */
			kill(c->pid, sig);
		}
	}
	if (sfd >= 0)
		close(sfd);
	if (c->report_fd >= 0)
		close(c->report_fd);
	c->report_fd = -1;
	c->pid = -1;
	sigprocmask(SIG_SETMASK, &c->oldmask, NULL);
	return code;
}
