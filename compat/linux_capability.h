/* SPDX-License-Identifier: MIT */
/* Kernel UAPI for capget/capset and prctl bits (no sys/capability.h). */
#ifndef KEEL_COMPAT_LINUX_CAPABILITY_H
#define KEEL_COMPAT_LINUX_CAPABILITY_H

#include <stdint.h>

#define KEEL_CAP_VERSION_3 0x20080522 /* _LINUX_CAPABILITY_VERSION_3 */
#define KEEL_CAP_KILL 5		      /* CAP_KILL */
#define KEEL_CAP_SYS_PTRACE 19	      /* CAP_SYS_PTRACE */

struct keel_cap_header {
	uint32_t version;
	int pid;
};

/* version 3: two of these, [0] = caps 0..31, [1] = caps 32..63 */
struct keel_cap_data {
	uint32_t effective;
	uint32_t permitted;
	uint32_t inheritable;
};

#ifndef PR_SET_KEEPCAPS
#define PR_SET_KEEPCAPS 8
#endif
#ifndef PR_SET_SECUREBITS
#define PR_SET_SECUREBITS 28
#define PR_GET_SECUREBITS 27
#endif

#endif
