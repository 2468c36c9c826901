#!/bin/sh
# SPDX-License-Identifier: MIT
# Boots the QEMU board (BOARD: qemu-x86_64 unless named) with a test
# /init (tests/qemu/smoke_init.c) on a keel disk: every board module
# loads, all five partitions are found by GPT name, and keel qemu
# carries the app's exit status and timeouts.
. "$(dirname "$0")/../lib.sh"

if ! command -v "$QEMU_SYSTEM" >/dev/null; then
	skip "QEMU is not installed: the QEMU tier did not run"
	finish
	exit 0
fi
if [ ! -f "$BOUT/$KIMAGE" ]; then
	fail "no $BOUT/$KIMAGE (make O=... BOARD=$BOARD board)"
	finish
	exit 1
fi

# The board directory keel qemu boots: Debian's kernel, the smoke init.
mkdir -p "$WORK/board" "$WORK/root/etc"
check "smoke init builds" "$TCC" -static -Os -Wall -Wextra -Werror \
	-Wno-unused-parameter -I"$TOP" -I"$TOP/compat" -o "$WORK/smoke_init" \
	"$TOP/tests/qemu/smoke_init.c" "$TOP/lib/config/board.c" "$TOP/lib/base/err.c" \
	"$TOP/lib/base/fmt.c" \
	"$TOP/lib/base/kvfile.c"
ln -s "$BOUT/$KIMAGE" "$WORK/board/$KIMAGE"
cp "$TOP/board/$BOARD/board.conf" "$WORK/board/board.conf"
check "initramfs" "$TOP/scripts/mkinitramfs.sh" "$BOARD" "$BOUT" \
	"$WORK/smoke_init" "$WORK/board/initramfs.cpio"
echo smoke >"$WORK/root/etc/greeting"
check "slot image" "$KEEL" image build "$WORK/root" -o "$WORK/a.img" \
	--board "$BOARD"
check "disk" "$KEEL" disk --board "$BOARD" --slot-a "$WORK/a.img" \
	--slot-b "$WORK/a.img" -o "$WORK/disk.img"
export KEEL_BOARD_DIR="$WORK/board"

# 1. A full boot: modules, partitions, exit status 0.
t0=$(date +%s%N)
"$KEEL" qemu --board "$BOARD" "$WORK/disk.img" --timeout $((120 * SLOW)) \
	--log "$WORK/log" -- \
	-netdev user,id=n0 -device virtio-net-pci,netdev=n0 >"$WORK/raw"
rc=$?
t1=$(date +%s%N)
same "boot exit status" "$rc" 0
check "console also in --log" cmp "$WORK/raw" "$WORK/log"
tr -d '\r' <"$WORK/raw" >"$WORK/console" # the serial line ends in CR LF
for p in keel-a keel-b keel-state keel-etc keel-var; do
	check "partition $p found by name" grep -q "partname=$p\$" "$WORK/console"
done
nmod=$(wc -l <"$BOUT/modules/load.list")
same "every module loads" \
	"$(grep -c '^smoke: module .*: loaded$' "$WORK/console")" "$nmod"
check "no module failed" sh -c "! grep -q FAILED '$WORK/console'"
check "QEMU arguments after -- pass through (a NIC)" \
	grep -q '^smoke: net eth0$' "$WORK/console"
check "all partitions line" grep -q '^smoke: all 5 partitions found' \
	"$WORK/console"
init_us=$(sed -n 's/^smoke: init started at \([0-9]*\) us.*/\1/p' \
	"$WORK/console")
done_us=$(sed -n 's/^smoke: all 5 partitions found at \([0-9]*\) us.*/\1/p' \
	"$WORK/console")
echo "smoke: boot to poweroff $(((t1 - t0) / 1000000)) ms wall; kernel to" \
	"init ${init_us:-?} us, to partitions ${done_us:-?} us; initramfs" \
	"$(stat -c %s "$WORK/board/initramfs.cpio") bytes"

# 2. The app's exit status comes through; the disk is reused as it is.
"$KEEL" qemu --board "$BOARD" "$WORK/disk.img" --timeout $((120 * SLOW)) \
	--append smoke.status=7 >"$WORK/console2"
same "app exit status 7 passed through" "$?" 7

# 3. A device that never powers off is stopped at the timeout.
"$KEEL" qemu --board "$BOARD" "$WORK/disk.img" --timeout 4 --append smoke.hang \
	>"$WORK/console3" 2>"$WORK/err3"
same "timeout exit status" "$?" 124
check "timeout message" grep -q 'timeout after 4 s' "$WORK/err3"

# 4. The tiny kernel (make kernel), when built: everything is built in.
TINY=$O/board/$BOARD-tiny
if [ -f "$TINY/$KIMAGE" ]; then
	mkdir -p "$WORK/tiny"
	ln -s "$TINY/$KIMAGE" "$WORK/tiny/$KIMAGE"
	cp "$TOP/board/$BOARD/board.conf" "$WORK/tiny/board.conf"
	"$TOP/scripts/mkinitramfs.sh" "$BOARD" "$TINY" "$WORK/smoke_init" \
		"$WORK/tiny/initramfs.cpio" >/dev/null
	t0=$(date +%s%N)
	KEEL_BOARD_DIR="$WORK/tiny" "$KEEL" qemu --board "$BOARD" "$WORK/disk.img" \
		--timeout $((120 * SLOW)) >"$WORK/raw4"
	rc=$?
	t1=$(date +%s%N)
	same "tiny kernel: boot exit status" "$rc" 0
	tr -d '\r' <"$WORK/raw4" >"$WORK/console4"
	check "tiny kernel: all partitions" grep -q \
		'^smoke: all 5 partitions found' "$WORK/console4"
	init_us=$(sed -n 's/^smoke: init started at \([0-9]*\) us.*/\1/p' \
		"$WORK/console4")
	echo "smoke: tiny kernel: boot to poweroff $(((t1 - t0) / 1000000))" \
		"ms wall; kernel to init ${init_us:-?} us"
else
	echo "smoke: no tiny kernel built (make kernel): not booted"
fi

# 5. Usage and missing-board errors.
refuse "no disk" "usage" "$KEEL" qemu
refuse "no board files" "nowhere" env KEEL_BOARD_DIR="$WORK/nowhere" \
	"$KEEL" qemu --board "$BOARD" "$WORK/disk.img"
mkdir "$WORK/empty"
cp "$TOP/board/$BOARD/board.conf" "$WORK/empty/"
refuse "no kernel" "make board" env KEEL_BOARD_DIR="$WORK/empty" \
	"$KEEL" qemu --board "$BOARD" "$WORK/disk.img"
finish
