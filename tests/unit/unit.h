/* SPDX-License-Identifier: MIT */
/* Minimal unit-test harness: one line per check, a summary line at the end. */
#ifndef KEEL_UNIT_H
#define KEEL_UNIT_H

#include <stdio.h>
#include <string.h>

static int unit_pass, unit_fail;

/* Records one named check; prints only failures (and the final counts). */
#define CHECK(cond, ...)                                                       \
	do {                                                                   \
		if (cond) {                                                    \
			unit_pass++;                                           \
		} else {                                                       \
			unit_fail++;                                           \
			printf("FAIL %s:%d: ", __FILE__, __LINE__);            \
			printf(__VA_ARGS__);                                   \
			printf("\n");                                          \
		}                                                              \
	} while (0)

/* Each test binary ends with: return unit_done("name"); */
static inline int
unit_done(const char *name)
{
	printf("unit %s: %d passed, %d failed\n", name, unit_pass, unit_fail);
	return unit_fail ? 1 : 0;
}

static inline void
unit_hex(const char *hex, unsigned char *out, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned v;
		sscanf(hex + 2 * i, "%2x", &v);
		out[i] = (unsigned char)v;
	}
}

#endif
