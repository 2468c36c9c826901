/* SPDX-License-Identifier: MIT */
/* The application's launch policy: an OCI runtime-spec config.json subset. */
#ifndef KEEL_OCI_H
#define KEEL_OCI_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "compat/linux_seccomp.h"
#include "lib/base/err.h"

struct syscall_abi; /* lib/config/names.h */

/*
 * The config lives at /keel/config.json inside the signed, verity-protected
 * image (docs/CONFIG.md). oci_parse() turns it into a struct oci_config:
 * fixed-size arrays, no allocation, every string copied into c->pool.
 * A field keel does not implement is refused with a kerr whose check is
 * "config" and whose detail names the JSON path; nothing is silently
 * ignored.
 *
 * A struct oci_config holds pointers into its own pool: it MUST NOT be
 * copied by value (memcpy it and the copy points into the original).
 */

/* Limits. Each bounds a table below; a config over a limit is refused. */
#define OCI_JSON_MAX                                                           \
	(256 * 1024)		  /* config.json bytes; caller reads <= this   \
				   */
#define OCI_POOL_SIZE (32 * 1024) /* all strings of one config, NUL-ended */
#define OCI_MAX_ARGS 128	  /* process.args; execve needs far fewer */
#define OCI_MAX_ENV 128		  /* process.env entries */
#define OCI_KEEL_MS_MAX 86400000u /* an org.keel.*-ms value: one day */
#define OCI_MAX_GROUPS 32	  /* process.user.additionalGids */
#define OCI_MAX_RLIMITS 16	  /* RLIM_NLIMITS on Linux */
#define OCI_MAX_MOUNTS 32	  /* mounts keel must perform (bind, tmpfs) */
#define OCI_MAX_PATHS 64	  /* maskedPaths and readonlyPaths, each */
#define OCI_MAX_DEVICES 32	  /* linux.devices granted beyond keel's set */
#define OCI_MAX_IDMAPS 5	  /* uid/gidMappings; 5 = pre-4.15 kernel cap */
#define OCI_MAX_SYSCALL_RULES 1024 /* seccomp (name, action) pairs */
#define OCI_HOSTNAME_MAX 64	   /* HOST_NAME_MAX */
#define OCI_PATH_MAX 4096	   /* one path; also bounded by the pool */

/*
 * Namespace bits of c->ns_flags: the kernel's CLONE_NEW* values, spelled
 * out because musl declares those only under _GNU_SOURCE.
 */
#define OCI_NS_MOUNT 0x00020000UL  /* CLONE_NEWNS */
#define OCI_NS_CGROUP 0x02000000UL /* CLONE_NEWCGROUP */
#define OCI_NS_UTS 0x04000000UL	   /* CLONE_NEWUTS */
#define OCI_NS_IPC 0x08000000UL	   /* CLONE_NEWIPC */
#define OCI_NS_USER 0x10000000UL   /* CLONE_NEWUSER */
#define OCI_NS_PID 0x20000000UL	   /* CLONE_NEWPID */
#define OCI_NS_NET 0x40000000UL	   /* CLONE_NEWNET */
/* c->ns_flags always holds these; NET and USER come from the config */
#define OCI_NS_ALWAYS                                                          \
	(OCI_NS_MOUNT | OCI_NS_PID | OCI_NS_UTS | OCI_NS_IPC | OCI_NS_CGROUP)

/* mounts keel performs from the config */
enum oci_mount_type {
	OCI_MOUNT_BIND = 1,  /* source = path in keel's own mount namespace */
	OCI_MOUNT_TMPFS = 2, /* source unused (NULL); data = tmpfs options */
};

struct oci_mount {
	char *destination; /* absolute, no "..", inside the container */
	char *source;	   /* bind: absolute host path; tmpfs: NULL */
	enum oci_mount_type type;
	unsigned long flags; /* MS_*: bind has MS_BIND (|MS_REC for rbind);
			      * MS_RDONLY/NOSUID/NODEV/NOEXEC/... on a bind
			      * need a second MS_REMOUNT|MS_BIND pass */
	unsigned long propagation; /* MS_PRIVATE/SLAVE/SHARED/UNBINDABLE
				    * (|MS_REC), 0 = leave as is */
	char *data; /* tmpfs: "size=..,mode=.." (may be ""); bind: "" */
};

/*
 * Standard mounts a config may list and keel provides by itself (bits of
 * c->std_mounts record which ones the config listed; keel mounts proc,
 * dev, dev/pts, dev/shm, sys whether listed or not). A listed standard
 * mount is accepted only when it matches the usual runtime default
 * (destination, type; options from the safe set), otherwise refused.
 */
#define OCI_STD_PROC (1u << 0)	 /* /proc proc */
#define OCI_STD_DEV (1u << 1)	 /* /dev tmpfs */
#define OCI_STD_DEVPTS (1u << 2) /* /dev/pts devpts */
#define OCI_STD_SHM (1u << 3)	 /* /dev/shm tmpfs */
#define OCI_STD_MQUEUE (1u << 4) /* /dev/mqueue mqueue: mount it if set */
#define OCI_STD_SYSFS (1u << 5)	 /* /sys sysfs or rbind of /sys, read-only */
#define OCI_STD_CGROUP                                                         \
	(1u << 6) /* /sys/fs/cgroup cgroup: mount it if set                    \
		   * (cgroup2, read-only, own namespace) */

struct oci_rlimit {
	int resource;  /* RLIMIT_* number */
	uint64_t soft; /* RLIM_INFINITY = UINT64_MAX */
	uint64_t hard;
};

struct oci_idmap {
	uint32_t container_id;
	uint32_t host_id;
	uint32_t size;
};

struct oci_device {
	char *path; /* absolute, under /dev */
	char type;  /* 'c', 'b', or 'p' (fifo; major/minor 0) */
	uint32_t major;
	uint32_t minor;
	uint32_t mode; /* permission bits (fileMode), default 0666 */
	uint32_t uid;
	uint32_t gid;
};

/* seccomp: one syscall → one action, in config order; first match wins */
struct oci_syscall_rule {
	int nr;		 /* x86_64 syscall number */
	uint32_t action; /* SECCOMP_RET_* with errno in the data bits */
};

/* linux.resources: bits of set/required */
#define OCI_RES_MEMORY (1u << 0) /* memory.max */
#define OCI_RES_PIDS (1u << 1)	 /* pids.max */
#define OCI_RES_CPU (1u << 2)	 /* cpu.weight and/or cpu.max */

struct oci_resources {
	unsigned set;	     /* OCI_RES_* present in the config */
	unsigned required;   /* OCI_RES_* named in org.keel.required-limits */
	int64_t memory_max;  /* bytes; -1 = "max" */
	int64_t pids_max;    /* -1 = "max" */
	uint64_t cpu_shares; /* OCI shares (2..262144); 0 = not set */
	int64_t cpu_quota;   /* µs per period; -1 = "max"; 0 = not set */
	uint64_t cpu_period; /* µs; 0 = not set (kernel default 100000) */
};

/* org.keel.restart */
enum oci_restart {
	OCI_RESTART_ALWAYS = 0, /* default: an appliance's app always runs */
	OCI_RESTART_ON_FAILURE, /* exit 0 ends the app (then init powers off) */
	OCI_RESTART_NO,		/* any exit ends it */
};

/* keel's supervision settings, from org.keel.* annotations */
struct oci_keel {
	enum oci_restart restart;  /* org.keel.restart */
	int notify;		   /* org.keel.notify: 1 = app sends READY=1 */
	uint32_t healthy_after_ms; /* org.keel.healthy-after-ms: notify=0 */
	uint32_t stop_grace_ms;	   /* org.keel.stop-grace-ms: TERM → KILL */
	uint32_t watchdog_ms;	   /* org.keel.watchdog-ms: 0 = off */
	uint32_t
	    restart_delay_ms; /* org.keel.restart-delay-ms: first backoff */
	uint32_t restart_max_delay_ms; /* org.keel.restart-max-delay-ms */
	int pid1;	  /* org.keel.pid1: app is PID 1, no reaper */
	int stop_signal;  /* org.opencontainers.image.stopSignal */
	unsigned persist; /* org.keel.persist: OCI_VAR_* kept on /var/lib's
			   * partition instead of a tmpfs */
};

/* keel's /var/log, /var/cache and /var/tmp (bits of oci_keel.persist) */
#define OCI_VAR_LOG (1u << 0)
#define OCI_VAR_CACHE (1u << 1)
#define OCI_VAR_TMP (1u << 2)

struct oci_config {
	/* process */
	char *args[OCI_MAX_ARGS + 1]; /* NULL-terminated, for execve */
	int nargs;
	char *env[OCI_MAX_ENV + 1]; /* NULL-terminated "K=V" */
	int nenv;
	char *cwd; /* absolute; "/" by default */
	uint32_t uid, gid;
	uint32_t groups[OCI_MAX_GROUPS];
	int ngroups;
	int umask;	   /* -1 = leave as is */
	int oom_score_adj; /* valid when has_oom_score_adj */
	int has_oom_score_adj;
	int no_new_privs; /* always 1 (explicit false refused) */
	uint64_t cap_bounding, cap_effective, cap_inheritable, cap_permitted,
	    cap_ambient; /* bit n = capability n */
	struct oci_rlimit rlimits[OCI_MAX_RLIMITS];
	int nrlimits;

	/* identity */
	char *hostname;	  /* NULL: keel picks ("keel") */
	char *domainname; /* NULL: leave */

	/* filesystem */
	struct oci_mount mounts[OCI_MAX_MOUNTS];
	int nmounts;
	unsigned std_mounts;	     /* OCI_STD_* listed in the config */
	char *masked[OCI_MAX_PATHS]; /* maskedPaths */
	int nmasked;
	char *readonly[OCI_MAX_PATHS]; /* readonlyPaths */
	int nreadonly;
	struct oci_device devices[OCI_MAX_DEVICES]; /* linux.devices */
	int ndevices;

	/* namespaces: OCI_NS_ALWAYS | OCI_NS_NET? | OCI_NS_USER? */
	unsigned long ns_flags;
	struct oci_idmap uid_map[OCI_MAX_IDMAPS];
	int nuid_map;
	struct oci_idmap gid_map[OCI_MAX_IDMAPS];
	int ngid_map;

	struct oci_resources res;

	/* seccomp: has_seccomp = 0 → keel's default filter. The rules'
	 * numbers are those of abi's CPU (this build's unless parsed with
	 * oci_parse_abi). */
	const struct syscall_abi *abi;
	int has_seccomp;
	uint32_t seccomp_default; /* SECCOMP_RET_* (| errno) */
	struct oci_syscall_rule rules[OCI_MAX_SYSCALL_RULES];
	int nrules;

	struct oci_keel keel;

	/* the count before the bytes: a fresh struct's first strings and
	 * the count share a page (set_defaults) */
	size_t pool_used;
	char pool[OCI_POOL_SIZE];
};

/*
 * Parses config.json (ociVersion 1.0.x to 1.2.x). Returns 0, or -1 with e
 * naming the JSON path of the first refusal. MUST NOT allocate; len is
 * bounded by OCI_JSON_MAX.
 */
int oci_parse(const char *json, size_t len, struct oci_config *c,
	      struct kerr *e);

/*
 * The policy for an image without a config run with an explicit CMD:
 * no capabilities, keel's default seccomp filter, OCI_NS_ALWAYS plus a new
 * net namespace (OCI_NS_NET), uid/gid 0, cwd "/", PATH set, restart=no. The
 * caller fills args (oci_set_args) afterwards.
 */
void oci_default(struct oci_config *c);

/* Copies argv (argc strings) into c->args; -1 if over a limit. */
int oci_set_args(struct oci_config *c, int argc, char *const *argv,
		 struct kerr *e);

/* Bundle import (keel image build from an OCI bundle, e.g. umoci unpack):
 * like oci_parse but accepts process.terminal=true (umoci writes it by
 * default) as false. The config stored in an image MUST parse with
 * oci_parse; use oci_write to store the normalized form. */
#define OCI_PARSE_BUNDLE 1
int oci_parse_flags(const char *json, size_t len, struct oci_config *c,
		    unsigned flags, struct kerr *e);
/* The same for an image of another CPU (keel image build --arch): the
 * syscall names are abi's, and so are the rules' numbers in c. */
int oci_parse_abi(const char *json, size_t len, struct oci_config *c,
		  unsigned flags, const struct syscall_abi *abi,
		  struct kerr *e);

/* Writes c back as canonical config.json into buf (cap bytes, NUL-ended).
 * Returns the length, or -1 if it does not fit. oci_parse of the output
 * yields the same policy. */
long oci_write(const struct oci_config *c, char *buf, size_t cap,
	       struct kerr *e);

#endif
