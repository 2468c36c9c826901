/* SPDX-License-Identifier: MIT */
/* The netlink socket address and the kernel's uevent protocol, for musl. */
#ifndef KEEL_COMPAT_LINUX_NETLINK_H
#define KEEL_COMPAT_LINUX_NETLINK_H

#include <stdint.h>
#include <sys/socket.h>

#define NETLINK_KOBJECT_UEVENT 15
#define KEEL_UEVENT_GROUP_KERNEL 1u /* the kernel's broadcasts */

struct sockaddr_nl {
	sa_family_t nl_family; /* AF_NETLINK */
	unsigned short nl_pad;
	uint32_t nl_pid;    /* 0: the kernel */
	uint32_t nl_groups; /* multicast groups */
};

#endif
