// SPDX-License-Identifier: MIT
/* keel image inspect's short view of the launch policy in a signed image. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

#include "launcher/image_cmd.h"
#include "launcher/run_map.h"
#include "lib/config/names.h"
#include "lib/config/oci.h"

static void
print_caps(const char *key, uint64_t set)
{
	int first = 1;

	printf("%s=", key);
	for (int c = 0; c <= CAPS_LAST; c++)
		if (set >> c & 1) {
			printf("%s%s", first ? "" : ",", caps_name(c));
			first = 0;
		}
	printf("%s\n", first ? "none" : "");
}

static void
print_ns(unsigned long ns)
{
	static const struct {
		unsigned long flag;
		const char *name;
	} t[] = {
	    {OCI_NS_MOUNT, "mount"},   {OCI_NS_PID, "pid"},
	    {OCI_NS_UTS, "uts"},       {OCI_NS_IPC, "ipc"},
	    {OCI_NS_CGROUP, "cgroup"}, {OCI_NS_NET, "network"},
	    {OCI_NS_USER, "user"},
	};
	int first = 1;

	printf("policy.namespaces=");
	for (size_t i = 0; i < sizeof(t) / sizeof(*t); i++)
		if (ns & t[i].flag) {
			printf("%s%s", first ? "" : ",", t[i].name);
			first = 0;
		}
	printf("%s\n", ns & OCI_NS_NET ? "" : " (the device's network)");
}

static void
print_limit(const char *name, int64_t v, int *first)
{
	if (v < 0)
		printf("%s%s=max", *first ? "" : ",", name);
	else
		printf("%s%s=%lld", *first ? "" : ",", name, (long long)v);
	*first = 0;
}

static void
print_limits(const struct oci_resources *r, int nrlimits)
{
	int first = 1;

	printf("policy.limits=");
	if (r->set & OCI_RES_MEMORY)
		print_limit("memory", r->memory_max, &first);
	if (r->set & OCI_RES_PIDS)
		print_limit("pids", r->pids_max, &first);
	if (r->set & OCI_RES_CPU && r->cpu_quota)
		print_limit("cpu_quota_us", r->cpu_quota, &first);
	if (r->set & OCI_RES_CPU && r->cpu_shares)
		print_limit("cpu_shares", (int64_t)r->cpu_shares, &first);
	printf("%s", first ? "none" : "");
	printf(" (%d rlimit%s)\n", nrlimits, nrlimits == 1 ? "" : "s");
}

static void
print_mounts(const struct oci_config *c)
{
	printf("policy.mounts=");
	for (int i = 0; i < c->nmounts; i++) {
		const struct oci_mount *m = &c->mounts[i];
		printf("%s%s:%s%s%s", i ? "," : "", m->destination,
		       m->type == OCI_MOUNT_BIND ? "bind=" : "tmpfs",
		       m->type == OCI_MOUNT_BIND ? m->source : "",
		       m->flags & MS_RDONLY ? ":ro" : "");
	}
	printf("%s\n", c->nmounts ? "" : "none (keel's own only)");
}

static void
print_policy(const struct oci_config *c)
{
	static const char *const restart[] = {"always", "on-failure", "no"};

	printf("policy.args=");
	for (int i = 0; i < c->nargs; i++)
		printf("%s%s", i ? " " : "", c->args[i]);
	printf("\npolicy.user=%u:%u", (unsigned)c->uid, (unsigned)c->gid);
	for (int i = 0; i < c->ngroups; i++)
		printf("%s%u", i ? "," : " groups=", (unsigned)c->groups[i]);
	printf("\n");
	print_caps("policy.caps.bounding", c->cap_bounding);
	print_caps("policy.caps.effective", c->cap_effective);
	print_ns(c->ns_flags);
	print_mounts(c);
	print_limits(&c->res, c->nrlimits);
	printf("policy.seccomp=%s\n",
	       c->has_seccomp ? "the config's filter" : "keel's default");
	printf("policy.restart=%s\n", restart[c->keel.restart]);
	printf("policy.notify=%s\n", c->keel.notify ? "yes" : "no");
}

int
image_inspect_policy(const char *image, const char *keys)
{
	static char json[OCI_JSON_MAX + 1];
	static struct oci_config cfg;
	static struct run_map map;
	static struct keyset ks;
	struct kerr e = {0};
	long n;

	if (geteuid() != 0) {
		printf("policy=- (not read: the image is mounted to read it, "
		       "which needs root)\n");
		return 0;
	}
	if (keel_keyset(keys, &ks, "image inspect") < 0)
		return KEEL_EXIT_FAIL;
	if (run_map_image(image, &ks, RUN_VERIFY_AUTO, &map, &e)) {
		printf("policy=- (not read: an image is mounted only once it "
		       "verifies; %s: %s)\n",
		       e.check, e.detail);
		return 0;
	}
	n = keel_root_read_file(map.mnt_fd, IMG_CONFIG_PATH, json,
				sizeof(json));
	run_unmap_image(&map);
	if (n < 0) {
		printf("policy=none (no %s: keel run IMAGE -- CMD only)\n",
		       IMG_CONFIG_PATH);
		return 0;
	}
	if (oci_parse(json, (size_t)n, &cfg, &e) < 0) {
		printf("policy=- (refused: %s: %s)\n", e.check, e.detail);
		return 0;
	}
	print_policy(&cfg);
	return 0;
}
