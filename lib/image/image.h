/* SPDX-License-Identifier: MIT */
/* The keel slot image: filesystem, dm-verity tree, signed header, footer. */
#ifndef KEEL_IMAGE_H
#define KEEL_IMAGE_H

#include <stdint.h>

#include "lib/crypto/ec.h"
#include "lib/base/err.h"
#include "lib/crypto/keyset.h"
#include "lib/image/verity.h"

/*
 * Layout (docs/FORMAT.md has it byte by byte):
 *   [0, hash_offset)             filesystem, zero padded to 4096
 *   [hash_offset, meta_offset)   dm-verity hash tree
 *   [meta_offset, +4096)         metadata block: signed header (512 bytes,
 *                                the "to be signed" bytes), signature
 *                                table, and a copy of the footer
 *   last 64 bytes of the slot    footer: locates the metadata block
 * All integers little-endian. Sizes are checked against the slot size
 * before any read.
 */
#define IMG_BLOCK 4096
#define IMG_META_SIZE 4096
#define IMG_TBS_SIZE 512
#define IMG_FOOTER_SIZE 64
#define IMG_MAX_SIGS 16
#define IMG_SIG_ENTRY 128
#define IMG_STR_MAX 63 /* board and name: printable ASCII */
#define IMG_VERSION_MAX ((uint64_t)1 << 63) /* version, epoch < 2^63 */
#define IMG_SIG_ECDSA_P256_SHA256 1
#define IMG_CONFIG_PATH "/keel/config.json"

enum img_fs { IMG_FS_EROFS = 1, IMG_FS_SQUASHFS = 2 };

struct img_header {
	uint32_t fs;	      /* enum img_fs */
	uint64_t version;     /* monotonic per product */
	uint64_t epoch;	      /* security epoch: rollback floor */
	uint64_t data_blocks; /* filesystem size in 4096-byte blocks */
	uint64_t hash_offset; /* = data_blocks * 4096 */
	uint64_t hash_blocks; /* tree size in blocks */
	uint64_t meta_offset; /* = hash_offset + hash_blocks * 4096 */
	uint32_t salt_len;
	uint8_t salt[VERITY_MAX_SALT];
	uint8_t root[VERITY_DIGEST];
	char board[IMG_STR_MAX + 1];
	char name[IMG_STR_MAX + 1];
	uint64_t build_time; /* seconds since 1970 (UTC) it was built */
	uint32_t arch;	     /* enum img_arch of its binaries */
};

struct img_sig {
	uint32_t alg;
	char role[KS_ROLE_MAX + 1];
	uint8_t keyid[EC_KEYID_LEN];
	uint8_t sig[EC_SIG_LEN];
};

struct img_meta {
	struct img_header h;
	uint8_t tbs[IMG_TBS_SIZE]; /* the signed bytes, as on disk */
	unsigned nsig;
	struct img_sig sig[IMG_MAX_SIGS];
};

/* The CPU architecture an image's binaries are for. */
enum img_arch {
	IMG_ARCH_X86_64 = 1,
	IMG_ARCH_AARCH64 = 2,
};
#if defined(__x86_64__)
#define IMG_ARCH_HOST IMG_ARCH_X86_64
#elif defined(__aarch64__)
#define IMG_ARCH_HOST IMG_ARCH_AARCH64
#else
#error "keel runs on x86_64 and aarch64"
#endif

/* "x86_64", "aarch64", or NULL; and back (0 if unknown). */
const char *img_arch_name(uint32_t arch);
uint32_t img_arch_from_name(const char *name);

/* Name of a filesystem type ("erofs", "squashfs") or NULL. */
const char *img_fs_name(uint32_t fs);

/* Header <-> the 512 signed bytes. decode is strict (see FORMAT.md). */
int img_header_encode(const struct img_header *h, uint8_t tbs[IMG_TBS_SIZE],
		      struct kerr *e);
int img_header_decode(const uint8_t tbs[IMG_TBS_SIZE], struct img_header *h,
		      struct kerr *e);

/* Metadata block <-> struct img_meta (header, signatures, footer copy). */
int img_meta_encode(struct img_meta *m, uint8_t blk[IMG_META_SIZE],
		    struct kerr *e);
int img_meta_decode(const uint8_t blk[IMG_META_SIZE], struct img_meta *m,
		    struct kerr *e);
void img_footer_encode(const struct img_header *h, uint8_t f[IMG_FOOTER_SIZE]);

/* Size of a slot: a regular file's length or a block device's size. */
int img_slot_size(int fd, uint64_t *size, struct kerr *e);

/*
 * Finds and decodes the metadata of the slot open on fd (footer at the
 * end, metadata block where it points, both cross-checked). Checks no
 * signature. 0 or -1.
 */
int img_read(int fd, struct img_meta *m, struct kerr *e);

/* Writes m's metadata block (and the footer at the slot's end). 0 or -1. */
int img_write_meta(int fd, struct img_meta *m, struct kerr *e);

/* SHA-256 of the signed bytes: what every signature signs. */
void img_digest(const struct img_meta *m, uint8_t out[32]);

/* Adds a signature; refuses a full table or a key that signed already. */
int img_add_sig(struct img_meta *m, const char *role,
		const uint8_t keyid[EC_KEYID_LEN],
		const uint8_t sig[EC_SIG_LEN], struct kerr *e);

/*
 * 1 if the signatures satisfy ks's policy: every signature valid, from a
 * key of ks in the role it claims, no key twice, and each role with at
 * least its required count. Else 0 and e says which check failed.
 */
int img_check_sigs(const struct img_meta *m, const struct keyset *ks,
		   struct kerr *e);

/*
 * The device's own checks of a header whose signatures passed: built
 * for this board (board NULL or "": any), for this CPU architecture
 * (arch 0: any) and a security epoch not below the rollback floor. 1, or
 * 0 with e's check "board", "arch" or "epoch". keel-init at boot and
 * every installer use this one rule.
 */
int img_check_device(const struct img_header *h, const char *board,
		     uint32_t arch, uint64_t epoch_floor, struct kerr *e);

/*
 * The full check of a slot, in order: metadata, signatures, then the
 * whole hash tree against the signed root. 1 only if all pass; nothing
 * may be mounted before it returns 1.
 */
int img_verify(int fd, const struct keyset *ks, struct verity_work *w,
	       struct img_meta *m, struct kerr *e);

/*
 * The full check of a slot without a race on a medium or a file others
 * can change, for metadata m that img_read took from fd and
 * img_check_sigs passed: the data and tree [0, meta_offset) are read
 * once, the data into a private copy (verity_check_copy: each block
 * written from the buffer the check hashes), checked whole against m's
 * signed root. The copy is a file with no name on a tmpfs of keel's own
 * mounted nowhere, or a memfd sealed against writes, shrinking, growing
 * and further seals where the kernel makes no such tmpfs: verified, and
 * written by no one from now on, for the caller to map (a read-only loop
 * device) and then close; -1 if the copy or the check fails. It costs
 * the data's bytes of memory (shmem) for as long as it is open. fd is
 * not read again.
 */
int img_verify_copy(int fd, const struct img_meta *m, struct verity_work *w,
		    struct kerr *e);

#endif
