#!/bin/sh
# SPDX-License-Identifier: MIT
# Boots the demo appliance (make demo-image) twice on one disk, with the
# service's port 80 forwarded to a free port of 127.0.0.1: keel's network
# agent got the address by DHCP from QEMU's user network (the service has
# no network code and no capability: it binds port 80 under the device's
# port floor of 0), the page answers, the image's greeting shows through
# /etc; a greeting POSTed on the first boot and the boot count survive
# into the second boot. Both boots start
# with an RTC in 1970: the clock starts at the image's build time, then
# at the time saved on the var partition, and the second boot's SNTP
# server on the host (from network.conf on the etc partition) sets it;
# the same network.conf sends the log to a syslog listener on the host.
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

qpid= spid= lpid=
cleanup() {
	[ -z "$qpid" ] || kill "$qpid" 2>/dev/null
	[ -z "$spid" ] || kill "$spid" 2>/dev/null
	[ -z "$lpid" ] || kill "$lpid" 2>/dev/null
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

# boot N: starts QEMU in the background, waits for the first answer of
# GET /greeting; ms is the time from the start of keel qemu.
boot() {
	n=$1
	PORT=$(free_port)
	t0=$(date +%s%N)
	"$KEEL" qemu --board "$BOARD" "$WORK/disk.img" --timeout $((WAIT_S + 60)) \
		--log "$WORK/console$n" -- \
		-netdev "user,id=n0,hostfwd=tcp:127.0.0.1:$PORT-:80" \
		-device virtio-net-pci,netdev=n0 -rtc base=1970-01-02 \
		>/dev/null 2>"$WORK/err$n" &
	qpid=$!
	wait_http "$t0" "$WAIT_S" "$qpid" code GET /greeting
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
built=$("$KEEL" image inspect "$IMG" | sed -n 's/^build_time=//p')
# st KEY: a line of the last GET /status
st() { sed -n "s/^$1=//p" "$WORK/status$n" | head -n 1; }
# part NAME: a partition of the disk, as bytes: offset and count (MiB)
part() { partx -g -o START,SECTORS,NAME "$WORK/disk.img" | awk -v n="$1" \
	'$3 == n { print $1 / 2048, $2 / 2048 }'; }
# onpart NAME CMDS: debugfs -w's commands (lines) on the partition,
# written back; fails if debugfs complained. The journal is replayed
# first (e2fsck): the boot before ended in a power cut.
onpart() {
	printf '%s\n' "$2" >"$WORK/debugfs.cmd"
	set -- "$1" "$2" $(part "$1")
	dd if="$WORK/disk.img" of="$WORK/p" bs=1M skip="$3" count="$4" \
		2>/dev/null &&
		{ e2fsck -fy "$WORK/p" >"$WORK/fsck.out" 2>&1 || [ $? = 1 ]; } &&
		debugfs -w -f "$WORK/debugfs.cmd" "$WORK/p" \
			>"$WORK/debugfs.out" 2>&1 &&
		! grep -qi -e usage -e error -e 'not found' "$WORK/debugfs.out" &&
		dd if="$WORK/p" of="$WORK/disk.img" bs=1M seek="$3" \
			conv=notrunc 2>/dev/null
}

# 1. First boot: the image's greeting, boot 1, the service's hardening.
boot 1
ms1=$ms
same "boot 1: GET /greeting is the image's default" \
	"$(body GET /greeting)" "$default"
same "boot 1: GET /boots" "$(body GET /boots)" 1
body GET /status >"$WORK/status1"
check "boot 1: status names the greeting" \
	grep -qxF "greeting=$default" "$WORK/status1"
# No capability at all: keel configured the network, and the device's
# port floor (0: docs/NETWORK.md §9) lets it bind port 80.
for k in CapEff CapPrm CapBnd; do
	check "boot 1: $k is empty" \
		grep -qx "$k=0000000000000000" "$WORK/status1"
done
n=1
same "boot 1: eth0 bound by DHCP" "$(st keel.net.if.eth0.state)" bound
same "boot 1: QEMU's address" "$(st keel.net.if.eth0.address)" 10.0.2.15/24
same "boot 1: QEMU's router" "$(st keel.net.if.eth0.gateway)" 10.0.2.2
same "boot 1: the service sees QEMU's DNS server" "$(st nameservers)" \
	10.0.2.3
same "boot 1: the RTC said 1970: the clock starts at the build time" \
	"$(st keel.clock.boot)" "build $built"
t=$(st time)
[ -n "$t" ] && [ "$t" -ge "$built" ] && [ "$t" -lt $((built + 600)) ] &&
	pass "boot 1: the service's clock is past the build time" ||
	fail "boot 1: the service's clock: '$t' (built $built)"
dhcp=$(tr -d '\r' <"$WORK/console1" |
	sed -n 's/^net: eth0: 10\.0\.2\.15.* \([0-9]*\) ms after keel net started.*/\1/p')
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

# Between the boots, on the powered-off disk: an SNTP server for keel
# net in the etc partition's network.conf (QEMU forwards the guest's
# 10.0.2.2 to this machine's loopback), and a saved clock of 2030.
SPORT=$(free_port)
LPORT=$((SPORT + 1))
printf 'ntp=10.0.2.2:%s\nhostname=demo-7\nsyslog=10.0.2.2:%s\n' "$SPORT" \
	"$LPORT" >"$WORK/network.conf"
: >"$WORK/empty"
check "network.conf written to the etc partition" onpart keel-etc \
	"mkdir .keel-gen-1/upper/keel
cd .keel-gen-1/upper/keel
write $WORK/network.conf network.conf"
check "a saved clock of 2030 on the var partition" onpart keel-var \
	"cd .keel-init
write $WORK/empty clock
sif clock mtime 20300101000000"
python3 "$TOP/tests/sntpd.py" 127.0.0.1 "$SPORT" --at 2051222400 \
	>"$WORK/sntpd.log" 2>&1 &
spid=$!
# the syslog server: each datagram as one line
python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", int(sys.argv[1])))
while True:
    sys.stdout.buffer.write(s.recv(65535) + b"\n")
    sys.stdout.flush()
' "$LPORT" >"$WORK/syslog.out" 2>&1 &
lpid=$!

# 2. Second boot on the same disk: /etc and /var/lib kept.
boot 2
ms2=$ms
same "boot 2: the greeting changed on the device persisted in /etc" \
	"$(body GET /greeting)" "Kept across boots!"
same "boot 2: the boot count went up" "$(body GET /boots)" 2
check "boot 2: the clock started at the saved time" grep -q \
	'keel: clock: set to 2030-01-01 00:00:00 UTC (the saved time' \
	"$WORK/console2"
n=2
for _ in $(seq 100); do
	body GET /status >"$WORK/status2"
	[ "$(st keel.net.ntp.state)" = synced ] && break
	sleep 0.2
done
same "boot 2: SNTP from the etc partition's network.conf" \
	"$(st keel.net.ntp.state) $(st keel.net.ntp.server)" \
	"synced 10.0.2.2:$SPORT"
t=$(st time)
[ -n "$t" ] && [ "$t" -ge 2051222400 ] && [ "$t" -lt 2051223000 ] &&
	pass "boot 2: the service's clock is the server's (2035)" ||
	fail "boot 2: the service's clock: '$t'"
for _ in $(seq 50); do
	grep -q ' app - - - keel-demo: boot 2' "$WORK/syslog.out" && break
	sleep 0.2
done
check "boot 2: the service's line sent as RFC 5424 syslog to the host" \
	grep -q '^<14>1 20[3-9][0-9]-[0-9-]*T[0-9:]*\.[0-9]\{6\}Z demo-7 app - - - keel-demo: boot 2, greeting' \
	"$WORK/syslog.out"
check "boot 2: keel-init's lines from before the network too" \
	grep -q '^<30>1 [^ ]* demo-7 keel - - - state: boot ' "$WORK/syslog.out"
stop 2
kill "$spid" "$lpid" 2>/dev/null
spid= lpid=
set -- $(part keel-var)
dd if="$WORK/disk.img" of="$WORK/p" bs=1M skip="$1" count="$2" 2>/dev/null
e2fsck -fy "$WORK/p" >"$WORK/fsck.out" 2>&1 # the journal: a power cut
saved=$(debugfs -R "stat .keel-init/clock" "$WORK/p" 2>/dev/null |
	sed -n 's/^ *mtime: 0x\([0-9a-f]*\).*/\1/p')
saved=$((0x${saved:-0}))
[ "$saved" -ge 2051222400 ] && [ "$saved" -lt 2051223000 ] &&
	pass "boot 2: the synced time was saved for the next boot" ||
	fail "boot 2: .keel-init/clock's time: $saved"

# keel-init's own clock: its start to the app's start (boot 1).
app=$(tr -d '\r' <"$WORK/console1" |
	sed -n 's/^\[+\([0-9.]*\)s\] keel: app: started.*/\1/p' | head -n 1)
echo "demo: first HTTP answer ${ms1:-?} ms (boot 1), ${ms2:-?} ms" \
	"(boot 2) after keel qemu started; keel-init to app ${app:-?} s;" \
	"DHCP address ${dhcp:-?} ms after keel net started;" \
	"image $(stat -c %s "$IMG") bytes"
finish
