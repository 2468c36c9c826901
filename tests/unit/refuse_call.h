/* SPDX-License-Identifier: MIT */
/* A unit test's child refusing one system call, as a kernel without it or
 * a caller's seccomp filter would. */
#ifndef KEEL_TESTS_REFUSE_CALL_H
#define KEEL_TESTS_REFUSE_CALL_H

#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "compat/linux_seccomp.h"

/* From now on call nr answers -1 with errno err in this process and its
 * children; every other call runs. 0, or -1 where seccomp(2) cannot be
 * had (a user-mode emulator): the caller skips its test. */
static inline int
refuse_call(long nr, int err)
{
	struct sock_filter f[] = {
	    {BPF_LD | BPF_W | BPF_ABS, 0, 0, KEEL_SECCOMP_NR_OFF},
	    {BPF_JMP | BPF_JEQ | BPF_K, 0, 1, (uint32_t)nr},
	    {BPF_RET | BPF_K, 0, 0, SECCOMP_RET_ERRNO | (uint32_t)err},
	    {BPF_RET | BPF_K, 0, 0, SECCOMP_RET_ALLOW},
	};
	struct sock_fprog fp = {sizeof(f) / sizeof(f[0]), f};

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
	    syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &fp) < 0)
		return -1;
	return 0;
}

#endif
