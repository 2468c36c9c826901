#!/bin/sh
# SPDX-License-Identifier: MIT
# The demo appliance (make demo): stages its root (static toybox and the
# keel-demo service), builds and signs the image, assembles the disk and
# boots it in QEMU with the service on a port of 127.0.0.1.
#   scripts/demo.sh image BUILD_DIR   BUILD_DIR/demo/demo.img, signed
#   scripts/demo.sh disk BUILD_DIR    BUILD_DIR/demo/disk.img: made once,
#                                     later only its slots are rewritten
#   scripts/demo.sh run BUILD_DIR     boot it; the console on the terminal
# BUILD_DIR is the build directory of the board's architecture (its
# keel-demo, toybox and demo/); keel itself is this machine's.
# Environment: KEEL (BUILD_DIR/keel), BOARD (qemu-x86_64), ARCH (x86_64:
# the image's), TRUN (how to run a binary of ARCH here: empty, or QEMU's
# user-mode emulator), DEMO_PORT (8080), DEMO_KEY (the test release key),
# DEMO_DISK (BUILD_DIR/demo/disk.img), DEMO_TIMEOUT (none: seconds until
# QEMU is stopped), KEEL_VERSION.
set -eu
cmd=$1
O=$(cd "$2" && pwd)
top=$(cd "$(dirname "$0")/.." && pwd)
KEEL=${KEEL:-$O/keel}
BOARD=${BOARD:-qemu-x86_64}
ARCH=${ARCH:-x86_64}
TRUN=${TRUN:-}
DEMO_PORT=${DEMO_PORT:-8080}
DEMO_KEY=${DEMO_KEY:-$top/keys/test/release/test-release-a.key}
out=$O/demo
img=$out/demo.img
disk=${DEMO_DISK:-$out/disk.img}

die() { echo "keel: demo: $*" >&2; exit 1; }

# The image's root: toybox and its command links, the service, /etc.
stage() {
	root=$1
	rm -rf "$root"
	mkdir -p "$root/bin" "$root/usr/sbin" "$root/etc/demo" \
		"$root/usr/share/demo"
	install -m 0755 "$O/deps/bin/toybox" "$root/bin/toybox"
	# shellcheck disable=SC2086
	for p in $($TRUN "$root/bin/toybox" --long); do
		[ "$p" = bin/toybox ] && continue
		mkdir -p "$root/$(dirname "$p")"
		ln -sf /bin/toybox "$root/$p"
	done
	[ -L "$root/bin/sh" ] || ln -s toybox "$root/bin/sh"
	install -m 0755 "$out/keel-demo" "$root/usr/sbin/keel-demo"
	install -m 0644 "$top/demo/greeting" "$root/etc/demo/greeting"
	echo keel-demo >"$root/etc/hostname"
	echo 'root:x:0:0:root:/:/bin/sh' >"$root/etc/passwd"
	echo 'root:x:0:' >"$root/etc/group"
	echo "keel demo ${KEEL_VERSION:-unknown} for $BOARD" \
		>"$root/usr/share/demo/release"
}

image() {
	stage "$out/root"
	rm -f "$img.tmp"
	"$KEEL" image build "$out/root" -o "$img.tmp" --board "$BOARD" \
		--arch "$ARCH" \
		--config "$top/demo/config.json" \
		--name "keel-demo ${KEEL_VERSION:-unknown}" >/dev/null
	"$KEEL" image sign "$img.tmp" --key "$DEMO_KEY" >/dev/null
	"$KEEL" image verify "$img.tmp" >/dev/null
	mv "$img.tmp" "$img"
	printf '  %-7s %s (%s bytes, signed with %s)\n' IMAGE "$img" \
		"$(stat -c %s "$img")" "$(basename "$DEMO_KEY")"
}

# A new disk is made once; an existing one keeps its etc and var
# partitions (the greeting and the boot count) and gets a changed image
# in both slots (DISK.slots remembers which image they hold).
disk() {
	[ -f "$img" ] || die "no $img (scripts/demo.sh image first)"
	sum=$(sha256sum <"$img" | cut -d' ' -f1)
	held=$(cat "$disk.slots" 2>/dev/null || true)
	if [ -f "$disk" ] && [ "$held" = "$sum" ]; then
		printf '  %-7s %s (kept: its slots hold this image)\n' DISK \
			"$disk"
		return
	fi
	if [ -f "$disk" ]; then
		"$KEEL" disk --board "$BOARD" --slot-a "$img" --slot-b "$img" \
			-o "$disk" || die "$disk does not fit board $BOARD" \
			"any more; remove it to start with a fresh disk"
		what="slots rewritten, etc and var kept"
	else
		rm -f "$disk.slots"
		"$KEEL" disk --board "$BOARD" --slot-a "$img" --slot-b "$img" \
			-o "$disk"
		what=new
	fi
	echo "$sum" >"$disk.slots"
	printf '  %-7s %s (%s)\n' DISK "$disk" "$what"
}

run() {
	[ -f "$disk" ] || die "no $disk (make demo builds it)"
	! bash -c "exec 3<>/dev/tcp/127.0.0.1/$DEMO_PORT" 2>/dev/null ||
		die "127.0.0.1:$DEMO_PORT is taken; choose another DEMO_PORT"
	cat <<EOF

  keel demo: booting $disk in QEMU
  ($BOARD, TCG without KVM: the service answers 5-15 s from now)
  The service:  http://127.0.0.1:$DEMO_PORT/
     curl http://127.0.0.1:$DEMO_PORT/greeting
     curl -d 'Hi there' http://127.0.0.1:$DEMO_PORT/greeting
  Quit with ctrl-a x. The disk is kept: the next make demo boots it
  again, with your greeting and one more boot counted.

EOF
	rc=0
	"$KEEL" qemu "$disk" --board "$BOARD" \
		${DEMO_TIMEOUT:+--timeout "$DEMO_TIMEOUT"} -- \
		-netdev "user,id=n0,hostfwd=tcp:127.0.0.1:$DEMO_PORT-:80" \
		-device virtio-net-pci,netdev=n0 || rc=$?
	# 125: QEMU quit (ctrl-a x) without the app reporting an exit; 124:
	# DEMO_TIMEOUT passed.
	case $rc in
	0 | 124 | 125) echo "keel demo: stopped; the disk stays at $disk" ;;
	*) exit "$rc" ;;
	esac
}

case $cmd in
image) image ;;
disk) disk ;;
run) run ;;
*) die "unknown step $cmd (image, disk or run)" ;;
esac
