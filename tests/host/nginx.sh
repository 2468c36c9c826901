# SPDX-License-Identifier: MIT
# Debian's nginx unchanged under keel run: an image built from the cached
# mmdebstrap rootfs (need_debian_rootfs) with tests/nginx.json, a config
# with no capability, no wrapper and no network code (www-data, a tmpfs
# at /run and /var/lib/nginx for its pid file and temp files). In a
# network namespace of its own (--net none) keel lets the app bind port
# 80 (ip_unprivileged_port_start=0 there, the host's left alone); the
# page is fetched from this machine inside that namespace (nothing
# listens on the host). /var/log/nginx comes from the image into keel's
# tmpfs, /var/lib is seeded. Then the same tree as root with exactly the
# capabilities nginx's privilege drop needs (no network capability)
# writes its temp directories into the seeded /var/lib/nginx, and the
# host's network (--net host) gets no port below the host's floor.
. "$(dirname "$0")/../lib.sh"

if [ "$(id -u)" != 0 ] || ! command -v nsenter >/dev/null; then
	skip "needs root and nsenter"
	finish
	exit 0
fi
need_debian_rootfs
cd "$WORK" || exit 1
SYSCTL=/proc/sys/net/ipv4/ip_unprivileged_port_start
host_floor=$(cat "$SYSCTL")
kpid=
cleanup() {
	[ -z "$kpid" ] || kill "$kpid" 2>/dev/null
	t_cleanup
}
trap cleanup EXIT

# build NAME CONFIG: a signed image of the rootfs with CONFIG
build() {
	"$KEEL" image build "$ROOTFS" -o "$1.img" --board qemu-x86_64 \
		--config "$2" >"$1.build" 2>&1 &&
		"$KEEL" image sign "$1.img" --key "$KEY_A" >>"$1.build" 2>&1
}
# kids PID: the children of PID
kids() { cat /proc/"$1"/task/*/children 2>/dev/null; }
# http NS-PID PATH: GET PATH from 127.0.0.1:80 in the network namespace
# of NS-PID; the response (status line, headers, body) without \r
http() {
	timeout 5 nsenter -t "$1" -n bash -c '
		exec 3<>/dev/tcp/127.0.0.1/80 || exit 1
		printf "GET %s HTTP/1.0\r\nHost: nginx\r\n\r\n" "$1" >&3
		cat <&3' http "$2" 2>/dev/null | tr -d '\r'
}
# serve NAME ARGS...: keel run NAME.img ARGS in the background; waits for
# the first answer of GET / (20 s); ns is the container's first process
serve() {
	n=$1
	shift
	"$KEEL" run "$n.img" "$@" >"$n.out" 2>&1 &
	kpid=$!
	ns= code=
	for _ in $(seq 200); do
		[ -n "$ns" ] || ns=$(kids "$kpid" | awk '{ print $1 }')
		if [ -n "$ns" ]; then
			http "$ns" / >"$n.page"
			code=$(sed -n '1s/^HTTP\/1\.1 \([0-9]*\).*/\1/p' "$n.page")
			[ "$code" = 200 ] && break
		fi
		kill -0 "$kpid" 2>/dev/null || break
		sleep 0.1
	done
	same "$n: GET / from the container's network" "$code" 200
	[ "$code" = 200 ] || sed 's/^/    /' "$n.out" | tail -n 10
}
# stop: TERM to keel run; it stops the app and exits
stop() {
	kill "$kpid" 2>/dev/null
	wait "$kpid"
	same "$n: keel run ends at TERM (the app's status)" "$?" 0
	kpid=
}
# status PID KEY: a line of /proc/PID/status, the value alone
status() { sed -n "s/^$2:[[:space:]]*//p" /proc/"$1"/status | head -n 1; }
# nginx_pids: nginx's processes in the container (master and workers)
nginx_pids() {
	for p in $(kids "$ns"); do
		echo "$p"
		kids "$p"
	done | tr ' ' '\n' | while read -r p; do
		[ -n "$p" ] && [ "$(status "$p" Name)" = nginx ] && echo "$p"
	done
}

# 1. No capability at all, www-data, its own network namespace.
t0=$(date +%s%N)
check "image build and sign (no capability)" build www "$TOP/tests/nginx.json"
echo "nginx: image $(stat -c %s www.img) bytes, built and signed in" \
	"$((($(date +%s%N) - t0) / 1000000)) ms"
"$KEEL" image inspect www.img >inspect 2>&1
check "inspect: no capability" grep -qx 'policy.caps.bounding=none' inspect
check "inspect: www-data" grep -qx 'policy.user=33:33' inspect
mkdir var
serve www --net none --var "$WORK/var"
check "the page is Debian's default site (/var/www/html)" \
	grep -q 'Welcome to nginx!' www.page
same "the container's network lets any port bind" \
	"$(nsenter -t "$ns" -n cat "$SYSCTL")" 0
same "the host's floor is left alone" "$(cat "$SYSCTL")" "$host_floor"
pids=$(nginx_pids)
[ "$(echo "$pids" | wc -w)" -ge 2 ] && pass "nginx: a master and workers" ||
	fail "nginx processes: '$pids'"
bad=
for p in $pids; do
	[ "$(status "$p" Uid | awk '{ print $1 $2 $3 $4 }')" = 33333333 ] &&
		[ "$(status "$p" CapEff)$(status "$p" CapPrm)$(status "$p" CapBnd)" = \
			000000000000000000000000000000000000000000000000 ] ||
		bad="$bad $p"
done
same "every nginx process: uid 33, no capability in any set" "$bad" ""
m=$(echo "$pids" | head -n 1)
check "its access log in keel's /var/log tmpfs has the request" \
	grep -q '"GET / HTTP/1.0" 200' "/proc/$m/root/var/log/nginx/access.log"
same "/var/log is a tmpfs" "$(awk '$2 == "/var/log" { print $3 }' \
	"/proc/$m/mounts")" tmpfs
check "/var/lib seeded from the image" test -d var/dpkg -a -d var/nginx
check "nginx's notices reach keel's output (stderr)" \
	grep -q 'start worker processes' www.out
stop

# 2. The same tree as root: nginx drops to www-data itself, and needs
# CHOWN (its temp directories), SETUID, SETGID, DAC_OVERRIDE (its logs
# belong to www-data) for it; no network capability.
python3 -c '
import json, sys
c = json.load(open(sys.argv[1]))
c["process"]["user"] = {"uid": 0, "gid": 0}
del c["mounts"]
caps = ["CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_SETUID", "CAP_SETGID"]
c["process"]["capabilities"] = {k: caps for k in
	("bounding", "effective", "permitted")}
json.dump(c, sys.stdout)' "$TOP/tests/nginx.json" >root.json
check "image build and sign (root)" build root root.json
mkdir var2
serve root --net none --var "$WORK/var2"
check "root: the page" grep -q 'Welcome to nginx!' root.page
check "root: temp directories in the seeded /var/lib/nginx, www-data's" \
	test "$(stat -c %u var2/nginx/body 2>/dev/null)" = 33
w=$(nginx_pids | sed -n 2p)
same "root: a worker runs as www-data" \
	"$(status "${w:-0}" Uid | awk '{ print $1 }')" 33
stop

# 3. The host's network: keel leaves the host's floor alone, so without
# CAP_NET_BIND_SERVICE nginx cannot take port 80 there.
if [ "$host_floor" -gt 80 ]; then
	timeout 5 "$KEEL" run www.img --net host >host.out 2>&1
	check "--net host: port 80 refused to an app without the capability" \
		grep -q 'bind() to 0.0.0.0:80 failed (13: Permission denied)' \
		host.out
	same "--net host: the host's floor is still $host_floor" \
		"$(cat "$SYSCTL")" "$host_floor"
else
	skip "the host lets any port bind ($SYSCTL=$host_floor)"
fi
finish
