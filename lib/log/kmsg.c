// SPDX-License-Identifier: MIT
/* Parses the records /dev/kmsg hands out. */
#include <string.h>

#include "lib/base/text.h"
#include "lib/log/kmsg.h"

/* The decimal field up to the next byte stop; advances *p. 0 or -1. */
static int
field(const char **p, const char *end, char stop, uint64_t *v)
{
	const char *q = *p;

	while (q < end && *q != stop && *q != ',' && *q != ';')
		q++;
	if (q == end || text_u64(*p, (size_t)(q - *p), v) < 0)
		return -1;
	*p = q;
	return 0;
}

int
kmsg_parse(const char *buf, size_t n, struct kmsg_rec *r)
{
	const char *p = buf, *end = buf + n, *semi, *nl;
	uint64_t pri;

	memset(r, 0, sizeof(*r));
	semi = memchr(buf, ';', n);
	if (!semi)
		return -1;
	if (field(&p, semi, ',', &pri) < 0 || *p != ',' || pri > 1023)
		return -1;
	p++;
	if (field(&p, semi, ',', &r->seq) < 0 || *p != ',')
		return -1;
	p++;
	if (field(&p, semi, ',', &r->ts_us) < 0)
		return -1;
	/* FLAGS and any later fields: not needed. */
	r->facility = (unsigned)(pri >> 3);
	r->level = (unsigned)(pri & 7);
	r->text = semi + 1;
	nl = memchr(r->text, '\n', (size_t)(end - r->text));
	r->len = (size_t)((nl ? nl : end) - r->text);
	return 0;
}
