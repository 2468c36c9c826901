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
#include "launcher/fetch.h"
#include "launcher/keel.h"
#include "lib/base/text.h"
#include "lib/update/bundle.h"

static const char help[] =
    "keel install BUNDLE|URL|- -o SLOT [--from SLOT-OR-IMAGE] [--ca PEM]\n"
    "             [--keys DIR] [--board NAME] [--timeout S] [-v]\n"
    "             [--min-version N | --committed N] [--floor N] [-q]\n"
    "  Checks the bundle's signatures and policy before writing a byte,\n"
    "  then writes it into SLOT (a file, grown if smaller, or a block\n"
    "  device), each block checked against the signed tree, reads the\n"
    "  slot back, and writes the metadata last. URL: http:// or\n"
    "  https://; a cut download resumes where it stopped.\n"
    "  --from X          copy the blocks SLOT lacks from X (a slot or an\n"
    "                    image) when it has them, and read only the rest\n"
    "                    of a format-2 bundle (a file or a URL)\n"
    "  --ca PEM          trust anchors for https (repeatable; default\n"
    "                    " FETCH_CA_DEFAULT ")\n"
    "  --timeout S       network: give up after S s without progress\n"
    "  -v                say how the data came: read, copied, kept\n"
    "  --board NAME      the image must be for this board\n"
    "  --min-version N   the image's version must be at least N\n"
    "  --committed N     ... must be above N (as on a device)\n"
    "  --floor N         its security epoch must be at least N\n";

#define CA_MAX 16

struct install_opts {
	const char *bundle, *slot, *keys, *board, *from;
	const char *ca[CA_MAX];
	int nca, timeout_s, verbose;
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
	    {"from", 1, 0, 'F'},
	    {"ca", 1, 0, 'C'},
	    {"timeout", 1, 0, 't'},
	    {"verbose", 0, 0, 'v'},
	    {"quiet", 0, 0, 'q'},
	    {"help", 0, 0, 'h'},
	    {0, 0, 0, 0},
	};
	uint64_t v;
	int c;

	memset(o, 0, sizeof(*o));
	o->timeout_s = 30;
	while ((c = getopt_long(argc, argv, "o:qvh", opts, NULL)) != -1) {
		switch (c) {
		case 'o':
			o->slot = optarg;
			break;
		case 'F':
			o->from = optarg;
			break;
		case 'C':
			if (o->nca == CA_MAX)
				return keel_usage(help);
			o->ca[o->nca++] = optarg;
			break;
		case 't':
			if (number(optarg, &v) < 0 || !v || v > 86400)
				return keel_usage(help);
			o->timeout_s = (int)v;
			break;
		case 'v':
			o->verbose = 1;
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

/* The bundle source: a URL, a file (both serve ranges), or stdin. */
static int
open_src(const struct install_opts *o, struct bundle_src *src, struct fetch *f,
	 struct bundle_file *bf, struct kerr *e)
{
	if (fetch_is_url(o->bundle)) {
		if (fetch_anchors(f, o->ca, o->nca, e) < 0 ||
		    fetch_open(f, o->bundle, 1, o->timeout_s * 1000, e) < 0)
			return -1;
		fetch_src(f, src, src->from);
		return 0;
	}
	if (!strcmp(o->bundle, "-"))
		return 0; /* a stream: stdin_read, no ranges */
	memset(bf, 0, sizeof(*bf));
	bf->fd = open(o->bundle, O_RDONLY | O_CLOEXEC);
	if (bf->fd < 0)
		return kerr_set(e, "open", "%s", strerror(errno));
	src->read = bundle_file_read;
	src->want = bundle_file_want;
	src->ctx = bf;
	return 0;
}

static ssize_t
stdin_read(void *ctx, void *buf, size_t len, struct kerr *e)
{
	ssize_t n;

	do
		n = read(STDIN_FILENO, buf, len);
	while (n < 0 && errno == EINTR);
	return n < 0 ? kerr_set(e, "read", "stdin: %s", strerror(errno)) : n;
}

static int
run(const struct install_opts *o, int slot, struct kerr *e, struct img_meta *m,
    int *touched)
{
	static struct bundle_work w;
	static struct keyset ks;
	static struct fetch f;
	static struct bundle_file bf;
	struct bundle_src src = {stdin_read, NULL, NULL, -1};
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
	f.quiet = o->quiet;
	if (o->from) {
		src.from = open(o->from, O_RDONLY | O_CLOEXEC);
		if (src.from < 0)
			return kerr_set(e, "from", "%s: %s", o->from,
					strerror(errno));
	}
	if (open_src(o, &src, &f, &bf, e) < 0)
		return -1;
	rc = bundle_install_src(&src, slot, &pol, &hooks, &w, m, e);
	*touched = w.touched;
	if (rc == 0 && o->verbose)
		fprintf(stderr,
			"keel: install: format %u%s: %llu bundle bytes read "
			"(%llu received), %llu data blocks: %llu decoded, "
			"%llu copied, %llu kept in place\n",
			w.stats.format, w.stats.delta ? ", delta" : "",
			(unsigned long long)w.stats.read,
			(unsigned long long)(fetch_is_url(o->bundle)
						 ? fetch_rx(&f)
						 : w.stats.read),
			(unsigned long long)m->h.data_blocks,
			(unsigned long long)w.stats.fetched,
			(unsigned long long)w.stats.copied,
			(unsigned long long)w.stats.kept);
	fetch_close(&f);
	if (bf.fd > 0)
		close(bf.fd);
	if (src.from >= 0)
		close(src.from);
	return rc;
}

int
cmd_install(int argc, char **argv)
{
	struct install_opts o;
	struct kerr e = {0};
	struct img_meta m;
	int slot, created, touched = 0, rc;

	if ((rc = parse(argc, argv, &o)))
		return rc < 0 ? 0 : rc;
	if (!fetch_is_url(o.bundle) && strcmp(o.bundle, "-") &&
	    access(o.bundle, R_OK) < 0)
		return keel_errf("install", o.bundle, "open: %s",
				 strerror(errno));
	slot = open_slot(o.slot, &created);
	if (slot < 0)
		return keel_errf("install", o.slot, "open: %s",
				 strerror(errno));
	rc = run(&o, slot, &e, &m, &touched);
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
