// SPDX-License-Identifier: MIT
// Classic BPF seccomp filters: keel's default filter and the config's list.
#include <errno.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "lib/config/names.h"
#include "lib/container/seccomp.h"

#define CAP(n) (1ULL << (n))
#define C_SYS_ADMIN CAP(21)
#define C_SYS_BOOT CAP(22)
#define C_SYS_MODULE CAP(16)
#define C_SYS_PTRACE CAP(19)
#define C_SYS_TIME CAP(25)
#define C_SYS_PACCT CAP(20)
#define C_SYS_RAWIO CAP(17)
#define C_DAC_READ_SEARCH CAP(2)
#define C_SYSLOG CAP(34)
#define C_PERFMON CAP(38)
#define C_BPF CAP(39)
#define C_SYS_NICE CAP(23)
#define C_NEVER 0

#define KEEL_CLONE_NEWUSER 0x10000000U
#define KEEL_TIOCSTI 0x5412U   /* push a byte into a terminal's input */
#define KEEL_TIOCLINUX 0x541cU /* virtual console: paste, selection */

/*
 * Keel's default filter: these calls fail with EPERM unless the config
 * grants one of the listed capabilities (in the effective or permitted
 * set), in which case the kernel's own capability check is the guard.
 * Everything else is allowed (a deny list, as Docker's profile is in
 * effect for a root-less, capability-less process).
 */
static const struct {
	const char *name;
	uint64_t caps; /* any of these re-allows the call; 0 = never */
} deny_list[] = {
    {"mount", C_SYS_ADMIN},
    {"umount2", C_SYS_ADMIN},
    {"pivot_root", C_SYS_ADMIN},
    {"fsopen", C_SYS_ADMIN},
    {"fsconfig", C_SYS_ADMIN},
    {"fsmount", C_SYS_ADMIN},
    {"fspick", C_SYS_ADMIN},
    {"move_mount", C_SYS_ADMIN},
    {"open_tree", C_SYS_ADMIN},
    {"mount_setattr", C_SYS_ADMIN},
    {"setns", C_SYS_ADMIN},
    {"swapon", C_SYS_ADMIN},
    {"swapoff", C_SYS_ADMIN},
    {"quotactl", C_SYS_ADMIN},
    {"quotactl_fd", C_SYS_ADMIN},
    {"lookup_dcookie", C_SYS_ADMIN},
    {"keyctl", C_SYS_ADMIN},
    {"add_key", C_SYS_ADMIN},
    {"request_key", C_SYS_ADMIN},
    {"kexec_load", C_SYS_BOOT},
    {"kexec_file_load", C_SYS_BOOT},
    {"reboot", C_SYS_BOOT},
    {"init_module", C_SYS_MODULE},
    {"finit_module", C_SYS_MODULE},
    {"delete_module", C_SYS_MODULE},
    {"bpf", C_SYS_ADMIN | C_BPF},
    {"perf_event_open", C_SYS_ADMIN | C_PERFMON},
    {"ptrace", C_SYS_PTRACE},
    {"process_vm_readv", C_SYS_PTRACE},
    {"process_vm_writev", C_SYS_PTRACE},
    {"pidfd_getfd", C_SYS_PTRACE},
    {"kcmp", C_SYS_PTRACE},
    {"userfaultfd", C_SYS_PTRACE},
    {"get_mempolicy", C_SYS_NICE},
    {"set_mempolicy", C_SYS_NICE},
    {"mbind", C_SYS_NICE},
    {"move_pages", C_SYS_NICE},
    {"open_by_handle_at", C_DAC_READ_SEARCH},
    {"name_to_handle_at", C_DAC_READ_SEARCH},
    {"acct", C_SYS_PACCT},
    {"settimeofday", C_SYS_TIME},
    {"clock_settime", C_SYS_TIME},
    {"clock_adjtime", C_SYS_TIME},
    {"adjtimex", C_SYS_TIME},
    {"syslog", C_SYSLOG},
    {"nfsservctl", C_NEVER},
#if defined(__x86_64__)
    /* calls x86_64 has and aarch64 never had */
    {"iopl", C_SYS_RAWIO},
    {"ioperm", C_SYS_RAWIO},
    {"_sysctl", C_NEVER},
    {"uselib", C_NEVER},
    {"create_module", C_NEVER},
    {"get_kernel_syms", C_NEVER},
    {"query_module", C_NEVER},
#endif
    /* io_uring's operations never pass through this filter */
    {"io_uring_setup", C_NEVER},
    {"io_uring_enter", C_NEVER},
    {"io_uring_register", C_NEVER},
};

/* personality(2) values that change nothing that matters (Docker's):
 * Linux, PER_LINUX32, UNAME26, both, and the query 0xffffffff */
static const uint32_t harmless_personality[] = {0x0, 0x8, 0x20000, 0x20008,
						0xffffffffU};

struct bpf_out {
	struct seccomp_prog *p;
	struct kerr *e;
	int err;
};

static void
emit(struct bpf_out *o, uint16_t code, uint8_t jt, uint8_t jf, uint32_t k)
{
	if (o->p->len >= SECCOMP_MAX_INSNS) {
		o->err = 1;
		return;
	}
	o->p->insns[o->p->len++] = (struct sock_filter){code, jt, jf, k};
}

static void
ld_abs(struct bpf_out *o, uint32_t off)
{
	emit(o, BPF_LD | BPF_W | BPF_ABS, 0, 0, off);
}

static void
ret(struct bpf_out *o, uint32_t action)
{
	emit(o, BPF_RET | BPF_K, 0, 0, action);
}

/* if nr == n: return action */
static void
rule(struct bpf_out *o, int nr, uint32_t action)
{
	emit(o, BPF_JMP | BPF_JEQ | BPF_K, 0, 1, (uint32_t)nr);
	ret(o, action);
}

/* if nr == n: (flags arg & CLONE_NEWUSER) ? EPERM : allow */
static void
no_userns(struct bpf_out *o, int nr, int arg)
{
	emit(o, BPF_JMP | BPF_JEQ | BPF_K, 0, 4, (uint32_t)nr);
	ld_abs(o, KEEL_SECCOMP_ARG_OFF(arg)); /* low 32 bits (little endian) */
	emit(o, BPF_JMP | BPF_JSET | BPF_K, 0, 1, KEEL_CLONE_NEWUSER);
	ret(o, SECCOMP_RET_ERRNO | EPERM);
	ret(o, SECCOMP_RET_ALLOW);
}

/*
 * In every filter, first: ioctl TIOCSTI and TIOCLINUX fail with EPERM
 * (whatever the high bits of the command: the kernel reads 32). Other
 * calls go on to the rules below with A = nr again.
 */
static void
no_tty_push(struct bpf_out *o)
{
	emit(o, BPF_JMP | BPF_JEQ | BPF_K, 0, 4, SYS_ioctl);
	ld_abs(o, KEEL_SECCOMP_ARG_OFF(1));
	emit(o, BPF_JMP | BPF_JEQ | BPF_K, 1, 0, KEEL_TIOCSTI);
	emit(o, BPF_JMP | BPF_JEQ | BPF_K, 0, 1, KEEL_TIOCLINUX);
	ret(o, SECCOMP_RET_ERRNO | EPERM);
	ld_abs(o, KEEL_SECCOMP_NR_OFF);
}

/* if nr == personality: allowed for the harmless values, else EPERM */
static void
personality_values(struct bpf_out *o)
{
	const uint8_t n =
	    sizeof(harmless_personality) / sizeof(harmless_personality[0]);

	emit(o, BPF_JMP | BPF_JEQ | BPF_K, 0, (uint8_t)(n + 3),
	     SYS_personality);
	ld_abs(o, KEEL_SECCOMP_ARG_OFF(0));
	for (uint8_t i = 0; i < n; i++)
		emit(o, BPF_JMP | BPF_JEQ | BPF_K, (uint8_t)(n - i), 0,
		     harmless_personality[i]);
	ret(o, SECCOMP_RET_ERRNO | EPERM);
	ret(o, SECCOMP_RET_ALLOW);
}

/*
 * The arch must be this build's (x86_64: not i386; aarch64: not 32-bit
 * ARM) and, on x86_64, the call not x32; A = nr afterwards.
 */
static void
prologue(struct bpf_out *o)
{
	ld_abs(o, KEEL_SECCOMP_ARCH_OFF);
	emit(o, BPF_JMP | BPF_JEQ | BPF_K, 1, 0, KEEL_AUDIT_ARCH_NATIVE);
	ret(o, SECCOMP_RET_KILL_PROCESS);
	ld_abs(o, KEEL_SECCOMP_NR_OFF);
#if defined(__x86_64__)
	emit(o, BPF_JMP | BPF_JGE | BPF_K, 0, 1, KEEL_X32_SYSCALL_BIT);
	ret(o, SECCOMP_RET_KILL_PROCESS);
#endif
}

static int
build_default(const struct oci_config *c, struct bpf_out *o)
{
	uint64_t have = c->cap_effective | c->cap_permitted;

	for (size_t i = 0; i < sizeof(deny_list) / sizeof(deny_list[0]); i++) {
		int nr = syscall_nr(deny_list[i].name);
		if (nr < 0)
			return kerr_set(o->e, "seccomp", "no syscall %s",
					deny_list[i].name);
		if (!(have & deny_list[i].caps))
			rule(o, nr, SECCOMP_RET_ERRNO | EPERM);
	}
	/* clone3 passes flags in memory the filter cannot read: ENOSYS makes
	 * libcs fall back to clone, whose flags it can */
	rule(o, SYS_clone3, SECCOMP_RET_ERRNO | ENOSYS);
	no_userns(o, SYS_clone, 0);
	no_userns(o, SYS_unshare, 0);
	personality_values(o);
	ret(o, SECCOMP_RET_ALLOW);
	return 0;
}

int
seccomp_build(const struct oci_config *c, struct seccomp_prog *p,
	      struct kerr *e)
{
	struct bpf_out o = {p, e, 0};

	p->len = 0;
	prologue(&o);
	no_tty_push(&o);
	if (!c->has_seccomp) {
		if (build_default(c, &o) < 0)
			return -1;
	} else {
		for (int i = 0; i < c->nrules; i++)
			rule(&o, c->rules[i].nr, c->rules[i].action);
		ret(&o, c->seccomp_default);
	}
	if (o.err)
		return kerr_set(e, "seccomp",
				"filter longer than %d "
				"instructions",
				SECCOMP_MAX_INSNS);
	return 0;
}

int
seccomp_install(const struct seccomp_prog *p, struct kerr *e)
{
	struct sock_fprog prog = {
	    .len = p->len,
	    .filter = (struct sock_filter *)p->insns,
	};

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return kerr_set(e, "seccomp", "no_new_privs: %s",
				kerr_strerror(errno));
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) == 0)
		return 0;
	if (errno == ENOSYS &&
	    prctl(PR_SET_SECCOMP, SECCOMP_SET_MODE_FILTER, &prog, 0, 0) == 0)
		return 0;
	return kerr_set(e, "seccomp", "install filter: %s",
			kerr_strerror(errno));
}
