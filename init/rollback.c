// SPDX-License-Identifier: MIT
/* The board's rollback counter, read and raised by `keel counter`. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "init/init.h"
#include "lib/base/fmt.h"
#include "lib/update/counter.h"

/* What it reads or raises, and its errors: init.h. */
int
rollback_counter_run(int adv, uint64_t *floor, struct kerr *e)
{
	static struct counter_msg m; /* e->check may point into it */
	char *argv[8] = {"keel", "counter"}, idx[16], fl[24];
	int rp[2], fds[4] = {-1, -1, -1, -1}, n = 2, st = 0, err;
	ssize_t got;
	pid_t pid;

	if (g.board.counter == BOARD_COUNTER_TPM2) {
		fmt_sn(idx, sizeof(idx), "%u", (unsigned)g.board.counter_index);
		argv[n++] = "tpm2";
		argv[n++] = idx;
		argv[n++] = TPM_DEV;
	} else {
		argv[n++] = "file";
		argv[n++] = g.board.counter_path;
	}
	if (adv) {
		fmt_sn(fl, sizeof(fl), "%llu", (unsigned long long)*floor);
		argv[n++] = fl;
	}
	if (pipe2(rp, O_CLOEXEC) < 0)
		return kerr_set(e, "keel counter", "pipe: %s",
				kerr_strerror(errno));
	fds[COUNTER_MSG_FD] = rp[1];
	pid = _Fork(); /* fork without threads: see agent.c */
	if (pid == 0) {
		agent_exec_keel(fds, 4, argv);
		_exit(127);
	}
	err = errno;
	close(rp[1]);
	memset(&m, 0, sizeof(m));
	got = pid < 0
		  ? 0
		  : init_read_record(rp[0], &m, sizeof(m), 1, INIT_COUNTER_MS);
	if (got < 0)
		err = errno;
	close(rp[0]);
	if (pid < 0)
		return kerr_set(e, "keel counter", "fork: %s",
				kerr_strerror(err));
	/* Done, or too slow: either way it ends now, and is waited for. */
	kill(pid, SIGKILL);
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	if (got < 0)
		return kerr_set(e, "keel counter", "no record: %s",
				err == ETIMEDOUT ? "too slow"
						 : kerr_strerror(err));
	if (got != (ssize_t)sizeof(m) || m.magic != COUNTER_MSG_MAGIC ||
	    m.ok > 1 || !memchr(m.check, 0, sizeof(m.check)) ||
	    !memchr(m.detail, 0, sizeof(m.detail)))
		return kerr_set(e, "keel counter",
				"no record (%zd bytes), status %d", got,
				init_status_code(st));
	if (!m.ok) {
		kerr_set(e, NULL, "%s", m.detail);
		e->check = m.check;
		return -1;
	}
	if (!adv)
		*floor = m.floor;
	return 0;
}
