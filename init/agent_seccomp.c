// SPDX-License-Identifier: MIT
/* The agents' seccomp filter: the kernel's riskiest calls refused. */
#include <errno.h>
#include <stddef.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "compat/linux_seccomp.h"
#include "init/init.h"

/*
 * A deny list, not an allow list: an agent is keel's own code, run with
 * few capabilities as its own uid; the filter takes away what a parser
 * bug could still reach without any capability (user namespaces, bpf,
 * userfaultfd, perf, keyrings, ptrace of its peers) and what it never
 * needs. Every other call passes.
 */
/* A call of another ABI (x32, or 32-bit ARM on arm64) kills the agent. */
#define ARCH KEEL_AUDIT_ARCH_NATIVE
/* CLONE_NEWNS, NEWCGROUP, NEWUTS, NEWIPC, NEWUSER, NEWPID, NEWNET, NEWTIME */
#define CLONE_NS_MASK 0x7e020080u

static const long denied[] = {
    SYS_mount,
    SYS_umount2,
    SYS_pivot_root,
    SYS_chroot,
    SYS_swapon,
    SYS_swapoff,
    SYS_reboot,
    SYS_kexec_load,
    SYS_init_module,
    SYS_finit_module,
    SYS_delete_module,
    SYS_bpf,
    SYS_perf_event_open,
    SYS_ptrace,
    SYS_process_vm_readv,
    SYS_process_vm_writev,
    SYS_keyctl,
    SYS_add_key,
    SYS_request_key,
    SYS_unshare,
    SYS_setns,
    SYS_userfaultfd,
    SYS_open_by_handle_at,
    SYS_name_to_handle_at,
    SYS_acct,
    SYS_quotactl,
    SYS_syslog,
    SYS_personality,
#ifdef SYS_kexec_file_load
    SYS_kexec_file_load,
#endif
#ifdef SYS_iopl
    SYS_iopl,
    SYS_ioperm,
#endif
#ifdef SYS_open_tree
    SYS_open_tree,
    SYS_move_mount,
    SYS_fsopen,
    SYS_fsconfig,
    SYS_fsmount,
    SYS_fspick,
#endif
};
#define NDENIED (sizeof(denied) / sizeof(denied[0]))

static struct sock_filter prog[2 * NDENIED + 16];

#define STMT(c, k) ((struct sock_filter){(uint16_t)(c), 0, 0, (uint32_t)(k)})
#define JUMP(c, k, t, f)                                                       \
	((struct sock_filter){(uint16_t)(c), (uint8_t)(t), (uint8_t)(f),       \
			      (uint32_t)(k)})

static unsigned short
build(void)
{
	unsigned short n = 0;

	prog[n++] = STMT(BPF_LD | BPF_W | BPF_ABS, KEEL_SECCOMP_ARCH_OFF);
	prog[n++] = JUMP(BPF_JMP | BPF_JEQ | BPF_K, ARCH, 1, 0);
	prog[n++] = STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS);
	prog[n++] = STMT(BPF_LD | BPF_W | BPF_ABS, KEEL_SECCOMP_NR_OFF);
#if defined(__x86_64__)
	prog[n++] = JUMP(BPF_JMP | BPF_JGE | BPF_K, KEEL_X32_SYSCALL_BIT, 0, 1);
	prog[n++] = STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS);
#endif
	for (size_t i = 0; i < NDENIED; i++) {
		prog[n++] = JUMP(BPF_JMP | BPF_JEQ | BPF_K, denied[i], 0, 1);
		prog[n++] = STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM);
	}
	/* clone3's flags are in memory a filter cannot read: ENOSYS sends
	 * libc back to clone, whose flags it can. */
	prog[n++] = JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_clone3, 0, 1);
	prog[n++] = STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS);
	prog[n++] = JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_clone, 0, 3);
	prog[n++] = STMT(BPF_LD | BPF_W | BPF_ABS, KEEL_SECCOMP_ARG_OFF(0));
	prog[n++] = JUMP(BPF_JMP | BPF_JSET | BPF_K, CLONE_NS_MASK, 0, 1);
	prog[n++] = STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM);
	prog[n++] = STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
	return n;
}

/* In the child, after no_new_privs. 0 or -1. */
int
agent_seccomp(void)
{
	struct sock_fprog fp = {build(), prog};

	return (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &fp);
}
