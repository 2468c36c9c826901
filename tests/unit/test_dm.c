// SPDX-License-Identifier: MIT
/* Unit tests of dm-verity's corruption uevents as keel-init reads them. */
#include <stdint.h>
#include <string.h>

#include "lib/disk/dm.h"
#include "tests/unit/unit.h"

/* A uevent as the kernel sends it: fields joined by NULs, one at the end. */
static size_t
ev(char *buf, size_t cap, const char *const *f)
{
	size_t n = 0;

	for (; *f; f++) {
		size_t k = strlen(*f) + 1;
		if (n + k > cap)
			break;
		memcpy(buf + n, *f, k);
		n += k;
	}
	return n;
}

static void
test_uevent(void)
{
	static const char *good[] = {"change@/devices/virtual/block/dm-0",
				     "ACTION=change",
				     "DEVPATH=/devices/virtual/block/dm-0",
				     "SUBSYSTEM=block",
				     "DM_VERITY_ERR_BLOCK_NR=0,349",
				     "MAJOR=254",
				     "MINOR=0",
				     "DEVNAME=dm-0",
				     "DEVTYPE=disk",
				     "SEQNUM=2188",
				     NULL};
	static const char *other[] = {"add@/devices/virtual/block/loop0",
				      "ACTION=add",
				      "MAJOR=7",
				      "MINOR=0",
				      "SEQNUM=1",
				      NULL};
	char buf[1024];
	uint64_t block = 0;
	int type = -1;
	size_t n = ev(buf, sizeof(buf), good);

	CHECK(dm_verity_uevent(buf, n, 254, 0, &type, &block) == 1 &&
		  type == 0 && block == 349,
	      "data block: %d %llu", type, (unsigned long long)block);
	CHECK(dm_verity_uevent(buf, n, 254, 1, &type, &block) == 0,
	      "another minor");
	CHECK(dm_verity_uevent(buf, n, 253, 0, &type, &block) == 0,
	      "another major");
	n = ev(buf, sizeof(buf), other);
	CHECK(dm_verity_uevent(buf, n, 7, 0, &type, &block) == 0, "not verity");
	/* Hash tree blocks, the largest block number. */
	static const char *hash[] = {"change@/x", "MINOR=3", "MAJOR=254",
				     "DM_VERITY_ERR_BLOCK_NR=1,"
				     "18446744073709551615",
				     NULL};
	n = ev(buf, sizeof(buf), hash);
	CHECK(dm_verity_uevent(buf, n, 254, 3, &type, &block) == 1 &&
		  type == 1 && block == UINT64_MAX,
	      "hash block");
	/* Refused: every malformed shape. */
	static const char *bad[][5] = {
	    {"change", "MAJOR=254", "MINOR=0", "DM_VERITY_ERR_BLOCK_NR=0,1"},
	    {"c@x", "MAJOR=0254", "MINOR=0", "DM_VERITY_ERR_BLOCK_NR=0,1"},
	    {"c@x", "MAJOR=254", "MINOR=-1", "DM_VERITY_ERR_BLOCK_NR=0,1"},
	    {"c@x", "MAJOR=254", "MINOR=0", "DM_VERITY_ERR_BLOCK_NR=2,1"},
	    {"c@x", "MAJOR=254", "MINOR=0", "DM_VERITY_ERR_BLOCK_NR=0"},
	    {"c@x", "MAJOR=254", "MINOR=0", "DM_VERITY_ERR_BLOCK_NR=0,"},
	    {"c@x", "MAJOR=254", "MINOR=0", "DM_VERITY_ERR_BLOCK_NR=0,1x"},
	    {"c@x", "MAJOR=254", "MAJOR=254", "DM_VERITY_ERR_BLOCK_NR=0,1"},
	    {"c@x", "MAJOR=254", "novalue", "DM_VERITY_ERR_BLOCK_NR=0,1"},
	    {"c@x", "MAJOR=254", "=0", "DM_VERITY_ERR_BLOCK_NR=0,1"},
	    {"c@x", "MAJOR=99999", "MINOR=0", "DM_VERITY_ERR_BLOCK_NR=0,1"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		n = ev(buf, sizeof(buf), bad[i]);
		CHECK(dm_verity_uevent(buf, n, 254, 0, &type, &block) == -1,
		      "accepted case %zu", i);
	}
	/* Not NUL-terminated, empty, too long. */
	n = ev(buf, sizeof(buf), good);
	CHECK(dm_verity_uevent(buf, n - 1, 254, 0, &type, &block) == -1,
	      "unterminated");
	CHECK(dm_verity_uevent(buf, 0, 254, 0, &type, &block) == -1, "empty");
	CHECK(dm_verity_uevent(buf, DM_UEVENT_MAX + 1, 254, 0, &type, &block) ==
		  -1,
	      "too long");
	/* Cut at every length: never accepted before its three fields are
	 * in (MINOR=0 is the last of them); after that, a cut field may make
	 * it malformed, but an accepted one has the whole block number. */
	size_t need = 0;
	for (size_t k = 0; k + 8 <= n; k++)
		if (!memcmp(buf + k, "MINOR=0", 8))
			need = k + 8;
	int cut_ok = need > 0;
	for (size_t k = 1; k < n; k++) {
		char c[1024];
		memcpy(c, buf, k);
		c[k - 1] = 0;
		block = 0;
		int r = dm_verity_uevent(c, k, 254, 0, &type, &block);
		if ((k < need && r == 1) || (k >= need && r == 0) ||
		    (r == 1 && block != 349))
			cut_ok = 0;
	}
	CHECK(cut_ok, "a cut event: accepted only whole enough");
}

int
main(void)
{
	test_uevent();
	return unit_done("dm");
}
