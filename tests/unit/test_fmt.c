// SPDX-License-Identifier: MIT
/* fmt_sn against libc's snprintf: every conversion keel uses, all caps. */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "lib/base/err.h"
#include "lib/base/fmt.h"
#include "tests/unit/unit.h"

/* Both formatters, at every cap from 0 to past the whole output. */
static void same(int line, const char *fmt, ...)
    __attribute__((format(__printf__, 2, 3)));
static void
same(int line, const char *fmt, ...)
{
	char want[512], got[512];
	va_list ap, aq;
	int nw, ng;

	va_start(ap, fmt);
	va_copy(aq, ap);
	nw = vsnprintf(want, sizeof(want), fmt, ap);
	ng = fmt_vsn(got, sizeof(got), fmt, aq);
	va_end(aq);
	va_end(ap);
	CHECK(nw == ng && !strcmp(want, got),
	      "line %d \"%s\": \"%s\" (%d) != \"%s\" (%d)", line, fmt, got, ng,
	      want, nw);
	for (size_t cap = 0; cap < (size_t)nw + 2 && cap < sizeof(got); cap++) {
		memset(got, 'Z', sizeof(got));
		va_start(ap, fmt);
		ng = fmt_vsn(got, cap, fmt, ap);
		va_end(ap);
		CHECK(ng == nw, "line %d cap %zu: %d", line, cap, ng);
		if (cap) {
			CHECK(!memcmp(got, want, cap - 1) && !got[cap - 1],
			      "line %d cap %zu: \"%s\"", line, cap, got);
		}
		CHECK(got[cap] == 'Z', "line %d cap %zu: wrote past", line,
		      cap);
	}
}
#define SAME(...) same(__LINE__, __VA_ARGS__)

/* Each integer conversion with flags, width, precision and edge values. */
static void
grid(void)
{
	static const char *const flags[] = {"",	 "-",  "0",  "#",  "+",
					    " ", "-0", "#0", "+0", "- "};
	static const char *const widths[] = {"", "1", "5", "12", "25"};
	static const char *const precs[] = {"", ".", ".0", ".1", ".4", ".22"};
	static const long long sv[] = {
	    0, 1, -1, 42, -42, 2147483647, LLONG_MAX, LLONG_MIN, 100000};
	static const char conv[] = "diuoxX";
	char f[32];

	for (size_t a = 0; a < sizeof(flags) / sizeof(flags[0]); a++)
		for (size_t w = 0; w < sizeof(widths) / sizeof(widths[0]); w++)
			for (size_t p = 0; p < sizeof(precs) / sizeof(precs[0]);
			     p++)
				for (size_t c = 0; c < sizeof(conv) - 1; c++)
					for (size_t v = 0;
					     v < sizeof(sv) / sizeof(sv[0]);
					     v++) {
						snprintf(f, sizeof(f),
							 "[%%%s%s%sll%c]",
							 flags[a], widths[w],
							 precs[p], conv[c]);
						SAME(f, sv[v]);
						f[strlen(f) - 4] = conv[c];
						f[strlen(f) - 3] = ']';
						f[strlen(f) - 2] = 0;
						SAME(f, (int)sv[v]);
					}
}

int
main(void)
{
	char buf[8], f[8];

	/* The conversions of keel-init's and lib/'s format strings. */
	SAME("%s: %s", "footer", "bad magic");
	SAME("%.*s|%.*s", 3, "abcdef", 0, "x");
	SAME("%.96s/upper %.60s %.32s", "live", "a long enough name", "");
	SAME("%llu %llu", 0ULL, ULLONG_MAX);
	SAME("%u %u %d %d %d", 0u, UINT_MAX, INT_MIN, INT_MAX, -7);
	SAME("%zu %zd %zd", SIZE_MAX, (ssize_t)-3, (ssize_t)SSIZE_MAX);
	SAME("%lld %lld", LLONG_MIN, LLONG_MAX);
	SAME("%lu %ld %lx", ULONG_MAX, LONG_MIN, 0xdeadbeefUL);
	SAME("%x %08x %02x %04x %#x %o", 0xabcu, 0x1234u, 5u, 0xffffu, 255u,
	     0755u);
	SAME("<6>[+%llu.%06llus] keel: ", 12ULL, 345ULL);
	SAME("[%5llu.%06llu] %s: %.*s\n", 3ULL, 7ULL, "app", 4, "hello!");
	SAME("%04ld-%02d-%02ld %02u:%02u:%02u", 2026L, 11, 30L, 7u, 5u, 9u);
	SAME("%c%c%c", 'a', '-', 'z');
	SAME("100%% %s", "done");
	SAME("%s", "");
	SAME("%5s|%-5s|%.2s|%-6.3s|", "ab", "ab", "abc", "abcdef");
	SAME("%*d|%-*d|%.*d|%*s", 6, 42, 6, 42, 4, 7, -4, "x");
	SAME("%hhu %hhd %hu %hd", (unsigned char)200, (signed char)-100,
	     (unsigned short)60000, (short)-30000);
	SAME("%jd %ju %td", INTMAX_MIN, UINTMAX_MAX, (ptrdiff_t)-9);
	SAME("%" PRIu64 " %" PRId64, UINT64_MAX, INT64_MIN);
	grid();

	/* "%.*s" reads no further than its precision: an array with no
	 * NUL, ending where the heap block does (ASan's redzone after it;
	 * board_modlist_next names a file's bytes this way). */
	{
		char *raw = malloc(3);

		CHECK(raw != NULL, "malloc");
		if (raw) {
			memcpy(raw, "abc", 3);
			CHECK(fmt_sn(buf, sizeof(buf), "%.*s|%.2s", 3, raw,
				     raw) == 6 &&
				  !strcmp(buf, "abc|ab"),
			      "%%.*s of an array with no NUL");
			free(raw);
		}
	}

	/* The NUL that %c can write is counted and stored, like libc's. */
	CHECK(fmt_sn(buf, sizeof(buf), "a%cb", 0) == 3 && buf[2] == 'b',
	      "%%c of NUL");
	/* An unknown conversion ends the output (the compiler refuses one
	 * written in the source: this one is built at run time). */
	snprintf(f, sizeof(f), "%%s%%%c", 'q');
	CHECK(fmt_sn(buf, sizeof(buf), f, "ab") == 2 && !strcmp(buf, "ab"),
	      "unknown conversion");

	/* The errno reasons: the first and last of the table line up. */
	CHECK(!strcmp(kerr_strerror(EPERM), "Operation not permitted"),
	      "EPERM");
	CHECK(!strcmp(kerr_strerror(ENOENT), "No such file or directory"),
	      "ENOENT");
	CHECK(!strcmp(kerr_strerror(ENOSPC), "No space left on device"),
	      "ENOSPC");
	CHECK(!strcmp(kerr_strerror(EOPNOTSUPP), "Not supported"),
	      "EOPNOTSUPP");
	CHECK(
	    !strcmp(kerr_strerror(EKEYREJECTED), "Key was rejected by service"),
	    "EKEYREJECTED");
	CHECK(!strcmp(kerr_strerror(0), "errno 0"), "0");
	CHECK(!strcmp(kerr_strerror(4095), "errno 4095"), "4095");
	CHECK(!strcmp(kerr_strerror(-5), "errno -5"), "-5");
	return unit_done("fmt");
}
