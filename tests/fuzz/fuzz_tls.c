// SPDX-License-Identifier: MIT
/* libFuzzer target: trust anchors from PEM, and a handshake with bytes
 * chosen by the fuzzer playing the server. */
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lib/net/tls.h"
#include "tests/unit/tls_fixture.h"

static struct tls_anchors ta, fx;
static struct tls_conn tc;

static void
anchors(const uint8_t *d, size_t n)
{
	int r;

	tls_anchors_init(&ta);
	r = tls_anchors_add_pem(&ta, d, n, NULL);
	if ((r < 0 && ta.n) || (r >= 0 && (size_t)r != ta.n) ||
	    ta.n > TLS_ANCHORS_MAX || ta.used > sizeof(ta.mem))
		__builtin_trap();
}

/*
 * The server's whole side of the connection is the input: the client
 * must refuse it (or, were it a valid server, complete) without harm.
 */
static void
handshake(const uint8_t *d, size_t n)
{
	char buf[256];
	int sv[2];

	if (n > 65536 || socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
		return;
	if (write(sv[1], d, n) == (ssize_t)n) {
		shutdown(sv[1], SHUT_WR);
		if (tls_start(&tc, sv[0], &fx, "server.test", 50, NULL) == 0)
			while (tls_read(&tc, buf, sizeof(buf), NULL) > 0)
				;
	}
	close(sv[0]);
	close(sv[1]);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!fx.n)
		tls_anchors_add_pem(&fx, fx_ca_pem, strlen(fx_ca_pem), NULL);
	if (!size)
		return 0;
	if (data[0] & 1)
		handshake(data + 1, size - 1);
	else
		anchors(data + 1, size - 1);
	return 0;
}
