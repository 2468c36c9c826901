/* SPDX-License-Identifier: MIT */
/* A filesystem mounted nowhere: fsopen(2), fsconfig(2), fsmount(2). */
#ifndef KEEL_FSMOUNT_H
#define KEEL_FSMOUNT_H

/*
 * A new filesystem of type as a detached mount: attached nowhere, in no
 * namespace, it needs no directory, and it goes when its last descriptor
 * closes (with whatever it holds: a loop device set to autoclear, a
 * file with no name). opt: NULL-terminated pairs of key and value (value
 * NULL: a flag), or NULL; attrs: MOUNT_ATTR_* of the mount. Its fd
 * (close-on-exec), or -1 with errno (ENOSYS: a kernel before 5.2).
 */
int fs_detached(const char *type, const char *const *opt, unsigned attrs);

#endif
