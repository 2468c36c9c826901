// SPDX-License-Identifier: MIT
/* Runs a command as a parent that refuses clone3 (ENOSYS, as container
 * runtimes' seccomp profiles and kernels before 5.3 answer), so that keel's
 * launch takes its fallback: clone(2) and a cgroup.procs write. */
#include <errno.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "compat/linux_seccomp.h"

#if defined(__x86_64__)
#define NC_ARCH 0xc000003eu
#elif defined(__aarch64__)
#define NC_ARCH 0xc00000b7u
#endif

int
main(int argc, char **argv)
{
	struct sock_filter f[] = {
	    /* seccomp_data: nr at 0, arch at 4 */
	    {BPF_LD | BPF_W | BPF_ABS, 0, 0, 4},
	    {BPF_JMP | BPF_JEQ | BPF_K, 1, 0, NC_ARCH},
	    {BPF_RET | BPF_K, 0, 0, SECCOMP_RET_ALLOW},
	    {BPF_LD | BPF_W | BPF_ABS, 0, 0, 0},
	    {BPF_JMP | BPF_JEQ | BPF_K, 0, 1, SYS_clone3},
	    {BPF_RET | BPF_K, 0, 0, SECCOMP_RET_ERRNO | ENOSYS},
	    {BPF_RET | BPF_K, 0, 0, SECCOMP_RET_ALLOW},
	};
	struct sock_fprog p = {sizeof(f) / sizeof(f[0]), f};

	if (argc < 2 ||
	    syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &p) < 0) {
		perror("noclone3: seccomp");
		return 125;
	}
	execv(argv[1], argv + 1);
	perror("noclone3: exec");
	return 127;
}
