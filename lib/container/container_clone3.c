// SPDX-License-Identifier: MIT
/* clone3(2) into a cgroup: the container's first process born in it. */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "compat/linux_clone.h"
#include "lib/container/container_priv.h"

/*
 * clone3 with the child on the stack [base, top): it starts at the
 * instruction after the syscall with its stack pointer at top, where no
 * C frame of ours exists, so it must not return into this function: as
 * a libc's clone wrapper does, the child clears the frame pointer, calls
 * fn(arg) and exits with its value. fn and arg sit in
 * fixed registers (none the frame pointer) that the syscall keeps and
 * the kernel copies to the child. Architectures without it
 * answer ENOSYS (the caller falls back to clone and cgroup.procs).
 */
static long
ctr_clone3_stack(struct keel_clone_args *ca, int (*fn)(void *), void *arg)
{
#if defined(__x86_64__)
	register long rax __asm__("rax") = SYS_clone3;
	register void *rdi __asm__("rdi") = ca;
	register long rsi __asm__("rsi") = (long)sizeof(*ca);
	register void *r8 __asm__("r8") = (void *)fn;
	register void *r9 __asm__("r9") = arg;

	__asm__ volatile("syscall\n\t"
			 "test %%rax, %%rax\n\t"
			 "jnz 1f\n\t"
			 "xor %%ebp, %%ebp\n\t"
			 "mov %%r9, %%rdi\n\t"
			 "call *%%r8\n\t"
			 "mov %%eax, %%edi\n\t"
			 "mov %[nr_exit], %%eax\n\t"
			 "syscall\n\t"
			 "hlt\n"
			 "1:"
			 : "+r"(rax)
			 : "r"(rdi), "r"(rsi), "r"(r8),
			   "r"(r9), [nr_exit] "i"(SYS_exit)
			 : "rcx", "r11", "memory", "cc");
	return rax;
#elif defined(__aarch64__)
	register long x8 __asm__("x8") = SYS_clone3;
	register long x0 __asm__("x0") = (long)ca;
	register long x1 __asm__("x1") = (long)sizeof(*ca);
	register void *x9 __asm__("x9") = (void *)fn;
	register void *x10 __asm__("x10") = arg;

	__asm__ volatile("svc #0\n\t"
			 "cbnz x0, 1f\n\t"
			 "mov x29, xzr\n\t"
			 "mov x0, x10\n\t"
			 "blr x9\n\t"
			 "mov x8, %[nr_exit]\n\t"
			 "svc #0\n\t"
			 "brk #0\n"
			 "1:"
			 : "+r"(x0)
			 : "r"(x8), "r"(x1), "r"(x9),
			   "r"(x10), [nr_exit] "i"(SYS_exit)
			 : "x30", "memory", "cc");
	return x0;
#else
	(void)ca;
	(void)fn;
	(void)arg;
	return -ENOSYS;
#endif
}

int
ctr_clone3_refused(int err)
{
	return err == ENOSYS || err == E2BIG || err == EINVAL || err == EPERM;
}

pid_t
ctr_clone3(unsigned long flags, int cgfd, char *base, char *top,
	   int (*fn)(void *), void *arg)
{
	struct keel_clone_args ca;
	long r;

	memset(&ca, 0, sizeof(ca));
	ca.flags = flags | KEEL_CLONE_INTO_CGROUP;
	ca.exit_signal = SIGCHLD;
	ca.cgroup = (uint64_t)cgfd;
	if (!base) {
		/* fork semantics: the child returns here on its copy */
		r = syscall(SYS_clone3, &ca, sizeof(ca));
		if (r == 0)
			_exit(fn(arg));
		return (pid_t)r;
	}
	ca.stack = (uintptr_t)base;
	ca.stack_size = (uintptr_t)(top - base);
	r = ctr_clone3_stack(&ca, fn, arg);
	if (r < 0) {
		errno = (int)-r;
		return -1;
	}
	return (pid_t)r;
}
