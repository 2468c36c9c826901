// SPDX-License-Identifier: MIT
/* Kernel modules from the initramfs, in the order of its load list. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "init/init.h"
#include "lib/base/fmt.h"
#include "lib/base/io.h"

int
modules_load(void)
{
	static char list[INIT_MODLIST_MAX];
	char name[BOARD_MODNAME_MAX + 8],
	    path[sizeof(MODULE_DIR) + sizeof(name)];
	const char *pos = list, *end;
	struct kerr e = {0};
	unsigned loaded = 0, failed = 0;
	long n;
	int fd, r;

	n = io_read_file(MODULE_LIST, list, sizeof(list));
	if (n == -ENOENT)
		return 0; /* everything built in */
	if (n < 0)
		return klog("modules: load.list: %s", io_strerror((int)n)), -1;
	end = list + n;
	while ((r = board_modlist_next(&pos, end, name, sizeof(name), &e)) !=
	       0) {
		if (r < 0)
			return klog("modules: load.list: %s", e.detail), -1;
		fmt_sn(path, sizeof(path), MODULE_DIR "/%s", name);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0 ||
		    (sys->finit_module(fd, name) < 0 && errno != EEXIST)) {
			klog("modules: %s: %s", name, kerr_strerror(errno));
			failed++;
		} else {
			loaded++;
		}
		if (fd >= 0)
			close(fd);
		/* The initramfs cannot be freed: at least drop the file. */
		if (!g.test)
			sys->unlink(path);
	}
	klog("modules: %u loaded, %u failed", loaded, failed);
	return failed ? -1 : 0;
}
