#!/bin/sh
# SPDX-License-Identifier: MIT
# The update agent under QEMU: the appliance (v1) polls a manifest on the
# host's nginx (127.0.0.1 only, reached as 10.0.2.2 through QEMU's user
# network, https with a test CA shipped in the image), streams v2 into
# keel-init's installer, reboots, commits on READY=1 and reports; then v3
# fails its trial, the device falls back to v2, reports the failure, and
# never fetches v3 again. One run of QEMU (--allow-reboot).
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/fleet_lib.sh"

if ! command -v "$QEMU_SYSTEM" >/dev/null || ! command -v nginx >/dev/null
then
	skip "needs QEMU and nginx: the fleet QEMU test did not run"
	finish
	exit 0
fi
need_board_and_busybox
cd "$WORK" || exit 1
trap 'nginx_stop; [ -n "${qpid:-}" ] && kill $qpid 2>/dev/null; t_cleanup' EXIT
mkdir -p www
nginx_start "$WORK/ng" "$WORK/www" || { fail "nginx"; finish; exit 1; }

# mk NAME VERSION SCRIPT: the image (update.conf and the CA in its /etc)
mk() {
	r=$WORK/r$1
	mkdir -p "$r/bin" "$r/etc/keel"
	cp "$BUSYBOX" "$r/bin/busybox"
	for a in sh sleep cat echo; do ln -sf busybox "$r/bin/$a"; done
	cp "$TO/keel" "$r/bin/keel" # the board CPU's: the app runs keel notify
	printf 'url=https://10.0.2.2:%s/manifest\ninterval=5\nretry=2\njitter=0\nreboot=now\n' \
		"$HTTPS_PORT" >"$r/etc/keel/update.conf"
	cp "$WORK/ng/pki/ca.pem" "$r/etc/keel/update-ca.pem"
	script=$(printf '%s' "$3" | sed 's/["\\]/\\&/g')
	cat >"$1.json" <<EOF
{"ociVersion": "1.0.2",
 "process": {"args": ["/bin/sh", "-c", "$script"], "cwd": "/", "env": ["PATH=/bin"]},
 "root": {"path": "rootfs", "readonly": true},
 "annotations": {"org.keel.notify": "true", "org.keel.restart": "always",
  "org.keel.restart-delay-ms": "100"}}
EOF
	"$KEEL" image build "$r" -o "$1.img" --board $BOARD --version "$2" \
		--epoch 1 --config "$1.json" >/dev/null &&
		"$KEEL" image sign "$1.img" --key "$KEY_A" >/dev/null &&
		"$KEEL" bundle create "$1.img" -o "www/$1.bundle" >/dev/null ||
		fail "image $1"
}
mk v1 1 'echo "v1 up"; keel notify READY=1; while :; do sleep 1; done'
mk v2 2 'echo "v2 up"; keel notify READY=1; while :; do sleep 1; done'
mk v3 3 'echo "v3 exits at once"; exit 1'
# mf NAME: the manifest names www/NAME.bundle
mf() {
	i=$("$KEEL" bundle inspect "www/$1.bundle")
	printf 'keel-manifest=1\nreport=/report\nbundle=%s\n' $BOARD >www/m.tmp
	printf 'bundle.version=%s\nbundle.epoch=1\nbundle.size=%s\n' \
		"$(echo "$i" | sed -n 's/^version=//p')" \
		"$(stat -c %s "www/$1.bundle")" >>www/m.tmp
	printf 'bundle.url=%s.bundle\nbundle.header_sha256=%s\n' "$1" \
		"$(echo "$i" | sed -n 's/^header_sha256=//p')" >>www/m.tmp
	mv www/m.tmp www/manifest
}
mf v2
check "disk with v1 in slot a" "$KEEL" disk --board $BOARD --slot-a v1.img \
	-o dev.disk

# wait_for PATTERN FILE SECONDS: 0 once FILE has a line matching PATTERN
wait_for() {
	for _ in $(seq $(($3 * 5))); do
		grep -q -e "$1" "$2" 2>/dev/null && return 0
		kill -0 "$qpid" 2>/dev/null || return 1
		sleep 0.2
	done
	return 1
}
con() { tr -d '\r' <console >con.txt; }
step() { # NAME PATTERN FILE SECONDS
	if wait_for "$2" "$3" "$4"; then pass "$1"; else
		fail "$1: no '$2' in $(basename "$3")"
		con
		grep -e 'keel:' -e '^update:' -e '^app:' con.txt | tail -n 20 |
			sed 's/^/    /'
	fi
}
t0=$(date +%s)
"$KEEL" qemu --board "$BOARD" dev.disk --timeout $((600 * SLOW)) \
	--allow-reboot --log console -- \
	-netdev user,id=n0 -device virtio-net-pci,netdev=n0 \
	>qemu.out 2>qemu.err &
qpid=$!
step "v1 boots" "v1 up" console $((120 * SLOW))
step "the agent fetches v2" "GET /v2.bundle" ng/access.log $((120 * SLOW))
step "keel-init installs v2" "slot b installed, version 2" \
	console $((120 * SLOW))
step "the install is reported" "update: report: installed, version 2" \
	console $((30 * SLOW))
step "v2 boots as a trial" "booting b as trial" console $((120 * SLOW))
step "v2 commits on READY=1" "b committed: version 2" console $((60 * SLOW))
step "the agent reports v2 running" "update: report: booted, version 2" \
	console $((60 * SLOW))
same "reports reached nginx" \
	"$(grep -c '^204 .*POST /report' ng/access.log)" 3
echo "fleet: v1 to v2 committed and reported in $(($(date +%s) - t0)) s"
mf v3
step "the agent fetches v3" "GET /v3.bundle" ng/access.log $((60 * SLOW))
step "keel-init installs v3" "slot a installed, version 3" \
	console $((120 * SLOW))
step "v3 runs as a trial" "v3 exits at once" console $((120 * SLOW))
step "back on v2" "booting b as committed" console $((240 * SLOW))
n=$(grep -c "update: report: booted, version 2" console)
step "the failure reported" "update: report: booted, version 2.*reason" \
	console $((120 * SLOW))
step "v3 not taken again" "update: manifest: failed" console $((60 * SLOW))
sleep 6 # one more poll
same "v3 fetched once" "$(grep -c 'GET /v3.bundle' ng/access.log)" 1
kill "$qpid" 2>/dev/null
wait "$qpid"
qpid=
con
echo "fleet: $(($(date +%s) - t0)) s in QEMU; $n boot reports of v2"
finish
