// SPDX-License-Identifier: MIT
/* keel bundle: pack a signed slot image into a streamable update bundle. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <lz4frame.h>

#include "launcher/commands.h"
#include "launcher/keel.h"
#include "lib/base/io.h"
#include "lib/update/bundle.h"

static const char usage[] =
    "keel bundle create IMAGE -o BUNDLE [--level N]   pack an image\n"
    "keel bundle inspect BUNDLE                       key=value lines\n";

#define CHUNK (1024 * 1024) /* image bytes compressed per call */

/* The output file and the lz4 buffer that goes to it. */
struct out {
	int fd;
	const char *path;
	uint8_t *buf;
	size_t cap;
};

static int
put(struct out *o, const void *p, size_t n)
{
	const uint8_t *b = p;

	while (n) {
		ssize_t w = write(o->fd, b, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return keel_errf("bundle create", o->path, "write: %s",
					 strerror(errno));
		b += w;
		n -= (size_t)w;
	}
	return 0;
}

static int
get(int fd, const char *path, void *p, size_t n, uint64_t off)
{
	int r = io_pread_full(fd, p, n, off, NULL);

	return r ? keel_errf("bundle create", path, "read: %s", io_strerror(r))
		 : 0;
}

/* Copies [off, off + len) of the image verbatim. */
static int
copy_raw(int fd, const char *path, struct out *o, uint64_t off, uint64_t len)
{
	while (len) {
		size_t n = len < CHUNK ? (size_t)len : CHUNK;

		if (get(fd, path, o->buf, n, off) || put(o, o->buf, n))
			return KEEL_EXIT_FAIL;
		off += n;
		len -= n;
	}
	return 0;
}

/* The filesystem as one lz4 frame of independent 64 KiB blocks. */
static int
compress_data(int fd, const char *path, struct out *o, uint64_t bytes,
	      int level, uint8_t *chunk)
{
	LZ4F_preferences_t pr = {0};
	LZ4F_cctx *c;
	size_t r;
	int rc = KEEL_EXIT_FAIL;

	pr.frameInfo.blockSizeID = LZ4F_max64KB;
	pr.frameInfo.blockMode = LZ4F_blockIndependent;
	pr.frameInfo.contentSize = bytes;
	pr.compressionLevel = level;
	if (LZ4F_isError(LZ4F_createCompressionContext(&c, LZ4F_VERSION)))
		return keel_errf("bundle create", o->path, "lz4 context");
	r = LZ4F_compressBegin(c, o->buf, o->cap, &pr);
	if (LZ4F_isError(r) || put(o, o->buf, r))
		goto out;
	for (uint64_t off = 0; off < bytes; off += CHUNK) {
		size_t n = bytes - off < CHUNK ? (size_t)(bytes - off) : CHUNK;

		if (get(fd, path, chunk, n, off))
			goto out;
		r = LZ4F_compressUpdate(c, o->buf, o->cap, chunk, n, NULL);
		if (LZ4F_isError(r) || put(o, o->buf, r))
			goto out;
	}
	r = LZ4F_compressEnd(c, o->buf, o->cap, NULL);
	if (!LZ4F_isError(r) && !put(o, o->buf, r))
		rc = 0;
out:
	if (rc && LZ4F_isError(r))
		keel_errf("bundle create", o->path, "lz4: %s",
			  LZ4F_getErrorName(r));
	LZ4F_freeCompressionContext(c);
	return rc;
}

/* Metadata block, tree, lz4 frame: FORMAT.md §4. */
static int
write_bundle(int fd, const char *image, struct out *o, const struct img_meta *m,
	     int level)
{
	uint8_t *chunk = malloc(CHUNK);
	const struct img_header *h = &m->h;
	int rc = KEEL_EXIT_FAIL;

	o->cap = LZ4F_compressBound(CHUNK, NULL) + LZ4F_HEADER_SIZE_MAX;
	o->buf = malloc(o->cap < CHUNK ? CHUNK : o->cap);
	if (!chunk || !o->buf) {
		keel_errf("bundle create", o->path, "out of memory");
		goto out;
	}
	if (copy_raw(fd, image, o, h->meta_offset, IMG_META_SIZE) ||
	    copy_raw(fd, image, o, h->hash_offset, h->hash_blocks * IMG_BLOCK))
		goto out;
	rc = compress_data(fd, image, o, h->data_blocks * IMG_BLOCK, level,
			   chunk);
out:
	free(chunk);
	free(o->buf);
	return rc;
}

static int
bundle_create(int argc, char **argv)
{
	static const char help[] =
	    "keel bundle create IMAGE -o BUNDLE [--level N]\n"
	    "  Packs a slot image (signed or not: keel install checks) as\n"
	    "  its metadata block, its hash tree and its filesystem as an\n"
	    "  lz4 frame. --level: lz4 level, 0 fast (default) .. 12.\n";
	static const struct option opts[] = {
	    {"output", 1, 0, 'o'},
	    {"level", 1, 0, 'l'},
	    {"help", 0, 0, 'h'},
	    {0, 0, 0, 0},
	};
	struct out o = {.fd = -1};
	struct kerr e = {0};
	struct img_meta m;
	int c, fd, rc, level = 0;

	while ((c = getopt_long(argc, argv, "o:l:h", opts, NULL)) != -1) {
		if (c == 'o')
			o.path = optarg;
		else if (c == 'l')
			level = atoi(optarg);
		else if (c == 'h')
			return printf("usage: %s", help), 0;
		else
			return keel_usage(help);
	}
	if (optind != argc - 1 || !o.path || level < 0 || level > 12)
		return keel_usage(help);
	fd = open(argv[optind], O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return keel_errf("bundle create", argv[optind], "open: %s",
				 strerror(errno));
	if (img_read(fd, &m, &e) < 0) {
		close(fd);
		return keel_err("bundle create", argv[optind], &e);
	}
	if (!strcmp(o.path, "-"))
		o.fd = STDOUT_FILENO;
	else
		o.fd = open(o.path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
			    0644);
	if (o.fd < 0) {
		close(fd);
		return keel_errf("bundle create", o.path, "open: %s",
				 strerror(errno));
	}
	rc = write_bundle(fd, argv[optind], &o, &m, level);
	close(fd);
	if (o.fd != STDOUT_FILENO && close(o.fd) < 0 && !rc)
		rc = keel_errf("bundle create", o.path, "close: %s",
			       strerror(errno));
	if (rc && o.fd != STDOUT_FILENO)
		unlink(o.path);
	return rc;
}

/* Prints what the bundle claims; nothing here is checked but the format. */
static int
bundle_inspect(int argc, char **argv)
{
	uint8_t blk[IMG_META_SIZE];
	struct kerr e = {0};
	struct img_meta m;
	char hex[65];
	int fd;

	if (argc != 2 || argv[1][0] == '-')
		return keel_usage("keel bundle inspect BUNDLE\n");
	fd = open(argv[1], O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return keel_errf("bundle inspect", argv[1], "open: %s",
				 strerror(errno));
	if (get(fd, argv[1], blk, sizeof(blk), 0)) {
		close(fd);
		return KEEL_EXIT_FAIL;
	}
	close(fd);
	if (img_meta_decode(blk, &m, &e) < 0)
		return keel_err("bundle inspect", argv[1], &e);
	printf("version=%llu\nepoch=%llu\nboard=%s\nname=%s\n",
	       (unsigned long long)m.h.version, (unsigned long long)m.h.epoch,
	       m.h.board, m.h.name);
	printf("data_blocks=%llu\nhash_blocks=%llu\nimage_size=%llu\n",
	       (unsigned long long)m.h.data_blocks,
	       (unsigned long long)m.h.hash_blocks,
	       (unsigned long long)(m.h.meta_offset + IMG_META_SIZE));
	text_hex(m.h.root, VERITY_DIGEST, hex);
	printf("root_hash=%s\nsignatures=%u\n", hex, m.nsig);
	return 0;
}

int
cmd_bundle(int argc, char **argv)
{
	const char *sub = argc > 1 ? argv[1] : "";

	if (!strcmp(sub, "create"))
		return bundle_create(argc - 1, argv + 1);
	if (!strcmp(sub, "inspect"))
		return bundle_inspect(argc - 1, argv + 1);
	if (!strcmp(sub, "--help") || !strcmp(sub, "help")) {
		printf("usage: %s", usage);
		return 0;
	}
	return keel_usage(usage);
}
