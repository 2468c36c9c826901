// SPDX-License-Identifier: MIT
// Unit tests of the cgroup device program: run by an interpreter of the
// few eBPF instructions it uses, and (as root) accepted by the verifier.
#include <errno.h>
#include <stdint.h>
#include <sys/mount.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "lib/container/devcg.h"
#include "unit.h"

static struct oci_config C;
static struct devcg_prog P;

#define B KEEL_DEVCG_DEV_BLOCK
#define CH KEEL_DEVCG_DEV_CHAR
#define R KEEL_DEVCG_ACC_READ
#define W KEEL_DEVCG_ACC_WRITE
#define M KEEL_DEVCG_ACC_MKNOD

/*
 * Runs p on one access. Returns the program's r0, or -1 for anything the
 * kernel would refuse to run: an unknown opcode, a jump out of the
 * program, falling off its end, or more steps than instructions (the
 * program has no back edge).
 */
static int
run(const struct devcg_prog *p, int type, int acc, uint32_t ma, uint32_t mi)
{
	uint32_t ctx[3] = {(uint32_t)(acc << 16 | type), ma, mi};
	uint64_t r[11] = {0};
	unsigned pc = 0, steps = 0;

	while (pc < p->len && steps++ <= p->len) {
		const struct keel_bpf_insn *i = &p->insns[pc++];
		int dst = i->regs & 15, src = i->regs >> 4;

		switch (i->code) {
		case KEEL_BPF_LDX_MEM_W:
			if (src != 1 || i->off < 0 || i->off > 8 || i->off % 4)
				return -1;
			r[dst] = ctx[i->off / 4];
			break;
		case KEEL_BPF_ALU_MOV_X:
			r[dst] = (uint32_t)r[src];
			break;
		case KEEL_BPF_ALU_AND_K:
			r[dst] = (uint32_t)r[dst] & (uint32_t)i->imm;
			break;
		case KEEL_BPF_ALU_RSH_K:
			r[dst] = (uint32_t)r[dst] >> i->imm;
			break;
		case KEEL_BPF_ALU64_MOV_K:
			r[dst] = (uint64_t)(int64_t)i->imm;
			break;
		case KEEL_BPF_JMP_JNE_K:
			if (r[dst] != (uint64_t)(int64_t)i->imm)
				pc += (unsigned)i->off;
			break;
		case KEEL_BPF_JMP_JSET_K:
			if (r[dst] & (uint64_t)(int64_t)i->imm)
				pc += (unsigned)i->off;
			break;
		case KEEL_BPF_JMP_EXIT:
			return (int)r[0];
		default:
			return -1;
		}
	}
	return -1;
}

static void
test_default(void)
{
	struct kerr e = {0};

	oci_default(&C);
	CHECK(devcg_build(&C, 0, &P, &e) == 0, "build: %s", e.detail);
	CHECK(P.len > 10 && P.len <= DEVCG_MAX_INSNS, "length %u", P.len);
	CHECK(run(&P, CH, R | W, 1, 3) == 1, "null rw");
	CHECK(run(&P, CH, M, 1, 3) == 1, "null mknod");
	CHECK(run(&P, CH, R, 1, 9) == 1, "urandom");
	CHECK(run(&P, CH, R | W, 5, 0) == 1, "tty");
	CHECK(run(&P, CH, R | W, 5, 2) == 1, "ptmx");
	CHECK(run(&P, CH, R | W, 136, 7) == 1, "pts/7");
	CHECK(run(&P, CH, R | W, 5, 1) == 0, "no console without a tty");
	CHECK(run(&P, CH, R, 1, 1) == 0, "/dev/mem refused");
	CHECK(run(&P, CH, R, 1, 11) == 0, "/dev/kmsg refused");
	CHECK(run(&P, CH, R | W, 10, 200) == 0, "tun refused");
	CHECK(run(&P, B, R, 8, 0) == 0, "sda refused");
	CHECK(run(&P, B, M, 253, 0) == 0, "mknod of a disk refused");
	CHECK(run(&P, B, R, 1, 3) == 0, "block 1:3 is not char 1:3");
	CHECK(run(&P, CH, 8 | R, 1, 3) == 0, "an unknown access bit refused");
	CHECK(run(&P, 4, R, 1, 3) == 0, "an unknown device type refused");
}

static void
test_granted(void)
{
	struct kerr e = {0};

	oci_default(&C);
	C.ndevices = 3;
	C.devices[0] =
	    (struct oci_device){"/dev/vdb", 'b', 254, 16, 0660, 0, 0};
	C.devices[1] =
	    (struct oci_device){"/dev/net/tun", 'c', 10, 200, 0666, 0, 0};
	C.devices[2] = (struct oci_device){"/dev/fifo", 'p', 0, 0, 0666, 0, 0};
	CHECK(devcg_build(&C, makedev(4, 64), &P, &e) == 0, "build: %s",
	      e.detail);
	CHECK(run(&P, B, R | W, 254, 16) == 1, "granted vdb");
	CHECK(run(&P, B, R, 254, 0) == 0, "vda still refused");
	CHECK(run(&P, B, R, 254, 17) == 0, "vdb1 refused");
	CHECK(run(&P, CH, R | W, 10, 200) == 1, "granted tun");
	CHECK(run(&P, B, R, 10, 200) == 0, "tun's numbers as a block dev");
	CHECK(run(&P, CH, R | W, 4, 64) == 1, "the console (ttyS0)");
	CHECK(run(&P, CH, R | W, 4, 65) == 0, "ttyS1 refused");
	CHECK(run(&P, CH, R, 0, 0) == 0, "a fifo grants no device");
}

static void
test_limits(void)
{
	struct kerr e = {0};

	oci_default(&C);
	C.ndevices = OCI_MAX_DEVICES;
	for (int i = 0; i < OCI_MAX_DEVICES; i++)
		C.devices[i] = (struct oci_device){
		    "/dev/x", 'b', 7, (uint32_t)i, 0600, 0, 0};
	CHECK(devcg_build(&C, makedev(136, 3), &P, &e) == 0,
	      "the most a config can grant fits: %s", e.detail);
	CHECK(run(&P, B, R, 7, OCI_MAX_DEVICES - 1) == 1, "the last rule");
	CHECK(run(&P, B, R, 7, OCI_MAX_DEVICES) == 0, "past the last rule");
}

/* As root: the kernel's verifier accepts the program. */
static void
test_kernel(void)
{
	struct kerr e = {0};
	int fd;

	if (geteuid() != 0) {
		printf("unit devcg: not root: the verifier was not asked\n");
		return;
	}
	oci_default(&C);
	CHECK(devcg_build(&C, makedev(5, 1), &P, &e) == 0, "build");
	fd = devcg_load(&P, &e);
	if (fd < 0 && (errno == ENOSYS || errno == EPERM)) {
		printf("unit devcg: no bpf(2) here: %s\n", e.detail);
		return;
	}
	CHECK(fd >= 0, "the verifier accepts it: %s", e.detail);
	if (fd >= 0)
		close(fd);
}

static void
test_needed(void)
{
	oci_default(&C);
	CHECK(!devcg_needed(&C), "no capability, no bind: not needed");
	C.cap_permitted = C.cap_effective = 1ULL << 27;
	CHECK(devcg_needed(&C), "CAP_MKNOD: needed");
	C.ns_flags |= OCI_NS_USER;
	CHECK(!devcg_needed(&C), "CAP_MKNOD in a user namespace: not needed");
	oci_default(&C);
	C.nmounts = 1;
	C.mounts[0] = (struct oci_mount){
	    "/srv", "/srv", OCI_MOUNT_BIND, MS_BIND | MS_NODEV, 0, ""};
	CHECK(!devcg_needed(&C), "a nodev bind: not needed");
	C.mounts[0].flags = MS_BIND | MS_REC;
	CHECK(devcg_needed(&C), "a bind that allows devices: needed");
	C.mounts[0].type = OCI_MOUNT_TMPFS;
	CHECK(!devcg_needed(&C), "a tmpfs (mknod needs CAP_MKNOD)");
}

int
main(void)
{
	test_needed();
	test_default();
	test_granted();
	test_limits();
	test_kernel();
	return unit_done("devcg");
}
