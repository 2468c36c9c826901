/* SPDX-License-Identifier: MIT */
/* CRC-32 (IEEE 802.3, reflected, as in zlib, GPT and gzip). */
#ifndef KEEL_CRC32_H
#define KEEL_CRC32_H

#include <stddef.h>
#include <stdint.h>

/*
 * Continues crc over n bytes of p; start with crc = 0. Same results as
 * zlib's crc32(): crc32_update(0, "123456789", 9) == 0xcbf43926.
 */
uint32_t crc32_update(uint32_t crc, const void *p, size_t n);

#endif
