#!/bin/sh
# SPDX-License-Identifier: MIT
# keel-init in full-check mode against a medium that answers the check's
# reads with the genuine bytes and later reads with others: the slot file
# is rewritten with a forgery (the forged filesystem under the genuine
# tree, header and signature) after the check and before the mount.
# keel-init-test (keel-init with a pause there, KEEL_TEST_PAUSE) holds the
# window open. The mounted bytes must be the checked ones: the genuine
# app runs, no forged byte is read. With the check reading the medium and
# the mount reading it again, the forged app would run.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../init_lib.sh"

init_needs
ITEST=$O/keel-init-test
[ -x "$ITEST" ] || { fail "$ITEST missing (make O=$O $ITEST)"; finish; exit; }
cd "$WORK" || exit 1

# tree DIR WORD: an app that prints WORD from its image's /etc/greeting
tree() {
	mkdir -p "$1/bin" "$1/etc" "$1/var/lib"
	cp "$(command -v busybox)" "$1/bin/busybox"
	ln -sf busybox "$1/bin/sh"
	printf '%s\n' "$2" >"$1/etc/greeting"
	cat >"$1.json" <<'EOF'
{"ociVersion": "1.0.2",
 "process": {"args": ["/bin/sh", "-c", "echo greeting=$(cat /etc/greeting)"],
  "cwd": "/", "env": ["PATH=/bin"]},
 "root": {"path": "rootfs", "readonly": true},
 "annotations": {"org.keel.restart": "no"}}
EOF
	"$KEEL" image build "$1" -o "$1.img" --board test-board --fs squashfs \
		--salt 42 --config "$1.json" >/dev/null
}
tree g genuine
tree f forged!
"$KEEL" image sign g.img --key "$KEY_A" >/dev/null || fail "sign"
val() { "$KEEL" image inspect "$1" | sed -n "s/^$2=//p"; }
ho=$(val g.img hash_offset)
if [ "$ho" != "$(val f.img hash_offset)" ]; then
	fail "setup: the forged filesystem is not the genuine one's size"
	finish
	exit
fi
cp g.img forged.img
dd if=f.img of=forged.img bs=4096 count=$((ho / 4096)) conv=notrunc \
	status=none
cmp -s g.img forged.img && fail "setup: no forgery"

board_conf a.img b.img
sed -i -e 's/^on_failure=.*/on_failure=halt/' \
	-e 's/^on_app_exit=.*/on_app_exit=poweroff/' board.conf
cp g.img b.img
greeting() { sed -n 's/^\(app: \)\{0,1\}greeting=//p' boot.out | head -n 1; }
# fresh: a blank A/B record, so every boot starts with slot a
fresh() { rm -f state && truncate -s 8192 state; }
# boot INIT: one boot to the app's end (T seconds at most)
boot() {
	fresh
	timeout "${T:-30}" unshare --fork --pid --mount --propagation private \
		-- "$1" --test --board board.conf >boot.out 2>&1
	cat boot.out >>all.out
}

# The controls: each image alone is what the test says it is.
cp g.img a.img
boot "$INIT"
same "control: the genuine slot runs its app" "$(greeting)" genuine
cp forged.img a.img
T=5 boot "$INIT"
grep -q 'slot a: REFUSED: hash tree' boot.out &&
	pass "control: the forged slot alone is refused" ||
	fail "control: the forgery was not refused: $(tail -n 3 boot.out)"

# The race: genuine at the check, forged from the pause on (same inode,
# through the page cache, as a medium that changes its answer would).
cp g.img a.img
fresh
rm -f pause
mkfifo pause
KEEL_TEST_PAUSE=$WORK/pause timeout 60 unshare --fork --pid --mount \
	--propagation private -- "$ITEST" --test --board board.conf \
	>boot.out 2>&1 &
k=$!
# opening the FIFO waits for keel-init to reach its pause
timeout 60 sh -c 'exec 3>"$1" &&
	dd if="$2" of="$3" bs=65536 conv=notrunc status=none &&
	echo go >&3' sh pause forged.img a.img
w=$?
wait $k
cat boot.out >>all.out
same "the rewrite happened in the pause" "$w" 0
grep -q 'slot: test pause' boot.out || fail "keel-init-test did not pause"
grep -q 'slot a: whole image verified' boot.out ||
	fail "slot a was not the one checked: $(grep slot boot.out)"
cmp -s a.img forged.img || fail "the slot is not the forgery after the rewrite"
same "rewritten after the check: the checked app runs" "$(greeting)" genuine
grep -q 'forged' boot.out && fail "a forged byte was read: $(grep forged boot.out)" ||
	pass "rewritten after the check: no forged byte read"
grep -q 'app exited status=0' boot.out && pass "the app ended normally" ||
	fail "the app did not end: $(tail -n 3 boot.out)"

# The copy limit: an image over verify.copy_max is refused, with the
# board's policy (halt here), and nothing is mounted.
cp g.img a.img
echo "verify.copy_max=4096" >>board.conf
T=5 boot "$INIT"
grep -q 'slot a: REFUSED: full check: the image ([0-9]* KiB) is over the copy limit (4 KiB, verify.copy_max)' boot.out &&
	pass "an image over verify.copy_max is refused" ||
	fail "copy limit: $(grep -m1 REFUSED boot.out)"
grep -q 'greeting=' boot.out && fail "the app ran over the copy limit" ||
	pass "nothing ran over the copy limit"
finish
