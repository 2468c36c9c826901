// SPDX-License-Identifier: MIT
// Unit tests of the seccomp filters: each runs installed in a forked child.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lib/config/names.h"
#include "lib/config/oci.h"
#include "tests/unit/refuse_call.h"
#include "unit.h"
#include "lib/container/seccomp.h"
#include "tests/probe/arm32.h"

static struct oci_config C;
static struct seccomp_prog P;

/* Instructions of the architecture check (seccomp.c's prologue). */
#if defined(__x86_64__)
#define PROLOGUE_LEN 6 /* and the x32 check */
#else
#define PROLOGUE_LEN 4
#endif

/* Child outcomes, as exit codes */
#define R_PASS 0    /* every probe behaved */
#define R_SETUP 100 /* could not install */

typedef int (*probe_fn)(void);

/* Installs P in a child, runs probe; returns the wait status. */
static int
in_child(probe_fn probe)
{
	struct kerr e;
	pid_t pid = fork();
	int st = -1;

	if (pid == 0) {
		if (seccomp_install(&P, &e) < 0)
			_exit(R_SETUP);
		_exit(probe());
	}
	waitpid(pid, &st, 0);
	return st;
}

static int
fails_with(long r, int err)
{
	return r == -1 && errno == err;
}

/* keel's default filter: escape calls get EPERM, ordinary calls work */
static int
probe_default(void)
{
	struct timespec ts = {0, 0};

	if (!fails_with(syscall(SYS_keyctl, 0, 0, 0, 0, 0), EPERM))
		return 1;
	if (!fails_with(syscall(SYS_init_module, 0, 0, ""), EPERM))
		return 2;
	if (!fails_with(syscall(SYS_finit_module, -1, "", 0), EPERM))
		return 3;
	if (!fails_with(syscall(SYS_mount, "none", "/", "tmpfs", 0, 0), EPERM))
		return 4;
	if (!fails_with(syscall(SYS_ptrace, 0, 0, 0, 0), EPERM))
		return 5;
	if (!fails_with(syscall(SYS_unshare, CLONE_NEWUSER), EPERM))
		return 6;
	if (!fails_with(syscall(SYS_clone3, 0, 0), ENOSYS))
		return 7;
	/* invalid clock: EINVAL would mean the call got past the filter */
	if (!fails_with(syscall(SYS_clock_settime, -1, &ts), EPERM))
		return 8;
	if (!fails_with(syscall(SYS_bpf, 0, 0, 0), EPERM))
		return 9;
	if (!fails_with(syscall(SYS_open_by_handle_at, -1, 0, 0), EPERM))
		return 10;
	/* terminal injection: EPERM before the kernel sees the bad fd, also
	 * with high bits set in the command (the kernel reads 32 bits) */
	if (!fails_with(syscall(SYS_ioctl, -1, 0x5412UL), EPERM))
		return 14;
	if (!fails_with(syscall(SYS_ioctl, -1, 0xffffffff00005412UL), EPERM))
		return 15;
	if (!fails_with(syscall(SYS_ioctl, -1, 0x541cUL), EPERM))
		return 16;
	if (!fails_with(syscall(SYS_ioctl, -1, 0x541bUL), EBADF)) /* FIONREAD */
		return 17;
	if (!fails_with(syscall(SYS_io_uring_setup, 1, 0), EPERM) ||
	    !fails_with(syscall(SYS_io_uring_enter, -1, 0, 0, 0, 0, 0),
			EPERM) ||
	    !fails_with(syscall(SYS_io_uring_register, -1, 0, 0, 0), EPERM))
		return 18;
	/* personality: the query and the harmless values only */
	if (syscall(SYS_personality, 0xffffffffUL) < 0 ||
	    syscall(SYS_personality, 0x0UL) < 0)
		return 19;
	if (!fails_with(syscall(SYS_personality, 0x0040000UL), EPERM) ||
	    !fails_with(syscall(SYS_personality, 0x0400000UL), EPERM))
		return 20;
	if (!fails_with(syscall(SYS_pidfd_getfd, -1, 0, 0), EPERM) ||
	    !fails_with(syscall(SYS_kcmp, 0, 0, 0, 0, 0), EPERM))
		return 21;
	/* allowed: unshare without a user namespace (EINVAL: bad flag) */
	if (fails_with(syscall(SYS_unshare, 0x1), EPERM))
		return 11;
	if (syscall(SYS_getpid) != getpid() || getppid() <= 0)
		return 12;
	/* fork still works (clone without CLONE_NEWUSER) */
	pid_t p = fork();
	if (p == 0)
		_exit(7);
	int st;
	if (p < 0 || waitpid(p, &st, 0) != p || WEXITSTATUS(st) != 7)
		return 13;
	return R_PASS;
}

/* CAP_SYS_TIME granted: the clock calls pass the filter (kernel decides) */
static int
probe_time_granted(void)
{
	struct timespec ts = {0, 0};

	if (!fails_with(syscall(SYS_clock_settime, -1, &ts), EINVAL))
		return 1;
	if (!fails_with(syscall(SYS_keyctl, 0, 0, 0, 0, 0), EPERM))
		return 2;
	return R_PASS;
}

#if defined(__x86_64__)
/* The other ABI this kernel runs: an x32 call */
static int
probe_compat(void)
{
	syscall(0x40000000 | SYS_getpid);
	return 1; /* not reached: killed */
}
#else
/* The other ABI this kernel runs: a 32-bit ARM program (arm32.h) */
#define R_NO_ARM32 102 /* the exec failed: no 32-bit ARM here */

static int
probe_compat(void)
{
	char *argv[] = {"arm32", NULL}, *envp[] = {NULL};
	int fd = memfd_create("arm32", 0);

	if (fd < 0 ||
	    write(fd, arm32_exit7, sizeof(arm32_exit7)) != sizeof(arm32_exit7))
		return R_SETUP;
	syscall(SYS_execveat, fd, "", argv, envp, AT_EMPTY_PATH);
	return R_NO_ARM32;
}
#endif

/* config filter: uname → errno 38, getppid → kill, default allow */
static int
probe_config_errno(void)
{
	if (!fails_with(syscall(SYS_uname, 0), 38))
		return 1;
	if (syscall(SYS_getpid) != getpid())
		return 2;
	/* keel's floor in every filter: no terminal injection */
	if (!fails_with(syscall(SYS_ioctl, -1, 0x5412UL), EPERM) ||
	    !fails_with(syscall(SYS_ioctl, -1, 0x541cUL), EPERM))
		return 3;
	if (!fails_with(syscall(SYS_ioctl, -1, 0x541bUL), EBADF))
		return 4;
	return R_PASS;
}

static int
probe_config_kill(void)
{
	syscall(SYS_getppid);
	return 1;
}

static int
probe_config_trap(void)
{
	syscall(SYS_getuid);
	return 1;
}

static int
parse(const char *s)
{
	struct kerr e = {0};
	int r = oci_parse(s, strlen(s), &C, &e);

	CHECK(r == 0, "parse: %s", e.detail);
	return r;
}

/* A call of the kernel's other ABI (x32; 32-bit ARM) is killed. */
static void
test_compat(void)
{
	int st;

#if defined(__aarch64__)
	pid_t pid = fork();

	if (pid == 0)
		_exit(probe_compat()); /* no filter: the program runs */
	waitpid(pid, &st, 0);
	if (WIFEXITED(st) && WEXITSTATUS(st) == R_NO_ARM32) {
		printf("SKIP seccomp: this kernel or CPU runs no 32-bit ARM "
		       "code\n");
		return;
	}
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 7,
	      "32-bit ARM program without a filter exits 7: status %#x", st);
#endif
	st = in_child(probe_compat);
	CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS,
	      "call of the other ABI killed: status %#x", st);
}

/*
 * The filter run in user space on seccomp_data {nr, native arch, args 0}:
 * the subset of classic BPF keel's filters use. -1 for anything else.
 */
static long
run_filter(const struct seccomp_prog *p, int nr)
{
	uint32_t a = 0;

	for (unsigned pc = 0; pc < p->len; pc++) {
		const struct sock_filter *f = &p->insns[pc];

		switch (f->code) {
		case BPF_LD | BPF_W | BPF_ABS:
			a = f->k == KEEL_SECCOMP_NR_OFF ? (uint32_t)nr
			    : f->k == KEEL_SECCOMP_ARCH_OFF
				? KEEL_AUDIT_ARCH_NATIVE
				: 0;
			break;
		case BPF_JMP | BPF_JEQ | BPF_K:
			pc += a == f->k ? f->jt : f->jf;
			break;
		case BPF_JMP | BPF_JGE | BPF_K:
			pc += a >= f->k ? f->jt : f->jf;
			break;
		case BPF_JMP | BPF_JSET | BPF_K:
			pc += (a & f->k) ? f->jt : f->jf;
			break;
		case BPF_RET | BPF_K:
			return f->k;
		default:
			return -1;
		}
	}
	return -1;
}

/* keel's deny list, by name: EPERM unless a capability re-allows it */
static const char *const denied[] = {
    "mount",
    "umount2",
    "pivot_root",
    "fsopen",
    "fsconfig",
    "fsmount",
    "fspick",
    "move_mount",
    "open_tree",
    "mount_setattr",
    "setns",
    "swapon",
    "swapoff",
    "quotactl",
    "quotactl_fd",
    "lookup_dcookie",
    "keyctl",
    "add_key",
    "request_key",
    "kexec_load",
    "kexec_file_load",
    "reboot",
    "init_module",
    "finit_module",
    "delete_module",
    "bpf",
    "perf_event_open",
    "ptrace",
    "process_vm_readv",
    "process_vm_writev",
    "pidfd_getfd",
    "kcmp",
    "userfaultfd",
    "get_mempolicy",
    "set_mempolicy",
    "mbind",
    "move_pages",
    "open_by_handle_at",
    "name_to_handle_at",
    "acct",
    "settimeofday",
    "clock_settime",
    "clock_adjtime",
    "adjtimex",
    "syslog",
    "nfsservctl",
    "io_uring_setup",
    "io_uring_enter",
    "io_uring_register",
#if defined(__x86_64__)
    "iopl",
    "ioperm",
    "_sysctl",
    "uselib",
    "create_module",
    "get_kernel_syms",
    "query_module",
#endif
};

/* Every number up to 600 gets the deny list's verdict, no other: the
 * search tree has no gap and no stray at a boundary. */
static void
test_every_nr(int time_granted)
{
	int wrong = 0;

	for (int nr = 0; nr < 600; nr++) {
		long want = SECCOMP_RET_ALLOW, got = run_filter(&P, nr);

		for (size_t i = 0; i < sizeof(denied) / sizeof(denied[0]); i++)
			if (syscall_nr(denied[i]) == nr &&
			    !(time_granted && strstr(denied[i], "time")))
				want = SECCOMP_RET_ERRNO | EPERM;
		if (nr == SYS_clone3)
			want = SECCOMP_RET_ERRNO | ENOSYS;
		if (got != want && wrong++ < 3)
			CHECK(0, "default filter, call %d: %#lx, not %#lx", nr,
			      (unsigned long)got, (unsigned long)want);
	}
	CHECK(!wrong, "default filter: every call number's verdict (%d wrong)",
	      wrong);
}

/*
 * seccomp_install where seccomp(2) answers ENOSYS (a kernel before 3.17,
 * or a caller's filter, as here): the prctl path must install the same
 * filter, not strict mode (which kills the child at its first getpid).
 */
static int
probe_prctl_path(void)
{
	struct kerr e;

	if (refuse_call(SYS_seccomp, ENOSYS) < 0 ||
	    !fails_with(syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, NULL),
			ENOSYS))
		return R_SETUP;
	if (seccomp_install(&P, &e) < 0)
		return 3;
	if (getpid() < 0) /* strict mode: SIGKILL here */
		return 4;
	return probe_default();
}

static void
test_default(void)
{
	struct kerr e;
	int st;

	oci_default(&C);
	CHECK(seccomp_build(&C, &P, &e) == 0 && P.len > 20, "build default");
	test_every_nr(0);
	st = in_child(probe_default);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == R_PASS,
	      "default filter probes: status %#x (exit %d)", st,
	      WEXITSTATUS(st));
	st = -1;
	if (fork() == 0)
		_exit(probe_prctl_path());
	wait(&st);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == R_PASS,
	      "default filter through prctl (seccomp(2) refused): status %#x",
	      st);
	test_compat();

	C.cap_permitted = C.cap_effective = 1ULL << 25; /* CAP_SYS_TIME */
	CHECK(seccomp_build(&C, &P, &e) == 0, "build with CAP_SYS_TIME");
	test_every_nr(1);
	st = in_child(probe_time_granted);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == R_PASS,
	      "CAP_SYS_TIME re-allows clock_settime: status %#x", st);
}

static void
test_config(void)
{
	struct kerr e;
	int st;

	if (parse(
		"{\"ociVersion\":\"1.2.0\",\"process\":{\"args\":[\"x\"]},"
		"\"linux\":{\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ALLOW\","
		"\"syscalls\":[{\"names\":[\"uname\"],\"action\":"
		"\"SCMP_ACT_ERRNO\",\"errnoRet\":38},{\"names\":[\"getppid\"],"
		"\"action\":\"SCMP_ACT_KILL\"},{\"names\":[\"getuid\"],"
		"\"action\":\"SCMP_ACT_TRAP\"}]}}}") < 0)
		return;
	/* prologue, the terminal floor, three rules, the default */
	CHECK(seccomp_build(&C, &P, &e) == 0 &&
		  P.len == PROLOGUE_LEN + 6 + 6 + 1,
	      "build config filter: %d insns", P.len);
	st = in_child(probe_config_errno);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == R_PASS,
	      "SCMP_ACT_ERRNO errnoRet: status %#x", st);
	st = in_child(probe_config_kill);
	CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS,
	      "SCMP_ACT_KILL kills with SIGSYS: status %#x", st);
	st = in_child(probe_config_trap);
	CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS,
	      "SCMP_ACT_TRAP raises SIGSYS: status %#x", st);
	/* a default action of kill: a call outside the list dies */
	if (parse(
		"{\"ociVersion\":\"1.0.0\",\"process\":{\"args\":[\"x\"]},"
		"\"linux\":{\"seccomp\":{\"defaultAction\":"
		"\"SCMP_ACT_KILL_PROCESS\",\"syscalls\":[{\"names\":[\"uname\","
		"\"exit_group\",\"exit\",\"getpid\"],\"action\":"
		"\"SCMP_ACT_ALLOW\"}]}}}") < 0)
		return;
	CHECK(seccomp_build(&C, &P, &e) == 0, "build allow list");
	st = in_child(probe_config_kill);
	CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS,
	      "default kill: status %#x", st);
}

static void
test_tables(void)
{
	CHECK(syscall_nr("read") == SYS_read, "read");
	CHECK(syscall_nr("clone3") == 435, "clone3 = 435");
	CHECK(syscall_nr("mseal") == 462, "mseal = 462");
	CHECK(syscall_nr("nope") == -1, "unknown name");
	CHECK(syscall_nr("keyctl") == SYS_keyctl, "keyctl");
	CHECK(syscall_name(SYS_pivot_root) &&
		  !strcmp(syscall_name(SYS_pivot_root), "pivot_root"),
	      "name of pivot_root");
	CHECK(caps_from_name("CAP_CHOWN") == 0 &&
		  caps_from_name("CAP_CHECKPOINT_RESTORE") == 40 &&
		  caps_from_name("CAP_SYS_ADMIN") == 21 &&
		  caps_from_name("CAP_NOPE") == -1,
	      "capability names");
	CHECK(caps_name(39) && !strcmp(caps_name(39), "CAP_BPF") &&
		  !caps_name(41),
	      "capability numbers");
}

int
main(void)
{
	test_tables();
	test_default();
	test_config();
	return unit_done("seccomp");
}
