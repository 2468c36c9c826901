/* SPDX-License-Identifier: MIT */
/* keel-init's state and its units, one file per group of steps. */
#ifndef KEEL_INIT_H
#define KEEL_INIT_H

#include <poll.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>

#include "init/limits.h"
#include "init/paths.h"
#include "lib/base/thread.h"
#include "lib/config/board.h"
#include "lib/crypto/keyset.h"
#include "lib/image/image.h"
#include "lib/ipc/agentmsg.h"
#include "lib/ipc/appmsg.h"
#include "lib/ipc/control.h"
#include "lib/log/logring.h"
#include "lib/update/state.h"

/*
 * The system-call table: every call with an effect outside keel-init's
 * memory and its own descriptors goes through it, so that --test can
 * record a transcript of what keel-init asked for (tests/host/init.sh
 * compares it with the expected one) and skip what a host must not do
 * (load modules, reboot the host).
 */
struct sys_ops {
	int (*mount)(const char *src, const char *dst, const char *type,
		     unsigned long flags, const void *data);
	int (*umount)(const char *dst, int flags);
	int (*finit_module)(int fd, const char *name);
	int (*dm_ioctl)(int fd, unsigned long req, void *arg);
	int (*reboot)(int how);
	int (*kill)(pid_t pid, int sig);
	int (*mknod)(const char *path, mode_t mode, dev_t dev);
	int (*unlink)(const char *path);
	int (*chroot)(const char *path);
	int (*settime)(const struct timespec *ts); /* CLOCK_REALTIME */
};
extern const struct sys_ops *sys;
/* Test mode: record every call as a line of the transcript fd (sys.c). */
void sys_use_transcript(int fd);
/* 1 when sys records a transcript: a step keel-init would overlap with
 * others is waited for at once, so the transcript keeps its order. */
int sys_recording(void);

/* Exit status of a wait status: its code, or 128+N for signal N. */
static inline int
init_status_code(int status)
{
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}

/* Monotonic µs: deadlines and timers. */
static inline uint64_t
clock_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

/* What keel-init knows about the device (init/globals.c). */
struct init {
	int test; /* --test: PID 1 of a pid namespace on a host */
	struct board board;
	struct keyset keys;
	/* the device path of each partition */
	char dev[BOARD_NPART][BOARD_PATH_MAX + 1];
	int slot;	   /* 0 = A, 1 = B, -1 none yet */
	int force_slot;	   /* keel.slot=a|b, else -1 */
	char root_dev[64]; /* what the image is mounted from */
	struct img_meta meta;
	struct appmsg app;  /* the config's supervision settings (app.c) */
	int etc_ok, var_ok; /* persistent partitions mounted */
	pid_t app_pid;	    /* the container's first process, our child */
	int app_running;
	uint64_t app_started_us;
	unsigned restarts; /* in the current backoff streak */
	uint32_t backoff_ms;
	int debug;
	int loop_fd; /* full mode: the copy's loop device, until mounted */
	int dm_ctl;  /* /dev/mapper/control, verity mode */
	int commit_pending; /* trial/fallback: commit once healthy */
	int trial;	    /* booted a trial slot (tries counted) */
};
extern struct init g;
void globals_init(void);

/*
 * The log (log.c): keel-init's lines, the app's output and the kernel's
 * messages in one RAM ring, echoed to the console without ever blocking.
 * klog stamps a line with µs since start; klog_status writes one of the
 * "keel: ..." lines keel's tools read off the console.
 */
void log_init(void);
void log_open(void);
void klog(const char *fmt, ...) __attribute__((format(__printf__, 1, 2)));
void klog_status(const char *fmt, ...)
    __attribute__((format(__printf__, 1, 2)));
const struct logring *log_ring(void);
/* One line of a child's (src: LOGRING_APP, _NET, ...), tagged on the
 * console with its source's name. */
void log_line(unsigned src, const char *text, size_t len);
int log_app_fd(void);
void log_drain_app(void);
void log_app_ended(void);
void log_drain_kernel(void);
int log_pollfds(struct pollfd *p, int max);
void log_poll(const struct pollfd *p, int n);

/* The log kept across boots on the var partition (logfile.c). */
void logfile_open(void);
void logfile_flush(int sync);
void logfile_close(void);
void logfile_path(unsigned boot, char *out, size_t cap);

/* Readers of the log over the control socket (logsrv.c): logsrv_start
 * takes a copy of the connection's fd. */
void logsrv_start(int fd, const struct control_req *r);
/* An agent's stream, from the line after *mark, which its answers move
 * (logsrv.c); *mark must outlive the reader. */
void logsrv_agent(int fd, uint64_t *mark);
int logsrv_pollfds(struct pollfd *p, int max);
void logsrv_poll(const struct pollfd *p, int n);

/* The ends of the road (power.c). power_fatal: reboot after the board's
 * delay, or halt with the reason on the console; power_shutdown: stop
 * the app cleanly, unmount, then power off, reboot or halt. */
__attribute__((noreturn)) void power_fatal(const char *step,
					   const char *detail);
__attribute__((noreturn)) void power_shutdown(int how, const char *why);

/* Early boot (early.c). */
void early_set_board_path(const char *path);
void early_mounts(void);
void early_config(void);
int early_move_root(void);
/* cgroup2 on /sys/fs/cgroup by a thread of its own, started once the
 * root is final; early_cgroup_wait before anything uses it. */
void early_cgroup_start(void);
void early_cgroup_wait(void);

/* Kernel modules in the board's order (modules.c). */
int modules_load(void);

/* Partitions by GPT name, all on one disk (disk.c). 0; -1 some missing;
 * -2 refused (a name twice, or on another disk): why says so. */
int disk_find_partitions(char *why, size_t cap);
int disk_used_before(char *what, size_t cap);

/*
 * The A/B record: which slot, and what happened to it (ab.c). Functions
 * returning int return -1 when the record could not be written (after
 * INIT_STATE_TRIES attempts): the caller's policy decides what then.
 */
int ab_load(char *why, size_t cap);
const struct state *ab_state(void);
int ab_choose_slot(void);
uint64_t ab_floor(void);
/* 1 if m is, byte for byte, slot s's header whose signatures ab_load
 * verified this boot (the same bytes against the same baked keys: the
 * same answer); else 0, and the caller verifies them itself. */
int ab_header_signed(int s, const struct img_meta *m);
void ab_slot_booting(int slot);
int ab_slot_failed(int slot, int reason, const char *why);
int ab_app_failed(int code, int why, int now);
int ab_can_fall_back(void);
int ab_app_healthy(void);
int ab_update_target(char *why, size_t cap);
int ab_slot_installed(int slot, uint64_t version, uint64_t epoch,
		      const uint8_t digest[STATE_DIGEST]);
int ab_slot_installing(int slot);
int ab_factory_reset_pending(void);
int ab_factory_reset_done(void);
int ab_request_factory_reset(void);

/*
 * Runs `keel counter` on the board's rollback counter, so that the TPM's
 * responses are parsed outside PID 1 (rollback.c): it reads the floor
 * (adv 0) or raises the counter to *floor (adv 1). 0, or -1 with e: the
 * counter's own refusal, or none that can be trusted (no record of the
 * exact size and form within INIT_COUNTER_MS, a helper that never ran).
 */
int rollback_counter_run(int adv, uint64_t *floor, struct kerr *e);

/*
 * Verify, map and mount a slot; dm-verity's view of it later (slot.c).
 * slot_boot: 0 booting g.slot; -1 no slot passed; -2 keel app could not
 * check a slot's config (keel-init's failure: no slot is marked).
 * slot_check_corruption: 0 none; 1 the running slot has seen a corrupted
 * block (marked bad once; logged with the block when the kernel says
 * which); 2 the same, but the mark could not be recorded.
 */
int slot_boot(void);
int slot_check_corruption(void);
int slot_uevent_fd(void);
void slot_on_uevent(void);

/* The device's /etc and /var/lib partitions (persist.c). -1: halt. */
int persist_mount(char *why, size_t cap);
void persist_unmount(void);
const char *persist_etc_upper(void);
const char *persist_etc_work(void);
const char *persist_var(void);
const char *persist_keel_dir(void);

/*
 * A persistent partition's generations (reset.c): reset_prepare finds
 * (or makes, migrates, resets) the live tree of the partition mounted at
 * dir: 1 if old trees wait for removal, 0, or -1; reset_collect starts
 * `keel trash` (an agent) to remove them; reset_collecting is 1 while it
 * runs.
 */
int reset_prepare(const char *dir, int rw, int reset, char *live, size_t cap);
void reset_collect(const char *const *dirs, int n);
int reset_collecting(void);

/*
 * The app (app.c), through `keel app` (launcher/cmd_app.c): app_config
 * has it check the config on cfd and keeps its settings in g.app (0;
 * -1 the config is refused, or keel app died on it or gave no good
 * record; -2 it could not be read; -3 keel app could not be run at
 * all, not the slot's fault: why says which); a run that accepted it
 * waits for its start. app_start sends it the start (a new run first,
 * on a restart): it sets up the container, whose first process is our
 * child, with env after the config's; app_stop ends it.
 */
int app_config(int cfd, char *why, size_t cap);
int app_start(char *const *env);
void app_stop(uint32_t grace_ms);

/* App health: notify protocol, READY and WATCHDOG deadlines (health.c). */
int health_init(void);
int health_notify_fd(void);
const char *health_status(void);
char *const *health_app_env(void);
void health_app_started(void);
void health_on_notify(void);
int health_tick(void);

/* The hardware watchdog (watchdog.c). */
void watchdog_open(void);
int watchdog_was_reset(void);
int watchdog_active(void);
void watchdog_pet(void);
void watchdog_wait_child(uint64_t end_us);
void watchdog_disarm(void);

/* The control socket and updates (ctl.c). */
int ctl_init(void);
int ctl_pollfds(struct pollfd *p, int max);
void ctl_poll(const struct pollfd *p, int n);

/*
 * Agents (agent.c, docs/AGENTS.md): helper processes keel-init starts as
 * `keel NAME ARGS...`, each as its own uid with only its capabilities,
 * and supervises: status lines, log lines, restarts, stop at shutdown.
 */
struct agent_def {
	const char *name; /* keel's command, its log tag, its status keys */
	unsigned log_src; /* enum logring_src */
	uint64_t caps;	  /* capabilities it keeps (bit N = CAP number N) */
	uid_t uid;	  /* its own ids, never 0 */
	gid_t gid;
	/* Before each start: its words after "keel NAME" into argv (at most
	 * max), and descriptors it gets as 4, 5, ... into fds (-1: none;
	 * PID 1 closes them after the fork). Returns the word count or -1. */
	int (*prepare)(char **argv, int max, int *fds);
	/* After its status changed (may be NULL). */
	void (*on_status)(const struct agentmsg_table *t);
	/* 1: run on demand for one job (the installer): never restarted,
	 * its end (exit code, 128 + signal) told to on_exit. */
	int once;
	void (*on_exit)(int code);
};
void agent_open_binary(void);
/* The keel client for the app (SOCK_KEEL_BIN, a read-only bind of
 * /bin/keel made by agent_open_binary), or NULL without one. */
const char *agent_client_path(void);
/* In a forked child: fds[] onto 0.., exec keel with argv (agent.c's
 * descriptor of it); returns only on failure. */
int agent_exec_keel(int *fds, int n, char **argv);
/* The record of a keel helper on fd: size bytes, then (to_end) its
 * EOF, at most ms from now (agent.c); bytes read (more than size: junk
 * after it), or -1 (errno; ETIMEDOUT at the deadline). */
ssize_t init_read_record(int fd, void *m, size_t size, int to_end, uint32_t ms);
/* Starts d (registered on its first call) unless it runs: 0, or -1
 * when it could not start now. */
int agent_add(const struct agent_def *d);
/* An agent's /etc/keel/NAME: fds[0] the image's, fds[1] the device's
 * below upper (persist_etc_upper(), NULL: none) (-1: none; a whiteout
 * or opaque keel/ on the device hides both). */
void agent_open_confs(const char *upper, const char *name, const char *tag,
		      int fds[2]);
int agent_pollfds(struct pollfd *p, int max);
void agent_poll(const struct pollfd *p, int n);
int agent_child_exited(pid_t pid, int status);
void agent_tick(void);
void agent_stop_all(uint32_t grace_ms);
void agent_put_status(char *buf, size_t cap, size_t *off);
int agent_seccomp(void);

/* The network agent (net.c): started before the app; the resolv.conf the
 * app gets (NULL: none). */
void net_start(void);
/* The update agent (update.c): started with the app when update.conf
 * exists (the image's or the device's). */
void update_start(void);
const char *net_resolv_conf(void);

/* The clock (clock.c): set at boot, saved for the next one. */
void clock_boot(void);
void clock_save(void);
void clock_put_status(char *buf, size_t cap, size_t *off);

/* Supervision for the life of the device (supervise.c). */
__attribute__((noreturn)) void supervise(void);

/* PID 1 links no stdio (lib/base/fmt.c formats, kerr_strerror names an
 * errno): a call to one of these in init/ is a compile error, not 10 KiB
 * of musl's printf found later in the binary's size. */
#pragma GCC poison printf fprintf sprintf snprintf vsnprintf vfprintf
#pragma GCC poison dprintf vdprintf perror strerror

#endif
