// SPDX-License-Identifier: MIT
/* keel image build: filesystem with Debian's mkfs, then tree, header, footer.
 */
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
#include <time.h>
#include <unistd.h>

#include "launcher/board_dir.h"
#include "launcher/image_cmd.h"
#include "lib/base/text.h"
#include "lib/config/names.h"
#include "lib/config/oci.h"
#include "lib/crypto/sha256.h"

static const char usage[] =
    "keel image build SRC -o IMAGE --board NAME|BOARD.CONF [--fs erofs|\n"
    "       squashfs] [--version N] [--epoch N] [--name TEXT] [--salt HEX]\n"
    "       [--config FILE] [--arch x86_64|aarch64]\n"
    "  --board: the board the image is for (keel-init boots only images\n"
    "  of its own board), by name or as a path to its board.conf (its\n"
    "  name= is taken). Required.\n"
    "  SRC: a root filesystem directory, a tar archive (as `docker export`\n"
    "  writes), or an OCI runtime bundle (config.json + rootfs/, as `umoci\n"
    "  unpack` writes). The bundle's config.json, or --config FILE, becomes\n"
    "  the image's " IMG_CONFIG_PATH "; the mount points keel needs\n"
    "  (/proc /sys /dev /run /tmp /etc /var/lib /var/log /var/cache\n"
    "  /var/tmp) are added when missing.\n"
    "  Filesystem: lz4-compressed erofs (default) or squashfs. The salt is\n"
    "  random unless given; with --salt and SOURCE_DATE_EPOCH the image is\n"
    "  reproducible, and with SOURCE_DATE_EPOCH alone its filesystem is (a\n"
    "  delta update between two such builds of one tree reads no data\n"
    "  block: docs/UPDATE.md §4). --arch names the CPU the image's\n"
    "  binaries are for (default $KEEL_ARCH, else x86_64); keel-init boots\n"
    "  only images for its own, and the config's syscall names are that\n"
    "  CPU's. The build time signed in the header is SOURCE_DATE_EPOCH,\n"
    "  or now: a device's clock never starts before it.\n"
    "  Checks before sealing: process.args[0] is an executable file in\n"
    "  the tree (through the config's PATH; symlinks resolved inside the\n"
    "  tree), a script's #! interpreter too, every mount destination\n"
    "  exists; a warning when /etc/resolv.conf or /etc/hostname is the\n"
    "  build host's. An OCI image layout is refused: umoci unpack it.\n";

struct build {
	const char *src, *out, *config;
	struct img_header h;
	char stage[1024];   /* temporary tree, removed at the end */
	char tmp[PATH_MAX]; /* the image being written */
};

/* Runs argv, waits; stdout is discarded, stderr kept. 0 if it exited 0. */
static int
run(char *const argv[])
{
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return -1;
	if (pid == 0) {
		int fd = open("/dev/null", O_WRONLY);
		if (fd >= 0)
			dup2(fd, 1);
		execvp(argv[0], argv);
		fprintf(stderr, "keel: image build: %s: %s\n", argv[0],
			strerror(errno));
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

static int
is_dir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static int
exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

static int
parse_u63(const char *s, uint64_t *v)
{
	return text_u64(s, strlen(s), v) < 0 || *v >= IMG_VERSION_MAX ? -1 : 0;
}

/* Where keel's container mounts things: the image must have these dirs. */
static const char *const mount_points[] = {
    "proc", "sys",     "dev",	  "run",       "tmp",	 "etc",
    "var",  "var/lib", "var/log", "var/cache", "var/tmp"};

static int
has_mount_points(const char *root)
{
	char path[PATH_MAX];

	for (size_t i = 0; i < sizeof(mount_points) / sizeof(*mount_points);
	     i++) {
		snprintf(path, sizeof(path), "%s/%s", root, mount_points[i]);
		if (!is_dir(path))
			return 0;
	}
	return 1;
}

static int
add_mount_points(const char *root)
{
	char path[PATH_MAX];

	for (size_t i = 0; i < sizeof(mount_points) / sizeof(*mount_points);
	     i++) {
		snprintf(path, sizeof(path), "%s/%s", root, mount_points[i]);
		if (mkdir(path, 0755) < 0 && errno != EEXIST)
			return keel_errf("image build", path, "%s",
					 strerror(errno));
	}
	return 0;
}

/*
 * The config is checked now, not at boot: it is parsed (a bundle's with
 * umoci's terminal=true tolerated; seccomp's syscall names as the image's
 * CPU has them, whatever keel's own) and stored in canonical form, which
 * the strict parser keel run and keel-init use reads with the same meaning.
 */
static int
put_config(const char *src, const char *dst, int bundle, uint32_t arch)
{
	static char in[OCI_JSON_MAX + 1], out[OCI_JSON_MAX];
	static struct oci_config cfg;
	struct kerr e;
	long n = keel_read_file(src, in, sizeof(in));

	if (n < 0)
		return keel_errf("image build", src, "cannot read");
	/* the syscall names of the image's CPU, not keel's */
	if (oci_parse_abi(in, (size_t)n, &cfg, bundle ? OCI_PARSE_BUNDLE : 0,
			  syscall_abi_of(arch), &e) < 0)
		return keel_errf("image build", src, "%s: %s", e.check,
				 e.detail);
	n = oci_write(&cfg, out, sizeof(out), &e);
	if (n < 0 || keel_write_file(dst, out, (size_t)n, 0644) < 0)
		return keel_errf("image build", dst, "cannot write config");
	return 0;
}

/*
 * Makes the tree mkfs reads. A plain directory without extra config is
 * used in place; a tar archive is unpacked, a bundle's rootfs copied, so
 * that the config can be added without touching the user's files.
 */
static int
stage(struct build *b, const char **root)
{
	char path[PATH_MAX], cfgdir[PATH_MAX];
	const char *config = b->config;
	char *cp[] = {"cp", "-a", "--", path, b->stage, NULL};
	char *tar[] = {"tar", "--numeric-owner", "-xpf", (char *)b->src,
		       "-C",  b->stage,		 NULL};
	int bundle = 0;

	snprintf(path, sizeof(path), "%s/config.json", b->src);
	if (is_dir(b->src) && exists(path)) {
		snprintf(path, sizeof(path), "%s/rootfs", b->src);
		if (!is_dir(path))
			return keel_errf(
			    "image build", b->src,
			    "config.json without rootfs/: not an OCI bundle");
		if (config)
			return keel_errf("image build", b->src,
					 "an OCI bundle brings its "
					 "config.json; drop --config");
		bundle = 1;
	}
	if (is_dir(b->src) && !bundle && !config && has_mount_points(b->src)) {
		*root = b->src;
		return 0;
	}
	snprintf(b->stage, sizeof(b->stage), "%s/keel-build.XXXXXX",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(b->stage)) {
		b->stage[0] = 0;
		return keel_errf("image build", "staging dir", "%s",
				 strerror(errno));
	}
	if (bundle) {
		snprintf(path, sizeof(path), "%s/rootfs/.", b->src);
		if (run(cp) < 0)
			return keel_errf("image build", b->src,
					 "copying rootfs/ failed");
		snprintf(path, sizeof(path), "%s/config.json", b->src);
		config = path;
	} else if (is_dir(b->src)) {
		char src[PATH_MAX];
		snprintf(src, sizeof(src), "%s/.", b->src);
		cp[3] = src;
		if (run(cp) < 0)
			return keel_errf("image build", b->src,
					 "copying failed");
		cp[3] = path;
	} else if (run(tar) < 0) {
		return keel_errf("image build", b->src,
				 "not a directory or a readable tar archive");
	}
	*root = b->stage;
	if (add_mount_points(b->stage))
		return KEEL_EXIT_FAIL;
	if (!config)
		return 0;
	snprintf(cfgdir, sizeof(cfgdir), "%s/keel", b->stage);
	if (mkdir(cfgdir, 0755) < 0 && errno != EEXIST)
		return keel_errf("image build", cfgdir, "%s", strerror(errno));
	snprintf(cfgdir, sizeof(cfgdir), "%s%s", b->stage, IMG_CONFIG_PATH);
	if (exists(cfgdir))
		return keel_errf("image build", b->src,
				 "has its own %s and a config was given too",
				 IMG_CONFIG_PATH);
	return put_config(config, cfgdir, bundle, b->h.arch);
}

static int
mkfs(struct build *b, const char *root)
{
	const char *sde = getenv("SOURCE_DATE_EPOCH");
	char t[32], uuid[40];
	uint8_t u[32];
	char *argv[24];
	int n = 0;

	/*
	 * The filesystem UUID: from SOURCE_DATE_EPOCH and the board when
	 * the build is reproducible (so that a rebuild of the same tree with
	 * a fresh salt differs in no data block: a delta of nothing), else
	 * from the salt (random, or reproducible with --salt).
	 */
	if (sde && *sde) {
		struct sha256 c;

		sha256_init(&c);
		sha256_update(&c, "keel-fs-uuid", 13);
		sha256_update(&c, sde, strlen(sde) + 1);
		sha256_update(&c, b->h.board, strlen(b->h.board));
		sha256_final(&c, u);
	} else {
		sha256(b->h.salt, b->h.salt_len, u);
	}
	snprintf(uuid, sizeof(uuid),
		 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
		 "%02x%02x%02x%02x%02x%02x",
		 u[0], u[1], u[2], u[3], u[4], u[5], (u[6] & 15) | 0x40, u[7],
		 (u[8] & 0x3f) | 0x80, u[9], u[10], u[11], u[12], u[13], u[14],
		 u[15]);
	if (sde)
		snprintf(t, sizeof(t), "%s", sde);
	if (b->h.fs == IMG_FS_EROFS) {
		static char tt[40], uu[48];
		snprintf(tt, sizeof(tt), "-T%s", t);
		snprintf(uu, sizeof(uu), "-U%s", uuid);
		argv[n++] = "mkfs.erofs";
		argv[n++] = "-zlz4hc";
		argv[n++] = "--quiet";
		argv[n++] = uu;
		if (sde)
			argv[n++] = tt;
		argv[n++] = b->tmp;
		argv[n++] = (char *)root;
	} else {
		argv[n++] = "mksquashfs";
		argv[n++] = (char *)root;
		argv[n++] = b->tmp;
		argv[n++] = "-comp";
		argv[n++] = "lz4";
		argv[n++] = "-Xhc";
		argv[n++] = "-noappend";
		argv[n++] = "-no-progress";
		argv[n++] = "-quiet";
		/* mksquashfs takes SOURCE_DATE_EPOCH from the environment. */
	}
	argv[n] = NULL;
	unlink(b->tmp);
	if (run(argv) < 0)
		return keel_errf("image build", root, "%s failed", argv[0]);
	return 0;
}

/* Pads the filesystem, appends tree and metadata, signs nothing. */
static int
seal(struct build *b)
{
	static struct verity_work w;
	struct verity_params p;
	struct verity_geo g;
	struct img_meta m;
	struct kerr e = {0};
	struct stat st;
	int fd, rc = KEEL_EXIT_FAIL;

	fd = open(b->tmp, O_RDWR | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0)
		return keel_errf("image build", b->tmp, "%s", strerror(errno));
	b->h.data_blocks = ((uint64_t)st.st_size + IMG_BLOCK - 1) / IMG_BLOCK;
	if (verity_geometry(b->h.data_blocks, &g) < 0) {
		keel_errf("image build", b->tmp,
			  "filesystem size out of range");
		goto out;
	}
	b->h.hash_offset = b->h.data_blocks * IMG_BLOCK;
	b->h.hash_blocks = g.tree_blocks;
	b->h.meta_offset = b->h.hash_offset + g.tree_blocks * IMG_BLOCK;
	if (ftruncate(fd, (off_t)(b->h.meta_offset + IMG_META_SIZE)) < 0) {
		keel_errf("image build", b->tmp, "%s", strerror(errno));
		goto out;
	}
	p.data_blocks = b->h.data_blocks;
	p.hash_offset = b->h.hash_offset;
	p.salt = b->h.salt;
	p.salt_len = b->h.salt_len;
	memset(&m, 0, sizeof(m));
	if (verity_build(fd, &p, &w, b->h.root, &e) < 0) {
		keel_err("image build", b->tmp, &e);
		goto out;
	}
	m.h = b->h;
	if (img_write_meta(fd, &m, &e) < 0) {
		keel_err("image build", b->tmp, &e);
		goto out;
	}
	rc = 0;
out:
	close(fd);
	return rc;
}

static int
parse_args(struct build *b, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"fs", 1, 0, 'f'},	   {"version", 1, 0, 'v'}, {"epoch", 1, 0, 'e'},
	    {"board", 1, 0, 'b'},  {"name", 1, 0, 'n'},	   {"salt", 1, 0, 's'},
	    {"config", 1, 0, 'c'}, {"arch", 1, 0, 'a'},	   {"help", 0, 0, 'h'},
	    {0, 0, 0, 0},
	};
	int c, salted = 0;
	const char *sde;
	size_t len;

	b->h.fs = IMG_FS_EROFS;
	b->h.arch = IMG_ARCH_X86_64;
	if (getenv("KEEL_ARCH") && *getenv("KEEL_ARCH")) {
		b->h.arch = img_arch_from_name(getenv("KEEL_ARCH"));
		if (!b->h.arch)
			return keel_errf("image build", "KEEL_ARCH",
					 "'%s' is not x86_64 or aarch64",
					 getenv("KEEL_ARCH"));
	}
	while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
		switch (c) {
		case 'o':
			b->out = optarg;
			break;
		case 'f':
			if (!strcmp(optarg, "erofs"))
				b->h.fs = IMG_FS_EROFS;
			else if (!strcmp(optarg, "squashfs"))
				b->h.fs = IMG_FS_SQUASHFS;
			else
				return keel_usage(usage);
			break;
		case 'v':
		case 'e':
			if (parse_u63(optarg, c == 'v' ? &b->h.version
						       : &b->h.epoch) < 0)
				return keel_errf("image build", optarg,
						 "%s must be 0..2^63-1",
						 c == 'v' ? "version"
							  : "epoch");
			break;
		case 'b':
			if (strchr(optarg, '/')) {
				static struct board bd;
				if (keel_board_load(optarg, "image build", &bd))
					return KEEL_EXIT_FAIL;
				optarg = bd.name;
			}
			/* fall through */
		case 'n':
			if (strlen(optarg) > IMG_STR_MAX)
				return keel_errf("image build", optarg,
						 "longer than %d characters",
						 IMG_STR_MAX);
			strcpy(c == 'b' ? b->h.board : b->h.name, optarg);
			break;
		case 's':
			if (keel_unhex(optarg, b->h.salt, VERITY_MAX_SALT,
				       &len) < 0)
				return keel_errf(
				    "image build", optarg,
				    "salt must be 0..64 bytes of hex");
			b->h.salt_len = (uint32_t)len;
			salted = 1;
			break;
		case 'c':
			b->config = optarg;
			break;
		case 'a':
			b->h.arch = img_arch_from_name(optarg);
			if (!b->h.arch)
				return keel_errf("image build", optarg,
						 "architecture must be x86_64 "
						 "or aarch64");
			break;
		case 'h':
			fputs(usage, stdout);
			return -1;
		default:
			return keel_usage(usage);
		}
	}
	if (optind != argc - 1 || !b->out)
		return keel_usage(usage);
	if (!b->h.board[0])
		return keel_errf("image build", argv[optind],
				 "--board NAME is required (the board the "
				 "image is for, e.g. qemu-x86_64, or the path "
				 "of its board.conf)");
	b->src = argv[optind];
	sde = getenv("SOURCE_DATE_EPOCH");
	if (sde && *sde) {
		if (parse_u63(sde, &b->h.build_time) < 0)
			return keel_errf("image build", "SOURCE_DATE_EPOCH",
					 "'%s' is not a time in seconds", sde);
	} else {
		b->h.build_time = (uint64_t)time(NULL);
	}
	if (!salted) {
		b->h.salt_len = 32;
		if (getrandom(b->h.salt, 32, 0) != 32)
			return keel_errf("image build", "salt", "getrandom: %s",
					 strerror(errno));
	}
	return 0;
}

int
image_build(int argc, char **argv)
{
	struct build b;
	const char *root;
	int rc;

	memset(&b, 0, sizeof(b));
	rc = parse_args(&b, argc, argv);
	if (rc)
		return rc < 0 ? 0 : rc;
	if (!exists(b.src))
		return keel_errf("image build", b.src, "%s", strerror(ENOENT));
	if ((rc = image_check_src(b.src)))
		return rc;
	snprintf(b.tmp, sizeof(b.tmp), "%s.tmp", b.out);
	rc = stage(&b, &root);
	if (!rc)
		rc = image_check_root(b.src, root);
	if (!rc)
		rc = mkfs(&b, root);
	if (!rc)
		rc = seal(&b);
	if (!rc && rename(b.tmp, b.out) < 0)
		rc = keel_errf("image build", b.out, "%s", strerror(errno));
	if (rc)
		unlink(b.tmp);
	if (b.stage[0]) {
		char *rm[] = {"rm", "-rf", "--", b.stage, NULL};
		run(rm);
	}
	if (!rc) {
		char root_hex[2 * VERITY_DIGEST + 1];
		text_hex(b.h.root, VERITY_DIGEST, root_hex);
		printf("%s: %s, %llu blocks, root %s (unsigned)\n", b.out,
		       img_fs_name(b.h.fs), (unsigned long long)b.h.data_blocks,
		       root_hex);
	}
	return rc;
}
