// SPDX-License-Identifier: MIT
/* Board file parser: the shipped board, every key, and strict refusals. */
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include "lib/config/board.h"
#include "tests/unit/unit.h"

static struct board b;
static struct kerr e;

static int
parse(const char *text)
{
	memset(&e, 0, sizeof(e));
	return board_parse(text, strlen(text), &b, &e);
}

/* Each refused text must fail with a detail containing want. */
static void
refused(const char *text, const char *want)
{
	int rc = parse(text);

	CHECK(rc == -1, "accepted: %s", text);
	CHECK(rc == 0 || strstr(e.detail, want), "'%s': detail '%s' lacks '%s'",
	      text, e.detail, want);
}

static void
test_shipped_board(void)
{
	char buf[BOARD_FILE_MAX + 1];
	int fd = open("board/qemu-x86_64/board.conf", O_RDONLY);
	ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof(buf));

	if (fd >= 0)
		close(fd);
	CHECK(n > 0, "cannot read board/qemu-x86_64/board.conf (run from top)");
	if (n <= 0)
		return;
	CHECK(board_parse(buf, (size_t)n, &b, &e) == 0, "shipped: %s",
	      e.detail);
	CHECK(!strcmp(b.name, "qemu-x86_64"), "name %s", b.name);
	CHECK(!strcmp(b.console, "ttyS0"), "console %s", b.console);
	CHECK(!strcmp(b.part[BOARD_PART_A].name, "keel-a"), "part a");
	CHECK(!strcmp(b.part[BOARD_PART_VAR].name, "keel-var"), "part var");
	CHECK(b.part[BOARD_PART_A].size == 256u << 20, "size a");
	CHECK(b.part[BOARD_PART_STATE].size == 1u << 20, "size state");
	CHECK(b.nmod >= 5 && !strcmp(b.mod[0], "virtio_pci"), "modules");
	CHECK(b.verify == BOARD_VERIFY_VERITY, "verify");
	CHECK(!strcmp(b.watchdog, "/dev/watchdog"), "watchdog");
	CHECK(!strcmp(b.watchdog_driver, "i6300esb"), "watchdog driver");
	CHECK(b.on_failure == BOARD_FAIL_FALLBACK, "on_failure");
	CHECK(b.on_blank_state == BOARD_BLANK_REBUILD, "on_blank_state");
	CHECK(b.counter == BOARD_COUNTER_NONE, "no rollback counter");
}

/* Every shipped board parses and names its CPU (none: x86_64). */
static void
test_arch(void)
{
	static const struct {
		const char *name;
		uint32_t arch;
		const char *console;
	} boards[] = {
	    {"qemu-x86_64", 0, "ttyS0"},
	    {"qemu-aarch64", BOARD_ARCH_AARCH64, "ttyAMA0"},
	};
	char path[64], buf[BOARD_FILE_MAX + 1];

	for (size_t i = 0; i < sizeof(boards) / sizeof(boards[0]); i++) {
		int fd;
		ssize_t n;

		snprintf(path, sizeof(path), "board/%s/board.conf",
			 boards[i].name);
		fd = open(path, O_RDONLY);
		n = fd < 0 ? -1 : read(fd, buf, sizeof(buf));
		if (fd >= 0)
			close(fd);
		CHECK(n > 0 && board_parse(buf, (size_t)n, &b, &e) == 0 &&
			  !strcmp(b.name, boards[i].name) &&
			  b.arch == boards[i].arch &&
			  !strcmp(b.console, boards[i].console),
		      "%s: %s", path, n > 0 ? e.detail : "unreadable");
	}
	CHECK(parse("name=x\narch=x86_64\n") == 0 &&
		  b.arch == BOARD_ARCH_X86_64,
	      "arch=x86_64");
	CHECK(parse("name=x\narch=aarch64\n") == 0 &&
		  b.arch == BOARD_ARCH_AARCH64,
	      "arch=aarch64");
	CHECK(parse("name=x\n") == 0 && b.arch == 0, "no arch");
	refused("name=x\narch=arm64\n", "not x86_64 or aarch64");
	refused("name=x\narch=\n", "not x86_64 or aarch64");
	refused("name=x\narch=aarch64\narch=aarch64\n", "set twice");
}

static void
test_values(void)
{
	CHECK(parse("name=x\n") == 0, "minimal: %s", e.detail);
	CHECK(b.verify == BOARD_VERIFY_VERITY && b.disk_wait_ms == 5000 &&
		  b.watchdog_timeout == 0 &&
		  b.on_app_exit == BOARD_EXIT_RESTART &&
		  !strcmp(b.part[BOARD_PART_ETC].name, "keel-etc") &&
		  b.part[BOARD_PART_ETC].size == 0 && b.nmod == 0,
	      "defaults");
	CHECK(parse("# c\n\nname=x\non_failure=reboot:30\nverify=full\n"
		    "on_bad_persist=tmpfs\non_app_exit=poweroff\n"
		    "disk.wait_ms=0\nwatchdog=\nwatchdog.timeout=3\n"
		    "modules=a b-c d_e") == 0,
	      "values: %s", e.detail);
	CHECK(b.on_failure == BOARD_FAIL_REBOOT && b.fail_delay == 30,
	      "reboot:30");
	CHECK(b.verify == BOARD_VERIFY_FULL, "full");
	CHECK(b.on_bad_persist == BOARD_PERSIST_TMPFS, "tmpfs");
	CHECK(b.on_app_exit == BOARD_EXIT_POWEROFF, "poweroff");
	CHECK(b.disk_wait_ms == 0 && !b.watchdog[0], "wait, watchdog");
	CHECK(b.watchdog_timeout == 3, "watchdog.timeout %u",
	      b.watchdog_timeout);
	CHECK(b.nmod == 3 && !strcmp(b.mod[1], "b-c") &&
		  !strcmp(b.mod[2], "d_e"),
	      "module list");
	CHECK(parse("name=x\non_failure=halt\npart.a=/dev/vda1\n"
		    "part.b=slot-b 4K\npart.var=v 2G") == 0,
	      "parts: %s", e.detail);
	CHECK(b.on_failure == BOARD_FAIL_HALT, "halt");
	CHECK(!strcmp(b.part[0].name, "/dev/vda1") && b.part[0].size == 0,
	      "device path");
	CHECK(b.part[1].size == 4096 && b.part[4].size == 2ull << 30, "sizes");
	CHECK(parse("name=x\n") == 0 && b.net == 0, "net unset");
	CHECK(parse("name=x\nnet=off\n") == 0 && b.net == BOARD_NET_OFF,
	      "net=off");
	CHECK(parse("name=x\nnet=on\n") == 0 && b.net == BOARD_NET_ON,
	      "net=on");
	refused("name=x\nnet=yes\n", "net: 'yes' is not on or off");
	CHECK(b.port_start == 0, "every port unprivileged by default");
	CHECK(parse("name=x\nnet.unprivileged_port_start=1024\n") == 0 &&
		  b.port_start == 1024,
	      "the kernel's floor");
	refused("name=x\nnet.unprivileged_port_start=1025\n", "is not 0..1024");
	refused("name=x\nnet.unprivileged_port_start=-1\n", "is not 0..1024");
}

static void
test_refusals(void)
{
	refused("", "no name");
	refused("name=x\nname=y\n", "set twice");
	refused("name=x\nbogus=1\n", "unknown key");
	refused("name=x\n modules=a\n", "unknown key");
	refused("name=x\nverify = full\n", "unknown key");
	refused("name=x\nverify=maybe\n", "not verity or full");
	refused("name=x\nverify=full \n", "not verity or full");
	refused("name=x\nnokey\n", "not key=value");
	refused("name=x\n=v\n", "not key=value");
	refused("name=x\non_failure=reboot:\n", "reboot:SECONDS");
	refused("name=x\non_failure=reboot:-1\n", "reboot:SECONDS");
	refused("name=x\non_failure=reboot:99999999999\n", "reboot:SECONDS");
	refused("name=x\non_failure=reboot:007\n", "reboot:SECONDS");
	refused("name=x\ndisk.wait_ms=600001\n", "disk.wait_ms");
	refused("name=x\npart.a=keel-a 100\n", "multiple of 4096");
	refused("name=x\npart.a=keel-a 0M\n", "(0, 1T]");
	refused("name=x\npart.a=keel-a 2T\n", "bad size");
	refused("name=x\npart.a=keel-a 1025G\n", "(0, 1T]");
	refused("name=x\npart.a=keel-a 1X\n", "bad size");
	refused("name=x\npart.a=keel-a  1M\n", "bad size");
	refused("name=x\npart.a=/dev/x 1M\n", "no size");
	refused("name=x\npart.a=\n", "empty");
	refused("name=x\npart.b=keel-a\n", "both");
	refused("name=x\npart.a=0123456789012345678901234567890123456\n",
		"part.a: longer than 36 bytes");
	refused("name=x\nmodules=a  b\n", "empty");
	refused("name=x\nmodules=a \n", "trailing");
	refused("name=x\nmodules= a\n", "empty");
	refused("name=x\nmodules=a/b\n", "bad character");
	refused("name=x\nwatchdog=dev/watchdog\n", "absolute");
	refused("name=x\nwatchdog.timeout=1\n", "watchdog.timeout");
	refused("name=x\nwatchdog.timeout=3601\n", "watchdog.timeout");
	refused("name=x\nwatchdog.timeout=5s\n", "watchdog.timeout");
	refused("name=x\nname=a\tb\n", "control");
	refused("name=x\r\n", "control");
	refused("name=\xc3\xa9\n", "non-ASCII");
	refused("name=a b\n", "bad character");

	char big[BOARD_FILE_MAX + 2];
	memset(big, '#', sizeof(big) - 1);
	big[sizeof(big) - 1] = 0;
	refused(big, "larger");
	char line[BOARD_LINE_MAX + 16] = "name=";
	memset(line + 5, 'a', BOARD_LINE_MAX);
	line[BOARD_LINE_MAX + 5] = 0;
	refused(line, "longer");

	char mods[BOARD_LINE_MAX] = "name=x\nmodules=m";
	for (int i = 1; i <= BOARD_MODULES_MAX; i++)
		strcat(mods, " m");
	refused(mods, "more than");
}

static void
test_set_and_lines(void)
{
	CHECK(parse("name=x\nverify=verity\n") == 0, "base");
	CHECK(board_set(&b, "verify", 6, "full", 4, 0, &e) == 0 &&
		  b.verify == BOARD_VERIFY_FULL,
	      "non-strict override");
	CHECK(board_set(&b, "verify", 6, "full", 4, 1, &e) == -1,
	      "strict refuses a second set");
	CHECK(board_set(&b, "verify", 6, "fu\0ll", 5, 0, &e) == -1, "NUL");
	CHECK(parse("name=x\nverify=verity\nbad\n") == -1 &&
		  strstr(e.detail, "line 3"),
	      "line number: %s", e.detail);
	CHECK(!strcmp(board_part_role(BOARD_PART_STATE), "state") &&
		  board_part_role(BOARD_NPART) == NULL,
	      "roles");
}

/* verify.copy_max: 0 (half the RAM, decided at boot) or a size. */
static void
test_copy_max(void)
{
	CHECK(parse("name=x\n") == 0 && b.copy_max == 0, "default 0");
	CHECK(parse("name=x\nverify.copy_max=0\n") == 0 && b.copy_max == 0,
	      "0");
	CHECK(parse("name=x\nverify.copy_max=512M\n") == 0 &&
		  b.copy_max == 512ull << 20,
	      "512M: %llu", (unsigned long long)b.copy_max);
	CHECK(parse("name=x\nverify.copy_max=8192\n") == 0 &&
		  b.copy_max == 8192,
	      "bytes");
	CHECK(parse("name=x\nverify.copy_max=1000\n") == -1 &&
		  strstr(e.detail, "verify.copy_max"),
	      "not a multiple of 4096: %s", e.detail);
	CHECK(parse("name=x\nverify.copy_max=-1\n") == -1, "negative");
	CHECK(parse("name=x\nverify.copy_max=\n") == -1, "empty");
	CHECK(parse("name=x\nverify.copy_max=1G\nverify.copy_max=1G\n") == -1,
	      "twice");
}

/* New keys, and the command line: security keys only where allowed. */
static void
test_trust_keys(void)
{
	CHECK(parse("name=x\n") == 0 &&
		  b.on_blank_state == BOARD_BLANK_REBUILD &&
		  b.counter == BOARD_COUNTER_NONE && !b.cmdline_ok,
	      "defaults");
	CHECK(parse("name=x\non_blank_state=halt\n") == 0 &&
		  b.on_blank_state == BOARD_BLANK_HALT,
	      "on_blank_state=halt");
	CHECK(parse("name=x\nrollback.counter=tpm2:0x01800001\n") == 0 &&
		  b.counter == BOARD_COUNTER_TPM2 &&
		  b.counter_index == 0x01800001,
	      "tpm2: %s", e.detail);
	CHECK(parse("name=x\nrollback.counter=file:/tmp/c\n") == 0 &&
		  b.counter == BOARD_COUNTER_FILE &&
		  !strcmp(b.counter_path, "/tmp/c"),
	      "file");
	CHECK(parse("name=x\nrollback.counter=none\n") == 0 &&
		  b.counter == BOARD_COUNTER_NONE,
	      "none");
	refused("name=x\non_blank_state=defaults\n", "on_blank_state");
	refused("name=x\nrollback.counter=tpm2:0x02800001\n", "NV index");
	refused("name=x\nrollback.counter=tpm2:0x0180000\n", "NV index");
	refused("name=x\nrollback.counter=tpm2:0x0180000G\n", "NV index");
	refused("name=x\nrollback.counter=tpm2:0x018000011\n", "NV index");
	refused("name=x\nrollback.counter=file:rel\n", "rollback.counter");
	refused("name=x\nrollback.counter=\n", "rollback.counter");
	refused("name=x\ncmdline=cmdline\n", "may set");
	refused("name=x\ncmdline=arch\n", "may set");
	refused("name=x\ncmdline=nosuchkey\n", "may set");
	refused("name=x\ncmdline=verify \n", "trailing space");
	CHECK(parse("name=x\ncmdline=verify watchdog.timeout\n") == 0,
	      "cmdline=: %s", e.detail);
	/* keel.KEY=: security keys refused unless named; others apply. */
	static const char *const secure[] = {
	    "name",
	    "part.a",
	    "part.b",
	    "part.state",
	    "part.etc",
	    "part.var",
	    "watchdog",
	    "watchdog.driver",
	    "on_blank_state",
	    "rollback.counter",
	    "cmdline",
	    "arch",
	    "net.unprivileged_port_start",
	};
	for (size_t i = 0; i < sizeof(secure) / sizeof(secure[0]); i++) {
		const char *k = secure[i];
		CHECK(board_set_cmdline(&b, k, strlen(k), "x", 1, &e) == -1 &&
			  strstr(e.detail, "security key"),
		      "%s from the command line: %s", k, e.detail);
	}
	CHECK(board_set_cmdline(&b, "verify", 6, "full", 4, &e) == 0 &&
		  b.verify == BOARD_VERIFY_FULL,
	      "verify allowed by cmdline=");
	CHECK(board_set_cmdline(&b, "watchdog.timeout", 16, "3", 1, &e) == 0 &&
		  b.watchdog_timeout == 3,
	      "watchdog.timeout allowed");
	CHECK(board_set_cmdline(&b, "disk.wait_ms", 12, "7", 1, &e) == 0 &&
		  b.disk_wait_ms == 7,
	      "a free key");
	CHECK(board_set_cmdline(&b, "nope", 4, "7", 1, &e) == -1, "unknown");
	/* Allowed, applied, and then the board's rules hold no more. */
	CHECK(parse("name=x\ncmdline=part.var\n") == 0, "allow part.var");
	CHECK(board_set_cmdline(&b, "part.var", 8, "keel-etc", 8, &e) == 0,
	      "part.var allowed");
	CHECK(board_check(&b, &e) == -1 && strstr(e.detail, "both"),
	      "re-check: %s", e.detail);
}

static void
test_modlist(void)
{
	const char list[] = "virtio.ko\n\ndm-mod.ko\nlast.ko";
	const char *p = list, *end = list + sizeof(list) - 1;
	char name[64];

	CHECK(board_modlist_next(&p, end, name, sizeof(name), &e) == 1 &&
		  !strcmp(name, "virtio.ko"),
	      "first");
	CHECK(board_modlist_next(&p, end, name, sizeof(name), &e) == 1 &&
		  !strcmp(name, "dm-mod.ko"),
	      "blank line skipped");
	CHECK(board_modlist_next(&p, end, name, sizeof(name), &e) == 1 &&
		  !strcmp(name, "last.ko"),
	      "no final newline");
	CHECK(board_modlist_next(&p, end, name, sizeof(name), &e) == 0, "end");

	const char *bad[] = {"../x.ko", "x.o", ".ko", "a b.ko", "x.ko\r"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		p = bad[i];
		CHECK(board_modlist_next(&p, p + strlen(p), name, sizeof(name),
					 &e) == -1,
		      "accepted '%s'", bad[i]);
	}
	p = "abcdefgh.ko";
	CHECK(board_modlist_next(&p, p + 11, name, 8, &e) == -1, "cap");
}

/* "name=x\nKEY=PREFIX" then the path /ddd... of n bytes, in buf */
static const char *
with_path(char *buf, const char *key, const char *prefix, size_t n)
{
	size_t at = (size_t)sprintf(buf, "name=x\n%s=%s/", key, prefix);

	memset(buf + at, 'd', n - 1);
	buf[at + n - 1] = 0;
	return buf;
}

/*
 * Paths (a partition's device, the watchdog, a counter file) may take
 * BOARD_PATH_MAX bytes, a GPT name BOARD_PARTNAME_MAX; one more is
 * refused, naming the key.
 */
static void
test_path_limits(void)
{
	char t[BOARD_LINE_MAX];
	size_t max = BOARD_PATH_MAX;

	CHECK(parse(with_path(t, "part.var", "", max)) == 0 &&
		  strlen(b.part[BOARD_PART_VAR].name) == max,
	      "a device path of %zu bytes: %s", max, e.detail);
	refused(with_path(t, "part.var", "", max + 1),
		"part.var: longer than 127 bytes");
	CHECK(parse(with_path(t, "watchdog", "", max)) == 0 &&
		  strlen(b.watchdog) == max,
	      "a watchdog of %zu bytes: %s", max, e.detail);
	refused(with_path(t, "watchdog", "", max + 1),
		"watchdog: longer than 127 bytes");
	CHECK(parse(with_path(t, "rollback.counter", "file:", max)) == 0 &&
		  strlen(b.counter_path) == max,
	      "a counter file of %zu bytes: %s", max, e.detail);
	refused(with_path(t, "rollback.counter", "file:", max + 1),
		"rollback.counter: longer than 127 bytes");
	CHECK(parse("name=x\npart.a=012345678901234567890123456789012345\n") ==
		      0 &&
		  strlen(b.part[BOARD_PART_A].name) == BOARD_PARTNAME_MAX,
	      "a GPT name of 36 bytes: %s", e.detail);
}

int
main(void)
{
	test_shipped_board();
	test_arch();
	test_values();
	test_refusals();
	test_path_limits();
	test_set_and_lines();
	test_copy_max();
	test_trust_keys();
	test_modlist();
	return unit_done("board");
}
