// SPDX-License-Identifier: MIT
/* keel bundle: pack a signed slot image into a streamable update bundle. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "launcher/commands.h"
#include "launcher/keel.h"
#include "lib/base/io.h"
#include "lib/update/bundle.h"

static const char usage[] =
    "keel bundle create IMAGE -o BUNDLE [--level N]   pack an image\n"
    "keel bundle inspect BUNDLE                       key=value lines\n";

static int
get(int fd, const char *path, void *p, size_t n, uint64_t off)
{
	int r = io_pread_full(fd, p, n, off, NULL);

	return r ? keel_errf("bundle create", path, "read: %s", io_strerror(r))
		 : 0;
}

/* The bundle of the image on fd into o->fd (FORMAT.md §4). */
static int
write_bundle(int fd, struct bundle_out *o, const char *path,
	     const struct img_meta *m, unsigned format, int level)
{
	uint32_t *words = NULL;
	struct kerr e = {0};
	int rc = 0;

	if (format == BUNDLE_FORMAT_2) {
		words = malloc(bundle_chunks(m->h.data_blocks) * 4 + 1);
		if (!words)
			return keel_errf("bundle create", path,
					 "out of memory");
	}
	if (bundle_write(o, fd, m, format, level, words, &e) < 0)
		rc = keel_err("bundle create", path, &e);
	free(words);
	return rc;
}

static int
bundle_create(int argc, char **argv)
{
	static const char help[] =
	    "keel bundle create IMAGE -o BUNDLE [--level N] [--format 1|2]\n"
	    "  Packs a slot image (signed or not: keel install checks) as\n"
	    "  its metadata block, its hash tree and its filesystem as an\n"
	    "  lz4 frame. --level: lz4 level, 0 fast (default) .. 12.\n"
	    "  Format 2 (the default) adds a header block and a block index,\n"
	    "  so that devices can fetch only the blocks they lack; it needs\n"
	    "  a file as BUNDLE. Format 1 (a stream, no index) is for devices\n"
	    "  whose keel predates format 2.\n";
	static const struct option opts[] = {
	    {"output", 1, 0, 'o'}, {"level", 1, 0, 'l'}, {"format", 1, 0, 'F'},
	    {"help", 0, 0, 'h'},   {0, 0, 0, 0},
	};
	static struct bundle_out o;
	const char *path = NULL;
	struct kerr e = {0};
	struct img_meta m;
	int c, fd, rc, level = 0, format = BUNDLE_FORMAT_2;

	while ((c = getopt_long(argc, argv, "o:l:h", opts, NULL)) != -1) {
		if (c == 'o')
			path = optarg;
		else if (c == 'F')
			format = atoi(optarg);
		else if (c == 'l')
			level = atoi(optarg);
		else if (c == 'h')
			return printf("usage: %s", help), 0;
		else
			return keel_usage(help);
	}
	if (optind != argc - 1 || !path || level < 0 || level > 12 ||
	    (format != BUNDLE_FORMAT_1 && format != BUNDLE_FORMAT_2))
		return keel_usage(help);
	fd = open(argv[optind], O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return keel_errf("bundle create", argv[optind], "open: %s",
				 strerror(errno));
	if (img_read(fd, &m, &e) < 0) {
		close(fd);
		return keel_err("bundle create", argv[optind], &e);
	}
	if (!strcmp(path, "-"))
		o.fd = STDOUT_FILENO;
	else
		o.fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (o.fd < 0) {
		close(fd);
		return keel_errf("bundle create", path, "open: %s",
				 strerror(errno));
	}
	rc = write_bundle(fd, &o, path, &m, (unsigned)format, level);
	close(fd);
	if (o.fd != STDOUT_FILENO && close(o.fd) < 0 && !rc)
		rc = keel_errf("bundle create", path, "close: %s",
			       strerror(errno));
	if (rc && o.fd != STDOUT_FILENO)
		unlink(path);
	return rc;
}

/* Prints what the bundle claims; nothing here is checked but the format. */
static int
bundle_inspect(int argc, char **argv)
{
	uint8_t blk[IMG_META_SIZE], hb[BUNDLE_HDR_SIZE];
	struct bundle_hdr bh = {0};
	struct kerr e = {0};
	struct img_meta m;
	char hex[65];
	int fd, v2;

	if (argc != 2 || argv[1][0] == '-')
		return keel_usage("keel bundle inspect BUNDLE\n");
	fd = open(argv[1], O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return keel_errf("bundle inspect", argv[1], "open: %s",
				 strerror(errno));
	if (get(fd, argv[1], blk, sizeof(blk), 0) ||
	    get(fd, argv[1], hb, sizeof(hb), IMG_META_SIZE)) {
		close(fd);
		return KEEL_EXIT_FAIL;
	}
	close(fd);
	if (img_meta_decode(blk, &m, &e) < 0)
		return keel_err("bundle inspect", argv[1], &e);
	v2 = !memcmp(hb, BUNDLE_HDR_MAGIC, 8);
	if (v2 && bundle_hdr_decode(hb, &m, &bh, &e) < 0)
		return keel_err("bundle inspect", argv[1], &e);
	printf("format=%d\n", v2 ? BUNDLE_FORMAT_2 : BUNDLE_FORMAT_1);
	if (v2)
		printf("lz4_blocks=%llu\nindex_offset=%llu\n"
		       "data_offset=%llu\nbundle_size=%llu\n",
		       (unsigned long long)bh.chunks,
		       (unsigned long long)bh.index_offset,
		       (unsigned long long)(bh.frame_offset +
					    bh.frame_header_size),
		       (unsigned long long)bh.bundle_size);
	printf("version=%llu\nepoch=%llu\nboard=%s\nname=%s\n",
	       (unsigned long long)m.h.version, (unsigned long long)m.h.epoch,
	       m.h.board, m.h.name);
	printf("data_blocks=%llu\nhash_blocks=%llu\nimage_size=%llu\n",
	       (unsigned long long)m.h.data_blocks,
	       (unsigned long long)m.h.hash_blocks,
	       (unsigned long long)(m.h.meta_offset + IMG_META_SIZE));
	text_hex(m.h.root, VERITY_DIGEST, hex);
	printf("root_hash=%s\nsignatures=%u\n", hex, m.nsig);
	img_digest(&m, blk);
	text_hex(blk, 32, hex);
	printf("header_sha256=%s\n", hex);
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
