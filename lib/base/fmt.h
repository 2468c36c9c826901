/* SPDX-License-Identifier: MIT */
/* snprintf's contract without stdio: the formatter of keel-init and lib/. */
#ifndef KEEL_FMT_H
#define KEEL_FMT_H

#include <stdarg.h>
#include <stddef.h>

/*
 * As snprintf: writes at most cap - 1 bytes and a NUL (none when cap is 0)
 * and returns the length the whole output would have had, so a result >=
 * cap means truncation. Conversions d i u o x X c s %, flags - 0 # + and
 * space, width and precision (a number or *), lengths hh h l ll z j t. No
 * floating point, no %n and no %p: the compiler refuses what it sees, and
 * an unknown conversion ends the output there.
 */
int fmt_vsn(char *buf, size_t cap, const char *fmt, va_list ap)
    __attribute__((format(__printf__, 3, 0)));
int fmt_sn(char *buf, size_t cap, const char *fmt, ...)
    __attribute__((format(__printf__, 3, 4)));

#endif
