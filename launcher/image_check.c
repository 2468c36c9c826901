// SPDX-License-Identifier: MIT
/* keel image build's checks of the tree it seals: what would fail at boot. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "launcher/image_cmd.h"
#include "lib/config/oci.h"

/* The container's PATH when the config's env has none (container_exec.c) */
#define CHECK_DEFAULT_PATH                                                     \
	"/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

/* A host file compared with the image's copy; larger ones are not. */
#define CHECK_HOST_FILE_MAX 65536

/* 0 if path is an executable regular file in the tree; else an errno. */
static int
root_exec_ok(int rootfd, const char *path)
{
	struct stat st;
	int fd = keel_root_open(rootfd, path, O_PATH);

	if (fd < 0)
		return errno;
	if (fstat(fd, &st) < 0) {
		int err = errno;
		close(fd);
		return err;
	}
	close(fd);
	if (!S_ISREG(st.st_mode))
		return S_ISDIR(st.st_mode) ? EISDIR : EACCES;
	return st.st_mode & 0111 ? 0 : EACCES;
}

static const char *
cfg_path_env(const struct oci_config *c)
{
	for (int i = 0; i < c->nenv; i++)
		if (!strncmp(c->env[i], "PATH=", 5))
			return c->env[i] + 5;
	return CHECK_DEFAULT_PATH;
}

/* dir/name, a relative dir taken from the cwd; -1 if it does not fit. */
static int
join(char *out, size_t cap, const char *cwd, const char *dir, const char *name)
{
	int n = dir[0] == '/' ? snprintf(out, cap, "%s/%s", dir, name)
			      : snprintf(out, cap, "%s/%s/%s", cwd, dir, name);

	return n < 0 || (size_t)n >= cap ? -1 : 0;
}

/*
 * Finds args[0] as the container's execvp will (container_exec.c): a name
 * with a slash as it is, else each PATH entry in turn. Writes the path
 * found into hit. 0, or the errno of the best miss (EACCES over ENOENT).
 */
static int
find_exec(int rootfd, const struct oci_config *c, char *hit, size_t cap)
{
	const char *name = c->args[0], *cwd = c->cwd ? c->cwd : "/";
	const char *dir, *end;
	int err, best = ENOENT;

	if (strchr(name, '/')) {
		int n = name[0] == '/' ? snprintf(hit, cap, "%s", name)
				       : snprintf(hit, cap, "%s/%s", cwd, name);
		if (n < 0 || (size_t)n >= cap)
			return ENAMETOOLONG;
		return root_exec_ok(rootfd, hit);
	}
	for (dir = cfg_path_env(c);; dir = end + 1) {
		char d[PATH_MAX];
		size_t len;

		end = strchrnul(dir, ':');
		len = (size_t)(end - dir);
		if (len < sizeof(d)) {
			memcpy(d, dir, len);
			d[len] = 0;
			if (join(hit, cap, cwd, len ? d : ".", name) == 0) {
				err = root_exec_ok(rootfd, hit);
				if (!err)
					return 0;
				if (err == EACCES)
					best = EACCES;
			}
		}
		if (!*end)
			break;
	}
	return best;
}

/* A "#!" script's interpreter must be there too (one level). */
static int
check_interp(int rootfd, const char *src, const char *file)
{
	char buf[256], *p, *e;
	ssize_t n;
	int fd = keel_root_open(rootfd, file, O_RDONLY);

	if (fd < 0)
		return 0; /* executable but unreadable to us: kernel decides */
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 3 || buf[0] != '#' || buf[1] != '!')
		return 0;
	buf[n] = 0;
	for (p = buf + 2; *p == ' ' || *p == '\t'; p++)
		;
	for (e = p; *e && *e != ' ' && *e != '\t' && *e != '\n'; e++)
		;
	*e = 0;
	if (*p != '/' || !root_exec_ok(rootfd, p))
		return 0;
	return keel_errf("image build", src,
			 "config: process.args[0]: %s is a script for %s, "
			 "which is not an executable file in the image",
			 file, p);
}

static int
check_args(int rootfd, const char *src, const struct oci_config *c)
{
	char hit[PATH_MAX];
	int err = find_exec(rootfd, c, hit, sizeof(hit));

	if (err == 0)
		return check_interp(rootfd, src, hit);
	if (strchr(c->args[0], '/'))
		return keel_errf(
		    "image build", src,
		    "config: process.args[0]: %s: %s in the image", c->args[0],
		    err == EACCES ? "not an executable file" : strerror(err));
	return keel_errf("image build", src,
			 "config: process.args[0]: '%s' is %s in the image's "
			 "PATH (%s)",
			 c->args[0],
			 err == EACCES ? "not executable" : "not found",
			 cfg_path_env(c));
}

/* The tmpfs keel mounts itself: empty at start, so nothing below them
 * can be a mount point. */
static const char *const empty_dirs[] = {"/run/", "/tmp/"};

/* keel mounts nothing where the image has no directory (or file): its
 * root is read-only, so a missing mount point fails at every start. */
static int
check_mounts(int rootfd, const char *src, const struct oci_config *c)
{
	for (int i = 0; i < c->nmounts; i++) {
		const char *d = c->mounts[i].destination;
		int fd;

		for (size_t k = 0; k < sizeof(empty_dirs) / sizeof(*empty_dirs);
		     k++)
			if (!strncmp(d, empty_dirs[k], strlen(empty_dirs[k])))
				return keel_errf(
				    "image build", src,
				    "config: mounts[%d]: destination %s lies "
				    "on keel's empty tmpfs at %.*s, where no "
				    "mount point exists",
				    i, d, (int)strlen(empty_dirs[k]) - 1,
				    empty_dirs[k]);
		fd = keel_root_open(rootfd, d, O_PATH);

		if (fd >= 0) {
			close(fd);
			continue;
		}
		return keel_errf("image build", src,
				 "config: mounts[%d]: destination %s: %s in "
				 "the image (keel creates no mount point in "
				 "the read-only root: add it to the tree)",
				 i, d, strerror(errno));
	}
	return 0;
}

/* Warns when the tree's etc/NAME has the build host's /etc/NAME bytes. */
static void
warn_host_copy(int rootfd, const char *src, const char *name, const char *why)
{
	static char a[CHECK_HOST_FILE_MAX], b[CHECK_HOST_FILE_MAX];
	char host[64], rel[64];
	long na, nb;
	int fd;

	snprintf(host, sizeof(host), "/etc/%s", name);
	snprintf(rel, sizeof(rel), "etc/%s", name);
	na = keel_read_file(host, a, sizeof(a));
	if (na <= 0)
		return;
	fd = keel_root_open(rootfd, rel, O_RDONLY);
	if (fd < 0)
		return;
	nb = read(fd, b, sizeof(b));
	close(fd);
	if (nb == na && !memcmp(a, b, (size_t)na))
		fprintf(stderr,
			"keel: image build: %s: warning: /etc/%s is the build "
			"host's own copy; %s\n",
			src, name, why);
}

int
image_check_src(const char *src)
{
	char path[PATH_MAX];
	struct stat st;

	snprintf(path, sizeof(path), "%s/oci-layout", src);
	if (stat(path, &st) < 0)
		return 0;
	snprintf(path, sizeof(path), "%s/index.json", src);
	if (stat(path, &st) < 0)
		return 0;
	return keel_errf("image build", src,
			 "an OCI image layout (oci-layout, index.json), not a "
			 "root filesystem: unpack it first, e.g. `umoci unpack "
			 "--rootless --image %s:TAG bundle` and build from "
			 "bundle/",
			 src);
}

int
image_check_root(const char *src, const char *root)
{
	static char json[OCI_JSON_MAX + 1];
	static struct oci_config cfg;
	struct kerr e = {0};
	int rootfd, fd, rc = 0;
	ssize_t n;

	rootfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		return keel_errf("image build", root, "%s", strerror(errno));
	warn_host_copy(rootfd, src, "resolv.conf",
		       "keel binds its own over it at run time; remove it");
	warn_host_copy(rootfd, src, "hostname",
		       "the container's hostname comes from the config; "
		       "remove it");
	fd = keel_root_open(rootfd, IMG_CONFIG_PATH, O_RDONLY);
	if (fd < 0)
		goto out; /* no policy: keel run IMAGE -- CMD only */
	n = read(fd, json, sizeof(json));
	close(fd);
	/* A --config was parsed when staged; a tree's own config is not
	 * refused here (keel-init and keel run refuse it, naming why). */
	if (n < 0 || oci_parse(json, (size_t)n, &cfg, &e) < 0) {
		fprintf(stderr,
			"keel: image build: %s: warning: %s does not parse "
			"(%s: %s): the image will not start; not checked\n",
			src, IMG_CONFIG_PATH, n < 0 ? "read" : e.check,
			n < 0 ? strerror(errno) : e.detail);
		goto out;
	}
	rc = check_args(rootfd, src, &cfg);
	if (!rc)
		rc = check_mounts(rootfd, src, &cfg);
out:
	close(rootfd);
	return rc;
}
