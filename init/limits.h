/* SPDX-License-Identifier: MIT */
/* Every fixed limit of keel-init, each with what it must satisfy. */
#ifndef KEEL_INIT_LIMITS_H
#define KEEL_INIT_LIMITS_H

#include "lib/config/board.h"

/* A console/kmsg line: the longest kerr detail (200) plus prefixes. */
#define INIT_LOG_LINE 320
/* The RAM log: bytes of lines kept (about 3000 lines of 80 bytes and up). */
#define INIT_LOG_RING (256 * 1024)
/* The app's output pipe: what it may write before PID 1 reads it. */
#define INIT_LOG_PIPE (256 * 1024)
/* Clients reading the log at once, and how long one may stall (ms). */
#define INIT_LOG_READERS 4
/* The saved log: one file per boot at most this big; saved this often. */
#define INIT_LOG_FILE_MAX (1024 * 1024)
#define INIT_LOG_FLUSH_MS 60000
#define INIT_LOG_STALL_MS 30000
/* /proc/cmdline: the kernel's COMMAND_LINE_SIZE on x86 is 2048. */
#define INIT_CMDLINE_MAX 4096
/* The board file: lib/config/board.h's BOARD_FILE_MAX. */
#define INIT_BOARD_MAX BOARD_FILE_MAX
/* The module load list: BOARD_MODULES_MAX names plus dependencies. */
#define INIT_MODLIST_MAX 8192
/* keel app's answer: the config's check, or the container's setup. */
#define INIT_APP_SETUP_MS 60000
/* keel counter: a TPM command or two (it answers in milliseconds; a
 * software TPM under emulation in seconds). */
#define INIT_COUNTER_MS 30000
/* Poll interval while waiting for disks (ms). */
#define INIT_DISK_POLL_MS 20
/* Restart backoff: first delay, cap, and run time that resets it (ms). */
#define INIT_BACKOFF_FIRST_MS 100
#define INIT_BACKOFF_MAX_MS 30000
#define INIT_STABLE_RUN_MS 60000
/* Restarts within one backoff streak before a crash loop escalates. */
#define INIT_CRASH_LOOP 10
/* Grace between TERM and KILL at shutdown when the config has none (ms). */
#define INIT_STOP_GRACE_MS 5000

/* State record writes: attempts before the caller's policy takes over,
 * and the pause between them (PID 1 waits: keep TRIES x MS well under
 * the watchdog's 2 s minimum). */
#define INIT_STATE_TRIES 3
#define INIT_STATE_RETRY_MS 100

/* Boots a freshly installed slot gets before it falls back: >= 1. */
#define INIT_TRIAL_TRIES 3
/* Healthy after this run time when the app does not notify (ms). */
#define INIT_HEALTHY_AFTER_MS 10000

/* READY=1 must come within this after start when the app notifies (ms). */
#define INIT_READY_TIMEOUT_MS 60000
/* Hardware watchdog timeout (s) when the board sets no watchdog.timeout;
 * keel-init pets it every second, so it must be >= 2. */
#define INIT_WATCHDOG_SEC 30
/* Control clients at once, and the time one has to send its request. */
#define INIT_CTL_CONNS 4
#define INIT_CTL_DEADLINE_MS 2000

/* Agents (agent.c): how many; words and descriptors (4, 5, ...) an
 * agent's prepare() may add; restart backoff (ms, doubling, reset after
 * INIT_STABLE_RUN_MS of running); status datagrams and log bytes read
 * per turn of the loop (an agent that floods cannot hold PID 1); the
 * grace between TERM and KILL at shutdown (the network agent sends its
 * DHCP releases then). */
#define INIT_AGENTS 4
#define AGENT_ARGS 16
#define AGENT_FDS 5 /* the installer: client, bundle, slot, result, source */
#define INIT_AGENT_BACKOFF_FIRST_MS 1000
#define INIT_AGENT_BACKOFF_MAX_MS 60000
#define INIT_AGENT_MSGS 16
#define INIT_AGENT_LOG_BUDGET (64 * 1024)
#define INIT_AGENT_STOP_MS 2000
/* The clock saved on the var partition this often (and at shutdown, and
 * after each SNTP sync): the floor of the next boot's clock. */
#define INIT_CLOCK_SAVE_MS (15 * 60 * 1000)

#endif
