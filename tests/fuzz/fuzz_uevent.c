// SPDX-License-Identifier: MIT
/* libFuzzer target: kernel uevents as keel-init reads dm-verity's reports. */
#include <stdint.h>
#include <string.h>

#include "lib/disk/dm.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint64_t block = 0;
	int type = -1, r;

	if (size < 2)
		return 0;
	/* First byte: the minor looked for; the rest: the datagram. */
	r = dm_verity_uevent((const char *)data + 1, size - 1, 254, data[0],
			     &type, &block);
	if (r == 1 && type != 0 && type != 1)
		__builtin_trap();
	if (r == 1 && (size - 1 > DM_UEVENT_MAX || data[size - 1] != 0))
		__builtin_trap();
	if (r < -1 || r > 1)
		__builtin_trap();
	return 0;
}
