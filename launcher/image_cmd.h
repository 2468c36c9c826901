/* SPDX-License-Identifier: MIT */
/* The keel image subcommands shared between cmd_image.c and image_build.c. */
#ifndef KEEL_IMAGE_CMD_H
#define KEEL_IMAGE_CMD_H

#include "launcher/keel.h"
#include "lib/image/image.h"

int image_build(int argc, char **argv);

/* Refuses a source keel cannot build from (an OCI image layout). Prints
 * the error; 0 or KEEL_EXIT_FAIL. */
int image_check_src(const char *src);

/*
 * Checks the staged tree root before it is sealed: its config's args[0]
 * and mount destinations, resolved inside root; warns about build-host
 * files. Prints; 0 or KEEL_EXIT_FAIL.
 */
int image_check_root(const char *src, const char *root);

/*
 * Prints the launch policy of a signed image in short (policy.* lines),
 * or one policy= line saying why it is not shown. 0 or KEEL_EXIT_FAIL.
 */
int image_inspect_policy(const char *image, const char *keys);

#endif
