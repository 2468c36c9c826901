/* SPDX-License-Identifier: MIT */
/* Kernel UAPI for classic BPF and seccomp filters (musl lacks linux/). */
#ifndef KEEL_COMPAT_LINUX_SECCOMP_H
#define KEEL_COMPAT_LINUX_SECCOMP_H

#include <stdint.h>
#include <sys/syscall.h>

#ifndef BPF_LD
struct sock_filter {
	uint16_t code;
	uint8_t jt;
	uint8_t jf;
	uint32_t k;
};

struct sock_fprog {
	unsigned short len;
	struct sock_filter *filter;
};

/* instruction classes and fields (linux/bpf_common.h) */
#define BPF_LD 0x00
#define BPF_JMP 0x05
#define BPF_RET 0x06
#define BPF_ALU 0x04
#define BPF_W 0x00
#define BPF_ABS 0x20
#define BPF_JEQ 0x10
#define BPF_JGE 0x30
#define BPF_JSET 0x40
#define BPF_K 0x00
#define BPF_AND 0x50
#endif

#define KEEL_BPF_MAXINSNS 4096

#ifndef SECCOMP_RET_KILL_PROCESS
#define SECCOMP_RET_KILL_PROCESS 0x80000000U
#define SECCOMP_RET_KILL_THREAD 0x00000000U
#define SECCOMP_RET_TRAP 0x00030000U
#define SECCOMP_RET_ERRNO 0x00050000U
#define SECCOMP_RET_TRACE 0x7ff00000U
#define SECCOMP_RET_LOG 0x7ffc0000U
#define SECCOMP_RET_ALLOW 0x7fff0000U
#define SECCOMP_RET_DATA 0x0000ffffU
#endif

#ifndef BPF_JA
#define BPF_JA 0x00
#endif

#ifndef SECCOMP_SET_MODE_FILTER
#define SECCOMP_SET_MODE_STRICT 0
#define SECCOMP_SET_MODE_FILTER 1
#endif
/* prctl(PR_SET_SECCOMP)'s modes, numbered apart from seccomp(2)'s: 1 there
 * is strict mode (read, write, exit and sigreturn only). */
#ifndef SECCOMP_MODE_FILTER
#define SECCOMP_MODE_STRICT 1
#define SECCOMP_MODE_FILTER 2
#endif

/* System calls musl's headers lack (numbered alike on x86_64 and
 * aarch64, as every call from 424 on). */
#ifndef SYS_quotactl_fd
#define SYS_quotactl_fd 443
#endif

/* struct seccomp_data: offsets read by the filter */
#define KEEL_SECCOMP_NR_OFF 0
#define KEEL_SECCOMP_ARCH_OFF 4
#define KEEL_SECCOMP_ARG_OFF(n) (16 + 8 * (n))

#define KEEL_AUDIT_ARCH_X86_64 0xc000003eU
#define KEEL_X32_SYSCALL_BIT 0x40000000U
#define KEEL_AUDIT_ARCH_AARCH64 0xc00000b7U
/* This build's: the only architecture a filter lets through (a 32-bit
 * ARM task on arm64 reports AUDIT_ARCH_ARM, 0x40000028, and i386 calls on
 * x86_64 AUDIT_ARCH_I386: both are killed). */
#if defined(__x86_64__)
#define KEEL_AUDIT_ARCH_NATIVE KEEL_AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define KEEL_AUDIT_ARCH_NATIVE KEEL_AUDIT_ARCH_AARCH64
#endif

#endif
