#!/bin/sh
# SPDX-License-Identifier: MIT
# Debian's nginx as an appliance: the image of tests/host/nginx.sh (the
# cached mmdebstrap rootfs, tests/nginx.json: no capability, no wrapper,
# no network code) in both slots of a qemu-x86_64 disk, one boot. keel
# net gets the address by DHCP from QEMU's user network, nginx binds the
# device's port 80 as www-data without a capability (keel-init lowered
# the device's port floor), and this machine fetches Debian's default
# page through keel qemu --forward (127.0.0.1 only). ctrl-alt-del through
# QEMU's monitor shuts the device down cleanly; the log keel-init saved
# on the var partition (what `keel logs --boot -1` shows at the next
# boot) holds nginx's lines. Only on a board of this machine's CPU (the
# qemu-x86_64 board on x86_64): the cached rootfs is this machine's
# architecture; the aarch64 board would need a second, foreign-
# architecture mmdebstrap (through qemu-user, minutes) and boots ~3
# times slower under TCG.
. "$(dirname "$0")/../lib.sh"

WAIT_S=${NGINX_WAIT_S:-$((90 * SLOW))} # to the first page, to the shutdown
if [ "$ARCH" != "$(uname -m)" ]; then
	skip "board $BOARD is $ARCH: the cached Debian rootfs is $(uname -m)"
	finish
	exit 0
fi
if ! command -v "$QEMU_SYSTEM" >/dev/null || ! command -v debugfs \
	>/dev/null; then
	skip "needs QEMU and debugfs (e2fsprogs)"
	finish
	exit 0
fi
if [ ! -f "$BOUT/$KIMAGE" ] || [ ! -x "$TO/keel-init" ]; then
	fail "no $BOUT (make O=... BOARD=$BOARD board)"
	finish
	exit 1
fi
need_debian_rootfs
cd "$WORK" || exit 1

qpid=
cleanup() {
	[ -z "$qpid" ] || kill "$qpid" 2>/dev/null
	t_cleanup
}
trap cleanup EXIT
ms_since() { echo $((($(date +%s%N) - $1) / 1000000)); }
# get PATH: the response from the forwarded port, without \r (HTTP_T s)
get() {
	timeout "${HTTP_T:-5}" bash -c '
		exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
		printf "GET %s HTTP/1.0\r\nHost: nginx\r\n\r\n" "$2" >&3
		cat <&3' get "$PORT" "$1" 2>/dev/null | tr -d '\r'
}
code() { get "$@" | sed -n '1s/^HTTP\/1\.[01] \([0-9]*\).*/\1/p'; }

t0=$(date +%s%N)
check "image build" "$KEEL" image build "$ROOTFS" -o nginx.img \
	--board "$BOARD" --config "$TOP/tests/nginx.json"
check "image sign" "$KEEL" image sign nginx.img --key "$KEY_A"
build_ms=$(ms_since "$t0")
t0=$(date +%s%N)
check "disk (256 MiB slots)" "$KEEL" disk --board "$BOARD" \
	--slot-a nginx.img --slot-b nginx.img -o disk.img
disk_ms=$(ms_since "$t0")

# One boot: the page through the forward, then ctrl-alt-del.
PORT=$(free_port)
mkfifo mon.in mon.out
t0=$(date +%s%N)
("$KEEL" qemu disk.img --board "$BOARD" --timeout $((WAIT_S * 2)) \
	--forward "$PORT:80" \
	-- -chardev pipe,id=mon0,path="$WORK/mon" -mon chardev=mon0 \
	>console.raw 2>qemu.err; echo $? >qemu.rc) &
qpid=$!
wait_http "$t0" "$WAIT_S" "$qpid" code /
tr -d '\r' <console.raw >console
if [ -n "$ms" ]; then
	pass "the page answers on 127.0.0.1:$PORT after $ms ms"
else
	fail "no answer on 127.0.0.1:$PORT in $WAIT_S s"
	tail -n 25 console | sed 's/^/    /'
	sed 's/^/    /' qemu.err
fi
get / >page
check "Debian's default page (/var/www/html)" grep -q 'Welcome to nginx!' page
check "served by Debian's nginx" grep -qi '^server: nginx/' page
same "a missing page: 404" "$(code /nowhere)" 404
check "keel net: the address by DHCP from QEMU's user network" grep -q \
	'^net: eth0: 10\.0\.2\.15/24 via 10\.0\.2\.2' console
check "nginx's lines on the console, as app:" \
	grep -q '^app: .*\[notice\] .*start worker processes' console
if kill -0 "$qpid" 2>/dev/null; then
	timeout 5 sh -c 'echo "sendkey ctrl-alt-delete" >mon.in'
fi
wait "$qpid"
qpid=
tr -d '\r' <console.raw >console
same "keel qemu: the device rebooted (ctrl-alt-del, -no-reboot): 125" \
	"$(cat qemu.rc)" 125
check "a clean shutdown" grep -q 'keel: shutdown: done' console

# The var partition: the saved log and nginx's seeded state.
set -- $(partx -g -o START,SECTORS,NAME disk.img |
	awk '$3 == "keel-var" { print $1 / 2048, $2 / 2048 }')
dd if=disk.img of=var.part bs=1M skip="${1:-0}" count="${2:-0}" 2>/dev/null
debugfs -R "cat .keel-init/log/boot.0" var.part >saved.log 2>/dev/null
check "the saved log (keel logs --boot -1 next boot) has nginx's lines" \
	grep -q 'app: .*\[notice\] .*start worker processes' saved.log
check "the saved log has keel net's lease" grep -q 'net: eth0: 10\.0\.2\.15' \
	saved.log
# (a new disk's app data is generation 1: docs/FORMAT.md §5)
debugfs -R "ls -l .keel-gen-1" var.part >app.ls 2>/dev/null
check "the device's /var/lib was seeded from the image (dpkg, nginx)" \
	grep -q ' dpkg *$' app.ls
check "/var/lib/nginx in the image's tree (a tmpfs over it for nginx)" \
	grep -q ' nginx *$' app.ls

app=$(sed -n 's/^\[+\([0-9.]*\)s\] keel: app: started.*/\1/p' console |
	head -n 1)
echo "nginx: image $(stat -c %s nginx.img) bytes, built and signed in" \
	"$build_ms ms; disk in $disk_ms ms ($(du -k disk.img | cut -f1) KiB" \
	"of $(($(stat -c %s disk.img) / 1024)) KiB allocated); first page" \
	"${ms:-?} ms after keel qemu started (keel-init to nginx ${app:-?} s)"
finish
