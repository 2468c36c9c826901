// SPDX-License-Identifier: MIT
/* The update manifest: a strict parser of its key=value lines. */
#include <stdio.h>
#include <string.h>

#include "lib/base/text.h"
#include "lib/crypto/sha256.h"
#include "lib/image/image.h"
#include "lib/update/manifest.h"

/* struct manifest_entry.seen */
enum {
	MF_VERSION = 1u << 0,
	MF_EPOCH = 1u << 1,
	MF_SIZE = 1u << 2,
	MF_URL = 1u << 3,
	MF_SHA = 1u << 4,
	MF_ROLLOUT = 1u << 5,
	MF_NEEDED = MF_VERSION | MF_EPOCH | MF_SIZE | MF_URL | MF_SHA,
};

static int
bad(struct kerr *e, unsigned line, const char *what)
{
	return kerr_set(e, "manifest", "line %u: %s", line, what);
}

/* A URL or reference: printable, no space, at most HTTP_URL_MAX. */
static int
url_ok(const char *v, size_t n)
{
	if (!n || n > HTTP_URL_MAX)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (v[i] <= 0x20 || v[i] >= 0x7f)
			return 0;
	return 1;
}

static int
hex_sha(const char *v, size_t n, uint8_t out[32])
{
	if (n != 64)
		return -1;
	for (size_t i = 0; i < 64; i++) {
		int c = v[i], d;

		if (c >= '0' && c <= '9')
			d = c - '0';
		else if (c >= 'a' && c <= 'f')
			d = c - 'a' + 10;
		else
			return -1;
		out[i / 2] = (uint8_t)(i % 2 ? out[i / 2] | d : d << 4);
	}
	return 0;
}

/* A number below 2^63 (versions, epochs), or within max. */
static int
num(const char *v, size_t n, uint64_t max, uint64_t *out)
{
	return text_u64(v, n, out) < 0 || *out > max ? -1 : 0;
}

/* One bundle.KEY line of entry x. */
static int
entry_key(struct manifest_entry *x, const char *k, size_t kn, const char *v,
	  size_t n, unsigned line, struct kerr *e)
{
	static const struct {
		const char *name;
		unsigned bit;
	} keys[] = {
	    {"version", MF_VERSION},   {"epoch", MF_EPOCH},
	    {"size", MF_SIZE},	       {"url", MF_URL},
	    {"header_sha256", MF_SHA}, {"rollout", MF_ROLLOUT},
	};
	uint64_t u;
	unsigned bit = 0;

	for (size_t i = 0; i < sizeof(keys) / sizeof(*keys); i++)
		if (strlen(keys[i].name) == kn && !memcmp(k, keys[i].name, kn))
			bit = keys[i].bit;
	if (!bit)
		return bad(e, line, "unknown key");
	if (x->seen & bit)
		return bad(e, line, "key given twice");
	x->seen |= bit;
	switch (bit) {
	case MF_VERSION:
		if (num(v, n, IMG_VERSION_MAX - 1, &x->version) < 0)
			return bad(e, line, "bad version");
		return 0;
	case MF_EPOCH:
		if (num(v, n, IMG_VERSION_MAX - 1, &x->epoch) < 0)
			return bad(e, line, "bad epoch");
		return 0;
	case MF_SIZE:
		if (num(v, n, MANIFEST_SIZE_MAX, &x->size) < 0 || !x->size)
			return bad(e, line, "bad size");
		return 0;
	case MF_URL:
		if (!url_ok(v, n))
			return bad(e, line, "bad url");
		memcpy(x->url, v, n);
		x->url[n] = 0;
		return 0;
	case MF_SHA:
		if (hex_sha(v, n, x->header_sha256) < 0)
			return bad(e, line,
				   "header_sha256 is not 64 hex digits");
		return 0;
	}
	if (num(v, n, 100, &u) < 0)
		return bad(e, line, "rollout is not 0 .. 100");
	x->rollout = (unsigned)u;
	return 0;
}

static int
board_ok(const char *v, size_t n)
{
	if (!n || n > MANIFEST_BOARD_MAX)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (v[i] < 0x20 || v[i] >= 0x7f)
			return 0;
	return 1;
}

/* A bundle=BOARD line: ends the entry before it, starts a new one. */
static int
new_entry(struct manifest *m, const char *v, size_t n, unsigned line,
	  struct kerr *e)
{
	struct manifest_entry *x;

	if (m->n && (m->e[m->n - 1].seen & MF_NEEDED) != MF_NEEDED)
		return bad(e, line, "the entry before lacks a required key");
	if (!board_ok(v, n))
		return bad(e, line, "bad board name");
	for (unsigned i = 0; i < m->n; i++)
		if (strlen(m->e[i].board) == n && !memcmp(m->e[i].board, v, n))
			return bad(e, line, "board named twice");
	if (m->n == MANIFEST_ENTRIES)
		return bad(e, line, "too many entries");
	x = &m->e[m->n++];
	memset(x, 0, sizeof(*x));
	memcpy(x->board, v, n);
	x->rollout = 100;
	return 0;
}

/* One line (without its newline). */
static int
one_line(struct manifest *m, const char *l, size_t n, unsigned line,
	 struct kerr *e)
{
	const char *eq = memchr(l, '=', n), *v;
	size_t kn, vn;

	for (size_t i = 0; i < n; i++)
		if ((unsigned char)l[i] < 0x20 || l[i] == 0x7f)
			return bad(e, line, "control byte");
	if (line == 1) {
		if (n != 15 || memcmp(l, "keel-manifest=", 14) || l[14] != '1')
			return bad(e, line, "not keel-manifest=1");
		m->format = MANIFEST_FORMAT;
		return 0;
	}
	if (!n || l[0] == '#')
		return 0;
	if (!eq)
		return bad(e, line, "no '='");
	kn = (size_t)(eq - l);
	v = eq + 1;
	vn = n - kn - 1;
	if (kn == 6 && !memcmp(l, "bundle", 6))
		return new_entry(m, v, vn, line, e);
	if (kn > 7 && !memcmp(l, "bundle.", 7)) {
		if (!m->n)
			return bad(e, line, "bundle key before bundle=");
		return entry_key(&m->e[m->n - 1], l + 7, kn - 7, v, vn, line,
				 e);
	}
	if (kn == 6 && !memcmp(l, "report", 6)) {
		if (m->n || m->report[0] || !url_ok(v, vn))
			return bad(e, line,
				   "report= once, before the bundles, a URL");
		memcpy(m->report, v, vn);
		m->report[vn] = 0;
		return 0;
	}
	return bad(e, line, "unknown key");
}

int
manifest_parse(const char *buf, size_t len, struct manifest *m, struct kerr *e)
{
	unsigned line = 0;
	size_t at = 0;

	memset(m, 0, sizeof(*m));
	if (len > MANIFEST_MAX)
		return kerr_set(e, "manifest", "over %d bytes", MANIFEST_MAX);
	if (!len || buf[len - 1] != '\n')
		return kerr_set(e, "manifest", "empty, or no final newline");
	while (at < len) {
		const char *nl = memchr(buf + at, '\n', len - at);
		size_t n = (size_t)(nl - (buf + at));

		if (n > MANIFEST_LINE_MAX)
			return bad(e, line + 1, "line too long");
		if (one_line(m, buf + at, n, ++line, e) < 0)
			return -1;
		at += n + 1;
	}
	if (m->n && (m->e[m->n - 1].seen & MF_NEEDED) != MF_NEEDED)
		return kerr_set(e, "manifest",
				"the last entry lacks a required key");
	return 0;
}

const struct manifest_entry *
manifest_find(const struct manifest *m, const char *board)
{
	for (unsigned i = 0; i < m->n; i++)
		if (!strcmp(m->e[i].board, board))
			return &m->e[i];
	return NULL;
}

unsigned
manifest_bucket(const char *device_id, uint64_t version)
{
	struct sha256 c;
	uint8_t d[SHA256_LEN], v[8];

	for (int i = 0; i < 8; i++)
		v[i] = (uint8_t)(version >> (8 * i));
	sha256_init(&c);
	sha256_update(&c, "keel-rollout", 12);
	sha256_update(&c, device_id, strlen(device_id) + 1);
	sha256_update(&c, v, sizeof(v));
	sha256_final(&c, d);
	return (unsigned)(((uint32_t)d[0] << 24 | (uint32_t)d[1] << 16 |
			   (uint32_t)d[2] << 8 | d[3]) %
			  100u);
}
