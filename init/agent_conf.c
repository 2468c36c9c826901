// SPDX-License-Identifier: MIT
/* An agent's configuration: /etc/keel/NAME, the device's or the image's. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "init/init.h"
#include "lib/base/testhook.h"

#define CONF_DIR "keel" /* an agent's configurations, in /etc */

/* keel-init-test's words at its pause before the opaque check. */
static void
conf_pause_say(const char *name)
{
	klog("agent: test pause: keel/%s absent, keel/ not yet checked", name);
}

/*
 * dir/keel/NAME (an agent's configuration), opened for reading: no
 * symlink on the way (the etc partition is the app's to write), a
 * regular file, never blocking. -1 if absent or refused (said why, with
 * tag); -2 if overlay's marks say the file is deleted (a whiteout) or
 * hidden (an opaque keel/).
 */
static int
open_conf(const char *dir, const char *name, const char *tag, const char *what)
{
	struct stat st;
	char v[2];
	int dfd, kfd = -1, fd = -1;

	/*
	 * keel/ is opened for reading, not O_PATH: its opaque mark is read
	 * from this descriptor (fgetxattr refuses O_PATH ones), the same
	 * inode the file was looked up in. By path, the app could swap
	 * keel/ for another directory between the open and the check.
	 */
	dfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0)
		kfd = openat(dfd, CONF_DIR,
			     O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd >= 0 && kfd < 0 &&
	    fstatat(dfd, CONF_DIR, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    S_ISCHR(st.st_mode) && st.st_rdev == 0)
		fd = -2; /* keel/ itself deleted on the device */
	if (kfd >= 0 && fstatat(kfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		if (S_ISCHR(st.st_mode) && st.st_rdev == 0)
			fd = -2; /* overlay's whiteout: deleted on the device */
		else if (!S_ISREG(st.st_mode))
			klog("%s: %s: %s/%s/%s is not a file: ignored", tag,
			     what, dir, CONF_DIR, name);
		else
			fd = openat(kfd, name,
				    O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
					O_NOCTTY | O_CLOEXEC);
	}
	if (fd >= 0 && (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))) {
		close(fd);
		fd = -1;
	}
	if (fd == -1 && kfd >= 0)
		testhook_pause(name, conf_pause_say);
	if (fd == -1 && kfd >= 0 &&
	    fgetxattr(kfd, "trusted.overlay.opaque", v, sizeof(v)) == 1 &&
	    v[0] == 'y')
		fd = -2; /* keel/ made anew on the device: the image's is hidden
			  */
	if (kfd >= 0)
		close(kfd);
	if (dfd >= 0)
		close(dfd);
	return fd;
}

/*
 * An agent's /etc/keel/NAME: fds[0] the image's, fds[1] the device's (the
 * etc partition's upper layer, upper: the caller's persist_etc_upper(),
 * so that this module needs none of persist's), -1 for none. The
 * device's choice first: a whiteout or opaque keel/ there means the app
 * sees no file, and neither does the agent.
 */
void
agent_open_confs(const char *upper, const char *name, const char *tag,
		 int fds[2])
{
	int over = upper ? open_conf(upper, name, tag, "etc partition") : -1;

	fds[1] = over >= 0 ? over : -1;
	fds[0] =
	    over == -2 ? -1 : open_conf(IMAGE_DIR "/etc", name, tag, "image");
	if (fds[0] < 0)
		fds[0] = -1;
}
