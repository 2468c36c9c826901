/* SPDX-License-Identifier: MIT */
/* A strict pull reader for untrusted JSON: no recursion, no allocation. */
#ifndef KEEL_JSON_H
#define KEEL_JSON_H

#include <stddef.h>
#include <stdint.h>

#include "lib/base/err.h"

/*
 * The caller walks the document in its own (schema-bounded) order:
 *
 *	json_init(j, text, len);
 *	json_object_begin(j, e);
 *	while ((r = json_object_next(j, key, sizeof key, e)) == 1)
 *		... read exactly one value for key ...
 *	if (r < 0) fail; json_end(j, e);
 *
 * After json_object_next() or json_array_next() returned 1 the caller
 * MUST read exactly one value (json_string, json_u64, json_skip, ...).
 * Errors fill e with check "json" and a detail naming the byte offset.
 * Refused: syntax errors, nesting over JSON_MAX_DEPTH, more than
 * JSON_MAX_KEYS object keys in one document, a repeated key in one object,
 * invalid UTF-8, control characters and NUL (also as \u0000) in strings,
 * lone surrogates, integers out of range, fractions or exponents where an
 * integer is read, a byte-order mark, anything after the top-level value.
 */

#define JSON_MAX_DEPTH 32    /* nested objects/arrays; config.json needs 6 */
#define JSON_MAX_KEYS 2048   /* object keys per document (duplicate check) */
#define JSON_KEY_MAX 256     /* decoded key bytes, NUL included */
#define JSON_HASH_SLOTS 4096 /* MUST be a power of two >= 2*JSON_MAX_KEYS */

enum json_type {
	JSON_NONE = 0, /* end of input or a byte no value starts with */
	JSON_NULL,
	JSON_BOOL,
	JSON_NUMBER,
	JSON_STRING,
	JSON_ARRAY,
	JSON_OBJECT,
};

struct json_key_slot {
	uint32_t obj; /* object id + 1; 0 = free slot */
	uint32_t off; /* offset of the key's opening quote */
};

struct json {
	const char *s;
	size_t len;
	size_t pos;
	int depth;
	struct {
		char kind;   /* '{' or '[' */
		char first;  /* no member read yet */
		uint32_t id; /* object id, for the duplicate-key table */
	} stack[JSON_MAX_DEPTH];
	uint32_t nobj;
	uint32_t nkeys;
	uint32_t mask; /* slots in use - 1: sized to the input (json_init) */
	struct json_key_slot keys[JSON_HASH_SLOTS];
};

void json_init(struct json *j, const char *s, size_t len);

/* Type of the next value (skips whitespace, consumes nothing else). */
enum json_type json_peek(struct json *j);

/* Consumes '{' / '['. */
int json_object_begin(struct json *j, struct kerr *e);
int json_array_begin(struct json *j, struct kerr *e);

/*
 * Next member of the innermost object: 1 = key decoded into key (cap
 * bytes, NUL-ended) and ':' consumed; 0 = '}' consumed; -1 = error.
 */
int json_object_next(struct json *j, char *key, size_t cap, struct kerr *e);

/* Next element of the innermost array: 1 = a value follows; 0 = ']'. */
int json_array_next(struct json *j, struct kerr *e);

/* A string value decoded into buf (cap bytes with the NUL); len may be
 * NULL. Longer strings are refused. buf may be NULL to validate only. */
int json_string(struct json *j, char *buf, size_t cap, size_t *len,
		struct kerr *e);

/* Integer values; a fraction, exponent or overflow is refused. */
int json_u64(struct json *j, uint64_t *v, struct kerr *e);
int json_i64(struct json *j, int64_t *v, struct kerr *e);

int json_bool(struct json *j, int *v, struct kerr *e);
int json_null(struct json *j, struct kerr *e);

/* Validates and consumes any one value (without recursion). */
int json_skip(struct json *j, struct kerr *e);

/* Only whitespace may remain. */
int json_end(struct json *j, struct kerr *e);

#endif
