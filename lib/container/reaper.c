// SPDX-License-Identifier: MIT
/* pid 1 of the container: forwards signals to the app and reaps orphans. */
#include <signal.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "compat/linux_capability.h"
#include "lib/container/container_priv.h"

/*
 * The reaper needs one right: to signal the app, whose uid may differ.
 * Every other capability goes (best effort: it changes no behaviour).
 */
static void
ctr_reaper_caps(void)
{
	struct keel_cap_header hdr = {KEEL_CAP_VERSION_3, 0};
	struct keel_cap_data data[2] = {
	    {1u << KEEL_CAP_KILL, 1u << KEEL_CAP_KILL, 0}, {0, 0, 0}};

	syscall(SYS_capset, &hdr, data);
}

int
ctr_status_code(int status)
{
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}

/*
 * The signals arrive blocked (inherited from keel) and are taken with
 * sigwaitinfo: blocked signals reach a namespace's pid 1 even without a
 * handler, and nothing runs in signal context. A signal a terminal sent
 * to the whole process group (SI_KERNEL) reached the app already.
 */
void
ctr_reaper(pid_t app, const sigset_t *fwd)
{
	sigset_t set = *fwd;
	siginfo_t si;
	pid_t p;
	int sig, st;

	sigaddset(&set, SIGCHLD);
	ctr_reaper_caps();
	for (;;) {
		sig = sigwaitinfo(&set, &si);
		if (sig == SIGCHLD) {
			while ((p = waitpid(-1, &st, WNOHANG)) > 0)
				if (p == app)
					_exit(ctr_status_code(st));
		} else if (sig > 0 && si.si_code != SI_KERNEL) {
			kill(app, sig);
		}
	}
}
