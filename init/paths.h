/* SPDX-License-Identifier: MIT */
/* Every path and device name keel-init makes or uses, in one place. */
#ifndef KEEL_INIT_PATHS_H
#define KEEL_INIT_PATHS_H

/* keel-init's own tree on the /run tmpfs. */
#define RUN_DIR "/run/keel"
/* The verified image, mounted read-only: the container's root. */
#define IMAGE_DIR RUN_DIR "/image"
/* The persistent partitions: /etc's upper layer and /var/lib. */
#define ETC_DIR RUN_DIR "/etc"
#define VAR_DIR RUN_DIR "/var"
/* On the var partition, beside the app's generations (docs/FORMAT.md
 * §5): keel-init's own files, never the app's. */
#define VAR_KEEL_DIR VAR_DIR "/.keel-init"
/* The sockets, bound read-only at /run/keel in the container (so the
 * app sees /run/keel/control and /run/keel/notify). */
#define SOCK_DIR RUN_DIR "/sock"
#define NOTIFY_SOCK SOCK_DIR "/notify"
#define CONTROL_SOCK SOCK_DIR "/control"
/* The mount point of the keel client in the sockets' directory: the app
 * runs AGENT_BINARY as /run/keel/bin/keel (ctr_spec.keel_bin). */
#define SOCK_BIN_DIR SOCK_DIR "/bin"
#define SOCK_KEEL_BIN SOCK_BIN_DIR "/keel"
/* The app's view of the notify socket (NOTIFY_SOCKET=). */
#define APP_NOTIFY_PATH "/run/keel/notify"

/* The agents' program: keel, in the initramfs (agent.c keeps it open). */
#define AGENT_BINARY "/bin/keel"
/* keel net's own directory (its uid's): the app's resolv.conf. */
#define NET_DIR RUN_DIR "/net"
#define NET_RESOLV NET_DIR "/resolv.conf"

/* Block device nodes keel-init makes itself (no udev): 0700. */
#define DEV_DIR "/dev/keel"

/* The device-mapper name of slot s's verity mapping: "keel-a", "keel-b". */
#define DM_NAME_FMT "keel-%c"

/* The TPM 2.0 (rollback.counter=tpm2:...), through the kernel's driver. */
#define TPM_DEV "/dev/tpm0"

/* Kernel modules in the initramfs, and their load order. */
#define MODULE_DIR "/lib/modules"
#define MODULE_LIST MODULE_DIR "/load.list"

#endif
