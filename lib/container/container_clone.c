// SPDX-License-Identifier: MIT
/* The container's first process: its stack, in keel's memory or a copy,
 * born in its cgroup (clone3 CLONE_INTO_CGROUP) or moved there after. */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "compat/linux_capability.h"
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

/* Whether ctr_clone3's errno refuses clone3 itself (a kernel before 5.3
 * or 5.7, a seccomp filter of keel's caller: ENOSYS, E2BIG, EINVAL, or
 * EPERM from some filters), so that clone(2) and cgroup.procs may do. */
static int
ctr_clone3_refused(int err)
{
	return err == ENOSYS || err == E2BIG || err == EINVAL || err == EPERM;
}

/*
 * clone3(2) of a child born in the cgroup open at cgfd (CLONE_INTO_CGROUP,
 * Linux 5.7), exit signal SIGCHLD: fn(arg) runs in it, on the stack
 * [base, top) (flags hold CLONE_VM), or, base NULL, on a copy of the
 * caller's (fork semantics). Returns its pid, or -1 with errno (ENOSYS
 * where clone3 or, for a stack, this architecture's entry is missing).
 */
static pid_t
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

/* The container's first process's stack (and the app's until its
 * execve): only the pages it touches are ever made; below it, a guard
 * page. */
#define CTR_STACK_SIZE (256u * 1024u)
#define CTR_STACK_GUARD 4096u

/*
 * The child's stack, with a guard page below it. It is never unmapped:
 * the container's pid 1 runs on it for its whole life, in this memory.
 */
static void *
ctr_stack(struct kerr *e)
{
	size_t len = CTR_STACK_SIZE + CTR_STACK_GUARD;
	char *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK | MAP_NORESERVE,
		       -1, 0);

	if (p == MAP_FAILED) {
		kerr_set(e, "clone", "stack: %s", kerr_strerror(errno));
		return NULL;
	}
	if (mprotect(p, CTR_STACK_GUARD, PROT_NONE)) {
		kerr_set(e, "clone", "stack guard: %s", kerr_strerror(errno));
		munmap(p, len);
		return NULL;
	}
	return p + len;
}

/*
 * Whether the container's first process may run in keel's own memory
 * (CLONE_VM) rather than in a copy: no page table is copied for it, no
 * page of keel's is copied on a write by either side, and no page keel
 * has touched is faulted in again (on a paravirtualised MMU, the bulk
 * of a fork's cost: a fifth of a launch). It is then a process of its
 * own (its own descriptors, root, credentials, namespaces) that shares
 * keel's memory as a thread would. SAFE ONLY BECAUSE:
 *  - keel writes nothing the child reads after the clone (the child
 *    reads *s, *c and the config; it writes only c->umask,
 *    c->exit_code, its own stack and errno), and installs no signal
 *    handler;
 *  - while both run at once (keel makes the network namespace beside
 *    the child's first mounts, then blocks in read() until the app has
 *    exec'd; the reaper runs beside keel after that), neither side
 *    reads errno after a call the other could clobber it in (one
 *    thread pointer, one errno: see ctr_reaper_caps), but in a launch
 *    that fails anyway: keel's calls in ctr_net_ahead set errno only
 *    when they fail, and keel then stops the child;
 *  - nothing in the container can reach that memory: pid 1 is not
 *    dumpable (a property of the memory: keel is then not dumpable
 *    either), so ptrace, process_vm_writev and /proc/1/mem need
 *    CAP_SYS_PTRACE over keel's user namespace. A config whose
 *    bounding set holds CAP_SYS_PTRACE, outside a user namespace of its
 *    own, gets a copy: with it, pid 1's memory would be keel's.
 */
static int
ctr_may_share(const struct oci_config *cfg)
{
	return (cfg->ns_flags & OCI_NS_USER) ||
	       !(cfg->cap_bounding & (1ULL << KEEL_CAP_SYS_PTRACE));
}

pid_t
ctr_clone(const struct oci_config *cfg, unsigned long flags,
	  const struct cgroup *cg, int (*entry)(void *), const void *args,
	  size_t len, int *placed, struct kerr *e)
{
	void *a = (void *)args;
	char *stack = NULL;
	int cgfd, err;
	pid_t pid;

	*placed = 0;
	if (ctr_may_share(cfg)) {
		stack = ctr_stack(e);
		if (!stack)
			return -1;
		/* the arguments at the top of the child's own stack: nothing
		 * of keel's stack is the child's to read */
		a = (void *)((uintptr_t)(stack - len) & ~(uintptr_t)15);
		memcpy(a, args, len);
		flags |= CLONE_VM;
	}
	cgfd = cg ? cgroup_open(cg) : -1;
	if (cgfd >= 0) {
		pid =
		    ctr_clone3(flags, cgfd, stack ? stack - CTR_STACK_SIZE : 0,
			       (char *)a, entry, a);
		err = errno;
		close(cgfd);
		*placed = pid >= 0;
		if (pid >= 0)
			return pid;
		if (!ctr_clone3_refused(err))
			return kerr_set(e, "clone", "into %s: %s", cg->path,
					kerr_strerror(err));
	}
	if (stack)
		pid = clone(entry, a, (int)(flags | SIGCHLD), a);
	else {
		/* fork semantics: the child owns a copy of *s, *c */
		pid = (pid_t)syscall(SYS_clone, flags | SIGCHLD, 0, 0, 0, 0);
		if (pid == 0)
			_exit(entry(a));
	}
	if (pid < 0)
		kerr_set(e, "clone", "%s", kerr_strerror(errno));
	return pid;
}
