// SPDX-License-Identifier: MIT
/* keel-init has no heap: libc's allocator is replaced by one that refuses. */
#include <errno.h>
#include <stddef.h>
#include <unistd.h>

/*
 * PID 1 must not allocate after start (tables sized once, buffers
 * owned by the caller). Defining the allocator here keeps libc's out of the
 * binary altogether, so the rule is enforced by construction: any call
 * fails with ENOMEM and says so on the console, where the tests look for
 * it. (The installer child's lz4 decoder has its own arena allocator.)
 */
static void
refuse(void)
{
	static const char msg[] =
	    "keel: BUG: heap allocation refused in keel-init\n";

	(void)!write(2, msg, sizeof(msg) - 1);
	errno = ENOMEM;
}

void *
malloc(size_t n)
{
	(void)n;
	refuse();
	return NULL;
}

void *
calloc(size_t n, size_t m)
{
	(void)n;
	(void)m;
	refuse();
	return NULL;
}

void *
realloc(void *p, size_t n)
{
	(void)p;
	(void)n;
	refuse();
	return NULL;
}

void
free(void *p)
{
	(void)p;
}
