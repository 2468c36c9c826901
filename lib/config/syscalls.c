// SPDX-License-Identifier: MIT
/* System call name ↔ number lookups in one CPU's table (syscalls_ARCH.c). */
#include <string.h>

#include "lib/config/board.h"
#include "lib/config/names.h"

int
syscall_abi_nr(const struct syscall_abi *abi, const char *name)
{
	size_t lo = 0, hi = abi->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(name, abi->table[mid].name);
		if (!c)
			return abi->table[mid].nr;
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return -1;
}

const char *
syscall_abi_name(const struct syscall_abi *abi, int nr)
{
	for (size_t i = 0; i < abi->n; i++)
		if (abi->table[i].nr == nr)
			return abi->table[i].name;
	return NULL;
}

/* enum board_arch has the numbers of the image header's (FORMAT.md). */
const struct syscall_abi *
syscall_abi_of(uint32_t img_arch)
{
	switch (img_arch) {
	case BOARD_ARCH_X86_64:
		return &syscall_abi_x86_64;
	case BOARD_ARCH_AARCH64:
		return &syscall_abi_aarch64;
	default:
		return NULL;
	}
}

const struct syscall_abi *
syscall_abi_native(void)
{
#if defined(__x86_64__)
	return &syscall_abi_x86_64;
#elif defined(__aarch64__)
	return &syscall_abi_aarch64;
#else
#error "keel runs on x86_64 and aarch64"
#endif
}

int
syscall_nr(const char *name)
{
	return syscall_abi_nr(syscall_abi_native(), name);
}

const char *
syscall_name(int nr)
{
	return syscall_abi_name(syscall_abi_native(), nr);
}
