// SPDX-License-Identifier: MIT
// A strict pull reader for untrusted JSON: no recursion, no allocation.
#include <stddef.h>
#include <string.h>

#include "lib/config/json.h"

static int
jfail(struct json *j, struct kerr *e, const char *what)
{
	return kerr_set(e, "json", "byte %zu: %s", j->pos, what);
}

static void
skip_ws(struct json *j)
{
	while (j->pos < j->len) {
		char c = j->s[j->pos];
		if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
			break;
		j->pos++;
	}
}

static int
peek_byte(struct json *j)
{
	skip_ws(j);
	return j->pos < j->len ? (unsigned char)j->s[j->pos] : -1;
}

static int
hex4(const char *p, uint32_t *v)
{
	*v = 0;
	for (int i = 0; i < 4; i++) {
		char c = p[i];
		uint32_t d;
		if (c >= '0' && c <= '9')
			d = (uint32_t)(c - '0');
		else if (c >= 'a' && c <= 'f')
			d = (uint32_t)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			d = (uint32_t)(c - 'A' + 10);
		else
			return -1;
		*v = *v << 4 | d;
	}
	return 0;
}

/* Length of the valid UTF-8 sequence at p (n bytes left), 0 if invalid. */
static size_t
utf8_len(const unsigned char *p, size_t n)
{
	uint32_t cp;
	size_t len;

	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		len = 2, cp = p[0] & 0x1f;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		len = 3, cp = p[0] & 0x0f;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		len = 4, cp = p[0] & 0x07;
	else
		return 0;
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3f);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
	    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

static size_t
put_utf8(char *o, uint32_t cp)
{
	if (cp < 0x80) {
		o[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (char)(0xc0 | cp >> 6);
		o[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (char)(0xe0 | cp >> 12);
		o[1] = (char)(0x80 | (cp >> 6 & 0x3f));
		o[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	o[0] = (char)(0xf0 | cp >> 18);
	o[1] = (char)(0x80 | (cp >> 12 & 0x3f));
	o[2] = (char)(0x80 | (cp >> 6 & 0x3f));
	o[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/* One \uXXXX escape (with its low surrogate) at p; advances *pos. */
static int
unicode_escape(struct json *j, size_t *pos, uint32_t *cp, struct kerr *e)
{
	const char *p = j->s + *pos;
	uint32_t lo;

	if (j->len - *pos < 6 || hex4(p + 2, cp) < 0)
		return jfail(j, e, "bad \\u escape");
	*pos += 6;
	if (*cp >= 0xdc00 && *cp <= 0xdfff)
		return jfail(j, e, "lone low surrogate");
	if (*cp >= 0xd800 && *cp <= 0xdbff) {
		p += 6;
		if (j->len - *pos < 6 || p[0] != '\\' || p[1] != 'u' ||
		    hex4(p + 2, &lo) < 0 || lo < 0xdc00 || lo > 0xdfff)
			return jfail(j, e, "lone high surrogate");
		*pos += 6;
		*cp = 0x10000 + ((*cp - 0xd800) << 10) + (lo - 0xdc00);
	}
	if (*cp == 0)
		return jfail(j, e, "NUL in string");
	return 0;
}

static int
escape_char(char c, char *out)
{
	static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
	const char *p = c ? strchr(from, c) : NULL;

	if (!p)
		return -1;
	*out = to[p - from];
	return 0;
}

/*
 * Decodes the string whose opening quote is at *pos into buf (cap bytes,
 * NUL-ended; NULL = validate only); leaves *pos after the closing quote.
 */
static int
str_decode(struct json *j, size_t *pos, char *buf, size_t cap, size_t *lenp,
	   struct kerr *e)
{
	size_t n = 0, p = *pos + 1;
	char tmp[4];

	for (;;) {
		const char *src = tmp;
		size_t k;
		uint32_t cp;

		if (p >= j->len)
			return jfail(j, e, "unterminated string");
		unsigned char c = (unsigned char)j->s[p];
		if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
			/* plain ASCII: the common case, byte by byte */
			if (buf) {
				if (n + 1 >= cap)
					return jfail(j, e, "string too long");
				buf[n] = (char)c;
			}
			n++;
			p++;
			continue;
		}
		if (c == '"')
			break;
		if (c < 0x20)
			return jfail(j, e, "control character in string");
		if (c == '\\') {
			if (p + 1 >= j->len)
				return jfail(j, e, "unterminated string");
			if (j->s[p + 1] == 'u') {
				if (unicode_escape(j, &p, &cp, e) < 0)
					return -1;
				k = put_utf8(tmp, cp);
			} else {
				if (escape_char(j->s[p + 1], tmp) < 0)
					return jfail(j, e, "bad escape");
				k = 1;
				p += 2;
			}
		} else {
			k = utf8_len((const unsigned char *)j->s + p,
				     j->len - p);
			if (!k)
				return jfail(j, e, "invalid UTF-8");
			src = j->s + p;
			p += k;
		}
		if (buf) {
			if (n + k >= cap)
				return jfail(j, e, "string too long");
			memcpy(buf + n, src, k);
		}
		n += k;
	}
	if (buf)
		buf[n] = 0;
	if (lenp)
		*lenp = n;
	*pos = p + 1;
	return 0;
}

/* Scans a number; *isint = no fraction and no exponent. */
static int
scan_number(struct json *j, size_t *start, size_t *end, int *isint,
	    struct kerr *e)
{
	size_t p = j->pos;
	const char *s = j->s;

	*isint = 1;
	*start = p;
	if (p < j->len && s[p] == '-')
		p++;
	if (p >= j->len || s[p] < '0' || s[p] > '9')
		return jfail(j, e, "bad number");
	if (s[p] == '0')
		p++;
	else
		while (p < j->len && s[p] >= '0' && s[p] <= '9')
			p++;
	if (p < j->len && s[p] == '.') {
		*isint = 0;
		if (++p >= j->len || s[p] < '0' || s[p] > '9')
			return jfail(j, e, "bad number");
		while (p < j->len && s[p] >= '0' && s[p] <= '9')
			p++;
	}
	if (p < j->len && (s[p] == 'e' || s[p] == 'E')) {
		*isint = 0;
		p++;
		if (p < j->len && (s[p] == '+' || s[p] == '-'))
			p++;
		if (p >= j->len || s[p] < '0' || s[p] > '9')
			return jfail(j, e, "bad number");
		while (p < j->len && s[p] >= '0' && s[p] <= '9')
			p++;
	}
	*end = p;
	return 0;
}

/* Reads an integer: magnitude into *mag, sign into *neg. */
static int
read_int(struct json *j, uint64_t *mag, int *neg, struct kerr *e)
{
	size_t a, b;
	int isint;
	uint64_t v = 0;

	if (peek_byte(j) < 0)
		return jfail(j, e, "expected number");
	if (scan_number(j, &a, &b, &isint, e) < 0)
		return -1;
	if (!isint)
		return jfail(j, e, "expected an integer");
	*neg = j->s[a] == '-';
	for (size_t p = a + (size_t)*neg; p < b; p++) {
		unsigned d = (unsigned)(j->s[p] - '0');
		if (v > (UINT64_MAX - d) / 10)
			return jfail(j, e, "integer out of range");
		v = v * 10 + d;
	}
	*mag = v;
	j->pos = b;
	return 0;
}

static uint32_t
key_hash(uint32_t obj, const char *k)
{
	uint32_t h = 2166136261u ^ obj;

	for (; *k; k++)
		h = (h ^ (unsigned char)*k) * 16777619u;
	return h ^ h >> 15;
}

/* Records key (opening quote at off) of the innermost object. */
static int
key_record(struct json *j, size_t off, const char *key, struct kerr *e)
{
	uint32_t obj = j->stack[j->depth - 1].id + 1;
	uint32_t i = key_hash(obj, key) & j->mask;
	char other[JSON_KEY_MAX];

	/* the second test cannot hold (json_init's bound): it keeps a free
	 * slot for the probe below whatever the input */
	if (j->nkeys >= JSON_MAX_KEYS || j->nkeys >= j->mask)
		return jfail(j, e, "too many keys");
	for (; j->keys[i].obj; i = (i + 1) & j->mask) {
		size_t p = j->keys[i].off;
		if (j->keys[i].obj != obj)
			continue;
		if (str_decode(j, &p, other, sizeof(other), NULL, e) < 0)
			return -1;
		if (!strcmp(other, key))
			return jfail(j, e, "duplicate key");
	}
	j->keys[i].obj = obj;
	j->keys[i].off = (uint32_t)off;
	j->nkeys++;
	return 0;
}

static int
push(struct json *j, char kind, struct kerr *e)
{
	if (j->depth >= JSON_MAX_DEPTH)
		return jfail(j, e, "nesting too deep");
	j->stack[j->depth].kind = kind;
	j->stack[j->depth].first = 1;
	j->stack[j->depth].id = kind == '{' ? j->nobj++ : 0;
	j->depth++;
	j->pos++;
	return 0;
}

/* Member separator of the innermost container: 1 more, 0 closed. */
static int
next_member(struct json *j, char kind, struct kerr *e)
{
	char close = kind == '{' ? '}' : ']';
	int c;

	if (j->depth < 1 || j->stack[j->depth - 1].kind != kind)
		return jfail(j, e, "reader misuse");
	c = peek_byte(j);
	if (c == close) {
		j->pos++;
		j->depth--;
		return 0;
	}
	if (j->stack[j->depth - 1].first) {
		j->stack[j->depth - 1].first = 0;
		return 1;
	}
	if (c != ',')
		return jfail(j, e,
			     kind == '{' ? "expected ',' or '}'"
					 : "expected ',' or ']'");
	j->pos++;
	if (peek_byte(j) == close)
		return jfail(j, e, "trailing comma");
	return 1;
}

static int
literal(struct json *j, const char *word, struct kerr *e)
{
	size_t n = strlen(word);

	if (j->len - j->pos < n || memcmp(j->s + j->pos, word, n))
		return jfail(j, e, "bad literal");
	j->pos += n;
	return 0;
}

void
json_init(struct json *j, const char *s, size_t len)
{
	/* Each key owns at least 4 bytes of the input (its quotes, its
	 * colon, a byte of its value; only the last may lack the last two),
	 * so a document of len bytes has at most len / 4 + 1 keys: twice as
	 * many slots keep the table at most half full, and only those are
	 * cleared (a config of 1 KiB clears 8 KiB less than the whole
	 * table, on the stack of every caller). */
	uint32_t slots = 16;

	while (slots < JSON_HASH_SLOTS && slots < len / 2 + 2)
		slots *= 2;
	memset(j, 0, offsetof(struct json, keys));
	memset(j->keys, 0, slots * sizeof(j->keys[0]));
	j->mask = slots - 1;
	j->s = s;
	j->len = len;
}

enum json_type
json_peek(struct json *j)
{
	switch (peek_byte(j)) {
	case '{':
		return JSON_OBJECT;
	case '[':
		return JSON_ARRAY;
	case '"':
		return JSON_STRING;
	case 't':
	case 'f':
		return JSON_BOOL;
	case 'n':
		return JSON_NULL;
	case '-':
	case '0' ... '9':
		return JSON_NUMBER;
	default:
		return JSON_NONE;
	}
}

int
json_object_begin(struct json *j, struct kerr *e)
{
	if (peek_byte(j) != '{')
		return jfail(j, e, "expected object");
	return push(j, '{', e);
}

int
json_array_begin(struct json *j, struct kerr *e)
{
	if (peek_byte(j) != '[')
		return jfail(j, e, "expected array");
	return push(j, '[', e);
}

int
json_object_next(struct json *j, char *key, size_t cap, struct kerr *e)
{
	int r = next_member(j, '{', e);
	size_t off;

	if (r <= 0)
		return r;
	if (peek_byte(j) != '"')
		return jfail(j, e, "expected key");
	if (cap > JSON_KEY_MAX)
		cap = JSON_KEY_MAX; /* key_record() re-decodes into that */
	off = j->pos;
	if (str_decode(j, &j->pos, key, cap, NULL, e) < 0)
		return -1;
	if (key_record(j, off, key, e) < 0)
		return -1;
	if (peek_byte(j) != ':')
		return jfail(j, e, "expected ':'");
	j->pos++;
	return 1;
}

int
json_array_next(struct json *j, struct kerr *e)
{
	return next_member(j, '[', e);
}

int
json_string(struct json *j, char *buf, size_t cap, size_t *len, struct kerr *e)
{
	if (peek_byte(j) != '"')
		return jfail(j, e, "expected string");
	return str_decode(j, &j->pos, buf, cap, len, e);
}

int
json_u64(struct json *j, uint64_t *v, struct kerr *e)
{
	int neg;

	if (read_int(j, v, &neg, e) < 0)
		return -1;
	if (neg && *v)
		return jfail(j, e, "negative value");
	return 0;
}

int
json_i64(struct json *j, int64_t *v, struct kerr *e)
{
	uint64_t m;
	int neg;

	if (read_int(j, &m, &neg, e) < 0)
		return -1;
	if (m > (uint64_t)INT64_MAX + (uint64_t)neg)
		return jfail(j, e, "integer out of range");
	*v = neg ? (int64_t)(0 - m) : (int64_t)m;
	return 0;
}

int
json_bool(struct json *j, int *v, struct kerr *e)
{
	int c = peek_byte(j);

	*v = c == 't';
	if (c != 't' && c != 'f')
		return jfail(j, e, "expected true or false");
	return literal(j, *v ? "true" : "false", e);
}

int
json_null(struct json *j, struct kerr *e)
{
	if (peek_byte(j) != 'n')
		return jfail(j, e, "expected null");
	return literal(j, "null", e);
}

int
json_skip(struct json *j, struct kerr *e)
{
	int d0 = j->depth, r, isint, b;
	char key[JSON_KEY_MAX];
	size_t x, y;

	for (;;) {
		/* one value */
		switch (json_peek(j)) {
		case JSON_OBJECT:
			r = json_object_begin(j, e);
			break;
		case JSON_ARRAY:
			r = json_array_begin(j, e);
			break;
		case JSON_STRING:
			r = json_string(j, NULL, 0, NULL, e);
			break;
		case JSON_NUMBER:
			r = scan_number(j, &x, &y, &isint, e);
			j->pos = r < 0 ? j->pos : y;
			break;
		case JSON_BOOL:
			r = json_bool(j, &b, e);
			break;
		case JSON_NULL:
			r = json_null(j, e);
			break;
		default:
			r = jfail(j, e, "expected a value");
		}
		if (r < 0)
			return -1;
		/* close containers until one has another member */
		for (r = 0; j->depth > d0 && r == 0;) {
			if (j->stack[j->depth - 1].kind == '{')
				r = json_object_next(j, key, sizeof(key), e);
			else
				r = json_array_next(j, e);
			if (r < 0)
				return -1;
		}
		if (j->depth == d0)
			return 0;
	}
}

int
json_end(struct json *j, struct kerr *e)
{
	if (j->depth)
		return jfail(j, e, "unclosed container");
	if (peek_byte(j) >= 0)
		return jfail(j, e, "trailing data");
	return 0;
}
