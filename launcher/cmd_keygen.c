// SPDX-License-Identifier: MIT
/* keel keygen: a new ECDSA P-256 key pair as NAME.key and NAME.pub (PEM). */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "launcher/commands.h"
#include "launcher/keel.h"
#include "lib/crypto/ec.h"

static const char usage[] =
    "keel keygen -o NAME [--force]\n"
    "\n"
    "Makes an ECDSA P-256 signing key pair:\n"
    "  NAME.key  private key, PEM \"EC PRIVATE KEY\" (SEC1), mode 0600\n"
    "  NAME.pub  public key, PEM \"PUBLIC KEY\" (SubjectPublicKeyInfo)\n"
    "and prints the key id: the SHA-256 of the public key's DER, as\n"
    "  openssl pkey -pubin -in NAME.pub -outform DER | sha256sum\n"
    "\n"
    "  -o, --output NAME  path of the pair, without .key/.pub\n"
    "  -f, --force        replace existing files\n"
    "  -h, --help         this text\n";

static void
wipe(void *p, size_t n)
{
	volatile unsigned char *v = p;

	while (n--)
		*v++ = 0;
}

/* Refuses an existing path (even a dangling symlink) unless forced. */
static int
check_new(const char *path, int force)
{
	struct stat st;

	if (force)
		return 0;
	if (lstat(path, &st) == 0)
		return keel_errf("keygen", path,
				 "file exists (use --force to replace it)");
	if (errno != ENOENT)
		return keel_errf("keygen", path, "%s", strerror(errno));
	return 0;
}

static int
write_pair(const char *keyp, const char *pubp, int force)
{
	uint8_t priv[EC_PRIV_LEN], pub[EC_PUB_LEN], id[EC_KEYID_LEN];
	char pem[EC_PEM_MAX], hex[2 * EC_KEYID_LEN + 1];
	struct kerr e = {0};
	size_t n;
	int rc = KEEL_EXIT_FAIL;

	if (check_new(keyp, force) || check_new(pubp, force))
		return KEEL_EXIT_FAIL;
	if (ec_keygen(priv, pub, &e) < 0)
		return keel_err("keygen", keyp, &e);
	n = ec_priv_pem(priv, pub, pem, sizeof(pem));
	if (n == 0) {
		keel_errf("keygen", keyp, "cannot encode the key");
		goto out;
	}
	if (keel_write_file(keyp, pem, n, 0600) < 0) {
		keel_errf("keygen", keyp, "%s", strerror(errno));
		goto out;
	}
	n = ec_pub_pem(pub, pem, sizeof(pem));
	if (n == 0) {
		keel_errf("keygen", pubp, "cannot encode the key");
		goto out;
	}
	if (keel_write_file(pubp, pem, n, 0644) < 0) {
		keel_errf("keygen", pubp, "%s", strerror(errno));
		goto out;
	}
	ec_keyid(pub, id);
	text_hex(id, sizeof(id), hex);
	printf("%s\n", hex);
	rc = 0;
out:
	wipe(priv, sizeof(priv));
	wipe(pem, sizeof(pem));
	return rc;
}

int
cmd_keygen(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"output", 1, 0, 'o'},
	    {"force", 0, 0, 'f'},
	    {"help", 0, 0, 'h'},
	    {0, 0, 0, 0},
	};
	char keyp[4096], pubp[4096];
	const char *name = NULL;
	int c, force = 0;

	while ((c = getopt_long(argc, argv, "o:fh", opts, NULL)) != -1) {
		switch (c) {
		case 'o':
			name = optarg;
			break;
		case 'f':
			force = 1;
			break;
		case 'h':
			printf("usage: %s", usage);
			return 0;
		default:
			return keel_usage(usage);
		}
	}
	if (!name || !*name || optind != argc)
		return keel_usage(usage);
	if (snprintf(keyp, sizeof(keyp), "%s.key", name) >= (int)sizeof(keyp) ||
	    snprintf(pubp, sizeof(pubp), "%s.pub", name) >= (int)sizeof(pubp))
		return keel_errf("keygen", name, "name too long");
	return write_pair(keyp, pubp, force);
}
