// SPDX-License-Identifier: MIT
/* keel status/reboot/poweroff/factory-reset/update/logs/notify: clients. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "launcher/commands.h"
#include "launcher/ctl.h"
#include "launcher/fetch.h"
#include "launcher/keel.h"
#include "lib/base/text.h"
#include "lib/ipc/control.h"
#include "lib/ipc/notify.h"

static const char usage_ctl[] =
    "keel status|reboot|poweroff [--socket PATH]\n"
    "keel factory-reset --yes [--socket PATH]\n"
    "keel update BUNDLE|- [--fd] [--force] [--socket PATH]\n"
    "keel update URL [--ca PEM]... [--allow-http] [--timeout S] [--force]\n"
    "            [--full] [--socket PATH]\n"
    "\n"
    "Talks to keel-init's control socket (default /run/keel/control, or\n"
    "$KEEL_CONTROL):\n"
    "  status         slots, versions, the rollback floor, the app\n"
    "  reboot         stop the app and reboot\n"
    "  poweroff       stop the app and power off\n"
    "  factory-reset  empty /etc changes and /var/lib on the next boot\n"
    "  update         stream a bundle to the inactive slot (- = stdin),\n"
    "                 printing progress; with --fd, pass the open file\n"
    "                 instead of streaming it; a URL (https://, or\n"
    "                 http:// with --allow-http) is installed by delta:\n"
    "                 only the parts the running slot lacks are fetched\n"
    "                 (by ranges, resumed where a cut stopped them)\n"
    "\n"
    "  -s, --socket PATH  control socket\n"
    "  -y, --yes          confirm factory-reset\n"
    "      --fd           update: send the bundle as a descriptor\n"
    "      --force        update: install even an image that failed on\n"
    "                     this device before (its trial, or a crash loop)\n"
    "      --ca PEM       update URL: trust anchors (repeatable; default:\n"
    "                     the image's /etc/keel/update-ca.pem, which\n"
    "                     keel-init puts beside the control socket)\n"
    "      --allow-http   update URL: plain http:// (the bundle's\n"
    "                     signature still decides)\n"
    "      --timeout S    update URL: give up after S s without progress\n"
    "      --full         update URL: stream the whole bundle, no delta\n"
    "  -h, --help         this text\n";

static const char usage_logs[] =
    "keel logs [-f] [-n LINES] [--boot -K] [--socket PATH]\n"
    "\n"
    "Prints the device's log from keel-init: its own lines, the app's\n"
    "output and the kernel's messages, oldest first, as\n"
    "  [SECONDS.MICROS] SOURCE: TEXT\n"
    "with SECONDS since the device booted.\n"
    "\n"
    "  -f, --follow       then print new lines as they come, until ^C\n"
    "  -n, --lines LINES  only the last LINES lines (default: all kept)\n"
    "  -b, --boot -K      the log of K boots ago (1..9), from the var\n"
    "                     partition\n"
    "  -s, --socket PATH  control socket\n"
    "  -h, --help         this text\n";

static const char usage_notify[] =
    "keel notify [--socket PATH] KEY=VALUE...\n"
    "\n"
    "Sends one notify datagram (READY=1, WATCHDOG=1, STATUS=text,\n"
    "STOPPING=1 ...) to $NOTIFY_SOCKET, as sd_notify does.\n"
    "\n"
    "  -s, --socket PATH  socket instead of $NOTIFY_SOCKET\n"
    "  -h, --help         this text\n";

static const char *
control_path(void)
{
	const char *p = getenv("KEEL_CONTROL");

	return p && *p ? p : CONTROL_PATH;
}

/* Prints one progress report: in place on a tty, else every 10%. */
static void
progress(struct ctl *c, const struct control_reply *r)
{
	int pct = r->total ? (int)(r->done * 100 / r->total) : -1;

	if (c->tty) {
		fprintf(stderr, "\rkeel: %s: %llu/%llu bytes", c->action,
			(unsigned long long)r->done,
			(unsigned long long)r->total);
		if (pct >= 0)
			fprintf(stderr, " (%d%%)", pct);
		return;
	}
	if (pct >= 0 && pct / 10 == c->last_pct / 10 && pct != 100)
		return;
	if (pct == c->last_pct)
		return;
	c->last_pct = pct;
	fprintf(stderr, "keel: %s: %llu/%llu bytes", c->action,
		(unsigned long long)r->done, (unsigned long long)r->total);
	if (pct >= 0)
		fprintf(stderr, " (%d%%)", pct);
	fputc('\n', stderr);
}

int
ctl_reply_line(struct ctl *c, const struct control_reply *r, int *rc)
{
	if (r->kind == CONTROL_R_KV && c->logs && !strcmp(r->key, "log")) {
		printf("%s\n", r->value);
		fflush(stdout);
	} else if (r->kind == CONTROL_R_KV) {
		printf("%s=%s\n", r->key, r->value);
	} else if (r->kind == CONTROL_R_PROGRESS) {
		progress(c, r);
	} else {
		if (c->tty && c->last_pct != -2)
			fputc('\n', stderr);
		*rc = r->kind == CONTROL_R_OK
			  ? 0
			  : keel_errf(c->action, c->path, "%s", r->value);
		return 1;
	}
	if (r->kind == CONTROL_R_PROGRESS && c->tty)
		c->last_pct = 0;
	return 0;
}

int
ctl_take_reply(struct ctl *c, int sock, char *buf, size_t *len, int *rc)
{
	struct control_reply r;
	struct kerr e = {0};
	ssize_t n;
	char *nl;

	n = read(sock, buf + *len, CONTROL_LINE_MAX - *len);
	if (n < 0 && errno == EINTR)
		return 0;
	if (n < 0)
		return keel_errf(c->action, c->path, "%s", strerror(errno)), -1;
	if (n == 0)
		return keel_errf(c->action, c->path,
				 "connection closed without a reply"),
		       -1;
	*len += (size_t)n;
	while ((nl = memchr(buf, '\n', *len))) {
		size_t l = (size_t)(nl - buf);
		if (control_parse_reply(buf, l, &r, &e))
			return keel_err(c->action, c->path, &e), -1;
		memmove(buf, nl + 1, *len - l - 1);
		*len -= l + 1;
		if (ctl_reply_line(c, &r, rc))
			return 1;
	}
	if (*len >= CONTROL_LINE_MAX)
		return keel_errf(c->action, c->path, "reply line too long"), -1;
	return 0;
}

int
ctl_replies_rest(struct ctl *c, int sock, char *buf, size_t *len)
{
	int rc = KEEL_EXIT_FAIL, r;

	while (!(r = ctl_take_reply(c, sock, buf, len, &rc)))
		;
	return r < 0 ? KEEL_EXIT_FAIL : rc;
}

/* Reads replies until the final line. */
static int
replies(struct ctl *c, int sock)
{
	static char buf[CONTROL_LINE_MAX];
	size_t len = 0;

	return ctl_replies_rest(c, sock, buf, &len);
}

static int
ctl_main(int argc, char **argv, int cmd)
{
	static const struct option opts[] = {
	    {"socket", required_argument, NULL, 's'},
	    {"yes", no_argument, NULL, 'y'},
	    {"fd", no_argument, NULL, 'F'},
	    {"force", no_argument, NULL, 'f'},
	    {"ca", required_argument, NULL, 'C'},
	    {"allow-http", no_argument, NULL, 'H'},
	    {"timeout", required_argument, NULL, 't'},
	    {"full", no_argument, NULL, 'u'},
	    {"help", no_argument, NULL, 'h'},
	    {0},
	};
	struct ctl c = {.action = argv[0], .last_pct = -2, .timeout_s = 30};
	struct control_req req = {.cmd = cmd};
	struct kerr e = {0};
	int opt, yes = 0, pass_fd = 0, force = 0, url_opt = 0, sock, rc;
	uint64_t v;

	c.path = control_path();
	while ((opt = getopt_long(argc, argv, "s:yh", opts, NULL)) != -1) {
		switch (opt) {
		case 's':
			c.path = optarg;
			break;
		case 'y':
			yes = 1;
			break;
		case 'F':
			pass_fd = 1;
			break;
		case 'f':
			force = 1;
			break;
		case 'C':
			if (c.nca == CTL_CA_MAX)
				return keel_usage(usage_ctl);
			c.ca[c.nca++] = optarg;
			url_opt = 1;
			break;
		case 'H':
			c.allow_http = url_opt = 1;
			break;
		case 'u':
			c.full = url_opt = 1;
			break;
		case 't':
			if (text_u64(optarg, strlen(optarg), &v) || !v ||
			    v > 86400)
				return keel_usage(usage_ctl);
			c.timeout_s = (int)v;
			url_opt = 1;
			break;
		case 'h':
			fputs(usage_ctl, stdout);
			return 0;
		default:
			return keel_usage(usage_ctl);
		}
	}
	if ((cmd == CONTROL_UPDATE) != (optind + 1 == argc) ||
	    (cmd != CONTROL_UPDATE && optind != argc) ||
	    (yes && cmd != CONTROL_FACTORY_RESET) ||
	    ((pass_fd || force) && cmd != CONTROL_UPDATE) ||
	    (url_opt && (cmd != CONTROL_UPDATE || pass_fd ||
			 !fetch_is_url(argv[optind]))) ||
	    (pass_fd && fetch_is_url(argv[optind])))
		return keel_usage(usage_ctl);
	if (cmd == CONTROL_FACTORY_RESET && !yes)
		return keel_errf(c.action, c.path,
				 "this erases /etc changes and /var/lib; "
				 "confirm with --yes");
	c.tty = isatty(2);
	sock = control_connect(c.path, &e);
	if (sock < 0)
		return keel_err(c.action, c.path, &e);
	if (cmd == CONTROL_UPDATE) {
		rc = ctl_update(&c, sock, argv[optind], pass_fd, force);
	} else if (control_send_request(sock, &req, -1, &e)) {
		rc = keel_err(c.action, c.path, &e);
	} else {
		shutdown(sock, SHUT_WR);
		rc = replies(&c, sock);
	}
	close(sock);
	return rc;
}

int
cmd_status(int argc, char **argv)
{
	return ctl_main(argc, argv, CONTROL_STATUS);
}

int
cmd_reboot(int argc, char **argv)
{
	return ctl_main(argc, argv, CONTROL_REBOOT);
}

int
cmd_poweroff(int argc, char **argv)
{
	return ctl_main(argc, argv, CONTROL_POWEROFF);
}

int
cmd_factory_reset(int argc, char **argv)
{
	return ctl_main(argc, argv, CONTROL_FACTORY_RESET);
}

int
cmd_update(int argc, char **argv)
{
	return ctl_main(argc, argv, CONTROL_UPDATE);
}

int
cmd_logs(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"follow", no_argument, NULL, 'f'},
	    {"lines", required_argument, NULL, 'n'},
	    {"boot", required_argument, NULL, 'b'},
	    {"socket", required_argument, NULL, 's'},
	    {"help", no_argument, NULL, 'h'},
	    {0},
	};
	struct ctl c = {.action = "logs", .last_pct = -2, .logs = 1};
	struct control_req req = {.cmd = CONTROL_LOGS};
	struct kerr e = {0};
	uint64_t k;
	int opt, sock, rc;

	c.path = control_path();
	while ((opt = getopt_long(argc, argv, "fn:b:s:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'f':
			req.follow = 1;
			break;
		case 'n':
			if (text_u64(optarg, strlen(optarg), &req.lines) ||
			    req.lines > CONTROL_LOG_LINES_MAX)
				return keel_errf("logs", optarg,
						 "not a line count (0..%d)",
						 CONTROL_LOG_LINES_MAX);
			break;
		case 'b':
			if (optarg[0] != '-' ||
			    text_u64(optarg + 1, strlen(optarg + 1), &k) ||
			    !k || k > CONTROL_LOG_BOOTS_MAX)
				return keel_errf("logs", optarg,
						 "not a boot (-1..-%d)",
						 CONTROL_LOG_BOOTS_MAX);
			req.boot = (unsigned)k;
			break;
		case 's':
			c.path = optarg;
			break;
		case 'h':
			fputs(usage_logs, stdout);
			return 0;
		default:
			return keel_usage(usage_logs);
		}
	}
	if (optind != argc || (req.follow && req.boot))
		return keel_usage(usage_logs);
	sock = control_connect(c.path, &e);
	if (sock < 0)
		return keel_err(c.action, c.path, &e);
	if (control_send_request(sock, &req, -1, &e)) {
		rc = keel_err(c.action, c.path, &e);
	} else {
		shutdown(sock, SHUT_WR);
		rc = replies(&c, sock);
	}
	close(sock);
	return rc;
}

int
cmd_notify(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"socket", required_argument, NULL, 's'},
	    {"help", no_argument, NULL, 'h'},
	    {0},
	};
	static char msg[NOTIFY_MAX + 1];
	const char *path = getenv("NOTIFY_SOCKET");
	struct notify_msg m;
	struct kerr e = {0};
	size_t len = 0;
	int opt;

	while ((opt = getopt_long(argc, argv, "+s:h", opts, NULL)) != -1) {
		switch (opt) {
		case 's':
			path = optarg;
			break;
		case 'h':
			fputs(usage_notify, stdout);
			return 0;
		default:
			return keel_usage(usage_notify);
		}
	}
	if (optind == argc)
		return keel_usage(usage_notify);
	if (!path || !*path)
		return keel_errf("notify", "NOTIFY_SOCKET", "not set");
	for (int i = optind; i < argc; i++) {
		size_t n = strlen(argv[i]);
		if (!strchr(argv[i], '=') || strchr(argv[i], '\n'))
			return keel_errf("notify", argv[i],
					 "not a KEY=VALUE line");
		if (len + n + 1 > NOTIFY_MAX)
			return keel_errf("notify", path,
					 "message over %d bytes", NOTIFY_MAX);
		memcpy(msg + len, argv[i], n);
		len += n;
		msg[len++] = '\n';
	}
	len--; /* no newline after the last line, as sd_notify sends it */
	if (notify_parse(msg, len, &m, &e) || notify_send(path, msg, len, &e))
		return keel_err("notify", path, &e);
	return 0;
}
