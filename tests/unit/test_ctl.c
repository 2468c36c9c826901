// SPDX-License-Identifier: MIT
/* keel's control and notify clients, run against fake servers. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/ipc/control.h"
#include "lib/ipc/notify.h"
#include "tests/unit/unit.h"

static char dir[] = "/tmp/keel-ctl-XXXXXX";
static char sock_path[128], keel[PATH_MAX];

struct run {
	pid_t pid;
	char out[PATH_MAX], err[PATH_MAX];
};

static void
start(struct run *r, const char *in, const char *env_sock, char **args)
{
	char *argv[16] = {keel};
	int n = 1;

	for (; args[n - 1]; n++)
		argv[n] = args[n - 1];
	argv[n] = NULL;
	snprintf(r->out, sizeof(r->out), "%s/out", dir);
	snprintf(r->err, sizeof(r->err), "%s/err", dir);
	r->pid = fork();
	if (r->pid == 0) {
		int o = open(r->out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		int e = open(r->err, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		int i, pp[2];

		if (in && in[0] == '|' && !pipe(pp)) {
			/* stdin is a pipe fed by a writer process */
			if (fork() == 0) {
				static char b[65536];
				int f = open(in + 1, O_RDONLY);
				ssize_t n;
				close(pp[0]);
				while ((n = read(f, b, sizeof(b))) > 0)
					if (write(pp[1], b, (size_t)n) != n)
						_exit(1);
				_exit(0);
			}
			close(pp[1]);
			i = pp[0];
		} else {
			i = open(in ? in : "/dev/null", O_RDONLY);
		}
		dup2(i, 0), dup2(o, 1), dup2(e, 2);
		if (env_sock)
			setenv("KEEL_CONTROL", env_sock, 1);
		else
			unsetenv("KEEL_CONTROL");
		execv(keel, argv);
		_exit(127);
	}
}

static int
finish(struct run *r)
{
	int st;

	if (waitpid(r->pid, &st, 0) != r->pid)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static int
file_has(const char *path, const char *s)
{
	static char buf[65536];
	long n;
	int fd = open(path, O_RDONLY);

	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	buf[n > 0 ? n : 0] = 0;
	return strstr(buf, s) != NULL;
}

/* Waits for a connection and its request (the client has 10 s). */
static int
serve(int lfd, struct control_req *r, int *fd)
{
	struct pollfd p = {lfd, POLLIN, 0};
	struct control_conn cc;
	struct kerr e;
	int c, rc;

	control_conn_init(&cc);
	if (poll(&p, 1, 10000) != 1)
		return -1;
	c = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (c < 0)
		return -1;
	for (int i = 0; i < 1000; i++) {
		p.fd = c;
		poll(&p, 1, 10);
		rc = control_recv_request(c, &cc, r, fd, &e);
		if (rc == 1)
			return c;
		if (rc < 0)
			break;
	}
	close(c);
	return -1;
}

static void
say(int c, const char *s)
{
	size_t n = strlen(s);

	fcntl(c, F_SETFL, 0);
	if (write(c, s, n) != (ssize_t)n)
		printf("server: short write\n");
}

/* Reads the bundle as the installer would: blocking, to EOF or size. */
static long
slurp(int c, uint8_t *buf, size_t cap, uint64_t size, const char *progress)
{
	size_t got = 0;
	char line[64];

	fcntl(c, F_SETFL, 0);
	while (got < cap && (!size || got < size)) {
		ssize_t n = read(c, buf + got, (size ? size - got : cap - got));
		if (n <= 0)
			break;
		got += (size_t)n;
		if (progress) {
			snprintf(line, sizeof(line), "progress=%zu/%s\n", got,
				 progress);
			say(c, line);
		}
	}
	return (long)got;
}

static void
test_client_simple(int lfd)
{
	struct control_req r;
	struct run run;
	char buf[4096];
	size_t off = 0;
	struct state st;
	int c, fd;

	state_default(&st);
	control_put_state(buf, sizeof(buf), &off, &st);
	control_put(buf, sizeof(buf), &off, "app", "%s", "running");
	control_end(buf, sizeof(buf), &off, NULL);
	start(&run, NULL, sock_path, (char *[]){"status", NULL});
	c = serve(lfd, &r, &fd);
	CHECK(c >= 0 && r.cmd == CONTROL_STATUS, "status request");
	say(c, buf);
	close(c);
	CHECK(finish(&run) == 0, "status exit");
	buf[off - 3] = 0; /* the client prints the lines before "ok" */
	CHECK(file_has(run.out, buf) && file_has(run.out, "app=running\n"),
	      "status output");

	const struct {
		char *args[4];
		int cmd;
		const char *reply, *want_err;
		int rc;
	} t[] = {
	    {{"reboot"}, CONTROL_REBOOT, "ok\n", "", 0},
	    {{"poweroff", "--socket", sock_path},
	     CONTROL_POWEROFF,
	     "ok\n",
	     "",
	     0},
	    {{"factory-reset", "--yes"}, CONTROL_FACTORY_RESET, "ok\n", "", 0},
	    {{"reboot"},
	     CONTROL_REBOOT,
	     "error: update running\n",
	     "update running",
	     1},
	    {{"status"}, CONTROL_STATUS, "a=1\n", "without a reply", 1},
	    {{"status"}, CONTROL_STATUS, "garbage\nok\n", "no '='", 1},
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		/* poweroff names its socket: the environment points away. */
		start(&run, NULL, i == 1 ? "/nonexistent" : sock_path,
		      (char **)t[i].args);
		c = serve(lfd, &r, &fd);
		CHECK(c >= 0 && r.cmd == t[i].cmd, "%zu: request %d", i, r.cmd);
		if (c >= 0) {
			say(c, t[i].reply);
			close(c);
		}
		CHECK(finish(&run) == t[i].rc, "%zu: exit", i);
		CHECK(file_has(run.err, t[i].want_err), "%zu: stderr", i);
	}
	/* Refused before connecting. */
	start(&run, NULL, sock_path, (char *[]){"factory-reset", NULL});
	CHECK(finish(&run) == 1 && file_has(run.err, "--yes"), "no --yes");
	start(&run, NULL, sock_path, (char *[]){"status", "x", NULL});
	CHECK(finish(&run) == 2, "extra arg");
	start(&run, NULL, sock_path, (char *[]){"update", NULL});
	CHECK(finish(&run) == 2, "update without bundle");
	struct pollfd p = {lfd, POLLIN, 0};
	CHECK(poll(&p, 1, 0) == 0, "refused clients connected");
	start(&run, NULL, "/nonexistent/sock", (char *[]){"status", NULL});
	CHECK(finish(&run) == 1 && file_has(run.err, "/nonexistent/sock"),
	      "no server");
}

static void
test_client_update(int lfd)
{
	static uint8_t data[3 << 20], got[4 << 20];
	char path[PATH_MAX], total[32];
	struct control_req r;
	struct run run;
	unsigned s = 1;
	int c, fd, out;
	long n;

	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)((s = s * 1103515245u + 12345u) >> 16);
	snprintf(path, sizeof(path), "%s/bundle", dir);
	out = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	CHECK(write(out, data, sizeof(data)) == (ssize_t)sizeof(data), "w");
	close(out);
	snprintf(total, sizeof(total), "%zu", sizeof(data));

	/* A file: sized stream, progress on stderr, ok. */
	start(&run, NULL, sock_path, (char *[]){"update", path, NULL});
	c = serve(lfd, &r, &fd);
	CHECK(c >= 0 && r.cmd == CONTROL_UPDATE && r.src == CONTROL_SRC_SIZED &&
		  r.size == sizeof(data),
	      "update file: src %d size %llu", r.src,
	      (unsigned long long)r.size);
	n = slurp(c, got, sizeof(got), r.size, total);
	CHECK(n == (long)sizeof(data) && !memcmp(got, data, sizeof(data)),
	      "bundle bytes %ld", n);
	say(c, "ok\n");
	close(c);
	CHECK(finish(&run) == 0, "update exit");
	CHECK(file_has(run.err, "3145728/3145728 bytes (100%)"),
	      "progress shown");

	/* stdin, a pipe: stream to EOF. */
	char piped[PATH_MAX + 1];
	snprintf(piped, sizeof(piped), "|%s", path);
	start(&run, piped, sock_path, (char *[]){"update", "-", NULL});
	c = serve(lfd, &r, &fd);
	CHECK(c >= 0 && r.src == CONTROL_SRC_STREAM, "update -: %d", r.src);
	n = slurp(c, got, sizeof(got), 0, "0");
	CHECK(n == (long)sizeof(data) && !memcmp(got, data, sizeof(data)),
	      "stdin bytes %ld", n);
	say(c, "ok\n");
	close(c);
	CHECK(finish(&run) == 0, "update - exit");

	/* stdin, a regular file: its size is known, so sent sized. */
	start(&run, path, sock_path, (char *[]){"update", "-", NULL});
	c = serve(lfd, &r, &fd);
	CHECK(c >= 0 && r.src == CONTROL_SRC_SIZED && r.size == sizeof(data),
	      "update - <file: %d", r.src);
	n = slurp(c, got, sizeof(got), r.size, NULL);
	say(c, "ok\n");
	close(c);
	CHECK(finish(&run) == 0 && n == (long)sizeof(data), "update - <file");

	/* --fd: the descriptor, not the bytes. */
	start(&run, NULL, sock_path, (char *[]){"update", "--fd", path, NULL});
	c = serve(lfd, &r, &fd);
	CHECK(c >= 0 && r.src == CONTROL_SRC_FD && fd >= 0, "update --fd");
	n = fd >= 0 ? pread(fd, got, sizeof(got), 0) : -1;
	CHECK(n == (long)sizeof(data) && !memcmp(got, data, sizeof(data)),
	      "fd bytes %ld", n);
	if (fd >= 0)
		close(fd);
	say(c, "progress=3145728/3145728\nok\n");
	close(c);
	CHECK(finish(&run) == 0, "update --fd exit");

	/* The server refuses mid-stream: the client stops, reports, exits. */
	start(&run, NULL, sock_path, (char *[]){"update", path, NULL});
	c = serve(lfd, &r, &fd);
	n = slurp(c, got, 100000, 100000, NULL);
	say(c, "progress=100000/3145728\nerror: block 3: hash mismatch\n");
	close(c);
	CHECK(finish(&run) == 1 && file_has(run.err, "block 3: hash mismatch"),
	      "refused mid-stream");
}

static void
test_notify_client(void)
{
	char path[PATH_MAX], buf[NOTIFY_MAX + 1];
	struct notify_msg m;
	struct kerr e;
	struct run run;
	pid_t pid;
	int fd;

	snprintf(path, sizeof(path), "%s/notify", dir);
	fd = notify_open(path, &e);
	CHECK(fd >= 0, "notify open");
	setenv("NOTIFY_SOCKET", path, 1);
	start(
	    &run, NULL, NULL,
	    (char *[]){"notify", "READY=1", "STATUS=serving 3 clients", NULL});
	CHECK(finish(&run) == 0, "keel notify exit");
	CHECK(notify_recv(fd, buf, sizeof(buf), &m, &pid, &e) == 1 &&
		  m.flags == (NOTIFY_READY | NOTIFY_STATUS) &&
		  !strcmp(m.status, "serving 3 clients") && pid == run.pid,
	      "datagram: %x '%s'", m.flags, m.status);
	start(&run, NULL, NULL, (char *[]){"notify", "READY", NULL});
	CHECK(finish(&run) == 1, "not KEY=VALUE");
	unsetenv("NOTIFY_SOCKET");
	start(&run, NULL, NULL, (char *[]){"notify", "READY=1", NULL});
	CHECK(finish(&run) == 1 && file_has(run.err, "NOTIFY_SOCKET"), "unset");
	start(&run, NULL, NULL,
	      (char *[]){"notify", "--socket", path, "WATCHDOG=1", NULL});
	CHECK(finish(&run) == 0 &&
		  notify_recv(fd, buf, sizeof(buf), &m, &pid, &e) == 1 &&
		  m.flags == NOTIFY_WATCHDOG,
	      "--socket");
	close(fd);
	unlink(path);
}

static int
find_keel(void)
{
	const char *o = getenv("O");
	char exe[PATH_MAX];
	ssize_t n;

	if (o && *o) {
		snprintf(keel, sizeof(keel), "%s/keel", o);
	} else {
		n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
		if (n <= 0)
			return -1;
		exe[n] = 0;
		/* $O/host/tests/test_ctl -> $O/keel */
		snprintf(keel, sizeof(keel), "%s/keel",
			 dirname(dirname(dirname(exe))));
	}
	return access(keel, X_OK);
}

int
main(void)
{
	struct kerr e;
	int lfd;

	signal(SIGPIPE, SIG_IGN);
	alarm(120); /* a hung client or server is a failure, not a hang */
	CHECK(mkdtemp(dir) != NULL, "mkdtemp");
	CHECK(!find_keel(), "keel binary not found at %s (build it first)",
	      keel);
	snprintf(sock_path, sizeof(sock_path), "%s/control", dir);
	lfd = control_listen(sock_path, &e);
	CHECK(lfd >= 0, "listen: %s", e.detail);
	if (lfd >= 0 && !access(keel, X_OK)) {
		struct stat st;
		CHECK(!stat(sock_path, &st) && (st.st_mode & 0777) == 0660,
		      "socket mode %o", st.st_mode & 0777);
		test_client_simple(lfd);
		test_client_update(lfd);
		test_notify_client();
		close(lfd);
	}
	unlink(sock_path);
	char p[PATH_MAX];
	snprintf(p, sizeof(p), "%s/out", dir), unlink(p);
	snprintf(p, sizeof(p), "%s/err", dir), unlink(p);
	snprintf(p, sizeof(p), "%s/bundle", dir), unlink(p);
	rmdir(dir);
	return unit_done("ctl");
}
