// SPDX-License-Identifier: MIT
// Unit tests of caps_apply: identity and capability sets seen by the kernel.
#include <inttypes.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/config/oci.h"
#include "unit.h"
#include "lib/container/caps.h"

static struct oci_config C;

/* Reads "Name:\t<hex>" from /proc/self/status. */
static uint64_t
status_hex(const char *name)
{
	char line[256];
	uint64_t v = UINT64_MAX;
	FILE *f = fopen("/proc/self/status", "r");
	size_t n = strlen(name);

	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, name, n) && line[n] == ':')
			v = strtoull(line + n + 1, NULL, 16);
	if (f)
		fclose(f);
	return v;
}

/* Applies C in a child; the child checks the kernel's view. */
static int
child_apply(uint64_t want_eff, uint64_t want_bnd, uint64_t want_amb)
{
	struct kerr e;
	pid_t pid = fork();
	int st = -1;

	if (pid == 0) {
		if (caps_apply(&C, &e) < 0) {
			printf("caps_apply: %s: %s\n", e.check, e.detail);
			_exit(10);
		}
		if (getuid() != C.uid || geteuid() != C.uid ||
		    getgid() != C.gid)
			_exit(11);
		if (status_hex("CapEff") != want_eff)
			_exit(12);
		if (status_hex("CapBnd") != want_bnd)
			_exit(13);
		if (status_hex("CapAmb") != want_amb)
			_exit(14);
		if (status_hex("CapPrm") != C.cap_permitted)
			_exit(15);
		_exit(0);
	}
	waitpid(pid, &st, 0);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 100;
}

int
main(void)
{
	uint64_t nbs = 1ULL << 10, kill = 1ULL << 5;
	int r;

	if (geteuid() != 0) {
		printf("SKIP caps: needs root\n");
		return unit_done("caps");
	}
	/* what the app's own steps need (the reaper keeps that much while
	 * they run): nothing for root without capabilities */
	oci_default(&C);
	CHECK(getuid() != 0 || caps_needed(&C) == 0, "root needs nothing");
	C.uid = 1000;
	C.gid = 1000;
	C.cap_permitted = C.cap_effective = nbs;
	CHECK(caps_needed(&C) == (nbs | 1ULL << 6 | 1ULL << 7),
	      "another uid and gid, one capability");
	C.nrlimits = 1;
	C.cap_inheritable = kill;
	CHECK(caps_needed(&C) ==
		  (nbs | 1ULL << 6 | 1ULL << 7 | 1ULL << 8 | 1ULL << 24),
	      "rlimits, inheritable beyond permitted");

	/* nothing granted, uid 0: every set empty */
	oci_default(&C);
	r = child_apply(0, 0, 0);
	CHECK(r == 0, "default: no capabilities as root (%d)", r);

	/* a non-root uid keeps what is granted, through ambient */
	oci_default(&C);
	C.uid = 1000;
	C.gid = 1000;
	C.groups[0] = 27;
	C.ngroups = 1;
	C.cap_bounding = nbs | kill;
	C.cap_permitted = C.cap_effective = C.cap_inheritable = nbs;
	C.cap_ambient = nbs;
	r = child_apply(nbs, nbs | kill, nbs);
	CHECK(r == 0, "uid 1000 keeps CAP_NET_BIND_SERVICE (%d)", r);

	/* granted but not ambient: a non-root uid keeps permitted only */
	C.cap_ambient = 0;
	C.cap_effective = 0;
	r = child_apply(0, nbs | kill, 0);
	CHECK(r == 0, "permitted without effective (%d)", r);
	return unit_done("caps");
}
