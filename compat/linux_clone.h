/* SPDX-License-Identifier: MIT */
/* Kernel UAPI for clone3(2) (Linux 5.3; CLONE_INTO_CGROUP 5.7). */
#ifndef KEEL_COMPAT_LINUX_CLONE_H
#define KEEL_COMPAT_LINUX_CLONE_H

#include <stdint.h>

/* struct clone_args as of Linux 5.7 (CLONE_ARGS_SIZE_VER2, 88 bytes) */
struct keel_clone_args {
	uint64_t flags;
	uint64_t pidfd;
	uint64_t child_tid;
	uint64_t parent_tid;
	uint64_t exit_signal;
	uint64_t stack;
	uint64_t stack_size;
	uint64_t tls;
	uint64_t set_tid;
	uint64_t set_tid_size;
	uint64_t cgroup;
};

#define KEEL_CLONE_INTO_CGROUP 0x200000000ULL

#endif
