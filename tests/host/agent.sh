# SPDX-License-Identifier: MIT
# keel update-agent on the host against keel-init --test (as update.sh
# boots it) and Debian's nginx on 127.0.0.1 with a test CA: a manifest
# for another board, the same version or an older one is not taken; a
# device outside the rollout does not fetch, one inside does; a bundle
# that is not the manifest's is refused before keel-init installs a byte;
# an install streamed through keel-init resumes a cut download; the
# trial commits and the agent reports; a version that failed its trial
# is never fetched again.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/fleet_lib.sh"

. "$TOP/tests/init_lib.sh"
init_needs nginx
cd "$WORK" || exit 1
trap 'nginx_stop; proxy_stop; t_cleanup' EXIT

# mkimg NAME VERSION SCRIPT [BOARD]: signed image and bundle (in www/)
mkimg() {
	mkdir -p www
	app_tree "$1" "$3"
	echo "$2" >"$1/etc/version"
	"$KEEL" image build "$1" -o "$1.img" --board "${4:-test-board}" \
		--version "$2" --epoch 1 --config "$1.json" >/dev/null &&
		"$KEEL" image sign "$1.img" --key "$KEY_A" >/dev/null &&
		"$KEEL" bundle create "$1.img" -o "www/$1.bundle" >/dev/null
}
GOOD='echo app v$(cat /etc/version) up; keel notify READY=1; while :; do sleep 0.2; done'
mkimg v1 1 "$GOOD"
mkimg v2 2 "$GOOD"
mkimg other 9 "$GOOD" other-board
mkdir -p v4 && cp -r v2/. v4/ && head -c 6000000 /dev/urandom >v4/blob
mkimg v4 4 "$GOOD"
truncate -s 40M a.img b.img
"$KEEL" install www/v1.bundle -o a.img >/dev/null
board_conf a.img b.img
nginx_start "$WORK/ng" "$WORK/www" || { fail "nginx"; finish; exit 1; }
CA=$WORK/ng/pki/ca.pem
U=https://127.0.0.1:$HTTPS_PORT
ID=00112233445566778899aabbccddeeff

T=90
start() { init_start "$@"; } # tests/init_lib.sh
stop() { init_stop "$@"; }
has() { if grep -q -e "$2" "${3:-agent.out}"; then pass "$1"; else fail "$1: no '$2'"; sed 's/^/    /' "${3:-agent.out}" | tail -8; fi; }
# mf NAME [ROLLOUT] [BOARD] [SHA-OF]: the manifest points to www/NAME.bundle
mf() {
	i=$("$KEEL" bundle inspect "www/$1.bundle")
	sha=$("$KEEL" bundle inspect "www/${4:-$1}.bundle" | sed -n 's/^header_sha256=//p')
	{
		echo "keel-manifest=1"
		echo "report=/report"
		echo "bundle=${3:-test-board}"
		echo "bundle.version=$(echo "$i" | sed -n 's/^version=//p')"
		echo "bundle.epoch=1"
		echo "bundle.size=$(stat -c %s "www/$1.bundle")"
		echo "bundle.url=${URL_PREFIX:-}$1.bundle"
		echo "bundle.header_sha256=$sha"
		echo "bundle.rollout=${2:-100}"
	} >www/manifest
}
printf 'url=%s/manifest\ninterval=5\nreboot=app\n' "$U" >update.conf
# agent: one poll; its lines in agent.out, nginx's in access.log
agent() {
	: >ng/access.log
	timeout 60 /usr/bin/time -f 'rss_kib=%M' -o rss.txt \
		"$KEEL" update-agent --once --id "$ID" --conf update.conf \
		--ca "$CA" --socket "$SOCK" >agent.out 2>&1
	echo $? >agent.rc
}
fetched() { grep -c "GET \(/whole\)\?/$1.bundle" ng/access.log; }
st() { "$KEEL" status --socket "$SOCK" >st.out 2>&1; }
val() { sed -n "s/^$1=//p" st.out | head -n 1; }

start "app: READY"
cp state state.before
mf other 100 other-board
agent
has "another board's bundle: not taken" "manifest: no-entry"
mf v1
agent
has "the same version: not taken" "manifest: not-newer"
mf v2 100 other-board
agent
has "another board only: not taken" "manifest: no-entry"
# the device's rollout bucket, computed here as docs/UPDATE.md §1 says
b=$(python3 -c 'import hashlib, struct, sys
d = hashlib.sha256(b"keel-rollout" + sys.argv[1].encode() + b"\0" +
	struct.pack("<Q", 2)).digest()
print(struct.unpack(">I", d[:4])[0] % 100)' "$ID")
mf v2 "$b"
agent
has "rollout $b%: bucket $b is out" "manifest: rollout"
same "outside the rollout: nothing fetched" "$(fetched v2)" 0
check "nothing changed the state" cmp state state.before
mf v2 100 test-board v4
agent
has "a bundle that is not the manifest's: refused" "not the one the manifest names"
same "... before keel-init installed a byte" "$(grep -c 'update: installing' boot.out)" 0
check "... and the state is as it was" cmp state state.before
# from a server that ignores ranges (nginx's max_ranges 0): the whole
# bundle, streamed
URL_PREFIX=$U/whole/ mf v2 $((b + 1))
agent
has "rollout $((b + 1))%: bucket $b is in" "manifest: take"
has "a server ignoring ranges: the whole bundle" \
	"the server ignores ranges: the whole bundle"
has "streamed into keel-init and installed" "installed version 2"
echo "agent: peak RSS of keel update-agent while it streamed a" \
	"$(stat -c %s www/v2.bundle)-byte bundle: $(sed -n 's/^rss_kib=//p' rss.txt) KiB"
grep -q "slot b installed, version 2" boot.out && pass "keel-init installed it" ||
	fail "keel-init did not install: $(tail -n 5 boot.out)"
same "the agent exits 0" "$(cat agent.rc)" 0
has "installed: reported" "report: installed"
has "... after the boot's (the first poll of an agent)" "report: booted"
same "both reports reached the server" \
	"$(grep -c '^204 .*POST /report' ng/access.log)" 2
agent
has "installed, not rebooted: not fetched again" "manifest: pending"
same "pending: nothing fetched" "$(fetched v2)" 0
stop reboot
start "app: READY"
grep -q "booting b as trial" boot.out && pass "v2 boots as a trial" ||
	fail "v2 trial: $(tail -n 5 boot.out)"
for _ in $(seq 50); do grep -q "b committed" boot.out && break; sleep 0.1; done
agent
has "after the commit: booted reported" "report: booted"
has "v2 runs: not newer" "manifest: not-newer"

# --- a cut download is resumed while it streams into keel-init --------------
proxy_start 3000000
URL_PREFIX=https://127.0.0.1:$PP/ mf v4
agent
has "cut mid-bundle: resumed" "resuming at byte"
has "cut mid-bundle: installed" "installed version 4"
proxy_stop
stop reboot
start "app: READY"
for _ in $(seq 50); do grep -q "a committed" boot.out && break; sleep 0.1; done
st
same "v4 committed" "$(val committed_version)" 4

# --- a version that fails its trial is not fetched again ---------------------
mkimg v5 5 'echo app v5 crashing; exit 1'
mf v5
agent
has "v5 installed" "installed version 5"
stop reboot
for i in 1 2 3 4; do
	start "app: \(READY\|exited\)"
	wait "$BOOT"
	cat boot.out >>bad.out
	grep -q "app v4 up" boot.out && break
done
grep -q "app v5 crashing" bad.out && pass "v5 ran as a trial" ||
	fail "v5 trial: $(tail -n 5 bad.out)"
start "app: READY"
st
same "back on v4" "$(val committed_version)" 4
if grep -q '^failed_version=5' st.out; then
	agent
	has "failed version: not fetched again" "manifest: failed"
	same "failed version: no byte of it fetched" "$(fetched v5)" 0
	has "the failure reported with the boot" "report: booted"
else
	fail "keel-init does not list version 5 as failed: $(grep -c . st.out) status lines"
fi
stop poweroff
finish
