/* SPDX-License-Identifier: MIT */
/* keel-init's state and its boot steps, one file per group of steps. */
#ifndef KEEL_INIT_H
#define KEEL_INIT_H

#include <poll.h>
#include <stdint.h>
#include <sys/types.h>

#include "init/limits.h"
#include "lib/config/board.h"
#include "lib/container/container.h"
#include "lib/image/image.h"
#include "lib/crypto/keyset.h"
#include "lib/config/oci.h"
#include "lib/update/state.h"

/*
 * The system-call table: every call with an effect outside keel-init's
 * memory goes through it, so that --test can record a transcript of what
 * keel-init asked for (tests/host/init.sh compares it with the expected
 * one) and skip what a host must not do (load modules, reboot the host).
 */
struct sys_ops {
	int (*mount)(const char *src, const char *dst, const char *type,
		     unsigned long flags, const void *data);
	int (*umount)(const char *dst, int flags);
	int (*finit_module)(int fd, const char *name);
	int (*dm_ioctl)(int fd, unsigned long req, void *arg);
	int (*reboot)(int how);
	int (*kill)(pid_t pid, int sig);
};
extern const struct sys_ops *sys;
/* Test mode: record every call as a line of the transcript fd. */
void sys_use_transcript(int fd);

/* Logging, to the console and /dev/kmsg, with µs since start. */
void log_init(void);
void log_open_kmsg(void);
void klog(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
uint64_t init_now_us(void);

struct init {
	int test; /* --test: PID 1 of a pid namespace on a host */
	struct board board;
	struct keyset keys;
	char dev[BOARD_NPART][64]; /* device path of each partition */
	int slot;		   /* 0 = A, 1 = B, -1 none yet */
	int force_slot;		   /* keel.slot=a|b, else -1 */
	char root_dev[64];	   /* what the image is mounted from */
	struct img_meta meta;
	struct oci_config cfg;
	int etc_ok, var_ok; /* persistent partitions mounted */
	struct ctr ctr;
	int app_running;
	uint64_t app_started_us;
	unsigned restarts; /* in the current backoff streak */
	uint32_t backoff_ms;
	int debug;
	int loop_fd;	    /* full mode on a file: until mounted */
	int dm_ctl;	    /* /dev/mapper/control, verity mode */
	int commit_pending; /* trial/fallback: commit once healthy */
	int trial;	    /* booted a trial slot (tries counted) */
};
extern struct init g;

/* What keel-init does after a failure it cannot work around. */
__attribute__((noreturn)) void init_fatal(const char *step, const char *detail);
/* Powers off, reboots or halts after a clean shutdown of the app. */
__attribute__((noreturn)) void init_shutdown(int how, const char *why);

/* Steps (init/early.c, init/disk.c, init/slot.c, init/persist.c). */
void early_set_board_path(const char *path);
int early_mounts(void);
int early_config(void);
int early_move_root(void);
int load_modules(void);
int find_partitions(void);
int boot_slot(void);
void mount_persistent(void);
void unmount_persistent(void);
const char *persist_etc_upper(void);
const char *persist_etc_work(void);
const char *persist_var(void);
int start_app(void);

/* The A/B record (init/ab.c): which slot, and what happened to it. */
int init_state_load(void);
const struct state *init_state(void);
int init_choose_slot(void);
uint64_t init_floor(void);
void init_slot_booting(int slot);
void init_slot_failed(int slot, int reason, const char *why);
int init_can_fall_back(void);
void init_app_healthy(void);
int init_slot_installed(int slot, uint64_t version, uint64_t epoch);
void init_slot_installing(int slot);
int init_factory_reset_pending(void);
void init_factory_reset_done(void);
void init_request_factory_reset(void);

/* Health: notify socket, READY/WATCHDOG, hardware watchdog (health.c). */
int health_init(void);
int health_notify_fd(void);
const char *health_status(void);
char *const *health_app_env(void);
void health_app_started(void);
void health_on_notify(void);
void health_tick(void);
void health_disarm(void);

/* The control socket and updates (control.c), factory reset (reset.c). */
int control_init(void);
int control_pollfds(struct pollfd *p, int max);
void control_poll(const struct pollfd *p, int n);
int control_child_exited(pid_t pid, int status);
void factory_reset(const char *etc, const char *var);

/* Supervision for the life of the device (init/supervise.c). */
__attribute__((noreturn)) void supervise(void);

#endif
