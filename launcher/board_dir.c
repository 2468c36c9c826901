// SPDX-License-Identifier: MIT
/* Where keel disk and keel qemu find a board's files in the build tree. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "launcher/board_dir.h"
#include "launcher/keel.h"

/* The directory keel runs from (its build directory in a build tree). */
static int
exe_dir(char *dir, size_t cap)
{
	ssize_t n = readlink("/proc/self/exe", dir, cap - 1);
	char *slash;

	if (n <= 0 || (size_t)n >= cap - 1)
		return -1;
	dir[n] = 0;
	slash = strrchr(dir, '/');
	if (!slash)
		return -1;
	*slash = 0;
	return 0;
}

int
keel_board_dir(const char *name, char *dir, size_t cap)
{
	const char *env = getenv("KEEL_BOARD_DIR");
	char exe[PATH_MAX];
	int n;

	if (env && *env)
		n = snprintf(dir, cap, "%s", env);
	else if (exe_dir(exe, sizeof(exe)) == 0)
		n = snprintf(dir, cap, "%s/board/%s", exe, name);
	else
		return -1;
	return n < 0 || (size_t)n >= cap ? -1 : 0;
}

int
keel_board_load(const char *name, const char *action, struct board *b)
{
	char path[PATH_MAX], exe[PATH_MAX], buf[BOARD_FILE_MAX + 1];
	struct kerr e = {0};
	long n;

	if (strchr(name, '/')) {
		snprintf(path, sizeof(path), "%s", name);
	} else {
		if (keel_board_dir(name, path, sizeof(path) - 16) < 0)
			return keel_errf(action, name, "board path too long");
		strcat(path, "/board.conf");
		/* Before `make board`: the source tree above the build dir. */
		if (access(path, R_OK) && exe_dir(exe, sizeof(exe)) == 0 &&
		    snprintf(path, sizeof(path), "%s/../board/%s/board.conf",
			     exe, name) >= (int)sizeof(path))
			return keel_errf(action, name, "board path too long");
	}
	n = keel_read_file(path, buf, sizeof(buf));
	if (n < 0)
		return keel_errf(action, path, "%s", strerror(errno));
	if (board_parse(buf, (size_t)n, b, &e))
		return keel_err(action, path, &e);
	return 0;
}
