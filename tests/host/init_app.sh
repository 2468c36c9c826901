#!/bin/sh
# SPDX-License-Identifier: MIT
# keel app dying on a slot's signed config while keel-init checks it at
# boot: the slot is refused like any refused config (a trial falls back
# to the committed slot, a committed slot to the other one, or the
# board's on_failure), with the config and the signal named. A keel that
# cannot run at all (missing, not executable) stays keel-init's own
# failure: a halt that marks no slot. keel-test (keel with test hooks)
# crashes or answers junk on a marker in the config; keel has no hook.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/init_lib.sh"

init_needs
KTEST=$O/keel-test
[ -x "$KTEST" ] || { fail "$KTEST missing (make O=$O $KTEST)"; finish; exit; }
cd "$WORK" || exit 1

if strings "$KEEL" | grep -q keel-test-app; then
	fail "keel carries keel app's test hook"
else
	pass "keel carries no test hook"
fi
# keel-init runs the keel next to it: keel-test here
mkdir hk
cp "$O/keel-init" hk/keel-init
cp "$KTEST" hk/keel
INIT=$WORK/hk/keel-init

# mkimg NAME VERSION SCRIPT [MARK]: a signed image (epoch 1) whose
# config carries MARK in its environment, and its bundle
mkimg() {
	app_tree "$1" "$3"
	[ -z "${4:-}" ] || sed -i "s|\"PATH=/bin\"|\"PATH=/bin\", \"MARK=$4\"|" "$1.json"
	"$KEEL" image build "$1" -o "$1.img" --board test-board --version "$2" \
		--epoch 1 --config "$1.json" >/dev/null &&
		"$KEEL" image sign "$1.img" --key "$KEY_A" >/dev/null &&
		"$KEEL" bundle create "$1.img" -o "$1.bundle" >/dev/null
}
GOOD='echo app v$(cat /etc/version) up; keel notify READY=1; while :; do sleep 0.2; done'
mkimg v1 1 "$GOOD"
echo 1 >v1/etc/version
mkimg v1 1 "$GOOD"
for m in segv junk start-segv; do
	mkdir -p "$m"
	mkimg "$m" 2 "$GOOD" "keel-test-app:$m"
done
has() { if grep -q -e "$2" boot.out; then pass "$1"; else fail "$1: no '$2'"; sed 's/^/    /' boot.out | tail -12; fi; }
st() { "$KEEL" status --socket "$SOCK" >st.out 2>&1; }
slot() { sed -n "/^slot=$1/,/^slot=[^$1]/s/^slot.$2=//p" st.out | head -n 1; }
# fresh A B: new slot files (40 MiB, the footer at the end), A and B
# installed from those bundles (- for none), a blank record
fresh() {
	rm -f a.img b.img state
	truncate -s 40M a.img b.img
	[ "$1" = - ] || "$KEEL" install "$1.bundle" -o a.img >/dev/null
	[ "$2" = - ] || "$KEEL" install "$2.bundle" -o b.img >/dev/null
	board_conf a.img b.img
}
SEGV="config: keel app killed by signal 11 (/keel/config.json)"

# --- 1. an update whose config crashes keel app: the trial falls back ------
fresh v1 -
init_start "app: READY"
"$KEEL" update segv.bundle --socket "$SOCK" >upd.out 2>&1
has "the crashing config installs (keel-init does not parse it)" \
	"slot b installed, version 2: trial"
init_stop reboot
init_start "app: READY"
has "the trial is tried" "booting b as trial"
has "the trial's config refused, the signal named" "slot b: REFUSED: $SEGV"
has "the committed slot boots" "app v1 up"
st
same "slot b marked not bootable" "$(slot b bootable)" 0
same "slot b's mark names the crash" "$(slot b fail_text)" \
	"$(printf '%s' "$SEGV" | cut -c1-47)"
same "a is still committed" "$(sed -n 's/^committed=//p' st.out)" a
init_stop poweroff

# --- 2. the committed slot's config crashes keel app: the other slot -------
fresh segv v1
init_start "app: READY"
has "the committed slot is tried first" "booting a as committed"
has "its config refused, the signal named" "slot a: REFUSED: $SEGV"
has "the other slot boots" "app v1 up"
st
same "slot a marked not bootable" "$(slot a bootable)" 0
init_stop poweroff

# ... and with on_failure=halt: a halt, the slot marked all the same
fresh segv v1
sed -i 's/^on_failure=.*/on_failure=halt/' board.conf
T=4 init_start "halted"
wait "$BOOT"
has "halt: the config refused" "slot a: REFUSED: $SEGV"
has "halt: by the board's policy" "keel: halted: boot: no slot passed verification"
same "halted, keel-init stays up (timeout)" "$(cat boot.rc)" 124
init_start "app: READY"
has "the next boot: a is marked, b boots" "app v1 up"
init_stop poweroff

# --- 3. a record that is not one: refused the same way ---------------------
fresh junk v1
init_start "app: READY"
has "junk record refused" \
	"slot a: REFUSED: config: keel app record: 19 bytes, expected"
has "the other slot boots after junk" "app v1 up"
init_stop poweroff

# --- 4. keel app dies between its check and its start: a failed start ----
# (its check accepted the slot; the start's failure is the app's, with
# the restart policy of any failed setup, and every restart's own run
# of keel app dies the same way)
fresh start-segv v1
init_start "app: restart 2 in"
has "the slot's config is accepted" "booting a as committed"
grep -q "REFUSED" boot.out && fail "start-segv: a slot was refused" ||
	pass "start-segv: no slot refused"
has "the start fails, the signal named" "app: keel app: killed by signal 11"
has "restarted as any failed setup" "app: restart 1 in"
init_stop poweroff

# --- 5. keel app cannot be run: keel-init's own failure, no slot marked ----
# marks: the newest copy of the record (at 0 or 4096, the higher
# sequence number) but its sequence number, boot counter and CRC: the
# committed slot, the slot entries, the failed images (FORMAT.md §3.2)
marks() {
	m_o=0
	[ "$(od -An -tu8 -j 4112 -N 8 state)" -gt \
		"$(od -An -tu8 -j 16 -N 8 state)" ] && m_o=4096
	dd if=state bs=1 skip=$((m_o + 48)) count=424 2>/dev/null | od -An -tx1
}
# halted NAME WHY: a boot that halts with WHY, no slot marked
halted() {
	marks >marks.before
	T=4 init_start "halted"
	wait "$BOOT"
	has "$1: not the slot's fault" "slot a: not checked: keel app: exec: $2"
	has "$1: halted" "keel: halted: boot: keel app cannot check the config"
	grep -q "REFUSED" boot.out && fail "$1: a slot was refused" ||
		pass "$1: no slot refused"
	marks >marks.after
	if cmp -s marks.after marks.before; then pass "$1: no slot marked"; else
		fail "$1: the record's slots changed"
		diff marks.before marks.after | sed 's/^/    /'
	fi
}
fresh v1 v1
init_start "app: READY" # a record on disk
init_stop poweroff
chmod 644 hk/keel
halted "keel not executable" "Permission denied"
rm hk/keel
halted "no keel" "No such file or directory"
cp "$KTEST" hk/keel
init_start "app: READY"
has "with keel back, slot a boots" "booting a as committed"
init_stop poweroff

finish
