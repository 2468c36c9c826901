// SPDX-License-Identifier: MIT
/* The container's network namespace: loopback up, its ports the app's. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "lib/container/container_priv.h"

static int
ctr_loopback_up(struct kerr *e)
{
	struct ifreq ifr;
	int s, rc = 0;

	s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return kerr_set(e, "loopback", "socket: %s",
				kerr_strerror(errno));
	memset(&ifr, 0, sizeof(ifr));
	memcpy(ifr.ifr_name, "lo", 3);
	if (ioctl(s, SIOCGIFFLAGS, &ifr) < 0)
		rc = kerr_set(e, "loopback", "lo: %s", kerr_strerror(errno));
	ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
	if (!rc && ioctl(s, SIOCSIFFLAGS, &ifr) < 0)
		rc = kerr_set(e, "loopback", "lo up: %s", kerr_strerror(errno));
	close(s);
	return rc;
}

/*
 * In the app's own network namespace every port is the app's: ports
 * below 1024 need no capability there (as in Docker's containers). The
 * sysctl is the namespace's own, read through the /proc of the caller's
 * mount namespace by a process in the new network namespace. A kernel
 * without it (before 4.11) keeps the floor.
 */
static int
ctr_ports_open(struct kerr *e)
{
	int fd = open(CTR_PORT_SYSCTL, O_WRONLY | O_CLOEXEC), rc = 0;

	if (fd < 0 && errno == ENOENT)
		return 0;
	if (fd < 0 || write(fd, "0\n", 2) != 2)
		rc = kerr_set(e, "network namespace", "%s: %s", CTR_PORT_SYSCTL,
			      kerr_strerror(errno));
	if (fd >= 0)
		close(fd);
	return rc;
}

int
ctr_net_setup(int ports, int lo, struct kerr *e)
{
	if (ports && ctr_ports_open(e))
		return -1;
	return lo ? ctr_loopback_up(e) : 0;
}

int
ctr_net_ahead(int syncfd, struct kerr *e)
{
	if (unshare(CLONE_NEWNET))
		return kerr_set(e, "network namespace", "%s",
				kerr_strerror(errno));
	if (ctr_net_setup(1, 1, e))
		return -1;
	if (write(syncfd, "n", 1) != 1)
		return kerr_set(e, "sync", "%s", kerr_strerror(errno));
	return 0;
}

int
ctr_net_join(const struct ctr_net *n, struct kerr *e)
{
	char b;

	if (n->keelfd < 0)
		return 0;
	/* EOF: keel could not make it (and says why), or is gone */
	if (read(n->syncfd, &b, 1) != 1 || b != 'n')
		return kerr_set(e, "network namespace", "not made");
	if (syscall(SYS_setns, n->keelfd, CLONE_NEWNET))
		return kerr_set(e, "network namespace", "join: %s",
				kerr_strerror(errno));
	close(n->syncfd);
	close(n->keelfd);
	return 0;
}
