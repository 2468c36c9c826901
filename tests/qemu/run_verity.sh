#!/bin/sh
# SPDX-License-Identifier: MIT
# keel run where the kernel has dm-verity (the board's kernel under QEMU;
# the host has no device-mapper): the image is mapped through a verity
# target from the signed header alone, so a forged filesystem under the
# genuine tree and signature never reaches the app, whether it is there
# from the start or written into the file between the check and the
# mount (keel-test's pause); the sealed copy (--verify full) works there
# too, and a disk (a block device) runs as well as a file.
. "$(dirname "$0")/../lib.sh"

if ! command -v "$QEMU_SYSTEM" >/dev/null; then
	skip "QEMU is not installed: the QEMU tier did not run"
	finish
	exit 0
fi
BB=$BUSYBOX
for f in "$BOUT/$KIMAGE" "$TO/keel-test" "$TO/probe" "$BB"; do
	[ -f "$f" ] || {
		fail "$f missing (make O=$O BOARD=$BOARD board $f)"
		finish
		exit 1
	}
done
if readelf -l "$BB" | grep -q 'program interpreter'; then
	fail "$BB is not static (scripts/deps.sh installs busybox-static)"
	finish
	exit 1
fi

# The images: as in tests/host/run_race.sh, a genuine one and a forgery
# (another filesystem and policy under the genuine tree and signature).
root() {
	mkdir -p "$1/bin" "$1/proc" "$1/sys" "$1/dev" "$1/run" "$1/tmp" \
		"$1/etc" "$1/var/lib"
	cp "$TO/probe" "$1/bin/probe"
	printf '%s\n' "$2" >"$1/etc/greeting"
	cat >"$1/cfg.json" <<EOF
{"ociVersion": "1.0.2",
 "process": {"args": [$3], "cwd": "/", "env": ["PATH=/bin"]},
 "root": {"path": "rootfs", "readonly": true}}
EOF
}
val() { "$KEEL" image inspect "$1" | sed -n "s/^$2=//p"; }
S=$WORK/stage
mkdir -p "$S/bin" "$WORK/board"
root "$WORK/a" genuine '"/bin/probe", "cat", "/etc/greeting"'
root "$WORK/f" forged! '"/bin/probe", "exit", "42"'
for x in a f; do
	"$KEEL" image build "$WORK/$x" -o "$WORK/$x.img" --board qemu-x86_64 --fs squashfs \
		--salt 00112233 --config "$WORK/$x/cfg.json" >/dev/null ||
		fail "build $x"
done
"$KEEL" image sign "$WORK/a.img" --key "$KEY_A" >/dev/null || fail "sign"
ho=$(val "$WORK/a.img" hash_offset)
[ "$ho" = "$(val "$WORK/f.img" hash_offset)" ] ||
	{ fail "setup: forged filesystem of another size"; finish; exit 1; }
cp "$WORK/a.img" "$S/app.img"
cp "$WORK/a.img" "$S/forged.img"
dd if="$WORK/f.img" of="$S/forged.img" bs=4096 count=$((ho / 4096)) \
	conv=notrunc status=none

# The guest: busybox, keel-test (keel with the pause), the images, and a
# script for /init that loads the board's modules, moves to a tmpfs root
# (pivot_root cannot leave the initramfs) and runs the cases.
cp "$BB" "$S/bin/busybox"
cp "$TO/keel-test" "$S/keel"
cat >"$S/cases.sh" <<'EOF'
#!/bin/busybox sh
# each case: "rv: NAME status=N cat=TEXT"
export PATH=/bin
say() { echo "rv: $*"; }
get() { sed -n "s/^$1=//p" /tmp/out | head -n 1; }
case_run() {
	name=$1
	shift
	/keel run "$@" </dev/null >/tmp/out 2>/tmp/err
	say "$name status=$? cat=$(get cat) err=$(tail -n 1 /tmp/err)"
}
case_run verity --verify verity /app.img
case_run full --verify full /app.img
case_run disk --verify verity /dev/vda
case_run forged --verify verity /forged.img
# the rewrite between the check and the mount
cp /app.img /race.img
mkfifo /tmp/pause
KEEL_TEST_PAUSE=/tmp/pause /keel run --verify verity /race.img </dev/null \
	>/tmp/out 2>/tmp/err &
k=$!
exec 3>/tmp/pause
dd if=/forged.img of=/race.img bs=65536 conv=notrunc 2>/dev/null
echo go >&3
exec 3>&-
wait $k
say "race status=$? cat=$(get cat) pause=$(grep -c 'test pause' /tmp/err)" \
	"err=$(tail -n 1 /tmp/err)"
cmp -s /race.img /forged.img && say "race rewritten=yes"
say "dm devices left: $(ls /sys/block | grep -c dm-)"
echo "keel: app exited status=0"
poweroff -f
EOF
cat >"$S/init" <<'EOF'
#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin
mkdir -p /proc /sys /dev /t
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs dev /dev
while read -r m; do insmod "/lib/modules/$m" 2>/dev/null; done \
	</lib/modules/load.list
mount -t tmpfs -o mode=755 root /t
cp -a /bin /keel /app.img /forged.img /cases.sh /t/
mkdir -p /t/proc /t/sys /t/dev /t/tmp
for d in proc sys dev; do mount --move /$d /t/$d; done
exec switch_root /t /bin/busybox sh /cases.sh
EOF
chmod 755 "$S/init" "$S/cases.sh" "$S/keel"
ln -s "$BOUT/$KIMAGE" "$WORK/board/$KIMAGE"
cp "$TOP/board/$BOARD/board.conf" "$WORK/board/board.conf"
# the board's modules from mkinitramfs.sh, then this test's files
check "initramfs" "$TOP/scripts/mkinitramfs.sh" "$BOARD" "$BOUT" \
	"$S/init" "$WORK/board/initramfs.cpio"
(cd "$S" && find . -mindepth 1 | LC_ALL=C sort |
	cpio -o -H newc -R 0:0 --quiet) >>"$WORK/board/initramfs.cpio" ||
	fail "initramfs: the test's files"

KEEL_BOARD_DIR=$WORK/board "$KEEL" qemu --board "$BOARD" "$WORK/a.img" \
	--timeout $((180 * SLOW)) --memory 512M >"$WORK/raw" 2>"$WORK/qerr"
rc=$?
tr -d '\r' <"$WORK/raw" >"$WORK/console"
same "guest ran every case" "$rc" 0
r() { sed -n "s/^rv: $1 //p" "$WORK/console" | head -n 1; }
st() { r "$1" | sed -n 's/^status=\([0-9]*\) .*/\1/p'; }
ct() { r "$1" | sed -n 's/.* cat=\([^ ]*\) .*/\1/p'; }
same "dm-verity: the genuine image runs its policy" \
	"$(st verity):$(ct verity)" "0:genuine"
same "a sealed copy where dm-verity exists" "$(st full):$(ct full)" "0:genuine"
same "dm-verity over a disk (block device)" "$(st disk):$(ct disk)" "0:genuine"
case "$(st forged)" in
0 | 42 | "") fail "forgery under dm-verity: $(r forged)" ;;
*) pass "forgery under dm-verity: refused by the kernel's check" ;;
esac
check "rewrite: keel-test paused after the check" \
	grep -q '^rv: race .*pause=1' "$WORK/console"
check "rewrite: the file was the forgery at the mount" \
	grep -q '^rv: race rewritten=yes' "$WORK/console"
# the checked bytes (cached before the rewrite) or an I/O error: both
# fine; the forged policy (status 42) or text is the failure
case "$(st race):$(ct race)" in
0:genuine | [1-9]*:) pass "rewrite after the check: $(r race)" ;;
*) fail "rewrite after the check: a forged byte reached the app: $(r race)" ;;
esac
case "$(st race):$(ct race)" in
42:* | *forged*) fail "rewrite after the check: the forgery ran" ;;
esac
check "no forged byte in any answer" \
	sh -c "! grep -q '^rv: .*forged!' '$WORK/console'"
same "no dm device left" "$(r 'dm devices left:')" 0
if [ "$T_FAIL" != 0 ]; then
	grep -e '^rv:' -e 'keel' -e 'verity' "$WORK/console" | tail -n 25 |
		sed 's/^/    /'
	tail -n 5 "$WORK/qerr" | sed 's/^/    /'
fi
finish
