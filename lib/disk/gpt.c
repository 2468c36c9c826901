// SPDX-License-Identifier: MIT
/* GUID partition tables: layout, encoding and strict decoding. */
#include <string.h>

#include "lib/base/bytes.h"
#include "lib/base/crc32.h"
#include "lib/disk/gpt.h"

#define HDR_SIZE 92
#define HDR_REVISION 0x00010000u

const uint8_t gpt_type_linux[16] = {
    0xaf, 0x3d, 0xc6, 0x0f, 0x83, 0x84, 0x72, 0x47,
    0x8e, 0x79, 0x3d, 0x69, 0xd8, 0x47, 0x7d, 0xe4,
};

static uint64_t
align_up(uint64_t v, uint64_t a)
{
	return (v + a - 1) / a * a;
}

static int
is_zero(const uint8_t *p, size_t n)
{
	while (n--)
		if (*p++)
			return 0;
	return 1;
}

static void
encode_header(const struct gpt_disk *d, uint8_t h[GPT_SECTOR], int backup,
	      uint32_t array_crc)
{
	uint64_t last = d->sectors - 1;

	memset(h, 0, GPT_SECTOR);
	memcpy(h, "EFI PART", 8);
	le_put32(h + 8, HDR_REVISION);
	le_put32(h + 12, HDR_SIZE);
	le_put64(h + 24, backup ? last : 1);
	le_put64(h + 32, backup ? 1 : last);
	le_put64(h + 40, 2 + GPT_ARRAY_SECTORS);
	le_put64(h + 48, last - 1 - GPT_ARRAY_SECTORS);
	memcpy(h + 56, d->guid, 16);
	le_put64(h + 72, backup ? last - GPT_ARRAY_SECTORS : 2);
	le_put32(h + 80, GPT_ENTRIES);
	le_put32(h + 84, GPT_ENTRY_SIZE);
	le_put32(h + 88, array_crc);
	le_put32(h + 16, crc32_update(0, h, HDR_SIZE));
}

static void
encode_entry(const struct gpt_part *p, uint8_t *ent)
{
	size_t n = strlen(p->name);

	memcpy(ent, p->type, 16);
	memcpy(ent + 16, p->uuid, 16);
	le_put64(ent + 32, p->first);
	le_put64(ent + 40, p->last);
	le_put64(ent + 48, p->attrs);
	for (size_t i = 0; i < n && i < GPT_NAME_MAX; i++)
		ent[56 + 2 * i] = (uint8_t)p->name[i];
}

static void
decode_entry(const uint8_t *ent, struct gpt_part *p)
{
	unsigned i;

	memset(p, 0, sizeof(*p));
	memcpy(p->type, ent, 16);
	memcpy(p->uuid, ent + 16, 16);
	p->first = le_get64(ent + 32);
	p->last = le_get64(ent + 40);
	p->attrs = le_get64(ent + 48);
	for (i = 0; i < GPT_NAME_MAX; i++) {
		unsigned c = ent[56 + 2 * i] | ent[57 + 2 * i] << 8;

		if (!c)
			break;
		p->name[i] = c >= 0x20 && c < 0x7f ? (char)c : '?';
	}
	p->name[i] = 0;
}

int
gpt_layout(struct gpt_disk *d, const uint64_t *sizes, unsigned n,
	   struct kerr *e)
{
	uint64_t next = GPT_ALIGN_SECTORS;

	if (n > GPT_MAX_PARTS)
		return kerr_set(e, "gpt", "%u partitions, at most %d", n,
				GPT_MAX_PARTS);
	for (unsigned i = 0; i < n; i++) {
		uint64_t len = sizes[i] / GPT_SECTOR;

		if (!len || sizes[i] % GPT_SECTOR || len > (1ULL << 40))
			return kerr_set(e, "gpt", "partition %u: bad size %llu",
					i, (unsigned long long)sizes[i]);
		d->part[i].first = next;
		d->part[i].last = next + len - 1;
		next = align_up(next + len, GPT_ALIGN_SECTORS);
	}
	d->nparts = n;
	/* The backup array and header follow the last usable sector. */
	d->sectors = align_up(next + 1 + GPT_ARRAY_SECTORS, GPT_ALIGN_SECTORS);
	return 0;
}

int
gpt_encode(const struct gpt_disk *d, uint8_t mbr[GPT_SECTOR],
	   uint8_t primary[GPT_SECTOR], uint8_t array[GPT_ARRAY_BYTES],
	   uint8_t backup[GPT_SECTOR], struct kerr *e)
{
	uint64_t first_usable = 2 + GPT_ARRAY_SECTORS;
	uint64_t last_usable = d->sectors - 2 - GPT_ARRAY_SECTORS;
	uint64_t mbr_len = d->sectors - 1;
	uint32_t crc;

	if (d->nparts > GPT_MAX_PARTS || d->sectors < 2 * first_usable + 1)
		return kerr_set(e, "gpt", "bad disk description");
	memset(array, 0, GPT_ARRAY_BYTES);
	for (unsigned i = 0; i < d->nparts; i++) {
		const struct gpt_part *p = &d->part[i];

		if (p->first < first_usable || p->last > last_usable ||
		    p->first > p->last || strlen(p->name) > GPT_NAME_MAX)
			return kerr_set(e, "gpt", "partition %s out of bounds",
					p->name);
		encode_entry(p, array + i * GPT_ENTRY_SIZE);
	}
	crc = crc32_update(0, array, GPT_ARRAY_BYTES);
	encode_header(d, primary, 0, crc);
	encode_header(d, backup, 1, crc);

	/* Protective MBR: one partition of type 0xee over the whole disk. */
	memset(mbr, 0, GPT_SECTOR);
	mbr[446 + 2] = 0x02; /* CHS of LBA 1 */
	mbr[446 + 4] = 0xee;
	mbr[446 + 5] = 0xff;
	mbr[446 + 6] = 0xff;
	mbr[446 + 7] = 0xff;
	le_put32(mbr + 446 + 8, 1);
	le_put32(mbr + 446 + 12,
		 mbr_len > 0xffffffffu ? 0xffffffffu : (uint32_t)mbr_len);
	mbr[510] = 0x55;
	mbr[511] = 0xaa;
	return 0;
}

int
gpt_decode(const uint8_t hdr[GPT_SECTOR], const uint8_t array[GPT_ARRAY_BYTES],
	   uint64_t disk_sectors, struct gpt_disk *d, struct kerr *e)
{
	uint8_t h[HDR_SIZE];
	uint64_t my, first_usable, last_usable;
	uint32_t count;

	memset(d, 0, sizeof(*d));
	if (disk_sectors < 2 * (2 + GPT_ARRAY_SECTORS) + 1)
		return kerr_set(e, "gpt", "disk too small for a GPT");
	if (memcmp(hdr, "EFI PART", 8) || le_get32(hdr + 8) != HDR_REVISION ||
	    le_get32(hdr + 12) != HDR_SIZE)
		return kerr_set(e, "gpt", "no GPT header");
	memcpy(h, hdr, HDR_SIZE);
	le_put32(h + 16, 0);
	if (crc32_update(0, h, HDR_SIZE) != le_get32(hdr + 16))
		return kerr_set(e, "gpt", "header CRC mismatch");
	my = le_get64(hdr + 24);
	first_usable = le_get64(hdr + 40);
	last_usable = le_get64(hdr + 48);
	count = le_get32(hdr + 80);
	if (my != 1 && my != disk_sectors - 1)
		return kerr_set(e, "gpt", "header at LBA %llu, not 1 or last",
				(unsigned long long)my);
	if (le_get32(hdr + 84) != GPT_ENTRY_SIZE || count > GPT_ENTRIES)
		return kerr_set(e, "gpt", "unsupported partition array shape");
	if (first_usable < 2 + GPT_ARRAY_SECTORS ||
	    last_usable < first_usable ||
	    last_usable > disk_sectors - 2 - GPT_ARRAY_SECTORS)
		return kerr_set(e, "gpt", "usable area outside the disk");
	if (crc32_update(0, array, (size_t)count * GPT_ENTRY_SIZE) !=
	    le_get32(hdr + 88))
		return kerr_set(e, "gpt", "partition array CRC mismatch");
	d->sectors = disk_sectors;
	memcpy(d->guid, hdr + 56, 16);
	for (uint32_t i = 0; i < count; i++) {
		const uint8_t *ent = array + i * GPT_ENTRY_SIZE;
		struct gpt_part *p;

		if (is_zero(ent, 16))
			continue;
		if (d->nparts == GPT_MAX_PARTS)
			return kerr_set(e, "gpt", "more than %d partitions",
					GPT_MAX_PARTS);
		p = &d->part[d->nparts++];
		decode_entry(ent, p);
		if (p->first < first_usable || p->last > last_usable ||
		    p->first > p->last)
			return kerr_set(e, "gpt",
					"partition %u outside the usable area",
					i + 1);
	}
	return 0;
}

int
gpt_find(const struct gpt_disk *d, const char *name)
{
	for (unsigned i = 0; i < d->nparts; i++)
		if (!strcmp(d->part[i].name, name))
			return (int)i;
	return -1;
}
