/* SPDX-License-Identifier: MIT */
/* Kernel UAPI for netlink, for musl: rtnetlink (links, addresses, routes)
 * and the kernel's uevents. */
#ifndef KEEL_COMPAT_LINUX_NETLINK_H
#define KEEL_COMPAT_LINUX_NETLINK_H

#include <stdint.h>
#include <sys/socket.h>

/* linux/netlink.h */
#define KEEL_NETLINK_ROUTE 0
#define NETLINK_KOBJECT_UEVENT 15
#define KEEL_UEVENT_GROUP_KERNEL 1u /* the kernel's broadcasts */

struct sockaddr_nl {
	sa_family_t nl_family; /* AF_NETLINK */
	unsigned short nl_pad;
	uint32_t nl_pid;    /* 0: the kernel */
	uint32_t nl_groups; /* multicast groups */
};

struct keel_sockaddr_nl {
	uint16_t nl_family; /* AF_NETLINK */
	uint16_t nl_pad;
	uint32_t nl_pid;
	uint32_t nl_groups;
};

struct keel_nlmsghdr {
	uint32_t nlmsg_len;
	uint16_t nlmsg_type;
	uint16_t nlmsg_flags;
	uint32_t nlmsg_seq;
	uint32_t nlmsg_pid;
};

struct keel_nlmsgerr {
	int error; /* 0: an ack; else -errno */
	struct keel_nlmsghdr msg;
};

#define KEEL_NLMSG_ALIGN(n) (((n) + 3u) & ~3u)
#define KEEL_NLMSG_HDRLEN 16u

#define KEEL_NLM_F_REQUEST 0x01
#define KEEL_NLM_F_MULTI 0x02
#define KEEL_NLM_F_ACK 0x04
#define KEEL_NLM_F_ROOT 0x100
#define KEEL_NLM_F_MATCH 0x200
#define KEEL_NLM_F_DUMP (KEEL_NLM_F_ROOT | KEEL_NLM_F_MATCH)
#define KEEL_NLM_F_REPLACE 0x100
#define KEEL_NLM_F_EXCL 0x200
#define KEEL_NLM_F_CREATE 0x400

#define KEEL_NLMSG_NOOP 1
#define KEEL_NLMSG_ERROR 2
#define KEEL_NLMSG_DONE 3

/* linux/rtnetlink.h */
#define KEEL_RTM_NEWLINK 16
#define KEEL_RTM_DELLINK 17
#define KEEL_RTM_GETLINK 18
#define KEEL_RTM_NEWADDR 20
#define KEEL_RTM_DELADDR 21
#define KEEL_RTM_NEWROUTE 24
#define KEEL_RTM_DELROUTE 25

#define KEEL_RTMGRP_LINK 1

struct keel_rtattr {
	uint16_t rta_len;
	uint16_t rta_type;
};
#define KEEL_RTA_ALIGN(n) (((n) + 3u) & ~3u)

struct keel_ifinfomsg {
	uint8_t ifi_family;
	uint8_t pad;
	uint16_t ifi_type; /* ARPHRD_* */
	int32_t ifi_index;
	uint32_t ifi_flags; /* IFF_* */
	uint32_t ifi_change;
};

#define KEEL_IFLA_ADDRESS 1
#define KEEL_IFLA_IFNAME 3
#define KEEL_IFLA_MTU 4
#define KEEL_IFLA_CARRIER 33

struct keel_ifaddrmsg {
	uint8_t ifa_family;
	uint8_t ifa_prefixlen;
	uint8_t ifa_flags;
	uint8_t ifa_scope;
	uint32_t ifa_index;
};

#define KEEL_IFA_ADDRESS 1
#define KEEL_IFA_LOCAL 2
#define KEEL_IFA_BROADCAST 4
#define KEEL_IFA_CACHEINFO 6

struct keel_ifa_cacheinfo {
	uint32_t ifa_prefered;
	uint32_t ifa_valid;
	uint32_t cstamp;
	uint32_t tstamp;
};

struct keel_rtmsg {
	uint8_t rtm_family;
	uint8_t rtm_dst_len;
	uint8_t rtm_src_len;
	uint8_t rtm_tos;
	uint8_t rtm_table;
	uint8_t rtm_protocol;
	uint8_t rtm_scope;
	uint8_t rtm_type;
	uint32_t rtm_flags;
};

#define KEEL_RTA_DST 1
#define KEEL_RTA_OIF 4
#define KEEL_RTA_GATEWAY 5
#define KEEL_RTA_PRIORITY 6
#define KEEL_RTA_PREFSRC 7

#define KEEL_RT_TABLE_MAIN 254
#define KEEL_RTPROT_BOOT 3
#define KEEL_RTPROT_STATIC 4
#define KEEL_RTPROT_DHCP 16
#define KEEL_RT_SCOPE_UNIVERSE 0
#define KEEL_RT_SCOPE_LINK 253
#define KEEL_RTN_UNICAST 1

/* linux/if_arp.h, linux/if.h (musl has net/if.h, but not IFF_LOWER_UP) */
#define KEEL_ARPHRD_ETHER 1
#define KEEL_ARPHRD_LOOPBACK 772
#define KEEL_IFF_UP 0x1
#define KEEL_IFF_LOOPBACK 0x8
#define KEEL_IFF_RUNNING 0x40
#define KEEL_IFF_LOWER_UP 0x10000

#endif
