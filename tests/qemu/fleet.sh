#!/bin/sh
# SPDX-License-Identifier: MIT
# The update agent under QEMU: the appliance (v1) polls a manifest on the
# host's nginx (127.0.0.1 only, reached as 10.0.2.2 through QEMU's user
# network, https with a test CA shipped in the image), streams v2 into
# keel-init's installer as a delta (only the ranges of the bundle the
# running slot lacks: a one-file change costs a small part of the bundle),
# reboots, commits on READY=1 and reports; then v3 fails its trial, the
# device falls back to v2, reports the failure, and never fetches v3
# again; then v4, v2 rebuilt with only its version bumped, costs no lz4
# data at all. v1's app first installs v5 (another big file) whole, with
# keel update --full, and the agent installs v2 over it, so v2's big file
# comes from the running slot (keel-init's fd 8): keel-init's log times
# both installs. One run of QEMU (--allow-reboot).
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
# Every image holds the same 16 MiB file (incompressible: the bundle's
# bulk) and is built reproducibly, as UPDATE.md §4 says a product should.
export SOURCE_DATE_EPOCH=1700000000
head -c 16777216 /dev/urandom >big
head -c 16777216 /dev/urandom >big5
nginx_start "$WORK/ng" "$WORK/www" || { fail "nginx"; finish; exit 1; }

# mk NAME VERSION SCRIPT: the image (update.conf and the CA in its /etc)
mk() {
	r=$WORK/r$1
	mkdir -p "$r/bin" "$r/etc/keel"
	cp "$BUSYBOX" "$r/bin/busybox"
	cp "${BIG:-big}" "$r/big"
	for a in sh sleep cat echo cmp grep; do ln -sf busybox "$r/bin/$a"; done
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
# v1's app also runs keel update URL itself, with the default anchors (the
# image's, at /run/keel/update-ca.pem): TLS to the host, then a 404
U=https://10.0.2.2:$HTTPS_PORT
mk v1 1 'echo "v1 up"; keel notify READY=1; cmp -s /run/keel/update-ca.pem /etc/keel/update-ca.pem && echo "v1: anchors at /run/keel"; for i in 1 2 3 4 5 6 7 8 9 10; do keel update '"$U"'/nope.bundle >/tmp/u.out 2>&1; grep -q 404 /tmp/u.out && { echo "v1: keel update URL: 404"; break; }; sleep 1; done; cat /tmp/u.out; keel update --full '"$U"'/v5.bundle >/tmp/f.out 2>&1; echo "v1: keel update --full: $?"; tail -n 2 /tmp/f.out; while :; do sleep 1; done'
V2='echo "v2 up"; keel notify READY=1; while :; do sleep 1; done'
mk v2 2 "$V2"
mk v3 3 'echo "v3 exits at once"; exit 1'
BIG=big5
mk v5 5 'echo "v5 is never booted"; exit 1'
BIG=big
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
: >www/manifest # none until v1's app installed v5 whole
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
step "the app sees the image's anchors" "v1: anchors at /run/keel" \
	console $((30 * SLOW))
step "keel update URL in the app: https to the host" \
	"v1: keel update URL: 404" console $((60 * SLOW))
step "keel update --full in the app installs v5" "slot b installed, version 5" \
	console $((180 * SLOW))
step "keel update --full: exit 0" "v1: keel update --full: 0" console 30
mf v2
step "the agent fetches v2" "GET /v2.bundle" ng/access.log $((120 * SLOW))
step "keel-init installs v2" "slot b installed, version 2" \
	console $((120 * SLOW))
# bytes the server sent for the delta, against the whole bundle
full=$(stat -c %s www/v2.bundle)
got=$(awk '/GET \/v2.bundle/ { n += $2 } END { print n + 0 }' ng/access.log)
same "v2 fetched by ranges only" \
	"$(grep -c '^200 .*GET /v2.bundle' ng/access.log)" 0
check "v2 by delta: $got of $full bundle bytes sent (under 5%)" \
	test $((got * 100)) -lt $((full * 5))
step "v2's big file copied from the running slot" \
	"installed version 2: .* [1-9][0-9]* copied" console $((30 * SLOW))
tr -d '\r' <console | sed -n 's/^update: installed version 2: /fleet: agent: /p'
tr -d '\r' <console | sed -n 's/^.*installed=/fleet: app (--full): /p'

# keel-init's log times each install, from its start to the slot checked
t_inst() { # VERSION
	tr -d '\r' <console | sed -n 's/^.*\[+\([0-9.]*\)s\] keel: update: \(installing into\|slot . installed, version\) .*$/\1/p' |
		awk -v want="$1" 'NR % 2 == 1 { a = $1 } NR % 2 == 0 { n++; if (n == want) printf "%.2f", $1 - a }'
}
echo "fleet: delta v1->v2: $got of $full bytes ($((got * 1000 / full)) per mille); install $(t_inst 2) s in the guest, the whole v5 $(t_inst 1) s"
step "the install is reported" "update: report: installed, version 2" \
	console $((30 * SLOW))
step "v2 boots as a trial" "booting b as trial" console $((120 * SLOW))
step "v2 commits on READY=1" "b committed: version 2" console $((60 * SLOW))
step "the agent reports v2 running" "update: report: booted, version 2" \
	console $((60 * SLOW))
same "reports reached nginx" \
	"$(grep -c '^204 .*POST /report' ng/access.log)" 3
echo "fleet: v1 to v2 committed and reported in $(($(date +%s) - t0)) s"
: >ng/access.log
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
n3=$(grep -c 'GET /v3.bundle' ng/access.log)
sleep 6 # one more poll
same "v3 not fetched again" "$(grep -c 'GET /v3.bundle' ng/access.log)" "$n3"
# v4: v2's tree and policy, only the version bumped: no lz4 data
mk v4 4 "$V2"
: >ng/access.log
mf v4
step "keel-init installs v4" "slot a installed, version 4" \
	console $((120 * SLOW))
step "v4 by delta: no lz4 block fetched" \
	"installed version 4: .*blocks: 0 fetched" console $((30 * SLOW))
got=$(awk '/GET \/v4.bundle/ { n += $2 } END { print n + 0 }' ng/access.log)
echo "fleet: unchanged v4: $got of $(stat -c %s www/v4.bundle) bytes (metadata, tree, index)"
kill "$qpid" 2>/dev/null
wait "$qpid"
qpid=
con
echo "fleet: $(($(date +%s) - t0)) s in QEMU; $n boot reports of v2"
finish
