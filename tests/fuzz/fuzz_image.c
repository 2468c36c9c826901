// SPDX-License-Identifier: MIT
/* libFuzzer target: the slot metadata reader (footer, header, signatures). */
#define _GNU_SOURCE
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "lib/image/image.h"

static struct keyset ks;
static int fd = -1;

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t blk[IMG_META_SIZE] = {0};
	struct img_meta m;
	struct kerr e;

	if (fd < 0) {
		fd = memfd_create("slot", 0);
		if (ks_load_baked(&ks, NULL) < 0)
			__builtin_trap();
	}
	/* The block decoder on the first 4096 bytes, zero padded. */
	memcpy(blk, data, size < sizeof(blk) ? size : sizeof(blk));
	if (img_meta_decode(blk, &m, &e) == 0) {
		uint8_t again[IMG_META_SIZE];
		/* A decoded block re-encodes to the same bytes. */
		if (img_meta_encode(&m, again, NULL) < 0 ||
		    memcmp(again, blk, sizeof(blk)))
			__builtin_trap();
		img_check_sigs(&m, &ks, &e);
	}
	/* The whole reader on the input as a slot: footer at its end. */
	if (ftruncate(fd, 0) == 0 &&
	    pwrite(fd, data, size, 0) == (ssize_t)size &&
	    img_read(fd, &m, &e) == 0)
		img_check_sigs(&m, &ks, &e);
	return 0;
}
