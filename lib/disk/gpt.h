/* SPDX-License-Identifier: MIT */
/* GUID partition tables: lay out, encode and decode a keel disk's GPT. */
#ifndef KEEL_GPT_H
#define KEEL_GPT_H

#include <stdint.h>

#include "lib/base/err.h"

/*
 * Disk layout (512-byte sectors):
 *   LBA 0                 protective MBR (one 0xee partition)
 *   LBA 1                 primary header
 *   LBA 2..33             partition array: 128 entries of 128 bytes
 *   LBA 2048...           partitions, each starting on a 1 MiB boundary
 *   LBA N-33..N-2         backup partition array
 *   LBA N-1               backup header
 * Both headers carry a CRC32 of themselves and of the array.
 */
#define GPT_SECTOR 512
#define GPT_ENTRIES 128
#define GPT_ENTRY_SIZE 128
#define GPT_ARRAY_BYTES (GPT_ENTRIES * GPT_ENTRY_SIZE)
#define GPT_ARRAY_SECTORS (GPT_ARRAY_BYTES / GPT_SECTOR)
#define GPT_ALIGN_SECTORS 2048 /* 1 MiB */
#define GPT_NAME_MAX 36	       /* UTF-16 units; keel names are ASCII */
#define GPT_MAX_PARTS 16

struct gpt_part {
	uint8_t type[16]; /* type GUID, on-disk byte order */
	uint8_t uuid[16]; /* unique GUID, on-disk byte order */
	uint64_t first;	  /* first LBA */
	uint64_t last;	  /* last LBA, inclusive */
	uint64_t attrs;
	char name[GPT_NAME_MAX + 1]; /* ASCII; other characters read as '?' */
};

struct gpt_disk {
	uint64_t sectors; /* whole disk */
	uint8_t guid[16];
	unsigned nparts;
	struct gpt_part part[GPT_MAX_PARTS];
};

/* Linux filesystem data: 0fc63daf-8483-4772-8e79-3d69d8477de4. */
extern const uint8_t gpt_type_linux[16];

/*
 * Places n partitions of the given sizes (bytes, multiples of 512) one
 * after another on 1 MiB boundaries and sizes the disk to hold them and
 * the backup table. Names, GUIDs and types are the caller's. 0 or -1.
 */
int gpt_layout(struct gpt_disk *d, const uint64_t *sizes, unsigned n,
	       struct kerr *e);

/* Encodes the protective MBR, both headers and the array. 0 or -1. */
int gpt_encode(const struct gpt_disk *d, uint8_t mbr[GPT_SECTOR],
	       uint8_t primary[GPT_SECTOR], uint8_t array[GPT_ARRAY_BYTES],
	       uint8_t backup[GPT_SECTOR], struct kerr *e);

/*
 * Decodes a header (primary at LBA 1 or backup at the last LBA of a disk
 * of disk_sectors) and its array, checking signature, sizes, both CRCs
 * and that every partition lies inside the usable area. 0 or -1.
 */
int gpt_decode(const uint8_t hdr[GPT_SECTOR],
	       const uint8_t array[GPT_ARRAY_BYTES], uint64_t disk_sectors,
	       struct gpt_disk *d, struct kerr *e);

/* Index of the partition named name, or -1. */
int gpt_find(const struct gpt_disk *d, const char *name);

#endif
