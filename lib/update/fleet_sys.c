// SPDX-License-Identifier: MIT
/* The update agent's view of the device: keel-init's status lines. */
#include <string.h>

#include "lib/base/text.h"
#include "lib/update/fleet.h"

void
fleet_sys_init(struct fleet_sys *s)
{
	memset(s, 0, sizeof(*s));
	s->slot = -1;
	s->d.can_install = 1;
}

static int
u64(const char *v, uint64_t *out)
{
	return text_u64(v, strlen(v), out);
}

static int
slot_name(const char *v, char *out)
{
	if (strcmp(v, "a") && strcmp(v, "b"))
		return -1;
	*out = v[0];
	return 0;
}

/* slot.KEY of the slot block being read. */
static int
slot_key(struct fleet_sys *s, const char *k, const char *v)
{
	uint64_t x = 0;

	if (s->slot < 0)
		return -1;
	if (!strcmp(k, "trial")) {
		if (strcmp(v, "0") && strcmp(v, "1"))
			return -1;
		s->trial[s->slot] = v[0] == '1';
	} else if (!strcmp(k, "version")) {
		if (u64(v, &x) < 0)
			return -1;
		s->version[s->slot] = x;
	} else if (!strcmp(k, "fail_text")) {
		if (s->booted && s->slot != s->booted - 'a') {
			size_t n = strlen(v);
			n = n > FLEET_TEXT_MAX ? FLEET_TEXT_MAX : n;
			memcpy(s->last_fail, v, n);
			s->last_fail[n] = 0;
		}
	}
	return 0;
}

int
fleet_sys_line(struct fleet_sys *s, const char *k, const char *v)
{
	uint64_t x = 0;
	char c;

	if (!strncmp(k, "slot.", 5))
		return slot_key(s, k + 5, v);
	if (!strcmp(k, "slot")) {
		if (slot_name(v, &c) < 0)
			return -1;
		s->slot = c - 'a';
	} else if (!strcmp(k, "board")) {
		if (!*v || strlen(v) > MANIFEST_BOARD_MAX)
			return -1;
		strcpy(s->board, v);
	} else if (!strcmp(k, "running_version")) {
		if (u64(v, &s->running_version) < 0)
			return -1;
	} else if (!strcmp(k, "committed_version")) {
		if (u64(v, &s->d.committed_version) < 0)
			return -1;
		s->have_committed = 1;
	} else if (!strcmp(k, "floor")) {
		if (u64(v, &s->d.floor) < 0)
			return -1;
	} else if (!strcmp(k, "booted")) {
		return slot_name(v, &s->booted);
	} else if (!strcmp(k, "committed")) {
		return slot_name(v, &s->committed);
	} else if (!strcmp(k, "commit_pending")) {
		if (strcmp(v, "0") && strcmp(v, "1"))
			return -1;
		s->commit_pending = v[0] == '1';
	} else if (!strcmp(k, "update_target")) {
		s->target_none = !strcmp(v, "none");
	} else if (!strcmp(k, "failed_version")) {
		if (u64(v, &x) < 0)
			return -1;
		if (s->d.nfailed < FLEET_FAILED_MAX)
			s->d.failed[s->d.nfailed++] = x;
	}
	return 0;
}

int
fleet_sys_done(struct fleet_sys *s, const char *id)
{
	int other;

	if (!s->board[0] || !s->have_committed)
		return -1;
	s->d.board = s->board;
	s->d.id = id;
	s->d.pending_version = 0;
	s->d.can_install = !s->target_none && !s->commit_pending;
	/* A trial installed in the other slot waits for the reboot. */
	other = s->booted ? !(s->booted - 'a') : -1;
	if (other >= 0 && s->trial[other])
		s->d.pending_version = s->version[other];
	return 0;
}
