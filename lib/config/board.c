// SPDX-License-Identifier: MIT
/* The board description parser: strict key=value lines, no heap. */
#include <string.h>

#include "lib/base/text.h"
#include "lib/base/kvfile.h"
#include "lib/config/board.h"

enum key_id {
	K_NAME,
	K_CONSOLE,
	K_PART_A,
	K_PART_B,
	K_PART_STATE,
	K_PART_ETC,
	K_PART_VAR,
	K_MODULES,
	K_VERIFY,
	K_VERIFY_COPY_MAX,
	K_WATCHDOG,
	K_WATCHDOG_DRIVER,
	K_WATCHDOG_TIMEOUT,
	K_DISK_WAIT,
	K_ON_FAILURE,
	K_ON_BAD_PERSIST,
	K_ON_APP_EXIT,
	K_ARCH,
	K_NET,
	K_NET_PORTS,
	K_ON_BLANK_STATE,
	K_ROLLBACK_COUNTER,
	K_CMDLINE,
	K_N
};

static const char *const key_names[K_N] = {
    [K_NAME] = "name",
    [K_CONSOLE] = "console",
    [K_PART_A] = "part.a",
    [K_PART_B] = "part.b",
    [K_PART_STATE] = "part.state",
    [K_PART_ETC] = "part.etc",
    [K_PART_VAR] = "part.var",
    [K_MODULES] = "modules",
    [K_VERIFY] = "verify",
    [K_VERIFY_COPY_MAX] = "verify.copy_max",
    [K_WATCHDOG] = "watchdog",
    [K_WATCHDOG_DRIVER] = "watchdog.driver",
    [K_WATCHDOG_TIMEOUT] = "watchdog.timeout",
    [K_DISK_WAIT] = "disk.wait_ms",
    [K_ON_FAILURE] = "on_failure",
    [K_ON_BAD_PERSIST] = "on_bad_persist",
    [K_ON_APP_EXIT] = "on_app_exit",
    [K_ARCH] = "arch",
    [K_NET] = "net",
    [K_NET_PORTS] = "net.unprivileged_port_start",
    [K_ON_BLANK_STATE] = "on_blank_state",
    [K_ROLLBACK_COUNTER] = "rollback.counter",
    [K_CMDLINE] = "cmdline",
};

/*
 * Keys that decide what is trusted: which disk and partitions, how a
 * slot is verified, the watchdog, the rollback floor, the ports the app
 * may take without a capability. The kernel command
 * line (which a bootloader prompt or environment may change) sets them
 * only where the board file's cmdline= names them; cmdline and arch never.
 */
#define SECURITY_KEYS                                                          \
	((1u << K_NAME) | (1u << K_PART_A) | (1u << K_PART_B) |                \
	 (1u << K_PART_STATE) | (1u << K_PART_ETC) | (1u << K_PART_VAR) |      \
	 (1u << K_VERIFY) | (1u << K_WATCHDOG) | (1u << K_WATCHDOG_DRIVER) |   \
	 (1u << K_WATCHDOG_TIMEOUT) | (1u << K_ON_BLANK_STATE) |               \
	 (1u << K_ROLLBACK_COUNTER) | (1u << K_CMDLINE) | (1u << K_ARCH) |     \
	 (1u << K_NET_PORTS))

static const char *const part_roles[BOARD_NPART] = {"a", "b", "state", "etc",
						    "var"};

#define SIZE_MAX_BYTES ((uint64_t)1 << 40) /* 1 TiB per partition */

static int
span_is(const char *s, size_t n, const char *lit)
{
	return strlen(lit) == n && !memcmp(s, lit, n);
}

/* Word characters of names: letters, digits and "._-" (plus extra). */
static int
word_ok(const char *s, size_t n, const char *extra)
{
	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '.' || c == '_' ||
		    c == '-' || (c && strchr(extra, c)))
			continue;
		return 0;
	}
	return 1;
}

static int
copy_word(char *dst, size_t cap, const char *s, size_t n, const char *extra,
	  const char *what, struct kerr *e)
{
	if (n == 0)
		return kerr_set(e, "board", "%s: empty", what);
	if (n >= cap)
		return kerr_set(e, "board", "%s: longer than %zu bytes", what,
				cap - 1);
	if (!word_ok(s, n, extra))
		return kerr_set(e, "board", "%s: bad character in '%.*s'", what,
				(int)n, s);
	memcpy(dst, s, n);
	dst[n] = 0;
	return 0;
}

static int
parse_u32(const char *s, size_t n, uint32_t max, uint32_t *out)
{
	uint64_t v;

	if (text_u64(s, n, &v) < 0 || v > max)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

/* "NUMBER[K|M|G]", binary units, a non-zero multiple of 4096. */
static int
parse_size(const char *s, size_t n, uint64_t *out, struct kerr *e)
{
	uint64_t v, mul = 1;
	size_t digits = n;

	if (n && (s[n - 1] == 'K' || s[n - 1] == 'M' || s[n - 1] == 'G')) {
		mul = s[n - 1] == 'K'	? 1 << 10
		      : s[n - 1] == 'M' ? 1 << 20
					: 1 << 30;
		digits--;
	}
	if (digits > 13 || text_u64(s, digits, &v) < 0)
		return kerr_set(e, "board", "bad size '%.*s'", (int)n, s);
	if (v > SIZE_MAX_BYTES / mul || v * mul == 0 || (v * mul) % 4096)
		return kerr_set(e, "board",
				"size '%.*s': not a multiple of 4096 in "
				"(0, 1T]",
				(int)n, s);
	*out = v * mul;
	return 0;
}

/* key "NAME SIZE", "NAME" (size unknown) or "/dev/PATH". */
static int
parse_part(struct board_part_desc *p, const char *key, const char *v, size_t n,
	   struct kerr *e)
{
	const char *sp = memchr(v, ' ', n);
	size_t nl = sp ? (size_t)(sp - v) : n;

	p->size = 0;
	if (nl && v[0] == '/') {
		if (sp)
			return kerr_set(e, "board",
					"%s: a device path takes no size", key);
		return copy_word(p->name, BOARD_PATH_MAX + 1, v, n, "/", key,
				 e);
	}
	if (copy_word(p->name, BOARD_PARTNAME_MAX + 1, v, nl, "", key, e))
		return -1;
	if (!sp)
		return 0;
	return parse_size(sp + 1, n - nl - 1, &p->size, e);
}

/* Space-separated module names, in load order. */
static int
parse_modules(struct board *b, const char *v, size_t n, struct kerr *e)
{
	size_t i = 0;

	b->nmod = 0;
	while (i < n) {
		size_t j = i;

		while (j < n && v[j] != ' ')
			j++;
		if (b->nmod == BOARD_MODULES_MAX)
			return kerr_set(e, "board", "more than %d modules",
					BOARD_MODULES_MAX);
		if (copy_word(b->mod[b->nmod], sizeof(b->mod[0]), v + i, j - i,
			      "", "module name", e))
			return -1;
		b->nmod++;
		i = j + 1;
		if (j + 1 == n)
			return kerr_set(e, "board", "modules: trailing space");
	}
	return 0;
}

static int
parse_failure(struct board *b, const char *v, size_t n, struct kerr *e)
{
	b->fail_delay = 0;
	if (span_is(v, n, "fallback"))
		b->on_failure = BOARD_FAIL_FALLBACK;
	else if (span_is(v, n, "halt"))
		b->on_failure = BOARD_FAIL_HALT;
	else if (n > 7 && !memcmp(v, "reboot:", 7) &&
		 !parse_u32(v + 7, n - 7, BOARD_DELAY_MAX, &b->fail_delay))
		b->on_failure = BOARD_FAIL_REBOOT;
	else
		return kerr_set(e, "board",
				"on_failure: '%.*s' is not fallback, halt "
				"or reboot:SECONDS",
				(int)n, v);
	return 0;
}

static int
parse_choice(uint32_t *out, const char *v, size_t n, const char *key,
	     const char *a, uint32_t va, const char *b, uint32_t vb,
	     struct kerr *e)
{
	if (span_is(v, n, a))
		*out = va;
	else if (span_is(v, n, b))
		*out = vb;
	else
		return kerr_set(e, "board", "%s: '%.*s' is not %s or %s", key,
				(int)n, v, a, b);
	return 0;
}

static unsigned
key_find(const char *key, size_t klen)
{
	unsigned k;

	for (k = 0; k < K_N; k++)
		if (span_is(key, klen, key_names[k]))
			break;
	return k;
}

/* cmdline=: space-separated security keys the command line may set. */
static int
parse_cmdline_keys(struct board *b, const char *v, size_t n, struct kerr *e)
{
	size_t i = 0;

	b->cmdline_ok = 0;
	while (i < n) {
		size_t j = i;
		unsigned k;

		while (j < n && v[j] != ' ')
			j++;
		k = key_find(v + i, j - i);
		if (k == K_N || k == K_CMDLINE || k == K_ARCH)
			return kerr_set(e, "board",
					"cmdline: '%.*s' is not a key the "
					"command line may set",
					(int)(j - i > 64 ? 64 : j - i), v + i);
		b->cmdline_ok |= 1u << k;
		i = j + 1;
		if (j + 1 == n)
			return kerr_set(e, "board", "cmdline: trailing space");
	}
	return 0;
}

/* rollback.counter=none | tpm2:0xHHHHHHHH (an NV index) | file:/PATH */
static int
parse_counter(struct board *b, const char *v, size_t n, struct kerr *e)
{
	uint64_t idx = 0;

	b->counter = BOARD_COUNTER_NONE;
	b->counter_index = 0;
	b->counter_path[0] = 0;
	if (span_is(v, n, "none"))
		return 0;
	if (n > 5 && !memcmp(v, "file:", 5) && v[5] == '/') {
		b->counter = BOARD_COUNTER_FILE;
		return copy_word(b->counter_path, sizeof(b->counter_path),
				 v + 5, n - 5, "/", "rollback.counter", e);
	}
	if (n == 15 && !memcmp(v, "tpm2:0x", 7)) {
		for (size_t i = 7; i < n; i++) {
			char c = v[i];
			unsigned d = c >= '0' && c <= '9' ? (unsigned)(c - '0')
				     : c >= 'a' && c <= 'f'
					 ? (unsigned)(c - 'a' + 10)
					 : 16;
			if (d == 16)
				break;
			idx = idx << 4 | d;
			if (i == n - 1 && (idx >> 24) == 0x01) {
				b->counter = BOARD_COUNTER_TPM2;
				b->counter_index = (uint32_t)idx;
				return 0;
			}
		}
	}
	return kerr_set(e, "board",
			"rollback.counter: '%.*s' is not none, tpm2:0x01xxxxxx "
			"(a TPM 2.0 NV index, lower-case hex) or file:/PATH",
			(int)(n > 64 ? 64 : n), v);
}

static int
set_value(struct board *b, unsigned k, const char *v, size_t n, struct kerr *e)
{
	switch (k) {
	case K_NAME:
		return copy_word(b->name, sizeof(b->name), v, n, "", "name", e);
	case K_CONSOLE:
		return copy_word(b->console, sizeof(b->console), v, n, ",",
				 "console", e);
	case K_MODULES:
		return parse_modules(b, v, n, e);
	case K_VERIFY:
		return parse_choice(&b->verify, v, n, "verify", "verity",
				    BOARD_VERIFY_VERITY, "full",
				    BOARD_VERIFY_FULL, e);
	case K_VERIFY_COPY_MAX: /* "0": half of the RAM, decided at boot */
		b->copy_max = 0;
		if (n == 1 && v[0] == '0')
			return 0;
		return parse_size(v, n, &b->copy_max, e) < 0
			   ? kerr_set(e, "board",
				      "verify.copy_max: '%.*s' is not 0 or a "
				      "size",
				      (int)n, v)
			   : 0;
	case K_WATCHDOG:
		b->watchdog[0] = 0;
		if (n == 0)
			return 0;
		if (v[0] != '/')
			return kerr_set(e, "board",
					"watchdog: not an absolute path");
		return copy_word(b->watchdog, sizeof(b->watchdog), v, n, "/",
				 "watchdog", e);
	case K_WATCHDOG_DRIVER:
		b->watchdog_driver[0] = 0;
		if (n == 0)
			return 0;
		return copy_word(b->watchdog_driver, sizeof(b->watchdog_driver),
				 v, n, "", "watchdog.driver", e);
	case K_WATCHDOG_TIMEOUT:
		if (parse_u32(v, n, BOARD_WDT_MAX, &b->watchdog_timeout) ||
		    (b->watchdog_timeout &&
		     b->watchdog_timeout < BOARD_WDT_MIN))
			return kerr_set(e, "board",
					"watchdog.timeout: '%.*s' is not 0 or "
					"%d..%d seconds",
					(int)n, v, BOARD_WDT_MIN,
					BOARD_WDT_MAX);
		return 0;
	case K_DISK_WAIT:
		if (parse_u32(v, n, BOARD_WAIT_MAX, &b->disk_wait_ms))
			return kerr_set(e, "board",
					"disk.wait_ms: '%.*s' is not 0..%d",
					(int)n, v, BOARD_WAIT_MAX);
		return 0;
	case K_ON_FAILURE:
		return parse_failure(b, v, n, e);
	case K_ON_BAD_PERSIST:
		return parse_choice(&b->on_bad_persist, v, n, "on_bad_persist",
				    "readonly", BOARD_PERSIST_READONLY, "tmpfs",
				    BOARD_PERSIST_TMPFS, e);
	case K_ON_APP_EXIT:
		return parse_choice(&b->on_app_exit, v, n, "on_app_exit",
				    "restart", BOARD_EXIT_RESTART, "poweroff",
				    BOARD_EXIT_POWEROFF, e);
	case K_ARCH:
		return parse_choice(&b->arch, v, n, "arch", "x86_64",
				    BOARD_ARCH_X86_64, "aarch64",
				    BOARD_ARCH_AARCH64, e);
	case K_NET:
		return parse_choice(&b->net, v, n, "net", "on", BOARD_NET_ON,
				    "off", BOARD_NET_OFF, e);
	case K_NET_PORTS:
		if (parse_u32(v, n, BOARD_PORTS_MAX, &b->port_start))
			return kerr_set(e, "board",
					"net.unprivileged_port_start: '%.*s' "
					"is not 0..%d",
					(int)n, v, BOARD_PORTS_MAX);
		return 0;
	case K_ON_BLANK_STATE:
		return parse_choice(&b->on_blank_state, v, n, "on_blank_state",
				    "rebuild", BOARD_BLANK_REBUILD, "halt",
				    BOARD_BLANK_HALT, e);
	case K_ROLLBACK_COUNTER:
		return parse_counter(b, v, n, e);
	case K_CMDLINE:
		return parse_cmdline_keys(b, v, n, e);
	default:
		return parse_part(&b->part[k - K_PART_A], key_names[k], v, n,
				  e);
	}
}

int
board_check(const struct board *b, struct kerr *e)
{
	if (!b->name[0])
		return kerr_set(e, "board", "no name= line");
	for (unsigned i = 0; i < BOARD_NPART; i++)
		for (unsigned j = i + 1; j < BOARD_NPART; j++)
			if (!strcmp(b->part[i].name, b->part[j].name))
				return kerr_set(e, "board",
						"part.%s and part.%s are both "
						"'%s'",
						part_roles[i], part_roles[j],
						b->part[i].name);
	return 0;
}

void
board_defaults(struct board *b)
{
	memset(b, 0, sizeof(*b));
	strcpy(b->console, "ttyS0");
	for (unsigned i = 0; i < BOARD_NPART; i++) {
		strcpy(b->part[i].name, "keel-");
		strcat(b->part[i].name, part_roles[i]);
	}
	b->verify = BOARD_VERIFY_VERITY;
	b->disk_wait_ms = 5000;
	b->on_failure = BOARD_FAIL_FALLBACK;
	b->on_bad_persist = BOARD_PERSIST_READONLY;
	b->on_app_exit = BOARD_EXIT_RESTART;
	b->on_blank_state = BOARD_BLANK_REBUILD;
	b->counter = BOARD_COUNTER_NONE;
}

int
board_set(struct board *b, const char *key, size_t klen, const char *val,
	  size_t vlen, int strict, struct kerr *e)
{
	unsigned k = key_find(key, klen);

	if (k == K_N)
		return kerr_set(e, "board", "unknown key '%.*s'",
				klen > 64 ? 64 : (int)klen, key);
	if (strict && (b->seen & (1u << k)))
		return kerr_set(e, "board", "%s: set twice", key_names[k]);
	if (memchr(val, 0, vlen))
		return kerr_set(e, "board", "%s: NUL in value", key_names[k]);
	if (set_value(b, k, val, vlen, e))
		return -1;
	b->seen |= 1u << k;
	return 0;
}

/* A line of the board file (the kernel command line is board_set's). */
static int
set_line(void *ctx, const char *key, size_t klen, const char *val, size_t vlen,
	 struct kerr *e)
{
	return board_set(ctx, key, klen, val, vlen, 1, e) ? -1 : 0;
}

int
board_parse(const char *buf, size_t len, struct board *b, struct kerr *e)
{
	board_defaults(b);
	if (kv_parse(buf, len, BOARD_FILE_MAX, BOARD_LINE_MAX, "board",
		     set_line, b, e) < 0)
		return -1;
	return board_check(b, e);
}

int
board_set_cmdline(struct board *b, const char *key, size_t klen,
		  const char *val, size_t vlen, struct kerr *e)
{
	unsigned k = key_find(key, klen);

	if (k < K_N && (SECURITY_KEYS & (1u << k)) &&
	    !(b->cmdline_ok & (1u << k)))
		return kerr_set(e, "board",
				"%s is a security key: the board file does "
				"not let the command line set it (cmdline=)",
				key_names[k]);
	return board_set(b, key, klen, val, vlen, 0, e);
}

const char *
board_part_role(unsigned part)
{
	return part < BOARD_NPART ? part_roles[part] : NULL;
}

int
board_modlist_next(const char **pos, const char *end, char *name, size_t cap,
		   struct kerr *e)
{
	const char *p = *pos, *nl;
	size_t n;

	while (p < end && *p == '\n')
		p++;
	if (p >= end) {
		*pos = end;
		return 0;
	}
	nl = memchr(p, '\n', (size_t)(end - p));
	n = (size_t)((nl ? nl : end) - p);
	*pos = nl ? nl + 1 : end;
	if (n < 4 || memcmp(p + n - 3, ".ko", 3))
		return kerr_set(e, "modules", "'%.*s' is not a .ko file name",
				n > 64 ? 64 : (int)n, p);
	if (n >= cap || n > BOARD_MODNAME_MAX + 3)
		return kerr_set(e, "modules", "module file name too long");
	if (!word_ok(p, n, ""))
		return kerr_set(e, "modules", "bad character in '%.*s'", (int)n,
				p);
	memcpy(name, p, n);
	name[n] = 0;
	return 1;
}
