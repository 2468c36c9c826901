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
 * when the FIFO cannot be opened, it returns at once. With
 * KEEL_TEST_PAUSE_STEP=WORDS too, only a step whose name holds WORDS
 * stops (the others return at once): a test that wants one pause of
 * several cannot then hand its go to a pause that came just before it.
 */
#ifdef KEEL_TEST_HOOKS
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

/* 1 if s holds w (no <string.h>: init/ poisons some of its names) */
static inline int
testhook_holds(const char *s, const char *w)
{
	for (;; s++) {
		const char *a = s, *b = w;

		while (*b && *a == *b)
			a++, b++;
		if (!*b)
			return 1;
		if (!*s)
			return 0;
	}
}

static inline void
testhook_pause(const char *step, void (*say)(const char *step))
{
	const char *fifo = getenv("KEEL_TEST_PAUSE");
	const char *only = getenv("KEEL_TEST_PAUSE_STEP");
	char c;
	int fd;

	if (!fifo || (only && !testhook_holds(step, only)))
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
