// SPDX-License-Identifier: MIT
/* Persistent state: the greeting in /etc, the boot count in /var/lib. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "demo/demo.h"

#define BOOT_ID_PATH "/proc/sys/kernel/random/boot_id"

/* Reads at most cap-1 bytes of path, trailing white space cut. */
static int
read_text(const char *path, char *buf, size_t cap)
{
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	buf[0] = 0;
	if (fd < 0)
		return -1;
	n = read(fd, buf, cap - 1);
	close(fd);
	if (n < 0)
		return -1;
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r' ||
			 buf[n - 1] == ' ' || buf[n - 1] == '\t'))
		n--;
	buf[n] = 0;
	return 0;
}

static int
sync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int r;

	if (fd < 0)
		return -1;
	r = fsync(fd);
	close(fd);
	return r;
}

/*
 * dir/name gets text: written to a temporary file, synced, renamed over
 * the old one and the directory synced, so a power cut leaves the old
 * or the new text, never a torn one.
 */
static int
write_atomic(const char *dir, const char *name, const char *text)
{
	char path[256], tmp[256];
	size_t len = strlen(text);
	int fd, r;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	snprintf(tmp, sizeof(tmp), "%s/.%s.tmp", dir, name);
	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		return -1;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -1;
	r = write(fd, text, len) == (ssize_t)len && fsync(fd) == 0 ? 0 : -1;
	if (close(fd) < 0)
		r = -1;
	if (r == 0)
		r = rename(tmp, path);
	if (r < 0) {
		int err = errno;
		unlink(tmp);
		errno = err;
		return -1;
	}
	return sync_dir(dir);
}

static int
parse_count(const char *s, unsigned long *v)
{
	char *end;

	errno = 0;
	*v = strtoul(s, &end, 10);
	return errno || end == s || *end ? -1 : 0;
}

int
store_greeting_get(char *buf, size_t cap)
{
	return read_text(DEMO_GREETING_PATH, buf, cap);
}

/* One line of printable text (UTF-8 passes), 1..DEMO_GREETING_MAX bytes. */
int
store_greeting_set(const char *text)
{
	char line[DEMO_GREETING_MAX + 2];
	size_t n = strlen(text);

	if (n == 0 || n > DEMO_GREETING_MAX) {
		errno = EINVAL;
		return -1;
	}
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)text[i] < 0x20 || text[i] == 0x7f) {
			errno = EINVAL;
			return -1;
		}
	snprintf(line, sizeof(line), "%s\n", text);
	return write_atomic("/etc/demo", "greeting", line);
}

int
store_boots(unsigned long *boots)
{
	char buf[32];

	*boots = 0;
	if (read_text(DEMO_STATE_DIR "/boots", buf, sizeof(buf)) < 0)
		return errno == ENOENT ? 0 : -1;
	return parse_count(buf, boots);
}

/*
 * Counts this boot once: a restart of the service within the same boot
 * (same kernel boot_id) does not count again.
 */
int
store_count_boot(unsigned long *boots)
{
	char id[64], last[64], num[32];

	if (store_boots(boots) < 0)
		return -1;
	if (read_text(BOOT_ID_PATH, id, sizeof(id)) < 0)
		id[0] = 0;
	read_text(DEMO_STATE_DIR "/boot_id", last, sizeof(last));
	if (id[0] && !strcmp(id, last))
		return 0;
	snprintf(num, sizeof(num), "%lu\n", *boots + 1);
	if (write_atomic(DEMO_STATE_DIR, "boots", num) < 0)
		return -1;
	++*boots;
	if (id[0]) {
		strcat(id, "\n");
		write_atomic(DEMO_STATE_DIR, "boot_id", id);
	}
	return 0;
}
