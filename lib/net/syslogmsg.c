// SPDX-License-Identifier: MIT
/* Remote syslog: one line of keel's log as one RFC 5424 message. */
#include <string.h>
#include <time.h>

#include "lib/net/syslogmsg.h"

#define FAC_KERN 0
#define FAC_USER 1
#define FAC_DAEMON 3
#define SEV_CRIT 2
#define SEV_INFO 6

static int
digit(char c)
{
	return c >= '0' && c <= '9';
}

int
syslogmsg_parse(const char *line, size_t n, struct syslogmsg_line *l)
{
	size_t i = 1, k = 0;
	uint64_t s = 0, us = 0;

	memset(l, 0, sizeof(*l));
	if (n < 1 || line[0] != '[')
		return -1;
	while (i < n && line[i] == ' ')
		i++;
	for (k = 0; i < n && digit(line[i]) && k < 12; i++, k++)
		s = s * 10 + (uint64_t)(line[i] - '0');
	if (!k || i >= n || line[i++] != '.')
		return -1;
	for (k = 0; i < n && digit(line[i]) && k < 6; i++, k++)
		us = us * 10 + (uint64_t)(line[i] - '0');
	if (k != 6 || n - i < 2 || line[i] != ']' || line[i + 1] != ' ')
		return -1;
	i += 2;
	for (k = 0; i < n && k < SYSLOGMSG_SRC_MAX &&
		    ((line[i] >= 'a' && line[i] <= 'z') || digit(line[i]) ||
		     line[i] == '-');
	     i++, k++)
		l->src[k] = line[i];
	if (!k || n - i < 2 || line[i] != ':' || line[i + 1] != ' ')
		return -1;
	l->src[k] = 0;
	l->us = s * 1000000 + us;
	l->text = line + i + 2;
	l->len = n - i - 2;
	return 0;
}

/* Appends n bytes of s (control bytes as '?'); what does not fit is cut. */
static void
put(char *out, size_t cap, size_t *o, const char *s, size_t n)
{
	for (size_t i = 0; i < n && *o < cap; i++) {
		unsigned char c = (unsigned char)s[i];
		out[(*o)++] = c < 0x20 || c == 0x7f ? '?' : (char)c;
	}
}

static void
put_str(char *out, size_t cap, size_t *o, const char *s)
{
	put(out, cap, o, s, strlen(s));
}

/* Digits of v, at least width of them, zero padded. */
static void
put_num(char *out, size_t cap, size_t *o, uint64_t v, int width)
{
	char d[24];
	int n = 0;

	do {
		d[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v && n < (int)sizeof(d));
	while (n < width && n < (int)sizeof(d))
		d[n++] = '0';
	while (n > 0 && *o < cap)
		out[(*o)++] = d[--n];
}

/* RFC 5424 HOSTNAME: 1..255 bytes of PRINTUSASCII (33..126). */
static int
host_ok(const char *h)
{
	size_t n = strlen(h);

	if (!n || n > 255)
		return 0;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)h[i] < 33 || (unsigned char)h[i] > 126)
			return 0;
	return 1;
}

static void
put_time(char *out, size_t cap, size_t *o, int64_t wall_us)
{
	time_t t = (time_t)(wall_us / 1000000);
	struct tm tm;

	if (wall_us < 0 || !gmtime_r(&t, &tm) || tm.tm_year + 1900 > 9999) {
		put_str(out, cap, o, "-");
		return;
	}
	put_num(out, cap, o, (uint64_t)tm.tm_year + 1900, 4);
	put_str(out, cap, o, "-");
	put_num(out, cap, o, (uint64_t)tm.tm_mon + 1, 2);
	put_str(out, cap, o, "-");
	put_num(out, cap, o, (uint64_t)tm.tm_mday, 2);
	put_str(out, cap, o, "T");
	put_num(out, cap, o, (uint64_t)tm.tm_hour, 2);
	put_str(out, cap, o, ":");
	put_num(out, cap, o, (uint64_t)tm.tm_min, 2);
	put_str(out, cap, o, ":");
	put_num(out, cap, o, (uint64_t)tm.tm_sec, 2);
	put_str(out, cap, o, ".");
	put_num(out, cap, o, (uint64_t)(wall_us % 1000000), 6);
	put_str(out, cap, o, "Z");
}

size_t
syslogmsg_format(char *out, size_t cap, const struct syslogmsg_line *l,
		 int64_t wall_us, const char *host)
{
	unsigned fac = FAC_DAEMON, sev = SEV_INFO;
	size_t o = 0;

	if (cap > SYSLOGMSG_MAX)
		cap = SYSLOGMSG_MAX;
	if (!strcmp(l->src, "kernel"))
		fac = FAC_KERN;
	else if (!strcmp(l->src, "app"))
		fac = FAC_USER;
	else if (!strcmp(l->src, "keel") && l->len >= 6 &&
		 !memcmp(l->text, "FATAL:", 6))
		sev = SEV_CRIT;
	put_str(out, cap, &o, "<");
	put_num(out, cap, &o, fac * 8 + sev, 1);
	put_str(out, cap, &o, ">1 ");
	put_time(out, cap, &o, wall_us);
	put_str(out, cap, &o, " ");
	put_str(out, cap, &o, host && host_ok(host) ? host : "-");
	put_str(out, cap, &o, " ");
	put_str(out, cap, &o, l->src[0] ? l->src : "-");
	put_str(out, cap, &o, " - - - ");
	put(out, cap, &o, l->text, l->len);
	return o;
}
