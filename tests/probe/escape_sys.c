// SPDX-License-Identifier: MIT
/* Escape probes through system calls: the kernel interfaces that a
 * container's filter and capabilities must close (escape.c runs them). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/personality.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tests/probe/arm32.h"
#include "tests/probe/escape.h"

int
p_ptrace_reaper(char *d)
{
	char buf[8];
	struct iovec l = {buf, sizeof(buf)}, r = {(void *)0x400000, 8};

	if (getpid() == 1)
		return SAY(d, "the app is pid 1: no reaper"), NA;
	if (ptrace(PTRACE_ATTACH, 1, 0, 0) == 0) {
		waitpid(1, NULL, __WALL);
		ptrace(PTRACE_DETACH, 1, 0, 0);
		return SAY(d, "attached to pid 1"), ESCAPED;
	}
	SAY(d, "PTRACE_ATTACH: %s", strerror(errno));
	if (process_vm_readv(1, &l, 1, &r, 1, 0) >= 0 || errno == EFAULT)
		return SAY(d, "process_vm_readv of pid 1 passed its checks"),
		       ESCAPED;
	return REFUSED;
}

int
p_open_by_handle(char *d)
{
	struct {
		unsigned int bytes;
		int type;
		unsigned char h[8];
	} fh = {8, 1, {2, 0, 0, 0, 0, 0, 0, 0}}; /* ext4: root inode 2 */
	int m = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	long fd = syscall(SYS_open_by_handle_at, m, &fh, O_RDONLY);

	if (fd >= 0)
		return SAY(d, "opened inode 2 by handle"), ESCAPED;
	if (errno != EPERM)
		return SAY(d, "got past the capability check (%s)",
			   strerror(errno)),
		       ESCAPED;
	return SAY(d, "open_by_handle_at: %s", strerror(errno)), REFUSED;
}

int
p_keyring(char *d)
{
	long k = syscall(SYS_add_key, "user", "keel-probe", "x", 1, -2);

	if (k >= 0)
		return SAY(d, "add_key made key %ld", k), ESCAPED;
	SAY(d, "add_key: %s", strerror(errno));
	if (syscall(SYS_keyctl, 0 /* GET_KEYRING_ID */, -3, 0) >= 0)
		return SAY(d, "keyctl reached the session keyring"), ESCAPED;
	return REFUSED;
}

int
p_bpf(char *d)
{
	static const uint64_t insns[2] = {0xb7, 0x95}; /* r0 = 0; exit */
	uint64_t attr[16] = {0};
	long fd;

	attr[0] = 1 | (2ULL << 32); /* socket filter, 2 instructions */
	attr[1] = (uintptr_t)insns;
	attr[2] = (uintptr_t) "MIT";
	fd = syscall(SYS_bpf, 5 /* BPF_PROG_LOAD */, attr, sizeof(attr));
	if (fd >= 0)
		return SAY(d, "loaded a BPF program"), ESCAPED;
	return SAY(d, "bpf: %s", strerror(errno)), REFUSED;
}

int
p_perf_event(char *d)
{
	uint32_t attr[32] = {0};
	long fd;

	attr[0] = 1;  /* PERF_TYPE_SOFTWARE, config 0: cpu-clock */
	attr[1] = 64; /* PERF_ATTR_SIZE_VER0 */
	attr[10] = 1u << 5 | 1u << 6; /* exclude_kernel, exclude_hv */
	fd = syscall(SYS_perf_event_open, attr, 0, -1, -1, 0);
	if (fd >= 0)
		return SAY(d, "opened a perf event"), ESCAPED;
	return SAY(d, "perf_event_open: %s", strerror(errno)), REFUSED;
}

int
p_userfaultfd(char *d)
{
	long fd = syscall(SYS_userfaultfd, O_CLOEXEC);
	int err = errno;

	return refused_if(fd >= 0, d, "userfaultfd", err);
}

int
p_userns(char *d)
{
	long pid;

	if (unshare(CLONE_NEWUSER) == 0)
		return SAY(d, "unshare made a user namespace"), ESCAPED;
	SAY(d, "unshare: %s", strerror(errno));
	pid = syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, 0, 0, 0, 0);
	if (pid == 0)
		_exit(0);
	if (pid > 0) {
		waitpid((pid_t)pid, NULL, 0);
		return SAY(d, "clone made a user namespace"), ESCAPED;
	}
	return REFUSED;
}

int
p_clone3(char *d)
{
	uint64_t args[8] = {CLONE_NEWUSER, 0, 0, 0, SIGCHLD, 0, 0, 0};
	long pid = syscall(SYS_clone3, args, sizeof(args));

	if (pid == 0)
		_exit(0);
	if (pid > 0) {
		waitpid((pid_t)pid, NULL, 0);
		return SAY(d, "clone3 made a user namespace"), ESCAPED;
	}
	return SAY(d, "clone3: %s", strerror(errno)), REFUSED;
}

#if defined(__x86_64__)
int
p_x32(char *d)
{
	long r = syscall(0x40000000L | SYS_getpid);
	int err = errno;

	return refused_if(r > 0, d, "x32 getpid", err);
}

int
p_i386(char *d)
{
	long r;

	__asm__ volatile("int $0x80"
			 : "=a"(r)
			 : "a"(20L) /* i386 getpid */
			 : "memory", "r8", "r9", "r10", "r11");
	if (r > 0)
		return SAY(d, "int 0x80 getpid answered %ld", r), ESCAPED;
	return SAY(d, "int 0x80: %s", strerror((int)-r)), REFUSED;
}
#elif defined(__aarch64__)
/* A 32-bit ARM program (arm32.h) whose exit call is the compat ABI's. */
int
p_arm32(char *d)
{
	char *argv[] = {"arm32", NULL}, *envp[] = {NULL};
	int fd = memfd_create("arm32", 0), st = 0;
	pid_t pid;

	if (fd < 0 ||
	    write(fd, arm32_exit7, sizeof(arm32_exit7)) != sizeof(arm32_exit7))
		return SAY(d, "memfd: %s", strerror(errno)), NA;
	pid = fork();
	if (pid == 0) {
		syscall(SYS_execveat, fd, "", argv, envp, AT_EMPTY_PATH);
		_exit(errno == ENOEXEC ? 100 : 101);
	}
	if (pid < 0 || waitpid(pid, &st, 0) != pid)
		return SAY(d, "fork: %s", strerror(errno)), NA;
	if (WIFEXITED(st) && WEXITSTATUS(st) == 7)
		return SAY(d, "a 32-bit ARM exit call ran"), ESCAPED;
	if (WIFSIGNALED(st))
		return SAY(d, "the 32-bit ARM program was killed by signal %d",
			   WTERMSIG(st)),
		       REFUSED;
	if (WIFEXITED(st) && WEXITSTATUS(st) == 100)
		return SAY(d, "no 32-bit ARM code runs here"), NA;
	return SAY(d, "exec refused (status %#x)", st), REFUSED;
}
#endif

int
p_raw_socket(char *d)
{
	static const int s[][3] = {{AF_INET, SOCK_RAW, IPPROTO_ICMP},
				   {AF_INET6, SOCK_RAW, IPPROTO_ICMPV6},
				   {AF_PACKET, SOCK_RAW, 0}};

	for (size_t i = 0; i < sizeof(s) / sizeof(s[0]); i++) {
		int fd = socket(s[i][0], s[i][1] | SOCK_CLOEXEC, s[i][2]);

		if (fd >= 0)
			return SAY(d, "raw socket of family %d", s[i][0]),
			       ESCAPED;
		if (!i)
			SAY(d, "socket: %s", strerror(errno));
	}
	return REFUSED;
}

/* The call must fail with EPERM: any other answer got past the check. */
static int
eperm_only(long r, const char *what, char *d)
{
	if (r >= 0 || errno != EPERM)
		return SAY(d, "%s got past the check (%s)", what,
			   r >= 0 ? "succeeded" : strerror(errno)),
		       ESCAPED;
	return SAY(d, "%s: %s", what, strerror(errno)), REFUSED;
}

int
p_module(char *d)
{
	int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);

	if (eperm_only(syscall(SYS_init_module, NULL, 0UL, ""), "init_module",
		       d) == ESCAPED)
		return ESCAPED;
	return eperm_only(syscall(SYS_finit_module, fd, "", 0), "finit_module",
			  d);
}

int
p_kexec(char *d)
{
	return eperm_only(syscall(SYS_kexec_load, 0UL, 0UL, NULL, 0UL),
			  "kexec_load", d);
}

int
p_reboot(char *d)
{
	/* CAD_ON: the mildest command; in a child pid namespace EINVAL */
	return eperm_only(
	    syscall(SYS_reboot, 0xfee1deadL, 672274793L, 0x89abcdefL, NULL),
	    "reboot", d);
}

int
p_syslog(char *d)
{
	char buf[64];
	long r = syscall(SYS_syslog, 3, buf, sizeof(buf));
	int err = errno;

	return refused_if(r >= 0, d, "syslog read", err);
}

int
p_clock(char *d)
{
	struct timespec ts;
	int r, err;

	clock_gettime(CLOCK_REALTIME, &ts);
	r = clock_settime(CLOCK_REALTIME, &ts);
	err = errno;
	return refused_if(r == 0, d, "clock_settime", err);
}

int
p_io_uring(char *d)
{
	uint32_t params[64] = {0};
	long fd = syscall(SYS_io_uring_setup, 1, params);
	int err = errno;

	return refused_if(fd >= 0, d, "io_uring_setup", err);
}

int
p_personality(char *d)
{
	int cur = personality(0xffffffff);

	if (personality((unsigned long)cur | ADDR_NO_RANDOMIZE) != -1)
		return SAY(d, "ADDR_NO_RANDOMIZE set"), ESCAPED;
	return SAY(d, "personality: %s", strerror(errno)), REFUSED;
}
