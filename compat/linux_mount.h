/* SPDX-License-Identifier: MIT */
/* Kernel UAPI for openat2 and the descriptor-based mount calls. */
#ifndef KEEL_COMPAT_LINUX_MOUNT_H
#define KEEL_COMPAT_LINUX_MOUNT_H

#include <stdint.h>

/* openat2(2): struct open_how and its resolve flags */
struct keel_open_how {
	uint64_t flags;
	uint64_t mode;
	uint64_t resolve;
};

#define KEEL_RESOLVE_NO_XDEV 0x01
#define KEEL_RESOLVE_NO_MAGICLINKS 0x02
#define KEEL_RESOLVE_NO_SYMLINKS 0x04
#define KEEL_RESOLVE_BENEATH 0x08
#define KEEL_RESOLVE_IN_ROOT 0x10

/* open_tree(2), move_mount(2) */
#define KEEL_OPEN_TREE_CLONE 1
#define KEEL_MOVE_MOUNT_F_EMPTY_PATH 0x04
#define KEEL_MOVE_MOUNT_T_EMPTY_PATH 0x40

/* fsopen(2), fsconfig(2), fsmount(2) */
#define KEEL_FSOPEN_CLOEXEC 1
#define KEEL_FSCONFIG_SET_FLAG 0
#define KEEL_FSCONFIG_SET_STRING 1
#define KEEL_FSCONFIG_CMD_CREATE 6
#define KEEL_FSMOUNT_CLOEXEC 1

/* mount_setattr(2), and the attributes fsmount(2) takes */
struct keel_mount_attr {
	uint64_t attr_set;
	uint64_t attr_clr;
	uint64_t propagation;
	uint64_t userns_fd;
};

#define KEEL_MOUNT_ATTR_RDONLY 0x01
#define KEEL_MOUNT_ATTR_NOSUID 0x02
#define KEEL_MOUNT_ATTR_NODEV 0x04
#define KEEL_MOUNT_ATTR_NOEXEC 0x08
#define KEEL_MOUNT_ATTR__ATIME 0x70
#define KEEL_MOUNT_ATTR_RELATIME 0x00
#define KEEL_MOUNT_ATTR_NOATIME 0x10
#define KEEL_MOUNT_ATTR_STRICTATIME 0x20
#define KEEL_MOUNT_ATTR_NODIRATIME 0x80

#endif
