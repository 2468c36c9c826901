/* SPDX-License-Identifier: MIT */
/* Entry points of keel's commands (launcher/cmd_*.c; the control
 * client's status, reboot, poweroff, factory-reset, update, logs and notify
 * share launcher/cmd_ctl.c). */
#ifndef KEEL_COMMANDS_H
#define KEEL_COMMANDS_H

int cmd_keygen(int argc, char **argv);
int cmd_image(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_disk(int argc, char **argv);
int cmd_qemu(int argc, char **argv);
int cmd_bundle(int argc, char **argv);
int cmd_install(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_reboot(int argc, char **argv);
int cmd_poweroff(int argc, char **argv);
int cmd_factory_reset(int argc, char **argv);
int cmd_update(int argc, char **argv);
int cmd_logs(int argc, char **argv);
int cmd_notify(int argc, char **argv);
int cmd_update_agent(int argc, char **argv);
int cmd_net(int argc, char **argv);
int cmd_installer(int argc, char **argv);
int cmd_app(int argc, char **argv);
int cmd_trash(int argc, char **argv);
int cmd_counter(int argc, char **argv);

#endif
