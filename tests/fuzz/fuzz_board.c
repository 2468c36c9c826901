// SPDX-License-Identifier: MIT
/* libFuzzer target: the board file, module load list and GPT parsers. */
#include <stdint.h>
#include <string.h>

#include "lib/config/board.h"
#include "lib/disk/gpt.h"

static void
fuzz_gpt(const uint8_t *data, size_t size)
{
	static uint8_t hdr[GPT_SECTOR], arr[GPT_ARRAY_BYTES];
	struct gpt_disk d;
	struct kerr e;
	uint64_t sectors = 0;

	if (size < 8)
		return;
	memcpy(&sectors, data, 8);
	data += 8;
	size -= 8;
	memset(hdr, 0, sizeof(hdr));
	memset(arr, 0, sizeof(arr));
	memcpy(hdr, data, size < GPT_SECTOR ? size : GPT_SECTOR);
	if (size > GPT_SECTOR)
		memcpy(arr, data + GPT_SECTOR,
		       size - GPT_SECTOR < GPT_ARRAY_BYTES ? size - GPT_SECTOR
							   : GPT_ARRAY_BYTES);
	if (gpt_decode(hdr, arr, sectors, &d, &e) == 0) {
		/* Whatever decodes lies inside the disk it names. */
		for (unsigned i = 0; i < d.nparts; i++)
			if (d.part[i].last >= sectors ||
			    d.part[i].first > d.part[i].last ||
			    strlen(d.part[i].name) > GPT_NAME_MAX)
				__builtin_trap();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct board b;
	struct kerr e;
	char name[BOARD_MODNAME_MAX + 8];
	const char *p = (const char *)data, *end = p + size;
	int r;

	if (board_parse((const char *)data, size, &b, &e) == 0) {
		if (!b.name[0] || b.nmod > BOARD_MODULES_MAX || !b.verify ||
		    !b.on_failure)
			__builtin_trap();
		for (unsigned i = 0; i < BOARD_NPART; i++)
			if (b.part[i].size % 4096)
				__builtin_trap();
	}
	while ((r = board_modlist_next(&p, end, name, sizeof(name), &e)) != 0)
		if (p > end || (r == 1 && !strstr(name, ".ko")))
			__builtin_trap();
	fuzz_gpt(data, size);
	return 0;
}
