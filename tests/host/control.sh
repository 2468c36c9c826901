#!/bin/sh
# SPDX-License-Identifier: MIT
# Who may use keel-init's control socket (keel-init --test): an app of a
# non-root uid with group 0 keeps its access when the image has an
# update.conf and the update agent starts; the agent's uid and gid
# (64101) get it through the socket's ACL; another uid and group do not.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/init_lib.sh"
init_needs setpriv nsenter
cd "$WORK" || exit 1
trap "t_cleanup" EXIT

update_agent_images

# as UID GID: keel status over the control socket, inside keel-init's
# mount namespace, as that uid and gid with no other group
as() {
	nsenter -t "$PID" -m -- setpriv --reuid "$1" --regid "$2" \
		--clear-groups -- "$KEEL" status --socket /run/keel/sock/control
}

T=30 init_start "app: READY"
for _ in $(seq 50); do
	grep -q 'update-agent\|update:' boot.out && break
	sleep 0.1
done
check "the update agent started (update.conf in the image)" \
	grep -q 'update' boot.out
check "root may use the control socket" as 0 0
check "an app of uid 1000, group 0, keeps its access" as 1000 0
check "the update agent's uid and gid have access" as 64101 64101
refuse "uid 1000, group 1000, has none" "ermission denied" as 1000 1000
same "the socket is still mode 0660 (the ACL's mask)" \
	"$(stat -c %a "$SOCK")" 660
same "its group is still root's" "$(stat -c %g "$SOCK")" 0
init_stop poweroff
finish
