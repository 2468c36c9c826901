// SPDX-License-Identifier: MIT
/* keel counter: reads or advances the rollback counter (keel-init runs it). */
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "launcher/commands.h"
#include "launcher/keel.h"
#include "lib/base/fmt.h"
#include "lib/update/counter.h"

static const char help[] =
    "keel counter tpm2 INDEX DEVICE [FLOOR]\n"
    "keel counter file PATH [FLOOR]\n"
    "  keel-init runs it for the board's rollback counter\n"
    "  (lib/update/counter.h): reads the floor the TPM 2.0 NV index INDEX\n"
    "  (decimal) at DEVICE, or the test file PATH, holds, or raises it to\n"
    "  FLOOR, and writes one record on fd 3.\n";

static int
word(const char *s, uint64_t *v)
{
	return text_u64(s, strlen(s), v);
}

int
cmd_counter(int argc, char **argv)
{
	static struct counter c;
	struct counter_msg m;
	struct kerr e = {0};
	uint64_t index = 0, floor = 0;
	int tpm = argc >= 4 && !strcmp(argv[1], "tpm2"), r;
	int n = tpm ? 4 : 3; /* words before FLOOR */

	if (!tpm && !(argc >= 3 && !strcmp(argv[1], "file")))
		return keel_usage(help);
	if (argc > n + 1 ||
	    (tpm && (word(argv[2], &index) < 0 || index > UINT32_MAX)) ||
	    (argc == n + 1 && word(argv[n], &floor) < 0))
		return keel_usage(help);
	if (tpm)
		r = counter_tpm2_open(&c, argv[3], (uint32_t)index, &e);
	else
		r = counter_file_open(&c, argv[2], &e);
	memset(&m, 0, sizeof(m));
	if (r == 0 && argc == n + 1)
		r = counter_advance(&c, floor, &e);
	else if (r == 0)
		r = counter_read(&c, &m.floor, &e);
	m.magic = COUNTER_MSG_MAGIC;
	m.ok = r == 0;
	if (!m.ok) {
		fmt_sn(m.check, sizeof(m.check), "%s", e.check ? e.check : "?");
		fmt_sn(m.detail, sizeof(m.detail), "%s", e.detail);
	}
	return write(COUNTER_MSG_FD, &m, sizeof(m)) == (ssize_t)sizeof(m)
		   ? 0
		   : KEEL_EXIT_FAIL;
}
