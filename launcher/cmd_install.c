// SPDX-License-Identifier: MIT
/* keel install: the device's bundle installer, run on a host into a slot. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "launcher/commands.h"
#include "launcher/keel.h"
#include "lib/base/text.h"
#include "lib/update/bundle.h"

static const char help[] =
    "keel install BUNDLE|- -o SLOT [--keys DIR] [--board NAME]\n"
    "             [--min-version N | --committed N] [--floor N] [-q]\n"
    "  Checks the bundle's signatures and policy before writing a byte,\n"
    "  then writes it into SLOT (a file, grown if smaller, or a block\n"
    "  device), each block checked against the signed tree, reads the\n"
    "  slot back, and writes the metadata last.\n"
    "  --board NAME      the image must be for this board\n"
    "  --min-version N   the image's version must be at least N\n"
    "  --committed N     ... must be above N (as on a device)\n"
    "  --floor N         its security epoch must be at least N\n";

struct install_opts {
	const char *bundle, *slot, *keys, *board;
	uint64_t committed, floor;
	int have_version, quiet;
};

static int
number(const char *s, uint64_t *v)
{
	return text_u64(s, strlen(s), v);
}

static int
parse(int argc, char **argv, struct install_opts *o)
{
	static const struct option opts[] = {
	    {"output", 1, 0, 'o'},
	    {"keys", 1, 0, 'K'},
	    {"board", 1, 0, 'b'},
	    {"min-version", 1, 0, 'm'},
	    {"committed", 1, 0, 'c'},
	    {"floor", 1, 0, 'f'},
	    {"quiet", 0, 0, 'q'},
	    {"help", 0, 0, 'h'},
	    {0, 0, 0, 0},
	};
	uint64_t v;
	int c;

	memset(o, 0, sizeof(*o));
	while ((c = getopt_long(argc, argv, "o:qh", opts, NULL)) != -1) {
		switch (c) {
		case 'o':
			o->slot = optarg;
			break;
		case 'K':
			o->keys = optarg;
			break;
		case 'b':
			o->board = optarg;
			break;
		case 'q':
			o->quiet = 1;
			break;
		case 'h':
			printf("usage: %s", help);
			return -1;
		case 'm':
		case 'c':
		case 'f':
			if (number(optarg, &v) < 0)
				return keel_usage(help);
			if (c == 'f')
				o->floor = v;
			else if (c == 'c' || v > 0) {
				/* at least N: above N - 1 */
				o->committed = c == 'c' ? v : v - 1;
				o->have_version = 1;
			}
			break;
		default:
			return keel_usage(help);
		}
	}
	if (optind != argc - 1 || !o->slot)
		return keel_usage(help);
	o->bundle = argv[optind];
	return 0;
}

static void
show_progress(void *ctx, uint64_t done, uint64_t total)
{
	static unsigned last = 101;
	unsigned pct = total ? (unsigned)(done * 100 / total) : 0;

	if (pct == last)
		return;
	last = pct;
	fprintf(stderr, "\r%s: %3u%%", (const char *)ctx, pct);
	if (done == total)
		fputc('\n', stderr);
}

/* Opens SLOT read-write, creating a file when there is none. */
static int
open_slot(const char *path, int *created)
{
	int fd = open(path, O_RDWR | O_CLOEXEC);

	*created = 0;
	if (fd < 0 && errno == ENOENT) {
		fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
		*created = fd >= 0;
	}
	return fd;
}

static int
run(const struct install_opts *o, int in, int slot, struct kerr *e,
    struct img_meta *m, int *touched)
{
	static struct bundle_work w;
	static struct keyset ks;
	struct bundle_policy pol = {
	    .ks = &ks,
	    .board = o->board,
	    .committed_version = o->committed,
	    .epoch_floor = o->floor,
	    .flags =
		BUNDLE_GROW | (o->have_version ? 0 : BUNDLE_ALLOW_DOWNGRADE),
	};
	struct bundle_hooks hooks = {.progress = show_progress,
				     .ctx = (void *)o->slot};
	int rc;

	if (keel_keyset(o->keys, &ks, "install") < 0)
		return -2;
	if (o->quiet || !isatty(STDERR_FILENO))
		hooks.progress = NULL;
	rc = bundle_install(bundle_read_fd, &in, slot, &pol, &hooks, &w, m, e);
	*touched = w.touched;
	return rc;
}

int
cmd_install(int argc, char **argv)
{
	struct install_opts o;
	struct kerr e = {0};
	struct img_meta m;
	int in, slot, created, touched = 0, rc;

	if ((rc = parse(argc, argv, &o)))
		return rc < 0 ? 0 : rc;
	in = strcmp(o.bundle, "-") ? open(o.bundle, O_RDONLY | O_CLOEXEC)
				   : STDIN_FILENO;
	if (in < 0)
		return keel_errf("install", o.bundle, "open: %s",
				 strerror(errno));
	slot = open_slot(o.slot, &created);
	if (slot < 0)
		return keel_errf("install", o.slot, "open: %s",
				 strerror(errno));
	rc = run(&o, in, slot, &e, &m, &touched);
	close(slot);
	if (rc < 0 && created && !touched)
		unlink(o.slot);
	if (rc == -2)
		return KEEL_EXIT_FAIL;
	if (rc < 0)
		return keel_err("install", o.bundle, &e);
	if (!o.quiet)
		printf("%s: installed version %" PRIu64 " epoch %" PRIu64
		       " (%s), %" PRIu64 " bytes\n",
		       o.slot, m.h.version, m.h.epoch, m.h.name,
		       m.h.meta_offset + IMG_META_SIZE);
	return 0;
}
