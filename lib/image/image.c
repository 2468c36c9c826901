// SPDX-License-Identifier: MIT
/* Encodes and strictly decodes the slot image's header, signatures, footer. */
#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/base/bytes.h"
#include "lib/image/image.h"
#include "lib/base/io.h"
#include "lib/crypto/sha256.h"

#define BLKGETSIZE64 _IOR(0x12, 114, size_t)

static const char hdr_magic[8] = {'K', 'E', 'E', 'L', 'I', 'M', 'G', '1'};
static const char sig_magic[8] = {'K', 'E', 'E', 'L', 'S', 'I', 'G', '1'};
static const char ftr_magic[8] = {'K', 'E', 'E', 'L', 'F', 'T', 'R', '1'};

/* Offsets in the signed header (docs/FORMAT.md). */
enum {
	H_MAGIC = 0,
	H_FORMAT = 8,
	H_SIZE = 12,
	H_FLAGS = 16,
	H_FS = 20,
	H_VERSION = 24,
	H_EPOCH = 32,
	H_DATA_BLOCKS = 40,
	H_DATA_BSIZE = 48,
	H_HASH_BSIZE = 52,
	H_HASH_OFFSET = 56,
	H_HASH_BLOCKS = 64,
	H_ALG = 72, /* 16 bytes */
	H_VERITY_VER = 88,
	H_SALT_LEN = 92,
	H_SALT = 96,  /* 64 bytes */
	H_ROOT = 160, /* 64 bytes, 32 used */
	H_BOARD = 224,
	H_NAME = 288,
	H_META_OFFSET = 352,
	H_BUILD_TIME = 360,
	H_ARCH = 368,
	H_RESERVED = 372, /* to 512, zero */
};
/* Metadata block: signature table after the header, footer copy at end. */
enum {
	M_SIGS = IMG_TBS_SIZE, /* magic, count, reserved */
	M_SIG0 = M_SIGS + 16,
	M_SIG_END = M_SIG0 + IMG_MAX_SIGS * IMG_SIG_ENTRY,
	M_FOOTER = IMG_META_SIZE - IMG_FOOTER_SIZE,
};
/* Signature entry and footer fields. */
enum { S_ALG = 0, S_ROLE = 4, S_KEYID = 32, S_SIG = 64 };
enum { F_MAGIC = 0, F_META = 8, F_SIZE = 16, F_RESERVED = 24 };

/* A NUL-terminated printable string in a fixed field, zero padded after. */
static int
get_str(const uint8_t *p, size_t field, char *out, size_t max)
{
	size_t n = 0;

	while (n < field && p[n])
		n++;
	if (n > max || n == field || !bytes_zero(p + n, field - n))
		return -1;
	for (size_t i = 0; i < n; i++)
		if (p[i] < 0x20 || p[i] > 0x7e)
			return -1;
	memcpy(out, p, n);
	out[n] = 0;
	return 0;
}

static int
str_ok(const char *s, size_t max)
{
	size_t n = strnlen(s, max + 1);

	if (n > max)
		return 0;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e)
			return 0;
	return 1;
}

/*
 * The geometry every header must have: all derived sizes follow from
 * data_blocks, so a header that disagrees with itself is refused.
 */
static int
check_geometry(const struct img_header *h, struct kerr *e)
{
	struct verity_geo g;

	if (h->data_blocks == 0 ||
	    h->data_blocks > (UINT64_MAX / IMG_BLOCK) / 4)
		return kerr_set(e, "header", "data_blocks %llu out of range",
				(unsigned long long)h->data_blocks);
	if (verity_geometry(h->data_blocks, &g) < 0)
		return kerr_set(e, "header",
				"no hash tree geometry for %llu blocks",
				(unsigned long long)h->data_blocks);
	if (h->hash_offset != h->data_blocks * IMG_BLOCK)
		return kerr_set(e, "header",
				"hash_offset is not data_blocks*4096");
	if (h->hash_blocks != g.tree_blocks)
		return kerr_set(e, "header",
				"hash_blocks %llu, tree needs %llu",
				(unsigned long long)h->hash_blocks,
				(unsigned long long)g.tree_blocks);
	if (h->meta_offset != h->hash_offset + h->hash_blocks * IMG_BLOCK)
		return kerr_set(e, "header",
				"metadata offset is not after the tree");
	return 0;
}

static int
check_fields(const struct img_header *h, struct kerr *e)
{
	if (!img_fs_name(h->fs))
		return kerr_set(e, "header", "unknown filesystem type %u",
				h->fs);
	if (h->version >= IMG_VERSION_MAX)
		return kerr_set(e, "header", "version %llu is not below 2^63",
				(unsigned long long)h->version);
	if (h->epoch >= IMG_VERSION_MAX)
		return kerr_set(e, "header", "epoch %llu is not below 2^63",
				(unsigned long long)h->epoch);
	if (h->salt_len > VERITY_MAX_SALT)
		return kerr_set(e, "header", "salt longer than %d bytes",
				VERITY_MAX_SALT);
	if (!str_ok(h->board, IMG_STR_MAX) || !str_ok(h->name, IMG_STR_MAX))
		return kerr_set(e, "header",
				"board or name not printable ASCII");
	if (!img_arch_name(h->arch))
		return kerr_set(e, "header", "unknown architecture %u",
				h->arch);
	if (h->build_time >= IMG_VERSION_MAX)
		return kerr_set(e, "header", "build time is not below 2^63");
	return check_geometry(h, e);
}

const char *
img_arch_name(uint32_t arch)
{
	switch (arch) {
	case IMG_ARCH_X86_64:
		return "x86_64";
	case IMG_ARCH_AARCH64:
		return "aarch64";
	}
	return NULL;
}

uint32_t
img_arch_from_name(const char *name)
{
	for (uint32_t a = IMG_ARCH_X86_64; a <= IMG_ARCH_AARCH64; a++)
		if (!strcmp(name, img_arch_name(a)))
			return a;
	return 0;
}

const char *
img_fs_name(uint32_t fs)
{
	switch (fs) {
	case IMG_FS_EROFS:
		return "erofs";
	case IMG_FS_SQUASHFS:
		return "squashfs";
	}
	return NULL;
}

int
img_header_encode(const struct img_header *h, uint8_t tbs[IMG_TBS_SIZE],
		  struct kerr *e)
{
	if (check_fields(h, e) < 0)
		return -1;
	memset(tbs, 0, IMG_TBS_SIZE);
	memcpy(tbs + H_MAGIC, hdr_magic, 8);
	le_put32(tbs + H_FORMAT, 1);
	le_put32(tbs + H_SIZE, IMG_TBS_SIZE);
	le_put32(tbs + H_FLAGS, 0);
	le_put32(tbs + H_FS, h->fs);
	le_put64(tbs + H_VERSION, h->version);
	le_put64(tbs + H_EPOCH, h->epoch);
	le_put64(tbs + H_DATA_BLOCKS, h->data_blocks);
	le_put32(tbs + H_DATA_BSIZE, IMG_BLOCK);
	le_put32(tbs + H_HASH_BSIZE, IMG_BLOCK);
	le_put64(tbs + H_HASH_OFFSET, h->hash_offset);
	le_put64(tbs + H_HASH_BLOCKS, h->hash_blocks);
	memcpy(tbs + H_ALG, "sha256", 6);
	le_put32(tbs + H_VERITY_VER, 1);
	le_put32(tbs + H_SALT_LEN, h->salt_len);
	memcpy(tbs + H_SALT, h->salt, h->salt_len);
	memcpy(tbs + H_ROOT, h->root, VERITY_DIGEST);
	memcpy(tbs + H_BOARD, h->board, strlen(h->board));
	memcpy(tbs + H_NAME, h->name, strlen(h->name));
	le_put64(tbs + H_META_OFFSET, h->meta_offset);
	le_put64(tbs + H_BUILD_TIME, h->build_time);
	le_put32(tbs + H_ARCH, h->arch);
	return 0;
}

int
img_header_decode(const uint8_t t[IMG_TBS_SIZE], struct img_header *h,
		  struct kerr *e)
{
	static const uint8_t alg[16] = "sha256";

	memset(h, 0, sizeof(*h));
	if (memcmp(t + H_MAGIC, hdr_magic, 8))
		return kerr_set(e, "header", "bad magic (not a keel image)");
	if (le_get32(t + H_FORMAT) != 1 || le_get32(t + H_SIZE) != IMG_TBS_SIZE)
		return kerr_set(e, "header",
				"unsupported header format %u/size %u",
				le_get32(t + H_FORMAT), le_get32(t + H_SIZE));
	if (le_get32(t + H_FLAGS) != 0)
		return kerr_set(e, "header", "unknown critical flags 0x%x",
				le_get32(t + H_FLAGS));
	if (le_get32(t + H_DATA_BSIZE) != IMG_BLOCK ||
	    le_get32(t + H_HASH_BSIZE) != IMG_BLOCK)
		return kerr_set(e, "header", "block sizes must be 4096");
	if (memcmp(t + H_ALG, alg, 16) || le_get32(t + H_VERITY_VER) != 1)
		return kerr_set(e, "header",
				"hash must be sha256, verity format 1");
	h->fs = le_get32(t + H_FS);
	h->version = le_get64(t + H_VERSION);
	h->epoch = le_get64(t + H_EPOCH);
	h->data_blocks = le_get64(t + H_DATA_BLOCKS);
	h->hash_offset = le_get64(t + H_HASH_OFFSET);
	h->hash_blocks = le_get64(t + H_HASH_BLOCKS);
	h->meta_offset = le_get64(t + H_META_OFFSET);
	h->build_time = le_get64(t + H_BUILD_TIME);
	h->arch = le_get32(t + H_ARCH);
	h->salt_len = le_get32(t + H_SALT_LEN);
	if (h->salt_len > VERITY_MAX_SALT)
		return kerr_set(e, "header", "salt longer than %d bytes",
				VERITY_MAX_SALT);
	if (!bytes_zero(t + H_SALT + h->salt_len,
			VERITY_MAX_SALT - h->salt_len))
		return kerr_set(e, "header",
				"bytes after the salt are not zero");
	memcpy(h->salt, t + H_SALT, h->salt_len);
	if (!bytes_zero(t + H_ROOT + VERITY_DIGEST, 64 - VERITY_DIGEST))
		return kerr_set(e, "header",
				"bytes after the root hash are not zero");
	memcpy(h->root, t + H_ROOT, VERITY_DIGEST);
	if (get_str(t + H_BOARD, 64, h->board, IMG_STR_MAX) < 0)
		return kerr_set(e, "header", "board is not a printable string");
	if (get_str(t + H_NAME, 64, h->name, IMG_STR_MAX) < 0)
		return kerr_set(e, "header", "name is not a printable string");
	if (!bytes_zero(t + H_RESERVED, IMG_TBS_SIZE - H_RESERVED))
		return kerr_set(e, "header", "reserved bytes are not zero");
	return check_fields(h, e);
}

void
img_footer_encode(const struct img_header *h, uint8_t f[IMG_FOOTER_SIZE])
{
	memset(f, 0, IMG_FOOTER_SIZE);
	memcpy(f + F_MAGIC, ftr_magic, 8);
	le_put64(f + F_META, h->meta_offset);
	le_put64(f + F_SIZE, h->meta_offset + IMG_META_SIZE);
}

int
img_meta_encode(struct img_meta *m, uint8_t blk[IMG_META_SIZE], struct kerr *e)
{
	if (img_header_encode(&m->h, m->tbs, e) < 0)
		return -1;
	if (m->nsig > IMG_MAX_SIGS)
		return kerr_set(e, "signatures", "more than %d", IMG_MAX_SIGS);
	memset(blk, 0, IMG_META_SIZE);
	memcpy(blk, m->tbs, IMG_TBS_SIZE);
	memcpy(blk + M_SIGS, sig_magic, 8);
	le_put32(blk + M_SIGS + 8, m->nsig);
	for (unsigned i = 0; i < m->nsig; i++) {
		uint8_t *s = blk + M_SIG0 + i * IMG_SIG_ENTRY;
		le_put32(s + S_ALG, m->sig[i].alg);
		memcpy(s + S_ROLE, m->sig[i].role, strlen(m->sig[i].role));
		memcpy(s + S_KEYID, m->sig[i].keyid, EC_KEYID_LEN);
		memcpy(s + S_SIG, m->sig[i].sig, EC_SIG_LEN);
	}
	img_footer_encode(&m->h, blk + M_FOOTER);
	return 0;
}

int
img_meta_decode(const uint8_t blk[IMG_META_SIZE], struct img_meta *m,
		struct kerr *e)
{
	uint8_t f[IMG_FOOTER_SIZE];
	uint32_t n;

	memset(m, 0, sizeof(*m));
	if (img_header_decode(blk, &m->h, e) < 0)
		return -1;
	memcpy(m->tbs, blk, IMG_TBS_SIZE);
	if (memcmp(blk + M_SIGS, sig_magic, 8) || le_get32(blk + M_SIGS + 12))
		return kerr_set(e, "signatures", "bad signature table header");
	n = le_get32(blk + M_SIGS + 8);
	if (n > IMG_MAX_SIGS)
		return kerr_set(e, "signatures", "count %u above %d", n,
				IMG_MAX_SIGS);
	for (unsigned i = 0; i < n; i++) {
		const uint8_t *s = blk + M_SIG0 + i * IMG_SIG_ENTRY;
		struct img_sig *g = &m->sig[i];
		g->alg = le_get32(s + S_ALG);
		if (g->alg != IMG_SIG_ECDSA_P256_SHA256)
			return kerr_set(e, "signatures",
					"signature %u: unknown algorithm %u", i,
					g->alg);
		if (get_str(s + S_ROLE, 28, g->role, KS_ROLE_MAX) < 0 ||
		    !g->role[0])
			return kerr_set(e, "signatures",
					"signature %u: bad role field", i);
		memcpy(g->keyid, s + S_KEYID, EC_KEYID_LEN);
		memcpy(g->sig, s + S_SIG, EC_SIG_LEN);
	}
	m->nsig = n;
	/* Unused entries and the gap up to the footer must be zero. */
	if (!bytes_zero(blk + M_SIG0 + n * IMG_SIG_ENTRY,
			M_FOOTER - (M_SIG0 + n * IMG_SIG_ENTRY)))
		return kerr_set(e, "signatures",
				"unused signature space not zero");
	img_footer_encode(&m->h, f);
	if (memcmp(blk + M_FOOTER, f, IMG_FOOTER_SIZE))
		return kerr_set(e, "footer",
				"copy in the metadata block differs");
	return 0;
}

int
img_slot_size(int fd, uint64_t *size, struct kerr *e)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return kerr_set(e, "size", "fstat: %s", kerr_strerror(errno));
	if (S_ISREG(st.st_mode)) {
		*size = (uint64_t)st.st_size;
		return 0;
	}
	if (S_ISBLK(st.st_mode)) {
		if (ioctl(fd, BLKGETSIZE64, size) < 0)
			return kerr_set(e, "size", "BLKGETSIZE64: %s",
					kerr_strerror(errno));
		return 0;
	}
	return kerr_set(e, "size", "not a regular file or block device");
}

int
img_read(int fd, struct img_meta *m, struct kerr *e)
{
	uint8_t f[IMG_FOOTER_SIZE], blk[IMG_META_SIZE];
	uint64_t size, meta, isize;

	if (img_slot_size(fd, &size, e) < 0)
		return -1;
	if (size < IMG_META_SIZE + IMG_BLOCK)
		return kerr_set(e, "footer", "slot of %llu bytes is too small",
				(unsigned long long)size);
	if (io_pread_e(fd, f, sizeof(f), size - IMG_FOOTER_SIZE, "footer",
		       "read at", e) < 0)
		return -1;
	if (memcmp(f + F_MAGIC, ftr_magic, 8))
		return kerr_set(e, "footer", "no keel footer at the end");
	meta = le_get64(f + F_META);
	isize = le_get64(f + F_SIZE);
	if (!bytes_zero(f + F_RESERVED, IMG_FOOTER_SIZE - F_RESERVED))
		return kerr_set(e, "footer", "reserved bytes are not zero");
	if (meta % IMG_BLOCK || isize != meta + IMG_META_SIZE || isize > size ||
	    isize < meta)
		return kerr_set(
		    e, "footer",
		    "metadata offset %llu does not fit a slot of %llu bytes",
		    (unsigned long long)meta, (unsigned long long)size);
	if (io_pread_e(fd, blk, sizeof(blk), meta, "metadata", "read at", e) <
	    0)
		return -1;
	if (img_meta_decode(blk, m, e) < 0)
		return -1;
	if (m->h.meta_offset != meta)
		return kerr_set(e, "footer",
				"points elsewhere than the header says");
	return 0;
}

int
img_write_meta(int fd, struct img_meta *m, struct kerr *e)
{
	uint8_t blk[IMG_META_SIZE];
	uint64_t size;

	if (img_meta_encode(m, blk, e) < 0 || img_slot_size(fd, &size, e) < 0)
		return -1;
	if (size < m->h.meta_offset + IMG_META_SIZE)
		size = m->h.meta_offset + IMG_META_SIZE;
	if (io_pwrite_e(fd, blk, sizeof(blk), m->h.meta_offset, "write",
			"write at", e) < 0)
		return -1;
	/* In a partition larger than the image the footer sits at its end. */
	if (size > m->h.meta_offset + IMG_META_SIZE &&
	    io_pwrite_e(fd, blk + M_FOOTER, IMG_FOOTER_SIZE,
			size - IMG_FOOTER_SIZE, "write", "write at", e) < 0)
		return -1;
	if (fsync(fd) < 0 && errno != EINVAL)
		return kerr_set(e, "write", "fsync: %s", kerr_strerror(errno));
	return 0;
}

void
img_digest(const struct img_meta *m, uint8_t out[32])
{
	sha256(m->tbs, IMG_TBS_SIZE, out);
}

int
img_add_sig(struct img_meta *m, const char *role,
	    const uint8_t keyid[EC_KEYID_LEN], const uint8_t sig[EC_SIG_LEN],
	    struct kerr *e)
{
	struct img_sig *g;

	if (!str_ok(role, KS_ROLE_MAX) || !role[0])
		return kerr_set(e, "signatures", "bad role name '%s'", role);
	for (unsigned i = 0; i < m->nsig; i++)
		if (!memcmp(m->sig[i].keyid, keyid, EC_KEYID_LEN))
			return kerr_set(
			    e, "signatures",
			    "this key has signed the image already");
	if (m->nsig == IMG_MAX_SIGS)
		return kerr_set(e, "signatures", "table full (%d)",
				IMG_MAX_SIGS);
	g = &m->sig[m->nsig++];
	memset(g, 0, sizeof(*g));
	g->alg = IMG_SIG_ECDSA_P256_SHA256;
	strcpy(g->role, role);
	memcpy(g->keyid, keyid, EC_KEYID_LEN);
	memcpy(g->sig, sig, EC_SIG_LEN);
	return 0;
}
