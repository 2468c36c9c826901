/* SPDX-License-Identifier: MIT */
/* What keel installer and keel-init say to each other about one install. */
#ifndef KEEL_INSTALLER_H
#define KEEL_INSTALLER_H

#include <stdint.h>

/*
 * keel-init runs `keel installer` (launcher/cmd_installer.c) for each
 * update, with these descriptors: the control client (progress lines,
 * and want= lines to a client that serves ranges, lib/update/want.h),
 * the bundle stream, the target slot open read-write, one end of a
 * SOCK_SEQPACKET pair to keel-init, and the running slot open read-only
 * (the source of a delta install; closed when keel-init cannot open
 * it). Over the pair the installer sends datagrams, each one struct
 * installer_msg or, for INSTALLER_ERROR, the kind byte and then the
 * reason as text (at most INSTALLER_REASON_MAX bytes, no NUL):
 *   PREPARE  every check of the header passed, nothing written yet; it
 *            waits for one byte: 0 = the slot is marked not bootable,
 *            write; anything else = refused, write nothing
 *   DONE     the image is written, read back and synced
 *   ERROR    the reason it failed
 * version, epoch and digest (SHA-256 of the signed header, img_digest)
 * name the image. keel-init trusts none of it: it refuses at PREPARE an
 * image that failed before, and after DONE and exit 0 it reads the
 * slot's header itself and checks signatures, board, arch, version,
 * epoch and that the digest is the one announced before it makes the
 * slot a trial.
 */
#define INSTALLER_PREPARE 'P'
#define INSTALLER_DONE 'D'
#define INSTALLER_ERROR 'E'
#define INSTALLER_REASON_MAX 240

struct installer_msg {
	char kind;
	char pad[7];
	uint64_t version, epoch;
	uint8_t digest[32];
};

/* Its descriptors, and its exit codes: 0 installed, 1 refused with the
 * slot untouched, 2 failed after the slot was written to. */
#define INSTALLER_FD_CLIENT 4
#define INSTALLER_FD_BUNDLE 5
#define INSTALLER_FD_SLOT 6
#define INSTALLER_FD_INIT 7
#define INSTALLER_FD_FROM 8 /* the running slot, read-only, or closed */
#define INSTALLER_REFUSED 1
#define INSTALLER_FAILED 2
/* A client that sends no byte of the bundle (or takes no want= line)
 * for this long has the install abandoned: the installer ends like on
 * any failed read (lib/update/want.h). keel-test waits 2 s instead. */
#define INSTALLER_IDLE_MS 60000

#endif
