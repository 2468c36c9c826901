// SPDX-License-Identifier: MIT
/* CRC-32: known answers, and split input gives the same result. */
#include "lib/base/crc32.h"
#include "tests/unit/unit.h"

int
main(void)
{
	const char *s = "123456789";
	unsigned char buf[1000];
	uint32_t whole;

	CHECK(crc32_update(0, s, 9) == 0xcbf43926u, "check value");
	CHECK(crc32_update(0, "", 0) == 0, "empty");
	CHECK(crc32_update(0, "a", 1) == 0xe8b7be43u, "a");
	CHECK(crc32_update(0, "The quick brown fox jumps over the lazy dog",
			   43) == 0x414fa339u,
	      "fox");
	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (unsigned char)(i * 7 + 3);
	whole = crc32_update(0, buf, sizeof(buf));
	for (size_t cut = 0; cut <= sizeof(buf); cut++)
		CHECK(crc32_update(crc32_update(0, buf, cut), buf + cut,
				   sizeof(buf) - cut) == whole,
		      "split %zu", cut);
	return unit_done("crc32");
}
