// SPDX-License-Identifier: MIT
// Classic BPF seccomp filters: keel's default filter and the config's list.
#include <errno.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

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
	int nr;
	uint64_t caps; /* any of these re-allows the call; 0 = never */
} deny_list[] = {
    {SYS_mount, C_SYS_ADMIN},
    {SYS_umount2, C_SYS_ADMIN},
    {SYS_pivot_root, C_SYS_ADMIN},
    {SYS_fsopen, C_SYS_ADMIN},
    {SYS_fsconfig, C_SYS_ADMIN},
    {SYS_fsmount, C_SYS_ADMIN},
    {SYS_fspick, C_SYS_ADMIN},
    {SYS_move_mount, C_SYS_ADMIN},
    {SYS_open_tree, C_SYS_ADMIN},
    {SYS_mount_setattr, C_SYS_ADMIN},
    {SYS_setns, C_SYS_ADMIN},
    {SYS_swapon, C_SYS_ADMIN},
    {SYS_swapoff, C_SYS_ADMIN},
    {SYS_quotactl, C_SYS_ADMIN},
    {SYS_quotactl_fd, C_SYS_ADMIN},
    {SYS_lookup_dcookie, C_SYS_ADMIN},
    {SYS_keyctl, C_SYS_ADMIN},
    {SYS_add_key, C_SYS_ADMIN},
    {SYS_request_key, C_SYS_ADMIN},
    {SYS_kexec_load, C_SYS_BOOT},
    {SYS_kexec_file_load, C_SYS_BOOT},
    {SYS_reboot, C_SYS_BOOT},
    {SYS_init_module, C_SYS_MODULE},
    {SYS_finit_module, C_SYS_MODULE},
    {SYS_delete_module, C_SYS_MODULE},
    {SYS_bpf, C_SYS_ADMIN | C_BPF},
    {SYS_perf_event_open, C_SYS_ADMIN | C_PERFMON},
    {SYS_ptrace, C_SYS_PTRACE},
    {SYS_process_vm_readv, C_SYS_PTRACE},
    {SYS_process_vm_writev, C_SYS_PTRACE},
    {SYS_pidfd_getfd, C_SYS_PTRACE},
    {SYS_kcmp, C_SYS_PTRACE},
    {SYS_userfaultfd, C_SYS_PTRACE},
    {SYS_get_mempolicy, C_SYS_NICE},
    {SYS_set_mempolicy, C_SYS_NICE},
    {SYS_mbind, C_SYS_NICE},
    {SYS_move_pages, C_SYS_NICE},
    {SYS_open_by_handle_at, C_DAC_READ_SEARCH},
    {SYS_name_to_handle_at, C_DAC_READ_SEARCH},
    {SYS_acct, C_SYS_PACCT},
    {SYS_settimeofday, C_SYS_TIME},
    {SYS_clock_settime, C_SYS_TIME},
    {SYS_clock_adjtime, C_SYS_TIME},
    {SYS_adjtimex, C_SYS_TIME},
    {SYS_syslog, C_SYSLOG},
    {SYS_nfsservctl, C_NEVER},
#if defined(__x86_64__)
    /* calls x86_64 has and aarch64 never had */
    {SYS_iopl, C_SYS_RAWIO},
    {SYS_ioperm, C_SYS_RAWIO},
    {SYS__sysctl, C_NEVER},
    {SYS_uselib, C_NEVER},
    {SYS_create_module, C_NEVER},
    {SYS_get_kernel_syms, C_NEVER},
    {SYS_query_module, C_NEVER},
#endif
    /* io_uring's operations never pass through this filter */
    {SYS_io_uring_setup, C_NEVER},
    {SYS_io_uring_enter, C_NEVER},
    {SYS_io_uring_register, C_NEVER},
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

/* At most this many deny rules in a leaf of the search tree. */
#define SECCOMP_LEAF 4
#define DENY_MAX (sizeof(deny_list) / sizeof(deny_list[0]))

/* The deny rules' tree, and its JEQs that go to the shared EPERM. */
struct deny_tree {
	struct bpf_out *o;
	unsigned short jeq[DENY_MAX];
	int njeq;
};

/* The jump at insn at goes (jt) to the next instruction to be emitted. */
static void
jt_here(struct bpf_out *o, unsigned at)
{
	unsigned off = o->p->len - at - 1u;

	if (off > 255)
		o->err = 2;
	else if (!o->err)
		o->p->insns[at].jt = (uint8_t)off;
}

/*
 * A binary search over the sorted numbers nr[0..n): a leaf is a few
 * JEQs to the shared EPERM and an allow; a node sends nr >= its middle
 * number to its right half. Each call runs ~log2(n) + 4 instructions
 * here instead of one JEQ per rule, and so does the kernel when it
 * works out, at install, which calls the filter always allows.
 */
static void
deny_tree(struct deny_tree *t, const int *nr, int n)
{
	struct bpf_out *o = t->o;
	unsigned at;

	if (n <= SECCOMP_LEAF) {
		for (int i = 0; i < n; i++) {
			t->jeq[t->njeq++] = o->p->len;
			emit(o, BPF_JMP | BPF_JEQ | BPF_K, 0, 0,
			     (uint32_t)nr[i]);
		}
		ret(o, SECCOMP_RET_ALLOW);
		return;
	}
	at = o->p->len;
	emit(o, BPF_JMP | BPF_JGE | BPF_K, 0, 0, (uint32_t)nr[n / 2]);
	deny_tree(t, nr, n / 2);
	jt_here(o, at);
	deny_tree(t, nr + n / 2, n - n / 2);
}

static int
build_default(const struct oci_config *c, struct bpf_out *o)
{
	uint64_t have = c->cap_effective | c->cap_permitted;
	struct deny_tree t = {.o = o};
	int nr[DENY_MAX], n = 0;

	/* the rules this config keeps, sorted by number */
	for (size_t i = 0; i < DENY_MAX; i++) {
		int j = n++;

		if (have & deny_list[i].caps) {
			n--;
			continue;
		}
		for (; j > 0 && nr[j - 1] > deny_list[i].nr; j--)
			nr[j] = nr[j - 1];
		nr[j] = deny_list[i].nr;
	}
	/* clone3 passes flags in memory the filter cannot read: ENOSYS makes
	 * libcs fall back to clone, whose flags it can */
	rule(o, SYS_clone3, SECCOMP_RET_ERRNO | ENOSYS);
	no_userns(o, SYS_clone, 0);
	no_userns(o, SYS_unshare, 0);
	personality_values(o);
	deny_tree(&t, nr, n);
	for (int i = 0; i < t.njeq; i++)
		jt_here(o, t.jeq[i]);
	if (t.njeq)
		ret(o, SECCOMP_RET_ERRNO | EPERM);
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
	if (o.err == 2)
		return kerr_set(e, "seccomp",
				"a jump longer than 255 "
				"instructions");
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
	/* a kernel before seccomp(2) (3.17), or a caller's filter that
	 * refuses it: the same filter through prctl, whose mode numbers
	 * differ from seccomp(2)'s */
	if (errno == ENOSYS &&
	    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0) == 0)
		return 0;
	return kerr_set(e, "seccomp", "install filter: %s",
			kerr_strerror(errno));
}
