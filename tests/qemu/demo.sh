#!/bin/sh
# SPDX-License-Identifier: MIT
# Boots the demo appliance (make demo-image) twice on one disk, with the
# service's port 80 forwarded to a free port of 127.0.0.1: the page
# answers, the image's greeting shows through /etc, the service holds
# exactly its two capabilities; a greeting POSTed on the first boot and
# the boot count survive into the second boot.
. "$(dirname "$0")/../lib.sh"

IMG=$TO/demo/demo.img
WAIT_S=${DEMO_WAIT_S:-$((60 * SLOW))} # per boot, to the first HTTP answer
if ! command -v "$QEMU_SYSTEM" >/dev/null; then
	skip "QEMU is not installed: the demo test did not run"
	finish
	exit 0
fi
for f in "$BOUT/$KIMAGE" "$IMG"; do
	if [ ! -f "$f" ]; then
		fail "no $f (make O=... BOARD=$BOARD board demo-image)"
		finish
		exit 1
	fi
done

qpid=
cleanup() {
	[ -z "$qpid" ] || kill "$qpid" 2>/dev/null
	t_cleanup
}
trap cleanup EXIT

# http METHOD PATH [BODY]: the response (status line, headers, body) on
# stdout, through bash's /dev/tcp (no curl needed); HTTP_T seconds at
# most (5). A request sent before the guest listens is retransmitted by
# QEMU's user network only after a while: polls give up after 1 s.
http() {
	timeout "${HTTP_T:-5}" bash -c '
		exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
		printf "%s %s HTTP/1.0\r\nHost: demo\r\n" "$2" "$3" >&3
		printf "Content-Length: %s\r\n\r\n%s" "${#4}" "$4" >&3
		cat <&3' http "$PORT" "$1" "$2" "${3:-}" 2>/dev/null |
		tr -d '\r'
}
body() { http "$@" | sed '1,/^$/d'; }
code() { http "$@" | sed -n '1s/^HTTP\/1\.[01] \([0-9]*\).*/\1/p'; }

# A port nothing listens on; QEMU's own bind decides in the end.
free_port() {
	p=$((20000 + $$ % 20000))
	while timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$p" 2>/dev/null; do
		p=$((p + 1))
	done
	echo "$p"
}

# boot N: starts QEMU in the background, waits for the first answer of
# GET /greeting; ms is the time from the start of keel qemu.
boot() {
	n=$1
	PORT=$(free_port)
	t0=$(date +%s%N)
	"$KEEL" qemu --board "$BOARD" "$WORK/disk.img" --timeout $((WAIT_S + 60)) \
		--log "$WORK/console$n" -- \
		-netdev "user,id=n0,hostfwd=tcp:127.0.0.1:$PORT-:80" \
		-device virtio-net-pci,netdev=n0 >/dev/null 2>"$WORK/err$n" &
	qpid=$!
	ms=
	while [ $((($(date +%s%N) - t0) / 1000000000)) -lt "$WAIT_S" ]; do
		if [ "$(HTTP_T=1 code GET /greeting)" = 200 ]; then
			ms=$((($(date +%s%N) - t0) / 1000000))
			break
		fi
		kill -0 "$qpid" 2>/dev/null || break
		sleep 0.1
	done
	if [ -n "$ms" ]; then
		pass "boot $n: the page answers on 127.0.0.1:$PORT"
	else
		fail "boot $n: no HTTP answer on 127.0.0.1:$PORT in $WAIT_S s"
		tr -d '\r' <"$WORK/console$n" | tail -n 20 | sed 's/^/    /'
		sed 's/^/    /' "$WORK/err$n"
	fi
}

# stop N: TERM to keel qemu (it stops QEMU: a power cut for the device).
stop() {
	kill "$qpid" 2>/dev/null
	wait "$qpid"
	same "boot $1: keel qemu stopped by TERM" "$?" 143
	qpid=
}

check "disk" "$KEEL" disk --board "$BOARD" --slot-a "$IMG" --slot-b "$IMG" \
	-o "$WORK/disk.img"
default=$(cat "$TOP/demo/greeting")

# 1. First boot: the image's greeting, boot 1, the service's hardening.
boot 1
ms1=$ms
same "boot 1: GET /greeting is the image's default" \
	"$(body GET /greeting)" "$default"
same "boot 1: GET /boots" "$(body GET /boots)" 1
body GET /status >"$WORK/status1"
check "boot 1: status names the greeting" \
	grep -qxF "greeting=$default" "$WORK/status1"
# CAP_NET_BIND_SERVICE (10) and CAP_NET_ADMIN (12), nothing else.
for k in CapEff CapPrm CapBnd; do
	check "boot 1: $k is NET_ADMIN + NET_BIND_SERVICE only" \
		grep -qx "$k=0000000000001400" "$WORK/status1"
done
check "boot 1: no_new_privs" grep -qx 'NoNewPrivs=1' "$WORK/status1"
check "boot 1: seccomp filter" grep -qx 'Seccomp=2' "$WORK/status1"
check "boot 1: its root is the dm-verity device, read-only" grep -Eq \
	'^root=/dev/(keel/verity-[ab]|dm-[0-9]+) erofs ro(,|$)' "$WORK/status1"
body GET / >"$WORK/index1"
check "boot 1: index page has the greeting" grep -qF "<h1>$default</h1>" \
	"$WORK/index1"
check "boot 1: index page has the boot count" \
	grep -qF '<b id="boots">1</b>' "$WORK/index1"
# A client that connects and says nothing (a browser's spare socket).
bash -c "exec 3<>/dev/tcp/127.0.0.1/$PORT; sleep 5" 2>/dev/null &
idle=$!
sleep 0.3
same "boot 1: an idle connection delays no one" \
	"$(HTTP_T=2 code GET /boots)" 200
kill "$idle" 2>/dev/null
same "boot 1: unknown path" "$(code GET /nowhere)" 404
same "boot 1: wrong method" "$(code DELETE /greeting)" 405
same "boot 1: a control character in a greeting is refused" \
	"$(code POST /greeting "$(printf 'a\tb')")" 400
same "boot 1: POST /greeting" "$(code POST /greeting 'Changed by a test')" \
	200
same "boot 1: the new greeting is served" "$(body GET /greeting)" \
	"Changed by a test"
same "boot 1: a form POST redirects to /" \
	"$(code POST /greeting 'greeting=Kept+across+boots%21')" 303
same "boot 1: the form's greeting, decoded" "$(body GET /greeting)" \
	"Kept across boots!"
check "boot 1: the service logged its start on the console" \
	grep -q 'keel-demo: boot 1, greeting' "$WORK/console1"
stop 1

# 2. Second boot on the same disk: /etc and /var/lib kept.
boot 2
ms2=$ms
same "boot 2: the greeting changed on the device persisted in /etc" \
	"$(body GET /greeting)" "Kept across boots!"
same "boot 2: the boot count went up" "$(body GET /boots)" 2
stop 2

# keel-init's own clock: its start to the app's start (boot 1).
app=$(tr -d '\r' <"$WORK/console1" |
	sed -n 's/^\[+\([0-9.]*\)s\] keel: app: started.*/\1/p' | head -n 1)
echo "demo: first HTTP answer ${ms1:-?} ms (boot 1), ${ms2:-?} ms" \
	"(boot 2) after keel qemu started; keel-init to app ${app:-?} s;" \
	"image $(stat -c %s "$IMG") bytes"
finish
