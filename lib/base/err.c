// SPDX-License-Identifier: MIT
/* Fills typed errors; the only formatting lib/ does. */
#include <stdarg.h>
#include <stdio.h>

#include "lib/base/err.h"

int
kerr_set(struct kerr *e, const char *check, const char *fmt, ...)
{
	va_list ap;

	if (!e)
		return -1;
	e->check = check;
	va_start(ap, fmt);
	vsnprintf(e->detail, sizeof(e->detail), fmt, ap);
	va_end(ap);
	return -1;
}
