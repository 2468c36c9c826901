#!/bin/sh
# SPDX-License-Identifier: MIT
# Writes lib/config/syscalls_x86_64.c: x86_64 syscall names and numbers, from
# musl's bits/syscall.h plus the calls newer than musl's list.
set -eu
hdr=${1:-/usr/include/x86_64-linux-musl/bits/syscall.h}
{
	grep '^#define __NR_' "$hdr" | awk '{ sub("__NR_", "", $2); print $2, $3 }'
	# added to the kernel after musl's table (arch/x86/entry/syscalls)
	cat <<'X'
quotactl_fd 443
memfd_secret 447
process_mrelease 448
futex_waitv 449
set_mempolicy_home_node 450
cachestat 451
fchmodat2 452
map_shadow_stack 453
futex_wake 454
futex_wait 455
futex_requeue 456
statmount 457
listmount 458
lsm_get_self_attr 459
lsm_set_self_attr 460
lsm_list_modules 461
mseal 462
X
} | sort -u -k1,1 | LC_ALL=C sort -k1,1 >/tmp/keel-syscalls.$$
cat <<X
// SPDX-License-Identifier: MIT
// x86_64 syscall names and numbers (written by scripts/gen-syscalls.sh).
#include <string.h>

#include "lib/config/names.h"

struct sysent {
	const char *name;
	int nr;
};

/* sorted by name (C locale) for binary search */
static const struct sysent sys_table[] = {
X
awk '{ printf "\t{ \"%s\", %s },\n", $1, $2 }' /tmp/keel-syscalls.$$
rm -f /tmp/keel-syscalls.$$
cat <<'X'
};

#define NSYS (sizeof(sys_table) / sizeof(sys_table[0]))

int
syscall_nr(const char *name)
{
	size_t lo = 0, hi = NSYS;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(name, sys_table[mid].name);
		if (!c)
			return sys_table[mid].nr;
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return -1;
}

const char *
syscall_name(int nr)
{
	for (size_t i = 0; i < NSYS; i++)
		if (sys_table[i].nr == nr)
			return sys_table[i].name;
	return NULL;
}
X
