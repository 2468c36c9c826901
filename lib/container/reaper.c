// SPDX-License-Identifier: MIT
/* pid 1 of the container: forwards signals to the app and reaps orphans. */
#include <signal.h>
#include <stdint.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "compat/linux_capability.h"
#include "lib/container/container_priv.h"

/*
 * The reaper needs one right: to signal the app, whose uid may differ.
 * Every other capability goes, from every set, the bounding set first
 * (that needs CAP_SETPCAP, which capset then drops). The bounding set
 * holds only the app's (bset) by now: ctr_child dropped the rest before
 * the fork, once for both processes. Best effort: what cannot be dropped
 * changes nothing the reaper does. errno is never read here: keel, whose
 * memory (and errno) this process shares, runs at the same time
 * (ctr_start's CLONE_VM).
 */
static void
ctr_reaper_caps(uint64_t bset)
{
	struct keel_cap_header hdr = {KEEL_CAP_VERSION_3, 0};
	struct keel_cap_data data[2] = {
	    {1u << KEEL_CAP_KILL, 1u << KEEL_CAP_KILL, 0}, {0, 0, 0}};

	for (int cap = 0; cap < 64; cap++)
		if (cap != KEEL_CAP_KILL && (bset & (1ULL << cap)))
			prctl(PR_CAPBSET_DROP, cap, 0, 0, 0);
	prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
	syscall(SYS_capset, &hdr, data);
	prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
}

int
ctr_status_code(int status)
{
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}

/*
 * The app's exit status to keel, which can return now: what follows in
 * this process's exit (the container's namespaces and mounts torn down,
 * RCU grace periods among it) is not the launch's to wait for.
 */
static __attribute__((noreturn)) void
ctr_reaper_exit(int report, int code)
{
	struct ctr_msg m = {.code = CTR_MSG_EXIT + code};

	if (report >= 0 && write(report, &m, sizeof(m)) < 0)
		_exit(code);
	_exit(code);
}

/*
 * The signals arrive blocked (inherited from keel) and are taken with
 * sigwaitinfo: blocked signals reach a namespace's pid 1 even without a
 * handler, and nothing runs in signal context. Each is passed to the app
 * (the container is a session of its own: no terminal signals it).
 */
void
ctr_reaper(pid_t app, const sigset_t *fwd, uint64_t bset, int report)
{
	sigset_t set = *fwd;
	pid_t p;
	int sig, st;

	/* FIRST: no descriptor of keel's (nor the app's stdio) stays in the
	 * container's pid 1 but the write end of the error pipe when keel
	 * waits for the app's status on it (nothing in the container can
	 * reach it: pid 1 is not dumpable, set in the child before the
	 * fork, so /proc/1/fd shows nothing) */
	if (report < 0) {
		syscall(SYS_close_range, 0U, ~0U, 0U);
	} else {
		if (report > 0)
			syscall(SYS_close_range, 0U, (unsigned)report - 1, 0U);
		syscall(SYS_close_range, (unsigned)report + 1, ~0U, 0U);
	}
	ctr_reaper_caps(bset);
	sigaddset(&set, SIGCHLD);
	for (;;) {
		sig = sigwaitinfo(&set, NULL);
		if (sig == SIGCHLD) {
			while ((p = waitpid(-1, &st, WNOHANG)) > 0)
				if (p == app)
					ctr_reaper_exit(report,
							ctr_status_code(st));
		} else if (sig > 0) {
			kill(app, sig);
		}
	}
}
