// SPDX-License-Identifier: MIT
/* A printf-style formatter into a caller's buffer, with no stdio behind it. */
#include <limits.h>
#include <stdint.h>
#include <sys/types.h>

#include "lib/base/fmt.h"

enum { F_LEFT = 1, F_ZERO = 2, F_ALT = 4, F_PLUS = 8, F_SPACE = 16 };

struct out {
	char *buf;
	size_t cap;
	size_t n;
};

struct spec {
	int fl;
	int width;
	int prec; /* -1: none */
};

static void
put(struct out *o, char c)
{
	if (o->n + 1 < o->cap)
		o->buf[o->n] = c;
	o->n++;
}

static void
pad(struct out *o, char c, int k)
{
	while (k-- > 0)
		put(o, c);
}

static void
put_str(struct out *o, const char *s, const struct spec *sp)
{
	int len = 0;

	if (!s)
		s = "(null)";
	/* the precision first: "%.*s" may name an array with no NUL */
	while ((sp->prec < 0 || len < sp->prec) && s[len])
		len++;
	if (!(sp->fl & F_LEFT))
		pad(o, ' ', sp->width - len);
	for (int i = 0; i < len; i++)
		put(o, s[i]);
	if (sp->fl & F_LEFT)
		pad(o, ' ', sp->width - len);
}

/* One integer: sign or prefix, zeros up to the precision, then digits. */
static void
put_int(struct out *o, unsigned long long v, const char *pre, unsigned base,
	int upper, const struct spec *sp)
{
	const char *dig = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	char d[24]; /* 2^64 - 1 in octal is 22 digits */
	int nd = 0, np = 0, zeros, total;

	for (; v; v /= base)
		d[nd++] = dig[v % base];
	while (pre[np])
		np++;
	zeros = sp->prec > nd ? sp->prec - nd : 0;
	if (sp->prec < 0 && !nd)
		zeros = 1;
	if (base == 8 && (sp->fl & F_ALT) && !zeros)
		zeros = 1; /* %#o: the first digit is a 0 */
	total = np + zeros + nd;
	if ((sp->fl & (F_ZERO | F_LEFT)) == F_ZERO && sp->prec < 0 &&
	    sp->width > total) {
		zeros += sp->width - total;
		total = sp->width;
	}
	if (!(sp->fl & F_LEFT))
		pad(o, ' ', sp->width - total);
	for (int i = 0; i < np; i++)
		put(o, pre[i]);
	pad(o, '0', zeros);
	while (nd)
		put(o, d[--nd]);
	if (sp->fl & F_LEFT)
		pad(o, ' ', sp->width - total);
}

static const char *
parse_flags(const char *f, int *fl)
{
	for (;; f++) {
		switch (*f) {
		case '-':
			*fl |= F_LEFT;
			break;
		case '0':
			*fl |= F_ZERO;
			break;
		case '#':
			*fl |= F_ALT;
			break;
		case '+':
			*fl |= F_PLUS;
			break;
		case ' ':
			*fl |= F_SPACE;
			break;
		default:
			return f;
		}
	}
}

static const char *
parse_num(const char *f, int *v)
{
	*v = 0;
	while (*f >= '0' && *f <= '9' && *v < 100000)
		*v = *v * 10 + (*f++ - '0');
	return f;
}

/* The length modifier: 'H' hh, 'h', 'l', 'q' ll, 'z' t, 'j', 0 none. */
static const char *
parse_len(const char *f, char *len)
{
	*len = 0;
	if (*f == 'h' || *f == 'l') {
		*len = *f++;
		if (*f == *len)
			*len = *f++ == 'h' ? 'H' : 'q';
	} else if (*f == 'z' || *f == 't' || *f == 'j') {
		*len = *f == 't' ? 'z' : *f;
		f++;
	}
	return f;
}

/* An integer argument of length len, as the unsigned type of its size
 * (a signed one is read as its unsigned twin, the same bits); the
 * caller narrows it (hh, h) and reads its sign. size_t and ssize_t are
 * long and unsigned long (static_assert). */
static unsigned long long
arg_bits(va_list *ap, char len)
{
	_Static_assert(sizeof(size_t) == sizeof(unsigned long),
		       "fmt.c: size_t is an unsigned long");
	switch (len) {
	case 'l':
	case 'z':
		return va_arg(*ap, unsigned long);
	case 'q':
		return va_arg(*ap, unsigned long long);
	case 'j':
		return va_arg(*ap, uintmax_t);
	default:
		return va_arg(*ap, unsigned);
	}
}

static long long
arg_signed(va_list *ap, char len)
{
	unsigned long long b = arg_bits(ap, len);

	switch (len) {
	case 'H':
		return (signed char)b;
	case 'h':
		return (short)b;
	case 0:
		return (int)b;
	case 'l':
	case 'z':
		return (long)b;
	default:
		return (long long)b;
	}
}

static unsigned long long
arg_unsigned(va_list *ap, char len)
{
	unsigned long long b = arg_bits(ap, len);

	return len == 'H'   ? (unsigned char)b
	       : len == 'h' ? (unsigned short)b
			    : b;
}

/* One conversion after its '%'; the format past it, or NULL if unknown. */
static const char *
convert(struct out *o, const char *f, va_list *ap)
{
	struct spec sp = {0, 0, -1};
	char len;
	unsigned long long u;
	long long s;

	f = parse_flags(f, &sp.fl);
	if (*f == '*') {
		sp.width = va_arg(*ap, int), f++;
		if (sp.width < 0)
			sp.fl |= F_LEFT, sp.width = -sp.width;
	} else {
		f = parse_num(f, &sp.width);
	}
	if (*f == '.') {
		if (*++f == '*')
			sp.prec = va_arg(*ap, int), f++;
		else
			f = parse_num(f, &sp.prec);
	}
	f = parse_len(f, &len);
	switch (*f) {
	case '%':
		put(o, '%');
		break;
	case 'c':
		if (!(sp.fl & F_LEFT))
			pad(o, ' ', sp.width - 1);
		put(o, (char)va_arg(*ap, int));
		if (sp.fl & F_LEFT)
			pad(o, ' ', sp.width - 1);
		break;
	case 's':
		put_str(o, va_arg(*ap, const char *), &sp);
		break;
	case 'd':
	case 'i':
		s = arg_signed(ap, len);
		u = s < 0 ? 0 - (unsigned long long)s : (unsigned long long)s;
		put_int(o, u,
			s < 0		  ? "-"
			: sp.fl & F_PLUS  ? "+"
			: sp.fl & F_SPACE ? " "
					  : "",
			10, 0, &sp);
		break;
	case 'u':
	case 'o':
	case 'x':
	case 'X':
		u = arg_unsigned(ap, len);
		put_int(o, u,
			*f != 'o' && *f != 'u' && u && (sp.fl & F_ALT)
			    ? (*f == 'x' ? "0x" : "0X")
			    : "",
			*f == 'u'   ? 10
			: *f == 'o' ? 8
				    : 16,
			*f == 'X', &sp);
		break;
	default:
		return NULL;
	}
	return f + 1;
}

int
fmt_vsn(char *buf, size_t cap, const char *fmt, va_list ap)
{
	struct out o = {buf, cap, 0};
	va_list aq;

	va_copy(aq, ap);
	while (fmt && *fmt) {
		if (*fmt != '%')
			put(&o, *fmt++);
		else
			fmt = convert(&o, fmt + 1, &aq);
	}
	va_end(aq);
	if (cap)
		buf[o.n < cap ? o.n : cap - 1] = 0;
	return o.n > INT_MAX ? -1 : (int)o.n;
}

int
fmt_sn(char *buf, size_t cap, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = fmt_vsn(buf, cap, fmt, ap);
	va_end(ap);
	return n;
}
