/* SPDX-License-Identifier: MIT */
/* The test builds' pause between a check and what uses its result. */
#ifndef KEEL_TESTHOOK_H
#define KEEL_TESTHOOK_H

/*
 * Compiled in only with KEEL_TEST_HOOKS (keel-test, keel-init-test: never
 * installed, never part of `make all`); a plain build has no trace of it.
 * With KEEL_TEST_PAUSE=FIFO in the environment, testhook_pause() calls
 * say(step) (the caller's own words on its console), then stops until a
 * line arrives on FIFO, so that a test can rewrite what was just checked
 * in that window (tests/host/run_race.sh, tests/host/init_race.sh).
 * Opening the FIFO blocks until the test opens it for writing: that open
 * is the test's signal that the check is over. Without the variable, or
 * when the FIFO cannot be opened, it returns at once.
 */
#ifdef KEEL_TEST_HOOKS
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

static inline void
testhook_pause(const char *step, void (*say)(const char *step))
{
	const char *fifo = getenv("KEEL_TEST_PAUSE");
	char c;
	int fd;

	if (!fifo)
		return;
	say(step);
	fd = open(fifo, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	while (read(fd, &c, 1) == 1 && c != '\n')
		;
	close(fd);
}
#else
/* say stays referenced, so its caller needs no #ifdef of its own. */
static inline void
testhook_pause(const char *step, void (*say)(const char *step))
{
	(void)step;
	(void)say;
}
#endif

#endif
