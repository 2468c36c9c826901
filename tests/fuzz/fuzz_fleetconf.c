// SPDX-License-Identifier: MIT
/* libFuzzer target: the update agent's update.conf parser. */
#include <stdint.h>
#include <string.h>

#include "lib/update/fleet.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct fleet_conf c;

	if (fleet_conf_parse((const char *)data, size, &c, NULL) < 0)
		return 0;
	/* What was accepted obeys every rule the parser promises. */
	if (c.interval < FLEET_INTERVAL_MIN ||
	    c.interval > FLEET_INTERVAL_MAX || !c.retry ||
	    c.jitter > FLEET_JITTER_MAX || strlen(c.url) > HTTP_URL_MAX ||
	    strlen(c.report) > HTTP_URL_MAX ||
	    (c.reboot != FLEET_REBOOT_NOW && c.reboot != FLEET_REBOOT_APP &&
	     c.reboot != FLEET_REBOOT_WINDOW) ||
	    c.win_start >= FLEET_DAY || c.win_end >= FLEET_DAY ||
	    (!c.allow_http &&
	     (!strncmp(c.url, "http:", 5) || !strncmp(c.report, "http:", 5))))
		__builtin_trap();
	for (uint32_t f = 0; f < 40; f++)
		if (fleet_delay(&c, f, f * 2654435761u) == 0 ||
		    fleet_window_wait(&c, (uint64_t)f * 7919) >= FLEET_DAY)
			__builtin_trap();
	return 0;
}
