# SPDX-License-Identifier: MIT
# Field updates through keel-init's control socket, on the host (--test):
# install, trial, commit, no update during a trial, bad update falls back
# and is refused when offered again, refusals, power cut, factory reset,
# state writes that fail, a blank state record, the rollback counter.
# Each "boot" is keel-init as PID 1 of a new pid namespace over the same
# slot files and state file.
. "$(dirname "$0")/../lib.sh"

. "$TOP/tests/init_lib.sh"
init_needs
cd "$WORK" || exit 1

# mkimg NAME VERSION EPOCH SCRIPT [BOARD]: signed image whose app runs SCRIPT
mkimg() {
	app_tree "$1" "$4"
	echo "$2" >"$1/etc/version"
	"$KEEL" image build "$1" -o "$1.img" --board "${5:-test-board}" --version "$2" \
		--epoch "$3" --config "$1.json" >/dev/null &&
		"$KEEL" image sign "$1.img" --key "$KEY_A" >/dev/null &&
		"$KEEL" bundle create "$1.img" -o "$1.bundle" >/dev/null
}
GOOD='echo app v$(cat /etc/version) up; while [ -e /var/lib/hold ]; do sleep 0.1; done; keel notify READY=1; while :; do sleep 0.2; done'

mkimg v1 1 1 "$GOOD"
mkimg v2 2 2 "$GOOD"
mkimg v3 3 2 'echo app v3 crashing; exit 1'
mkimg old 1 2 "$GOOD"
mkimg other 9 9 "$GOOD" other-board
mkimg lowepoch 5 1 "$GOOD"
mkimg lowepoch6 6 1 "$GOOD"
# slots larger than the images, as partitions are: the footer is at the end
truncate -s 40M a.img b.img
"$KEEL" install v1.bundle -o a.img >/dev/null
board_conf a.img b.img

start() { init_start "$@"; } # tests/init_lib.sh
stop() { init_stop "$@"; }
has() { if grep -q -e "$2" "${3:-boot.out}"; then pass "$1"; else fail "$1: no '$2'"; sed 's/^/    /' "${3:-boot.out}" | tail -12; fi; }
st() { "$KEEL" status --socket "$SOCK" 2>&1; }
val() { sed -n "s/^$1=//p" st.out | head -n 1; }

# --- 1. good update: install, trial, READY commits ---------------------------
start "app: READY"
has "v1 boots committed" "booting a as committed"
st >st.out
same "status: committed a" "$(val committed)" a
"$KEEL" update v2.bundle --socket "$SOCK" >upd.out 2>&1
has "update reports progress" "bytes (100%)" upd.out
has "update installed" "slot b installed, version 2: trial"
st >st.out
same "status: b is trial" "$(sed -n '/^slot=b/,/^slot=/p' st.out | sed -n 's/^slot.trial=//p')" 1
stop reboot
same "reboot ends the namespace" "$(cat boot.rc)" 129
check "installed slot verifies" "$KEEL" image verify b.img

# the v2 app holds back READY=1 while /var/lib/hold exists
live() { ls -d "$1"/.keel-gen-* | sort -t- -k3 -n | tail -n 1; }
touch "$(live var)/hold"
start "app v2 up"
has "v2 boots as a trial" "booting b as trial"
has "tries spent before the app" "trial boot of b, 2 tries left"
cp a.img a.trial
cp state state.trial
refuse "no update during a trial" "b is booted as a trial and not committed" \
	"$KEEL" update v3.bundle --socket "$SOCK"
check "the refused update left the committed slot a as it was" cmp a.img a.trial
check "the refused update left the record as it was" cmp state state.trial
st >st.out
same "status: no update target during a trial" "$(val update_target)" none
kill -KILL "$PID" # a power cut during the trial
wait
check "after the cut: the committed slot a verifies" "$KEEL" image verify a.img
check "after the cut: the trial slot b verifies" "$KEEL" image verify b.img
rm "$(live var)/hold"
start "app: READY"
has "after the cut: v2 boots as a trial again" "booting b as trial"
has "one more try spent" "trial boot of b, 1 tries left"
has "v2 app runs" "app v2 up"
has "READY commits" "state: b committed: version 2, floor 2"
st >st.out
same "status: committed b" "$(val committed)" b
same "status: floor 2" "$(val floor)" 2
same "status: committed version 2" "$(val committed_version)" 2

# --- 2. refusals: nothing written, state untouched ------------------------------
cp a.img a.before
cp state state.before
"$KEEL" image build v2 -o u.img --board test-board --version 7 --epoch 2 --config v2.json >/dev/null
"$KEEL" bundle create u.img -o u.bundle >/dev/null 2>&1
refuse "unsigned bundle" "unsigned" "$KEEL" update u.bundle --socket "$SOCK"
refuse "wrong board" "board" "$KEEL" update other.bundle --socket "$SOCK"
refuse "older version" "version" "$KEEL" update old.bundle --socket "$SOCK"
refuse "epoch below the floor" "epoch" "$KEEL" update lowepoch.bundle --socket "$SOCK"
head -c 3000 v3.bundle >trunc.bundle
refuse "truncated bundle" "" "$KEEL" update trunc.bundle --socket "$SOCK"
check "refused bundles wrote nothing to the slot" cmp a.img a.before
check "refused bundles left the state as it was" cmp state state.before
st >st.out
same "still committed b" "$(val committed)" b

# --- 3. bad update: v3 exits at once; after its tries, back on v2 ----------------
"$KEEL" update v3.bundle --socket "$SOCK" >upd.out 2>&1
has "v3 installed" "slot a installed, version 3"
stop reboot
for i in 1 2 3 4; do
	start "app: \(READY\|exited\)"
	wait
	cat boot.out >>bad.out
	grep -q "app v2 up" boot.out && break
done
has "v3 ran as a trial" "app v3 crashing" bad.out
has "trial failure reboots" "trial app exited before healthy" bad.out
has "the trial's failure says how its app ended" \
	"state: the trial of a failed: v3 exited 1 before healthy" bad.out
has "tries run out" "booting b as committed" bad.out
start "app: READY"
has "back on v2" "app v2 up"
st >st.out
same "v2 still committed" "$(val committed)" b
grep -A12 '^slot=a' st.out | grep -q 'slot.bootable=0' && pass "v3 slot marked bad" || fail "v3 slot: $(cat st.out)"
same "status: v3 remembered as failed" "$(val failed_version)" 3
same "status: the last failure, with the app's end" "$(val last_failure)" \
	"slot a v3 exited 1 before healthy (tries)"
same "status: slot a's app status" \
	"$(sed -n '/^slot=a/,/^slot=b/s/^slot.app=//p' st.out)" \
	"v3 exited 1 before healthy"
same "status: the mark cites it" \
	"$(sed -n '/^slot=a/,/^slot=b/s/^slot.fail_text=//p' st.out)" \
	"tries used up: v3 exited 1 before healthy"
same "status: the update target is a" "$(val update_target)" a
cp a.img a.before
refuse "the version that failed its trial, offered again" \
	"version 3 failed on this device before (this very image)" \
	"$KEEL" update v3.bundle --socket "$SOCK"
check "refused as failed: slot a untouched" cmp a.img a.before
stop poweroff

# --- 4. power cut in the middle of an install -------------------------------------
mkdir -p big/etc && cp -r v2/. big/ && head -c 24000000 /dev/urandom >big/blob
mkimg big 4 2 "$GOOD"
start "app: READY"
"$KEEL" update --force v3.bundle --socket "$SOCK" >upd.out 2>&1
has "--force installs the version that failed" "slot a installed, version 3"
# a slow link: half the bundle, then a stall; the power goes meanwhile
( ( head -c 8000000 big.bundle; sleep 3 ) |
	"$KEEL" update - --socket "$SOCK" >cut.out 2>&1 & )
for _ in $(seq 100); do grep -q 'bytes' cut.out 2>/dev/null && break; sleep 0.05; done
sleep 0.3
kill -KILL "$PID"
wait
check "the cut left slot a unverifiable" sh -c "! \"$KEEL\" image verify a.img"
start "app: \(READY\|halted\)"
has "after a cut install the committed slot boots" "app v2 up"
stop poweroff
start "app: READY"
"$KEEL" update big.bundle --socket "$SOCK" >upd.out 2>&1
has "a new install then succeeds" "slot a installed, version 4"
stop poweroff

# --- 5. factory reset ----------------------------------------------------------------
v0=$(live var) e0=$(live etc)
echo precious >"$v0/data"
mkdir -p "$e0/upper" && echo changed >"$e0/upper/version"
start "app: READY"
refuse "factory reset needs --yes" "yes" "$KEEL" factory-reset --socket "$SOCK"
"$KEEL" factory-reset --yes --socket "$SOCK" >/dev/null 2>&1
stop reboot
[ -s var/.keel-init/log/boot.1 ] && pass "logs of earlier boots saved" ||
	fail "no var/.keel-init/log/boot.1: $(ls var/.keel-init/log)"
start "old trees removed"
same "the reset removed the logs of the boots before it" \
	"$(ls var/.keel-init/log)" "boot.0"
has "factory reset ran at boot" "factory reset: fresh, empty /etc changes"
has "the old trees removed in the background" "old trees removed"
[ "$(live var)" != "$v0" ] && pass "var: a new generation" || fail "var: same generation"
[ -e "$(live var)/data" ] && fail "var data survived the reset" || pass "var emptied"
[ -e "$(live etc)/upper/version" ] && fail "etc change survived" || pass "etc changes gone"
same "nothing else left on var (but keel-init's own)" \
	"$(ls -A var | grep -vx .keel-init)" "$(basename "$(live var)")"
same "nothing else left on etc" "$(ls -A etc)" "$(basename "$(live etc)")"
stop poweroff
check "keel-init's saved log says the old trees were removed" \
	grep -q 'keel: factory reset: old trees removed$' var/.keel-init/log/boot.0

# --- 6. state writes that fail: a trial whose tries cannot be counted -------
mkimg v5 5 2 "$GOOD"
start "app: READY"
"$KEEL" update v5.bundle --socket "$SOCK" >upd.out 2>&1
has "v5 installed as a trial" "slot b installed, version 5: trial"
stop poweroff
# the newest copy alone at byte 0 of a file on a full tmpfs, copy 1 a hole:
# the record reads, and every write (to copy 1) fails with ENOSPC
s0=$(od -An -tu8 -j16 -N8 state | tr -d ' ')
s1=$(od -An -tu8 -j4112 -N8 state | tr -d ' ')
newest=0
[ "${s1:-0}" -gt "${s0:-0}" ] && newest=4096
mkdir -p full
mount -t tmpfs -o size=64k tmpfs full
dd if=state of=full/state bs=512 skip=$((newest / 512)) count=1 status=none
truncate -s 8192 full/state
dd if=/dev/zero of=full/fill bs=4096 status=none 2>/dev/null
sed -i "s|^part.state=.*|part.state=$WORK/full/state|" board.conf
start "app: READY"
has "a failed write is tried again" \
	"state: write (boot), attempt 3 of 3: copy 1: No space left on device"
has "then said to be lost" "state: boot NOT RECORDED"
has "the trial does not start" \
	"the trial of b does not start: its tries cannot be recorded; booting the committed slot a"
has "the committed v4 runs" "app v4 up"
stop poweroff
umount full
sed -i "s|^part.state=.*|part.state=$WORK/state|" board.conf

# --- 7. a blank record on a used device: rebuilt from the slots, or halt ---
dd if=/dev/zero of=state bs=8192 count=1 conv=notrunc status=none
start "app: READY"
has "said loudly" \
	"NO VALID RECORD ON A DEVICE THAT HAS BOOTED BEFORE ($WORK/var holds files)"
has "rebuilt: the newest signed image committed, its epoch the floor" \
	"rebuilt from the slots' signed headers: b committed, version 5, floor 2"
refuse "after the rebuild: epoch 1 still below the floor" \
	"epoch 1 is below the floor 2" "$KEEL" update lowepoch6.bundle --socket "$SOCK"
stop poweroff
echo "on_blank_state=halt" >>board.conf
dd if=/dev/zero of=state bs=8192 count=1 conv=notrunc status=none
T=5
start "halted"
wait
unset T
has "on_blank_state=halt: halted, naming why" \
	"keel: halted: state: the A/B record is lost on a device that has booted before"
same "halted: keel-init stays up (timeout)" "$(cat boot.rc)" 124
sed -i '/^on_blank_state=/d' board.conf

# --- 8. the rollback counter: what the slots cannot prove ------------------
echo "rollback.counter=file:$WORK/counter" >>board.conf
start "app: READY"
has "the counter is read" "state: rollback counter (test file): floor 0"
stop poweroff
same "the counter follows the floor up" "$(cat counter)" 2
# an attacker puts an old signed image (epoch 1) in both slots and erases
# the record: the counter still says 2
"$KEEL" install v1.bundle -o a.img -q && "$KEEL" install v1.bundle -o b.img -q
dd if=/dev/zero of=state bs=8192 count=1 conv=notrunc status=none
T=5
start "halted"
wait
unset T
has "the counter's floor wins over the slots'" \
	"the rollback counter holds floor 2, above the record's 1"
has "epoch 1 refused in slot a" "slot a: REFUSED: epoch: security epoch 1 is below the floor 2"
has "no slot boots: halted" "keel: halted: boot: no slot passed verification"
grep -q "app v1 up" boot.out && fail "the old image ran" || pass "the old image never ran"
# a board whose counter cannot be read does not boot (keel counter's
# refusal, through its record)
sed -i "s|^rollback.counter=.*|rollback.counter=file:$WORK/nodir/counter|" board.conf
T=5
start "halted"
wait
unset T
has "an unreadable counter halts, naming it" \
	"keel: halted: state: the board's rollback counter: counter: $WORK/nodir/counter: No such file or directory"
grep -q "app v[0-9] up" boot.out && fail "an app ran without its counter" ||
	pass "no app runs without the board's counter"
# without the counter, the same attack rolls the device back to epoch 1
sed -i '/^rollback.counter=/d' board.conf
dd if=/dev/zero of=state bs=8192 count=1 conv=notrunc status=none
start "app: READY"
has "without a counter: what the slots prove (floor 1)" \
	"rebuilt from the slots' signed headers: a committed, version 1, floor 1"
has "without a counter the old image runs" "app v1 up"
stop poweroff

cat boot.out >>all.out
grep -q 'BUG: heap allocation' all.out && fail "keel-init or its installer tried to allocate" ||
	pass "no heap allocation in any boot or install"

finish
