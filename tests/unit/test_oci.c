// SPDX-License-Identifier: MIT
// Unit tests of the config.json subset: fields, refusals, limits, umoci.
#include <errno.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "lib/config/names.h"
#include "lib/config/oci.h"
#include "unit.h"

#if defined(__aarch64__)
#define NATIVE "aarch64"
#else
#define NATIVE "x86_64"
#endif

static struct oci_config C;
static char buf[OCI_JSON_MAX + 1024];

static const char full[] =
    "{\"ociVersion\":\"1.0.2\","
    "\"process\":{\"terminal\":false,"
    "\"user\":{\"uid\":1000,\"gid\":100,\"umask\":18,"
    "\"additionalGids\":[5,6]},"
    "\"args\":[\"/bin/app\",\"--flag\",\"\\u00e9\"],"
    "\"env\":[\"PATH=/bin\",\"A=b=c\"],\"cwd\":\"/srv\","
    "\"capabilities\":{\"bounding\":[\"CAP_NET_BIND_SERVICE\",\"CAP_KILL\"],"
    "\"effective\":[\"CAP_NET_BIND_SERVICE\"],"
    "\"permitted\":[\"CAP_NET_BIND_SERVICE\"],"
    "\"inheritable\":[\"CAP_NET_BIND_SERVICE\"],"
    "\"ambient\":[\"CAP_NET_BIND_SERVICE\"]},"
    "\"rlimits\":[{\"type\":\"RLIMIT_NOFILE\",\"soft\":1024,\"hard\":4096}],"
    "\"noNewPrivileges\":true,\"oomScoreAdj\":-500},"
    "\"root\":{\"path\":\"rootfs\",\"readonly\":true},"
    "\"hostname\":\"box\","
    "\"mounts\":["
    "{\"destination\":\"/proc\",\"type\":\"proc\",\"source\":\"proc\"},"
    "{\"destination\":\"/data\",\"type\":\"bind\",\"source\":\"/var/lib/x\","
    "\"options\":[\"rbind\",\"ro\",\"nosuid\",\"rprivate\"]},"
    "{\"destination\":\"/cache\",\"type\":\"tmpfs\",\"source\":\"tmpfs\","
    "\"options\":[\"nodev\",\"size=1m\",\"mode=0700\"]}],"
    "\"annotations\":{\"org.keel.restart\":\"on-failure\","
    "\"org.keel.notify\":\"true\",\"org.keel.stop-grace-ms\":\"2500\","
    "\"org.keel.required-limits\":\"memory,pids\","
    "\"org.keel.persist\":\"log,tmp\","
    "\"org.opencontainers.image.stopSignal\":\"SIGINT\","
    "\"com.example.anything\":\"kept as metadata\"},"
    "\"linux\":{\"namespaces\":[{\"type\":\"pid\"},{\"type\":\"network\"},"
    "{\"type\":\"mount\"}],"
    "\"resources\":{\"memory\":{\"limit\":67108864},\"pids\":{\"limit\":64},"
    "\"cpu\":{\"shares\":512,\"quota\":50000,\"period\":100000},"
    "\"devices\":[{\"allow\":false,\"access\":\"rwm\"}]},"
    "\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ERRNO\","
    "\"architectures\":[\"SCMP_ARCH_X86_64\"],"
    "\"syscalls\":[{\"names\":[\"read\",\"write\",\"exit_group\"],"
    "\"action\":\"SCMP_ACT_ALLOW\"},{\"names\":[\"uname\"],"
    "\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":38}]},"
    "\"maskedPaths\":[\"/proc/kcore\"],\"readonlyPaths\":[\"/proc/sys\"],"
    "\"devices\":[{\"path\":\"/dev/ttyS0\",\"type\":\"c\",\"major\":4,"
    "\"minor\":64,\"fileMode\":432,\"uid\":0,\"gid\":20}]}}";

static int
parse(const char *s, struct kerr *e)
{
	return oci_parse(s, strlen(s), &C, e);
}

static void
test_full(void)
{
	struct kerr e = {0};
	int r = parse(full, &e);

	CHECK(r == 0, "full config parses: %s", e.detail);
	if (r)
		return;
	CHECK(C.nargs == 3 && !strcmp(C.args[0], "/bin/app") &&
		  !strcmp(C.args[2], "\xc3\xa9") && !C.args[3],
	      "args");
	CHECK(C.nenv == 2 && !strcmp(C.env[1], "A=b=c") && !C.env[2], "env");
	CHECK(!strcmp(C.cwd, "/srv"), "cwd");
	CHECK(C.uid == 1000 && C.gid == 100 && C.umask == 18 &&
		  C.ngroups == 2 && C.groups[1] == 6,
	      "user");
	CHECK(C.cap_bounding == ((1ULL << 10) | (1ULL << 5)) &&
		  C.cap_effective == 1ULL << 10 && C.cap_ambient == 1ULL << 10,
	      "capabilities");
	CHECK(C.nrlimits == 1 && C.rlimits[0].resource == RLIMIT_NOFILE &&
		  C.rlimits[0].soft == 1024 && C.rlimits[0].hard == 4096,
	      "rlimits");
	CHECK(C.has_oom_score_adj && C.oom_score_adj == -500, "oom");
	CHECK(C.hostname && !strcmp(C.hostname, "box"), "hostname");
	CHECK(C.std_mounts == OCI_STD_PROC, "std mounts %x", C.std_mounts);
	CHECK(C.nmounts == 2, "mounts %d", C.nmounts);
	CHECK(C.mounts[0].type == OCI_MOUNT_BIND &&
		  !strcmp(C.mounts[0].source, "/var/lib/x") &&
		  C.mounts[0].flags ==
		      (MS_BIND | MS_REC | MS_RDONLY | MS_NOSUID) &&
		  C.mounts[0].propagation == (MS_PRIVATE | MS_REC),
	      "bind mount flags %lx", C.mounts[0].flags);
	CHECK(C.mounts[1].type == OCI_MOUNT_TMPFS &&
		  C.mounts[1].flags == MS_NODEV &&
		  !strcmp(C.mounts[1].data, "size=1m,mode=0700"),
	      "tmpfs mount data '%s'", C.mounts[1].data);
	CHECK(C.keel.restart == OCI_RESTART_ON_FAILURE && C.keel.notify &&
		  C.keel.stop_grace_ms == 2500 && C.keel.stop_signal == 2,
	      "keel annotations");
	CHECK(C.ns_flags == (OCI_NS_ALWAYS | OCI_NS_NET), "namespaces");
	CHECK(C.res.set == (OCI_RES_MEMORY | OCI_RES_PIDS | OCI_RES_CPU) &&
		  C.res.required == (OCI_RES_MEMORY | OCI_RES_PIDS) &&
		  C.keel.persist == (OCI_VAR_LOG | OCI_VAR_TMP) &&
		  C.res.memory_max == 67108864 && C.res.pids_max == 64 &&
		  C.res.cpu_shares == 512 && C.res.cpu_quota == 50000 &&
		  C.res.cpu_period == 100000,
	      "resources");
	CHECK(C.has_seccomp && C.seccomp_default == (SECCOMP_RET_ERRNO | 1) &&
		  C.nrules == 4 && C.rules[0].nr == SYS_read &&
		  C.rules[0].action == SECCOMP_RET_ALLOW &&
		  C.rules[3].nr == SYS_uname &&
		  C.rules[3].action == (SECCOMP_RET_ERRNO | 38),
	      "seccomp");
	CHECK(C.nmasked == 1 && C.nreadonly == 1 &&
		  !strcmp(C.readonly[0], "/proc/sys"),
	      "paths");
	CHECK(C.ndevices == 1 && C.devices[0].type == 'c' &&
		  C.devices[0].major == 4 && C.devices[0].minor == 64 &&
		  C.devices[0].mode == 0660 && C.devices[0].gid == 20,
	      "devices");
}

/* Replaces the first occurrence of from in full by to; parses; expects a
 * refusal whose detail contains want. */
static void
refuse(const char *from, const char *to, const char *want)
{
	struct kerr e = {0};
	const char *p = strstr(full, from);
	size_t a;

	if (!p) {
		CHECK(0, "test bug: '%s' not in config", from);
		return;
	}
	a = (size_t)(p - full);
	memcpy(buf, full, a);
	strcpy(buf + a, to);
	strcat(buf, p + strlen(from));
	CHECK(parse(buf, &e) < 0 && e.check && !strcmp(e.check, "config") &&
		  strstr(e.detail, want),
	      "refuse %s → want '%s', got '%s'", to, want, e.detail);
}

static void
test_refusals_process(void)
{
	refuse("\"hostname\"", "\"hooks\":{},\"hostname\"",
	       "hooks: not supported by keel");
	refuse("\"hostname\"", "\"domainname\":\"-bad\",\"hostname\"",
	       "domainname: invalid");
	refuse("\"maskedPaths\"", "\"sysctl\":{},\"maskedPaths\"",
	       "linux.sysctl: not supported by keel");
	refuse("\"maskedPaths\"", "\"cgroupsPath\":\"/x\",\"maskedPaths\"",
	       "linux.cgroupsPath: not supported by keel");
	refuse("\"terminal\":false", "\"terminal\":true",
	       "process.terminal: true not supported");
	refuse("\"noNewPrivileges\":true", "\"noNewPrivileges\":false",
	       "process.noNewPrivileges: false");
	refuse("\"cwd\":\"/srv\"", "\"cwd\":\"srv\"",
	       "process.cwd: \"srv\": not an absolute path");
	refuse("\"cwd\":\"/srv\"", "\"cwd\":\"/a/../b\"", "\"..\" not allowed");
	refuse("\"umask\":18", "\"username\":\"x\"",
	       "process.user.username: not supported");
	refuse("\"CAP_KILL\"", "\"CAP_FLY\"",
	       "process.capabilities.bounding[1]: unknown capability");
	refuse("\"RLIMIT_NOFILE\"", "\"RLIMIT_FOO\"",
	       "process.rlimits[0].type: unknown rlimit");
	refuse("\"soft\":1024", "\"soft\":9999", "soft above hard");
	refuse("\"oomScoreAdj\":-500", "\"oomScoreAdj\":-5000",
	       "process.oomScoreAdj: out of range");
	refuse("\"oomScoreAdj\":-500", "\"oomScoreAdj\":1.5",
	       "expected an integer");
	refuse("\"noNewPrivileges\"",
	       "\"selinuxLabel\":\"x\",\"noNewPrivileges\"",
	       "process.selinuxLabel: not supported");
	refuse("\"ociVersion\":\"1.0.2\"", "\"ociVersion\":\"2.0.0\"",
	       "ociVersion: \"2.0.0\" not supported");
	refuse("\"path\":\"rootfs\"", "\"path\":\"/\"", "root.path");
	refuse("\"readonly\":true", "\"readonly\":false", "root.readonly");
}

/* mounts, namespaces, resources, annotations, seccomp, devices */
static void
test_refusals_linux(void)
{
	refuse("\"type\":\"tmpfs\"", "\"type\":\"nfs\"",
	       "mounts[2]: type \"nfs\" at /cache: not supported");
	refuse("\"mode=0700\"", "\"mode=0700\",\"remount\"",
	       "mounts[2]: option \"remount\": not supported");
	refuse("\"size=1m\"", "\"size=1m\",\"foo=1\"", "option \"foo=1\"");
	refuse("\"size=1m\"", "\"size=1m,huge=always\"",
	       "option \"size=1m,huge=always\"");
	refuse("\"destination\":\"/data\"", "\"destination\":\"data\"",
	       "mounts[1].destination: \"data\": not an absolute path");
	refuse("\"source\":\"/var/lib/x\"", "\"source\":\"/a/..\"",
	       "\"..\" not allowed");
	refuse("\"source\":\"proc\"}",
	       "\"source\":\"proc\",\"options\":"
	       "[\"rw\",\"exec\"]}",
	       "option \"rw\" on /proc");
	refuse("\"type\":\"proc\"", "\"type\":\"sysfs\"",
	       "type \"sysfs\" at /proc");
	refuse("\"source\":\"tmpfs\",",
	       "\"source\":\"tmpfs\","
	       "\"uidMappings\":[],",
	       "mounts[2].uidMappings: not supported");
	refuse("{\"type\":\"pid\"}", "{\"type\":\"pid\",\"path\":\"/x\"}",
	       "linux.namespaces[0].path: not supported");
	refuse("{\"type\":\"pid\"}", "{\"type\":\"time\"}",
	       "namespace \"time\": not supported");
	refuse("{\"type\":\"mount\"}", "{\"type\":\"pid\"}", "listed twice");
	refuse("{\"type\":\"mount\"}", "{\"type\":\"user\"}",
	       "required with a user namespace");
	refuse("\"limit\":67108864", "\"limit\":67108864,\"swap\":1",
	       "linux.resources.memory.swap: not supported");
	refuse("\"limit\":67108864", "\"limit\":0", "must be positive");
	refuse("\"shares\":512", "\"shares\":1", "out of range 2..262144");
	refuse("\"period\":100000", "\"period\":100000,\"cpus\":\"0\"",
	       "linux.resources.cpu.cpus: not supported");
	refuse("\"allow\":false", "\"allow\":true", "deny-all");
	refuse("\"devices\":[{\"allow\"",
	       "\"blockIO\":{},\"devices\":[{\"allow\"",
	       "linux.resources.blockIO: not supported");
	refuse("\"pids\":{\"limit\":64},", "",
	       "org.keel.required-limits: names a limit");
	refuse("\"memory,pids\"", "\"memory,disk\"", "unknown limit \"disk\"");
	refuse("\"log,tmp\"", "\"log,run\"",
	       "\"run\": expected log, cache or tmp");
	refuse("\"log,tmp\"", "\"log,,tmp\"", "org.keel.persist: bad list");
	refuse("\"org.keel.restart\"",
	       "\"org.keel.bogus\":\"1\","
	       "\"org.keel.restart\"",
	       "annotations.org.keel.bogus: unknown keel annotation");
	refuse("\"on-failure\"", "\"sometimes\"", "org.keel.restart");
	refuse("\"2500\"", "\"25s\"", "expected milliseconds");
	refuse("\"SIGINT\"", "\"SIGFOO\"", "unknown signal");
	refuse("\"SCMP_ACT_ALLOW\"", "\"SCMP_ACT_NOTIFY\"",
	       "linux.seccomp.syscalls[0].action: action \"SCMP_ACT_NOTIFY\"");
	refuse("\"exit_group\"", "\"exit_group\",\"bogus_call\"",
	       "linux.seccomp.syscalls[0].names[3]: unknown " NATIVE
	       " syscall");
	refuse("\"exit_group\"", "\"exit_group\",\"read\"", "named twice");
	refuse("\"errnoRet\":38",
	       "\"errnoRet\":38,\"args\":[{\"index\":0,"
	       "\"value\":1,\"op\":\"SCMP_CMP_EQ\"}]",
	       "argument conditions are not supported");
	refuse("\"errnoRet\":38", "\"errnoRet\":99999", "out of range 0..4095");
	refuse("\"SCMP_ARCH_X86_64\"", "\"SCMP_ARCH_PPC64LE\"",
	       "not x86_64, x86, x32, aarch64 or arm");
	refuse("\"architectures\"", "\"listenerPath\":\"/x\",\"architectures\"",
	       "linux.seccomp.listenerPath: not supported");
	refuse("\"architectures\"",
	       "\"flags\":[\"SECCOMP_FILTER_FLAG_LOG\"],"
	       "\"architectures\"",
	       "linux.seccomp.flags: not supported");
	refuse("\"/dev/ttyS0\"", "\"/tmp/ttyS0\"", "must be under /dev/");
	refuse("\"type\":\"c\"", "\"type\":\"x\"", "expected c, b, u or p");
	refuse("\"effective\":[\"CAP_NET_BIND_SERVICE\"]",
	       "\"effective\":[\"CAP_KILL\"]",
	       "effective and ambient must be within permitted");
	refuse("\"args\":[\"/bin/app\",\"--flag\",\"\\u00e9\"],", "",
	       "process.args: missing");
	refuse("\"ociVersion\":\"1.0.2\",", "", "ociVersion: missing");
	refuse("\"hostname\":\"box\"",
	       "\"hostname\":\"box\",\"hostname\":\"b\"", "duplicate key");
	refuse("\"env\":[\"PATH=/bin\"", "\"env\":[\"PATH\"", "not NAME=VALUE");
	refuse("\"uid\":1000", "\"uid\":4294967296", "integer out of range");
	refuse("\"uid\":1000", "\"uid\":-1", "negative");
	refuse("\"box\"", "\"box\\u0000\"", "NUL in string");
	refuse("{\"ociVersion\"", "[{\"ociVersion\"", "expected object");
}

static void
test_limits(void)
{
	struct kerr e = {0};
	size_t n;

	/* OCI_MAX_ARGS arguments fit, one more is refused */
	for (int extra = 0; extra < 2; extra++) {
		n = (size_t)sprintf(buf, "{\"ociVersion\":\"1.0.0\","
					 "\"process\":{\"args\":[");
		for (int i = 0; i < OCI_MAX_ARGS + extra; i++)
			n += (size_t)sprintf(buf + n, "%s\"a%d\"", i ? "," : "",
					     i);
		strcpy(buf + n, "]}}");
		if (!extra)
			CHECK(parse(buf, &e) == 0 && C.nargs == OCI_MAX_ARGS &&
				  !C.args[OCI_MAX_ARGS],
			      "max args: %s", e.detail);
		else
			CHECK(parse(buf, &e) < 0 &&
				  strstr(e.detail, "process.args[128]"),
			      "too many args: %s", e.detail);
	}
	/* the string pool overflows before anything is written past it */
	n = (size_t)sprintf(buf, "{\"ociVersion\":\"1.0.0\",\"process\":"
				 "{\"args\":[\"x\"],\"env\":[");
	for (int i = 0; i < 100; i++) {
		n += (size_t)sprintf(buf + n, "%s\"V%d=", i ? "," : "", i);
		memset(buf + n, 'v', 500);
		n += 500;
		buf[n++] = '"';
	}
	strcpy(buf + n, "]}}");
	CHECK(parse(buf, &e) < 0 && strstr(e.detail, "strings exceed"),
	      "pool overflow: %s", e.detail);
	CHECK(C.pool_used <= OCI_POOL_SIZE, "pool bound");

	/* larger than OCI_JSON_MAX */
	memset(buf, ' ', OCI_JSON_MAX + 1);
	buf[OCI_JSON_MAX + 1] = 0;
	CHECK(oci_parse(buf, OCI_JSON_MAX + 1, &C, &e) < 0 &&
		  strstr(e.detail, "larger than"),
	      "size limit: %s", e.detail);

	/* OCI_MAX_MOUNTS + 1 tmpfs mounts */
	n = (size_t)sprintf(buf, "{\"ociVersion\":\"1.0.0\",\"process\":"
				 "{\"args\":[\"x\"]},\"mounts\":[");
	for (int i = 0; i <= OCI_MAX_MOUNTS; i++)
		n += (size_t)sprintf(buf + n,
				     "%s{\"destination\":\"/m%d\","
				     "\"type\":\"tmpfs\"}",
				     i ? "," : "", i);
	strcpy(buf + n, "]}");
	CHECK(parse(buf, &e) < 0 && strstr(e.detail, "more than 32 mounts"),
	      "too many mounts: %s", e.detail);
}

static void
test_umoci_std(void)
{
	struct kerr e = {0};
	static const char cfg[] =
	    "{\"ociVersion\":\"1.0.0\",\"process\":{\"args\":[\"sh\"]},"
	    "\"mounts\":[{\"destination\":\"/sys\",\"type\":\"sysfs\","
	    "\"source\":\"sysfs\",\"options\":[\"nosuid\",\"noexec\","
	    "\"nodev\"]}]}";

	CHECK(parse(cfg, &e) < 0 && strstr(e.detail, "read-only"),
	      "rw /sys refused: %s", e.detail);
}

static void
test_default(void)
{
	struct kerr e = {0};
	char *argv[] = {"/bin/true", "x"};

	oci_default(&C);
	CHECK(C.ns_flags == (OCI_NS_ALWAYS | OCI_NS_NET) && C.uid == 0 &&
		  !C.cap_bounding && !C.cap_effective && !C.has_seccomp &&
		  C.no_new_privs && !strcmp(C.cwd, "/") && C.nenv == 1 &&
		  !strncmp(C.env[0], "PATH=", 5) && C.nmasked > 0 &&
		  C.nreadonly > 0,
	      "default config");
	CHECK(oci_set_args(&C, 2, argv, &e) == 0 && C.nargs == 2 &&
		  !strcmp(C.args[1], "x") && !C.args[2],
	      "set args");
}

static char out1[OCI_JSON_MAX], out2[OCI_JSON_MAX];
static struct oci_config C2;

/* oci_write(C) parses back to the same policy and is a fixed point. */
static void
roundtrip(const char *what)
{
	struct kerr e = {0};
	long n1, n2;

	n1 = oci_write(&C, out1, sizeof(out1), &e);
	CHECK(n1 > 0, "%s: write: %s", what, e.detail);
	if (n1 <= 0)
		return;
	CHECK(oci_parse(out1, (size_t)n1, &C2, &e) == 0,
	      "%s: written config parses: %s\n%s", what, e.detail, out1);
	n2 = oci_write(&C2, out2, sizeof(out2), &e);
	CHECK(n1 == n2 && !memcmp(out1, out2, (size_t)n1),
	      "%s: write is a fixed point", what);
	CHECK(C2.nargs == C.nargs && C2.nenv == C.nenv && C2.uid == C.uid &&
		  C2.gid == C.gid && C2.cap_bounding == C.cap_bounding &&
		  C2.cap_ambient == C.cap_ambient &&
		  C2.ns_flags == C.ns_flags && C2.std_mounts == C.std_mounts &&
		  C2.nmounts == C.nmounts && C2.nrules == C.nrules &&
		  C2.seccomp_default == C.seccomp_default &&
		  C2.has_seccomp == C.has_seccomp &&
		  !memcmp(&C2.keel, &C.keel, sizeof(C.keel)) &&
		  C2.res.set == C.res.set &&
		  C2.res.required == C.res.required &&
		  C2.keel.persist == C.keel.persist &&
		  C2.res.memory_max == C.res.memory_max &&
		  C2.res.cpu_quota == C.res.cpu_quota &&
		  C2.ndevices == C.ndevices && C2.nmasked == C.nmasked,
	      "%s: same policy", what);
	for (int i = 0; i < C.nmounts && i < C2.nmounts; i++)
		CHECK(C2.mounts[i].flags == C.mounts[i].flags &&
			  C2.mounts[i].propagation == C.mounts[i].propagation &&
			  !strcmp(C2.mounts[i].data, C.mounts[i].data),
		      "%s: mount %d", what, i);
	CHECK(oci_write(&C, out1, 100, &e) < 0, "%s: short buffer", what);
}

static void
test_write(void)
{
	struct kerr e;
	char *argv[] = {"/bin/sh", "-c", "echo \"hi\"\n"};

	if (parse(full, &e) == 0)
		roundtrip("full");
	oci_default(&C);
	oci_set_args(&C, 3, argv, &e);
	roundtrip("default");
}

/*
 * A config for an image of the other CPU (keel image build --arch): its
 * syscall names are that CPU's, the numbers and the written form too.
 */
static void
test_abi(void)
{
	static const char *const arches[] = {
	    "SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32",
	    "SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM"};
	const struct syscall_abi *a64 = &syscall_abi_aarch64;
	static char txt[sizeof(full) + 64], *p;
	struct kerr e = {0};
	long n;

	CHECK(syscall_abi_of(1) == &syscall_abi_x86_64 &&
		  syscall_abi_of(2) == a64 && !syscall_abi_of(0) &&
		  !syscall_abi_of(3),
	      "abi of the image header's architecture numbers");
	CHECK(syscall_abi_nr(a64, "read") == 63 &&
		  syscall_abi_nr(a64, "clone3") == 435 &&
		  syscall_abi_nr(a64, "open") == -1 &&
		  syscall_abi_nr(&syscall_abi_x86_64, "open") == 2 &&
		  !strcmp(syscall_abi_name(a64, 220), "clone"),
	      "aarch64 table");
	CHECK(oci_parse_abi(full, strlen(full), &C, 0, a64, &e) == 0 &&
		  C.abi == a64 && C.nrules == 4 && C.rules[0].nr == 63 &&
		  C.rules[1].nr == 64 && C.rules[2].nr == 94,
	      "aarch64 numbers: %s", e.detail);
	n = oci_write(&C, out1, sizeof(out1), &e);
	CHECK(n > 0 &&
		  strstr(out1, "\"architectures\":[\"SCMP_ARCH_AARCH64\"]") &&
		  oci_parse_abi(out1, (size_t)n, &C2, 0, a64, &e) == 0 &&
		  C2.nrules == 4 && C2.rules[3].nr == C.rules[3].nr,
	      "aarch64 config written and read back: %s", e.detail);
	CHECK(oci_parse_abi(out1, (size_t)n, &C2, 0, &syscall_abi_x86_64, &e) ==
		      0 &&
		  C2.nrules == 4 && C2.rules[0].nr == 0,
	      "the same text on x86_64: x86_64 numbers");
	/* a name only x86_64 has is refused for aarch64, and the other way */
	strcpy(txt, full);
	p = strstr(txt, "\"uname\"");
	memcpy(p, "\"chmod\"", 7);
	CHECK(oci_parse_abi(txt, strlen(txt), &C, 0, &syscall_abi_x86_64, &e) ==
		  0,
	      "chmod on x86_64: %s", e.detail);
	CHECK(oci_parse_abi(txt, strlen(txt), &C, 0, a64, &e) < 0 &&
		  strstr(e.detail, "unknown aarch64 syscall \"chmod\""),
	      "chmod refused on aarch64: %s", e.detail);
	/* every architecture name is accepted on either CPU */
	for (size_t i = 0; i < sizeof(arches) / sizeof(arches[0]); i++) {
		strcpy(txt, full);
		p = strstr(txt, "\"SCMP_ARCH_X86_64\"");
		memmove(p + strlen(arches[i]) + 2, p + 18, strlen(p + 18) + 1);
		memcpy(p + 1, arches[i], strlen(arches[i]));
		p[strlen(arches[i]) + 1] = '"';
		CHECK(oci_parse_abi(txt, strlen(txt), &C, 0,
				    &syscall_abi_x86_64, &e) == 0 &&
			  oci_parse_abi(txt, strlen(txt), &C, 0, a64, &e) == 0,
		      "architectures [%s]: %s", arches[i], e.detail);
	}
}

/* Runs umoci (when installed) to make a bundle and parses its config. */
static void
test_umoci(void)
{
	char dir[] = "/tmp/keel-test-oci.XXXXXX", cmd[1024];
	static const char *const modes[] = {"", "--rootless"};
	struct kerr e = {0};

	if (system("command -v umoci >/dev/null 2>&1") != 0) {
		printf("SKIP oci: umoci not installed\n");
		return;
	}
	if (!mkdtemp(dir))
		return;
	for (int m = 0; m < 2; m++) {
		FILE *f;
		size_t n;
		snprintf(cmd, sizeof(cmd),
			 "cd %s && umoci init --layout L%d && "
			 "umoci new --image L%d:t && "
			 "umoci config --image L%d:t --config.cmd /bin/app "
			 "--config.env A=1 --config.workingdir /w "
			 "--config.user 7:8 && "
			 "umoci unpack %s --image L%d:t b%d) >/dev/null 2>&1",
			 dir, m, m, m, modes[m], m, m);
		memmove(cmd + 1, cmd, strlen(cmd) + 1);
		cmd[0] = '(';
		CHECK(system(cmd) == 0, "umoci %s ran", modes[m]);
		snprintf(cmd, sizeof(cmd), "%s/b%d/config.json", dir, m);
		f = fopen(cmd, "r");
		CHECK(f != NULL, "umoci config.json %s", modes[m]);
		if (!f)
			continue;
		n = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
		buf[n] = 0;
		CHECK(oci_parse(buf, n, &C, &e) < 0 &&
			  strstr(e.detail, "process.terminal"),
		      "strict parse refuses terminal: %s", e.detail);
		memset(&e, 0, sizeof(e));
		CHECK(oci_parse_flags(buf, n, &C, OCI_PARSE_BUNDLE, &e) == 0,
		      "umoci %s config parses: %s", modes[m], e.detail);
		CHECK(C.nargs == 1 && !strcmp(C.args[0], "/bin/app") &&
			  !strcmp(C.cwd, "/w") && C.uid == 7 && C.gid == 8 &&
			  C.nenv >= 1 && !strcmp(C.env[C.nenv - 1], "A=1"),
		      "umoci process fields");
		CHECK((C.std_mounts &
		       (OCI_STD_PROC | OCI_STD_DEV | OCI_STD_DEVPTS |
			OCI_STD_SHM | OCI_STD_SYSFS)) ==
			  (OCI_STD_PROC | OCI_STD_DEV | OCI_STD_DEVPTS |
			   OCI_STD_SHM | OCI_STD_SYSFS),
		      "umoci std mounts %x", C.std_mounts);
		CHECK(C.cap_bounding && C.nrlimits == 1 && C.nmasked > 3,
		      "umoci caps, rlimits, masked paths");
		roundtrip(modes[m][0] ? "umoci rootless" : "umoci");
	}
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		printf("could not remove %s\n", dir);
}

int
main(void)
{
	test_full();
	test_refusals_process();
	test_refusals_linux();
	test_limits();
	test_umoci_std();
	test_default();
	test_write();
	test_abi();
	test_umoci();
	return unit_done("oci");
}
