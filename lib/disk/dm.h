/* SPDX-License-Identifier: MIT */
/* dm-verity mappings through raw device-mapper ioctls (no libdevmapper). */
#ifndef KEEL_DM_H
#define KEEL_DM_H

#include <stddef.h>
#include <stdint.h>

#include "lib/base/err.h"
#include "lib/image/image.h"

#define DM_PARAMS_MAX 512 /* a verity table line with a 64-byte salt fits */

/* The ioctl call, replaceable so keel-init's tests can record it. */
typedef int (*dm_ioctl_fn)(int fd, unsigned long req, void *arg);

/*
 * The verity target's parameters, from signed header values only:
 * "1 DEV DEV 4096 4096 DATA_BLOCKS HASH_START_BLOCK sha256 ROOT SALT".
 * Returns the length, or -1 if cap is too small.
 */
int dm_verity_params(const struct img_header *h, const char *dev, char *out,
		     size_t cap);

/*
 * Creates the read-only device NAME with one target of TYPE over SECTORS
 * 512-byte sectors, loads PARAMS and resumes it. *devno gets the new
 * device's number. On failure the half-made device is removed. 0 or -1.
 */
int dm_create_ro(dm_ioctl_fn io, int ctl_fd, const char *name, const char *type,
		 uint64_t sectors, const char *params, uint64_t *devno,
		 struct kerr *e);

/* 1 if the verity device NAME has seen a corrupted block, 0 if not, -1. */
int dm_verity_corrupted(dm_ioctl_fn io, int ctl_fd, const char *name,
			struct kerr *e);

/*
 * One kernel uevent (a NETLINK_KOBJECT_UEVENT datagram of len bytes:
 * "ACTION@DEVPATH", then NUL-terminated KEY=VALUE fields). 1 if it is
 * dm-verity's report of a corrupted block of device MAJOR:MINOR: *type
 * (0 data, 1 hash tree) and *block set from DM_VERITY_ERR_BLOCK_NR; 0 for
 * any other event; -1 if malformed. Strict: decimal numbers without
 * leading zeros, each key at most once.
 */
#define DM_UEVENT_MAX 8192 /* the kernel's UEVENT_BUFFER_SIZE is 2048 */
int dm_verity_uevent(const char *msg, size_t len, unsigned major,
		     unsigned minor, int *type, uint64_t *block);

/* Removes device NAME. 0 or -1. */
int dm_remove(dm_ioctl_fn io, int ctl_fd, const char *name, struct kerr *e);

/*
 * Removes device NAME now if it is not open, else when its last opener
 * (e.g. the mount) closes it: a mapping that cannot outlive its mount.
 * 0 or -1.
 */
int dm_remove_deferred(dm_ioctl_fn io, int ctl_fd, const char *name,
		       struct kerr *e);

#endif
