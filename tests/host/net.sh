#!/bin/sh
# SPDX-License-Identifier: MIT
# The network agent on a host: keel-init --test (board net=on) in a
# network namespace wired by a veth pair to busybox udhcpd and an SNTP
# server: the lease, routes and resolv.conf, the app seeing DNS through
# its read-only bind as it changes, the agent's rights and descriptors,
# status and log lines, a restart after a kill, the release at shutdown,
# network.conf from the image and the etc partition (refused ones, a
# symlink, a whiteout), the log sent as RFC 5424 syslog over UDP; and
# keel run --net host|none.
. "$(dirname "$0")/../lib.sh"

. "$(dirname "$0")/../init_lib.sh"
BB=$(command -v busybox)
if [ "$(id -u)" != 0 ] || [ -z "$BB" ] || ! "$BB" --list | grep -qx udhcpd ||
	! command -v ip >/dev/null || ! command -v python3 >/dev/null; then
	skip "needs root, busybox with udhcpd, ip and python3"
	finish
	exit
fi
cd "$WORK" || exit 1
VS=kv$$s VD=kv$$d
UPID= SPID= QPID= LPID= S= D=
cleanup() {
	# (pkill -P: the servers run under nsenter in a subshell)
	for p in $QPID $UPID $SPID $LPID $S $D; do
		pkill -P "$p" 2>/dev/null
		kill "$p" 2>/dev/null
	done
	wait 2>/dev/null
	t_cleanup
}
trap cleanup EXIT
# inns PID CMD...: CMD in the network namespace a holder process PID keeps
# (no `ip netns`: it would leave a /run/netns mount on the host)
inns() { p=$1; shift; nsenter --net="/proc/$p/ns/net" "$@"; }

# --- keel run --net host|none ----------------------------------------------
PROBE=$O/probe
mkdir -p r/bin r/proc r/sys r/dev r/run r/tmp r/etc r/var/lib
cp "$PROBE" r/bin/probe
cat >own.json <<'EOF'
{"ociVersion": "1.0.2", "process": {"args": ["/bin/probe"], "cwd": "/"},
 "root": {"path": "rootfs", "readonly": true},
 "linux": {"namespaces": [{"type": "pid"}, {"type": "mount"}]}}
EOF
"$KEEL" image build r -o own.img --board test-board --config own.json --salt 42 >/dev/null &&
	"$KEEL" image sign own.img --key "$KEY_A" >/dev/null &&
	"$KEEL" image build r -o dflt.img --board test-board --salt 42 >/dev/null &&
	"$KEEL" image sign dflt.img --key "$KEY_A" >/dev/null ||
	fail "probe images"
netof() {
	"$KEEL" run "$@" 2>/dev/null | sed -n 's/^net=//p' | tr ',' '\n' |
		sort | tr '\n' ',' | sed 's/,$//'
}
hostnet=$(tr -d ' ' </proc/net/dev | sed -n 's/^\([^:|]*\):.*/\1/p' |
	sort | tr '\n' ',' | sed 's/,$//')
same "no config namespace: the host's network" "$(netof own.img -- /bin/probe)" \
	"$hostnet"
same "--net none: loopback only" "$(netof own.img --net none -- /bin/probe)" lo
same "config's network namespace" "$(netof dflt.img -- /bin/probe)" lo
same "--net host over the config" \
	"$(netof dflt.img --net host -- /bin/probe)" "$hostnet"
refuse "--net takes host or none" "usage" "$KEEL" run dflt.img --net bridge

# --- the wire: a server namespace and the device's --------------------------
unshare --net sleep 1000 &
S=$!
unshare --net sleep 1000 &
D=$!
sleep 0.2
ip link add "$VS" type veth peer name "$VD" &&
	ip link set "$VS" netns "$S" && ip link set "$VD" netns "$D" &&
	inns "$S" ip addr add 192.168.77.1/24 dev "$VS" &&
	inns "$S" ip link set "$VS" up || { fail "veth pair"; finish; exit; }
cat >udhcpd.conf <<EOF
start 192.168.77.100
end 192.168.77.150
interface $VS
lease_file $WORK/leases
min_lease 20
option subnet 255.255.255.0
option router 192.168.77.1
option dns 192.168.77.1
option domain test.lan
option ntpsrv 192.168.77.1
option lease 20
EOF
: >leases
inns "$S" "$BB" udhcpd -f udhcpd.conf >udhcpd.log 2>&1 &
UPID=$!
inns "$S" python3 "$TOP/tests/sntpd.py" 192.168.77.1 123 \
	--offset 3600 >sntpd.log 2>&1 &
SPID=$!
for _ in $(seq 100); do
	grep -q ready sntpd.log && break
	sleep 0.1
done

# --- the device: an app that waits for DNS, then prints what it sees -------
mkdir -p app/bin app/etc/keel etc var
cp "$BB" app/bin/busybox
ln -sf busybox app/bin/sh
printf '# the image default\nsearch=image.example\n' >app/etc/keel/network.conf
cat >app.json <<'EOF'
{"ociVersion": "1.0.2",
 "process": {"args": ["/bin/busybox", "sh", "-c",
  "i=0; while [ $i -lt 200 ] && ! busybox grep -q ^nameserver /etc/resolv.conf; do busybox sleep 0.05; i=$((i+1)); done; echo \"resolv: $(busybox grep -v '^#' /etc/resolv.conf | busybox tr '\\n' ' ')\"; (echo x >/etc/resolv.conf) 2>/dev/null && echo 'resolv: writable' || echo 'resolv: read-only'; exec busybox sleep 1000"],
  "cwd": "/", "env": ["PATH=/bin"]},
 "root": {"path": "rootfs", "readonly": true},
 "annotations": {"org.keel.restart": "no"}}
EOF
"$KEEL" image build app -o app.img --board test-board --config app.json \
	--salt 42 >/dev/null && "$KEEL" image sign app.img --key "$KEY_A" \
	>/dev/null && cp app.img app-b.img || fail "app image"
truncate -s 8192 state
board_write board.conf "$WORK/app.img" "$WORK/app-b.img" "$WORK/state" \
	"$WORK/etc" "$WORK/var" on_app_exit=poweroff net=on

# boot NAME: keel-init in the device's namespace until the app has
# printed what resolv.conf holds; SOCK is its control socket
boot() {
	n=$1
	inns "$D" unshare --fork --pid --mount --propagation private \
		-- "$INIT" --test --board board.conf >"$n.out" 2>&1 &
	QPID=$!
	PID=
	for _ in $(seq 150); do
		PID=${PID:-$(pgrep -f "^$INIT --test" | head -n 1)}
		grep -q '^app: resolv: [rw]' "$n.out" 2>/dev/null && break
		sleep 0.1
	done
	SOCK=/proc/$PID/root/run/keel/sock/control
	APID=$(pgrep -P "$PID" -f "^keel net" | head -n 1)
}
halt() {
	"$KEEL" poweroff --socket "$SOCK" >/dev/null 2>&1
	wait "$QPID"
	QPID=
}
status() { "$KEEL" status --socket "$SOCK" 2>/dev/null | sed -n "s/^$1=//p"; }
has() { if grep -q -e "$3" "$1.out"; then pass "$2"; else
	fail "$2: no '$3'"; grep -e '^net:' -e 'keel: agent' -e '^app:' "$1.out" |
		tail -n 8 | sed 's/^/    /'; fi; }

# 1. DHCP, DNS, SNTP measured (a host's clock is never set), the rights
t0=$(date +%s)
boot dhcp
has dhcp "bound by DHCP, told on the console as net's" \
	"^net: $VD: 192\.168\.77\.1[0-9][0-9]/24 via 192\.168\.77\.1, lease 20 s"
has dhcp "the app saw the DNS server and the image's search domain" \
	'^app: resolv: nameserver 192\.168\.77\.1 search image\.example $'
has dhcp "the app cannot write resolv.conf" '^app: resolv: read-only$'
same "no resolv.conf of keel's on the etc partition (the image has none)" \
	"$(find etc -name resolv.conf)" ""
same "status: agent running" "$(status net)" running
same "status: interface bound" "$(status "net.if.$VD.state")" bound
same "status: lease" "$(status "net.if.$VD.lease_s")" 20
same "status: dns" "$(status net.dns)" 192.168.77.1
case $(status "net.if.$VD.address") in
192.168.77.1[0-9][0-9]/24) pass "status: address" ;;
*) fail "status: address '$(status "net.if.$VD.address")'" ;;
esac
check "the address carries the lease's lifetime" sh -c \
	"nsenter --net=/proc/$D/ns/net ip -4 addr show dev $VD | grep -q 'valid_lft [12]\?[0-9]sec'"
check "default route by DHCP" sh -c \
	"nsenter --net=/proc/$D/ns/net ip route | grep -q 'default via 192.168.77.1 dev $VD proto dhcp'"
for _ in $(seq 50); do
	[ "$(status net.ntp.state)" = measured ] && break
	sleep 0.1
done
same "sntp: measured, not set (--test)" "$(status net.ntp.state)" measured
off=$(status net.ntp.offset_ms)
[ -n "$off" ] && [ "$off" -gt 3595000 ] && [ "$off" -lt 3605000 ] &&
	pass "sntp: the server's hour ahead seen ($off ms)" ||
	fail "sntp: offset '$off'"
[ $(($(date +%s) - t0)) -lt 600 ] && pass "the host's clock was not set" ||
	fail "the host's clock moved"
if [ -n "$APID" ]; then
	st=/proc/$APID/status
	same "agent: its own uid" "$(awk '/^Uid:/ {print $2 $3 $4 $5}' "$st")" \
		64100641006410064100
	for k in CapEff CapPrm CapBnd CapAmb; do
		same "agent: $k NET_BIND_SERVICE NET_ADMIN SYS_TIME" \
			"$(awk -v k="$k:" '$1 == k {print $2}' "$st")" \
			0000000002001400
	done
	same "agent: no_new_privs" "$(awk '/^NoNewPrivs:/ {print $2}' "$st")" 1
	same "agent: seccomp" "$(awk '/^Seccomp:/ {print $2}' "$st")" 2
	bad=$(ls -l "/proc/$APID/fd" | awk 'NR > 1 {print $NF}' |
		grep -Ev '^(/dev/null|pipe:\[[0-9]+\]|socket:\[[0-9]+\]|anon_inode:\[signalfd\])$')
	same "agent: no descriptor of keel-init's" "$bad" ""
	same "agent: keel-init's log pipe is its stdout and stderr" \
		"$(readlink "/proc/$APID/fd/1")" "$(readlink "/proc/$APID/fd/2")"
else
	fail "no keel net under keel-init"
fi
check "keel logs: net's lines tagged net" sh -c \
	"'$KEEL' logs --socket '$SOCK' | grep -q '] net: $VD: 192.168.77'"
# renewal at T1 (10 s): a second ACK from udhcpd
for _ in $(seq 150); do
	[ "$(grep -c 'sending ACK' udhcpd.log)" -ge 2 ] && break
	sleep 0.1
done
[ "$(grep -c 'sending ACK' udhcpd.log)" -ge 2 ] && pass "renewed at T1" ||
	fail "no renewal: $(cat udhcpd.log)"
# killed: restarted with backoff, bound again
kill -KILL "$APID"
for _ in $(seq 30); do
	[ "$(status net)" = restarting ] && break
	sleep 0.1
done
same "status: restarting, nothing stale kept" \
	"$(status net) $(status "net.if.$VD.state")" "restarting "
for _ in $(seq 50); do
	[ "$(status net.restarts)" = 1 ] &&
		[ "$(status "net.if.$VD.state")" = bound ] && break
	sleep 0.1
done
has dhcp "a killed agent is restarted after 1 s" \
	'keel: agent net: restart 1 in 1000 ms'
same "status: bound again after the restart" "$(status "net.if.$VD.state")" \
	bound
halt
has dhcp "the lease is released at shutdown" "^net: $VD: lease of .* released"
has dhcp "the agent stopped cleanly" 'agent net: exited with status 0'

# keel-init's saved clock: in its own dir beside the app's generations
[ -f var/.keel-init/clock ] && [ ! -e var/clock ] &&
	pass "the clock saved in var/.keel-init" ||
	fail "no var/.keel-init/clock: $(ls -A var var/.keel-init)"

# 2. the etc partition's network.conf replaces the image's (in the live
# generation's upper layer)
up=$(ls -d etc/.keel-gen-* | sort -t- -k3 -n | tail -n 1)/upper
mkdir -p "$up/keel"
printf 'if.%s=static 192.168.77.9/24 192.168.77.1\ndns=9.9.9.9\n' "$VD" \
	>"$up/keel/network.conf"
printf 'hostname=press-17\nsyslog=192.168.77.1:5514\n' >>"$up/keel/network.conf"
# a syslog server: each datagram as one line (its bytes, unchanged)
inns "$S" python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("192.168.77.1", 5514))
print("ready", flush=True)
while True:
    d = s.recv(65535)
    sys.stdout.buffer.write(b"%d " % len(d) + d + b"\n")
    sys.stdout.flush()
' >syslog.out 2>&1 &
LPID=$!
for _ in $(seq 50); do grep -q ready syslog.out && break; sleep 0.1; done
boot static
has static "network.conf from the etc partition" \
	'^net: network.conf from the etc partition'
same "static address" "$(status "net.if.$VD.address")" 192.168.77.9/24
has static "its DNS for the app, no search (the image's file is replaced)" \
	'^app: resolv: nameserver 9\.9\.9\.9 $'
for _ in $(seq 50); do grep -q ' app - - - resolv:' syslog.out && break
	sleep 0.1; done
TS='20[0-9][0-9]-[01][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-6][0-9]\.[0-9]\{6\}Z'
check "syslog: the app's line, RFC 5424, facility user" grep -q \
	"^[0-9]* <14>1 $TS press-17 app - - - resolv: nameserver 9\.9\.9\.9 \$" \
	syslog.out
check "syslog: keel-init's boot lines, from before the network, daemon" \
	grep -q "^[0-9]* <30>1 $TS press-17 keel - - - state: boot " syslog.out
check "syslog: the agent's own lines" grep -q \
	"^[0-9]* <30>1 $TS press-17 net - - - syslog: the log to 192\.168\.77\.1:5514 (RFC 5424 over UDP)\$" \
	syslog.out
same "syslog: every datagram one message of at most 1024 bytes" \
	"$(LC_ALL=C awk '!/^ready$/ && !($1 <= 1024 && $2 ~ /^<[0-9]+>1$/ && length($0) == length($1) + 1 + $1) { n++ } END { print n + 0 }' syslog.out)" 0
ts=$(sed -n 's/^[0-9]* <14>1 \([^ ]*\) press-17 app - - - resolv:.*/\1/p' syslog.out | head -n 1)
d=$(($(date -u +%s) - $(date -u -d "$(echo "$ts" | sed 's/\.[0-9]*Z$/Z/')" +%s 2>/dev/null || echo 0)))
[ "$d" -ge 0 ] && [ "$d" -lt 120 ] && pass "syslog: the line's time, UTC ($ts)" ||
	fail "syslog: time '$ts' is $d s off"
# a restarted agent sends only the lines its previous run had not sent
kill -KILL "$APID"
for _ in $(seq 100); do
	[ "$(grep -c ' net - - - syslog: the log to ' syslog.out)" -ge 2 ] &&
		break
	sleep 0.1
done
same "syslog: the restarted agent's own lines sent" \
	"$(grep -c ' net - - - syslog: the log to ' syslog.out)" 2
same "syslog: after a restart, no line sent twice (boot, app)" \
	"$(grep -c -e ' keel - - - state: boot ' \
		-e ' app - - - resolv: nameserver' syslog.out)" 2
halt
kill "$LPID" 2>/dev/null
LPID=

# 3. a refused device file: the image's defaults, and the reason
printf 'if.%s=dhcp\ndns=not-an-address\n' "$VD" >"$up/keel/network.conf"
boot bad
has bad "a bad device file is refused, with its line" \
	'network.conf (etc partition): refused: line 2: dns: bad entry'
has bad "the image's file is used instead" \
	'^app: resolv: nameserver 192\.168\.77\.1 search image\.example $'
halt

# 4. a symlink on the etc partition is not followed
rm "$up/keel/network.conf"
ln -s /etc/passwd "$up/keel/network.conf"
boot link
has link "a symlink is not a network.conf" 'network.conf is not a file: ignored'
has link "and the image's applies" '^app: resolv: nameserver 192\.168\.77\.1 '
halt

# 5. deleted on the device (an overlay whiteout): the image's is hidden too
rm "$up/keel/network.conf"
mknod "$up/keel/network.conf" c 0 0
boot gone
has gone "a file deleted on the device: no network.conf at all" \
	'^net: DHCP on the first Ethernet interface'
has gone "the app sees no file either: DHCP's domain" \
	'^app: resolv: nameserver 192\.168\.77\.1 search test\.lan $'
halt
finish
