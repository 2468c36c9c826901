// SPDX-License-Identifier: MIT
/* The trust decision on a slot: signatures against the policy, then the tree.
 */
#include <string.h>

#include "lib/base/text.h"
#include "lib/image/image.h"

int
img_check_sigs(const struct img_meta *m, const struct keyset *ks,
	       struct kerr *e)
{
	unsigned count[KS_MAX_ROLES] = {0};
	uint8_t digest[32];
	char id[17];

	if (m->nsig == 0) {
		kerr_set(e, "signature", "image is unsigned");
		return 0;
	}
	img_digest(m, digest);
	for (unsigned i = 0; i < m->nsig; i++) {
		const struct img_sig *s = &m->sig[i];
		int r = ks_role_find(ks, s->role);
		int k = ks_key_find(ks, s->keyid);

		text_hex(s->keyid, 8, id); /* short form in messages */
		if (r < 0) {
			kerr_set(e, "signature",
				 "%s:%s: role not in the key set", s->role, id);
			return 0;
		}
		if (k < 0) {
			kerr_set(e, "signature",
				 "%s:%s: key not in the key set", s->role, id);
			return 0;
		}
		if (ks->key[k].role != (unsigned)r) {
			kerr_set(e, "signature", "%s:%s: key is not a %s key",
				 s->role, id, s->role);
			return 0;
		}
		for (unsigned j = 0; j < i; j++)
			if (!memcmp(m->sig[j].keyid, s->keyid, EC_KEYID_LEN)) {
				kerr_set(e, "signature",
					 "%s:%s: same key signed twice",
					 s->role, id);
				return 0;
			}
		if (ec_verify(ks->key[k].pub, digest, s->sig) != 1) {
			kerr_set(e, "signature", "%s:%s: does not verify",
				 s->role, id);
			return 0;
		}
		count[r]++;
	}
	for (unsigned r = 0; r < ks->nroles; r++)
		if (count[r] < ks->role[r].need) {
			kerr_set(e, "policy", "role %s has %u of %u signatures",
				 ks->role[r].name, count[r], ks->role[r].need);
			return 0;
		}
	return 1;
}

int
img_check_device(const struct img_header *h, const char *board, uint32_t arch,
		 uint64_t epoch_floor, struct kerr *e)
{
	if (board && board[0] && strcmp(board, h->board)) {
		kerr_set(e, "board", "image is for board '%s', this is '%s'",
			 h->board, board);
		return 0;
	}
	if (arch && h->arch != arch) {
		kerr_set(e, "arch", "image is for %s, this is %s",
			 img_arch_name(h->arch) ? img_arch_name(h->arch) : "?",
			 img_arch_name(arch) ? img_arch_name(arch) : "?");
		return 0;
	}
	if (h->epoch < epoch_floor) {
		kerr_set(e, "epoch",
			 "security epoch %llu is below the floor %llu",
			 (unsigned long long)h->epoch,
			 (unsigned long long)epoch_floor);
		return 0;
	}
	return 1;
}

int
img_verify(int fd, const struct keyset *ks, struct verity_work *w,
	   struct img_meta *m, struct kerr *e)
{
	struct verity_params p;

	if (img_read(fd, m, e) < 0)
		return 0;
	if (img_check_sigs(m, ks, e) != 1)
		return 0;
	p.data_blocks = m->h.data_blocks;
	p.hash_offset = m->h.hash_offset;
	p.salt = m->h.salt;
	p.salt_len = m->h.salt_len;
	return verity_check(fd, &p, w, m->h.root, e) == 1;
}
