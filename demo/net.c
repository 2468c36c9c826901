// SPDX-License-Identifier: MIT
/* Brings an interface up with an IPv4 address and a default route. */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <net/route.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "demo/demo.h"

#define NET_WAIT_MS 2000 /* keel-init loaded the driver; probing may lag */

static int
set_in(struct sockaddr *sa, const char *text)
{
	struct sockaddr_in *in = (struct sockaddr_in *)sa;

	memset(in, 0, sizeof(*in));
	in->sin_family = AF_INET;
	return inet_pton(AF_INET, text, &in->sin_addr) == 1 ? 0 : -1;
}

static int
if_flags_up(int s, const char *ifname)
{
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (ioctl(s, SIOCGIFFLAGS, &ifr) < 0)
		return -1;
	ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
	return ioctl(s, SIOCSIFFLAGS, &ifr);
}

static int
if_wait(int s, const char *ifname)
{
	struct ifreq ifr;
	struct timespec ts = {0, 100 * 1000000};

	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	for (int ms = 0; ms < NET_WAIT_MS; ms += 100) {
		if (ioctl(s, SIOCGIFINDEX, &ifr) == 0)
			return 0;
		if (errno != ENODEV)
			return -1;
		nanosleep(&ts, NULL);
	}
	errno = ENODEV;
	return -1;
}

static int
if_addr(int s, const char *ifname, unsigned long req, const char *text)
{
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (set_in(&ifr.ifr_addr, text) < 0) {
		errno = EINVAL;
		return -1;
	}
	return ioctl(s, req, &ifr);
}

/* The default route through gw; one left from an earlier start is fine. */
static int
route_default(int s, const char *ifname, const char *gw)
{
	struct rtentry rt;
	char dev[IFNAMSIZ];

	memset(&rt, 0, sizeof(rt));
	snprintf(dev, sizeof(dev), "%s", ifname);
	set_in(&rt.rt_dst, "0.0.0.0");
	set_in(&rt.rt_genmask, "0.0.0.0");
	if (set_in(&rt.rt_gateway, gw) < 0) {
		errno = EINVAL;
		return -1;
	}
	rt.rt_flags = RTF_UP | RTF_GATEWAY;
	rt.rt_dev = dev;
	if (ioctl(s, SIOCADDRT, &rt) < 0 && errno != EEXIST)
		return -1;
	return 0;
}

int
net_up(const char *ifname, const char *addr, const char *mask, const char *gw)
{
	const char *step;
	int err;
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (s < 0) {
		demo_log("net: socket: %s", strerror(errno));
		return -1;
	}
	step = "loopback up";
	if (if_flags_up(s, "lo") < 0)
		goto fail;
	step = "no such interface";
	if (if_wait(s, ifname) < 0)
		goto fail;
	step = "address";
	if (if_addr(s, ifname, SIOCSIFADDR, addr) < 0)
		goto fail;
	step = "netmask";
	if (if_addr(s, ifname, SIOCSIFNETMASK, mask) < 0)
		goto fail;
	step = "up";
	if (if_flags_up(s, ifname) < 0)
		goto fail;
	step = "default route";
	if (gw[0] && route_default(s, ifname, gw) < 0)
		goto fail;
	close(s);
	demo_log("net: %s %s netmask %s%s%s", ifname, addr, mask,
		 gw[0] ? " via " : "", gw);
	return 0;
fail:
	err = errno;
	demo_log("net: %s: %s: %s", ifname, step, strerror(err));
	close(s);
	errno = err;
	return -1;
}
