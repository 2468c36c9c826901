/* SPDX-License-Identifier: MIT */
/* The board description: a strict key=value file read by keel-init and keel. */
#ifndef KEEL_BOARD_H
#define KEEL_BOARD_H

#include <stddef.h>
#include <stdint.h>

#include "lib/base/err.h"

/*
 * Format (docs/BOARD.md): one "key=value" per line, '#' starts a comment
 * line, blank lines are ignored. No spaces around '='; every key at most
 * once; unknown keys, bad values and over-long lines are refusals. The
 * parser uses no heap: everything lands in the caller's struct board.
 */
#define BOARD_FILE_MAX 8192   /* whole file */
#define BOARD_LINE_MAX 512    /* one line, without the newline */
#define BOARD_NAME_MAX 63     /* board name, console, watchdog driver */
#define BOARD_PATH_MAX 127    /* partition device, watchdog, counter file */
#define BOARD_PARTNAME_MAX 36 /* GPT names are 36 UTF-16 units; ASCII here */
#define BOARD_MODULES_MAX 32
#define BOARD_MODNAME_MAX 55  /* the kernel's MODULE_NAME_LEN - 1 */
#define BOARD_DELAY_MAX 86400 /* reboot:SECONDS */
#define BOARD_WAIT_MAX 600000 /* disk.wait_ms */
#define BOARD_PORTS_MAX 1024  /* net.unprivileged_port_start */
#define BOARD_WDT_MIN 2	      /* watchdog.timeout: pets come once a second */
#define BOARD_WDT_MAX 3600

/* Partition roles, in the order keel disk lays them out. */
enum board_part {
	BOARD_PART_A,
	BOARD_PART_B,
	BOARD_PART_STATE,
	BOARD_PART_ETC,
	BOARD_PART_VAR,
	BOARD_NPART
};

enum board_verify { BOARD_VERIFY_VERITY = 1, BOARD_VERIFY_FULL };
enum board_failure {
	BOARD_FAIL_FALLBACK = 1, /* try the other slot, then halt */
	BOARD_FAIL_REBOOT,	 /* reboot after fail_delay seconds */
	BOARD_FAIL_HALT,	 /* halt with a message on the console */
};
enum board_persist { BOARD_PERSIST_READONLY = 1, BOARD_PERSIST_TMPFS };
enum board_app_exit { BOARD_EXIT_RESTART = 1, BOARD_EXIT_POWEROFF };
/* The CPU: the numbers of the image header's architecture (FORMAT.md). */
enum board_arch { BOARD_ARCH_X86_64 = 1, BOARD_ARCH_AARCH64 };
/* The network agent: 0 (unset) = on, except in keel-init --test. */
enum board_net { BOARD_NET_ON = 1, BOARD_NET_OFF };
enum board_blank { BOARD_BLANK_REBUILD = 1, BOARD_BLANK_HALT };
enum board_counter {
	BOARD_COUNTER_NONE = 1,
	BOARD_COUNTER_TPM2, /* a TPM 2.0 NV counter index */
	BOARD_COUNTER_FILE, /* a file holding a number: for tests */
};

struct board_part_desc {
	/* A GPT partition name (BOARD_PARTNAME_MAX bytes at most), or a
	 * device path (BOARD_PATH_MAX) when it starts with '/'. */
	char name[BOARD_PATH_MAX + 1];
	uint64_t size; /* bytes, a multiple of 4096; 0 when name is a path */
};

struct board {
	char name[BOARD_NAME_MAX + 1];
	char console[BOARD_NAME_MAX + 1];
	struct board_part_desc part[BOARD_NPART];
	unsigned nmod;
	char mod[BOARD_MODULES_MAX][BOARD_MODNAME_MAX + 1];
	uint32_t verify;   /* enum board_verify */
	uint64_t copy_max; /* verify=full's RAM copy: bytes; 0 = half the RAM */
	char watchdog[BOARD_PATH_MAX + 1]; /* "" = none */
	char watchdog_driver[BOARD_NAME_MAX + 1];
	uint32_t watchdog_timeout; /* seconds; 0 = keel-init's default */
	uint32_t disk_wait_ms;
	uint32_t on_failure;	 /* enum board_failure */
	uint32_t fail_delay;	 /* seconds, for BOARD_FAIL_REBOOT */
	uint32_t on_bad_persist; /* enum board_persist */
	uint32_t on_app_exit;	 /* enum board_app_exit */
	uint32_t arch;		 /* enum board_arch; 0: not named */
	uint32_t on_blank_state; /* enum board_blank */
	uint32_t counter;	 /* enum board_counter: rollback.counter */
	uint32_t counter_index;	 /* TPM 2.0 NV index */
	char counter_path[BOARD_PATH_MAX + 1];
	uint32_t cmdline_ok; /* security keys the command line may set */
	uint32_t net;	     /* enum board_net, 0 unset */
	uint32_t port_start; /* the device's first port any process may bind */
	uint32_t seen;	     /* internal: keys already set */
};

/* Fills b with the defaults every key falls back to (docs/BOARD.md). */
void board_defaults(struct board *b);

/*
 * Sets one key from its text value (also how keel-init applies keel.KEY=
 * words of the kernel command line). Refuses unknown keys and bad values;
 * refuses a key already set since the last board_defaults() when strict.
 * 0 or -1.
 */
int board_set(struct board *b, const char *key, size_t klen, const char *val,
	      size_t vlen, int strict, struct kerr *e);

/*
 * A keel.KEY=VALUE word of the kernel command line: board_set (not
 * strict), except that a security key (name, part.*, verify, watchdog,
 * watchdog.driver, watchdog.timeout, on_blank_state, rollback.counter,
 * cmdline) is refused unless the board file's cmdline= names it. 0 or -1.
 */
int board_set_cmdline(struct board *b, const char *key, size_t klen,
		      const char *val, size_t vlen, struct kerr *e);

/*
 * Parses a whole board file (defaults first, then every line, strictly)
 * and checks the result (board_check). 0 or -1; on failure e's detail
 * names the line.
 */
int board_parse(const char *buf, size_t len, struct board *b, struct kerr *e);

/* The whole board's rules: a name, five distinct partition names. keel-init
 * runs it again after the command line's overrides. 0 or -1. */
int board_check(const struct board *b, struct kerr *e);

/* The role's key suffix ("a", "b", "state", "etc", "var") or NULL. */
const char *board_part_role(unsigned part);

/*
 * The load list (lib/modules/load.list in the initramfs): one module file
 * name ("dm-mod.ko") per line, in load order. Returns the next name in
 * name (cap bytes, NUL-terminated) and advances *pos: 1 for a name, 0 at
 * the end, -1 for a bad line (a '/', a name not ending in ".ko", too long).
 */
int board_modlist_next(const char **pos, const char *end, char *name,
		       size_t cap, struct kerr *e);

#endif
