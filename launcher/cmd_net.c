// SPDX-License-Identifier: MIT
/* keel net: the device's network agent, a child keel-init supervises. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "compat/linux_netlink.h"
#include "launcher/commands.h"
#include "launcher/keel.h"
#include "launcher/net.h"
#include "lib/ipc/agentmsg.h"

#define NET_USAGE                                                              \
	"keel net --standalone|--status-fd N [--config FILE] [--resolv FILE] " \
	"[--floor SECONDS] [--clock set|measure] [--log-fd N]"
#define BCAST 0xffffffffu

struct net_agent net = {.status_fd = -1};

void
net_say(const char *fmt, ...)
{
	char line[400];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if (n > (int)sizeof(line) - 2)
		n = (int)sizeof(line) - 2;
	line[n++] = '\n';
	(void)!write(2, line, (size_t)n);
}

uint64_t
net_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

const char *
net_ip(uint32_t a, char *buf)
{
	netaddr_format(a, buf);
	return buf;
}

/* --- the configuration ---------------------------------------------------- */

/* Reads and parses one network.conf; -1 (and a line saying why) if bad. */
static int
load(int fd, const char *what, struct netconf *c)
{
	static char buf[NETCONF_FILE_MAX + 1];
	struct kerr e = {0};
	size_t n = 0;
	ssize_t r;

	while (n < sizeof(buf) &&
	       (r = read(fd, buf + n, sizeof(buf) - n)) != 0) {
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return net_say("%s: %s", what, strerror(errno)), -1;
		n += (size_t)r;
	}
	close(fd);
	if (netconf_parse(buf, n, c, &e) < 0)
		return net_say("%s: refused: %s", what, e.detail), -1;
	return 0;
}

/* The device's file wins when it is good; else the image's; else DHCP. */
static void
configure(int dflt, int over)
{
	if (over >= 0 &&
	    load(over, "network.conf (etc partition)", &net.conf) == 0)
		net_say("network.conf from the etc partition");
	else if (dflt >= 0 &&
		 load(dflt, "network.conf (image)", &net.conf) == 0)
		net_say("network.conf from the image%s",
			over >= 0 ? " (the device's was refused)" : "");
	else
		netconf_defaults(&net.conf);
	net.auto_if = net.conf.nif == 0;
	if (net.auto_if)
		net_say("DHCP on the first Ethernet interface");
	for (unsigned i = 0; i < net.conf.nif; i++) {
		net.ifs[i].cf = net.conf.ifs[i];
		net.ifs[i].fd = -1;
	}
	net.n = net.conf.nif;
}

/* --- what the app and keel-init see --------------------------------------- */

/* The first interface holding a lease, for DNS and NTP servers. */
static const struct dhcp_lease *
any_lease(void)
{
	for (unsigned i = 0; i < net.n; i++)
		if (net.ifs[i].cf.mode == NETCONF_DHCP && net.ifs[i].addr)
			return &net.ifs[i].dc.lease;
	return NULL;
}

static int
online(void)
{
	for (unsigned i = 0; i < net.n; i++)
		if (net.ifs[i].addr)
			return 1;
	return 0;
}

/* The servers and search domains for the app: the config's, else the
 * first lease's. */
static size_t
resolv_text(char *buf, size_t cap)
{
	const struct dhcp_lease *l = any_lease();
	unsigned nd = net.conf.ndns ? net.conf.ndns : l ? l->ndns : 0;
	char a[NETADDR_TEXT];
	size_t off, d = 0;

	net.dns_text[0] = 0;
	off = (size_t)snprintf(buf, cap,
			       "# written by keel net (docs/NETWORK.md)\n");
	for (unsigned i = 0; i < nd; i++) {
		net_ip(net.conf.ndns ? net.conf.dns[i] : l->dns[i], a);
		off += (size_t)snprintf(buf + off, cap - off, "nameserver %s\n",
					a);
		d +=
		    (size_t)snprintf(net.dns_text + d, sizeof(net.dns_text) - d,
				     "%s%s", i ? " " : "", a);
	}
	if (net.conf.nsearch) {
		off += (size_t)snprintf(buf + off, cap - off, "search");
		for (unsigned i = 0; i < net.conf.nsearch; i++)
			off += (size_t)snprintf(buf + off, cap - off, " %s",
						net.conf.search[i]);
		off += (size_t)snprintf(buf + off, cap - off, "\n");
	} else if (l && l->domain[0]) {
		off += (size_t)snprintf(buf + off, cap - off, "search %s\n",
					l->domain);
	}
	return off;
}

/* Rewritten in place (one write): the app's bind of the file shows the
 * change at once (a rename would leave the bind on the old file). */
static void
write_resolv(void)
{
	char buf[sizeof(net.resolv_text)];
	size_t n = resolv_text(buf, sizeof(buf));
	int fd;

	if (!net.resolv || !strcmp(buf, net.resolv_text))
		return;
	fd =
	    open(net.resolv, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0 || pwrite(fd, buf, n, 0) != (ssize_t)n ||
	    ftruncate(fd, (off_t)n) < 0)
		net_say("%s: %s", net.resolv, strerror(errno));
	else
		memcpy(net.resolv_text, buf, n + 1);
	if (fd >= 0)
		close(fd);
}

static void
time_servers(void)
{
	struct netconf_server s[SNTPC_SERVERS];
	const struct dhcp_lease *l = any_lease();
	unsigned n = 0;

	memset(s, 0, sizeof(s)); /* compared whole with the list held */
	if (net.conf.nntp) {
		n = net.conf.nntp;
		memcpy(s, net.conf.ntp, n * sizeof(s[0]));
	} else if (l) {
		for (; n < l->nntp && n < SNTPC_SERVERS; n++) {
			netaddr_format(l->ntp[n], s[n].host);
			s[n].port = NETCONF_NTP_PORT;
		}
	}
	sntpc_servers(&net.sn, s, n, online());
}

/* --- status lines for keel-init (docs/AGENTS.md) ---------------------------
 */

struct status_buf {
	char b[AGENTMSG_MAX];
	size_t n;
};

static void
status_flush(struct status_buf *s)
{
	/* Never blocks: keel-init reads when it can; a full socket loses
	 * this report, the next one carries every key again. */
	if (s->n && net.status_fd >= 0)
		(void)!send(net.status_fd, s->b, s->n,
			    MSG_DONTWAIT | MSG_NOSIGNAL);
	s->n = 0;
}

static void status_put(struct status_buf *s, const char *key, const char *fmt,
		       ...) __attribute__((format(__printf__, 3, 4)));
static void
status_put(struct status_buf *s, const char *key, const char *fmt, ...)
{
	char line[AGENTMSG_KEY_MAX + AGENTMSG_VAL_MAX + 4];
	va_list ap;
	int k = snprintf(line, sizeof(line), "%s=", key), v;

	va_start(ap, fmt);
	v = vsnprintf(line + k, sizeof(line) - (size_t)k - 1, fmt, ap);
	va_end(ap);
	if (k < 0 || v < 0 || k > AGENTMSG_KEY_MAX + 1)
		return;
	if (v > AGENTMSG_VAL_MAX)
		v = AGENTMSG_VAL_MAX;
	line[k + v] = '\n';
	if (s->n + (size_t)(k + v + 1) > sizeof(s->b))
		status_flush(s);
	memcpy(s->b + s->n, line, (size_t)(k + v + 1));
	s->n += (size_t)(k + v + 1);
}

static const char *
if_state(const struct netif *f)
{
	if (!f->index)
		return "absent";
	if (f->cf.mode == NETCONF_OFF)
		return "off";
	if ((f->flags & KEEL_IFF_LOWER_UP) == 0)
		return "no-carrier";
	if (f->cf.mode == NETCONF_STATIC)
		return f->addr ? "static" : "failed";
	return f->fd < 0 ? "failed" : dhcpc_state_name(f->dc.state);
}

/* Every key, each time: an empty value removes a key keel-init holds. */
static void
status(void)
{
	struct status_buf s = {.n = 0};
	char k[AGENTMSG_KEY_MAX + 1], v[AGENTMSG_VAL_MAX + 1], a[NETADDR_TEXT];

	for (unsigned i = 0; i < net.n; i++) {
		const struct netif *f = &net.ifs[i];
		const char *nm = f->cf.name;
		snprintf(k, sizeof(k), "if.%s.state", nm);
		status_put(&s, k, "%s", if_state(f));
		snprintf(v, sizeof(v), "%s/%u", net_ip(f->addr, a), f->prefix);
		snprintf(k, sizeof(k), "if.%s.address", nm);
		status_put(&s, k, "%s", f->addr ? v : "");
		snprintf(k, sizeof(k), "if.%s.gateway", nm);
		status_put(&s, k, "%s", f->gw ? net_ip(f->gw, a) : "");
		snprintf(v, sizeof(v), "%u", f->dc.lease.lease_s);
		snprintf(k, sizeof(k), "if.%s.lease_s", nm);
		status_put(&s, k, "%s",
			   f->cf.mode == NETCONF_DHCP && f->addr ? v : "");
	}
	status_put(&s, "dns", "%s", net.dns_text);
	status_put(&s, "ntp.state", "%s", net.sn.state);
	status_put(&s, "ntp.server", "%s", net.sn.synced ? net.sn.server : "");
	snprintf(v, sizeof(v), "%lld", (long long)net.sn.offset_ms);
	status_put(&s, "ntp.offset_ms", "%s", net.sn.synced ? v : "");
	snprintf(v, sizeof(v), "%lld", (long long)net.sn.last_s);
	status_put(&s, "ntp.last", "%s", net.sn.synced ? v : "");
	status_flush(&s);
}

/* --- the loop ----------------------------------------------------------------
 */

static void
refresh(void)
{
	if (!net.changed)
		return;
	net.changed = 0;
	write_resolv();
	time_servers();
	status();
}

static int
wait_ms(uint64_t now)
{
	uint64_t next = sntpc_next(&net.sn);

	for (unsigned i = 0; i < net.n; i++)
		if (net.ifs[i].fd >= 0 && dhcpc_next(&net.ifs[i].dc) < next)
			next = dhcpc_next(&net.ifs[i].dc);
	if (netlog_next(now) < next)
		next = netlog_next(now);
	if (next <= now)
		return 0;
	return next - now > 60000 ? 60000 : (int)(next - now);
}

/* TERM (keel-init's shutdown): release the leases and go. The addresses
 * stay until power off, for the app's last words. */
static int
stop(void)
{
	for (unsigned i = 0; i < net.n; i++)
		netif_release(&net.ifs[i]);
	net_say("stopped");
	return 0;
}

static int
loop(int sig)
{
	for (;;) {
		struct pollfd p[2 + NETCONF_IF_MAX + 2];
		struct netif *owner[2 + NETCONF_IF_MAX + 2] = {0};
		int n = 2, sntp = -1, lg = -1;

		refresh();
		p[0] = (struct pollfd){sig, POLLIN, 0};
		p[1] = (struct pollfd){net.rt.mon, POLLIN, 0};
		for (unsigned i = 0; i < net.n; i++)
			if (net.ifs[i].fd >= 0) {
				owner[n] = &net.ifs[i];
				p[n++] =
				    (struct pollfd){net.ifs[i].fd, POLLIN, 0};
			}
		if (sntpc_fd(&net.sn) >= 0) {
			sntp = n;
			p[n++] = (struct pollfd){sntpc_fd(&net.sn), POLLIN, 0};
		}
		if (netlog_fd(online()) >= 0) {
			lg = n;
			p[n++] = (struct pollfd){netlog_fd(1), POLLIN, 0};
		}
		if (poll(p, (nfds_t)n, wait_ms(net_now_ms())) < 0 &&
		    errno != EINTR)
			return net_say("poll: %s", strerror(errno)), 1;
		if (p[0].revents & POLLIN)
			return stop();
		if (p[1].revents & POLLIN)
			rtnl_events(&net.rt, netif_on_link, NULL);
		for (int i = 2; i < n; i++)
			if (owner[i] && (p[i].revents & POLLIN))
				netif_dhcp_input(owner[i]);
		if (lg >= 0 && (p[lg].revents & (POLLIN | POLLHUP | POLLERR)))
			netlog_input();
		if (sntp >= 0 && (p[sntp].revents & POLLIN) &&
		    sntpc_input(&net.sn, net_now_ms()))
			net.changed = 1;
		netif_dhcp_timers(net_now_ms());
		if (sntpc_tick(&net.sn, net_now_ms()))
			net.changed = 1;
	}
}

/* --- the command
 * -------------------------------------------------------------- */

struct net_opts {
	const char *config;
	int dflt, over;
	int64_t floor_s;
	int measure;	/* --clock measure */
	int logfd;	/* --log-fd: keel-init's log stream */
	int standalone; /* run by hand, not by keel-init */
};

static int
fd_arg(const char *s, int *fd)
{
	uint64_t v;

	if (text_u64(s, strlen(s), &v) < 0 || v < 3 || v > 1023 ||
	    fcntl((int)v, F_GETFD) < 0)
		return -1;
	*fd = (int)v;
	return 0;
}

static int
net_args(int argc, char **argv, struct net_opts *o)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		uint64_t u;

		if (!strcmp(a, "--standalone")) {
			o->standalone = 1;
			continue;
		}
		if (!v)
			return -1;
		i++;
		if (!strcmp(a, "--config"))
			o->config = v;
		else if (!strcmp(a, "--resolv"))
			net.resolv = v;
		else if (!strcmp(a, "--clock") &&
			 (!strcmp(v, "set") || !strcmp(v, "measure")))
			o->measure = v[0] == 'm';
		else if (!strcmp(a, "--floor") &&
			 text_u64(v, strlen(v), &u) == 0 && u < (1ull << 32))
			o->floor_s = (int64_t)u;
		else if (!((!strcmp(a, "--status-fd") &&
			    !fd_arg(v, &net.status_fd)) ||
			   (!strcmp(a, "--default-fd") &&
			    !fd_arg(v, &o->dflt)) ||
			   (!strcmp(a, "--override-fd") &&
			    !fd_arg(v, &o->over)) ||
			   (!strcmp(a, "--log-fd") && !fd_arg(v, &o->logfd))))
			return -1;
	}
	return 0;
}

int
cmd_net(int argc, char **argv)
{
	struct net_opts o = {NULL, -1, -1, 0, 0, -1, 0};
	sigset_t set;
	int sig;

	net.t0_ms = net_now_ms();
	if (argc == 2 && !strcmp(argv[1], "--help")) {
		printf("usage: %s\n\nThe device's network agent: keel-init "
		       "runs it (docs/NETWORK.md). By hand (--standalone) it\n"
		       "configures this machine's first Ethernet interface "
		       "and, without --clock measure,\nsets its clock: run "
		       "it in a network namespace of its own.\n",
		       NET_USAGE);
		return 0;
	}
	if (net_args(argc, argv, &o) < 0 ||
	    (net.status_fd < 0) == !o.standalone)
		return keel_usage(NET_USAGE);
	if (o.config && (o.dflt = open(o.config, O_RDONLY | O_CLOEXEC)) < 0)
		return keel_errf("net", o.config, "%s", strerror(errno));
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigprocmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	sig = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	configure(o.dflt, o.over);
	netlog_init(o.logfd);
	sntpc_init(&net.sn, o.floor_s, o.measure);
	if (sig < 0 || rtnl_open(&net.rt) < 0)
		return keel_errf("net", "netlink", "%s", strerror(errno));
	if (rtnl_links(&net.rt, netif_on_link, NULL) < 0)
		net_say("links: %s", strerror(errno));
	net.changed = 1;
	return loop(sig);
}
