// SPDX-License-Identifier: MIT
/* The app's last steps: identity, limits, capabilities, seccomp, execve. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/base/fmt.h"
#include "lib/container/caps.h"
#include "lib/container/container_priv.h"

#define CTR_DEFAULT_PATH                                                       \
	"/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:"                   \
	"/sbin:/bin"

static const char *
ctr_env_path(char *const *env)
{
	for (; env && *env; env++)
		if (!strncmp(*env, "PATH=", 5))
			return *env + 5;
	return CTR_DEFAULT_PATH;
}

/*
 * execvp with the container's PATH (not keel's). Returns the errno that
 * decides the exit code: EACCES seen anywhere wins over ENOENT.
 */
static int
ctr_execvpe(char *const *argv, char *const *env)
{
	const char *path, *dir, *end;
	size_t nlen = strlen(argv[0]);
	char buf[PATH_MAX];
	int seen_eacces = 0;

	if (strchr(argv[0], '/')) {
		execve(argv[0], argv, env);
		return errno;
	}
	path = ctr_env_path(env);
	for (dir = path;; dir = end + 1) {
		size_t dlen;

		end = strchrnul(dir, ':');
		dlen = (size_t)(end - dir);
		if (dlen + nlen + 2 <= sizeof(buf)) {
			memcpy(buf, dir, dlen);
			buf[dlen] = '/';
			memcpy(buf + dlen + 1, argv[0], nlen + 1);
			execve(dlen ? buf : argv[0], argv, env);
			if (errno == EACCES)
				seen_eacces = 1;
			else if (errno != ENOENT && errno != ENOTDIR)
				return errno;
		}
		if (!*end)
			break;
	}
	return seen_eacces ? EACCES : ENOENT;
}

static int
ctr_limits(const struct oci_config *cfg, struct kerr *e)
{
	for (int i = 0; i < cfg->nrlimits; i++) {
		struct rlimit rl = {
		    .rlim_cur = (rlim_t)cfg->rlimits[i].soft,
		    .rlim_max = (rlim_t)cfg->rlimits[i].hard,
		};
		if (setrlimit(cfg->rlimits[i].resource, &rl))
			return kerr_set(e, "rlimit", "resource %d: %s",
					cfg->rlimits[i].resource,
					kerr_strerror(errno));
	}
	if (cfg->has_oom_score_adj) {
		char num[16];
		int fd, n = fmt_sn(num, sizeof(num), "%d", cfg->oom_score_adj);

		fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
		if (fd < 0 || write(fd, num, (size_t)n) != n) {
			kerr_set(e, "oom_score_adj", "%s",
				 kerr_strerror(errno));
			if (fd >= 0)
				close(fd);
			return -1;
		}
		close(fd);
	}
	return 0;
}

int
ctr_exec_app(const struct ctr_spec *s, struct ctr *c, struct kerr *e)
{
	const struct oci_config *cfg = s->cfg;
	char *const *argv = s->argv ? s->argv : cfg->args;
	int err;

	c->exit_code = CTR_EXIT_SETUP;
	if (!argv[0])
		return kerr_set(e, "exec", "no command");
	if (ctr_limits(cfg, e))
		return -1;
	umask(cfg->umask >= 0 ? (mode_t)cfg->umask : c->umask);
	/* the bounding set is cfg's already (ctr_child, before the fork) */
	if (caps_switch(cfg, e))
		return -1;
	if (chdir(cfg->cwd ? cfg->cwd : "/"))
		return kerr_set(e, "cwd", "%s: %s", cfg->cwd,
				kerr_strerror(errno));
	sigprocmask(SIG_SETMASK, &c->oldmask, NULL);
	/* LAST before execve: nothing after this may need a denied call */
	if (seccomp_install(&c->prog, e))
		return -1;
	err = ctr_execvpe(argv, s->env ? s->env : cfg->env);
	c->exit_code = err == ENOENT || err == ENOTDIR ? CTR_EXIT_NOTFOUND
						       : CTR_EXIT_CANNOT;
	return kerr_set(e, "exec", "%s: %s", argv[0], kerr_strerror(err));
}
