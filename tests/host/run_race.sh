#!/bin/sh
# SPDX-License-Identifier: MIT
# keel run against an image file rewritten between the check and the
# mount (the time-of-check/time-of-use race): the app and its policy come
# from the bytes that were checked or the run is refused; no byte written
# after the check reaches the kernel or keel. keel-test (keel with a pause
# after the check, KEEL_TEST_PAUSE) makes the window as long as the test
# needs; the production keel is run against a writer flipping the file in
# a loop. The host has no device-mapper: this is the sealed-copy path
# (tests/qemu/run_verity.sh covers dm-verity).
OWN_MOUNT_NS=1 # leak_state: mounts of this test's own namespace
. "$(dirname "$0")/../lib.sh"

if [ "$(id -u)" != 0 ]; then
	skip "keel run needs root (loop devices, mounts, namespaces)"
	finish
	exit
fi
KTEST=$O/keel-test
PROBE=$O/probe
for f in "$KTEST" "$PROBE"; do
	[ -x "$f" ] || { fail "$f missing (make O=$O $f)"; finish; exit; }
done

# root DIR GREETING ARGS: the probe and a config that runs it with ARGS
# (the genuine policy prints /etc/greeting; the forged one exits 42)
root() {
	mkdir -p "$1/bin" "$1/proc" "$1/sys" "$1/dev" "$1/run" "$1/tmp" \
		"$1/etc" "$1/var/lib"
	cp "$PROBE" "$1/bin/probe"
	printf '%s\n' "$2" >"$1/etc/greeting"
	cat >"$1/cfg.json" <<EOF
{"ociVersion": "1.0.2",
 "process": {"args": [$3], "cwd": "/", "env": ["PATH=/bin"]},
 "root": {"path": "rootfs", "readonly": true}}
EOF
}
val() { "$KEEL" image inspect "$1" | sed -n "s/^$2=//p"; }
# get KEY FILE: the probe's answer
get() { sed -n "s/^$1=//p" "$2" | head -n 1; }
# mounts, and keel's loop devices left (tests/lib.sh: other tests may
# run beside)
host_state() { leak_state; }

root "$WORK/a" genuine '"/bin/probe", "cat", "/etc/greeting"'
root "$WORK/f" forged! '"/bin/probe", "exit", "42"'
IMG=$WORK/app.img
for x in a f; do
	"$KEEL" image build "$WORK/$x" -o "$WORK/$x.img" --board test-board --fs squashfs \
		--salt 00112233 --config "$WORK/$x/cfg.json" >/dev/null ||
		fail "build $x"
done
"$KEEL" image sign "$WORK/a.img" --key "$KEY_A" >/dev/null || fail "sign"
ho=$(val "$WORK/a.img" hash_offset)
if [ "$ho" != "$(val "$WORK/f.img" hash_offset)" ]; then
	fail "setup: the forged filesystem is not the genuine one's size"
	finish
	exit
fi
# The forgery: the forged filesystem under the genuine tree, header and
# signature, the shape an attacker who can write the file gives it.
cp "$WORK/a.img" "$WORK/forged.img"
dd if="$WORK/f.img" of="$WORK/forged.img" bs=4096 count=$((ho / 4096)) \
	conv=notrunc status=none
cmp -s "$WORK/a.img" "$WORK/forged.img" && fail "setup: no forgery"
state0=$(host_state)

# The controls: each image alone is what the test says it is.
cp "$WORK/a.img" "$IMG"
"$KEEL" run "$IMG" >"$WORK/out" 2>"$WORK/err"
same "control: the genuine image runs its policy" "$?:$(get cat "$WORK/out")" \
	"0:genuine"
cp "$WORK/forged.img" "$IMG"
refuse "control: the forgery alone is refused" "hash tree" "$KEEL" run "$IMG"

# reach.sh PID DIR: at keel's pause (checked, loop device made, not
# mounted), what reaches the copy of the image: keel's descriptors name
# none (only the loop device and files in DIR), the loop device is
# read-only, and its backing file is a name no one can open (a memfd, or
# a file with no name on a tmpfs that is mounted nowhere).
cat >"$WORK/reach.sh" <<'EOF'
fds() { for f in /proc/$1/fd/*; do readlink "$f"; done; }
loop=$(fds "$1" | grep -m1 '^/dev/loop') || { echo "no loop device"; exit 1; }
fds "$1" | grep -v -e '^/dev/' -e '^pipe:' -e '^socket:' -e '^anon_inode:' \
	-e "^$2/" && { echo "keel holds more than its loop and DIR's files"; exit 1; }
n=${loop#/dev/}
[ "$(cat /sys/block/$n/ro)" = 1 ] || { echo "$n writable"; exit 1; }
b=$(cat /sys/block/$n/loop/backing_file)
case $b in /*/*) echo "$b: on a mounted filesystem"; exit 1 ;; esac
case $b in *' (deleted)') ;; *) echo "backing file $b has a name"; exit 1 ;; esac
[ -e "${b% (deleted)}" ] && { echo "backing file $b reachable"; exit 1; }
echo "$b"
EOF

# rewrite_at_pause WHAT: keel-test run IMG (genuine at the start) pauses
# after its check; the file gets the forgery in place (same inode) and
# keel goes on. Output in $WORK/out, $WORK/err, status in $rc.
rewrite_at_pause() {
	cp "$WORK/a.img" "$IMG"
	rm -f "$WORK/pause"
	mkfifo "$WORK/pause"
	KEEL_TEST_PAUSE=$WORK/pause "$KTEST" run "$@" "$IMG" \
		>"$WORK/out" 2>"$WORK/err" &
	k=$!
	# opening the FIFO waits for keel to reach its pause
	timeout 60 sh -c 'exec 3>"$1" && sh "$4" "$5" "$7" >"$6" &&
		dd if="$2" of="$3" bs=65536 conv=notrunc status=none &&
		echo go >&3' sh "$WORK/pause" "$WORK/forged.img" "$IMG" \
		"$WORK/reach.sh" $k "$WORK/reach" "$WORK"
	w=$?
	wait $k
	rc=$?
	[ $w = 0 ] || fail "the rewrite did not happen (timeout, dd or" \
		"the copy reachable: $w, $(cat "$WORK/reach"))"
	cmp -s "$IMG" "$WORK/forged.img" ||
		fail "the file is not the forgery after the rewrite"
	echo "run_race: the loop device's file at the pause: $(cat "$WORK/reach")"
}

rewrite_at_pause
grep -q 'test pause' "$WORK/err" || fail "keel-test did not pause"
same "rewritten after the check: the checked policy runs (status)" "$rc" 0
same "rewritten after the check: the checked filesystem is read" \
	"$(get cat "$WORK/out")" genuine
check "rewritten after the check: no forged byte seen" \
	sh -c "! grep -q forged '$WORK/out' '$WORK/err'"
rewrite_at_pause --verify full
same "the same with --verify full" "$rc:$(get cat "$WORK/out")" "0:genuine"
same "host unchanged after the rewritten runs" "$(host_state)" "$state0"

# The production keel against a writer that flips the file between the
# genuine bytes and the forgery as fast as it can: every run either sees
# the genuine image or is refused.
cp "$WORK/a.img" "$IMG"
(
	while [ ! -e "$WORK/stop" ]; do
		dd if="$WORK/forged.img" of="$IMG" bs=65536 conv=notrunc \
			status=none
		dd if="$WORK/a.img" of="$IMG" bs=65536 conv=notrunc status=none
	done
) &
wpid=$!
ok=0 refused=0 forged=0
for _ in $(seq 15); do
	"$KEEL" run "$IMG" >"$WORK/out" 2>"$WORK/err"
	r=$?
	c=$(get cat "$WORK/out")
	if [ $r = 0 ] && [ "$c" = genuine ]; then
		ok=$((ok + 1))
	elif [ $r = 125 ] && [ -z "$c" ]; then
		refused=$((refused + 1))
	else
		forged=$((forged + 1))
		echo "  run: status $r, cat '$c': $(tail -n 1 "$WORK/err")"
	fi
done
touch "$WORK/stop"
wait $wpid
echo "run_race: under a flipping writer: $ok genuine, $refused refused"
same "under a flipping writer no run sees a forged byte" "$forged" 0
same "host unchanged after the flipping runs" "$(host_state)" "$state0"

# One open, no symbolic link, nothing but a file or a disk.
cp "$WORK/a.img" "$IMG"
if dev=$(losetup -f --show -r "$IMG" 2>/dev/null); then
	"$KEEL" run "$dev" >"$WORK/out" 2>"$WORK/err"
	same "a disk (block device) through the sealed copy" \
		"$?:$(get cat "$WORK/out")" "0:genuine"
	losetup -d "$dev"
else
	skip "no free loop device for the block device case"
fi
ln -s "$IMG" "$WORK/link.img"
refuse "an image behind a symbolic link is refused" "symbolic link" \
	"$KEEL" run "$WORK/link.img"
mkfifo "$WORK/fifo.img"
refuse "a FIFO is refused" "not a regular file" "$KEEL" run "$WORK/fifo.img"
finish
