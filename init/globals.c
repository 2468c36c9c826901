// SPDX-License-Identifier: MIT
/* keel-init's one global: what it knows about the device and the app. */
#include "init/init.h"

/* Zero (in .bss: it is large); globals_init sets what starts otherwise. */
struct init g;

void
globals_init(void)
{
	g.slot = -1;
	g.force_slot = -1;
	g.loop_fd = -1;
	g.dm_ctl = -1;
}
