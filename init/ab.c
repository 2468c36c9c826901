// SPDX-License-Identifier: MIT
/* keel-init's side of the A/B record: which slot boots, what went wrong. */
#include <string.h>

#include "init/init.h"

/*
 * Until the state partition is read, slot A is the committed slot and the
 * floor is 0; a kernel command line keel.slot=a|b overrides the choice.
 */
static uint64_t floor_epoch;

int
init_state_load(void)
{
	return 0;
}

int
init_choose_slot(void)
{
	return g.force_slot >= 0 ? g.force_slot : 0;
}

uint64_t
init_floor(void)
{
	return floor_epoch;
}

void
init_slot_booting(int slot)
{
	(void)slot;
}

void
init_slot_failed(int slot, const char *why)
{
	(void)slot;
	(void)why;
}

void
init_app_healthy(void)
{
}
