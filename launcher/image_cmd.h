/* SPDX-License-Identifier: MIT */
/* The keel image subcommands shared between cmd_image.c and image_build.c. */
#ifndef KEEL_IMAGE_CMD_H
#define KEEL_IMAGE_CMD_H

#include "launcher/keel.h"
#include "lib/image/image.h"

int image_build(int argc, char **argv);

#endif
