/* SPDX-License-Identifier: MIT */
/* The device-mapper ioctl ABI (version 4), declared for musl builds. */
#ifndef KEEL_COMPAT_LINUX_DM_H
#define KEEL_COMPAT_LINUX_DM_H

#include <stdint.h>
#include <sys/ioctl.h>

#define DM_NAME_LEN 128
#define DM_UUID_LEN 129
#define DM_MAX_TYPE_NAME 16
#define DM_VERSION_MAJOR 4
#define DM_VERSION_MINOR 0
#define DM_VERSION_PATCHLEVEL 0

struct dm_ioctl {
	uint32_t version[3];
	uint32_t data_size;  /* whole buffer, this struct included */
	uint32_t data_start; /* offset of the payload from the struct */
	uint32_t target_count;
	int32_t open_count;
	uint32_t flags;
	uint32_t event_nr;
	uint32_t padding;
	uint64_t dev;
	char name[DM_NAME_LEN];
	char uuid[DM_UUID_LEN];
	char data[7];
};

struct dm_target_spec {
	uint64_t sector_start;
	uint64_t length;
	int32_t status;
	uint32_t next; /* offset of the next spec from this one */
	char target_type[DM_MAX_TYPE_NAME];
	/* NUL-terminated parameters follow */
};

#define DM_IOCTL 0xfd
enum {
	DM_VERSION_CMD = 0,
	DM_REMOVE_ALL_CMD,
	DM_LIST_DEVICES_CMD,
	DM_DEV_CREATE_CMD,
	DM_DEV_REMOVE_CMD,
	DM_DEV_RENAME_CMD,
	DM_DEV_SUSPEND_CMD,
	DM_DEV_STATUS_CMD,
	DM_DEV_WAIT_CMD,
	DM_TABLE_LOAD_CMD,
	DM_TABLE_CLEAR_CMD,
	DM_TABLE_DEPS_CMD,
	DM_TABLE_STATUS_CMD,
};
#define DM_VERSION _IOWR(DM_IOCTL, DM_VERSION_CMD, struct dm_ioctl)
#define DM_DEV_CREATE _IOWR(DM_IOCTL, DM_DEV_CREATE_CMD, struct dm_ioctl)
#define DM_DEV_REMOVE _IOWR(DM_IOCTL, DM_DEV_REMOVE_CMD, struct dm_ioctl)
#define DM_DEV_SUSPEND _IOWR(DM_IOCTL, DM_DEV_SUSPEND_CMD, struct dm_ioctl)
#define DM_TABLE_LOAD _IOWR(DM_IOCTL, DM_TABLE_LOAD_CMD, struct dm_ioctl)
#define DM_TABLE_STATUS _IOWR(DM_IOCTL, DM_TABLE_STATUS_CMD, struct dm_ioctl)

#define DM_READONLY_FLAG (1u << 0)
#define DM_SUSPEND_FLAG (1u << 1)
#define DM_STATUS_TABLE_FLAG (1u << 4)
#define DM_DEFERRED_REMOVE (1u << 17) /* remove on the last close */

#endif
