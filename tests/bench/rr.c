// SPDX-License-Identifier: MIT
/* Benchmark runner: commands timed in interleaved rounds, CSV of each. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/*
 * Usage: rr RUNS WARMUP CSV NAME CMD [NAME CMD]...
 *
 * Each round runs every command once, in an order that rotates from
 * round to round, so a load that comes and goes on a shared machine
 * falls on every command alike (hyperfine runs one command's runs, then
 * the next's). CMD is split at spaces and run without a shell (PATH is
 * searched), its output to /dev/null; a non-zero exit stops the
 * benchmark. The CSV has
 * hyperfine's columns: command,mean,stddev,median,user,system,min,max
 * (seconds; user and system are the children's CPU time per run).
 * RR_GAP_MS=N: an untimed pause of N ms before each run, so that each
 * run starts as from an idle machine (e.g. no RCU grace period already
 * under way for it).
 */

#define MAX_CMDS 8
#define MAX_ARGS 64
#define MAX_RUNS 10000

struct cmd {
	const char *name;
	char *argv[MAX_ARGS];
	double *t, user, sys;
};

extern char **environ;

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double
tv(struct timeval t)
{
	return (double)t.tv_sec + (double)t.tv_usec / 1e6;
}

/* One run: wall seconds, and the CPU time the child used into c. */
static double
run_one(struct cmd *c, posix_spawn_file_actions_t *fa, int gap_ms)
{
	struct timespec gap = {gap_ms / 1000, (gap_ms % 1000) * 1000000L};
	struct rusage ru;
	double t0, t1;
	pid_t pid;
	int st;

	if (gap_ms > 0)
		nanosleep(&gap, NULL);
	t0 = now();
	if (posix_spawnp(&pid, c->argv[0], fa, NULL, c->argv, environ)) {
		perror(c->argv[0]);
		exit(2);
	}
	if (wait4(pid, &st, 0, &ru) != pid) {
		perror("wait4");
		exit(2);
	}
	t1 = now();
	if (!WIFEXITED(st) || WEXITSTATUS(st)) {
		fprintf(stderr, "rr: %s: exit status %d\n", c->name, st);
		exit(1);
	}
	c->user += tv(ru.ru_utime);
	c->sys += tv(ru.ru_stime);
	return t1 - t0;
}

static int
cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void
report(FILE *f, struct cmd *c, int n)
{
	double sum = 0, var = 0, mean;

	for (int i = 0; i < n; i++)
		sum += c->t[i];
	mean = sum / n;
	for (int i = 0; i < n; i++)
		var += (c->t[i] - mean) * (c->t[i] - mean);
	qsort(c->t, (size_t)n, sizeof(double), cmp);
	fprintf(f, "%s,%.9f,%.9f,%.9f,%.9f,%.9f,%.9f,%.9f\n", c->name, mean,
		n > 1 ? __builtin_sqrt(var / (n - 1)) : 0.0,
		n % 2 ? c->t[n / 2] : (c->t[n / 2 - 1] + c->t[n / 2]) / 2,
		c->user / n, c->sys / n, c->t[0], c->t[n - 1]);
	printf("  %-16s mean %7.2f ms  median %7.2f ms  min %7.2f ms  "
	       "(user %.2f, system %.2f ms)\n",
	       c->name, mean * 1e3,
	       (n % 2 ? c->t[n / 2] : (c->t[n / 2 - 1] + c->t[n / 2]) / 2) *
		   1e3,
	       c->t[0] * 1e3, c->user / n * 1e3, c->sys / n * 1e3);
}

int
main(int argc, char **argv)
{
	struct cmd cmds[MAX_CMDS];
	posix_spawn_file_actions_t fa;
	const char *g = getenv("RR_GAP_MS");
	int runs, warm, n = 0, gap = g ? atoi(g) : 0;
	FILE *csv;

	if (argc < 6 || argc % 2)
		goto usage;
	runs = atoi(argv[1]);
	warm = atoi(argv[2]);
	if (runs < 1 || runs > MAX_RUNS || warm < 0)
		goto usage;
	for (int i = 4; i + 1 < argc && n < MAX_CMDS; i += 2, n++) {
		struct cmd *c = &cmds[n];
		int k = 0;

		memset(c, 0, sizeof(*c));
		c->name = argv[i];
		for (char *w = strtok(argv[i + 1], " "); w && k < MAX_ARGS - 1;
		     w = strtok(NULL, " "))
			c->argv[k++] = w;
		c->t = calloc((size_t)runs, sizeof(double));
		if (!k || !c->t)
			goto usage;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	for (int r = 0; r < warm; r++)
		for (int i = 0; i < n; i++)
			run_one(&cmds[i], &fa, gap);
	for (int i = 0; i < n; i++)
		cmds[i].user = cmds[i].sys = 0;
	for (int r = 0; r < runs; r++)
		for (int j = 0; j < n; j++) {
			struct cmd *c = &cmds[(r + j) % n];
			c->t[r] = run_one(c, &fa, gap);
		}
	csv = fopen(argv[3], "w");
	if (!csv) {
		perror(argv[3]);
		return 2;
	}
	fprintf(csv, "command,mean,stddev,median,user,system,min,max\n");
	printf("%d interleaved rounds (%d warm-up):\n", runs, warm);
	for (int i = 0; i < n; i++)
		report(csv, &cmds[i], runs);
	fclose(csv);
	return 0;
usage:
	fprintf(stderr, "usage: rr RUNS WARMUP CSV NAME CMD [NAME CMD]...\n");
	return 2;
}
