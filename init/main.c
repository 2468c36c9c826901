// SPDX-License-Identifier: MIT
/* keel-init: PID 1 of the appliance, from kernel to a supervised app. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <string.h>
#include <sys/reboot.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "keel_version.h"
#include "init/init.h"
#include "lib/base/fmt.h"

static const char usage[] =
    "usage: keel-init                 (as PID 1, started by the kernel)\n"
    "       keel-init --test --board FILE [--transcript FILE]\n"
    "           as PID 1 of a pid namespace on a host, e.g.\n"
    "           unshare -fpm --propagation private keel-init --test ...\n"
    "           (no modules, no device-mapper: verify=full; the kernel\n"
    "           command line comes from $KEEL_CMDLINE)\n"
    "       keel-init --check-keys | --version\n";

/* A message before the log exists: keel-init links no stdio. */
static void say(int fd, const char *fmt, ...)
    __attribute__((format(__printf__, 2, 3)));
static void
say(int fd, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = fmt_vsn(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n > (int)sizeof(buf) - 1)
		n = (int)sizeof(buf) - 1;
	if (n > 0 && write(fd, buf, (size_t)n) < 0)
		return;
}

static int
check_keys(void)
{
	struct kerr e = {0};

	if (ks_check_points(&g.keys, &e) < 0) {
		say(2, "keel-init: keys: %s: %s\n", e.check, e.detail);
		return 1;
	}
	return 0;
}

static int
parse_args(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--check-keys"))
			return check_keys() ? 1 : -1;
		if (!strcmp(argv[i], "--version")) {
			say(1, "keel-init %s, keys %s%s\n", KEEL_VERSION,
			    ks_baked_origin, ks_baked_test ? " (TEST)" : "");
			return -1;
		}
		if (!strcmp(argv[i], "--test")) {
			g.test = 1;
		} else if (!strcmp(argv[i], "--board") && i + 1 < argc) {
			early_set_board_path(argv[++i]);
		} else if (!strcmp(argv[i], "--transcript") && i + 1 < argc) {
			int fd = open(argv[++i],
				      O_WRONLY | O_CREAT | O_TRUNC | O_APPEND |
					  O_CLOEXEC,
				      0644);
			if (fd < 0) {
				say(2, "keel-init: transcript: %s\n",
				    kerr_strerror(errno));
				return 1;
			}
			sys_use_transcript(fd);
		} else if (getpid() != 1) {
			say(2, "%s", usage);
			return 2;
		}
		/* As PID 1 from the kernel, unknown words are ignored. */
	}
	if (getpid() != 1) {
		say(2, "keel-init: must run as PID 1%s\n%s",
		    g.test ? " (of a pid namespace with --test)" : "", usage);
		return 1;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	char why[INIT_LOG_LINE - 64];
	sigset_t all;
	int rc;

	globals_init();
	/* PID 1 holds only what it opens itself: a host's --test run
	 * inherits its shell's descriptors, a device's kernel gives none. */
	if (syscall(SYS_close_range, 3, ~0u, 0) < 0)
		for (int fd = 3; fd < 1024; fd++)
			close(fd);
	rc = parse_args(argc, argv);
	/* As the kernel's PID 1, whatever the words were, boot: returning
	 * from main would panic the kernel. */
	if (rc && (getpid() != 1 || g.test))
		return rc < 0 ? 0 : rc;
	/* From now on, keel-init must not die. Signals are read from a
	 * signalfd in the main loop; none interrupts a boot step. */
	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL);
	log_init();
	if (!g.test)
		reboot(RB_DISABLE_CAD); /* ctrl-alt-del: SIGINT to us */
	early_mounts();
	klog("keel-init %s%s", KEEL_VERSION, g.test ? " (test mode)" : "");
	early_config();
	if (modules_load() < 0)
		klog("modules: some failed to load");
	agent_open_binary(); /* before /bin/keel is out of reach */
	if (early_move_root() < 0)
		power_fatal("root", "cannot move off the initramfs");
	early_cgroup_start(); /* waited for once the slot is checked */
	rc = disk_find_partitions(why, sizeof(why));
	if (rc == -2)
		power_fatal("disk", why);
	if (rc < 0)
		klog("disk: not every partition was found");
	if (ab_load(why, sizeof(why)) < 0)
		power_fatal("state", why);
	rc = slot_boot();
	if (rc == -2)
		power_fatal("boot", "keel app cannot check the config");
	if (rc < 0)
		power_fatal("boot", "no slot passed verification");
	early_cgroup_wait();
	if (persist_mount(why, sizeof(why)) < 0)
		power_fatal("persist", why);
	clock_boot();
	klog("boot: ready to start the app");
	supervise();
}
