#!/bin/sh
# SPDX-License-Identifier: MIT
# The unit tests that need the board CPU's own kernel, run in its QEMU
# guest: a board of another CPU than this machine's (qemu-aarch64) boots
# an initramfs whose /init (a busybox script) runs that CPU's static
# test_sha256 (the SHA instructions against BearSSL, known answers),
# test_seccomp (the filters in the kernel, 32-bit ARM calls killed) and
# test_caps, then times the full hash-tree check of 32 MiB with the SHA
# instructions and without (TCG figures: relative only). The other unit
# tests of that CPU run under QEMU's user-mode emulator (tests/run.sh).
. "$(dirname "$0")/../lib.sh"

GUEST_TESTS="test_sha256 test_seccomp test_caps"
if [ "$ARCH" = "$(uname -m)" ]; then
	skip "$BOARD: this machine's CPU: its unit tests run natively"
	finish
	exit 0
fi
if ! command -v "$QEMU_SYSTEM" >/dev/null; then
	skip "QEMU is not installed: the QEMU tier did not run"
	finish
	exit 0
fi
for f in "$BOUT/$KIMAGE" "$BUSYBOX" "$TO/tests/test_verity" $(for t in \
	$GUEST_TESTS; do echo "$TO/tests/$t"; done); do
	[ -f "$f" ] || {
		fail "no $f (make BOARD=$BOARD board target-tests $f)"
		finish
		exit 1
	}
done

# The initramfs: busybox, the tests, /init.
R=$WORK/root
mkdir -p "$R/bin" "$R/tests" "$R/dev" "$R/proc" "$R/sys" "$R/tmp" \
	"$WORK/board"
cp "$BUSYBOX" "$R/bin/busybox"
ln -s busybox "$R/bin/sh"
for t in $GUEST_TESTS test_verity; do cp "$TO/tests/$t" "$R/tests/"; done
cat >"$R/init" <<EOF
#!/bin/sh
export PATH=/bin
busybox mount -t proc proc /proc
busybox mount -t sysfs sys /sys
busybox mount -t devtmpfs dev /dev
busybox mount -t tmpfs tmp /tmp
failed=0
for t in $GUEST_TESTS; do
	/tests/\$t
	rc=\$?
	echo "units: \$t exit \$rc"
	[ \$rc = 0 ] || failed=\$((failed + 1))
done
# 32 MiB: the tree built, then checked with and without the instructions.
busybox dd if=/dev/urandom of=/tmp/img bs=1M count=32 2>/dev/null
root=\$(/tests/test_verity build /tmp/img 8192 33554432 00112233)
for soft in "" 1; do
	KEEL_SHA256_SOFT=\$soft /tests/test_verity check /tmp/img 8192 \\
		33554432 00112233 "\$root" 2>&1 | busybox sed 's/^/units: verify /'
done
echo "keel: app exited status=\$failed"
busybox poweroff -f
EOF
chmod 0755 "$R/init"
(cd "$R" && find . -mindepth 1 | LC_ALL=C sort |
	cpio -o -H newc -R 0:0 --quiet) >"$WORK/board/initramfs.cpio" ||
	fail "initramfs"
ln -s "$BOUT/$KIMAGE" "$WORK/board/$KIMAGE"
cp "$TOP/board/$BOARD/board.conf" "$WORK/board/board.conf"
truncate -s 1M "$WORK/disk" # keel qemu boots a disk; nothing reads this

t0=$(date +%s%N)
KEEL_BOARD_DIR=$WORK/board "$KEEL" qemu "$WORK/disk" --board "$BOARD" \
	--timeout 600 --memory 512M >"$WORK/raw" 2>"$WORK/err"
rc=$?
tr -d '\r' <"$WORK/raw" >"$WORK/con"
same "guest tests: no binary failed (keel qemu exit)" "$rc" 0
for t in $GUEST_TESTS; do
	check "$t in the $ARCH guest: exit 0" grep -q "^units: $t exit 0$" \
		"$WORK/con"
	line=$(grep "^unit ${t#test_}: " "$WORK/con")
	echo "units: $ARCH guest: $line"
	case $line in *" 0 failed") ;; *) sed 's/^/    /' "$WORK/con" |
		grep -e FAIL -e SKIP ;; esac
done
check "the SHA instructions are used in the guest" \
	grep -q '^sha256: armv8-sha2 in use' "$WORK/con"
check "32-bit ARM calls killed by the filter" sh -c \
	"! grep -q 'SKIP seccomp' '$WORK/con'"
sed -n 's/^units: verify //p' "$WORK/con" | sed "s/^/units: $ARCH guest: /"
same "verify: both passes checked the tree" \
	"$(grep -c '^units: verify check: 8192 blocks' "$WORK/con")" 2
echo "units: $BOARD boot and tests $((($(date +%s%N) - t0) / 1000000)) ms"
finish
