// SPDX-License-Identifier: MIT
/* keel-init's one global: what it knows about the device and the app. */
#include "init/init.h"

struct init g = {
    .slot = -1,
    .force_slot = -1,
    .loop_fd = -1,
    .dm_ctl = -1,
};
