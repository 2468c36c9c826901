// SPDX-License-Identifier: MIT
/* Unit tests of the rollback counter: TPM 2.0 wire format, a fake TPM. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/update/counter.h"
#include "tests/unit/unit.h"

/*
 * A fake TPM 2.0 behind a SOCK_SEQPACKET pair (one write, one read per
 * command, as /dev/tpm0): NV_ReadPublic, NV_DefineSpace, NV_Read and
 * NV_SetBits of one index, from the TPM 2.0 Part 3 layouts. It checks
 * every command byte it understands and answers TPM_RC_FAILURE (0x101)
 * to anything else, so a wrong command fails the test.
 */
static uint32_t
g32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static size_t
reply(uint8_t *r, uint16_t tag, uint32_t rc, const uint8_t *body, size_t n)
{
	size_t len = 10 + n;

	r[0] = (uint8_t)(tag >> 8), r[1] = (uint8_t)tag;
	for (int i = 0; i < 4; i++) {
		r[2 + i] = (uint8_t)(len >> (24 - 8 * i));
		r[6 + i] = (uint8_t)(rc >> (24 - 8 * i));
	}
	if (n)
		memcpy(r + 10, body, n);
	return len;
}

/* The empty password session, as the counter must send it. */
static int
pw_ok(const uint8_t *p)
{
	static const uint8_t pw[] = {0, 0, 0, 9, 0x40, 0, 0, 9, 0, 0, 0, 0, 0};
	return !memcmp(p, pw, sizeof(pw));
}

static void
fake_tpm(int fd, uint32_t index, int defined, uint32_t type, int owner_pw)
{
	uint8_t c[256], r[256], body[64];
	uint64_t bits = 0;
	int written = 0;
	ssize_t n;

	while ((n = read(fd, c, sizeof(c))) > 0) {
		uint32_t cc = g32(c + 6), rc = 0x101;
		size_t rn, bn = 0;

		if ((size_t)n != g32(c + 2)) {
			rn = reply(r, 0x8001, rc, NULL, 0);
		} else if (cc == 0x169 && n == 14 && g32(c + 10) == index) {
			if (!defined) {
				rn = reply(r, 0x8001, 0x18b, NULL, 0);
			} else {
				uint8_t pub[] = {0,    14, 0, 0, 0, 0, 0,
						 0x0b, 0,  0, 0, 0, 0, 0,
						 0,    8,  0, 2, 0, 0};
				for (int i = 0; i < 4; i++)
					pub[2 + i] =
					    (uint8_t)(index >> (24 - 8 * i));
				uint32_t a = type << 4 | 1u << 2 | 1u << 18 |
					     1u << 25 | (uint32_t)written << 29;
				for (int i = 0; i < 4; i++)
					pub[8 + i] =
					    (uint8_t)(a >> (24 - 8 * i));
				rn = reply(r, 0x8001, 0, pub, sizeof(pub));
			}
		} else if (cc == 0x12a && n == 45 &&
			   g32(c + 10) == 0x40000001 && pw_ok(c + 14) &&
			   g32(c + 31) == index && g32(c + 37) == 0x02040024) {
			rc = owner_pw ? 0x9a2 : 0;
			defined |= !owner_pw;
			type = 2;
			rn = reply(r, 0x8002, rc, NULL, 0);
		} else if (cc == 0x14e && n == 35 && g32(c + 10) == index &&
			   g32(c + 14) == index && pw_ok(c + 18) &&
			   g32(c + 31) == 0x00080000) {
			if (!written) {
				rn = reply(r, 0x8002, 0x14a, NULL, 0);
			} else {
				memcpy(body, "\0\0\0\x0a\0\x08", 6);
				for (int i = 0; i < 8; i++)
					body[6 + i] =
					    (uint8_t)(bits >> (56 - 8 * i));
				memcpy(body + 14, "\0\0\0\0\0", 5);
				bn = 19;
				rn = reply(r, 0x8002, 0, body, bn);
			}
		} else if (cc == 0x135 && n == 39 && g32(c + 10) == index &&
			   g32(c + 14) == index && pw_ok(c + 18)) {
			bits |= (uint64_t)g32(c + 31) << 32 | g32(c + 35);
			written = 1;
			rn = reply(r, 0x8002, 0, NULL, 0);
		} else {
			rn = reply(r, 0x8001, rc, NULL, 0);
		}
		if (write(fd, r, rn) != (ssize_t)rn)
			break;
	}
	_exit(0);
}

/* A counter talking to a fake TPM in a child; its pid in *pid. */
static int
open_fake(struct counter *c, pid_t *pid, int defined, uint32_t type,
	  int owner_pw, struct kerr *e)
{
	int sp[2];

	if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sp) < 0)
		return -1;
	*pid = fork();
	if (*pid == 0) {
		close(sp[0]);
		fake_tpm(sp[1], 0x01800001, defined, type, owner_pw);
	}
	close(sp[1]);
	return counter_tpm2_attach(c, sp[0], 0x01800001, e);
}

static void
stop(pid_t pid)
{
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

static void
test_tpm(void)
{
	struct counter c;
	struct kerr e = {0};
	uint64_t f = 99;
	pid_t pid;

	/* Not defined, owner without a password: defined, reads 0. */
	CHECK(open_fake(&c, &pid, 0, 0, 0, &e) == 0, "open: %s", e.detail);
	CHECK(counter_read(&c, &f, &e) == 0 && f == 0, "fresh: %llu",
	      (unsigned long long)f);
	CHECK(counter_advance(&c, 3, &e) == 0, "advance 3: %s", e.detail);
	CHECK(counter_read(&c, &f, &e) == 0 && f == 3, "3: %llu",
	      (unsigned long long)f);
	CHECK(counter_advance(&c, 2, &e) == 0 &&
		  counter_read(&c, &f, &e) == 0 && f == 3,
	      "never lowered: %llu", (unsigned long long)f);
	CHECK(counter_advance(&c, 64, &e) == 0 &&
		  counter_read(&c, &f, &e) == 0 && f == 64,
	      "64: %llu", (unsigned long long)f);
	CHECK(counter_advance(&c, 1000, &e) == 0 &&
		  counter_read(&c, &f, &e) == 0 && f == COUNTER_TPM2_MAX,
	      "saturates at 64: %llu", (unsigned long long)f);
	counter_close(&c);
	stop(pid);
	/* Not defined and the owner has a password: refused, named. */
	CHECK(open_fake(&c, &pid, 0, 0, 1, &e) == -1 &&
		  strstr(e.detail, "provision it"),
	      "owner password: %s", e.detail);
	stop(pid);
	/* An index of another type (a counter): refused. */
	CHECK(open_fake(&c, &pid, 1, 1, 0, &e) == -1 &&
		  strstr(e.detail, "not a bits index"),
	      "counter type: %s", e.detail);
	stop(pid);
	/* No TPM at all. */
	CHECK(counter_tpm2_open(&c, "/nonexistent/tpm0", 1, &e) == -1 &&
		  strstr(e.detail, "No such file"),
	      "no device: %s", e.detail);
}

static void
test_parse(void)
{
	uint8_t r[64] = {0x80, 0x02, 0, 0, 0, 29, 0, 0, 0, 0, 0, 0, 0, 10, 0,
			 8,    0,    0, 0, 0, 0,  0, 0, 7, 0, 0, 0, 0, 0};
	struct kerr e = {0};
	uint64_t b = 0;
	uint32_t a = 0;

	CHECK(counter_tpm2_parse_read(r, 29, &b, &e) == 0 && b == 7, "read 7");
	CHECK(counter_bits_floor(7) == 3 && counter_bits_floor(0) == 0 &&
		  counter_bits_floor(1ull << 63) == 64 &&
		  counter_bits_floor(0x10) == 5,
	      "floors of bits");
	CHECK(counter_tpm2_parse_read(r, 28, &b, &e) == -1, "size field");
	r[15] = 4;
	CHECK(counter_tpm2_parse_read(r, 29, &b, &e) == -1, "4 bytes");
	r[15] = 8;
	r[9] = 0x4a, r[8] = 1;
	CHECK(counter_tpm2_parse_read(r, 29, &b, &e) == 1 && b == 0,
	      "uninitialized: 0");
	r[9] = 0x01;
	CHECK(counter_tpm2_parse_read(r, 29, &b, &e) == -1, "other code");
	CHECK(counter_tpm2_parse_read(r, 9, &b, &e) == -1, "no header");
	r[0] = 0x12;
	CHECK(counter_tpm2_parse_read(r, 29, &b, &e) == -1, "bad tag");
	/* ReadPublic: a handle error is "not defined". */
	uint8_t h[10] = {0x80, 0x01, 0, 0, 0, 10, 0, 0, 0x01, 0x8b};
	CHECK(counter_tpm2_parse_public(h, 10, 5, &a, &e) == 1, "undefined");
	h[9] = 0x8c;
	CHECK(counter_tpm2_parse_public(h, 10, 5, &a, &e) == -1, "other rc");
	uint8_t p[32] = {0x80, 1, 0,  0, 0, 30, 0,    0, 0, 0, 0, 14, 1, 2, 3,
			 4,    0, 11, 0, 0, 0,	0x24, 0, 0, 0, 8, 0,  2, 0, 0};
	CHECK(counter_tpm2_parse_public(p, 30, 0x01020304, &a, &e) == 0 &&
		  a == 0x24,
	      "public: %s", e.detail);
	CHECK(counter_tpm2_parse_public(p, 30, 0x01020305, &a, &e) == -1,
	      "another index");
	p[23] = 3; /* a policy size the area has no room for */
	CHECK(counter_tpm2_parse_public(p, 30, 0x01020304, &a, &e) == -1,
	      "policy size");
}

static void
test_file(void)
{
	char path[] = "/tmp/keel-counter-XXXXXX";
	int fd = mkstemp(path);
	struct counter c;
	struct kerr e = {0};
	uint64_t f = 9;

	close(fd);
	CHECK(counter_file_open(&c, path, &e) == 0, "open");
	CHECK(counter_read(&c, &f, &e) == 0 && f == 0, "empty: 0");
	CHECK(counter_advance(&c, 12, &e) == 0 &&
		  counter_read(&c, &f, &e) == 0 && f == 12,
	      "12");
	CHECK(counter_advance(&c, 5, &e) == 0 &&
		  counter_read(&c, &f, &e) == 0 && f == 12,
	      "never lowered");
	counter_close(&c);
	fd = open(path, O_WRONLY | O_TRUNC);
	CHECK(write(fd, "x1\n", 3) == 3, "w");
	close(fd);
	CHECK(counter_file_open(&c, path, &e) == 0 &&
		  counter_read(&c, &f, &e) == -1,
	      "garbage refused");
	counter_close(&c);
	unlink(path);
}

int
main(void)
{
	signal(SIGPIPE, SIG_IGN);
	test_parse();
	test_tpm();
	test_file();
	return unit_done("counter");
}
