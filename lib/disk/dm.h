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
