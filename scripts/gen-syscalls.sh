#!/bin/sh
# SPDX-License-Identifier: MIT
# Writes lib/config/syscalls_ARCH.c: one CPU's syscall names and numbers,
# from musl's bits/syscall.h for that CPU plus the calls newer than
# musl's list (numbers from 424 on are the same on every architecture).
# Usage: scripts/gen-syscalls.sh ARCH [HEADER] >lib/config/syscalls_ARCH.c
#   ARCH: x86_64 (HEADER: the machine's musl-dev) or aarch64 (HEADER: the
#   arm64 musl-dev a cross build unpacks, build/aarch64/musl/...).
set -eu
arch=$1
top=$(cd "$(dirname "$0")/.." && pwd)
case "$arch" in
x86_64)
	hdr=${2:-/usr/include/x86_64-linux-musl/bits/syscall.h}
	scmp=SCMP_ARCH_X86_64 ;;
aarch64)
	hdr=${2:-$top/build/aarch64/musl/usr/include/aarch64-linux-musl/bits/syscall.h}
	scmp=SCMP_ARCH_AARCH64 ;;
*) echo "gen-syscalls: unknown architecture $arch" >&2; exit 1 ;;
esac
[ -f "$hdr" ] || { echo "gen-syscalls: no $hdr" >&2; exit 1; }
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
{
	grep '^#define __NR_' "$hdr" | awk '{ sub("__NR_", "", $2); print $2, $3 }'
	# added to the kernel after musl's table (include/uapi/asm-generic/
	# unistd.h; arch/x86/entry/syscalls uses the same numbers)
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
} | sort -u -k1,1 | LC_ALL=C sort -k1,1 >"$tmp"
cat <<X
// SPDX-License-Identifier: MIT
// $arch syscall names and numbers (written by scripts/gen-syscalls.sh).
#include "lib/config/names.h"

/* sorted by name (C locale) for binary search */
static const struct syscall_ent table[] = {
X
awk '{ printf "\t{ \"%s\", %s },\n", $1, $2 }' "$tmp"
cat <<X
};

const struct syscall_abi syscall_abi_$arch = {
	"$arch", "$scmp", table, sizeof(table) / sizeof(table[0]),
};
X
