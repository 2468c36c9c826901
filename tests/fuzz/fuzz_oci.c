// SPDX-License-Identifier: MIT
/* libFuzzer target: config.json → policy, its filter, and the writer. */
#include <stdint.h>
#include <string.h>

#include "lib/config/oci.h"
#include "lib/container/seccomp.h"

static struct oci_config c, c2;
static struct seccomp_prog prog;
static char out[OCI_JSON_MAX], out2[OCI_JSON_MAX];

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kerr e;
	long n, n2;

	if (oci_parse_flags((const char *)data, size, &c, OCI_PARSE_BUNDLE,
			    &e) < 0)
		return 0;
	if (c.pool_used > sizeof(c.pool) || !c.nargs || c.args[c.nargs])
		__builtin_trap();
	if (seccomp_build(&c, &prog, &e) < 0 || prog.len == 0)
		__builtin_trap();
	/* an accepted config writes out canonically and reads back the same */
	n = oci_write(&c, out, sizeof(out), &e);
	if (n < 0)
		return 0;
	if (oci_parse(out, (size_t)n, &c2, &e) < 0)
		__builtin_trap();
	n2 = oci_write(&c2, out2, sizeof(out2), &e);
	if (n2 != n || memcmp(out, out2, (size_t)n))
		__builtin_trap();
	return 0;
}
