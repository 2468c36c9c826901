// SPDX-License-Identifier: MIT
/* Device-mapper: create, load and resume a read-only verity device. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "compat/linux_dm.h"
#include "lib/base/fmt.h"
#include "lib/base/text.h"
#include "lib/disk/dm.h"

/* One ioctl buffer: header, one target spec, its parameters. */
struct dm_buf {
	struct dm_ioctl io;
	struct dm_target_spec spec;
	char params[DM_PARAMS_MAX];
} __attribute__((aligned(8)));

static void
dm_init(struct dm_buf *b, const char *name)
{
	memset(b, 0, sizeof(*b));
	b->io.version[0] = DM_VERSION_MAJOR;
	b->io.version[1] = DM_VERSION_MINOR;
	b->io.version[2] = DM_VERSION_PATCHLEVEL;
	b->io.data_size = sizeof(*b);
	b->io.data_start = sizeof(b->io);
	fmt_sn(b->io.name, sizeof(b->io.name), "%s", name);
}

int
dm_verity_params(const struct img_header *h, const char *dev, char *out,
		 size_t cap)
{
	char root[2 * VERITY_DIGEST + 1], salt[2 * VERITY_MAX_SALT + 1];
	int n;

	text_hex(h->root, VERITY_DIGEST, root);
	text_hex(h->salt, h->salt_len, salt);
	n = fmt_sn(out, cap, "1 %s %s %d %d %llu %llu sha256 %s %s", dev, dev,
		   IMG_BLOCK, IMG_BLOCK, (unsigned long long)h->data_blocks,
		   (unsigned long long)(h->hash_offset / IMG_BLOCK), root,
		   h->salt_len ? salt : "-");
	return n < 0 || (size_t)n >= cap ? -1 : n;
}

int
dm_remove(dm_ioctl_fn io, int ctl_fd, const char *name, struct kerr *e)
{
	struct dm_buf b;

	dm_init(&b, name);
	if (io(ctl_fd, DM_DEV_REMOVE, &b) < 0)
		return kerr_set(e, "dm remove", "%s: %s", name,
				kerr_strerror(errno));
	return 0;
}

int
dm_remove_deferred(dm_ioctl_fn io, int ctl_fd, const char *name, struct kerr *e)
{
	struct dm_buf b;

	dm_init(&b, name);
	b.io.flags = DM_DEFERRED_REMOVE;
	if (io(ctl_fd, DM_DEV_REMOVE, &b) < 0)
		return kerr_set(e, "dm remove", "%s: %s", name,
				kerr_strerror(errno));
	return 0;
}

int
dm_create_ro(dm_ioctl_fn io, int ctl_fd, const char *name, const char *type,
	     uint64_t sectors, const char *params, uint64_t *devno,
	     struct kerr *e)
{
	struct dm_buf b;
	size_t plen = strlen(params);

	if (plen >= sizeof(b.params) || strlen(type) >= DM_MAX_TYPE_NAME)
		return kerr_set(e, "dm table", "parameters too long");
	dm_init(&b, name);
	if (io(ctl_fd, DM_DEV_CREATE, &b) < 0)
		return kerr_set(e, "dm create", "%s: %s", name,
				kerr_strerror(errno));

	dm_init(&b, name);
	b.io.flags = DM_READONLY_FLAG;
	b.io.target_count = 1;
	b.spec.sector_start = 0;
	b.spec.length = sectors;
	strcpy(b.spec.target_type, type);
	memcpy(b.params, params, plen + 1);
	/* The kernel wants the parameters NUL-padded to an 8-byte boundary. */
	b.spec.next = (uint32_t)((sizeof(b.spec) + plen + 1 + 7) & ~7u);
	b.io.data_size = (uint32_t)(sizeof(b.io) + b.spec.next);
	if (io(ctl_fd, DM_TABLE_LOAD, &b) < 0) {
		kerr_set(e, "dm table load", "%s: %s", name,
			 kerr_strerror(errno));
		goto undo;
	}
	dm_init(&b, name); /* no flags: resume */
	if (io(ctl_fd, DM_DEV_SUSPEND, &b) < 0) {
		kerr_set(e, "dm resume", "%s: %s", name, kerr_strerror(errno));
		goto undo;
	}
	*devno = b.io.dev;
	return 0;
undo:
	dm_remove(io, ctl_fd, name, NULL);
	return -1;
}

int
dm_verity_corrupted(dm_ioctl_fn io, int ctl_fd, const char *name,
		    struct kerr *e)
{
	struct dm_buf b;
	const char *status;

	dm_init(&b, name);
	if (io(ctl_fd, DM_TABLE_STATUS, &b) < 0)
		return kerr_set(e, "dm status", "%s: %s", name,
				kerr_strerror(errno));
	if (b.io.target_count != 1)
		return kerr_set(e, "dm status", "%s: no target", name);
	/* Status of a verity target: "V" (verified) or "C" (corrupted). */
	status = (const char *)&b + b.io.data_start + sizeof(b.spec);
	if (status >= (const char *)&b + sizeof(b))
		return kerr_set(e, "dm status", "%s: short status", name);
	return status[0] == 'C';
}

/* A decimal field value: 0 or -1. */
static int
uevent_num(const char *v, size_t n, uint64_t max, uint64_t *out)
{
	if (text_u64(v, n, out) < 0 || *out > max)
		return -1;
	return 0;
}

/* DM_VERITY_ERR_BLOCK_NR=TYPE,BLOCK */
static int
uevent_block(const char *v, size_t n, int *type, uint64_t *block)
{
	const char *comma = memchr(v, ',', n);
	uint64_t t;

	if (!comma || uevent_num(v, (size_t)(comma - v), 1, &t) < 0 ||
	    uevent_num(comma + 1, n - (size_t)(comma - v) - 1, UINT64_MAX,
		       block) < 0)
		return -1;
	*type = (int)t;
	return 0;
}

int
dm_verity_uevent(const char *msg, size_t len, unsigned major, unsigned minor,
		 int *type, uint64_t *block)
{
	enum { F_MAJOR = 1, F_MINOR = 2, F_BLOCK = 4 };
	const char *p = msg, *end = msg + len;
	uint64_t ma = 0, mi = 0;
	unsigned seen = 0;

	if (!len || len > DM_UEVENT_MAX || msg[len - 1] != 0)
		return -1;
	/* The header: "ACTION@DEVPATH" (libudev's own messages start
	 * "libudev" and carry no '@'). */
	if (!memchr(p, '@', strlen(p)))
		return -1;
	p += strlen(p) + 1;
	while (p < end) {
		size_t n = strlen(p);
		const char *eq = memchr(p, '=', n);
		size_t k = eq ? (size_t)(eq - p) : 0, v = n - k - 1;
		unsigned f = 0;
		int r = 0;

		if (!eq || !k)
			return -1;
		if (k == 5 && !memcmp(p, "MAJOR", 5)) {
			f = F_MAJOR;
			r = uevent_num(eq + 1, v, 0xfff, &ma);
		} else if (k == 5 && !memcmp(p, "MINOR", 5)) {
			f = F_MINOR;
			r = uevent_num(eq + 1, v, 0xfffff, &mi);
		} else if (k == 22 &&
			   !memcmp(p, "DM_VERITY_ERR_BLOCK_NR", 22)) {
			f = F_BLOCK;
			r = uevent_block(eq + 1, v, type, block);
		}
		if (r < 0 || (seen & f))
			return -1;
		seen |= f;
		p += n + 1;
	}
	return seen == (F_MAJOR | F_MINOR | F_BLOCK) && ma == major &&
	       mi == minor;
}
