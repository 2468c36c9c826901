// SPDX-License-Identifier: MIT
/* The container's device allowlist, written as eBPF by hand (no libbpf). */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "lib/container/devcg.h"

#define ACC_ALL                                                                \
	(KEEL_DEVCG_ACC_MKNOD | KEEL_DEVCG_ACC_READ | KEEL_DEVCG_ACC_WRITE)

/* Registers while the program runs (r1 is the context on entry). */
#define R_ACC 2	  /* requested access bits */
#define R_TYPE 3  /* block or char */
#define R_MAJOR 4 /* major */
#define R_MINOR 5 /* minor */

struct devcg_rule {
	int type;	      /* KEEL_DEVCG_DEV_* */
	int64_t major, minor; /* DEVCG_ANY or the number */
};

/* keel's /dev (container_dev.c) and the devpts slaves */
static const struct devcg_rule keel_nodes[] = {
    {KEEL_DEVCG_DEV_CHAR, 1, 3},	   /* null */
    {KEEL_DEVCG_DEV_CHAR, 1, 5},	   /* zero */
    {KEEL_DEVCG_DEV_CHAR, 1, 7},	   /* full */
    {KEEL_DEVCG_DEV_CHAR, 1, 8},	   /* random */
    {KEEL_DEVCG_DEV_CHAR, 1, 9},	   /* urandom */
    {KEEL_DEVCG_DEV_CHAR, 5, 0},	   /* tty */
    {KEEL_DEVCG_DEV_CHAR, 5, 2},	   /* ptmx */
    {KEEL_DEVCG_DEV_CHAR, 136, DEVCG_ANY}, /* pts/N */
};

static void
emit(struct devcg_prog *p, uint8_t code, int dst, int src, int off, int imm)
{
	if (p->len < DEVCG_MAX_INSNS)
		p->insns[p->len] = (struct keel_bpf_insn){
		    code, (uint8_t)(dst | src << 4), (int16_t)off, imm};
	p->len++;
}

/*
 * One rule: each test that fails jumps past the rest of the rule; when
 * all hold, the program returns 1 (allowed). The requested access must
 * lie within ACC_ALL, so it is not tested.
 */
static void
rule(struct devcg_prog *p, const struct devcg_rule *r)
{
	int n = 3 + (r->major != DEVCG_ANY) + (r->minor != DEVCG_ANY);
	int left = n - 1;

	emit(p, KEEL_BPF_JMP_JNE_K, R_TYPE, 0, left--, r->type);
	if (r->major != DEVCG_ANY)
		emit(p, KEEL_BPF_JMP_JNE_K, R_MAJOR, 0, left--,
		     (int32_t)r->major);
	if (r->minor != DEVCG_ANY)
		emit(p, KEEL_BPF_JMP_JNE_K, R_MINOR, 0, left--,
		     (int32_t)r->minor);
	emit(p, KEEL_BPF_ALU64_MOV_K, 0, 0, 0, 1);
	emit(p, KEEL_BPF_JMP_EXIT, 0, 0, 0, 0);
}

int
devcg_build(const struct oci_config *c, dev_t console, struct devcg_prog *p,
	    struct kerr *e)
{
	const size_t nk = sizeof(keel_nodes) / sizeof(keel_nodes[0]);

	p->len = 0;
	emit(p, KEEL_BPF_LDX_MEM_W, R_ACC, 1, KEEL_DEVCG_CTX_ACCESS, 0);
	emit(p, KEEL_BPF_ALU_MOV_X, R_TYPE, R_ACC, 0, 0);
	emit(p, KEEL_BPF_ALU_AND_K, R_TYPE, 0, 0, 0xffff);
	emit(p, KEEL_BPF_ALU_RSH_K, R_ACC, 0, 0, 16);
	emit(p, KEEL_BPF_LDX_MEM_W, R_MAJOR, 1, KEEL_DEVCG_CTX_MAJOR, 0);
	emit(p, KEEL_BPF_LDX_MEM_W, R_MINOR, 1, KEEL_DEVCG_CTX_MINOR, 0);
	/* an access bit the kernel may add one day is not granted (the jump
	 * to the deny tail is patched in below) */
	emit(p, KEEL_BPF_JMP_JSET_K, R_ACC, 0, 0, ~ACC_ALL);
	for (size_t i = 0; i < nk; i++)
		rule(p, &keel_nodes[i]);
	if (console) {
		struct devcg_rule r = {KEEL_DEVCG_DEV_CHAR, major(console),
				       minor(console)};
		rule(p, &r);
	}
	for (int i = 0; i < c->ndevices; i++) {
		const struct oci_device *d = &c->devices[i];
		struct devcg_rule r = {d->type == 'b' ? KEEL_DEVCG_DEV_BLOCK
						      : KEEL_DEVCG_DEV_CHAR,
				       d->major, d->minor};

		if (d->type != 'p')
			rule(p, &r);
	}
	emit(p, KEEL_BPF_ALU64_MOV_K, 0, 0, 0, 0);
	emit(p, KEEL_BPF_JMP_EXIT, 0, 0, 0, 0);
	if (p->len > DEVCG_MAX_INSNS)
		return kerr_set(e, "devices",
				"device program longer than %d instructions",
				DEVCG_MAX_INSNS);
	/* the access test (insn 6) jumps to the tail's first instruction */
	p->insns[6].off = (int16_t)(p->len - 2 - 7);
	return 0;
}

int
devcg_needed(const struct oci_config *c)
{
	if ((c->cap_permitted & (1ULL << 27)) && /* CAP_MKNOD */
	    !(c->ns_flags & OCI_NS_USER))
		return 1;
	for (int i = 0; i < c->nmounts; i++)
		if (c->mounts[i].type == OCI_MOUNT_BIND &&
		    !(c->mounts[i].flags & MS_NODEV))
			return 1;
	return 0;
}

int
devcg_load(const struct devcg_prog *p, struct kerr *e)
{
	struct keel_bpf_prog_load ld;
	long fd;

	memset(&ld, 0, sizeof(ld));
	ld.prog_type = KEEL_BPF_PROG_TYPE_CGROUP_DEVICE;
	ld.insn_cnt = p->len;
	ld.insns = (uintptr_t)p->insns;
	ld.license = (uintptr_t) "MIT";
	fd = syscall(SYS_bpf, KEEL_BPF_PROG_LOAD, &ld, sizeof(ld));
	if (fd < 0)
		return kerr_set(e, "devices", "load the device program: %s",
				kerr_strerror(errno));
	return (int)fd;
}

int
devcg_attach(const struct devcg_prog *p, const char *dir, struct kerr *e)
{
	struct keel_bpf_prog_attach at;
	int prog, cg, rc = 0;

	prog = devcg_load(p, e);
	if (prog < 0)
		return -1;
	cg = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (cg < 0) {
		close(prog);
		return kerr_set(e, "devices", "%s: %s", dir,
				kerr_strerror(errno));
	}
	memset(&at, 0, sizeof(at));
	at.target_fd = (uint32_t)cg;
	at.attach_bpf_fd = (uint32_t)prog;
	at.attach_type = KEEL_BPF_CGROUP_DEVICE;
	if (syscall(SYS_bpf, KEEL_BPF_PROG_ATTACH, &at, sizeof(at)) < 0)
		rc = kerr_set(e, "devices",
			      "attach the device program to %s: %s", dir,
			      kerr_strerror(errno));
	close(cg);
	close(prog);
	return rc;
}
