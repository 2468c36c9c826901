// SPDX-License-Identifier: MIT
/* keel disk: assembles a board's GPT disk image from slot images. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "launcher/board_dir.h"
#include "launcher/commands.h"
#include "launcher/keel.h"
#include "lib/base/bytes.h"
#include "lib/base/io.h"
#include "lib/disk/gpt.h"
#include "lib/image/image.h"

#define ACTION "disk"
#define COPY_CHUNK (1 << 20)

static const char usage[] =
    "usage: keel disk [--board NAME|PATH] --slot-a IMAGE [--slot-b IMAGE] "
    "-o DISK\n"
    "  A new DISK gets the board's GPT, the slot images and empty ext4\n"
    "  etc and var partitions. An existing DISK with the same layout\n"
    "  only has the given slots rewritten; nothing else is touched.\n"
    "  Slot size: part.a and part.b in board.conf (docs/BOARD.md). Pick\n"
    "  the largest image you will ship (keel image inspect: image_size)\n"
    "  plus headroom for later releases; both slots must hold any\n"
    "  release, since an update writes the other one.\n";

static uint8_t chunk[COPY_CHUNK];

/* Whole transfers; -1 with errno set (EIO for a short read). */
static int
full_pwrite(int fd, const void *buf, size_t n, uint64_t off)
{
	int r = io_pwrite_full(fd, buf, n, off, NULL);

	errno = -r;
	return r ? -1 : 0;
}

static int
full_pread(int fd, void *buf, size_t n, uint64_t off)
{
	int r = io_pread_full(fd, buf, n, off, NULL);

	errno = r == -ENODATA ? EIO : -r;
	return r ? -1 : 0;
}

static int
random_guid(uint8_t g[16])
{
	if (getrandom(g, 16, 0) != 16)
		return -1;
	g[7] = (uint8_t)((g[7] & 0x0f) | 0x40);
	g[8] = (uint8_t)((g[8] & 0x3f) | 0x80);
	return 0;
}

/* Opens a slot image and checks its footer names its own size. */
static int
open_image(const char *path, uint64_t room, uint64_t *size)
{
	uint8_t f[IMG_FOOTER_SIZE];
	struct stat st;
	uint64_t claimed;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return keel_errf(ACTION, path, "%s", strerror(errno)), -1;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) ||
	    st.st_size < IMG_META_SIZE) {
		keel_errf(ACTION, path, "not a slot image file");
		goto fail;
	}
	*size = (uint64_t)st.st_size;
	if (full_pread(fd, f, sizeof(f), *size - sizeof(f)))
		goto fail;
	memcpy(&claimed, f + 16, 8); /* little-endian hosts only */
	if (memcmp(f, "KEELFTR1", 8) || claimed != *size) {
		keel_errf(ACTION, path, "no keel image footer at its end");
		goto fail;
	}
	if (*size > room) {
		keel_errf(ACTION, path,
			  "%llu bytes do not fit a %llu-byte slot (raise "
			  "part.a and part.b in the board's board.conf to at "
			  "least %llu MiB: the largest image plus room for "
			  "the next releases, e.g. 1.5x)",
			  (unsigned long long)*size, (unsigned long long)room,
			  (unsigned long long)((*size + (1 << 20) - 1) >> 20));
		goto fail;
	}
	return fd;
fail:
	close(fd);
	return -1;
}

/*
 * Copies the image into the partition (skipping zero chunks: the range
 * was punched or is new, so the disk stays sparse), then writes the
 * image's footer again at the partition's last 64 bytes.
 */
static int
write_slot(int disk, const struct gpt_part *p, const char *path)
{
	uint64_t off = p->first * GPT_SECTOR;
	uint64_t len = (p->last - p->first + 1) * GPT_SECTOR, size, pos;
	int fd = open_image(path, len, &size);

	if (fd < 0)
		return -1;
	if (fallocate(disk, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
		      (off_t)off, (off_t)len)) {
		keel_errf(ACTION, p->name, "clearing the slot: %s",
			  strerror(errno));
		goto fail;
	}
	for (pos = 0; pos < size; pos += COPY_CHUNK) {
		size_t n = size - pos < COPY_CHUNK ? size - pos : COPY_CHUNK;

		if (full_pread(fd, chunk, n, pos)) {
			keel_errf(ACTION, path, "%s", strerror(errno));
			goto fail;
		}
		if (!bytes_zero(chunk, n) &&
		    full_pwrite(disk, chunk, n, off + pos))
			goto wfail;
	}
	if (full_pread(fd, chunk, IMG_FOOTER_SIZE, size - IMG_FOOTER_SIZE)) {
		keel_errf(ACTION, path, "%s", strerror(errno));
		goto fail;
	}
	if (full_pwrite(disk, chunk, IMG_FOOTER_SIZE,
			off + len - IMG_FOOTER_SIZE))
		goto wfail;
	close(fd);
	return 0;
wfail:
	keel_errf(ACTION, p->name, "write: %s", strerror(errno));
fail:
	close(fd);
	return -1;
}

/* mkfs.ext4 inside the partition, at its offset in the disk file. */
static int
make_ext4(const char *disk, const struct gpt_part *p)
{
	char ext[96], size[32];
	uint64_t off = p->first * GPT_SECTOR;
	uint64_t len = (p->last - p->first + 1) * GPT_SECTOR;
	int status;
	pid_t pid;

	snprintf(ext, sizeof(ext), "offset=%llu,nodiscard,root_owner=0:0",
		 (unsigned long long)off);
	snprintf(size, sizeof(size), "%lluk", (unsigned long long)len / 1024);
	pid = fork();
	if (pid < 0)
		return keel_errf(ACTION, disk, "fork: %s", strerror(errno)), -1;
	if (pid == 0) {
		/* clang-format off */
		char *const argv[] = { "mkfs.ext4", "-q", "-F", "-m", "0",
			"-L", (char *)p->name, "-E", ext, (char *)disk, size,
			NULL };
		/* clang-format on */

		execvp("mkfs.ext4", argv);
		execv("/usr/sbin/mkfs.ext4", argv);
		execv("/sbin/mkfs.ext4", argv);
		fprintf(stderr, "keel: disk: mkfs.ext4: %s\n", strerror(errno));
		_exit(127);
	}
	if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) ||
	    WEXITSTATUS(status))
		return keel_errf(ACTION, p->name, "mkfs.ext4 failed"), -1;
	return 0;
}

static int
layout(const struct board *b, struct gpt_disk *d)
{
	uint64_t sizes[BOARD_NPART];
	struct kerr e = {0};

	memset(d, 0, sizeof(*d));
	for (unsigned i = 0; i < BOARD_NPART; i++) {
		if (b->part[i].name[0] == '/' || !b->part[i].size)
			return keel_errf(ACTION, b->name,
					 "part.%s has no GPT name and size",
					 board_part_role(i));
		sizes[i] = b->part[i].size;
	}
	if (gpt_layout(d, sizes, BOARD_NPART, &e))
		return keel_err(ACTION, b->name, &e);
	if (random_guid(d->guid))
		return keel_errf(ACTION, "getrandom", "%s", strerror(errno));
	for (unsigned i = 0; i < BOARD_NPART; i++) {
		memcpy(d->part[i].type, gpt_type_linux, 16);
		strcpy(d->part[i].name, b->part[i].name);
		if (random_guid(d->part[i].uuid))
			return keel_errf(ACTION, "getrandom", "%s",
					 strerror(errno));
	}
	return 0;
}

static int
write_table(int fd, const struct gpt_disk *d, const char *path)
{
	static uint8_t mbr[GPT_SECTOR], pri[GPT_SECTOR], bak[GPT_SECTOR];
	static uint8_t arr[GPT_ARRAY_BYTES];
	uint64_t end = d->sectors * GPT_SECTOR;
	struct kerr e = {0};

	if (gpt_encode(d, mbr, pri, arr, bak, &e))
		return keel_err(ACTION, path, &e);
	if (ftruncate(fd, (off_t)end) || full_pwrite(fd, mbr, GPT_SECTOR, 0) ||
	    full_pwrite(fd, pri, GPT_SECTOR, GPT_SECTOR) ||
	    full_pwrite(fd, arr, GPT_ARRAY_BYTES, 2 * GPT_SECTOR) ||
	    full_pwrite(fd, arr, GPT_ARRAY_BYTES,
			end - GPT_SECTOR - GPT_ARRAY_BYTES) ||
	    full_pwrite(fd, bak, GPT_SECTOR, end - GPT_SECTOR))
		return keel_errf(ACTION, path, "write: %s", strerror(errno));
	return 0;
}

/* An existing disk must carry exactly the board's partitions. */
static int
read_table(int fd, const struct board *b, struct gpt_disk *d, const char *path)
{
	static uint8_t pri[GPT_SECTOR], arr[GPT_ARRAY_BYTES];
	struct gpt_disk want;
	struct kerr e = {0};
	struct stat st;

	if (fstat(fd, &st) || !S_ISREG(st.st_mode) ||
	    full_pread(fd, pri, GPT_SECTOR, GPT_SECTOR) ||
	    full_pread(fd, arr, GPT_ARRAY_BYTES, 2 * GPT_SECTOR))
		return keel_errf(ACTION, path, "not a readable disk file");
	if (gpt_decode(pri, arr, (uint64_t)st.st_size / GPT_SECTOR, d, &e))
		return keel_err(ACTION, path, &e);
	if (layout(b, &want))
		return KEEL_EXIT_FAIL;
	for (unsigned i = 0; i < BOARD_NPART; i++) {
		int k = gpt_find(d, want.part[i].name);

		if (k < 0 || d->part[k].first != want.part[i].first ||
		    d->part[k].last != want.part[i].last)
			return keel_errf(ACTION, path,
					 "partition %s differs from board %s "
					 "(refusing to touch this disk)",
					 want.part[i].name, b->name);
	}
	return 0;
}

static int
part_of(const struct gpt_disk *d, const struct board *b, unsigned role)
{
	return gpt_find(d, b->part[role].name);
}

static int
create(const struct board *b, const char *out, const char *slot_a,
       const char *slot_b)
{
	char tmp[PATH_MAX];
	struct gpt_disk d;
	int fd, rc = KEEL_EXIT_FAIL;

	if (layout(b, &d))
		return KEEL_EXIT_FAIL;
	if (snprintf(tmp, sizeof(tmp), "%s.tmp", out) >= (int)sizeof(tmp))
		return keel_errf(ACTION, out, "path too long");
	fd = open(tmp, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return keel_errf(ACTION, tmp, "%s", strerror(errno));
	if (write_table(fd, &d, tmp) ||
	    write_slot(fd, &d.part[BOARD_PART_A], slot_a) ||
	    (slot_b && write_slot(fd, &d.part[BOARD_PART_B], slot_b)))
		goto out;
	if (fsync(fd)) {
		keel_errf(ACTION, tmp, "fsync: %s", strerror(errno));
		goto out;
	}
	if (make_ext4(tmp, &d.part[BOARD_PART_ETC]) ||
	    make_ext4(tmp, &d.part[BOARD_PART_VAR]))
		goto out;
	if (rename(tmp, out)) {
		keel_errf(ACTION, out, "rename: %s", strerror(errno));
		goto out;
	}
	rc = 0;
out:
	close(fd);
	if (rc)
		unlink(tmp);
	return rc;
}

static int
update(const struct board *b, const char *out, const char *slot_a,
       const char *slot_b)
{
	struct gpt_disk d;
	int fd = open(out, O_RDWR | O_CLOEXEC), rc = KEEL_EXIT_FAIL;

	if (fd < 0)
		return keel_errf(ACTION, out, "%s", strerror(errno));
	if (read_table(fd, b, &d, out))
		goto out;
	if (slot_a &&
	    write_slot(fd, &d.part[part_of(&d, b, BOARD_PART_A)], slot_a))
		goto out;
	if (slot_b &&
	    write_slot(fd, &d.part[part_of(&d, b, BOARD_PART_B)], slot_b))
		goto out;
	if (fsync(fd)) {
		keel_errf(ACTION, out, "fsync: %s", strerror(errno));
		goto out;
	}
	rc = 0;
out:
	close(fd);
	return rc;
}

int
cmd_disk(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"board", required_argument, NULL, 'b'},
	    {"slot-a", required_argument, NULL, 'a'},
	    {"slot-b", required_argument, NULL, 'B'},
	    {"output", required_argument, NULL, 'o'},
	    {"help", no_argument, NULL, 'h'},
	    {0}};
	const char *board = "qemu-x86_64", *a = NULL, *bslot = NULL;
	const char *out = NULL;
	struct board b;
	int c;

	while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
		switch (c) {
		case 'b':
			board = optarg;
			break;
		case 'a':
			a = optarg;
			break;
		case 'B':
			bslot = optarg;
			break;
		case 'o':
			out = optarg;
			break;
		case 'h':
			fputs(usage, stdout);
			return 0;
		default:
			return keel_usage(usage);
		}
	}
	if (optind != argc || !out || (!a && !bslot))
		return keel_usage(usage);
	if (keel_board_load(board, ACTION, &b))
		return KEEL_EXIT_FAIL;
	if (access(out, F_OK) == 0)
		return update(&b, out, a, bslot);
	if (!a)
		return keel_errf(ACTION, out, "a new disk needs --slot-a");
	return create(&b, out, a, bslot);
}
