/* SPDX-License-Identifier: MIT */
/* Shared helpers of the config.json parser (lib/oci*.c only). */
#ifndef KEEL_OCI_PRIV_H
#define KEEL_OCI_PRIV_H

#include "lib/config/json.h"
#include "lib/config/names.h"
#include "lib/config/oci.h"

#define OCI_JPATH_MAX 160 /* JSON path kept for messages */

struct oci_ctx {
	struct json j; /* first: oci_parse_abi clears what follows it */
	struct oci_config *c;
	unsigned flags; /* OCI_PARSE_* */
	struct kerr *e;
	struct kerr je; /* error of the json layer */
	char path[OCI_JPATH_MAX];
	size_t plen;
	unsigned char seen_sys[512 / 8]; /* syscalls named in seccomp rules */
	int have_ns_list;	   /* namespace types seen, bit per type */
	uint32_t sc_default_errno; /* seccomp.defaultErrnoRet, or ~0 */
};

/* An object member handler: reads exactly one value. */
struct oci_field {
	const char *name;
	int (*fn)(struct oci_ctx *x);
};

/* Appends ".key" (just "key" at the top) or "[i]" to the path; returns
 * the length to restore with oci_path_pop. */
size_t oci_path_key(struct oci_ctx *x, const char *key);
size_t oci_path_idx(struct oci_ctx *x, int i);
void oci_path_pop(struct oci_ctx *x, size_t len);

/* Refusal naming the current path: "path: reason". Returns -1. */
int oci_fail(struct oci_ctx *x, const char *fmt, ...)
    __attribute__((format(__printf__, 2, 3)));
/* Refusal from the json layer (x->je). */
int oci_jfail(struct oci_ctx *x);

/* Walks an object, dispatching known keys; unknown ones are refused;
 * a null value counts as absent. */
int oci_object(struct oci_ctx *x, const struct oci_field *f);
/* Walks an array, calling fn for each element (path gets "[i]"). */
int oci_array(struct oci_ctx *x, int (*fn)(struct oci_ctx *x, int i));

/* Value readers (refusals name the path). */
int oci_str(struct oci_ctx *x, char **out); /* into the pool */
int oci_strbuf(struct oci_ctx *x, char *buf, size_t cap);
int oci_u32(struct oci_ctx *x, uint32_t *v);
int oci_u64(struct oci_ctx *x, uint64_t *v);
int oci_i64(struct oci_ctx *x, int64_t *v);
int oci_bool(struct oci_ctx *x, int *v);
char *oci_pool_dup(struct oci_ctx *x, const char *s, size_t n);

/* Absolute, no ".." component, no empty name: 0 or a refusal. */
int oci_check_path(struct oci_ctx *x, const char *p);

/* Sections in other files. */
int oci_parse_mounts(struct oci_ctx *x);
int oci_parse_linux(struct oci_ctx *x);
int oci_parse_annotations(struct oci_ctx *x);
int oci_parse_capabilities(struct oci_ctx *x);
int oci_parse_resources(struct oci_ctx *x);
int oci_parse_syscalls(struct oci_ctx *x);
/* Accepts only [] (an empty list means nothing to implement). */
int oci_empty_array(struct oci_ctx *x);
int oci_signal_number(const char *name);

#endif
