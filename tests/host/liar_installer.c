// SPDX-License-Identifier: MIT
/* A `keel installer` that lies to keel-init (tests/host/installer.sh). */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lib/update/bundle.h"
#include "lib/update/installer.h"

/*
 * Run by keel-init --test as the keel next to it. It ignores the stream
 * and follows PLAN (a file of three lines: what, bundle, image):
 * installs BUNDLE into the slot (any version, any board), announces to
 * keel-init the image IMAGE (the digest of its signed header), says it
 * is done with the same, and exits 0. what: "as-is", or "badsig" (the
 * first signature in the slot's metadata is flipped after the install).
 * Any other command (keel app, which starts the app) is the real keel's.
 */
#ifndef LIAR_PLAN
#error "LIAR_PLAN: the path of the plan"
#endif
#ifndef LIAR_KEEL
#error "LIAR_KEEL: the path of the real keel"
#endif

static struct installer_msg announce;

static int
prepare(void *ctx, const struct img_meta *m, struct kerr *e)
{
	uint8_t ok = 1;

	if (send(INSTALLER_FD_INIT, &announce, sizeof(announce), 0) !=
		sizeof(announce) ||
	    recv(INSTALLER_FD_INIT, &ok, 1, 0) != 1 || ok)
		return kerr_set(e, "state", "keel-init refused the mark");
	return 0;
}

static int
line(FILE *f, char *buf, size_t cap)
{
	if (!fgets(buf, (int)cap, f))
		return -1;
	buf[strcspn(buf, "\n")] = 0;
	return 0;
}

int
main(int argc, char **argv)
{
	static struct bundle_work w;
	static struct keyset ks;
	char what[32], bundle[512], image[512];
	struct bundle_policy pol = {.ks = &ks, .flags = BUNDLE_ALLOW_DOWNGRADE};
	struct bundle_hooks hooks = {prepare, NULL, NULL};
	struct kerr e = {0};
	struct img_meta m;
	FILE *f = fopen(LIAR_PLAN, "r");
	int bfd, ifd;

	if (argc >= 2 && strcmp(argv[1], "installer"))
		return execv(LIAR_KEEL, argv), 3;
	if (argc < 2 || !f || line(f, what, sizeof(what)) ||
	    line(f, bundle, sizeof(bundle)) || line(f, image, sizeof(image)))
		return 3;
	bfd = open(bundle, O_RDONLY);
	ifd = open(image, O_RDONLY);
	if (bfd < 0 || ifd < 0 || ks_load_baked(&ks, &e) < 0 ||
	    img_read(ifd, &m, &e) < 0)
		return fprintf(stderr, "liar: %s %s\n", e.check, e.detail), 3;
	announce.kind = INSTALLER_PREPARE;
	announce.version = m.h.version;
	announce.epoch = m.h.epoch;
	img_digest(&m, announce.digest);
	if (bundle_install(bundle_read_fd, &bfd, INSTALLER_FD_SLOT, &pol,
			   &hooks, &w, &m, &e) < 0)
		return fprintf(stderr, "liar: %s %s\n", e.check, e.detail), 2;
	if (!strcmp(what, "badsig")) {
		uint8_t b;
		off_t at = (off_t)m.h.meta_offset + 528 + 64;

		if (pread(INSTALLER_FD_SLOT, &b, 1, at) != 1)
			return 2;
		b ^= 0x55;
		if (pwrite(INSTALLER_FD_SLOT, &b, 1, at) != 1)
			return 2;
	}
	fsync(INSTALLER_FD_SLOT);
	announce.kind = INSTALLER_DONE;
	send(INSTALLER_FD_INIT, &announce, sizeof(announce), 0);
	return 0;
}
