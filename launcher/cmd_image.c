// SPDX-License-Identifier: MIT
/* keel image: sign, tbs, digest, attach, verify, inspect (build:
 * image_build.c). */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "launcher/commands.h"
#include "launcher/image_cmd.h"

static const char usage[] =
    "keel image build SRC -o IMAGE [options]   make an unsigned image\n"
    "keel image sign IMAGE --key NAME.key [--role ROLE]\n"
    "keel image tbs IMAGE                      the signed bytes, to stdout\n"
    "keel image digest IMAGE                   their SHA-256, in hex\n"
    "keel image attach IMAGE --sig FILE --pub NAME.pub [--role ROLE]\n"
    "keel image verify IMAGE [--keys DIR]      signatures, policy, tree\n"
    "keel image inspect IMAGE [--keys DIR]     key=value lines, policy\n"
    "Run any of them with --help for details.\n";

/* Options shared by the small subcommands. */
struct img_opts {
	const char *image, *key, *role, *sig, *pub, *keys;
};

static int
parse(int argc, char **argv, struct img_opts *o, const char *allowed,
      const char *help)
{
	static const struct option opts[] = {
	    {"key", 1, 0, 'k'}, {"role", 1, 0, 'r'}, {"sig", 1, 0, 's'},
	    {"pub", 1, 0, 'p'}, {"keys", 1, 0, 'K'}, {"help", 0, 0, 'h'},
	    {0, 0, 0, 0},
	};
	int c;

	memset(o, 0, sizeof(*o));
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (c == 'h') {
			printf("usage: %s", help);
			return -1;
		}
		if (c == '?' || !strchr(allowed, c))
			return keel_usage(help);
		switch (c) {
		case 'k':
			o->key = optarg;
			break;
		case 'r':
			o->role = optarg;
			break;
		case 's':
			o->sig = optarg;
			break;
		case 'p':
			o->pub = optarg;
			break;
		case 'K':
			o->keys = optarg;
			break;
		}
	}
	if (optind != argc - 1)
		return keel_usage(help);
	o->image = argv[optind];
	return 0;
}

/* Opens IMAGE and reads its metadata; prints the error. fd or -1. */
static int
open_image(const char *action, const char *path, int flags, struct img_meta *m)
{
	struct kerr e = {0};
	int fd = open(path, flags | O_CLOEXEC);

	if (fd < 0) {
		keel_errf(action, path, "open: %s", strerror(errno));
		return -1;
	}
	if (img_read(fd, m, &e) < 0) {
		keel_err(action, path, &e);
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * The role a signature is filed under: --role, else the role of this key
 * in the baked key set, else "release".
 */
static const char *
pick_role(const char *role, const uint8_t id[EC_KEYID_LEN])
{
	static struct keyset ks;
	int k;

	if (role)
		return role;
	if (ks_load_baked(&ks, NULL) == 0 && (k = ks_key_find(&ks, id)) >= 0)
		return ks.role[ks.key[k].role].name;
	return "release";
}

static int
add_and_write(const char *action, const char *path, int fd, struct img_meta *m,
	      const char *role, const uint8_t id[EC_KEYID_LEN],
	      const uint8_t sig[EC_SIG_LEN])
{
	struct kerr e = {0};
	char hex[2 * EC_KEYID_LEN + 1];

	if (img_add_sig(m, role, id, sig, &e) < 0 ||
	    img_write_meta(fd, m, &e) < 0)
		return keel_err(action, path, &e);
	text_hex(id, EC_KEYID_LEN, hex);
	printf("%s: signature=%s:%s (%u in all)\n", path, role, hex, m->nsig);
	return 0;
}

static int
image_sign(int argc, char **argv)
{
	static const char help[] =
	    "keel image sign IMAGE --key NAME.key [--role ROLE]\n";
	uint8_t priv[EC_PRIV_LEN], pub[EC_PUB_LEN], id[EC_KEYID_LEN];
	uint8_t digest[32], sig[EC_SIG_LEN];
	char text[KS_TEXT_MAX];
	struct kerr e = {0};
	struct img_opts o;
	struct img_meta m;
	long n;
	int fd, rc;

	if ((rc = parse(argc, argv, &o, "kr", help)))
		return rc < 0 ? 0 : rc;
	if (!o.key)
		return keel_usage(help);
	n = keel_read_file(o.key, text, sizeof(text) - 1);
	if (n < 0)
		return keel_errf("image sign", o.key, "%s", strerror(errno));
	if (ec_priv_parse(text, (size_t)n, priv, pub, &e) < 0)
		return keel_err("image sign", o.key, &e);
	memset(text, 0, sizeof(text));
	ec_keyid(pub, id);
	fd = open_image("image sign", o.image, O_RDWR, &m);
	if (fd < 0)
		return KEEL_EXIT_FAIL;
	img_digest(&m, digest);
	if (ec_sign(priv, digest, sig) < 0)
		rc = keel_errf("image sign", o.key, "signing failed");
	else
		rc = add_and_write("image sign", o.image, fd, &m,
				   pick_role(o.role, id), id, sig);
	memset(priv, 0, sizeof(priv));
	close(fd);
	return rc;
}

static int
image_attach(int argc, char **argv)
{
	static const char help[] =
	    "keel image attach IMAGE --sig FILE --pub NAME.pub [--role ROLE]\n"
	    "  FILE: DER (openssl dgst -sha256 -sign) or raw 64-byte r||s\n"
	    "  over the bytes `keel image tbs IMAGE` writes.\n";
	uint8_t pub[EC_PUB_LEN], id[EC_KEYID_LEN], digest[32], sig[EC_SIG_LEN];
	char text[KS_TEXT_MAX];
	struct kerr e = {0};
	struct img_opts o;
	struct img_meta m;
	long n;
	int fd, rc;

	if ((rc = parse(argc, argv, &o, "spr", help)))
		return rc < 0 ? 0 : rc;
	if (!o.sig || !o.pub)
		return keel_usage(help);
	n = keel_read_file(o.pub, text, sizeof(text) - 1);
	if (n < 0)
		return keel_errf("image attach", o.pub, "%s", strerror(errno));
	if (ec_pub_parse(text, (size_t)n, pub, &e) < 0)
		return keel_err("image attach", o.pub, &e);
	n = keel_read_file(o.sig, text, sizeof(text));
	if (n < 0)
		return keel_errf("image attach", o.sig, "%s", strerror(errno));
	if (ec_sig_parse(text, (size_t)n, sig, &e) < 0)
		return keel_err("image attach", o.sig, &e);
	ec_keyid(pub, id);
	fd = open_image("image attach", o.image, O_RDWR, &m);
	if (fd < 0)
		return KEEL_EXIT_FAIL;
	img_digest(&m, digest);
	if (ec_verify(pub, digest, sig) != 1)
		rc = keel_errf("image attach", o.sig,
			       "signature: does not verify with %s over %s",
			       o.pub, o.image);
	else
		rc = add_and_write("image attach", o.image, fd, &m,
				   pick_role(o.role, id), id, sig);
	close(fd);
	return rc;
}

static int
image_tbs(int argc, char **argv, int digest_only)
{
	static const char help[] = "keel image tbs|digest IMAGE\n";
	uint8_t d[32];
	char hex[65];
	struct img_opts o;
	struct img_meta m;
	int fd, rc;

	if ((rc = parse(argc, argv, &o, "", help)))
		return rc < 0 ? 0 : rc;
	fd = open_image(digest_only ? "image digest" : "image tbs", o.image,
			O_RDONLY, &m);
	if (fd < 0)
		return KEEL_EXIT_FAIL;
	close(fd);
	if (digest_only) {
		img_digest(&m, d);
		text_hex(d, 32, hex);
		printf("%s\n", hex);
		return 0;
	}
	if (fwrite(m.tbs, 1, IMG_TBS_SIZE, stdout) != IMG_TBS_SIZE ||
	    fflush(stdout))
		return keel_errf("image tbs", "stdout", "%s", strerror(errno));
	return 0;
}

static int
image_verify(int argc, char **argv)
{
	static const char help[] =
	    "keel image verify IMAGE [--keys DIR]\n"
	    "  Checks the signatures against the key set's "
	    "policy (baked in unless --keys),\n"
	    "  then recomputes the whole hash tree.\n";
	static struct verity_work w;
	static struct keyset ks;
	struct kerr e = {0};
	struct img_opts o;
	struct img_meta m;
	char hex[65];
	int fd, rc, ok;

	if ((rc = parse(argc, argv, &o, "K", help)))
		return rc < 0 ? 0 : rc;
	if (keel_keyset(o.keys, &ks, "image verify") < 0)
		return KEEL_EXIT_FAIL;
	fd = open(o.image, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return keel_errf("image verify", o.image, "open: %s",
				 strerror(errno));
	ok = img_verify(fd, &ks, &w, &m, &e);
	close(fd);
	if (!ok)
		return keel_err("image verify", o.image, &e);
	text_hex(m.h.root, VERITY_DIGEST, hex);
	printf("%s: OK: %s version %llu epoch %llu, %u signature%s, root %s\n",
	       o.image, img_fs_name(m.h.fs), (unsigned long long)m.h.version,
	       (unsigned long long)m.h.epoch, m.nsig, m.nsig == 1 ? "" : "s",
	       hex);
	return 0;
}

static int
image_inspect(int argc, char **argv)
{
	static const char help[] =
	    "keel image inspect IMAGE [--keys DIR]\n"
	    "  The header's fields, then the launch policy in short\n"
	    "  (policy.* lines: args, user, capabilities, namespaces, mounts,\n"
	    "  limits, restart), read from the image's config once the image\n"
	    "  verifies against the key set (baked in unless --keys); root.\n";
	struct img_opts o;
	struct img_meta m;
	const struct img_header *h = &m.h;
	char hex[2 * VERITY_MAX_SALT + 1];
	int fd, rc;

	if ((rc = parse(argc, argv, &o, "K", help)))
		return rc < 0 ? 0 : rc;
	fd = open_image("image inspect", o.image, O_RDONLY, &m);
	if (fd < 0)
		return KEEL_EXIT_FAIL;
	close(fd);
	printf("fs=%s\n", img_fs_name(h->fs));
	printf("version=%llu\n", (unsigned long long)h->version);
	printf("epoch=%llu\n", (unsigned long long)h->epoch);
	printf("board=%s\n", h->board);
	printf("name=%s\n", h->name);
	printf("arch=%s\n", img_arch_name(h->arch));
	printf("build_time=%llu\n", (unsigned long long)h->build_time);
	printf("data_blocks=%llu\n", (unsigned long long)h->data_blocks);
	printf("data_block_size=%d\n", IMG_BLOCK);
	printf("hash_block_size=%d\n", IMG_BLOCK);
	printf("hash_offset=%llu\n", (unsigned long long)h->hash_offset);
	printf("hash_blocks=%llu\n", (unsigned long long)h->hash_blocks);
	printf("hash_algorithm=sha256\n");
	text_hex(h->salt, h->salt_len, hex);
	printf("salt=%s\n", h->salt_len ? hex : "-");
	text_hex(h->root, VERITY_DIGEST, hex);
	printf("root_hash=%s\n", hex);
	printf("meta_offset=%llu\n", (unsigned long long)h->meta_offset);
	printf("image_size=%llu\n",
	       (unsigned long long)(h->meta_offset + IMG_META_SIZE));
	for (unsigned i = 0; i < m.nsig; i++) {
		text_hex(m.sig[i].keyid, EC_KEYID_LEN, hex);
		printf("signature=%s:%s\n", m.sig[i].role, hex);
	}
	fflush(stdout);
	return image_inspect_policy(o.image, o.keys);
}

int
cmd_image(int argc, char **argv)
{
	const char *sub = argc > 1 ? argv[1] : "";

	if (!strcmp(sub, "build"))
		return image_build(argc - 1, argv + 1);
	if (!strcmp(sub, "sign"))
		return image_sign(argc - 1, argv + 1);
	if (!strcmp(sub, "attach"))
		return image_attach(argc - 1, argv + 1);
	if (!strcmp(sub, "tbs"))
		return image_tbs(argc - 1, argv + 1, 0);
	if (!strcmp(sub, "digest"))
		return image_tbs(argc - 1, argv + 1, 1);
	if (!strcmp(sub, "verify"))
		return image_verify(argc - 1, argv + 1);
	if (!strcmp(sub, "inspect"))
		return image_inspect(argc - 1, argv + 1);
	if (!strcmp(sub, "--help") || !strcmp(sub, "-h")) {
		fputs(usage, stdout);
		return 0;
	}
	fputs(usage, stderr);
	return KEEL_EXIT_USAGE;
}
