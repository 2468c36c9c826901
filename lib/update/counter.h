/* SPDX-License-Identifier: MIT */
/* A hardware monotonic counter holding the rollback floor: TPM 2.0, a fake. */
#ifndef KEEL_COUNTER_H
#define KEEL_COUNTER_H

#include <stddef.h>
#include <stdint.h>

#include "lib/base/err.h"

/*
 * The state record's floor lives on a partition anyone with the disk can
 * rewrite. A board may also keep it in hardware that only counts up
 * (docs/BOARD.md rollback.counter, docs/SECURITY-device.md): keel-init
 * reads it at boot (the floor is never below it) and advances it when a
 * commit raises the floor.
 *
 * TPM 2.0: an NV index of type "bits" (TPM_NT_BITS): TPM2_NV_SetBits can
 * only set bits, never clear them, so the value only grows. The floor F
 * is stored as its lowest F bits set and read back as the position of the
 * highest set bit plus one: floors 0..64 (COUNTER_TPM2_MAX); a higher
 * epoch is kept as 64 in the TPM (the record keeps the rest). A TPM NV
 * *counter* (TPM_NT_COUNTER) cannot hold an absolute number: its first
 * value is set by the TPM to at least the highest count any counter on it
 * ever had. Commands go to the kernel's /dev/tpm0 (or tpmrm0) with an
 * empty password session; the index's own auth is empty. keel-init
 * defines the index when it is missing and the owner hierarchy has no
 * password (a development TPM); a production TPM is provisioned with it
 * and an owner password, so it cannot be deleted and made again.
 *
 * file: a decimal number in a file, rewritten with fsync: for tests only
 * (keel-init refuses it outside --test).
 *
 * Nothing allocates; the caller owns struct counter.
 */
#define COUNTER_TPM2_MAX 64
#define COUNTER_TPM2_BUF 256 /* a command or response */

enum counter_kind { COUNTER_TPM2 = 1, COUNTER_FILE };

struct counter {
	int kind; /* enum counter_kind */
	int fd;	  /* the TPM character device, or the file */
	uint32_t index;
	uint8_t buf[COUNTER_TPM2_BUF];
};

/*
 * Opens the TPM at dev and the NV index (0x01xxxxxx), defining it as a
 * bits index with an empty auth if the TPM says it does not exist. 0, or
 * -1 (e says why: no TPM, an index of another type, a refused define).
 */
int counter_tpm2_open(struct counter *c, const char *dev, uint32_t index,
		      struct kerr *e);
/* The same on an open descriptor of the TPM, which c then owns. */
int counter_tpm2_attach(struct counter *c, int fd, uint32_t index,
			struct kerr *e);
int counter_file_open(struct counter *c, const char *path, struct kerr *e);

/* The floor the hardware holds. 0 or -1. */
int counter_read(struct counter *c, uint64_t *floor, struct kerr *e);

/* Raises it to at least floor (never lowers; the TPM saturates at
 * COUNTER_TPM2_MAX). 0 or -1. */
int counter_advance(struct counter *c, uint64_t floor, struct kerr *e);

void counter_close(struct counter *c);

/*
 * TPM 2.0 wire format, exposed for tests and fuzzing: a response of n
 * bytes to TPM2_NV_Read of 8 bytes: its value (big-endian), or 1 for an
 * index never written (TPM_RC_NV_UNINITIALIZED: value 0). 0 or -1.
 */
int counter_tpm2_parse_read(const uint8_t *rsp, size_t n, uint64_t *bits,
			    struct kerr *e);
/* A response to TPM2_NV_ReadPublic: the index's attributes. 0; 1 when
 * the TPM says the index does not exist; -1. */
int counter_tpm2_parse_public(const uint8_t *rsp, size_t n, uint32_t index,
			      uint32_t *attrs, struct kerr *e);
/* The floor a bits value holds: highest set bit + 1 (0 for none). */
uint64_t counter_bits_floor(uint64_t bits);

/*
 * `keel counter` (launcher/cmd_counter.c) runs this module for keel-init,
 * so that the TPM's responses are parsed outside PID 1: it reads or
 * advances the counter and writes one record on fd COUNTER_MSG_FD.
 * keel-init takes only a record of exactly this size, with the magic and
 * both texts NUL-terminated; anything else (no record, a short one, a
 * helper too slow or killed) is a counter that could not be read.
 */
#define COUNTER_MSG_FD 3
#define COUNTER_MSG_MAGIC 0x6b63746eu /* "kctn" */

struct counter_msg {
	uint32_t magic;
	uint32_t ok;	/* 1: read (or advanced); 0: check and detail say why */
	uint64_t floor; /* the floor the counter holds, when read */
	char check[24];
	char detail[200];
};

#endif
