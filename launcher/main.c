// SPDX-License-Identifier: MIT
/* keel: the host, build-machine and in-app tool; dispatches to commands. */
#include <stdio.h>
#include <string.h>

#include "keel_version.h"
#include "launcher/commands.h"
#include "launcher/keel.h"

static const struct keel_cmd cmds[] = {
    {"keygen", cmd_keygen, "make an ECDSA P-256 signing key pair"},
    {"image", cmd_image, "build, sign, verify and inspect slot images"},
    {"run", cmd_run, "run a signed image's app in a container"},
    {"disk", cmd_disk, "assemble a board's GPT disk from slot images"},
    {"qemu", cmd_qemu, "boot a disk in QEMU; exit with the app's status"},
    {"bundle", cmd_bundle, "pack a signed image as an update bundle"},
    {"install", cmd_install, "check and install a bundle into a slot"},
    {"status", cmd_status, "show slots, versions and the app (control)"},
    {"update", cmd_update, "stream a bundle to the device (control)"},
    {"reboot", cmd_reboot, "reboot the device (control)"},
    {"poweroff", cmd_poweroff, "power the device off (control)"},
    {"factory-reset", cmd_factory_reset,
     "wipe /etc changes and /var/lib on next boot"},
    {"logs", cmd_logs, "the device's log: keel-init, the app, the kernel"},
    {"notify", cmd_notify, "send READY=1 etc. to $NOTIFY_SOCKET"},
    {"update-agent", cmd_update_agent,
     "poll for updates and install them (keel-init runs it)"},
    {"net", cmd_net, "the device's network agent (keel-init runs it)"},
    {"installer", cmd_installer,
     "install one update into a slot (keel-init runs it)"},
    {"app", cmd_app,
     "check the config, set up the app's container (keel-init runs it)"},
    {"counter", cmd_counter,
     "read or advance the rollback counter (keel-init runs it)"},
    {"trash", cmd_trash,
     "remove a factory reset's old trees (keel-init runs it)"},
};

static int
check_keys(void)
{
	struct keyset ks;
	struct kerr e = {0};

	if (ks_check_baked(&ks, &e))
		return keel_err("check keys", "baked keys", &e);
	printf("keys: %s%s, %u roles, %u keys\n", ks_baked_origin,
	       ks.test ? " (TEST KEYS)" : "", ks.nroles, ks.nkeys);
	for (unsigned i = 0; i < ks.nroles; i++)
		printf("role %s: %u of %u\n", ks.role[i].name, ks.role[i].need,
		       ks.role[i].nkeys);
	return 0;
}

static int
help(FILE *f)
{
	fprintf(f, "usage: keel COMMAND [ARGS...]   (keel COMMAND --help)\n\n");
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		fprintf(f, "  %-10s %s\n", cmds[i].name, cmds[i].summary);
	fprintf(f, "\n  --version  keel's version and baked key set\n");
	return f == stdout ? 0 : KEEL_EXIT_USAGE;
}

int
main(int argc, char **argv)
{
	if (argc < 2)
		return help(stderr);
	if (!strcmp(argv[1], "--check-keys"))
		return check_keys();
	if (!strcmp(argv[1], "--version")) {
		printf("keel %s\n", KEEL_VERSION);
		return check_keys();
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "help"))
		return help(stdout);
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (!strcmp(argv[1], cmds[i].name))
			return cmds[i].main(argc - 1, argv + 1);
	fprintf(stderr, "keel: unknown command '%s'\n", argv[1]);
	return help(stderr);
}
