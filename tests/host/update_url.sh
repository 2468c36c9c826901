# SPDX-License-Identifier: MIT
# keel update URL, as the app runs it, against keel-init --test (as
# update.sh boots it) and Debian's nginx on 127.0.0.1 with a test CA: the
# default anchors are the image's update-ca.pem, which keel-init puts
# beside its control socket; --ca replaces them; without either https is
# refused; plain http only with --allow-http; a cut download resumes
# while it streams into keel-init's installer; refusals write nothing.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/fleet_lib.sh"
. "$TOP/tests/init_lib.sh"
init_needs nginx openssl curl python3
cd "$WORK" || exit 1
trap 'nginx_stop; proxy_stop; t_cleanup' EXIT

mkdir -p www
nginx_start "$WORK/ng" "$WORK/www" || { fail "nginx"; finish; exit 1; }
CA=$WORK/ng/pki/ca.pem
U=https://127.0.0.1:$HTTPS_PORT

# mkimg NAME VERSION [BOARD]: signed image with the test CA as its
# update-ca.pem, its bundle in www/
mkimg() {
	app_tree "$1" 'echo app v$(cat /etc/version) up; keel notify READY=1; while :; do sleep 0.2; done'
	echo "$2" >"$1/etc/version"
	mkdir -p "$1/etc/keel"
	cp "$CA" "$1/etc/keel/update-ca.pem"
	"$KEEL" image build "$1" -o "$1.img" --board "${3:-test-board}" \
		--version "$2" --epoch 1 --config "$1.json" >/dev/null &&
		"$KEEL" image sign "$1.img" --key "$KEY_A" >/dev/null &&
		"$KEEL" bundle create "$1.img" -o "www/$1.bundle" >/dev/null
}
mkimg v1 1
mkimg v2 2
mkdir -p v3 && cp -r v2/. v3/ && head -c 6000000 /dev/urandom >v3/blob
mkimg v3 3
mkimg other 9 other-board
truncate -s 40M a.img b.img
"$KEEL" install www/v1.bundle -o a.img >/dev/null
board_conf a.img b.img
has() { if grep -q -e "$2" "${3:-upd.out}"; then pass "$1"; else fail "$1: no '$2'"; sed 's/^/    /' "${3:-upd.out}" | tail -8; fi; }
upd() { "$KEEL" update "$@" --socket "$SOCK" >upd.out 2>&1; }

# the device's /etc replaces the image's anchors with another CA's: the
# default must stay the image's
init_start "app: READY"
up=$(ls -d etc/.keel-gen-* | sort -t- -k3 -n | tail -n 1)/upper
mkdir -p "$up/keel" && cp ng/pki/other-ca.pem "$up/keel/update-ca.pem"
init_stop reboot
init_start "app: READY"
same "the image's anchors beside the control socket" \
	"$(cmp "$(dirname "$SOCK")/update-ca.pem" "$CA" && echo same)" same

# --- https with the image's anchors, streamed into keel-init ---------------
: >ng/access.log
upd "$U/v2.bundle"
same "update URL: exit 0" "$?" 0
has "progress reported" "bytes (100%)"
has "keel-init installed it" "slot b installed, version 2" boot.out
same "a delta: the bundle fetched by ranges only" \
	"$(grep -c '^200 .*GET /v2.bundle' ng/access.log)" 0
same "a delta: its first block fetched once (then sent from memory)" \
	"$(grep -c '"bytes=0-' ng/access.log)" 1
sent=$(awk '/GET \/v2.bundle/ { n += $2 } END { print n + 0 }' ng/access.log)
check "a delta: less than the bundle sent ($sent of $(stat -c %s www/v2.bundle))" \
	test "$sent" -lt "$(stat -c %s www/v2.bundle)"
has "the installer's account" "installed=read .* blocks: .* copied"
check "the slot verifies" "$KEEL" image verify b.img

# --- refusals: nothing written ---------------------------------------------
cp b.img b.before
cp state state.before
refuse "--ca of another CA" "not signed by a trusted CA" \
	"$KEEL" update "$U/v3.bundle" --ca ng/pki/other-ca.pem --socket "$SOCK"
refuse "a certificate for another name" "certificate is for another name" \
	"$KEEL" update "https://127.0.0.1:$WRONG_PORT/v3.bundle" --socket "$SOCK"
mkdir -p elsewhere && ln -sf "$SOCK" elsewhere/control
refuse "no anchors beside the socket, no --ca: https refused" \
	"no trust anchors" "$KEEL" update "$U/v3.bundle" --socket elsewhere/control
refuse "plain http without --allow-http" "plain http:// is not allowed" \
	"$KEEL" update "http://127.0.0.1:$HTTP_PORT/v3.bundle" --socket "$SOCK"
refuse "a missing bundle" "404" "$KEEL" update "$U/nope.bundle" --socket "$SOCK"
refuse "another board's bundle: keel-init refuses" "board" \
	"$KEEL" update "$U/other.bundle" --socket "$SOCK"
refuse "--fd with a URL" "usage" \
	"$KEEL" update --fd "$U/v3.bundle" --socket "$SOCK"
refuse "--ca with a file" "usage" \
	"$KEEL" update www/v3.bundle --ca "$CA" --socket "$SOCK"
check "refusals: the slot as it was" cmp b.img b.before
check "refusals: the state as it was" cmp state state.before

# --- plain http when asked (the whole bundle streamed, --full); a cut
# download resumes -------------------------------------------------------------
: >ng/access.log
upd "http://127.0.0.1:$HTTP_PORT/v2.bundle" --allow-http --full
has "plain http with --allow-http (the signature decides)" \
	"slot b installed, version 2" boot.out
same "--full: one GET of the whole bundle" \
	"$(grep -c '^200 .*GET /v2.bundle' ng/access.log)" 1
# a server that ignores ranges (nginx's max_ranges 0): no delta, the
# whole bundle streamed
: >ng/access.log
upd "$U/whole/v2.bundle"
same "a server ignoring ranges: exit 0" "$?" 0
has "... said so" "the server ignores ranges: the whole bundle"
same "... the range answered whole, then one whole GET" \
	"$(grep -c '^200 .*GET /whole/v2.bundle' ng/access.log)" 2
check "... the slot verifies" "$KEEL" image verify b.img
size=$(stat -c %s www/v3.bundle)
proxy_start $((size / 2))
: >ng/access.log
upd "https://127.0.0.1:$PP/v3.bundle"
same "cut mid-bundle: exit 0" "$?" 0
has "cut mid-bundle: resumed" "resuming at byte [1-9]"
has "cut mid-bundle: installed" "slot b installed, version 3" boot.out
same "cut: every request is a range" \
	"$(grep -c '^200 .*GET /v3.bundle' ng/access.log)" 0
proxy_stop
init_stop reboot
init_start "app v3 up"
has "v3 boots as a trial" "booting b as trial" boot.out
init_stop poweroff
finish
