/* SPDX-License-Identifier: MIT */
/* keel run's image: opened once, verified, mapped read-only, mounted. */
#ifndef KEEL_RUN_MAP_H
#define KEEL_RUN_MAP_H

#include "lib/crypto/keyset.h"
#include "lib/image/image.h"

enum run_verify {
	RUN_VERIFY_AUTO,   /* verity where the kernel has it, else full */
	RUN_VERIFY_VERITY, /* dm-verity or a refusal */
	RUN_VERIFY_FULL,   /* the sealed private copy, checked whole */
};

struct run_map {
	int mnt;	      /* the image's mount, of no namespace, or -1 */
	char node[48];	      /* the dm device's node, while mounting */
	char dm_name[32];     /* the verity device (removed with the mount) */
	int node_dir;	      /* node is in a tmpfs of our own */
	enum run_verify mode; /* what was done: VERITY or FULL */
	struct img_meta meta; /* read once from the image, signatures checked */
};

/*
 * Opens image once (O_NOFOLLOW: the path itself, a regular file or a
 * block device), reads its metadata once and checks the signatures
 * against ks, and mounts the image read-only, nosuid, nodev as a mount
 * of no namespace (fsmount: m->mnt, a descriptor; the mount dies with
 * it, and with keel, unless a container took it): through dm-verity
 * where the kernel has it (mode AUTO or VERITY), else from a sealed
 * private copy checked whole (AUTO or FULL). Nothing is mounted from a
 * byte that was not checked, and no byte the check used is read from
 * the file again. 0, or -1 with e naming the step (nothing left mounted
 * or mapped).
 */
int run_map_image(const char *image, const struct keyset *ks,
		  enum run_verify mode, struct run_map *m, struct kerr *e);

/*
 * The image's /keel/config.json (resolved inside the image) into buf:
 * its length, or -1 with errno set (ENOENT: none; EFBIG: over cap).
 */
long run_map_config(const struct run_map *m, void *buf, size_t cap);

/*
 * Closes keel's descriptor of the mount: the mount, and with its last
 * copy the loop and dm devices, go unless a container has it. Once.
 */
void run_unmap_image(struct run_map *m);

#endif
