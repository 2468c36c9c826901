// SPDX-License-Identifier: MIT
/* GPT: layout, encode/decode round trip, CRCs, every header byte checked. */
#include "lib/disk/gpt.h"
#include "tests/unit/unit.h"

static uint8_t mbr[GPT_SECTOR], pri[GPT_SECTOR], bak[GPT_SECTOR];
static uint8_t arr[GPT_ARRAY_BYTES];
static struct gpt_disk d, r;
static struct kerr e;

static void
make_disk(void)
{
	const uint64_t sizes[] = {128 << 20, 128 << 20, 1 << 20, 16 << 20,
				  4096};
	const char *names[] = {"keel-a", "keel-b", "keel-state", "keel-etc",
			       "keel-var"};

	memset(&d, 0, sizeof(d));
	for (int i = 0; i < 16; i++)
		d.guid[i] = (uint8_t)(0xa0 + i);
	CHECK(gpt_layout(&d, sizes, 5, &e) == 0, "layout: %s", e.detail);
	for (unsigned i = 0; i < 5; i++) {
		memcpy(d.part[i].type, gpt_type_linux, 16);
		memset(d.part[i].uuid, (int)i + 1, 16);
		strcpy(d.part[i].name, names[i]);
	}
}

static void
test_layout(void)
{
	make_disk();
	CHECK(d.part[0].first == 2048, "first at 1 MiB");
	CHECK(d.part[0].last == 2048 + 262144 - 1, "a size");
	CHECK(d.part[1].first == 2048 + 262144, "b follows a");
	for (unsigned i = 0; i < 5; i++)
		CHECK(d.part[i].first % 2048 == 0, "aligned %u", i);
	CHECK(d.part[4].last == d.part[4].first + 7, "4096 bytes = 8 sectors");
	CHECK(d.sectors % 2048 == 0 && d.sectors - 34 >= d.part[4].last,
	      "room for the backup table");
	uint64_t bad = 1000;
	CHECK(gpt_layout(&r, &bad, 1, &e) == -1, "size not sector multiple");
}

static void
test_roundtrip(void)
{
	make_disk();
	CHECK(gpt_encode(&d, mbr, pri, arr, bak, &e) == 0, "encode: %s",
	      e.detail);
	CHECK(mbr[510] == 0x55 && mbr[511] == 0xaa && mbr[450] == 0xee,
	      "protective MBR");
	CHECK(!memcmp(pri, "EFI PART", 8), "signature");
	CHECK(gpt_decode(pri, arr, d.sectors, &r, &e) == 0, "decode: %s",
	      e.detail);
	CHECK(r.nparts == 5, "parts %u", r.nparts);
	for (unsigned i = 0; i < 5 && i < r.nparts; i++) {
		CHECK(!strcmp(r.part[i].name, d.part[i].name), "name %u", i);
		CHECK(r.part[i].first == d.part[i].first &&
			  r.part[i].last == d.part[i].last,
		      "lba %u", i);
		CHECK(!memcmp(r.part[i].type, gpt_type_linux, 16), "type");
	}
	CHECK(!memcmp(r.guid, d.guid, 16), "disk guid");
	CHECK(gpt_find(&r, "keel-etc") == 3 && gpt_find(&r, "x") == -1, "find");
	CHECK(gpt_decode(bak, arr, d.sectors, &r, &e) == 0, "backup: %s",
	      e.detail);
	CHECK(gpt_decode(bak, arr, d.sectors + 2048, &r, &e) == -1,
	      "backup header must sit at the last LBA");
}

static void
test_tamper(void)
{
	make_disk();
	gpt_encode(&d, mbr, pri, arr, bak, &e);
	for (unsigned i = 0; i < 92; i++) {
		pri[i] ^= 0x01;
		CHECK(gpt_decode(pri, arr, d.sectors, &r, &e) == -1,
		      "header byte %u", i);
		pri[i] ^= 0x01;
	}
	for (unsigned i = 0; i < 5 * GPT_ENTRY_SIZE; i += 7) {
		arr[i] ^= 0x80;
		CHECK(gpt_decode(pri, arr, d.sectors, &r, &e) == -1 &&
			  strstr(e.detail, "array CRC"),
		      "array byte %u", i);
		arr[i] ^= 0x80;
	}
	CHECK(gpt_decode(pri, arr, 60, &r, &e) == -1, "tiny disk");
	CHECK(gpt_decode(pri, arr, d.sectors / 2, &r, &e) == -1,
	      "usable area past the disk");
	d.part[4].last = d.sectors;
	CHECK(gpt_encode(&d, mbr, pri, arr, bak, &e) == -1, "out of bounds");
}

int
main(void)
{
	test_layout();
	test_roundtrip();
	test_tamper();
	return unit_done("gpt");
}
