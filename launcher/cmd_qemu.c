// SPDX-License-Identifier: MIT
/* keel qemu: boots a disk headless and exits with the app's exit status. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "launcher/board_dir.h"
#include "launcher/commands.h"
#include "launcher/keel.h"

#define ACTION "qemu"
#define EXIT_TIMEOUT 124
#define EXIT_NO_STATUS 125
#define MAX_ARGS 96
#define LINE_MAX_ 512
/* The console line keel-init prints before powering off (docs/BOARD.md). */
#define STATUS_TAG "keel: app exited status="
#define HALT_TAG "keel: halted: "
#define REBOOT_TAG "reboot: Restarting system"
/* QEMU's own line when the watchdog fires with -action watchdog=debug. */
#define WDOG_TAG "watchdog: timer fired"
#define QBOOT "/usr/share/qemu/qboot.rom"
#define MAX_FWD 4 /* --forward */

/*
 * The machine QEMU gives a board of each CPU (the board's arch=; none is
 * x86_64). x86_64: the pc machine, PVH boot of the uncompressed vmlinux,
 * qboot when installed, a qemu64 CPU with SSE4.2 for crc32c-intel ("max"
 * boots slower under TCG). aarch64: the virt machine (PL011 console, PCIe
 * for the same virtio-blk, virtio-net and i6300esb devices), Debian's
 * Image booted directly, a Cortex-A72 under TCG (it has the SHA-2
 * instructions; "max" boots slower, docs/BOARD.md), and a virtio
 * keyboard: virt has no PS/2 one, and ctrl-alt-del (QEMU's sendkey)
 * reaches PID 1 only through a keyboard.
 */
struct machine {
	const char *qemu, *machine, *cpu, *kernel, *bios, *keyboard;
};

static const struct machine machines[] = {
    [BOARD_ARCH_X86_64] = {"qemu-system-x86_64", "pc",
			   "qemu64,+ssse3,+sse4.1,+sse4.2,+popcnt", "vmlinux",
			   QBOOT, NULL},
    [BOARD_ARCH_AARCH64] = {"qemu-system-aarch64", "virt", "cortex-a72",
			    "Image", NULL, "virtio-keyboard-pci"},
};

static const char usage[] =
    "usage: keel qemu DISK [--board NAME] [--timeout SEC] "
    "[--append 'keel.x=y ...']\n"
    "                 [--log FILE] [--memory SIZE] [--allow-reboot] "
    "[--kvm]\n"
    "                 [--forward HOSTPORT:PORT]... [-- QEMU-ARGS...]\n"
    "  Boots DISK with the board's kernel and initramfs from the build\n"
    "  tree ($KEEL_BOARD_DIR, else board/NAME next to keel), console on\n"
    "  stdout. Exits with the app's exit status once the device powers\n"
    "  off, 124 on timeout, 125 if it stopped without reporting one,\n"
    "  keel-init halted (the reason is on the console), the device\n"
    "  rebooted, or its hardware watchdog fired.\n"
    "  --forward HOSTPORT:PORT gives the device a network card on\n"
    "  QEMU's user network (DHCP, 10.0.2.15/24) and forwards TCP\n"
    "  127.0.0.1:HOSTPORT of this machine to the device's PORT (up to\n"
    "  4 times; only the loopback address listens).\n"
    "  Quit an interactive session with ctrl-a x.\n";

static volatile sig_atomic_t got_signal;

struct scan {
	char line[LINE_MAX_];
	size_t len;
	int status;   /* last reported app exit status, or -1 */
	int halted;   /* keel-init halted (it then waits for power signals) */
	int rebooted; /* the kernel said it restarts the system */
	int watchdog; /* QEMU said the watchdog fired */
};

static void
on_signal(int sig)
{
	got_signal = sig;
}

static void
scan_line(struct scan *s)
{
	const char *p;
	long v;
	char *end;

	s->line[s->len] = 0;
	/* keel-init writes these at the start of a console line; the app's
	 * lines there start with "app: ", so an app cannot forge them. */
	if (!strncmp(s->line, HALT_TAG, strlen(HALT_TAG)))
		s->halted = 1;
	/* The kernel's line, with or without its time stamp. */
	p = s->line[0] == '[' ? strstr(s->line, "] ") : NULL;
	p = p ? p + 2 : s->line;
	if (!strncmp(p, REBOOT_TAG, strlen(REBOOT_TAG)))
		s->rebooted = 1;
	if (strncmp(s->line, STATUS_TAG, strlen(STATUS_TAG)))
		return;
	p = s->line + strlen(STATUS_TAG);
	v = strtol(p, &end, 10);
	if (end != p && !*end && v >= 0 && v <= 255)
		s->status = (int)v;
}

/* Feeds console bytes through the line scanner. */
static void
scan_bytes(struct scan *s, const char *buf, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (buf[i] == '\n' || buf[i] == '\r') {
			scan_line(s);
			s->len = 0;
		} else if (s->len < sizeof(s->line) - 1) {
			s->line[s->len++] = buf[i];
		}
	}
}

static void
write_all(int fd, const char *buf, size_t n)
{
	while (n) {
		ssize_t w = write(fd, buf, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		buf += w;
		n -= (size_t)w;
	}
}

static long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* QEMU's stderr, passed through; its watchdog line is noted. Bytes
 * read, 0 at the end. */
static ssize_t
pump_err(int fd, struct scan *s)
{
	static char line[LINE_MAX_];
	static size_t len;
	char buf[1024];
	ssize_t n = read(fd, buf, sizeof(buf));

	if (n <= 0)
		return n < 0 && errno == EINTR ? 1 : 0;
	write_all(2, buf, (size_t)n);
	for (ssize_t i = 0; i < n; i++) {
		if (buf[i] != '\n' && len < sizeof(line) - 1) {
			line[len++] = buf[i];
			continue;
		}
		line[len] = 0;
		if (strstr(line, WDOG_TAG))
			s->watchdog = 1;
		len = 0;
	}
	return n;
}

/* After QEMU ended: the rest of its stderr. */
static void
drain_err(int fd, struct scan *s)
{
	struct pollfd p = {fd, POLLIN, 0};

	while (poll(&p, 1, 0) > 0 && (p.revents & POLLIN) &&
	       pump_err(fd, s) > 0)
		;
}

/*
 * Copies the console to stdout (and log) until QEMU closes it or the
 * deadline passes, and QEMU's stderr to stderr. 0 on EOF, 1 on timeout,
 * 2 on a signal, 3 when keel-init halted (a halted device never powers
 * off by itself), 4 when the watchdog fired (-no-reboot: it would reset).
 */
static int
pump(int in, int err, int log, long deadline, struct scan *s)
{
	char buf[4096];

	for (;;) {
		struct pollfd pfd[2] = {{in, POLLIN, 0}, {err, POLLIN, 0}};
		long left = deadline ? deadline - now_ms() : -1;
		ssize_t n;
		int r;

		if (deadline && left <= 0)
			return 1;
		r = poll(pfd, err >= 0 ? 2 : 1, deadline ? (int)left : -1);
		if (got_signal)
			return 2;
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			continue;
		if (err >= 0 && (pfd[1].revents & (POLLIN | POLLHUP)) &&
		    pump_err(err, s) <= 0)
			err = -1; /* QEMU closed its stderr */
		if (s->watchdog)
			return 4;
		if (!(pfd[0].revents & (POLLIN | POLLHUP | POLLERR)))
			continue;
		n = read(in, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return 0;
		write_all(1, buf, (size_t)n);
		if (log >= 0)
			write_all(log, buf, (size_t)n);
		scan_bytes(s, buf, (size_t)n);
		if (s->halted)
			return 3;
	}
}

struct opts {
	const char *disk, *board, *append, *log, *memory;
	long timeout;
	int allow_reboot, kvm;
	unsigned fwd[MAX_FWD][2]; /* --forward: host port, device port */
	int nfwd;
	char **extra;
	int nextra;
};

/* A TCP port: 1..65535, decimal. */
static int
parse_port(const char *s, const char *end, unsigned *port)
{
	unsigned long v = 0;

	if (s == end || end - s > 5 || *s == '0')
		return -1;
	for (; s < end; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		v = v * 10 + (unsigned long)(*s - '0');
	}
	if (v > 65535)
		return -1;
	*port = (unsigned)v;
	return 0;
}

/* --forward HOSTPORT:PORT */
static int
parse_forward(const char *a, struct opts *o)
{
	const char *colon = strchr(a, ':');

	if (!colon || o->nfwd == MAX_FWD ||
	    parse_port(a, colon, &o->fwd[o->nfwd][0]) ||
	    parse_port(colon + 1, colon + 1 + strlen(colon + 1),
		       &o->fwd[o->nfwd][1]))
		return -1;
	o->nfwd++;
	return 0;
}

static int
parse_opts(int argc, char **argv, struct opts *o)
{
	char *end;

	memset(o, 0, sizeof(*o));
	o->board = "qemu-x86_64";
	o->memory = "256M";
	o->append = "";
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		int more = i + 1 < argc;

		if (!strcmp(a, "--")) {
			o->extra = argv + i + 1;
			o->nextra = argc - i - 1;
			break;
		} else if (!strcmp(a, "--board") && more) {
			o->board = argv[++i];
		} else if (!strcmp(a, "--append") && more) {
			o->append = argv[++i];
		} else if (!strcmp(a, "--log") && more) {
			o->log = argv[++i];
		} else if (!strcmp(a, "--memory") && more) {
			o->memory = argv[++i];
		} else if (!strcmp(a, "--timeout") && more) {
			o->timeout = strtol(argv[++i], &end, 10);
			if (*end || o->timeout <= 0 || o->timeout > 86400)
				return -1;
		} else if (!strcmp(a, "--allow-reboot")) {
			o->allow_reboot = 1;
		} else if (!strcmp(a, "--kvm")) {
			o->kvm = 1;
		} else if (!strcmp(a, "--forward") && more) {
			if (parse_forward(argv[++i], o))
				return -1;
		} else if (a[0] != '-' && !o->disk) {
			o->disk = a;
		} else {
			return -1;
		}
	}
	return o->disk ? 0 : -1;
}

/* The QEMU command line; static storage, as keel runs it once. */
static int
build_argv(const struct opts *o, const char *dir, const struct board *b,
	   char **av)
{
	static char kernel[PATH_MAX], initrd[PATH_MAX], drive[PATH_MAX + 64];
	static char cmdline[2048];
	const char *qemu = getenv("KEEL_QEMU");
	const struct machine *m =
	    &machines[b->arch ? b->arch : BOARD_ARCH_X86_64];
	int n = 0;

	if (snprintf(kernel, sizeof(kernel), "%s/%s", dir, m->kernel) >=
		(int)sizeof(kernel) ||
	    snprintf(initrd, sizeof(initrd), "%s/initramfs.cpio", dir) >=
		(int)sizeof(initrd) ||
	    access(kernel, R_OK) || access(initrd, R_OK))
		return keel_errf(ACTION, dir,
				 "no %s and initramfs.cpio (make board "
				 "BOARD=%s)",
				 m->kernel, o->board),
		       -1;
	if (strchr(o->disk, ','))
		return keel_errf(ACTION, o->disk, "',' in a disk path"), -1;
	snprintf(drive, sizeof(drive), "file=%s,format=raw,if=none,id=disk0",
		 o->disk);
	if (snprintf(cmdline, sizeof(cmdline), "console=%s quiet panic=-1 %s",
		     b->console, o->append) >= (int)sizeof(cmdline))
		return keel_errf(ACTION, o->disk, "--append too long"), -1;

	av[n++] = (char *)(qemu && *qemu ? qemu : m->qemu);
	av[n++] = "-nodefaults";
	av[n++] = "-no-user-config";
	av[n++] = "-display";
	av[n++] = "none";
	av[n++] = "-machine";
	av[n++] = (char *)m->machine;
	/* KVM only when asked: nested KVM has been seen to hang at boot. */
	if (o->kvm) {
		av[n++] = "-accel";
		av[n++] = "kvm";
	}
	av[n++] = "-accel";
	av[n++] = "tcg";
	av[n++] = "-cpu";
	av[n++] = (char *)(o->kvm ? "host" : m->cpu);
	av[n++] = "-m";
	av[n++] = (char *)o->memory;
	if (m->bios && access(m->bios, R_OK) == 0) {
		av[n++] = "-bios";
		av[n++] = (char *)m->bios;
	}
	av[n++] = "-kernel";
	av[n++] = kernel;
	av[n++] = "-initrd";
	av[n++] = initrd;
	av[n++] = "-append";
	av[n++] = cmdline;
	av[n++] = "-chardev";
	av[n++] = "stdio,id=con,mux=on";
	av[n++] = "-serial";
	av[n++] = "chardev:con";
	av[n++] = "-drive";
	av[n++] = drive;
	av[n++] = "-device";
	av[n++] = "virtio-blk-pci,drive=disk0";
	av[n++] = "-device";
	av[n++] = "i6300esb";
	if (m->keyboard) {
		av[n++] = "-device";
		av[n++] = (char *)m->keyboard;
	}
	/* -no-reboot stops at a reset: one by the watchdog is told apart
	 * (QEMU prints a line instead of resetting, keel qemu stops it). */
	if (!o->allow_reboot) {
		av[n++] = "-no-reboot";
		av[n++] = "-action";
		av[n++] = "watchdog=debug";
	}
	if (o->nfwd) {
		static char netdev[64 + MAX_FWD * 48];
		size_t len =
		    (size_t)snprintf(netdev, sizeof(netdev), "user,id=keelnet");

		for (int i = 0; i < o->nfwd; i++)
			len +=
			    (size_t)snprintf(netdev + len, sizeof(netdev) - len,
					     ",hostfwd=tcp:127.0.0.1:%u-:%u",
					     o->fwd[i][0], o->fwd[i][1]);
		av[n++] = "-netdev";
		av[n++] = netdev;
		av[n++] = "-device";
		av[n++] = "virtio-net-pci,netdev=keelnet";
	}
	if (o->nextra > MAX_ARGS - n - 1)
		return keel_errf(ACTION, o->disk, "too many QEMU arguments"),
		       -1;
	for (int i = 0; i < o->nextra; i++)
		av[n++] = o->extra[i];
	av[n] = NULL;
	return 0;
}

static pid_t
spawn(char **av, int *out, int *err)
{
	int p[2], e[2];
	pid_t pid;

	if (pipe2(p, O_CLOEXEC))
		return -1;
	if (pipe2(e, O_CLOEXEC)) {
		close(p[0]);
		close(p[1]);
		return -1;
	}
	pid = fork();
	if (pid == 0) {
		dup2(p[1], 1);
		dup2(e[1], 2);
		if (!isatty(0)) {
			int nul = open("/dev/null", O_RDONLY);

			if (nul >= 0)
				dup2(nul, 0);
		}
		execvp(av[0], av);
		fprintf(stderr, "keel: qemu: %s: %s\n", av[0], strerror(errno));
		_exit(127);
	}
	close(p[1]);
	close(e[1]);
	*out = p[0];
	*err = e[0];
	return pid;
}

/*
 * Stops QEMU: SIGTERM first (it ends at once for the guest, like a power
 * cut, but lets QEMU restore the terminal), SIGKILL after two seconds.
 */
static void
stop(pid_t pid, int *status)
{
	kill(pid, SIGTERM);
	for (int i = 0; i < 200; i++) {
		if (waitpid(pid, status, WNOHANG) == pid)
			return;
		usleep(10000);
	}
	kill(pid, SIGKILL);
	while (waitpid(pid, status, 0) < 0 && errno == EINTR)
		;
}

static int
finish(const struct opts *o, pid_t pid, int why, const struct scan *s)
{
	int status;

	if (why)
		stop(pid, &status);
	else
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
	if (why == 1)
		return keel_errf(ACTION, o->disk, "timeout after %ld s",
				 o->timeout),
		       EXIT_TIMEOUT;
	if (why == 2)
		return 128 + got_signal;
	if (why == 3)
		return keel_errf(ACTION, o->disk, "keel-init halted"),
		       EXIT_NO_STATUS;
	if (why == 4)
		return keel_errf(ACTION, o->disk,
				 "the hardware watchdog fired: the device "
				 "would reset (QEMU runs with -no-reboot; "
				 "--allow-reboot lets it reset)"),
		       EXIT_NO_STATUS;
	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		keel_errf(ACTION, o->disk, "QEMU failed (status %d)",
			  WIFEXITED(status) ? WEXITSTATUS(status)
					    : 128 + WTERMSIG(status));
		return EXIT_NO_STATUS;
	}
	if (s->rebooted && !o->allow_reboot) {
		keel_errf(ACTION, o->disk,
			  "the device rebooted (QEMU runs "
			  "with -no-reboot; --allow-reboot boots it again)");
		return EXIT_NO_STATUS;
	}
	if (s->status < 0) {
		keel_errf(ACTION, o->disk,
			  "device stopped without reporting an app exit");
		return EXIT_NO_STATUS;
	}
	return s->status;
}

int
cmd_qemu(int argc, char **argv)
{
	static struct scan s = {.status = -1};
	char dir[PATH_MAX], *av[MAX_ARGS];
	struct sigaction sa = {.sa_handler = on_signal};
	struct opts o;
	struct board b;
	int in, err, log = -1, why;
	pid_t pid;

	if (argc == 2 && !strcmp(argv[1], "--help"))
		return fputs(usage, stdout), 0;
	if (parse_opts(argc, argv, &o))
		return keel_usage(usage);
	if (keel_board_dir(o.board, dir, sizeof(dir)) ||
	    keel_board_load(o.board, ACTION, &b))
		return KEEL_EXIT_FAIL;
	if (build_argv(&o, dir, &b, av))
		return KEEL_EXIT_FAIL;
	if (access(o.disk, R_OK | W_OK))
		return keel_errf(ACTION, o.disk, "%s", strerror(errno));
	if (o.log) {
		log =
		    open(o.log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (log < 0)
			return keel_errf(ACTION, o.log, "%s", strerror(errno));
	}
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	pid = spawn(av, &in, &err);
	if (pid < 0)
		return keel_errf(ACTION, av[0], "%s", strerror(errno));
	why =
	    pump(in, err, log, o.timeout ? now_ms() + o.timeout * 1000 : 0, &s);
	close(in);
	if (log >= 0)
		close(log);
	why = finish(&o, pid, why, &s);
	drain_err(err, &s); /* what QEMU said on its way out */
	close(err);
	return why;
}
