#!/bin/sh
# SPDX-License-Identifier: MIT
# An agent's configuration and the etc partition's keel/ (keel-init
# --test; the update agent, whose update.conf is in the image): a plain
# keel/ on the device leaves the image's file in force, one made anew
# (overlay's opaque mark) hides it. The mark is read from the keel/
# keel-init opened: keel-init-test pauses between that open and the
# check (KEEL_TEST_PAUSE), and there the app's side swaps keel/ for an
# opaque one; read by path again, the swapped directory would decide.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/init_lib.sh"
init_needs python3
ITEST=$O/keel-init-test
[ -x "$ITEST" ] || { fail "$ITEST missing (make O=$O $ITEST)"; finish; exit; }
cd "$WORK" || exit 1
trap 't_cleanup' EXIT

update_agent_images
OPAQUE=trusted.overlay.opaque
opaque() { python3 -c 'import os, sys; os.setxattr(sys.argv[1], sys.argv[2], b"y")' "$1" "$OPAQUE"; }
started() { # the update agent started, within 3 s of the app's READY
	for _ in $(seq 30); do
		grep -q 'agent update-agent: started' boot.out && return 0
		sleep 0.1
	done
	return 1
}
boot() { # one boot to the app's READY, then the agent's start or not
	T=30 init_start "app: READY"
	grep -q 'app: READY' boot.out || fail "no READY: $(tail -n 3 boot.out)"
	started
	r=$?
	init_stop poweroff
	return $r
}
refuse_boot() { if boot; then return 1; fi; }

check "no keel/ on the device: the image's update.conf" boot
up=$(ls -d etc/.keel-gen-* | sort -t- -k3 -n | tail -n 1)/upper
[ -d "$up" ] || fail "no upper layer: $(ls -A etc)"
mkdir "$up/keel"
check "a plain keel/ on the device: the image's update.conf" boot
opaque "$up/keel"
check "an opaque keel/ on the device: the image's update.conf is hidden" \
	refuse_boot

# The swap: plain keel/ when keel-init opens it, opaque keel/ from the
# pause on. Only the pause at update.conf stops (KEEL_TEST_PAUSE_STEP):
# the ones before it (the slot's check, update-ca.pem) go on at once, so
# the swap cannot fall in another pause's window. The FIFO is removed
# after the swap, so that any later pause returns at once too.
rm -rf "$up/keel" "$up/keel.opaque"
mkdir "$up/keel" "$up/keel.opaque"
opaque "$up/keel.opaque"
rm -f pause
mkfifo pause
timeout 30 sh -c '
	exec 3>"$1" || exit 1
	mv "$2/keel" "$2/keel.plain" && mv "$2/keel.opaque" "$2/keel" &&
		rm "$1" && echo swapped
	echo go >&3' sh pause "$up" >swap.out 2>&1 &
DRV=$!
export KEEL_TEST_PAUSE="$WORK/pause" KEEL_TEST_PAUSE_STEP=update.conf
INIT=$ITEST
T=60 init_start "app: READY"
wait "$DRV"
same "the directories were swapped in the pause" "$(cat swap.out)" swapped
grep -q 'agent: test pause: keel/update.conf absent' boot.out ||
	fail "keel-init-test did not pause at update.conf"
check "swapped after the open: the keel/ opened decides (plain: in force)" \
	started
check "the swapped-in keel/ was the opaque one" sh -c \
	'python3 -c "import os, sys; print(os.getxattr(sys.argv[1], sys.argv[2]))" "$1/keel" "$2" | grep -q y' \
	sh "$up" "$OPAQUE"
init_stop poweroff
unset KEEL_TEST_PAUSE KEEL_TEST_PAUSE_STEP
finish
