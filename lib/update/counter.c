// SPDX-License-Identifier: MIT
/* The rollback floor in hardware: a TPM 2.0 NV bits index, or a test file. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "lib/base/fmt.h"
#include "lib/base/text.h"
#include "lib/update/counter.h"

/* TPM 2.0 Part 2 constants used here. */
#define ST_NO_SESSIONS 0x8001
#define ST_SESSIONS 0x8002
#define CC_NV_DEFINESPACE 0x12A
#define CC_NV_SETBITS 0x135
#define CC_NV_READ 0x14E
#define CC_NV_READPUBLIC 0x169
#define RH_OWNER 0x40000001u
#define RS_PW 0x40000009u
#define ALG_SHA256 0x000B
#define RC_NV_UNINITIALIZED 0x14A
#define RC_FMT1 0x080
#define RC_HANDLE 0x00B
#define NT_BITS 2u
#define NV_AUTHWRITE (1u << 2)
#define NV_AUTHREAD (1u << 18)
#define NV_NO_DA (1u << 25)
#define NV_ATTRS (NT_BITS << 4 | NV_AUTHWRITE | NV_AUTHREAD | NV_NO_DA)
#define HDR 10 /* tag, size, code */

static void
put16(uint8_t *p, size_t *n, uint32_t v)
{
	p[(*n)++] = (uint8_t)(v >> 8);
	p[(*n)++] = (uint8_t)v;
}

static void
put32(uint8_t *p, size_t *n, uint32_t v)
{
	put16(p, n, v >> 16);
	put16(p, n, v);
}

static uint32_t
get16(const uint8_t *p)
{
	return (uint32_t)p[0] << 8 | p[1];
}

static uint32_t
get32(const uint8_t *p)
{
	return get16(p) << 16 | get16(p + 2);
}

/* Header of a command; its size is filled in by seal. */
static size_t
begin(uint8_t *b, int sessions, uint32_t code)
{
	size_t n = 0;

	put16(b, &n, sessions ? ST_SESSIONS : ST_NO_SESSIONS);
	put32(b, &n, 0);
	put32(b, &n, code);
	return n;
}

/* The password session with an empty password: the index's own auth. */
static void
pw_session(uint8_t *b, size_t *n)
{
	put32(b, n, 9);
	put32(b, n, RS_PW);
	put16(b, n, 0); /* nonce */
	b[(*n)++] = 0;	/* attributes */
	put16(b, n, 0); /* hmac: the empty password */
}

/* Response header: size and code; the code, or -1 if malformed. */
static long
rsp_code(const uint8_t *r, size_t n, struct kerr *e)
{
	if (n < HDR || get32(r + 2) != n ||
	    (get16(r) != ST_SESSIONS && get16(r) != ST_NO_SESSIONS))
		return kerr_set(e, "tpm", "malformed response (%zu bytes)", n);
	return (long)get32(r + 6);
}

static int
transact(struct counter *c, size_t n, size_t *rn, struct kerr *e)
{
	ssize_t w, r;
	size_t at = 2;

	put32(c->buf, &at, (uint32_t)n);
	do
		w = write(c->fd, c->buf, n);
	while (w < 0 && errno == EINTR);
	if (w != (ssize_t)n)
		return kerr_set(e, "tpm", "write: %s",
				w < 0 ? kerr_strerror(errno) : "short");
	do
		r = read(c->fd, c->buf, sizeof(c->buf));
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return kerr_set(e, "tpm", "read: %s", kerr_strerror(errno));
	*rn = (size_t)r;
	return 0;
}

int
counter_tpm2_parse_public(const uint8_t *r, size_t n, uint32_t index,
			  uint32_t *attrs, struct kerr *e)
{
	long rc = rsp_code(r, n, e);
	size_t pub, pol;

	if (rc < 0)
		return -1;
	if ((rc & RC_FMT1) && (rc & 0x3f) == RC_HANDLE)
		return 1;
	if (rc)
		return kerr_set(e, "tpm", "NV_ReadPublic: response code 0x%lx",
				rc);
	/* TPM2B_NV_PUBLIC: index, nameAlg, attributes, authPolicy, size */
	if (n < HDR + 2 + 14)
		return kerr_set(e, "tpm", "NV_ReadPublic: short response");
	pub = get16(r + HDR);
	if (pub < 14 || HDR + 2 + pub > n || get32(r + HDR + 2) != index)
		return kerr_set(e, "tpm", "NV_ReadPublic: bad public area");
	pol = get16(r + HDR + 12);
	if (pub != 14 + pol)
		return kerr_set(e, "tpm", "NV_ReadPublic: bad policy size");
	*attrs = get32(r + HDR + 8);
	return 0;
}

int
counter_tpm2_parse_read(const uint8_t *r, size_t n, uint64_t *bits,
			struct kerr *e)
{
	long rc = rsp_code(r, n, e);

	if (rc < 0)
		return -1;
	if (rc == RC_NV_UNINITIALIZED) {
		*bits = 0;
		return 1;
	}
	if (rc)
		return kerr_set(e, "tpm", "NV_Read: response code 0x%lx", rc);
	/* parameterSize, then TPM2B_MAX_NV_BUFFER of exactly 8 bytes */
	if (n < HDR + 4 + 2 + 8 || get32(r + HDR) != 2 + 8 ||
	    get16(r + HDR + 4) != 8)
		return kerr_set(e, "tpm", "NV_Read: not 8 bytes");
	*bits = 0;
	for (int i = 0; i < 8; i++)
		*bits = *bits << 8 | r[HDR + 6 + i];
	return 0;
}

uint64_t
counter_bits_floor(uint64_t bits)
{
	return bits ? 64 - (uint64_t)__builtin_clzll(bits) : 0;
}

static int
tpm_public(struct counter *c, uint32_t *attrs, struct kerr *e)
{
	size_t n = begin(c->buf, 0, CC_NV_READPUBLIC), rn;

	put32(c->buf, &n, c->index);
	if (transact(c, n, &rn, e) < 0)
		return -1;
	return counter_tpm2_parse_public(c->buf, rn, c->index, attrs, e);
}

static int
tpm_define(struct counter *c, struct kerr *e)
{
	size_t n = begin(c->buf, 1, CC_NV_DEFINESPACE), rn;
	long rc;

	put32(c->buf, &n, RH_OWNER);
	pw_session(c->buf, &n);
	put16(c->buf, &n, 0);  /* the index's auth: empty */
	put16(c->buf, &n, 14); /* TPMS_NV_PUBLIC */
	put32(c->buf, &n, c->index);
	put16(c->buf, &n, ALG_SHA256);
	put32(c->buf, &n, NV_ATTRS);
	put16(c->buf, &n, 0); /* no policy */
	put16(c->buf, &n, 8); /* 64 bits */
	if (transact(c, n, &rn, e) < 0 || (rc = rsp_code(c->buf, rn, e)) < 0)
		return -1;
	if (rc)
		return kerr_set(e, "tpm",
				"NV index 0x%08x does not exist and cannot "
				"be defined (response code 0x%lx; the owner "
				"hierarchy has a password?): provision it",
				c->index, rc);
	return 0;
}

int
counter_tpm2_open(struct counter *c, const char *dev, uint32_t index,
		  struct kerr *e)
{
	int fd = open(dev, O_RDWR | O_CLOEXEC);

	if (fd < 0) {
		c->fd = -1;
		return kerr_set(e, "tpm", "%s: %s", dev, kerr_strerror(errno));
	}
	return counter_tpm2_attach(c, fd, index, e);
}

int
counter_tpm2_attach(struct counter *c, int fd, uint32_t index, struct kerr *e)
{
	uint32_t attrs = 0;
	int r;

	memset(c, 0, sizeof(*c));
	c->kind = COUNTER_TPM2;
	c->index = index;
	c->fd = fd;
	r = tpm_public(c, &attrs, e);
	if (r == 1)
		r = tpm_define(c, e) < 0 ? -1 : tpm_public(c, &attrs, e);
	if (r == 0 && ((attrs >> 4 & 0xf) != NT_BITS ||
		       !(attrs & NV_AUTHREAD) || !(attrs & NV_AUTHWRITE)))
		r = kerr_set(e, "tpm",
			     "NV index 0x%08x is not a bits index with its "
			     "own auth (attributes 0x%08x)",
			     index, attrs);
	if (r != 0) {
		if (r == 1)
			kerr_set(e, "tpm", "NV index 0x%08x still undefined",
				 index);
		counter_close(c);
		return -1;
	}
	return 0;
}

int
counter_file_open(struct counter *c, const char *path, struct kerr *e)
{
	memset(c, 0, sizeof(*c));
	c->kind = COUNTER_FILE;
	c->fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (c->fd < 0)
		return kerr_set(e, "counter", "%s: %s", path,
				kerr_strerror(errno));
	return 0;
}

static int
file_read(struct counter *c, uint64_t *v, struct kerr *e)
{
	char buf[24];
	ssize_t n = pread(c->fd, buf, sizeof(buf) - 1, 0);

	if (n < 0)
		return kerr_set(e, "counter", "read: %s", kerr_strerror(errno));
	while (n > 0 && buf[n - 1] == '\n')
		n--;
	*v = 0;
	if (n > 0 && text_u64(buf, (size_t)n, v) < 0)
		return kerr_set(e, "counter", "not a number");
	return 0;
}

int
counter_read(struct counter *c, uint64_t *floor, struct kerr *e)
{
	size_t n, rn;
	uint64_t bits;

	if (c->kind == COUNTER_FILE)
		return file_read(c, floor, e);
	n = begin(c->buf, 1, CC_NV_READ);
	put32(c->buf, &n, c->index); /* auth: the index itself */
	put32(c->buf, &n, c->index);
	pw_session(c->buf, &n);
	put16(c->buf, &n, 8); /* size */
	put16(c->buf, &n, 0); /* offset */
	if (transact(c, n, &rn, e) < 0 ||
	    counter_tpm2_parse_read(c->buf, rn, &bits, e) < 0)
		return -1;
	*floor = counter_bits_floor(bits);
	return 0;
}

int
counter_advance(struct counter *c, uint64_t floor, struct kerr *e)
{
	uint64_t now, mask;
	size_t n, rn;
	long rc;

	if (counter_read(c, &now, e) < 0)
		return -1;
	if (c->kind == COUNTER_TPM2 && floor > COUNTER_TPM2_MAX)
		floor = COUNTER_TPM2_MAX;
	if (now >= floor)
		return 0;
	if (c->kind == COUNTER_FILE) {
		char buf[24];
		int len = fmt_sn(buf, sizeof(buf), "%llu\n",
				 (unsigned long long)floor);
		if (pwrite(c->fd, buf, (size_t)len, 0) != len ||
		    ftruncate(c->fd, len) < 0 || fsync(c->fd) < 0)
			return kerr_set(e, "counter", "write: %s",
					kerr_strerror(errno));
		return 0;
	}
	mask = floor >= 64 ? ~0ull : (1ull << floor) - 1;
	n = begin(c->buf, 1, CC_NV_SETBITS);
	put32(c->buf, &n, c->index);
	put32(c->buf, &n, c->index);
	pw_session(c->buf, &n);
	put32(c->buf, &n, (uint32_t)(mask >> 32));
	put32(c->buf, &n, (uint32_t)mask);
	if (transact(c, n, &rn, e) < 0 || (rc = rsp_code(c->buf, rn, e)) < 0)
		return -1;
	if (rc)
		return kerr_set(e, "tpm", "NV_SetBits: response code 0x%lx",
				rc);
	return 0;
}

void
counter_close(struct counter *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
}
