// SPDX-License-Identifier: MIT
/* The kernel's floor of a launch: clone into new namespaces, exec, wait. */
#define _GNU_SOURCE
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

/*
 * Usage: floor PROGRAM [ARGS...]
 *
 * PROGRAM runs in new mount, pid, uts, ipc, net and cgroup namespaces
 * (keel's set for a container without a user namespace) and nothing
 * else: no mount, no pivot_root, no loopback, no capability drop, no
 * seccomp filter, no reaper. What any launcher giving those namespaces
 * pays the kernel (making them, the fork, the exec, the teardown) is
 * this program's time; the rest of a launcher's time is its own work.
 * Exit status: PROGRAM's, 128+N for signal N, 127 if it could not run.
 */
int
main(int argc, char **argv)
{
	long flags = CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWUTS | CLONE_NEWIPC |
		     CLONE_NEWNET | CLONE_NEWCGROUP | SIGCHLD;
	pid_t pid;
	int st;

	if (argc < 2) {
		fputs("usage: floor PROGRAM [ARGS...]\n", stderr);
		return 2;
	}
	pid = (pid_t)syscall(SYS_clone, flags, 0, 0, 0, 0);
	if (pid < 0) {
		perror("floor: clone");
		return 127;
	}
	if (pid == 0) {
		execv(argv[1], argv + 1);
		_exit(127);
	}
	if (waitpid(pid, &st, 0) != pid)
		return 127;
	return WIFSIGNALED(st) ? 128 + WTERMSIG(st) : WEXITSTATUS(st);
}
