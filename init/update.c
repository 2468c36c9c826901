// SPDX-License-Identifier: MIT
/* The update agent (keel update-agent): its configuration, id and rights. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "init/init.h"
#include "lib/base/bytes.h"
#include "lib/base/text.h"
#include "lib/ipc/control.h"

/*
 * keel update-agent runs as UPDATE_UID with no capability: it needs only
 * sockets (the network, keel-init's control socket) and the files PID 1
 * gives it. It parses the manifest and the TLS and HTTP bytes of the
 * server, so it is never PID 1's own process. PID 1 opens for it the
 * image's and the device's /etc/keel/update.conf (fds 4 and 5), makes the
 * device id once, and lets its gid use the control socket (an ACL entry
 * beside the socket's owner and group, so the app keeps its access). The
 * trust anchors are the image's own file: the agent reads it from the
 * read-only, verified image, never from the etc partition.
 */
#define UPDATE_UID 64101 /* and gid: the agent's own */
#define UPDATE_CONF "update.conf"
#define UPDATE_CA IMAGE_DIR "/etc/keel/update-ca.pem"
#define UPDATE_ID_NAME ".keel-device-id" /* at the etc partition's root */
#define UPDATE_ID_LEN 32
/* The app's copy of the image's anchors, beside the control socket: the
 * app's `keel update URL` reads it at /run/keel/update-ca.pem. */
#define UPDATE_CA_APP SOCK_DIR "/" CONTROL_CA_NAME
#define UPDATE_CA_MAX (1024 * 1024) /* launcher/fetch.c reads no more */

static char device_id[UPDATE_ID_LEN + 1];
static int first_fds[2] = {-1, -1}; /* update_start's, for the first start */

/* The id kept in dir, if it is one. */
static int
read_id(int kfd)
{
	char buf[UPDATE_ID_LEN + 2];
	int fd = openat(kfd, UPDATE_ID_NAME,
			O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	struct stat st;
	ssize_t n = -1;

	if (fd < 0)
		return -1;
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode))
		n = read(fd, buf, sizeof(buf));
	close(fd);
	if (n != UPDATE_ID_LEN + 1 || buf[UPDATE_ID_LEN] != '\n')
		return -1;
	for (int i = 0; i < UPDATE_ID_LEN; i++)
		if (!((buf[i] >= '0' && buf[i] <= '9') ||
		      (buf[i] >= 'a' && buf[i] <= 'f')))
			return -1;
	memcpy(device_id, buf, UPDATE_ID_LEN);
	device_id[UPDATE_ID_LEN] = 0;
	return 0;
}

/* A new id from getrandom, written (and synced) in place of whatever
 * was there. */
static int
make_id(int kfd)
{
	uint8_t r[UPDATE_ID_LEN / 2];
	char line[UPDATE_ID_LEN + 1];
	int fd, ok;

	if (getrandom(r, sizeof(r), 0) != (ssize_t)sizeof(r))
		return -1;
	text_hex(r, sizeof(r), device_id);
	memcpy(line, device_id, UPDATE_ID_LEN);
	line[UPDATE_ID_LEN] = '\n';
	unlinkat(kfd, UPDATE_ID_NAME, 0);
	fd = openat(kfd, UPDATE_ID_NAME,
		    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0)
		return -1;
	ok = write(fd, line, sizeof(line)) == (ssize_t)sizeof(line) &&
	     fsync(fd) == 0;
	close(fd);
	return ok ? 0 : -1;
}

/*
 * The device id: made once and kept in keel-init's own file at the etc
 * partition's root (docs/FORMAT.md §5: the app sees neither the file nor
 * the root, and a factory reset keeps it). Without an etc partition the
 * id lives for this boot only.
 */
static void
device_id_load(void)
{
	int dfd =
	    g.etc_ok ? open(ETC_DIR, O_PATH | O_DIRECTORY | O_CLOEXEC) : -1;

	if (dfd >= 0 && read_id(dfd) == 0)
		goto out;
	if (dfd < 0 || make_id(dfd) < 0) {
		uint8_t r[UPDATE_ID_LEN / 2] = {0};

		klog("update: no device id kept on the etc partition: one "
		     "for this boot only");
		(void)!getrandom(r, sizeof(r), 0);
		text_hex(r, sizeof(r), device_id);
	} else {
		klog("update: device id %s made", device_id);
	}
out:
	if (dfd >= 0)
		close(dfd);
}

static int
prepare(char **argv, int max, int *fds)
{
	int n = 0;

	if (first_fds[0] >= 0 || first_fds[1] >= 0) {
		fds[0] = first_fds[0];
		fds[1] = first_fds[1];
		first_fds[0] = first_fds[1] = -1;
	} else {
		agent_open_confs(persist_etc_upper(), UPDATE_CONF, "update",
				 fds);
	}
	argv[n++] = "--status-fd";
	argv[n++] = "3";
	argv[n++] = "--id";
	argv[n++] = device_id;
	argv[n++] = "--socket";
	argv[n++] = CONTROL_SOCK;
	if (access(UPDATE_CA, R_OK) == 0) {
		argv[n++] = "--ca";
		argv[n++] = UPDATE_CA;
	}
	if (fds[0] >= 0) {
		argv[n++] = "--conf-fd";
		argv[n++] = "4";
	}
	if (fds[1] >= 0) {
		argv[n++] = "--device-conf-fd";
		argv[n++] = "5";
	}
	return n <= max ? n : -1;
}

static const struct agent_def update_agent = {
    .name = "update-agent", /* keel update-agent; its status keys */
    .log_src = LOGRING_UPDATE,
    .caps = 0,
    .uid = UPDATE_UID,
    .gid = UPDATE_UID,
    .prepare = prepare,
};

/*
 * The image's anchors for the app's `keel update URL`: copied (sendfile,
 * no buffer) from the verified image into keel-init's sockets directory,
 * which the app sees read-only at /run/keel; never from the etc
 * partition, which the app can write. No file: no default anchors.
 */
static void
app_ca_copy(void)
{
	int fds[2], out = -1;
	struct stat st;
	off_t off = 0;

	agent_open_confs(persist_etc_upper(), "update-ca.pem", "update", fds);
	if (fds[1] >= 0)
		close(fds[1]);
	if (fds[0] < 0)
		return;
	if (fstat(fds[0], &st) < 0 || st.st_size > UPDATE_CA_MAX) {
		klog("update: image's update-ca.pem: over %d bytes: ignored",
		     UPDATE_CA_MAX);
		goto out;
	}
	unlink(UPDATE_CA_APP);
	out = open(UPDATE_CA_APP,
		   O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0444);
	errno = EIO; /* a file that shrank: sendfile gives 0 */
	while (out >= 0 && off < st.st_size)
		if (sendfile(out, fds[0], &off, (size_t)(st.st_size - off)) <=
		    0)
			break;
	if (out < 0 || off != st.st_size) {
		klog("update: %s: %s", UPDATE_CA_APP, kerr_strerror(errno));
		if (out >= 0)
			unlink(UPDATE_CA_APP);
	}
out:
	if (out >= 0)
		close(out);
	close(fds[0]);
}

/*
 * The control socket (root's, group root, mode 0660 from control_listen)
 * with one more entry in its access ACL: the agent's gid, read-write.
 * The owner and group keep their rights, so an app running as another
 * uid with group 0 keeps its access; nobody else gains any. The kernel's
 * xattr form: a version word, then (tag, perm, id) entries sorted by tag.
 */
static int
sock_acl(const char *path)
{
	static const struct {
		uint16_t tag, perm;
		uint32_t id;
	} ent[] = {
	    {0x01, 6, UINT32_MAX}, /* the owner: rw */
	    {0x04, 6, UINT32_MAX}, /* the owning group: rw */
	    {0x08, 6, UPDATE_UID}, /* the agent's group: rw */
	    {0x10, 6, UINT32_MAX}, /* the mask: rw (mode 0660 stays) */
	    {0x20, 0, UINT32_MAX}, /* others: nothing */
	};
	uint8_t acl[4 + sizeof(ent) / sizeof(*ent) * 8];

	le_put32(acl, 2); /* the xattr form's version */
	for (size_t i = 0; i < sizeof(ent) / sizeof(*ent); i++) {
		le_put32(acl + 4 + 8 * i,
			 ent[i].tag | (uint32_t)ent[i].perm << 16);
		le_put32(acl + 8 + 8 * i, ent[i].id);
	}
	return setxattr(path, "system.posix_acl_access", acl, sizeof(acl), 0);
}

/*
 * With the app: the app's anchors; the agent when the image or the
 * device has an update.conf (opened here once: the agent's first start
 * takes these descriptors). The agent's gid gets an ACL entry on the
 * control socket; where the file system has no ACLs, the socket's group
 * becomes the agent's instead (the app, as root, keeps its access; an
 * app of another uid loses it, and the log says so).
 */
void
update_start(void)
{
	app_ca_copy();
	agent_open_confs(persist_etc_upper(), UPDATE_CONF, "update", first_fds);
	if (first_fds[0] < 0 && first_fds[1] < 0)
		return;
	device_id_load();
	if (sock_acl(CONTROL_SOCK) < 0) {
		klog("update: %s: no ACL (%s): the group becomes the agent's",
		     CONTROL_SOCK, kerr_strerror(errno));
		if (chown(CONTROL_SOCK, 0, UPDATE_UID) < 0)
			klog("update: %s: %s", CONTROL_SOCK,
			     kerr_strerror(errno));
	}
	agent_add(&update_agent);
	for (int i = 0; i < 2; i++) { /* not taken: no start happened */
		if (first_fds[i] >= 0)
			close(first_fds[i]);
		first_fds[i] = -1;
	}
}
