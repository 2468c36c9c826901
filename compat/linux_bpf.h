/* SPDX-License-Identifier: MIT */
/* Kernel UAPI for eBPF cgroup device programs (musl lacks linux/). */
#ifndef KEEL_COMPAT_LINUX_BPF_H
#define KEEL_COMPAT_LINUX_BPF_H

#include <stdint.h>

/* one eBPF instruction; regs = dst | src << 4 (little endian) */
struct keel_bpf_insn {
	uint8_t code;
	uint8_t regs;
	int16_t off;
	int32_t imm;
};

/* opcodes (linux/bpf.h, linux/bpf_common.h) */
#define KEEL_BPF_LDX_MEM_W 0x61	  /* dst = *(u32 *)(src + off) */
#define KEEL_BPF_ALU_MOV_X 0xbc	  /* w_dst = w_src */
#define KEEL_BPF_ALU_AND_K 0x54	  /* w_dst &= imm */
#define KEEL_BPF_ALU_RSH_K 0x74	  /* w_dst >>= imm */
#define KEEL_BPF_ALU64_MOV_K 0xb7 /* dst = imm */
#define KEEL_BPF_JMP_JNE_K 0x55	  /* if dst != imm: pc += off */
#define KEEL_BPF_JMP_JSET_K 0x45  /* if dst & imm: pc += off */
#define KEEL_BPF_JMP_EXIT 0x95	  /* return r0 */

/* bpf(2) commands, program and attach types */
#define KEEL_BPF_PROG_LOAD 5
#define KEEL_BPF_PROG_ATTACH 8
#define KEEL_BPF_PROG_TYPE_CGROUP_DEVICE 15
#define KEEL_BPF_CGROUP_DEVICE 6

/* the prefix of union bpf_attr that BPF_PROG_LOAD reads */
struct keel_bpf_prog_load {
	uint32_t prog_type;
	uint32_t insn_cnt;
	uint64_t insns;
	uint64_t license;
	uint32_t log_level;
	uint32_t log_size;
	uint64_t log_buf;
};

/* the prefix of union bpf_attr that BPF_PROG_ATTACH reads */
struct keel_bpf_prog_attach {
	uint32_t target_fd;
	uint32_t attach_bpf_fd;
	uint32_t attach_type;
	uint32_t attach_flags;
};

/* struct bpf_cgroup_dev_ctx: what a device program is given */
#define KEEL_DEVCG_CTX_ACCESS 0 /* u32: access << 16 | type */
#define KEEL_DEVCG_CTX_MAJOR 4	/* u32 */
#define KEEL_DEVCG_CTX_MINOR 8	/* u32 */
#define KEEL_DEVCG_DEV_BLOCK 1
#define KEEL_DEVCG_DEV_CHAR 2
#define KEEL_DEVCG_ACC_MKNOD 1
#define KEEL_DEVCG_ACC_READ 2
#define KEEL_DEVCG_ACC_WRITE 4

#endif
