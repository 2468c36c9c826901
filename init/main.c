// SPDX-License-Identifier: MIT
/* keel-init: PID 1 of the appliance. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "lib/keyset.h"

int
main(int argc, char **argv)
{
	struct keyset ks;
	struct kerr e = { 0 };

	if (argc > 1 && !strcmp(argv[1], "--check-keys")) {
		if (ks_load_baked(&ks, &e) < 0) {
			fprintf(stderr, "keel-init: keys: %s: %s\n", e.check,
				e.detail);
			return 1;
		}
		return 0;
	}
	if (getpid() != 1) {
		fprintf(stderr, "keel-init: must run as PID 1\n");
		return 1;
	}
	for (;;)
		pause();
}
