// SPDX-License-Identifier: MIT
/* The network agent (keel net): its files, its configuration, its rights. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "init/init.h"
#include "lib/base/fmt.h"
#include "lib/base/text.h"
#include "lib/container/container.h" /* CTR_PORT_SYSCTL */

/*
 * keel net runs as NET_UID with CAP_NET_ADMIN (links, addresses,
 * routes), CAP_NET_BIND_SERVICE (DHCP's port 68) and CAP_SYS_TIME
 * (SNTP). It owns NET_DIR, where it rewrites resolv.conf in place; the
 * app sees that file read-only at /etc/resolv.conf. PID 1 opens its
 * configuration for it (it cannot read the etc partition) and hands it
 * the descriptors: 4 the image's /etc/keel/network.conf, 5 the device's
 * (the etc partition's upper layer), either absent; 6 a socket on which
 * PID 1 serves it the log (logsrv_agent, never blocking) for
 * network.conf's syslog= (keel net closes it without).
 */
#define NET_CAPS                                                               \
	((1ull << 10) | (1ull << 12) | (1ull << 25)) /* NET_BIND_SERVICE,      \
							NET_ADMIN, SYS_TIME */
#define NET_UID 64100 /* and gid: keel net's own, no file of the app's */
#define CONF_NAME "network.conf"

static int net_on;
static uint64_t log_sent; /* the last line keel net says it sent */
static int64_t synced_at; /* the last SNTP sync keel-init saved */

/* One end of a socket pair PID 1 serves as the agent's log stream
 * (logsrv_agent: from the line after the last one a previous run sent,
 * so a restart sends nothing twice) into *fd, or -1 (no socket, or
 * every reader busy: keel net is told). */
static void
log_stream(int *fd)
{
	int sp[2];

	*fd = -1;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) < 0) {
		klog("net: log stream: %s", kerr_strerror(errno));
		return;
	}
	logsrv_agent(sp[0], &log_sent); /* takes its own copy */
	close(sp[0]);
	*fd = sp[1];
}

static int
prepare(char **argv, int max, int *fds)
{
	static char floor[24];
	int n = 0;

	agent_open_confs(persist_etc_upper(), CONF_NAME, "net", fds);
	log_stream(&fds[2]);
	fmt_sn(floor, sizeof(floor), "%llu",
	       (unsigned long long)g.meta.h.build_time);
	argv[n++] = "--status-fd";
	argv[n++] = "3";
	argv[n++] = "--resolv";
	argv[n++] = NET_RESOLV;
	argv[n++] = "--floor";
	argv[n++] = floor;
	if (fds[0] >= 0) {
		argv[n++] = "--default-fd";
		argv[n++] = "4";
	}
	if (fds[1] >= 0) {
		argv[n++] = "--override-fd";
		argv[n++] = "5";
	}
	if (fds[2] >= 0) {
		argv[n++] = "--log-fd";
		argv[n++] = "6";
	}
	if (g.test) { /* a host's clock is not keel net's to set */
		argv[n++] = "--clock";
		argv[n++] = "measure";
	}
	return n <= max ? n : -1;
}

/* After each status change: a new SNTP sync is saved as the clock's
 * floor for the next boot. */
static void
on_status(const struct agentmsg_table *t)
{
	const char *last = agentmsg_get(t, "ntp.last");
	const char *state = agentmsg_get(t, "ntp.state");
	uint64_t v;

	if (!last || !state || strcmp(state, "synced") ||
	    text_u64(last, strlen(last), &v) < 0 || (int64_t)v == synced_at)
		return;
	synced_at = (int64_t)v;
	clock_save();
}

static const struct agent_def net_agent = {
    .name = "net",
    .log_src = LOGRING_NET,
    .caps = NET_CAPS,
    .uid = NET_UID,
    .gid = NET_UID,
    .prepare = prepare,
    .on_status = on_status,
};

/*
 * The device's network is the app's (it shares it unless its config asks
 * for one of its own): ports from the board's net.unprivileged_port_start
 * (0 by default) on need no capability, as in a container's own network
 * namespace under Docker. Not in --test: a host's network is not
 * keel-init's.
 */
static void
net_ports(void)
{
	char v[16];
	int fd, n;

	if (g.test)
		return;
	n = fmt_sn(v, sizeof(v), "%u\n", (unsigned)g.board.port_start);
	fd = open(CTR_PORT_SYSCTL, O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, v, (size_t)n) != n)
		klog("net: %s: %s", CTR_PORT_SYSCTL, kerr_strerror(errno));
	if (fd >= 0)
		close(fd);
}

/*
 * Before the app starts: the agent's directory and an empty resolv.conf
 * (the app's bind needs the file), then the agent. On a device, also
 * /etc/resolv.conf in keel-init's own root, for keel net's lookups of
 * NTP server names. A --test run starts it only when the board says
 * net=on (a host's network is not keel-init's to configure).
 */
void
net_start(void)
{
	int fd;

	net_ports();
	net_on = g.board.net == BOARD_NET_ON || (g.board.net == 0 && !g.test);
	if (!net_on) {
		klog("net: off (board)");
		return;
	}
	if ((mkdir(NET_DIR, 0755) < 0 && errno != EEXIST) ||
	    chown(NET_DIR, NET_UID, NET_UID) < 0)
		klog("net: %s: %s", NET_DIR, kerr_strerror(errno));
	fd =
	    open(NET_RESOLV, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
	/* fchown, without libc's /proc fallback for O_PATH descriptors */
	if (fd < 0 || syscall(SYS_fchown, fd, NET_UID, NET_UID) < 0)
		klog("net: %s: %s", NET_RESOLV, kerr_strerror(errno));
	if (fd >= 0)
		close(fd);
	if (!g.test) {
		mkdir("/etc", 0755);
		if (symlink(NET_RESOLV, "/etc/resolv.conf") < 0 &&
		    errno != EEXIST)
			klog("net: /etc/resolv.conf: %s", kerr_strerror(errno));
	}
	agent_add(&net_agent);
}

/* What the app gets at /etc/resolv.conf: keel net's file, unless the
 * app has a network of its own or its config mounts one there. */
const char *
net_resolv_conf(void)
{
	if (!net_on || (g.app.flags & (APPMSG_OWN_NET | APPMSG_MOUNTS_RESOLV)))
		return NULL;
	return NET_RESOLV;
}
