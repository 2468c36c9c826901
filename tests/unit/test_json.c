// SPDX-License-Identifier: MIT
// Unit tests of the strict JSON reader: grammar, strings, numbers, limits.
#include <stdint.h>
#include <stdlib.h>

#include "lib/config/json.h"
#include "unit.h"

static struct json J;

/* Validates a whole document with json_skip: 0 ok, -1 refused. */
static int
valid(const char *s, size_t n, struct kerr *e)
{
	json_init(&J, s, n);
	if (json_skip(&J, e) < 0)
		return -1;
	return json_end(&J, e);
}

static int
ok(const char *s)
{
	struct kerr e = {0};
	return valid(s, strlen(s), &e) == 0;
}

/* Decodes a single string document into out. */
static int
str(const char *s, char *out, size_t cap)
{
	struct kerr e;
	json_init(&J, s, strlen(s));
	if (json_string(&J, out, cap, NULL, &e) < 0)
		return -1;
	return json_end(&J, &e);
}

static void
test_grammar(void)
{
	static const char *good[] = {
	    "{}",
	    "[]",
	    " {\"a\":1} ",
	    "[1,2,3]",
	    "{\"a\":[{},[],\"x\"]}",
	    "true",
	    "null",
	    "-0",
	    "1.5e-3",
	    "\"\"",
	    "[{\"a\":{\"b\":[]}}]",
	    "{\"a\":1,\"b\":{\"a\":2}}",
	    "0",
	    "[-1.0E+2]",
	};
	static const char *bad[] = {
	    "",
	    " ",
	    "{",
	    "[",
	    "{]",
	    "[}",
	    "{\"a\"}",
	    "{\"a\":}",
	    "{a:1}",
	    "[1,]",
	    "{\"a\":1,}",
	    "[1 2]",
	    "01",
	    "1.",
	    ".5",
	    "1e",
	    "+1",
	    "tru",
	    "nul",
	    "truex",
	    "[]]",
	    "{} {}",
	    "\"abc",
	    "'a'",
	    "\xef\xbb\xbf{}",
	    "{\"a\":1,\"a\":2}",
	    "[1,,2]",
	    "{,}",
	    "NaN",
	    "{\"a\":1 \"b\":2}",
	    "[\"a\"\"b\"]",
	    "--1",
	};
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		CHECK(ok(good[i]), "valid: %s", good[i]);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK(!ok(bad[i]), "refused: %s", bad[i]);
}

static void
test_strings(void)
{
	char b[64];

	CHECK(str("\"a\\\"b\\\\c\\/d\\n\\t\\r\\b\\f\"", b, sizeof(b)) == 0 &&
		  !strcmp(b, "a\"b\\c/d\n\t\r\b\f"),
	      "simple escapes");
	CHECK(str("\"\\u00e9\\u20AC\"", b, sizeof(b)) == 0 &&
		  !strcmp(b, "\xc3\xa9\xe2\x82\xac"),
	      "\\u to UTF-8");
	CHECK(str("\"\\ud83d\\ude00\"", b, sizeof(b)) == 0 &&
		  !strcmp(b, "\xf0\x9f\x98\x80"),
	      "surrogate pair");
	CHECK(str("\"\xf0\x9f\x98\x80 \xc3\xa9\"", b, sizeof(b)) == 0,
	      "raw UTF-8");
	CHECK(str("\"\\ud83d\"", b, sizeof(b)) < 0, "lone high surrogate");
	CHECK(str("\"\\ud83dx\"", b, sizeof(b)) < 0, "high then text");
	CHECK(str("\"\\ude00\"", b, sizeof(b)) < 0, "lone low surrogate");
	CHECK(str("\"\\ud83d\\u0041\"", b, sizeof(b)) < 0, "high then BMP");
	CHECK(str("\"\\u0000\"", b, sizeof(b)) < 0, "escaped NUL");
	CHECK(str("\"\\u12\"", b, sizeof(b)) < 0, "short \\u");
	CHECK(str("\"\\x41\"", b, sizeof(b)) < 0, "unknown escape");
	CHECK(str("\"a\tb\"", b, sizeof(b)) < 0, "raw tab");
	CHECK(str("\"a\nb\"", b, sizeof(b)) < 0, "raw newline");
	CHECK(str("\"\xc0\xaf\"", b, sizeof(b)) < 0, "overlong UTF-8");
	CHECK(str("\"\xed\xa0\x80\"", b, sizeof(b)) < 0, "UTF-8 surrogate");
	CHECK(str("\"\xf4\x90\x80\x80\"", b, sizeof(b)) < 0, "> U+10FFFF");
	CHECK(str("\"\xe2\x82\"", b, sizeof(b)) < 0, "truncated UTF-8");
	CHECK(str("\"\x80\"", b, sizeof(b)) < 0, "continuation byte");
	CHECK(str("\"abcd\"", b, 5) == 0 && !strcmp(b, "abcd"), "fits cap");
	CHECK(str("\"abcde\"", b, 5) < 0, "over cap");
	/* a NUL byte inside the input is a control character */
	{
		struct kerr e;
		CHECK(valid("\"a\0b\"", 5, &e) < 0, "raw NUL refused");
	}
}

static int
u64(const char *s, uint64_t *v)
{
	struct kerr e;
	json_init(&J, s, strlen(s));
	return json_u64(&J, v, &e) < 0 ? -1 : json_end(&J, &e);
}

static int
i64(const char *s, int64_t *v)
{
	struct kerr e;
	json_init(&J, s, strlen(s));
	return json_i64(&J, v, &e) < 0 ? -1 : json_end(&J, &e);
}

static void
test_numbers(void)
{
	uint64_t u;
	int64_t i;

	CHECK(u64("18446744073709551615", &u) == 0 && u == UINT64_MAX,
	      "u64 max");
	CHECK(u64("18446744073709551616", &u) < 0, "u64 overflow");
	CHECK(u64("99999999999999999999999", &u) < 0, "u64 long overflow");
	CHECK(u64("-1", &u) < 0, "u64 negative");
	CHECK(u64("-0", &u) == 0 && u == 0, "u64 -0");
	CHECK(u64("1.0", &u) < 0, "u64 fraction");
	CHECK(u64("1e3", &u) < 0, "u64 exponent");
	CHECK(u64("\"1\"", &u) < 0, "u64 string");
	CHECK(i64("9223372036854775807", &i) == 0 && i == INT64_MAX, "i64 max");
	CHECK(i64("-9223372036854775808", &i) == 0 && i == INT64_MIN,
	      "i64 min");
	CHECK(i64("9223372036854775808", &i) < 0, "i64 overflow");
	CHECK(i64("-9223372036854775809", &i) < 0, "i64 underflow");
	CHECK(i64("-42", &i) == 0 && i == -42, "i64 -42");
}

static void
test_walk(void)
{
	const char *doc = "{\"a\": [1, \"x\", true], \"b\": {\"c\": null}}";
	char key[32], s[8];
	struct kerr e;
	uint64_t v;
	int r, b;

	json_init(&J, doc, strlen(doc));
	r = json_object_begin(&J, &e) == 0 &&
	    json_object_next(&J, key, sizeof(key), &e) == 1 &&
	    !strcmp(key, "a") && json_array_begin(&J, &e) == 0 &&
	    json_array_next(&J, &e) == 1 && json_u64(&J, &v, &e) == 0 &&
	    v == 1 && json_array_next(&J, &e) == 1 &&
	    json_string(&J, s, sizeof(s), NULL, &e) == 0 && !strcmp(s, "x") &&
	    json_array_next(&J, &e) == 1 && json_bool(&J, &b, &e) == 0 && b &&
	    json_array_next(&J, &e) == 0 &&
	    json_object_next(&J, key, sizeof(key), &e) == 1 &&
	    !strcmp(key, "b") && json_peek(&J) == JSON_OBJECT &&
	    json_skip(&J, &e) == 0 &&
	    json_object_next(&J, key, sizeof(key), &e) == 0 &&
	    json_end(&J, &e) == 0;
	CHECK(r, "walk a document");

	/* keys are compared decoded: "a" and "\u0061" are the same key */
	CHECK(!ok("{\"a\":1,\"\\u0061\":2}"), "escaped duplicate key");
	CHECK(ok("{\"a\":{\"a\":1},\"b\":{\"a\":1}}"), "same key, two objects");
	json_init(&J, "{\"a\":1,\"a\":2}", 13);
	json_object_begin(&J, &e);
	json_object_next(&J, key, sizeof(key), &e);
	json_u64(&J, &v, &e);
	CHECK(json_object_next(&J, key, sizeof(key), &e) < 0 &&
		  strstr(e.detail, "duplicate") && !strcmp(e.check, "json"),
	      "duplicate key error: %s", e.detail);
}

static void
test_limits(void)
{
	char *deep = malloc(2 * JSON_MAX_DEPTH + 8);
	size_t n = 0;
	static char many[JSON_MAX_KEYS * 12 + 64];

	for (int i = 0; i < JSON_MAX_DEPTH; i++)
		deep[n++] = '[';
	for (int i = 0; i < JSON_MAX_DEPTH; i++)
		deep[n++] = ']';
	deep[n] = 0;
	CHECK(ok(deep), "depth %d ok", JSON_MAX_DEPTH);
	memmove(deep + 1, deep, n + 1);
	deep[0] = '[';
	deep[n + 1] = ']';
	deep[n + 2] = 0;
	CHECK(!ok(deep), "depth %d refused", JSON_MAX_DEPTH + 1);
	free(deep);

	/* JSON_MAX_KEYS keys fit, one more is refused */
	n = (size_t)sprintf(many, "{");
	for (int i = 0; i < JSON_MAX_KEYS; i++)
		n += (size_t)sprintf(many + n, "%s\"k%d\":0", i ? "," : "", i);
	strcpy(many + n, "}");
	CHECK(ok(many), "%d keys ok", JSON_MAX_KEYS);
	strcpy(many + n, ",\"x\":0}");
	CHECK(!ok(many), "%d keys refused", JSON_MAX_KEYS + 1);

	/* the key table is sized to the input: the densest keys (one per
	 * object, 7 bytes each) all fit, and a repeat is found among many */
	n = (size_t)sprintf(many, "[");
	for (int i = 0; i < JSON_MAX_KEYS; i++)
		n += (size_t)sprintf(many + n, "%s{\"\":0}", i ? "," : "");
	strcpy(many + n, "]");
	CHECK(ok(many), "%d one-key objects ok", JSON_MAX_KEYS);
	n = (size_t)sprintf(many, "{");
	for (int i = 0; i < 1000; i++)
		n += (size_t)sprintf(many + n, "%s\"k%d\":0", i ? "," : "", i);
	strcpy(many + n, ",\"k517\":1}");
	CHECK(!ok(many), "a repeat after 1000 keys refused");
	CHECK(ok("{\"a\":{\"b\":{\"c\":{\"d\":{}}}}}"),
	      "nested keys, short doc");
	CHECK(!ok("{\"\":{\"\":{\"\":{\"\""), "truncated nested keys refused");
}

int
main(void)
{
	test_grammar();
	test_strings();
	test_numbers();
	test_walk();
	test_limits();
	return unit_done("json");
}
