// SPDX-License-Identifier: MIT
/* Benchmark clock: prints CLOCK_MONOTONIC in ns, then exits, waits or execs. */
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/*
 * Usage: stamp                   print "stamp NS" and exit 0
 *        stamp --hold FILE       print, then wait while FILE exists
 *        stamp --exec CMD ARGS   print, then exec CMD
 *
 * CLOCK_MONOTONIC is one clock for every pid and mount namespace, so a
 * stamp printed before an init starts and one printed by its app as
 * the app's first act give the init's start-to-exec time.
 */

static void
stamp_print(void)
{
	struct timespec ts;
	char line[64];
	int n;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	n = snprintf(line, sizeof(line), "stamp %lld\n",
		     (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec);
	/* one write, unbuffered: the line must be out before an exec */
	if (write(1, line, n) != n)
		_exit(1);
}

int
main(int argc, char **argv)
{
	stamp_print();
	if (argc >= 3 && !strcmp(argv[1], "--hold")) {
		struct timespec tick = {0, 10000000};

		while (access(argv[2], F_OK) == 0)
			nanosleep(&tick, NULL);
		return 0;
	}
	if (argc >= 3 && !strcmp(argv[1], "--exec")) {
		execvp(argv[2], argv + 2);
		perror("stamp: exec");
		return 127;
	}
	return 0;
}
