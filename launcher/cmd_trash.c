// SPDX-License-Identifier: MIT
/* keel trash: removes a factory reset's old trees (keel-init runs it). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include "launcher/commands.h"
#include "launcher/keel.h"
#include "lib/disk/trash.h"

static const char help[] =
    "keel trash DIR...\n"
    "  keel-init runs it after a factory reset or a migration: it removes\n"
    "  every .keel-trash-N tree at the root of each persistent partition\n"
    "  DIR (docs/FORMAT.md §5). Exit 0 when all are gone, 1 when one is\n"
    "  left for the next boot (a line on stderr says why; keel-init tells\n"
    "  how it ended).\n";

int
cmd_trash(int argc, char **argv)
{
	int rc = 0;

	if (argc < 2 || argv[1][0] != '/')
		return keel_usage(help);
	for (int i = 1; i < argc; i++) {
		int root = open(argv[i], O_RDONLY | O_DIRECTORY | O_CLOEXEC);

		if (root < 0 || trash_collect(root) < 0) {
			fprintf(stderr,
				"factory reset: removing old trees of %s: %s\n",
				argv[i], kerr_strerror(errno));
			rc = 1;
		}
		if (root >= 0)
			close(root);
	}
	return rc;
}
