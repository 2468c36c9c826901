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
	int mnt_fd;	      /* the image's detached mount (fsmount(2)) */
	char node[48];	      /* the dm device's node, while mounting */
	char dm_name[32];     /* the verity device (removed with the mount) */
	int node_fd;	      /* node's detached tmpfs of our own, or -1 */
	enum run_verify mode; /* what was done: VERITY or FULL */
	struct img_meta meta; /* read once from the image, signatures checked */
};

/*
 * Opens image once (O_NOFOLLOW: the path itself, a regular file or a
 * block device), reads its metadata once and checks the signatures
 * against ks, and mounts the image read-only, nosuid, nodev as a
 * detached mount, m->mnt_fd (fsmount(2): in no namespace, on no
 * directory; it goes when its last descriptor closes, if keel is
 * killed too): through dm-verity where the kernel has it (mode AUTO or
 * VERITY), else from a sealed private copy checked whole (AUTO or
 * FULL). Nothing is mounted from a byte that was not checked, and no
 * byte the check used is read from the file again. 0, or -1 with e
 * naming the step (nothing left mounted or mapped).
 */
int run_map_image(const char *image, const struct keyset *ks,
		  enum run_verify mode, struct run_map *m, struct kerr *e);

/*
 * Closes m->mnt_fd: the mount goes unless a container has attached it
 * (ctr_spec.root_fd); the loop and dm devices go with the image's last
 * mount. Once; nothing to do after a failed run_map_image.
 */
void run_unmap_image(struct run_map *m);

#endif
