/* SPDX-License-Identifier: MIT */
/* Where keel disk and keel qemu find a board's files in the build tree. */
#ifndef KEEL_BOARD_DIR_H
#define KEEL_BOARD_DIR_H

#include <stddef.h>

#include "lib/config/board.h"

/*
 * The build-tree directory of board name (vmlinux, initramfs.cpio,
 * board.conf): $KEEL_BOARD_DIR if set, else board/NAME next to the keel
 * binary. 0, or -1 when the path does not fit.
 */
int keel_board_dir(const char *name, char *dir, size_t cap);

/*
 * Reads and parses a board: name is a board name (its board.conf in the
 * build tree, else in the source tree above it) or a path to a
 * board.conf. Prints the error itself; returns 0 or KEEL_EXIT_FAIL.
 */
int keel_board_load(const char *name, const char *action, struct board *b);

#endif
