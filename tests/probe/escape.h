/* SPDX-License-Identifier: MIT */
/* The escape probes shared by escape.c and escape_proc.c. */
#ifndef KEEL_PROBE_ESCAPE_H
#define KEEL_PROBE_ESCAPE_H

#include <stdio.h>

/*
 * Each probe returns one verdict and writes a detail line. REFUSED: the
 * way out was closed (the errno says by what); ESCAPED: it worked, or
 * got past the check that should have stopped it; NA: nothing to try
 * here (the test that runs the suite says where n/a is acceptable). A
 * probe does no harm when it succeeds: it writes back what it read,
 * opens without writing, or undoes what it did.
 */
enum { REFUSED, ESCAPED, NA };

#define DETAIL 200
#define SAY(d, ...) snprintf(d, DETAIL, __VA_ARGS__)

/* --look PATH: a host file that must never show in the container;
 * --plant LINK: replace LINK (a directory) with a symlink to "/". */
extern const char *look_path, *plant_link;

/* ESCAPED if escaped, else REFUSED with "how: strerror(err)". */
int refused_if(int escaped, char *d, const char *how, int err);

/* A hex field of /proc/self/status ("CapEff"), 0 if absent. */
unsigned long long status_hex(const char *key);

/* The probes of escape_sys.c: system calls. */
int p_ptrace_reaper(char *d);
int p_open_by_handle(char *d);
int p_keyring(char *d);
int p_bpf(char *d);
int p_perf_event(char *d);
int p_userfaultfd(char *d);
int p_userns(char *d);
int p_clone3(char *d);
#if defined(__x86_64__)
int p_x32(char *d);
int p_i386(char *d);
#else
int p_arm32(char *d);
#endif
int p_raw_socket(char *d);
int p_module(char *d);
int p_kexec(char *d);
int p_reboot(char *d);
int p_syslog(char *d);
int p_clock(char *d);
int p_io_uring(char *d);
int p_personality(char *d);

/* The probes of escape_proc.c: keel's processes, terminal, files. */
int inherited_fds(char *d);
int p_setns(char *d);
int p_proc1_root(char *d);
int p_proc1_cwd(char *d);
int p_proc1_fd(char *d);
int p_chroot_fd(char *d);
int p_suid(char *d);
int p_tiocsti(char *d);
int p_ctty(char *d);
int p_run_keel(char *d);
int p_bind_symlink(char *d);
void plant(void);

/* probe escape [--look PATH] [--plant LINK]; exit 3 if any escaped */
int escape_main(int argc, char **argv);
/* probe ids: one line "ids euid=N capeff=HEX capprm=HEX" */
int ids_main(void);

#endif
